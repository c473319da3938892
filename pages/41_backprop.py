"""The mask in backprop: the forward mask gates the gradient; a minibatch update still moves a dropped unit."""

import streamlit as st

from dropviz import i18n, ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.i18n import _

ui.app_shell()

st.title(_("The mask in backprop"))
ui.prose("intro")
seed = ui.seed()
p, units, batch = ui.controls(
    lambda: ui.p_slider(default=0.3),
    lambda: ui.bound_slider(_("Hidden units"), 4, 16, 10, 1, key="units"),
    lambda: ui.bound_slider(_("Minibatch size"), 2, 16, 8, 1, key="batch"),
)

st.subheader(_("One layer, one example"))
st.caption(_("z = W x, y = dropout(z), L = u · y (so the upstream gradient ∂L/∂y is u). Left: per unit, the mask "
             "m = 1[kept]/(1−p) the forward pass drew, u, autograd's ∂L/∂z and m ⊙ u: the last two rows agree. "
             "Right: ∂L/∂W = (∂L/∂z) xᵀ, drawn with one column per hidden unit (the weights into it): every dropped "
             "unit's column is exactly zero. Blue: positive, orange: negative, white: exactly 0."))
ui.plot(figs.backprop_figure(ui.compute(demo.backprop, p=p, seed=seed, units=units)), key="backprop")

st.subheader(_("A minibatch: the update averages per-example gradients"))
mb = ui.compute(demo.minibatch, p=p, seed=seed, batch=batch, units=units)
st.caption(_("A linear hidden layer of {units} units with dropout, a linear read-out, squared error, {batch} "
             "examples each with its own mask. A unit's weights get no gradient from an example that dropped it, "
             "but the update is the mean over the batch, so they still move unless every example dropped the "
             "unit. Middle and right share one colour scale: white is exactly 0, any nonzero norm is at least the "
             "palest orange.").format(units=units, batch=batch))
ui.plot(figs.minibatch_figure(mb), key="minibatch")

st.subheader(_("A zero gradient does not mean no move"))
if mb.unit < 0:
    st.info(mb.no_unit_reason())
else:  # the result's own explanation: shown in full, also in presenter mode
    st.markdown(i18n.prose("backprop", "zero-gradient", unit=mb.unit, lr=f"{mb.lr:g}", momentum=f"{mb.momentum:g}",
                           betas=str(mb.betas)))
    ui.table(mb.table(), csv_name="minibatch-updates")
ui.show_claims(p=p, seed=seed)
