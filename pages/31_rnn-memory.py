"""Does it remember? Small LSTMs trained live with each recurrent dropout schedule on a long-memory task."""

import streamlit as st

from dropviz import claims, train, ui
from dropviz.claims.recurrent import forgets, longest_lags
from dropviz.figures import recurrent as figs

ui.app_shell()

st.title("Does it remember?")
st.markdown(
    "Each sequence shows one **symbol** (a letter) among random distractors; at the last step the network must "
    "name it. The **lag** is how many steps it has to hold the symbol in memory. "
    f"{ui.number_word(len(train.ExperimentConfig.methods), capital=True)} small LSTMs, one per "
    "dropout schedule, are trained on the same batches from the same initial weights at the same p, then "
    "tested without dropout at every lag."
)
seed, device = ui.seed(), ui.device()
p, max_lag, hidden, steps = ui.controls(
    ui.p_slider,
    lambda: ui.bound_slider("Longest lag", 5, 50, train.ExperimentConfig.max_lag, 1, key="lag"),
    lambda: ui.bound_slider("Hidden units", 8, 64, train.ExperimentConfig.hidden, 4, key="hidden"),
    lambda: ui.bound_slider("Training steps per model", 50, 500, train.ExperimentConfig.steps, 50, key="steps",
                            help=f"Each step is a fresh batch of {train.TrainConfig.batch} sequences."),
)

st.subheader("The task")
ui.plot(figs.task_figure(ui.compute(train.task_preview, max_lag=max_lag, seed=seed)), key="task")

st.subheader("Recall accuracy against lag")
config = train.ExperimentConfig(p=p, hidden=hidden, max_lag=max_lag, steps=steps, seed=seed, device=device)
experiment = ui.trained(config)
if experiment is None:
    default = config == train.ExperimentConfig(device=device)
    st.caption(f"{len(config.methods)} models × {steps:,} steps on {device.upper()}; at most "
               f"{ui.MAX_TRAININGS} training at a time on this server, results shared by every visitor.")
    label = f"Train these {ui.number_word(len(config.methods))} models"
    tried = ui.queue().status(config) is not None  # trained before and dropped, stopped, or failed
    idle = not ui.in_progress(config)
    pressed = idle and (not default or tried) and st.button(label, type="primary", icon=":material/model_training:")
    experiment = ui.train_job(train.run_experiment, config, start=pressed, auto=default, what="Training")
    if experiment is None and idle and not tried and not default:
        st.info("These settings have not been trained yet. Press **Train** (the default settings are "
                "trained once and shown to everyone at once).", icon=":material/info:")
if experiment is not None:
    window = longest_lags(config.max_lag)
    ui.plot(figs.memory_figure(experiment, window), key="memory")
    if note := figs.coinciding(experiment):
        st.caption(note)
    cols = st.columns(len(config.methods))
    for col, h in zip(cols, experiment.histories, strict=True):
        col.metric(figs.label(h.config.method), f"{h.accuracy[-len(window):].mean():.2f}",
                   f"trained in {h.seconds:.1f} s", delta_color="off", delta_arrow="off",
                   help=f"mean test accuracy at lags {window[0]}–{window[-1]}")
    st.markdown(
        "**Why naive dropout forgets:** a fresh mask at every step zeroes a unit's cell whenever it is dropped, "
        f"so a memory survives L steps only with probability (1−p)^L ({(1 - p) ** window[0]:.1e} at "
        f"L = {window[0]}). During training that happens at every lag, so the naive network hardly ever sees a "
        "symbol survive to the answer and gets little signal to learn to remember at all, even at short lags. "
        "RNNDrop drops a cell for the whole sequence (the other cells keep theirs), recurrent dropout only thins "
        "what is *added* to the cell, and variational dropout masks the cell's inputs with the same mask at "
        "every step: none of them erases what is stored."
    )
    ui.show_claim_results([claims.get(cid).result(forgets(experiment)) for cid in ui.page_claims()])
