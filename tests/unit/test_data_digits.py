"""Tests of dropviz.data.digits and dropviz.data.tasks2d."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from dropviz import data
from tests.conftest import ROOT


def test_importing_dropviz_data_does_not_load_sklearn():
    code = "import sys, dropviz.data; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_digits_split_is_seeded_disjoint_and_standardised():
    a, b, c = data.digits(120, seed=1), data.digits(120, seed=1), data.digits(120, seed=2)
    assert a.x_train.shape == (120, 64) and a.x_val.shape == (600, 64) and a.classes == 10
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)
    assert a.x_train.mean(0).abs().max() < 1e-4
    assert set(a.y_train.tolist()) <= set(range(10)) and len(set(a.y_val.tolist())) == 10
    rows = {tuple(r) for r in a.x_train.tolist()}
    assert sum(tuple(r) in rows for r in a.x_val.tolist()) < 5  # disjoint (a handful of identical images exist)


@pytest.mark.parametrize("n", [5, 1500])
def test_digits_bad_sizes_raise(n):
    with pytest.raises(ValueError, match="train_size"):
        data.digits(n)


@pytest.mark.parametrize("name", data.TASKS)
def test_2d_tasks_are_seeded_balanced_and_bounded(name):
    s, t = data.task2d(name, 200, seed=3), data.task2d(name, 200, seed=3)
    assert torch.equal(s.x_train, t.x_train) and s.x_train.shape == (200, 2) and s.classes == 2
    assert 0.35 < s.y_train.float().mean() < 0.65
    assert s.x_train.abs().max() < 2.5


def test_unknown_task_raises():
    with pytest.raises(ValueError, match="unknown 2-D task"):
        data.task2d("banana")
