"""Standout (adaptive dropout): the keep probability follows each unit's own drive."""

import streamlit as st

from dropviz import methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs

ui.app_shell()

ui.method_header(
    methods.get("standout"),
    "Standout overlays a 'standout network' that decides, per unit and per example, whether to keep it. "
    "In the paper's form its weights are an affine function of the layer's own, π = α·W + β, so "
    "P(keep unit j) = σ(α·z_j + β·Σᵢaᵢ), where z_j is the unit's drive (pre-activation) and Σᵢaᵢ the sum of the "
    "layer's inputs. Some ports use a scalar offset σ(α·z_j + β) instead, a simplification that agrees at β = 0. "
    "With α > 0 strongly driven units are kept **more** often (one popular article says the opposite).",
)
seed, device = ui.seed(), ui.device()
alpha, beta = ui.controls(
    lambda: ui.bound_slider("α (slope)", -2.0, 5.0, 1.0, 0.1, key="alpha"),
    lambda: ui.bound_slider("β (offset)", -4.0, 4.0, 0.0, 0.1, key="beta"),
)

d = ui.compute(dense_demo.standout_demo, alpha=alpha, beta=beta, seed=seed, device=device)
st.subheader("Keep probability and the test-time output")
ui.plot(figs.standout_curves_figure(d), key="curves")
st.markdown(
    "At test time Standout replaces the random mask by its expectation: the output is "
    "σ(α·z+β·Σᵢaᵢ)·relu(z). With α = 1, β = 0 that is z·σ(z) for z > 0, i.e. **SiLU/Swish** on the positive side. "
    f"The curves are drawn at this batch's mean input sum Σᵢaᵢ = {d.input_sum:.2f}."
)
st.subheader("One batch: keep probability per unit, and this draw's dropped units")
ui.plot(figs.standout_batch_figure(d), key="batch")
st.caption("Drives come from a seeded linear layer on random inputs (8 examples × 16 units).")

ui.show_claims(alpha=alpha, beta=beta, seed=seed, device=device)
