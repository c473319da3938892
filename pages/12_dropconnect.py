"""DropConnect: per-example weight masks, and which test-time rule gets the expectation right."""

import streamlit as st

from dropviz import i18n, methods, ui
from dropviz.claims.dense import MIN_TERMS_FOR_CLT
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs
from dropviz.i18n import _

ui.app_shell()

ui.method_header(methods.get("dropconnect"), intro=i18n.prose("dropconnect", "intro"))
seed, device = ui.seed(), ui.device()
p, n_in, n_out = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider(_("Inputs (in)"), 8, 128, 64, 8, key="inputs"),
    lambda: ui.bound_slider(_("Outputs (out)"), 4, 32, 16, 1, key="outputs"),
    widths=[2, 1, 1],
)

st.subheader(_("Weight masks: DropConnect vs dropout"))
base = ui.compute(dense_demo.dropconnect_demo, p=p, seed=seed, in_features=n_in, out_features=n_out, device=device)
ui.plot(figs.dropconnect_masks_figure(base), key="masks")
st.caption(_("Top: DropConnect draws a new out × in mask for each example. Bottom: dropout on the outputs "
             "zeroes whole rows. Bright cells hold 1/(1−p) (inverted scaling), dark cells are dropped."))


@st.fragment
def inference_panel() -> None:
    st.subheader(_("At test time: three ways to compute E[relu(u)]"))
    n_gauss = ui.bound_slider(_("Gaussian samples Z per unit"), 1, 2000, 1000, 1, key="Z",
                              help=_("The paper samples the moment-matched Gaussian Z times and averages."))
    d = ui.compute(dense_demo.dropconnect_demo, p=p, seed=seed, in_features=n_in, out_features=n_out,
                   n_gauss=n_gauss, device=device)
    ui.plot(figs.dropconnect_inference_figure(d), key="inference")
    m1, m2, m3 = st.columns(3)
    m1.metric(_("Weight scaling error"), figs.num(d.err_weight_scaling, ".4f"),
              help=_("mean |relu(Wv+b) − MC reference|"))
    m2.metric(_("Gaussian moment matching error"), figs.num(d.err_gaussian, ".4f"),
              help=_("mean |average of relu(N(μ, σ²)) samples − MC reference|"))
    kept = (1 - p) * n_in
    m3.metric(_("Surviving weights per unit"), figs.num(kept, ".1f"), help=_("(1−p)·in, on average"))
    ui.prose("moment_matching", page="dropconnect")
    if 0 < min(p, 1 - p) * n_in < MIN_TERMS_FOR_CLT:
        few = figs.num(min(p, 1 - p) * n_in, ".1f")
        st.info(i18n.prose("dropconnect", "few_survive" if p > 0.5 else "few_dropped", n=few),
                icon=":material/info:")
    ui.show_claims(p=p, seed=seed, in_features=n_in,
                   out_features=n_out, n_gauss=n_gauss, device=device)


inference_panel()
