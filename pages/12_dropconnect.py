"""DropConnect: per-example weight masks, and which test-time rule gets the expectation right."""

import streamlit as st

from dropviz import methods, ui
from dropviz.claims.dense import MIN_TERMS_FOR_CLT
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs

ui.app_shell()

ui.method_header(
    methods.get("dropconnect"),
    "DropConnect masks individual **weights** (and biases): every example in the batch gets its own "
    "out × in mask, so every output unit sees a different subset of the inputs. Dropout on a layer's outputs "
    "is the special case that masks whole rows of W.",
)
seed, device = ui.seed(), ui.device()
p, n_in, n_out = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider("Inputs (in)", 8, 128, 64, 8, key="inputs"),
    lambda: ui.bound_slider("Outputs (out)", 4, 32, 16, 1, key="outputs"),
    widths=[2, 1, 1],
)

st.subheader("Weight masks: DropConnect vs dropout")
base = ui.compute(dense_demo.dropconnect_demo, p=p, seed=seed, in_features=n_in, out_features=n_out, device=device)
ui.plot(figs.dropconnect_masks_figure(base), key="masks")
st.caption("Top: DropConnect draws a new out × in mask for each example. Bottom: dropout on the outputs "
           "zeroes whole rows. Bright cells hold 1/(1−p) (inverted scaling), dark cells are dropped.")


@st.fragment
def inference_panel() -> None:
    st.subheader("At test time: three ways to compute E[relu(u)]")
    n_gauss = ui.bound_slider("Gaussian samples Z per unit", 1, 2000, 1000, 1, key="Z",
                              help="The paper samples the moment-matched Gaussian Z times and averages.")
    d = ui.compute(dense_demo.dropconnect_demo, p=p, seed=seed, in_features=n_in, out_features=n_out,
                   n_gauss=n_gauss, device=device)
    ui.plot(figs.dropconnect_inference_figure(d), key="inference")
    m1, m2, m3 = st.columns(3)
    m1.metric("Weight scaling error", f"{d.err_weight_scaling:.4f}", help="mean |relu(Wv+b) − MC reference|")
    m2.metric("Gaussian moment matching error", f"{d.err_gaussian:.4f}",
              help="mean |average of relu(N(μ, σ²)) samples − MC reference|")
    kept = (1 - p) * n_in
    m3.metric("Surviving weights per unit", f"{kept:.1f}", help="(1−p)·in, on average")
    st.markdown(
        "Weight scaling computes relu(E[u]), but the training-time network produced E[relu(u)]: for a "
        "non-linear activation these differ (Jensen). Moment matching models u as N(μ, σ²) with "
        "μ = Wv + b and σ² = p/(1−p)·((W⊙W)(v⊙v) + b²) and averages relu over samples."
    )
    if 0 < min(p, 1 - p) * n_in < MIN_TERMS_FOR_CLT:
        st.info(f"Only {min(p, 1 - p) * n_in:.1f} weights {'survive' if p > 0.5 else 'are dropped'} per unit on "
                "average: u is a sum of too few random terms to look Gaussian, so moment matching loses its "
                "footing. Try a p nearer 1/2 or more inputs.",
                icon=":material/info:")
    ui.show_claims(p=p, seed=seed, in_features=n_in,
                   out_features=n_out, n_gauss=n_gauss, device=device)


inference_panel()
