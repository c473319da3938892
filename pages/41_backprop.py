"""The mask in backprop: the forward mask gates the gradient; a minibatch update still moves a dropped unit."""

import streamlit as st

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs

ui.app_shell()

st.title("The mask in backprop")
st.markdown(
    "**Is the dropout mask used in backprop?** Yes: in training, dropout computes y = m ⊙ z with "
    "m = 1[kept]/(1−p), so ∂L/∂z = m ⊙ ∂L/∂y. The gradient flows only through the units the forward pass kept, "
    "scaled by the same 1/(1−p), and the weights feeding a dropped unit get a zero gradient *from this example*."
)
seed = ui.seed()
p, units, batch = ui.controls(
    lambda: ui.p_slider(default=0.3),
    lambda: ui.bound_slider("Hidden units", 4, 16, 10, 1, key="units"),
    lambda: ui.bound_slider("Minibatch size", 2, 16, 8, 1, key="batch"),
)

st.subheader("One layer, one example")
st.caption("z = W x, y = dropout(z), L = u · y (so the upstream gradient ∂L/∂y is u). Left: per unit, the mask "
           "the forward pass drew, u, autograd's ∂L/∂z and m ⊙ u: the last two rows agree. Right: ∂L/∂W = "
           "(∂L/∂z) xᵀ, with a zero column for every dropped unit.")
ui.plot(figs.backprop_figure(ui.compute(demo.backprop, p=p, seed=seed, units=units)), key="backprop")

st.subheader("A minibatch: the update averages per-example gradients")
mb = ui.compute(demo.minibatch, p=p, seed=seed, batch=batch, units=units)
st.caption(f"A linear hidden layer of {units} units with dropout, a linear read-out, squared error, {batch} "
           "examples each with its own mask. A unit's weights get no gradient from an example that dropped it, but "
           "the update is the mean over the batch, so they still move unless every example dropped the unit.")
ui.plot(figs.minibatch_figure(mb), key="minibatch")

st.subheader("A zero gradient does not mean no move")
if mb.unit < 0:
    st.info("No later example dropped a unit with a gradient at this seed and p; try another seed.")
else:
    st.markdown(f"Take one weight of unit {mb.unit}: step 1 (the minibatch above) gives it a gradient; at step 2 "
                "the unit is dropped for the whole (one-example) batch, so its gradient is exactly 0. Plain SGD "
                "leaves it alone; **momentum and Adam still move it** with what they remember of step 1 "
                f"(lr = {mb.lr:g}, momentum {mb.momentum:g}, Adam betas {mb.betas}).")
    ui.table(mb.table(), csv_name="minibatch-updates")
ui.show_claims(p=p, seed=seed)
