"""Training lab: the same small MLP trained live with and without dropout, on real digits or a 2-D task."""

import streamlit as st

from dropviz import claims, data, ui
from dropviz.claims.training import overfitting
from dropviz.figures import training as figs
from dropviz.train import lab

ui.app_shell()

st.title("Training lab")
st.markdown(
    "Train the same small network (ReLU MLP, Adam) once per method, from the **same initial weights on the same "
    "batches**, and watch the curves: without dropout the training loss goes to zero while the validation loss "
    "stops falling, the signature of **overfitting**. The digits are scikit-learn's bundled 8×8 handwritten digits "
    "(real data, no download) with a deliberately small training split; the 2-D tasks show each model's "
    "**decision boundary**. Dropout sits after every hidden layer, at the same p for every method. DropConnect "
    "and Standout *replace* each hidden layer (Linear + ReLU) instead: DropConnect drops its weights at p with a "
    "new mask per example (and averages Gaussian samples at test time), Standout keeps each unit with probability "
    "σ(z) of its own drive and has no p."
)
seed, device = ui.seed(), ui.device()
task = ui.choice("Task", lab.TASKS, lab.LabConfig.task, key="task")
chosen = ui.choices("Methods (one model each; registry ids)", lab.lab_methods(), lab.LabConfig.methods,
                    key="methods")
p, width, depth = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider("Hidden units per layer", 16, lab.LIMITS["width"][1], lab.LabConfig.width, 16, key="width"),
    lambda: ui.bound_slider("Hidden layers", 1, lab.LIMITS["depth"][1], lab.LabConfig.depth, 1, key="depth"),
)
epochs, train_size = ui.controls(
    lambda: ui.bound_slider("Epochs", 10, lab.LIMITS["epochs"][1], lab.LabConfig.epochs, 10, key="epochs"),
    lambda: ui.bound_slider("Training examples", 30, lab.LIMITS["train_size"][1], lab.LabConfig.train_size, 10,
                            key="train", help="Validation always uses 600 other examples."),
)

ui.plot(figs.preview_figure(ui.compute(lab.preview, task=task, train_size=train_size, seed=seed)), key="data")

config = lab.LabConfig(task=task, methods=chosen, p=p, width=width, depth=depth, epochs=epochs,
                       train_size=train_size, seed=seed, device=device)
result = ui.trained(config)
if result is None:
    default = config == lab.LabConfig(device=device)
    st.caption(f"{len(chosen)} models × {config.runs()[0].steps:,} steps on {device.upper()}; "
               f"{ui.capacity()}, results shared by every visitor.")
    tried = ui.queue().status(config) is not None
    idle = not ui.in_progress(config)
    pressed = idle and (not default or tried) and st.button(
        f"Train {ui.number_word(len(chosen))} model{'s' * (len(chosen) > 1)}", type="primary",
        icon=":material/model_training:")
    result = ui.train_job(lab.run_lab, config, start=pressed, auto=default, what="Training")
    if result is None and idle and not tried and not default:
        st.info("These settings have not been trained yet. Press **Train** (the default settings are trained once "
                "and shown to everyone at once).", icon=":material/info:")
if result is not None:
    ui.plot(figs.curves_figure(result), key="curves")
    ui.table(result.table(), csv_name="training-results")
    if task in data.TASKS:
        st.subheader("Decision boundaries")
        ui.plot(figs.boundaries_figure(result), key="boundaries")

st.subheader("Does dropout tame overfitting? Three seeds")
over_cfg = lab.OverfitConfig(device=device)
st.caption(f"The default model ({lab.LabConfig.train_size} training digits, {lab.LabConfig.depth}×"
           f"{lab.LabConfig.width}, {lab.LabConfig.epochs} epochs) at p = {over_cfg.p:g}, with and without "
           f"dropout, on seeds 0–{over_cfg.seeds - 1}: trained once per server, whatever the sliders say.")
over = ui.train_job(lab.run_overfit, over_cfg, auto=True, what="Three seeds")
if over is not None:
    ui.show_claim_results([claims.get(cid).result(overfitting(over)) for cid in ui.page_claims()])
