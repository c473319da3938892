"""Tests of dropviz.demos.recurrent."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz import methods
from dropviz.demos import recurrent as rnn_demo


def test_embedding_demo_and_thumbnails():
    d = rnn_demo.embedding_demo(0.5, seed=1)
    assert d.tokens.shape == d.token_mask.shape == (4, 16) and d.type_mask.shape == (4, len(rnn_demo.WORDS))
    for b in range(4):
        assert np.array_equal(d.token_mask[b], d.type_mask[b, d.tokens[b]])


@pytest.mark.parametrize("method", methods.schedules())
def test_mask_movie_arrays(method):
    mv = rnn_demo.mask_movie(method, 0.5, seed=2, steps=20, hidden=8)
    assert mv.c_clean.shape == mv.c_masked.shape == (4, 20) and mv.memory_masked.shape == (20,)
    for m in mv.masks:
        assert m.shape[1] == 20
        assert (np.all(m == m[:, :1]) if mv.per_sequence else not np.all(m == m[:, :1]))
    assert mv.memory_clean[-1] > 0.5  # the demo LSTM holds its memory without dropout


def test_naive_erases_the_demo_memory_and_the_others_keep_it():
    kept = {m.method: m.memory_masked[-1] for m in rnn_demo.mask_movies(0.5, seed=0, steps=30, hidden=16)}
    assert kept["naive"] < 0.3
    assert all(kept[m] > 0.6 for m in ("rnndrop", "semeniuta", "variational")), kept
