"""Standard dropout: a new thinned network every iteration, classic vs inverted scaling, one unit's spread."""

import streamlit as st

from dropviz import methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs

ui.app_shell()

ui.method_header(
    methods.get("standard"),
    "Each training iteration samples a *thinned* network: every unit survives with probability 1 − p, "
    "independently, and a fresh mask is drawn next iteration. The output layer is never dropped.",
)
seed, device = ui.seed(), ui.device()
p, p_in = ui.controls(
    lambda: ui.p_slider("Hidden-layer drop probability p"),
    lambda: ui.p_slider("Input drop probability", key="p_in", default=0.2,
                       help="Srivastava et al. keep inputs with probability 0.8, i.e. drop 0.2."),
)

st.subheader("1 · A new thinned network every iteration")


@st.fragment
def network_panel() -> None:
    iters, hidden = ui.controls(
        lambda: ui.bound_slider("Training iterations to animate", 5, 40, 12, 1, key="iters"),
        lambda: ui.bound_slider("Units per hidden layer", 3, 10, 7, 1, key="hidden"),
    )
    ui.plot(ui.figure(figs.network_figure, dense_demo.network_masks, layer_sizes=(5, hidden, hidden, 3), p_input=p_in,
                      p_hidden=p, n_frames=iters, seed=seed, device=device), key="network")
    st.caption("Press ▶ Play, or drag the iteration slider. Open circles with a cross are dropped units; "
               "their connections fall back to light grey.")


network_panel()

st.subheader("2 · Train vs test: classic and inverted dropout")
ui.plot(ui.figure(figs.train_test_figure, dense_demo.train_test, p=p, seed=seed, device=device), key="train_test")
st.caption("Both panels share one y-scale. At large p an inverted training pass holds a/(1−p), far above the "
           "rest: such a bar is cut at the top and labelled with its value (↑).")
st.markdown(
    "Classic dropout (Srivastava et al.) trains on the unscaled masked activations and multiplies by 1 − p at "
    "test time; inverted dropout divides the survivors by 1 − p during training and leaves test time alone. "
    "The two compute the same function up to that constant: in each, the **mean** of the training passes "
    "(dark blue) lands on the test-time output (orange)."
)

st.subheader("3 · One unit's output over many masks")
uo = ui.compute(dense_demo.unit_output, p=p, seed=seed, device=device)
ui.plot(ui.figure(figs.unit_output_figure, dense_demo.unit_output, p=p, seed=seed, device=device), key="unit_output")
m1, m2, m3 = st.columns(3)
m1.metric("No-dropout value w·a", f"{uo.no_dropout:.3f}")
m2.metric("Mean over masks", f"{uo.mean:.3f}", f"{uo.mean - uo.no_dropout:+.3f} from no dropout",
          delta_color="off", delta_arrow="off")
m3.metric("Std over masks", f"{uo.std:.3f}", f"theory {uo.theory_std:.3f}", delta_color="off", delta_arrow="off")
st.caption("Theory: Var[z] = p/(1−p) · Σᵢ wᵢ² aᵢ². Dropout keeps the mean and adds this much noise.")

ui.show_claims(p=p, seed=seed, device=device)
