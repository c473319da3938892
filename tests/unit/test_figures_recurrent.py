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


def test_movie_names_its_memory_measure_and_the_cell_reads_at_narrow_widths():
    """Issue 14, item 7: the memory number is a cosine (it can be negative) and says so; the gate labels are
    full-size letters, not subscripts; the mask caption is centred under the cell, in short lines, so that it
    stays in the cell's column instead of running into the "cell state" axis title."""
    mv = rnn_demo.mask_movie("naive", 0.5, seed=0, steps=30, hidden=16)
    assert mv.memory_masked[-1] < 0  # the case that read as nonsense
    fig = figs.movie_figure(mv)
    assert all("cos(c_t, c_0) = " in f.layout.title.text for f in fig.frames)
    assert "memory kept" not in fig.layout.title.text
    notes = {a.text: a for a in fig.layout.annotations}
    for gate in "fiog":
        (label,) = [a for t, a in notes.items() if t.endswith(f"<br><i>{gate}</i>")]
        assert label.font.size >= 14 and "<sub>" not in label.text
    (caption,) = [a for t, a in notes.items() if t.startswith("tracked units' mask at t")]
    assert caption.xref == "x" and caption.xanchor == "center" and 0 < caption.x < 10  # inside the cell's axes
    assert max(len(line) for line in caption.text.split("<br>")) <= 25
    cell_domain = fig.layout.xaxis.domain
    state_axis = [ax for name, ax in fig.layout.to_plotly_json().items()
                  if name.startswith("yaxis") and "cell state" in str(ax.get("title", {}).get("text", ""))]
    assert state_axis and cell_domain[1] <= 0.45


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


def test_memory_figure_keeps_every_method_visible_where_lines_coincide():
    """Issue 14, item 8: RNNDrop hid under variational at accuracy 1.0. Each method's line is drawn wider, with
    bigger markers, than every line drawn after it (nested stripes), and the note names the methods that coincide."""
    import dataclasses

    e = train.run_experiment(train.ExperimentConfig(steps=10, hidden=8, max_lag=4, seeds=1))
    ones = np.ones(4)
    naive = np.array([0.2, 0.4, 0.3, 0.1])
    same = dataclasses.replace(e, histories=tuple(
        dataclasses.replace(h, accuracy=naive if h.config.method == "naive" else ones) for h in e.histories))
    fig = figs.memory_figure(same, np.array([4]))
    lines = [t for t in fig.data if t.mode == "lines+markers" and t.xaxis == "x"]  # the test-time panel
    assert [t.name for t in lines] == [figs.label(m) for m in e.config.methods]
    widths, sizes = [t.line.width for t in lines], [t.marker.size for t in lines]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)
    assert sizes == sorted(sizes, reverse=True) and len(set(sizes)) == len(sizes)
    note = figs.coinciding(same)
    others = [figs.label(m) for m in e.config.methods if m != "naive"]
    assert note.startswith(", ".join(others[:-1]) + " and " + others[-1] + " score exactly the same at 4 of 4"), note
    apart = dataclasses.replace(e, histories=tuple(
        dataclasses.replace(h, accuracy=np.full(4, 0.1 * (i + 1))) for i, h in enumerate(e.histories)))
    assert figs.coinciding(apart) == ""


def test_task_figure_marks_the_symbol_and_the_answer():
    t = train.task_preview(max_lag=10, seed=0, n=3)
    fig = figs.task_figure(t)
    assert np.array_equal(_arr(fig.data[0].z), (t.tokens < t.symbols).astype(float))
    assert sum("answer" in a.text for a in fig.layout.annotations) == 3
