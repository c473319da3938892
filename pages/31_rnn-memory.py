"""Does it remember? Small LSTMs trained live with each recurrent dropout schedule on a long-memory task."""

import streamlit as st

from dropviz import claims, train, ui
from dropviz.claims.recurrent import forgets, longest_lags, short_lags
from dropviz.figures import recurrent as figs

ui.app_shell()

st.title("Does it remember?")
st.markdown(
    "Each sequence shows one **symbol** (a letter) among random distractors; at the last step the network must "
    "name it. The **lag** is how many steps it has to hold the symbol in memory. "
    f"{ui.number_word(len(train.ExperimentConfig.methods), capital=True)} small LSTMs, one per "
    "dropout schedule and one **without dropout** (the baseline), are trained on the same batches from the same "
    f"initial weights at the same p, {ui.number_word(train.ExperimentConfig.seeds)} times with different seeds, "
    "then tested at every lag, without dropout and with their training masks on. The band around each line spans "
    "the seeds: what stays inside it is luck, not the method."
)
seed, device = ui.seed(), ui.device()
p, max_lag, hidden, steps = ui.controls(
    lambda: ui.p_slider(default=train.ExperimentConfig.p),
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
    st.caption(f"{len(config.methods)} models × {config.seeds} seeds × {steps:,} steps on {device.upper()}; "
               f"{ui.capacity()}, results shared by every visitor.")
    label = f"Train these {ui.number_word(len(config.runs()))} models"
    tried = ui.queue().status(config) is not None  # trained before and dropped, stopped, or failed
    idle = not ui.in_progress(config)
    pressed = idle and (not default or tried) and st.button(label, type="primary", icon=":material/model_training:")
    experiment = ui.train_job(train.run_experiment, config, start=pressed, auto=default, what="Training")
    if experiment is None and idle and not tried and not default:
        st.info("These settings have not been trained yet. Press **Train** (the default settings are "
                "trained once and shown to everyone at once).", icon=":material/info:")
if experiment is not None:
    window, control = longest_lags(config.max_lag), short_lags(config.max_lag)
    ui.plot(figs.memory_figure(experiment, window, control), key="memory", csv="accuracy-vs-lag")
    if note := figs.coinciding(experiment):
        st.caption(note)
    cols = st.columns(len(config.methods))
    for col, m in zip(cols, config.methods, strict=True):
        runs = experiment.accuracies(m)[:, window - 1].mean(1)  # per seed, at the longest lags
        col.metric(figs.label(m), f"{runs.mean():.2f}", f"seeds {runs.min():.2f}–{runs.max():.2f}", delta_color="off",
                   delta_arrow="off", help=f"test accuracy (no dropout) at lags {window[0]}–{window[-1]}, mean "
                   f"of {config.seeds} seeds; trained in {sum(h.seconds for h in experiment.runs_of(m)):.1f} s")
    naive_masked = experiment.accuracy("naive", masked=True)
    naive_test = experiment.accuracy("naive")
    st.markdown(
        "**What naive dropout does to memory.** With its masks on (middle), naive dropout's recall falls from "
        f"{naive_masked[control - 1].mean():.2f} at lags {control[0]}–{control[-1]} to "
        f"{naive_masked[window - 1].mean():.2f} at lags {window[0]}–{window[-1]}, while the baseline and the other "
        "schedules stay flat: a fresh mask at every step zeroes a dropped unit's cell, and what one unit held must be "
        "rewritten from the others before they are dropped in turn. It is not the (1−p)^L of a single unit "
        f"({(1 - p) ** window[0]:.1e} at L = {window[0]}): the network learns to spread and refresh the symbol over "
        "its units, which is why recall stays above chance. At test time (left, no masks) nothing is erased, yet "
        f"naive is lower at every lag ({naive_test[control - 1].mean():.2f} at short lags, "
        f"{naive_test[window - 1].mean():.2f} at the longest): it learned less, because its training signal was "
        "erased, and the 1/(1−p) its mask applies inside tanh(c) is not undone by the identity at test time (see "
        "*Masks through time*). Zaremba's masks (input and output only), RNNDrop (a cell off for the whole "
        "sequence), recurrent dropout (only what is *added* to the cell) and variational dropout (the same mask at "
        "every step) erase nothing that is stored."
    )
    ui.show_claim_results([claims.get(cid).result(forgets(experiment)) for cid in ui.page_claims()])
