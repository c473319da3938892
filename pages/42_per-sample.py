"""One mask per sample or per batch: what sharing the mask does to the gradient."""

import streamlit as st

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.train import lab

ui.app_shell()

st.title("One mask per sample or per batch?")
st.markdown(
    "PyTorch's `nn.Dropout` draws a **fresh mask for every example** in the minibatch. Keras' "
    "`Dropout(rate, noise_shape=(1, units))` and Flax's `Dropout(rate, broadcast_dims=(0,))` instead draw **one mask "
    "for the whole batch**. The expected gradient is the same, but with a shared mask every example loses the same "
    "units, so the noise does not average out over the batch: the gradient is noisier. Below, a small digits MLP "
    "(64 → 32 → 10, dropout on the hidden layer) at its initial weights, the same minibatches for both."
)
seed = ui.seed()
p, batch = ui.controls(ui.p_slider, lambda: ui.bound_slider("Minibatch size", 2, 64, 32, 2, key="batch"))
one = ui.compute(demo.mask_sharing, p=p, seed=seed, batch=batch, batches=100, fixed=True)
across = ui.compute(demo.mask_sharing, p=p, seed=seed, batch=batch, batches=100)
ui.plot(figs.sharing_figure(one, across), key="sharing")
c1, c2 = st.columns(2)
c1.metric("Shared / per-example variance, one minibatch", f"{one.ratio:.2f}×",
          help="Only the masks vary: the masks' own share of the gradient noise.")
c2.metric("… across minibatches", f"{across.ratio:.2f}×",
          help="Minibatch sampling noise is in both, so the ratio is smaller.")
st.caption("Bars: E‖g − ḡ‖² over 100 draws (error bars: 2 standard errors).")

st.subheader("Does it change what the network learns?")
if batch < lab.LIMITS["batch"][0]:
    st.info(f"Training uses minibatches of at least {lab.LIMITS['batch'][0]} examples: raise the minibatch "
            "size to train both.", icon=":material/info:")
else:
    cfg = lab.SharingConfig(p=p, batch=batch, seed=seed, device=ui.device())
    st.caption(f"The same MLP (64 → {cfg.width} → 10, dropout p = {p:g} on the hidden layer) trained on "
               f"{cfg.train_size} digits ({cfg.epochs} epochs, minibatches of {batch}, Adam) both ways, from the "
               f"same weights on the same batches, on seeds {seed}–{seed + cfg.seeds - 1}; validation on 600 other "
               "digits.")
    sharing = ui.trained_or_button(lab.run_sharing, cfg, lab.SharingConfig(device=cfg.device),
                                   what="Per sample vs per batch", key="train-sharing",
                                   label=f"Train both ({2 * cfg.seeds} small models)")
    if sharing is not None:
        rows = sharing.table()
        ui.plot(figs.sharing_accuracy_figure(rows), key="sharing-acc")
        st.dataframe(rows, hide_index=True)
ui.show_claims(p=p, seed=seed, batch=batch)
