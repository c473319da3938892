"""Compression by variational dropout (Molchanov, Ashukha & Vetrov 2017): a dropout rate learned per weight."""

import streamlit as st

from dropviz import claims, ui
from dropviz.claims import bayesian as cl
from dropviz.demos import bayesian as demo
from dropviz.figures import bayesian as figs
from dropviz.layers import bayesian as bl
from dropviz.train import bayesian as tb

ui.app_shell()

st.title("Compression by variational dropout")
st.markdown(
    "Sparse variational dropout (Molchanov, Ashukha & Vetrov 2017) gives **every weight its own Gaussian dropout "
    "rate**: w = θ + σ·ε, so w ~ N(θ, αθ²) with log α = log σ² − log θ² (the *additive* reparameterisation: the "
    "gradient in θ is not swamped by the noise). Training maximises the data fit minus a KL term toward a "
    "log-uniform prior, with the paper's approximation "
    "−KL ≈ k1·σ(k2 + k3·log α) − 0.5·log(1 + 1/α) − k1 (k1 = 0.63576, k2 = 1.87320, k3 = 1.48695), which "
    "rewards large α. A weight with **log α > 3** (α > 20, a Bernoulli drop rate above 0.95) carries only noise: "
    "it is **pruned**. Training uses the local reparameterisation trick (one noise draw per pre-activation), "
    "a KL warm-up, and leaves out weights beyond the threshold as the authors' code does. θ starts from the dense "
    "baseline's weights (the paper fine-tunes pretrained nets). The KL is weighted per example as in the paper's "
    f"MNIST runs: ×{tb.SparseVDConfig.kl_max:g} ≈ 1,197 / 60,000, because we have 50× fewer training examples. "
    "At the full weight (the variational bound itself) 99% of the weights go and 1-3 points of accuracy with them."
)
ui.plot(figs.kl_figure(ui.compute(demo.kl_curve)), key="kl")
seed, device = ui.seed(), ui.device()
epochs = ui.bound_slider("Epochs (dense baseline, then Sparse VD from its weights)", 20, 150,
                         tb.SparseVDConfig.epochs, 10, key="epochs")
cfg = tb.SparseVDConfig(epochs=epochs, seed=seed, device=device)
result = ui.trained_or_button(tb.run_sparsevd, cfg, tb.SparseVDConfig(device=device),
                           what="64-300-100-10 MLP, dense then Sparse VD", key="train-svd")
if result is not None:
    threshold = ui.bound_slider("Prune where log α >", -8.0, 8.0, bl.THRESHOLD, 0.25, key="threshold",
                                help="log α is clipped to [−8, 8]; at 8 nothing is pruned.")
    now = demo.prune(result, threshold)
    a, b, c = st.columns(3)
    a.metric("weights removed", f"{now.sparsity:.1%}", help=f"{sum(now.kept):,} of {sum(now.total):,} kept")
    b.metric("fewer weights", f"{now.compression:.0f}×")
    c.metric("validation accuracy", f"{now.accuracy:.3f}", f"{(now.accuracy - now.dense_accuracy) * 100:+.1f} "
             "points vs dense")
    ui.plot(figs.sweep_figure(demo.sweep(result), now), key="sweep")
    ui.plot(figs.log_alpha_figure(result.log_alphas, threshold), key="log-alpha")
    st.markdown("**The weight matrices** (θ, blue positive, red negative; pruned weights blank):")
    ui.plot(figs.weights_figure(result.thetas, result.log_alphas, threshold), key="weights")
    pixels, digit = st.columns([1, 1])
    with pixels:
        ui.plot(figs.input_pixels_figure(result.log_alphas, threshold), key="pixels")
    digit.markdown("Which input pixels does the pruned network still read? Each 8 × 8 cell counts the first "
                   "layer's kept weights from that pixel. Pixels that are rarely inked (the digits' left and right "
                   "edges) carry nothing about the class, and Sparse VD removes all their weights.")
    st.markdown("**Training** (Sparse VD phase; the KL weight ramps from 0 to 1):")
    ui.plot(figs.history_figure(result.history), key="history")
    st.caption(
        f"Trained in {result.seconds:.1f} s on 1,197 digits, validated on 600. The paper's LeNet-300-100 on MNIST "
        "(60,000 images of 28 × 28) keeps 1.5% of its weights (68× fewer) at 1.92% error vs 1.64% dense. Here the "
        "inputs are 8 × 8, the net keeps about 5% of its weights and loses at most a third of a point on seeds 0-7 "
        f"(KL weight ×{result.config.kl_max:g} after a warm-up over epochs {result.config.warmup[0]}-"
        f"{result.config.warmup[1]})."
    )
    ui.show_claim_results([claims.get("sparsevd.prunes_most_weights").result(cl.prune_measurement(result))])
ui.show_claim_results([ui.compute(claims.run, claim_id="sparsevd.kl_approximation")])
