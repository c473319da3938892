"""Tests of dropviz.data.sequences."""

from __future__ import annotations

import pytest

from dropviz import data, masks


def test_recall_task_structure():
    b = data.recall_task(64, 10, 8, 8, generator=masks.make_generator(0))
    assert b.tokens.shape == (11, 64)
    for j in range(64):
        seq = b.tokens[:, j]
        assert int((seq < 8).sum()) == 1  # exactly one symbol
        assert int(seq[10 - b.lag[j]]) == int(b.target[j])
    assert 1 <= int(b.lag.min()) and int(b.lag.max()) <= 10
    with pytest.raises(ValueError, match="max_lag"):
        data.recall_task(4, 0, 8, 8)
