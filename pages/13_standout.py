"""Standout (adaptive dropout): the keep probability follows each unit's own drive."""

import streamlit as st

from dropviz import i18n, methods, ui
from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs
from dropviz.i18n import _

ui.app_shell()

ui.method_header(methods.get("standout"), intro=i18n.prose("standout", "intro"))
seed, device = ui.seed(), ui.device()
alpha, beta = ui.controls(
    lambda: ui.bound_slider(_("α (slope)"), -2.0, 5.0, 1.0, 0.1, key="alpha"),
    lambda: ui.bound_slider(_("β (offset)"), -4.0, 4.0, 0.0, 0.1, key="beta"),
)

d = ui.compute(dense_demo.standout_demo, alpha=alpha, beta=beta, seed=seed, device=device)
st.subheader(_("Keep probability and the test-time output"))
ui.plot(figs.standout_curves_figure(d), key="curves")
ui.prose("test_time", input_sum=figs.num(d.input_sum, ".2f"))
st.subheader(_("One batch: keep probability per unit, and this draw's dropped units"))
ui.plot(figs.standout_batch_figure(d), key="batch")
st.caption(_("Drives come from a seeded linear layer on random inputs (8 examples × 16 units)."))

ui.show_claims(alpha=alpha, beta=beta, seed=seed, device=device)
