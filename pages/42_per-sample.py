"""One mask per sample or per batch: what sharing the mask does to the gradient."""

import streamlit as st

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.figures import training as figs
from dropviz.i18n import _
from dropviz.train import lab

ui.app_shell()

st.title(_("One mask per sample or per batch?"))
ui.prose("intro", units=demo.SHARING_UNITS)
seed = ui.seed()
# at most 0.9: at p = 1 every hidden unit is dropped and both trainings would learn nothing
p, batch = ui.controls(lambda: ui.p_slider(hi=0.9),
                       lambda: ui.bound_slider(_("Minibatch size"), 2, 64, 32, 2, key="batch"))
one = ui.compute(demo.mask_sharing, p=p, seed=seed, batch=batch, batches=100, fixed=True)
across = ui.compute(demo.mask_sharing, p=p, seed=seed, batch=batch, batches=100)
ui.plot(figs.sharing_figure(one, across), key="sharing")
c1, c2 = st.columns(2)
c1.metric(_("Shared / per-example variance, one minibatch"), figs.ratio_text(one.ratio),
          help=_("Only the masks vary: the masks' own share of the gradient noise."))
c2.metric(_("… across minibatches"), figs.ratio_text(across.ratio),
          help=_("Minibatch sampling noise is in both, so the ratio is smaller."))
if one.nothing_varies:
    st.caption(_("At p = 0 nothing is dropped, so on one minibatch neither gradient varies: both variances are 0 "
                 "and there is no ratio (—)."))
st.caption(_("Bars: E‖g − ḡ‖² over 100 draws, where g is one draw's gradient and ḡ the mean gradient over the "
             "draws (one minibatch: only the masks are redrawn; across minibatches: masks and minibatch) (error "
             "bars: 2 standard errors)."))

st.subheader(_("Does it change what the network learns?"))
if batch < lab.LIMITS["batch"][0]:
    st.info(_("Training uses minibatches of at least {n} examples: raise the minibatch size to train "
              "both.").format(n=lab.LIMITS["batch"][0]), icon=":material/info:")
else:
    cfg = lab.SharingConfig(p=p, batch=batch, seed=seed, device=ui.device())
    st.caption(_("A digits MLP like the one above but wider, {width} hidden units instead of {units} (64 → {width} "
                 "→ 10, dropout p = {p} on the hidden layer), trained on {n} digits ({epochs} epochs, minibatches "
                 "of {batch}, Adam) both ways, from the same weights on the same batches, on seeds {first}–{last}; "
                 "validation on 600 other digits.").format(
        width=cfg.width, units=demo.SHARING_UNITS, p=f"{p:g}", n=cfg.train_size, epochs=cfg.epochs, batch=batch,
        first=seed, last=seed + cfg.seeds - 1))
    sharing = ui.trained_or_button(lab.run_sharing, cfg, lab.SharingConfig(device=cfg.device),
                                   what=_("Per sample vs per batch"), key="train-sharing",
                                   label=_("Train both ({n} small models)").format(n=2 * cfg.seeds))
    if sharing is not None:
        rows = sharing.table()
        ui.plot(figs.sharing_accuracy_figure(rows), key="sharing-acc")
        st.markdown(figs.sharing_summary(rows))
        st.dataframe(lab.shown(rows), hide_index=True)
ui.show_claims(p=p, seed=seed, batch=batch)
