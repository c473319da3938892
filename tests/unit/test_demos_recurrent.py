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
    movies = {m.method: m for m in rnn_demo.mask_movies(0.5, seed=0, steps=30, hidden=16)}
    kept = {k: m.memory_masked[-1] for k, m in movies.items()}
    assert kept["naive"] < 0.3
    assert all(kept[m] > 0.6 for m in ("rnndrop", "semeniuta")), kept  # masks that leave the write at t = 0 alone
    # "memory kept" is measured against the CLEAN run's c_0: a mask on x changes the write itself, so even at
    # t = 0 the variational run's cell is not the clean one
    assert movies["variational"].memory_masked[0] < 0.99 and movies["rnndrop"].memory_clean[0] > 0.999


def test_training_mean_vs_test_output_is_measured():
    movies = {m.method: m for m in rnn_demo.mask_movies(0.5, seed=0, steps=30, hidden=16)}
    assert all(0.0 < m.train_mean_ratio < 1.0 for m in movies.values())  # every mask passes a nonlinearity
    assert movies["naive"].train_mean_ratio < movies["rnndrop"].train_mean_ratio  # erased memory is furthest off
    assert rnn_demo.mask_movie("rnndrop", 0.0, 0).train_mean_ratio == pytest.approx(1.0)  # no dropout: identical
