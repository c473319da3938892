"""Masks through time: which recurrent dropout masks are reused across steps, and what that does to memory."""

import streamlit as st

from dropviz import methods, ui
from dropviz.demos import recurrent as rnn_demo
from dropviz.figures import recurrent as figs

ui.app_shell()

st.title("Recurrent dropout: masks through time")
st.markdown(
    "An LSTM carries its memory in the **cell state** c from one time step to the next. Where a dropout mask "
    "sits in the cell, and whether it is drawn **once per sequence** or **afresh at every step**, decides "
    "whether that memory survives. Reused masks show as horizontal stripes below (a unit is kept or dropped "
    "for the whole sequence); per-step masks show as noise."
)
seed, device = ui.seed(), ui.device()
p, steps, hidden = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider("Time steps T", 10, 60, 30, 1, key="steps", help="Bounded for a shared server."),
    lambda: ui.bound_slider("Hidden units", 4, 32, 16, 1, key="hidden", help="Bounded for a shared server."),
    widths=[2, 1, 1],
)

st.subheader(f"{ui.number_word(len(methods.schedules()), capital=True)} schedules, one sequence: stripes or noise")
ui.plot(ui.figure(figs.overview_figure, rnn_demo.mask_overview, p=p, seed=seed, steps=steps, hidden=hidden,
                  device=device), key="overview")
st.caption("Each panel is the main mask of one method for one sequence: rows are units, columns time steps. "
           "Dark cells are kept (value 1/(1−p), inverted scaling), grey cells dropped.")


@st.fragment
def movie_panel() -> None:
    st.subheader("Play it: the masked wire, the masks, and the cell's memory")
    left, right = st.columns([3, 1])  # the toggle depends on the method chosen on its left
    with left:
        method = ui.choice("Method", methods.schedules(), "naive", key="method", aliases=methods.ALIASES)
    with right:
        untied = ui.flag("Untied gate masks", key="untied", disabled=method != "variational",
                         help="Variational only: one mask per gate (i, f, g, o) instead of one for all four.")
    tied = method != "variational" or not untied
    m = methods.get(method)
    st.markdown(f"**{m.name}** — {m.summary}  \n:small[:gray[Masks: {m.masks}. Shared: {m.shared_axes}. "
                f"[{m.paper.cite()}]({m.paper.url})]]")
    args = dict(method=method, p=p, seed=seed, steps=steps, hidden=hidden, tied=tied, device=device)
    movie = ui.compute(rnn_demo.mask_movie, **args)
    ui.plot(ui.figure(figs.movie_figure, rnn_demo.mask_movie, **args), key="movie")
    a, b, c, d = st.columns(4)
    similarity = ("Cosine similarity of the masked run's whole cell state at the last step with the CLEAN run's state "
                  "at t = 0 (what the symbol wrote without dropout), from −1 to 1: 1 = the stored pattern is intact, "
                  "0 = none of it is left, below 0 = the cell now holds the opposite pattern (overwritten, not kept). "
                  "Input masks (Zaremba, variational) change what the symbol writes at t = 0 itself, so they score "
                  "low here without erasing anything later.")
    a.metric("Last step: cos(c_T, c_0), −1…1", f"{movie.memory_masked[-1]:.2f}",
             f"{movie.memory_masked[-1] - movie.memory_clean[-1]:+.2f} vs no dropout", delta_color="off",
             help=similarity)
    b.metric("The same without dropout", f"{movie.memory_clean[-1]:.2f}", help=similarity)
    c.metric("Mask schedule", "per sequence" if movie.per_sequence else "per step")
    d.metric("Training mean ÷ test output", f"{movie.train_mean_ratio:.2f}",
             help=f"mean |h_t| averaged over {rnn_demo.MC_MASKS} mask draws, divided by mean |h_t| without dropout "
                  "(the test-time rule). It would be 1 if the identity at test time reproduced the training mean. "
                  "Inverted masks keep the mean only before a linear map: a mask's 1/(1−p) inside tanh(c) gives "
                  "E[tanh(m·c)] = (1−p)·tanh(c/(1−p)) ≠ tanh(c) (naive, RNNDrop), and masks on x, h or g pass "
                  "through the gates' σ and tanh too, so every schedule is off; naive's erased memory most. DropViz "
                  "shows the measured mismatch rather than hiding it.")
    st.caption("Press ▶ Play or drag the time slider. Left: the LSTM cell, masked wires in red, and the tracked "
               "units' mask at step t. Right: the masks (future steps veiled) and the tracked cells with the mask "
               "(solid) and without (dashed), same weights, same input: a strong symbol at t = 0, then weak noise. "
               "The tracked cells are those the symbol wrote most under this mask: does what was stored stay? "
               "cos(c_t, c_0) compares the whole cell state with the one stored at t = 0: 1 while it is intact, "
               "0 once nothing of it is left, negative when the opposite pattern replaced it.")


movie_panel()


@st.fragment
def embedding_panel() -> None:
    m = methods.get("embedding")
    st.subheader(f"{m.name}: drop word types, not word occurrences")
    st.markdown(f"{m.summary} Gal & Ghahramani mask rows of the embedding matrix once per sequence.")
    ui.plot(ui.figure(figs.embedding_figure, rnn_demo.embedding_demo, p=p, seed=seed, device=device), key="embedding")
    st.caption("Blue: kept, grey: dropped. Within a row the same word is dropped at every occurrence; "
               "another sequence draws its own mask.")


embedding_panel()

ui.show_claims(p=p, seed=seed, steps=steps,
               hidden=hidden, device=device)
