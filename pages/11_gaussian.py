"""Bernoulli vs Gaussian dropout masks: same mean, same variance, different shape."""

import streamlit as st

from dropviz import i18n, masks, methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs
from dropviz.i18n import _, ngettext

ui.app_shell()

ui.method_header(methods.get("gaussian"), intro=i18n.prose("gaussian", "intro"))
seed, device = ui.seed(), ui.device()
p, rows, cols = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider(_("Examples (rows)"), 1, 32, 8, 1, key="rows"),
    lambda: ui.bound_slider(_("Units (columns)"), 2, 64, 16, 1, key="cols"),
    widths=[2, 1, 1],
)

args = dict(p=p, seed=seed, batch=rows, units=cols, n=dense_demo.QUICK_DRAWS, device=device)  # the claims' n
mp = ui.compute(dense_demo.mask_pair, **args)
st.subheader(_("The two masks, same shape, same p, same seed"))
ui.plot(ui.figure(figs.mask_pair_figure, dense_demo.mask_pair, **args), key="masks")
if mp.gaussian_negative > 0:
    st.info(i18n.prose("gaussian", "sign_flip", p=figs.num(p, "g"), std=figs.num(masks.gaussian_std(p), ".3g"),
                       negative=figs.num(mp.gaussian_negative, ".1%"), n=i18n.fmt(mp.n, 0),
                       theory=figs.num(mp.theory_negative, ".1%")),
            icon=":material/swap_vert:")

st.subheader(_("Distribution of mask values"))
left, right = st.columns([3, 2])
with left:
    ui.plot(ui.figure(figs.mask_histogram_figure, dense_demo.mask_pair, **args), key="hist")
with right:
    theory_std = masks.gaussian_std(p)
    st.table(
        {
            "": [_("mean"), _("variance"), _("std")],
            "Bernoulli": [figs.num(v, ".4f") for v in (mp.bernoulli_mean, mp.bernoulli_var, mp.bernoulli_var**0.5)],
            _("Gaussian"): [figs.num(v, ".4f") for v in (mp.gaussian_mean, mp.gaussian_var, mp.gaussian_var**0.5)],
            _("Theory"): [figs.num(v, ".4f") for v in (1.0, mp.theory_var, theory_std)],
        },
        hide_index=True,
    )
    st.caption(ngettext("Bernoulli and Gaussian columns are measured over {n} draw of each mask. "
                        "At p = 1 DropViz drops the layer (zeros): the Gaussian's variance would be infinite.",
                        "Bernoulli and Gaussian columns are measured over {n} draws of each mask. "
                        "At p = 1 DropViz drops the layer (zeros): the Gaussian's variance would be infinite.",
                        mp.n).format(n=i18n.fmt(mp.n, 0)))
    st.warning(i18n.prose("gaussian", "common_error", pq=figs.num(p * (1 - p), ".3g"), std=figs.num(theory_std, ".3g")),
               icon=":material/error:")

ui.show_claims(p=p, seed=seed, device=device)
