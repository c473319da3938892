"""Tests of dropviz.figures.recurrent."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz import methods, train
from dropviz.demos import recurrent as rnn_demo
from dropviz.figures import recurrent as figs


def _arr(v):
    return np.asarray(v, dtype=float)


@pytest.mark.parametrize("method,tied", [("naive", True), ("rnndrop", True), ("semeniuta", True),
                                         ("variational", True), ("variational", False)])
def test_movie_shows_every_mask_and_animates_every_step(method, tied):
    mv = rnn_demo.mask_movie(method, 0.4, seed=1, steps=12, hidden=6, tied=tied)
    fig = figs.movie_figure(mv)
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == len(mv.wires)
    for hm, m in zip(heatmaps, mv.masks, strict=True):
        assert np.allclose(_arr(hm.z), m)
    assert len(fig.frames) == 12 and len(fig.layout.sliders[0].steps) == 12
    labels = " ".join(b.label for b in fig.layout.updatemenus[0].buttons)
    assert "Play" in labels and "Pause" in labels
    # plotly.js drops heatmaps from the screen on frames drawn without a redraw
    assert fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is True
    # frame t draws the masked trajectories up to t and the tracked units' mask at t
    last = fig.frames[-1]
    k = len(mv.track)
    trajectories = last.data[2 * len(mv.wires) : 2 * len(mv.wires) + k]
    for i, tr in enumerate(trajectories):
        assert np.allclose(_arr(tr.y), mv.c_masked[i])
    markers = last.data[-1]
    kept = mv.masks[-1][mv.track, -1] > 0
    assert [s == "square" for s in markers.marker.symbol] == list(kept)
    assert "t = 11" in last.layout.title.text and f"{mv.memory_masked[-1]:.2f}" in last.layout.title.text
    # the clean trajectories are static, dashed
    clean = [t for t in fig.data if t.type == "scatter" and t.line.dash == "dash"]
    assert len(clean) == k and np.allclose(_arr(clean[0].y), mv.c_clean[0])


def test_diagram_highlights_the_masked_wires():
    for method, wires in (("rnndrop", {"c"}), ("semeniuta", {"g"}), ("variational", {"x", "h"})):
        fig = figs.movie_figure(rnn_demo.mask_movie(method, 0.5, seed=0, steps=5, hidden=4))
        thick = [t for t in fig.data if t.type == "scatter" and t.line.width == 6]
        assert len(thick) == len(wires), method
        text = " ".join(a.text for a in fig.layout.annotations)
        for w in wires:
            assert f"m<sub>{w}</sub>" in text


def test_overview_shows_each_methods_main_mask():
    movies = rnn_demo.mask_movies(0.5, seed=3, steps=10, hidden=5)
    fig = figs.overview_figure(movies)
    assert len(fig.data) == len(methods.schedules())
    for tr, mv in zip(fig.data, movies, strict=True):
        assert np.allclose(_arr(tr.z), mv.masks[-1])


def test_embedding_figure_greys_out_dropped_words():
    d = rnn_demo.embedding_demo(0.5, seed=0)
    fig = figs.embedding_figure(d)
    assert np.array_equal(_arr(fig.data[0].z), (d.token_mask > 0).astype(float))
    assert fig.data[0].text[0][0] == rnn_demo.WORDS[d.tokens[0, 0]]


def test_memory_figure_shows_mean_and_seed_range_with_and_without_masks():
    e = train.run_experiment(train.ExperimentConfig(steps=10, hidden=8, max_lag=4, seeds=2))
    fig = figs.memory_figure(e, np.array([4]), np.array([1]))
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    # per method (the no-dropout baseline first): the no-dropout panel, then the masks-on panel
    assert [t.name for t in lines] == [figs.label(m) for m in e.config.methods for _ in range(2)]
    assert lines[0].name == "no dropout"
    for k, m in enumerate(e.config.methods):
        clean, masked = lines[2 * k], lines[2 * k + 1]
        assert np.allclose(_arr(clean.y), e.accuracy(m)) and np.allclose(_arr(masked.y), e.accuracy(m, masked=True))
        assert np.allclose(_arr(clean.x), e.lags)
    bands = [t for t in fig.data if t.fill == "toself"]
    assert len(bands) == 2 * len(e.config.methods)
    runs = e.accuracies("naive")
    band = next(t for t in bands if t.name.startswith(figs.label("naive")))
    assert np.allclose(_arr(band.y), np.concatenate([runs.max(0), runs.min(0)[::-1]]))  # from worst to best seed
    chance = fig.data[0]
    assert np.allclose(_arr(chance.y), 1 / 8)
    long_, short = [(s.x0, s.x1) for s in fig.layout.shapes][:2]  # the claim's windows: longest and short lags
    assert long_ == (3.5, 4.5) and short == (0.5, 1.5)


def test_task_figure_marks_the_symbol_and_the_answer():
    t = train.task_preview(max_lag=10, seed=0, n=3)
    fig = figs.task_figure(t)
    assert np.array_equal(_arr(fig.data[0].z), (t.tokens < t.symbols).astype(float))
    assert sum("answer" in a.text for a in fig.layout.annotations) == 3
