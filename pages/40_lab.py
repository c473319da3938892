"""Training lab: the same small MLP trained live with and without dropout, on real digits or a 2-D task."""

from dataclasses import replace

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


def to_task_defaults() -> None:
    """A new task starts from its own default comparison (trained once per server), not the last task's sliders."""
    b = lab.default_for(st.session_state.get("task", lab.LabConfig.task), "mlp", device)
    st.session_state.update(p=b.p, input_p=b.input_p, width=b.width, depth=b.depth, epochs=b.epochs,
                            train=b.train_size)


task = ui.choice(_("Task"), lab.TASKS, lab.LabConfig.task, key="task", on_change=to_task_defaults)
# The CNN reads the digits as 8×8 images; the 2-D tasks are points, so they train the MLP.
arch = ui.choice(_("Model"), lab.ARCHS, lab.LabConfig.arch, key="model",
                 help=_("mlp: dense layers, dense methods. cnn: conv 3×3 → ReLU → max-pool → linear on the 8×8 "
                        "images, conv methods on its feature maps.")) if task == "digits" else "mlp"
if task != "digits" and st.query_params.get("model") == "cnn":
    st.caption(_("The CNN reads the 8×8 digit images: the 2-D tasks train the MLP."))
base = lab.default_for(task, arch, device)  # the sliders start at this task's default comparison
if arch == "cnn":  # its own URL keys: a link's dense methods are not wrong for the MLP
    chosen = ui.choices(_("Methods (one model each)"), lab.lab_methods("cnn"), base.methods,
                        key="cnn_methods", most=lab.MAX_METHODS)
    p, width = ui.controls(
        lambda: ui.p_slider(key="cnn_p", default=base.p, hi=0.9),
        lambda: ui.bound_slider(_("Conv channels"), 8, lab.CNN_MAX_CHANNELS, base.width, 8, key="channels"),
    )
    depth, input_p = base.depth, 0.0
else:
    chosen = ui.choices(_("Methods (one model each)"), lab.lab_methods(), base.methods, key="methods",
                        most=lab.MAX_METHODS)
    p, input_p, width, depth = ui.controls(
        lambda: ui.p_slider(default=base.p, hi=0.9),  # at p = 1 every unit is dropped: nothing would train
        lambda: ui.p_slider(_("Input dropout p"), key="input_p", default=base.input_p, hi=0.8,
                            help=_("Standard dropout on the input pixels or points, in every model with dropout "
                                   "(not in none); 0 = off. The classic setting is 0.2.")),
        lambda: ui.bound_slider(_("Hidden units per layer"), 16, lab.LIMITS["width"][1], base.width, 16,
                                key="width"),
        lambda: ui.bound_slider(_("Hidden layers"), 1, lab.LIMITS["depth"][1], base.depth, 1, key="depth"),
    )
prefix = "cnn_" if arch == "cnn" else ""  # the CNN keeps its own epochs and examples in the URL
epochs, train_size = ui.controls(
    lambda: ui.bound_slider(_("Epochs"), 10, lab.LIMITS["epochs"][1], base.epochs, 10, key=prefix + "epochs"),
    lambda: ui.bound_slider(_("Training examples"), 30, lab.LIMITS["train_size"][1], base.train_size, 10,
                            key=prefix + "train", help=_("Validation always uses 600 other examples.")),
)

ui.plot(figs.preview_figure(ui.compute(lab.preview, task=task, train_size=train_size, seed=seed)), key="data")

# the task's default with the controls' values: what the page does not show (batch, learning rate) stays the default's
config = replace(base, methods=chosen, p=p, width=width, depth=depth, epochs=epochs, train_size=train_size, seed=seed,
                 input_p=input_p)
steps = sum(r.steps for r in config.runs())
result = ui.trained_or_button(
    lab.run_lab, config, config if config in lab.defaults(device) else None, what=_("Training"), key="train-lab",
    label=ngettext("Train {n} model", "Train {n} models", len(chosen)).format(n=len(chosen)),
    caption=ngettext("{n} model, {steps} steps on {device}; {capacity}, results shared by every visitor.",
                     "{n} models, {steps} steps in all on {device}; {capacity}, results shared by every visitor.",
                     len(chosen)).format(n=len(chosen), steps=fmt(steps, 0), device=device.upper(),
                                         capacity=ui.capacity()))
if result is not None:
    ui.plot(figs.curves_figure(result), key="curves")
    st.markdown("  \n".join(figs.overfit_summary(result)))
    ui.table(lab.shown(result.table()), csv_name="training-results")
    if task in data.TASKS:
        st.subheader(_("Decision boundaries"))
        ui.plot(figs.boundaries_figure(result), key="boundaries")

over_cfg = lab.OverfitConfig(device=device)
st.subheader(_("Does dropout tame overfitting on real digits? {n} seeds").format(n=over_cfg.seeds))
st.caption(_("The classic recipe, p = {p} after each hidden layer and {input_p} on the input, against no dropout: a "
             "{depth}×{width} MLP on {n} training digits (600 others validate), {epochs} epochs, seeds 0–{last}. "
             "Trained once per server, whatever the sliders say.").format(
    p=f"{over_cfg.p:g}", input_p=f"{over_cfg.input_p:g}", depth=over_cfg.depth, width=over_cfg.width,
    n=over_cfg.train_size, epochs=over_cfg.epochs, last=over_cfg.seeds - 1))
over = ui.train_job(lab.run_overfit, over_cfg, auto=True, what=_("Seeds"))
if over is not None:
    ui.show_claim_results([claims.get(cid).result(overfitting(over)) for cid in ui.page_claims()],
                          evidence=lambda: ui.table(lab.shown(lab.overfit_table(over)), csv_name="overfitting-seeds"))
