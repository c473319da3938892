"""What your framework's dropout does: each call people copy, mapped to the DropViz method it is; torch checked live."""

import streamlit as st

from dropviz import frameworks, ui
from dropviz.claims import frameworks as claim
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.i18n import _
from dropviz.ui.cache import PAGE_CLAIMS_QUICK

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

lm = ui.compute(demo.lstm_masks, p=p, seed=seed)
if p == 0:  # nothing is dropped: no mask to be variational or not
    st.subheader(_("`nn.LSTM(dropout=0)` drops nothing: there is no mask at all."))
else:
    st.subheader(_("Is `nn.LSTM(dropout={p})` variational dropout? No.").format(p=f"{p:g}"))
fit = (_("Here the chosen masks reproduce torch's output exactly.") if lm.exact else
       _("Here the chosen masks reproduce torch's output to within {residual} (float64 rounding).").format(
           residual=f"{lm.residual:.1g}"))
ui.prose("lstm_p0" if p == 0 else "lstm", units=demo.LSTM_UNITS, p=f"{p:g}", fit=fit)
ui.plot(figs.lstm_masks_figure(lm), key="lstm")
c1, c2, c3 = st.columns(3)
c1.metric(_("torch: mask changes per step"), f"{lm.change_rate(lm.torch_mask):.1%}")
c2.metric(_("fresh independent draws: 2p(1−p)"), f"{2 * p * (1 - p):.1%}")
c3.metric(_("variational: mask changes per step"), f"{lm.change_rate(lm.variational):.1%}")
st.caption(_("The charts show sequence 1; the rates are measured on the whole run drawn here: {steps} steps × "
             "{batch} sequences × {units} units.").format(steps=lm.steps, batch=lm.batch, units=demo.LSTM_UNITS))
if p == 0:  # the claim does not apply (nothing to change): no sample to compare
    pass
elif PAGE_CLAIMS_QUICK:
    st.caption(_("The claim below is measured on this same run; `python -m dropviz.claims` measures a larger one "
                 "({steps} steps × {batch} sequences), so its number differs a little.").format(
        steps=claim.FULL[0], batch=claim.FULL[1]))
else:
    st.caption(_("The claim below is measured on a larger run ({steps} steps × {batch} sequences), so its number "
                 "differs a little from these.").format(steps=claim.FULL[0], batch=claim.FULL[1]))
ui.show_claims(p=p, seed=seed)
