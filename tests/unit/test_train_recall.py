"""Tests of dropviz.train.recall."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dropviz import methods, train


def test_train_config_validates_and_is_hashable():
    cfg = train.TrainConfig()
    assert hash(cfg) == hash(train.TrainConfig()) and cfg == train.TrainConfig()
    with pytest.raises(ValueError, match="hidden"):
        train.TrainConfig(hidden=10_000)
    with pytest.raises(ValueError, match="unknown method"):
        train.TrainConfig(method="zoneout")
    with pytest.raises(ValueError, match="drop probability"):
        train.TrainConfig(p=2.0)
    assert hash(train.ExperimentConfig()) == hash(train.ExperimentConfig())


def test_train_is_reproducible_reports_progress_and_restores_threads():
    cfg = train.TrainConfig(method="rnndrop", steps=12, hidden=8, max_lag=4, batch=16, eval_per_lag=8)
    seen = []
    before = torch.get_num_threads()
    a = train.train(cfg, on_step=lambda s, loss: seen.append((s, loss)))
    assert torch.get_num_threads() == before
    b = train.train(cfg)
    assert [s for s, _ in seen] == list(range(1, 13)) and all(math.isfinite(v) for _, v in seen)
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.accuracy, b.accuracy)
    assert a.accuracy.shape == (4,) and np.all((0 <= a.accuracy) & (a.accuracy <= 1))


def test_no_dropout_learns_the_task_quickly():
    h = train.train(train.TrainConfig(method="none", steps=150, hidden=16, max_lag=6))
    assert h.accuracy.mean() > 0.9, h.accuracy


def test_experiment_counts_steps_over_all_methods():
    cfg = train.ExperimentConfig(steps=10, hidden=8, max_lag=3, methods=("naive", "variational"), seeds=2)
    calls = []
    e = train.run_experiment(cfg, on_step=lambda d, t, m: calls.append((d, t, m)))
    assert calls[-1] == (40, 40, "variational") and calls[0] == (1, 40, "naive")
    assert [(h.config.method, h.config.seed) for h in e.histories] == [("naive", 0), ("naive", 1),
                                                                        ("variational", 0), ("variational", 1)]
    assert np.array_equal(e.accuracies("variational"), np.stack([e.histories[2].accuracy, e.histories[3].accuracy]))
    assert np.allclose(e.accuracy("variational"), (e.histories[2].accuracy + e.histories[3].accuracy) / 2)
    assert not np.array_equal(e.histories[0].loss, e.histories[1].loss)  # the seeds differ


def test_default_experiment_has_a_baseline_and_three_seeds():
    cfg = train.ExperimentConfig()
    assert cfg.methods[0] == "none" and cfg.seeds >= 3 and set(cfg.schedules) == set(methods.schedules())
    assert len(cfg.runs()) == len(cfg.methods) * cfg.seeds


def test_masked_accuracy_is_the_clean_one_without_dropout_and_differs_with_it():
    h0 = train.train(train.TrainConfig(method="none", steps=10, hidden=8, max_lag=3))
    assert np.array_equal(h0.accuracy, h0.accuracy_masked)
    h1 = train.train(train.TrainConfig(method="naive", p=0.6, steps=10, hidden=8, max_lag=3))
    assert not np.array_equal(h1.accuracy, h1.accuracy_masked)
