"""Weight normalization (Salimans & Kingma 2016): w = g·v/‖v‖, what g is for and why it speeds training."""

import streamlit as st

from dropviz import claims, ui
from dropviz.claims import bayesian as cl
from dropviz.demos import bayesian as demo
from dropviz.figures import bayesian as figs
from dropviz.i18n import _, fmt
from dropviz.train import bayesian as tb

ui.app_shell()

st.title(_("Weight normalization"))
ui.prose("intro")
a, b, c, d = ui.controls(
    lambda: ui.bound_slider(_("v, first coordinate"), -2.0, 2.0, 1.5, 0.1, key="v1"),
    lambda: ui.bound_slider(_("v, second coordinate"), -2.0, 2.0, 0.5, 0.1, key="v2"),
    lambda: ui.bound_slider(_("length g"), 0.1, 3.0, 1.0, 0.1, key="g"),
    lambda: ui.bound_slider(_("target angle (degrees)"), 0, 359, 120, 1, key="angle"),
)
if a == 0 and b == 0:
    st.warning(_("v = (0, 0) has no direction; showing v = (1, 0)."), icon=":material/warning:")
    a = 1.0
pic = ui.compute(demo.weight_norm_picture, v=(a, b), g=c, target=demo.target_at(d))
ui.plot(figs.weight_norm_figure(pic), key="picture")
st.markdown(_("Loss ½‖w − w*‖². ∇_v L · v = **{dot}** (orthogonal), ∇_g L = {grad_g}, ‖v‖ = {norm}.").format(
    dot=f"{float(pic.grad_v @ pic.v):.2e}", grad_g=fmt(pic.grad_g, 4), norm=fmt(float((pic.v ** 2).sum() ** 0.5), 3)))

st.subheader(_("‖v‖ grows under SGD"))
growth = ui.compute(demo.norm_growth, seed=ui.seed())
ui.plot(figs.norm_growth_figure(growth), key="growth")
st.caption(_("A weight-normalized linear layer (8 → 4) fitted by SGD: ‖v‖ goes from {start} to {end}, never down; "
             "the largest |cos(∇_v L, v)| over all steps is {cos}.").format(
    start=fmt(growth.norms[0], 3), end=fmt(growth.norms[-1], 3), cos=f"{growth.cosines.max():.1e}"))
ui.show_claim_results([ui.compute(claims.run, claim_id=cid) for cid in
                       ("weightnorm.grad_v_orthogonal", "weightnorm.matches_torch_parametrization")])

st.subheader(_("Training: plain vs weight norm vs weight norm with data-dependent init"))
st.markdown(_("The data-dependent init draws v ~ N(0, 0.05²) and sets g = 1/σ[t], b = −μ[t]/σ[t] from one batch, so "
              "every layer starts with pre-activations of mean 0 and std 1."))
cfg = tb.WeightNormConfig(seed=ui.seed(), device=ui.device())
result = ui.trained_or_button(tb.run_weightnorm, cfg, tb.WeightNormConfig(device=ui.device()), what=_("three nets"),
                           key="train-wn")
if result is not None:
    ui.plot(figs.convergence_figure(result), key="convergence")
    steps_col = _("steps to loss < {target}").format(target=fmt(cfg.target, 2))
    st.dataframe([{_("variant"): _(v), steps_col: s if s is not None else f"> {cfg.steps}",
                   _("final loss (last 20 steps)"): round(float(row[-20:].mean()), 4)}
                  for v, s, row in zip(tb.WN_VARIANTS, result.steps_to_target(), result.losses, strict=True)],
                 hide_index=True)
    st.caption(_("Steps counted on the mean of the last 20 minibatch losses, so 20 is the earliest possible."))
    ui.show_claim_results([claims.get("weightnorm.faster_convergence").result(cl.convergence_measurement(result))])
