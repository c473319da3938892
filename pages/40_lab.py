"""Training lab: the same small MLP trained live with and without dropout, on real digits or a 2-D task."""

import streamlit as st

from dropviz import claims, data, ui
from dropviz.claims.training import overfitting
from dropviz.figures import training as figs
from dropviz.i18n import _, fmt, ngettext
from dropviz.train import lab

ui.app_shell()

st.title(_("Training lab"))
ui.prose("intro")
seed, device = ui.seed(), ui.device()
task = ui.choice(_("Task"), lab.TASKS, lab.LabConfig.task, key="task")
chosen = ui.choices(_("Methods (one model each; registry ids)"), lab.lab_methods(), lab.LabConfig.methods,
                    key="methods")
p, width, depth = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider(_("Hidden units per layer"), 16, lab.LIMITS["width"][1], lab.LabConfig.width, 16,
                            key="width"),
    lambda: ui.bound_slider(_("Hidden layers"), 1, lab.LIMITS["depth"][1], lab.LabConfig.depth, 1, key="depth"),
)
epochs, train_size = ui.controls(
    lambda: ui.bound_slider(_("Epochs"), 10, lab.LIMITS["epochs"][1], lab.LabConfig.epochs, 10, key="epochs"),
    lambda: ui.bound_slider(_("Training examples"), 30, lab.LIMITS["train_size"][1], lab.LabConfig.train_size, 10,
                            key="train", help=_("Validation always uses 600 other examples.")),
)

ui.plot(figs.preview_figure(ui.compute(lab.preview, task=task, train_size=train_size, seed=seed)), key="data")

config = lab.LabConfig(task=task, methods=chosen, p=p, width=width, depth=depth, epochs=epochs,
                       train_size=train_size, seed=seed, device=device)
result = ui.trained(config)
if result is None:
    default = config == lab.LabConfig(device=device)
    st.caption(ngettext("{n} model × {steps} steps on {device}; {capacity}, results shared by every visitor.",
                        "{n} models × {steps} steps on {device}; {capacity}, results shared by every visitor.",
                        len(chosen)).format(n=len(chosen), steps=fmt(config.runs()[0].steps, 0),
                                            device=device.upper(), capacity=ui.capacity()))
    tried = ui.queue().status(config) is not None
    idle = not ui.in_progress(config)
    pressed = idle and (not default or tried) and st.button(
        ngettext("Train {n} model", "Train {n} models", len(chosen)).format(n=len(chosen)), type="primary",
        icon=":material/model_training:")
    result = ui.train_job(lab.run_lab, config, start=pressed, auto=default, what=_("Training"))
    if result is None and idle and not tried and not default:
        st.info(_("These settings have not been trained yet. Press **Train** (the default settings are trained "
                  "once and shown to everyone at once)."), icon=":material/info:")
if result is not None:
    ui.plot(figs.curves_figure(result), key="curves")
    ui.table(lab.shown(result.table()), csv_name="training-results")
    if task in data.TASKS:
        st.subheader(_("Decision boundaries"))
        ui.plot(figs.boundaries_figure(result), key="boundaries")

st.subheader(_("Does dropout tame overfitting? Three seeds"))
over_cfg = lab.OverfitConfig(device=device)
st.caption(_("The default model ({n} training digits, {depth}×{width}, {epochs} epochs) at p = {p}, with and "
             "without dropout, on seeds 0–{last}: trained once per server, whatever the sliders say.").format(
    n=lab.LabConfig.train_size, depth=lab.LabConfig.depth, width=lab.LabConfig.width, epochs=lab.LabConfig.epochs,
    p=f"{over_cfg.p:g}", last=over_cfg.seeds - 1))
over = ui.train_job(lab.run_overfit, over_cfg, auto=True, what=_("Three seeds"))
if over is not None:
    ui.show_claim_results([claims.get(cid).result(overfitting(over)) for cid in ui.page_claims()])
