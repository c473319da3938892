"""Where to put dropout: short real runs with dropout at different positions, and the variance shift before BN."""

import streamlit as st

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.i18n import _
from dropviz.train import lab

ui.app_shell()

st.title(_("Where to put dropout"))
ui.prose("intro")
device = ui.device()
cfg = lab.PlacementConfig(device=device)
result = ui.train_job(lab.run_placement, cfg, auto=True, what=_("Placement runs"))
if result is not None:
    rows = result.table()
    ui.plot(figs.placement_figure(rows), key="placement")
    ui.table(lab.shown(rows), csv_name="placement")
    st.caption(figs.placement_summary(rows))

st.subheader(_("In a small CNN"))
ui.prose("cnn", channels=lab.CNN_CHANNELS)
cnn = ui.train_job(lab.run_placement, lab.PlacementConfig(device=device, arch="cnn"), auto=True,
                   what=_("CNN placement runs"))
if cnn is not None:
    cnn_rows = cnn.table()
    ui.plot(figs.placement_figure(cnn_rows), key="placement-cnn")
    ui.table(lab.shown(cnn_rows), csv_name="placement-cnn")
    st.caption(figs.placement_summary(cnn_rows))

st.subheader(_("Dropout right before BatchNorm"))
ui.prose("batchnorm")
seed = ui.seed()
# default not 0.5: there the ratio is the same for p and 1 − p; at most 0.95: at p = 1 there is no training variance
p = ui.p_slider(default=0.3, hi=0.95)
shift = ui.compute(demo.variance_shift, p=p, seed=seed)
ui.plot(figs.variance_shift_figure(shift), key="bn")
st.caption(figs.variance_shift_summary(shift))
ui.show_claims(p=p, seed=seed)
