"""Standard dropout: a new thinned network every iteration, classic vs inverted scaling, one unit's spread."""

import streamlit as st

from dropviz import i18n, methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs
from dropviz.i18n import _

ui.app_shell()

ui.method_header(methods.get("standard"), intro=i18n.prose("standard", "intro"))
seed, device = ui.seed(), ui.device()
p, p_in = ui.controls(
    lambda: ui.p_slider(_("Hidden-layer drop probability p")),
    lambda: ui.p_slider(_("Input drop probability"), key="p_in", default=0.2,
                       help=_("Srivastava et al. keep inputs with probability 0.8, i.e. drop 0.2.")),
)

st.subheader(_("1 · A new thinned network every iteration"))


@st.fragment
def network_panel() -> None:
    iters, hidden = ui.controls(
        lambda: ui.bound_slider(_("Training iterations to animate"), 5, 40, 12, 1, key="iters"),
        lambda: ui.bound_slider(_("Units per hidden layer"), 3, 10, 7, 1, key="hidden"),
    )
    ui.plot(ui.figure(figs.network_figure, dense_demo.network_masks, layer_sizes=(5, hidden, hidden, 3), p_input=p_in,
                      p_hidden=p, n_frames=iters, seed=seed, device=device), key="network")
    st.caption(_("Press ▶ Play, or drag the iteration slider. Open circles with a cross are dropped units; "
                 "their connections fall back to light grey."))


network_panel()

st.subheader(_("2 · Train vs test: classic and inverted dropout"))
ui.plot(ui.figure(figs.train_test_figure, dense_demo.train_test, p=p, seed=seed, device=device), key="train_test")
st.caption(_("Both panels share one y-scale. At large p an inverted training pass holds a/(1−p), far above the "
             "rest: such a bar is cut at the top and labelled with its value (↑)."))
ui.prose("classic_vs_inverted")

st.subheader(_("3 · One unit's output over many masks"))
uo = ui.compute(dense_demo.unit_output, p=p, seed=seed, device=device)
ui.plot(ui.figure(figs.unit_output_figure, dense_demo.unit_output, p=p, seed=seed, device=device), key="unit_output")
m1, m2, m3 = st.columns(3)
m1.metric(_("No-dropout value w·a"), figs.num(uo.no_dropout, ".3f"))
m2.metric(_("Mean over masks"), figs.num(uo.mean, ".3f"),
          _("{delta} from no dropout").format(delta=figs.num(uo.mean - uo.no_dropout, "+.3f")),
          delta_color="off", delta_arrow="off")
m3.metric(_("Std over masks"), figs.num(uo.std, ".3f"), _("theory {std}").format(std=figs.num(uo.theory_std, ".3f")),
          delta_color="off", delta_arrow="off")
st.caption(_("Theory: Var[z] = p/(1−p) · Σᵢ wᵢ² aᵢ². Dropout keeps the mean and adds this much noise."))

ui.show_claims(p=p, seed=seed, device=device)
