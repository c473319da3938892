"""Bernoulli vs Gaussian dropout masks: same mean, same variance, different shape."""

import streamlit as st

from dropviz import masks, methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs

ui.app_shell()

ui.method_header(
    methods.get("gaussian"),
    "Gaussian dropout multiplies every activation by noise drawn from N(1, σ²) with σ² = p/(1−p): "
    "exactly the mean and variance of the inverted Bernoulli mask, but nothing is ever fully switched off.",
)
seed, device = ui.seed(), ui.device()
p, rows, cols = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider("Examples (rows)", 1, 32, 8, 1, key="rows"),
    lambda: ui.bound_slider("Units (columns)", 2, 64, 16, 1, key="cols"),
    widths=[2, 1, 1],
)

args = dict(p=p, seed=seed, batch=rows, units=cols, n=dense_demo.QUICK_DRAWS, device=device)  # the claims' n
mp = ui.compute(dense_demo.mask_pair, **args)
st.subheader("The two masks, same shape, same p, same seed")
ui.plot(ui.figure(figs.mask_pair_figure, dense_demo.mask_pair, **args), key="masks")
if mp.gaussian_negative > 0:
    st.info(f"**Gaussian dropout can flip a value's sign.** At p = {p:g} the mask has standard deviation "
            f"{masks.gaussian_std(p):.3g}, so {mp.gaussian_negative:.1%} of its {mp.n:,} draws are below 0 "
            f"(theory: P(N(1, σ²) < 0) = {mp.theory_negative:.1%}). Each such value turns a positive x negative "
            "(red in the mask, orange in x ⊙ mask). A Bernoulli mask only keeps or zeroes: it never flips a sign.",
            icon=":material/swap_vert:")

st.subheader("Distribution of mask values")
left, right = st.columns([3, 2])
with left:
    ui.plot(ui.figure(figs.mask_histogram_figure, dense_demo.mask_pair, **args), key="hist")
with right:
    theory_std = masks.gaussian_std(p)
    st.table(
        {
            "": ["mean", "variance", "std"],
            "Bernoulli": [f"{v:.4f}" for v in (mp.bernoulli_mean, mp.bernoulli_var, mp.bernoulli_var**0.5)],
            "Gaussian": [f"{v:.4f}" for v in (mp.gaussian_mean, mp.gaussian_var, mp.gaussian_var**0.5)],
            "Theory": [f"{v:.4f}" for v in (1.0, mp.theory_var, theory_std)],
        },
        hide_index=True,
    )
    st.caption(f"Bernoulli and Gaussian columns are measured over {mp.n:,} draws of each mask. "
               "At p = 1 DropViz drops the layer (zeros): the Gaussian's variance would be infinite.")
    st.warning(
        f"**A common error:** some articles give the Gaussian mask a standard deviation of p(1−p) "
        f"(= {p * (1 - p):.3g} here). That is the *variance* of an unscaled Bernoulli(p) mask whose mean is p. "
        f"A mean-1 mask that matches inverted dropout needs std sqrt(p/(1−p)) = {theory_std:.3g}.",
        icon=":material/error:",
    )

ui.show_claims(p=p, seed=seed, device=device)
