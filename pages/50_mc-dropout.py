"""Monte Carlo dropout (Gal & Ghahramani 2016): dropout kept on at test time as an estimate of uncertainty."""

import streamlit as st

from dropviz import claims, ui
from dropviz.claims import bayesian as cl
from dropviz.demos import bayesian as demo
from dropviz.figures import bayesian as figs
from dropviz.train import bayesian as tb

ui.app_shell()

st.title("Monte Carlo dropout")
st.markdown(
    "Gal & Ghahramani (2016), *Dropout as a Bayesian Approximation*: a network trained with dropout is an "
    "approximate Bayesian model. Keep dropout **on at test time**, run **T passes** with fresh masks and read the "
    "spread of the answers as the model's uncertainty. Only the dropout modules sample; BatchNorm, if any, stays "
    "in eval (`model.train()` would switch it to batch statistics). Gal's p is the *keep* probability; ours is "
    "the drop probability."
)
seed, device = ui.seed(), ui.device()

st.subheader("Regression with a gap in the data")
p, passes = ui.controls(
    lambda: ui.p_slider(default=tb.RegressionConfig.p, lo=0.05, hi=0.5, step=0.05),
    lambda: ui.bound_slider("Stochastic passes T", demo.T_LIMITS[0], demo.T_LIMITS[1], 50, 1, key="T",
                            help="The network is trained once; T only changes how many passes are averaged."),
)
cfg = tb.RegressionConfig(p=p, seed=seed, device=device)
reg = ui.trained_or_button(tb.run_regression, cfg, tb.RegressionConfig(device=device), what="regression net",
                        key="train-reg")
if reg is None:
    ui.plot(figs.data_figure(*ui.compute(tb.regression_data, n=cfg.n, seed=seed)), key="data")
else:
    view = demo.regression_view(reg, int(passes))  # a slider value (an integral float in some front ends)
    ui.plot(figs.regression_figure(view, reg.x_train, reg.y_train), key="regression")
    st.caption(
        f"A 2 × {cfg.width} ReLU MLP with dropout p = {p:g} after each hidden layer, {cfg.steps:,} Adam steps on "
        f"{cfg.n} points ({reg.seconds:.1f} s). Predictive variance = σ²_noise + (1/T)Σ ŷ_t² − ȳ². The observation "
        f"noise is **estimated** from the training residuals of the MC mean: σ²_noise = {reg.noise_var:.4f} (the "
        f"data's true noise is {tb.NOISE_STD ** 2:.4f}). Gal's τ = (1−p)·l²/(2Nλ) would give τ⁻¹ = "
        f"{1 / reg.tau_gal:.4f} at length-scale l = 1 and weight decay λ = {cfg.weight_decay:g}: it depends on a "
        f"prior length-scale nobody knows here, so it is only shown. "
        + (f"At T = {passes}, the spread in the gap is **{view.ratio():.1f}×** that on the data." if passes > 1 else
           "At T = 1 there is one pass and no spread: move the T slider.")
    )
    ui.show_claim_results([claims.get("mc.uncertainty_higher_off_data").result(cl.gap_measurement(reg))])

st.subheader("Digits: what the model has never seen")
st.markdown(
    "The same idea on scikit-learn's digits (an MLP with dropout p = 0.1, 300 training digits, 100 epochs, "
    f"{tb.T_DIGITS} passes per input). **Predictive entropy** H[p̄] of the averaged probabilities is high when "
    "the model is unsure; the **mutual information** H[p̄] − mean H[p_t] (BALD) is the part due to the passes "
    "disagreeing (the model's own uncertainty), zero when every pass says the same. It is not a guaranteed "
    "detector: far from the data a ReLU net can be confidently wrong (Hein et al. 2019). At some seeds a whole OOD "
    "kind gets a *lower* entropy than the test digits (seed 4: rotated digits and cat patches; seed 2: cat "
    "patches), so the claim below is about the mutual information of all OOD inputs taken together, which stays "
    "well above the test digits' on seeds 0-7 (2× at seed 4, 8-28× elsewhere)."
)
dcfg = tb.DigitsConfig(seed=seed, device=device)
dig = ui.trained_or_button(tb.run_digits, dcfg, tb.DigitsConfig(device=device), what="digits net", key="train-digits")
if dig is not None:
    ui.plot(figs.digits_strip(dig.ood_images), key="ood-examples")
    ui.plot(figs.uncertainty_figure(demo.uncertainty(dig)), key="uncertainty")
    single = demo.reliability(dig.val.single_probs, dig.labels)
    mc = demo.reliability(dig.val.mean_probs, dig.labels)
    st.markdown(f"**Calibration** (reliability diagram, 10 confidence bins): accuracy {single.accuracy_all:.3f} "
                f"for one pass, {mc.accuracy_all:.3f} for the MC average.")
    ui.plot(figs.reliability_figure(single, mc), key="reliability")
    ui.show_claim_results([claims.get("mc.ood_entropy_higher").result(cl.ood_measurement(dig)),
                           claims.get("mc.better_calibrated").result(cl.calibration_measurement(dig))])
