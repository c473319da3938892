"""Compression by variational dropout (Molchanov, Ashukha & Vetrov 2017): a dropout rate learned per weight."""

import streamlit as st

from dropviz import claims, ui
from dropviz.claims import bayesian as cl
from dropviz.demos import bayesian as demo
from dropviz.figures import bayesian as figs
from dropviz.i18n import _, fmt
from dropviz.layers import bayesian as bl
from dropviz.train import bayesian as tb

ui.app_shell()

st.title(_("Compression by variational dropout"))
ui.prose("intro", kl_max=f"{tb.SparseVDConfig.kl_max:g}")
ui.plot(figs.kl_figure(ui.compute(demo.kl_curve)), key="kl")
seed, device = ui.seed(), ui.device()
epochs = ui.bound_slider(_("Epochs (dense baseline, then Sparse VD from its weights)"), 20, 150,
                         tb.SparseVDConfig.epochs, 10, key="epochs")
cfg = tb.SparseVDConfig(epochs=epochs, seed=seed, device=device)
result = ui.trained_or_button(tb.run_sparsevd, cfg, tb.SparseVDConfig(device=device),
                           what=_("64-300-100-10 MLP, dense then Sparse VD"), key="train-svd")
if result is not None:
    threshold = ui.bound_slider(_("Prune where log α >"), -8.0, 8.0, bl.THRESHOLD, 0.25, key="threshold",
                                help=_("log α is clipped to [−8, 8]; at 8 nothing is pruned."))
    now = demo.prune(result, threshold)
    a, b, c = st.columns(3)
    a.metric(_("weights removed"), f"{fmt(100 * now.sparsity, 1)}%",
             help=_("{kept} of {total} kept").format(kept=fmt(sum(now.kept), 0), total=fmt(sum(now.total), 0)))
    b.metric(_("fewer weights"), f"{now.compression:.0f}×")
    delta = (now.accuracy - now.dense_accuracy) * 100
    c.metric(_("validation accuracy"), fmt(now.accuracy, 3),
             # TRANSLATORS: keep {delta} first: Streamlit colours the delta by its leading sign.
             _("{delta} points vs dense").format(delta=("+" if delta >= 0 else "-") + fmt(abs(delta), 1)))
    ui.plot(figs.sweep_figure(demo.sweep(result), now), key="sweep")
    ui.plot(figs.log_alpha_figure(result.log_alphas, threshold), key="log-alpha")
    st.markdown(_("**The weight matrices** (θ, blue positive, red negative; pruned weights blank):"))
    ui.plot(figs.weights_figure(result.thetas, result.log_alphas, threshold), key="weights")
    pixels, digit = st.columns([1, 1])
    with pixels:
        ui.plot(figs.input_pixels_figure(result.log_alphas, threshold), key="pixels")
    digit.markdown(_("Which input pixels does the pruned network still read? Each 8 × 8 cell counts the first "
                     "layer's kept weights from that pixel. Pixels that are rarely inked (the digits' left and right "
                     "edges) carry nothing about the class, and Sparse VD removes all their weights."))
    st.markdown(_("**Training** (Sparse VD phase; the KL weight ramps from 0 to ×{kl_max}):").format(
        kl_max=f"{result.config.kl_max:g}"))
    ui.plot(figs.history_figure(result.history), key="history")
    st.caption(
        _("Trained in {seconds} s on {n_train} digits, validated on {n_val}. The paper's LeNet-300-100 on MNIST "
          "({n_mnist} images of 28 × 28) keeps {kept}% of its weights (68× fewer) at {err}% error vs {err_dense}% "
          "dense. Here the inputs are 8 × 8, the net keeps about 5% of its weights and loses at most a third of a "
          "point on seeds 0–7 (KL weight ×{kl_max} after a warm-up over epochs {w0}–{w1}).").format(
            seconds=fmt(result.seconds, 1), n_train=fmt(1197, 0), n_val=600, n_mnist=fmt(60000, 0), kept=fmt(1.5, 1),
            err=fmt(1.92, 2), err_dense=fmt(1.64, 2), kl_max=f"{result.config.kl_max:g}", w0=result.config.warmup[0],
            w1=result.config.warmup[1])
    )
    ui.show_claim_results([claims.get("sparsevd.prunes_most_weights").result(cl.prune_measurement(result))])
ui.show_claim_results([ui.compute(claims.run, claim_id="sparsevd.kl_approximation")])
