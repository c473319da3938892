"""Masks through time: which recurrent dropout masks are reused across steps, and what that does to memory."""

import streamlit as st

from dropviz import i18n, methods, ui
from dropviz.demos import recurrent as rnn_demo
from dropviz.figures import recurrent as figs
from dropviz.i18n import _, ngettext

ui.app_shell()

st.title(_("Recurrent dropout: masks through time"))
ui.prose("intro")
seed, device = ui.seed(), ui.device()
p, steps, hidden = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider(_("Time steps T"), 10, 60, 30, 1, key="steps", help=_("Bounded for a shared server.")),
    lambda: ui.bound_slider(_("Hidden units"), 4, 32, 16, 1, key="hidden", help=_("Bounded for a shared server.")),
    widths=[2, 1, 1],
)

n_schedules = len(methods.schedules())
st.subheader(ngettext("{n} schedule, one sequence: stripes or noise", "{n} schedules, one sequence: stripes or noise",
                      n_schedules).format(n=ui.number_word(n_schedules, capital=True) if i18n.language() == "en"
                                          else n_schedules))
ui.plot(ui.figure(figs.overview_figure, rnn_demo.mask_overview, p=p, seed=seed, steps=steps, hidden=hidden,
                  device=device), key="overview")
st.caption(_("Each panel is the main mask of one method for one sequence: rows are units, columns time steps. "
             "Dark cells are kept (value 1/(1−p), inverted scaling), grey cells dropped."))


@st.fragment
def movie_panel() -> None:
    st.subheader(_("Play it: the masked wire, the masks, and the cell's memory"))
    left, right = st.columns([3, 1])  # the toggle depends on the method chosen on its left
    with left:
        method = ui.choice(_("Method"), methods.schedules(), "naive", key="method", aliases=methods.ALIASES)
    with right:
        untied = ui.flag(_("Untied gate masks"), key="untied", disabled=method != "variational",
                         help=_("Variational only: one mask per gate (i, f, g, o) instead of one for all four."))
    tied = method != "variational" or not untied
    m = methods.get(method)
    st.markdown(f"**{m.tr('name')}** — {m.tr('summary')}  \n:small[:gray["
                + _("Masks: {masks}. Shared: {shared}.").format(masks=m.tr("masks"), shared=m.tr("shared_axes"))
                + f" [{m.paper.cite()}]({m.paper.url})]]")
    args = dict(method=method, p=p, seed=seed, steps=steps, hidden=hidden, tied=tied, device=device)
    movie = ui.compute(rnn_demo.mask_movie, **args)
    ui.plot(ui.figure(figs.movie_figure, rnn_demo.mask_movie, **args), key="movie")
    a, b, c, d = st.columns(4)
    similarity = _("Cosine similarity of the masked run's whole cell state at the last step with the CLEAN run's "
                   "state at t = 0 (what the symbol wrote without dropout), from −1 to 1: 1 = the stored pattern is "
                   "intact, 0 = none of it is left, below 0 = the cell now holds the opposite pattern (overwritten, "
                   "not kept). Input masks (Zaremba, variational) change what the symbol writes at t = 0 itself, so "
                   "they score low here without erasing anything later.")
    a.metric(_("Last step: cos(c_T, c_0), −1…1"), f"{movie.memory_masked[-1]:.2f}",
             _("{delta} vs no dropout").format(delta=f"{movie.memory_masked[-1] - movie.memory_clean[-1]:+.2f}"),
             delta_color="off", help=similarity)
    b.metric(_("The same without dropout"), f"{movie.memory_clean[-1]:.2f}", help=similarity)
    c.metric(_("Mask schedule"), _("per sequence") if movie.per_sequence else _("per step"))
    d.metric(_("Training mean ÷ test output"), f"{movie.train_mean_ratio:.2f}",
             help=_("mean |h_t| averaged over {n} mask draws, divided by mean |h_t| without dropout (the test-time "
                    "rule). It would be 1 if the identity at test time reproduced the training mean. Inverted masks "
                    "keep the mean only before a linear map: a mask's 1/(1−p) inside tanh(c) gives E[tanh(m·c)] = "
                    "(1−p)·tanh(c/(1−p)) ≠ tanh(c) (naive, RNNDrop), and masks on x, h or g pass through the gates' σ "
                    "and tanh too, so every schedule is off; naive's erased memory most. DropViz shows the measured "
                    "mismatch rather than hiding it.").format(n=rnn_demo.MC_MASKS))
    st.caption(_("Press ▶ Play or drag the time slider. Left: the LSTM cell, masked wires in red, and the tracked "
                 "units' mask at step t. Right: the masks (future steps veiled) and the tracked cells with the mask "
                 "(solid) and without (dashed), same weights, same input: a strong symbol at t = 0, then weak "
                 "noise. The tracked cells are those the symbol wrote most under this mask: does what was stored "
                 "stay? cos(c_t, c_0) compares the whole cell state with the one stored at t = 0: 1 while it is "
                 "intact, 0 once nothing of it is left, negative when the opposite pattern replaced it."))


movie_panel()


@st.fragment
def embedding_panel() -> None:
    m = methods.get("embedding")
    st.subheader(_("{name}: drop word types, not word occurrences").format(name=m.tr("name")))
    st.markdown(m.tr("summary") + " " + _("Gal & Ghahramani mask rows of the embedding matrix once per sequence."))
    ui.plot(ui.figure(figs.embedding_figure, rnn_demo.embedding_demo, p=p, seed=seed, device=device), key="embedding")
    st.caption(_("Blue: kept, grey: dropped. Within a row the same word is dropped at every occurrence; "
                 "another sequence draws its own mask."))


embedding_panel()

ui.show_claims(p=p, seed=seed, steps=steps,
               hidden=hidden, device=device)
