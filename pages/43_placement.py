"""Where to put dropout: short real runs with dropout at different positions, and the variance shift before BN."""

import streamlit as st

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.train import lab

ui.app_shell()

st.title("Where to put dropout")
st.markdown(
    "**The usual guidance:** after the hidden layers at p ≈ 0.5 (Srivastava et al.), on the input at most "
    "p ≈ 0.2, in conv nets a low p (0.1–0.2) *after* the activation (or SpatialDropout / DropBlock), and not right "
    "before BatchNorm. Below: the training lab's digits MLP (2 × 128, 150 training digits, 60 epochs) with "
    "dropout at each position, averaged over two seeds; trained once per server and shown to everyone."
)
device = ui.device()
cfg = lab.PlacementConfig(device=device)
result = ui.train_job(lab.run_placement, cfg, auto=True, what="Placement runs")
if result is not None:
    rows = result.table()
    ui.plot(figs.placement_figure(rows), key="placement")
    ui.table(rows, csv_name="placement")
    st.caption(figs.placement_summary(rows))

st.subheader("In a small CNN")
st.markdown(
    f"The same digits as 1 × 8 × 8 images through a conv net: 3 × 3 conv ({lab.CNN_CHANNELS} channels) → ReLU → "
    "[dropout] → 2 × 2 max-pool → [dropout] → flatten → [dropout] → linear classifier. The usual advice: a low p "
    "(0.1–0.2) after the conv's activation, per pixel or whole maps (`nn.Dropout2d`), and the classic 0.5 only "
    "in front of the fully connected classifier. Same budget and seeds as above."
)
cnn = ui.train_job(lab.run_placement, lab.PlacementConfig(device=device, arch="cnn"), auto=True,
                   what="CNN placement runs")
if cnn is not None:
    cnn_rows = cnn.table()
    ui.plot(figs.placement_figure(cnn_rows), key="placement-cnn")
    ui.table(cnn_rows, csv_name="placement-cnn")
    st.caption(figs.placement_summary(cnn_rows))

st.subheader("Dropout right before BatchNorm")
st.markdown(
    "BatchNorm's running mean and variance are gathered in training, where dropout scales the kept values by "
    "1/(1−p); at test, dropout is the identity and BN's input has a *smaller* variance, so BN mis-normalises it "
    "(Li et al. 2019, *Understanding the disharmony between dropout and batch normalization*)."
)
seed = ui.seed()
p = ui.p_slider()
ui.plot(figs.variance_shift_figure(ui.compute(demo.variance_shift, p=p, seed=seed)), key="bn")
ui.show_claims(p=p, seed=seed)
