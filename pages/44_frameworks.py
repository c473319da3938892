"""What your framework's dropout does: each call people copy, mapped to the DropViz method it is; torch checked live."""

import streamlit as st

from dropviz import frameworks, ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs

ui.app_shell()

st.title("What your framework's dropout does")
st.markdown(
    "The same word, *dropout*, hides different masks, and the number you pass means **drop** in most libraries "
    "but **keep** in TensorFlow 1 (`tf.nn.dropout(x, 0.5)` keeps half; `keep_prob=0.9` drops only 10 %). Each "
    "call below is mapped to the DropViz method it is (its page shows the mask), with what its number means, "
    "which axes share one random draw, and what happens at test time."
)
st.table(frameworks.rows())  # a static table: every cell's text wraps and shows in full

seed = ui.seed()
p = ui.p_slider(default=0.3, hi=0.95)  # at p = 1 there is no mask to recover

st.subheader("The torch rows, run now")
st.markdown(
    "torch's own layers on a positive (32, 16, 8, 8) input, in training mode and after `.eval()`: the kept fraction "
    "is 1 − p and a kept value is the input × 1/(1 − p) (inverted dropout); `nn.Dropout2d` keeps or drops each "
    "8 × 8 map whole. `F.dropout(x, p)` inside a module's `forward` keeps dropping after `model.eval()`, because "
    "its `training` argument defaults to `True`: pass `training=self.training`."
)
calls = ui.compute(demo.torch_calls, p=p, seed=seed)
st.dataframe([c.row(p) for c in calls], hide_index=True)

st.subheader("Is `nn.LSTM(dropout=0.3)` variational dropout? No.")
lm = ui.compute(demo.lstm_masks, p=p, seed=seed)
st.markdown(
    f"A 2-layer `nn.LSTM({demo.LSTM_UNITS}, {demo.LSTM_UNITS}, num_layers=2, dropout={p:g})` in train mode. Its "
    "masks are never returned, so DropViz **recovers** them: it reruns layer 1 alone (a single layer has no "
    "dropout), then at every step tries all 2^8 keep patterns on layer 1's output, feeds each to layer 2 from "
    "the state reached so far, and keeps the one that reproduces torch's output (to within "
    f"{lm.residual:.1g}). The recovered masks change at every step (noise, left), like Zaremba's dropout on "
    "the connections between layers; Gal's variational dropout keeps one mask per sequence (stripes, right) "
    "and also masks the recurrent h_{t−1} → h_t, which torch never does. For variational dropout in torch, "
    "draw a (1, B, H) mask yourself and reuse it (AWD-LSTM's `LockedDropout`), or use DropViz's `DropoutLSTM`."
)
ui.plot(figs.lstm_masks_figure(lm), key="lstm")
c1, c2, c3 = st.columns(3)
c1.metric("torch: mask changes per step", f"{lm.change_rate(lm.torch_mask):.1%}")
c2.metric("fresh independent draws: 2p(1−p)", f"{2 * p * (1 - p):.1%}")
c3.metric("variational: mask changes per step", f"{lm.change_rate(lm.variational):.1%}")
ui.show_claims(p=p, seed=seed)
