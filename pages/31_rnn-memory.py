"""Does it remember? Small LSTMs trained live with each recurrent dropout schedule on a long-memory task."""

import streamlit as st

from dropviz import claims, i18n, train, ui
from dropviz.claims.recurrent import forgets, longest_lags, short_lags
from dropviz.figures import recurrent as figs
from dropviz.i18n import _

ui.app_shell()

english = i18n.language() == "en"  # counts in words in English prose, digits in the others
st.title(_("Does it remember?"))
ui.prose("intro", models=ui.number_word(len(train.ExperimentConfig.methods), capital=True) if english
         else len(train.ExperimentConfig.methods),
         seeds=ui.number_word(train.ExperimentConfig.seeds) if english else train.ExperimentConfig.seeds)
seed, device = ui.seed(), ui.device()
p, max_lag, hidden, steps = ui.controls(
    lambda: ui.p_slider(default=train.ExperimentConfig.p),
    lambda: ui.bound_slider(_("Longest lag"), 5, 50, train.ExperimentConfig.max_lag, 1, key="lag"),
    lambda: ui.bound_slider(_("Hidden units"), 8, 64, train.ExperimentConfig.hidden, 4, key="hidden"),
    lambda: ui.bound_slider(_("Training steps per model"), 50, 500, train.ExperimentConfig.steps, 50, key="steps",
                            help=_("Each step is a fresh batch of {n} sequences.").format(n=train.TrainConfig.batch)),
)

st.subheader(_("The task"))
ui.plot(figs.task_figure(ui.compute(train.task_preview, max_lag=max_lag, seed=seed)), key="task")

st.subheader(_("Recall accuracy against lag"))
config = train.ExperimentConfig(p=p, hidden=hidden, max_lag=max_lag, steps=steps, seed=seed, device=device)
experiment = ui.trained_or_button(
    train.run_experiment, config, train.ExperimentConfig(device=device), what=_("Training"), key="train-memory",
    label=_("Train these {n} models").format(n=ui.number_word(len(config.runs())) if english else len(config.runs())),
    caption=_("{models} models × {seeds} seeds × {steps} steps on {device}; {capacity}, results shared by every "
              "visitor.").format(models=len(config.methods), seeds=config.seeds, steps=i18n.fmt(steps, 0),
                                 device=device.upper(), capacity=ui.capacity()))
if experiment is not None:
    window, control = longest_lags(config.max_lag), short_lags(config.max_lag)
    ui.plot(figs.memory_figure(experiment, window, control), key="memory", csv="accuracy-vs-lag")
    if note := figs.coinciding(experiment):
        st.caption(note)
    cols = st.columns(len(config.methods))
    for col, m in zip(cols, config.methods, strict=True):
        runs = experiment.accuracies(m)[:, window - 1].mean(1)  # per seed, at the longest lags
        col.metric(figs.shown_label(m), f"{runs.mean():.2f}",
                   _("seeds {lo}–{hi}").format(lo=f"{runs.min():.2f}", hi=f"{runs.max():.2f}"), delta_color="off",
                   delta_arrow="off", help=_("test accuracy (no dropout) at lags {first}–{last}, mean of {seeds} "
                                             "seeds; trained in {seconds} s").format(
                       first=window[0], last=window[-1], seeds=config.seeds,
                       seconds=i18n.fmt(sum(h.seconds for h in experiment.runs_of(m)), 1)))
    naive_masked = experiment.accuracy("naive", masked=True)
    naive_test = experiment.accuracy("naive")
    st.markdown(i18n.prose("rnn-memory", "naive", masked_short=f"{naive_masked[control - 1].mean():.2f}",
                           masked_long=f"{naive_masked[window - 1].mean():.2f}", short_first=control[0],
                           short_last=control[-1], long_first=window[0], long_last=window[-1],
                           single=f"{(1 - p) ** window[0]:.1e}", test_short=f"{naive_test[control - 1].mean():.2f}",
                           test_long=f"{naive_test[window - 1].mean():.2f}"))  # a result, so never folded away
    ui.show_claim_results([claims.get(cid).result(forgets(experiment)) for cid in ui.page_claims()])
