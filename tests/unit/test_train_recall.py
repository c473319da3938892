"""Tests of dropviz.train.recall."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dropviz import train


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
    cfg = train.ExperimentConfig(steps=10, hidden=8, max_lag=3, methods=("naive", "variational"))
    calls = []
    e = train.run_experiment(cfg, on_step=lambda d, t, m: calls.append((d, t, m)))
    assert calls[-1] == (20, 20, "variational") and calls[0] == (1, 20, "naive")
    assert [h.config.method for h in e.histories] == ["naive", "variational"]
    assert np.array_equal(e.accuracy("variational"), e.histories[1].accuracy)
