"""What your framework's dropout does: each call people copy, mapped to the DropViz method it is; torch checked live."""

import streamlit as st

from dropviz import frameworks, ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.i18n import _

ui.app_shell()

st.title(_("What your framework's dropout does"))
ui.prose("intro")
st.table(frameworks.rows())  # a static table: every cell's text wraps and shows in full

seed = ui.seed()
p = ui.p_slider(default=0.3, hi=0.95)  # at p = 1 there is no mask to recover

st.subheader(_("The torch rows, run now"))
ui.prose("torch")
calls = ui.compute(demo.torch_calls, p=p, seed=seed)
st.dataframe([c.row(p) for c in calls], hide_index=True)

st.subheader(_("Is `nn.LSTM(dropout=0.3)` variational dropout? No."))
lm = ui.compute(demo.lstm_masks, p=p, seed=seed)
ui.prose("lstm", units=demo.LSTM_UNITS, p=f"{p:g}", residual=f"{lm.residual:.1g}")
ui.plot(figs.lstm_masks_figure(lm), key="lstm")
c1, c2, c3 = st.columns(3)
c1.metric(_("torch: mask changes per step"), f"{lm.change_rate(lm.torch_mask):.1%}")
c2.metric(_("fresh independent draws: 2p(1−p)"), f"{2 * p * (1 - p):.1%}")
c3.metric(_("variational: mask changes per step"), f"{lm.change_rate(lm.variational):.1%}")
ui.show_claims(p=p, seed=seed)
