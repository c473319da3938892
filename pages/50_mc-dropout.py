"""Monte Carlo dropout (Gal & Ghahramani 2016): dropout kept on at test time as an estimate of uncertainty."""

import streamlit as st

from dropviz import claims, ui
from dropviz.claims import bayesian as cl
from dropviz.demos import bayesian as demo
from dropviz.figures import bayesian as figs
from dropviz.i18n import _, fmt
from dropviz.train import bayesian as tb

ui.app_shell()

st.title(_("Monte Carlo dropout"))
ui.prose("intro")
seed, device = ui.seed(), ui.device()

st.subheader(_("Regression with a gap in the data"))
p, passes = ui.controls(
    lambda: ui.p_slider(default=tb.RegressionConfig.p, lo=0.05, hi=0.5, step=0.05),
    lambda: ui.bound_slider(_("Stochastic passes T"), demo.T_LIMITS[0], demo.T_LIMITS[1], 50, 1, key="T",
                            help=_("The network is trained once; T only changes how many passes are averaged.")),
)
cfg = tb.RegressionConfig(p=p, seed=seed, device=device)
reg = ui.trained_or_button(tb.run_regression, cfg, tb.RegressionConfig(device=device), what=_("regression net"),
                        key="train-reg")
if reg is None:
    ui.plot(figs.data_figure(*ui.compute(tb.regression_data, n=cfg.n, seed=seed)), key="data")
else:
    view = demo.regression_view(reg, int(passes))  # a slider value (an integral float in some front ends)
    ui.plot(figs.regression_figure(view, reg.x_train, reg.y_train), key="regression")
    st.caption(
        _("A 2 × {width} ReLU MLP with dropout p = {p} after each hidden layer, {steps} Adam steps on {n} points "
          "({seconds} s). Predictive variance = σ²_noise + (1/T)Σ ŷ_t² − ȳ². The observation noise is **estimated** "
          "from the training residuals of the MC mean: σ²_noise = {noise} (the data's true noise is {true_noise}). "
          "Gal's τ = (1−p)·l²/(2Nλ) would give τ⁻¹ = {tau_inv} at length-scale l = 1 and weight decay λ = {wd}: it "
          "depends on a prior length-scale nobody knows here, so it is only shown.").format(
            width=cfg.width, p=fmt(p, 2), steps=fmt(cfg.steps, 0), n=cfg.n, seconds=fmt(reg.seconds, 1),
            noise=fmt(reg.noise_var, 4), true_noise=fmt(tb.NOISE_STD ** 2, 4), tau_inv=fmt(1 / reg.tau_gal, 4),
            wd=fmt(cfg.weight_decay, 6))
        + " " + (_("At T = {t}, the spread in the gap is **{ratio}×** that on the data.").format(
            t=int(passes), ratio=fmt(view.ratio(), 1)) if passes > 1 else
            _("At T = 1 there is one pass and no spread: move the T slider."))
    )
    ui.show_claim_results([claims.get("mc.uncertainty_higher_off_data").result(cl.gap_measurement(reg))])

st.subheader(_("Digits: what the model has never seen"))
ui.prose("digits", passes=tb.T_DIGITS)
dcfg = tb.DigitsConfig(seed=seed, device=device)
dig = ui.trained_or_button(tb.run_digits, dcfg, tb.DigitsConfig(device=device), what=_("digits net"),
                          key="train-digits")
if dig is not None:
    ui.plot(figs.digits_strip(dig.ood_images), key="ood-examples")
    ui.plot(figs.uncertainty_figure(demo.uncertainty(dig)), key="uncertainty")
    single = demo.reliability(dig.val.single_probs, dig.labels)
    mc = demo.reliability(dig.val.mean_probs, dig.labels)
    st.markdown(_("**Calibration** (reliability diagram, 10 confidence bins): accuracy {single} for one pass, "
                  "{mc} for the MC average.").format(single=fmt(single.accuracy_all, 3), mc=fmt(mc.accuracy_all, 3)))
    ui.plot(figs.reliability_figure(single, mc), key="reliability")
    ui.show_claim_results([claims.get("mc.ood_entropy_higher").result(cl.ood_measurement(dig)),
                           claims.get("mc.better_calibrated").result(cl.calibration_measurement(dig))])
