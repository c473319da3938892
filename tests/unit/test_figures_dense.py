"""Tests of dropviz.figures.dense."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz.demos import dense as dense_demo
from dropviz.figures import dense as figs


def _arr(v):
    return np.asarray(v, dtype=float)


def test_network_animation_frames_follow_the_masks():
    anim = dense_demo.network_masks((5, 6, 6, 3), 0.2, 0.5, 9, seed=3)
    fig = figs.network_figure(anim)
    assert len(fig.frames) == 9
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in s for s in labels) and any("Pause" in s for s in labels)
    assert len(fig.layout.sliders[0].steps) == 9
    for f, frame in enumerate(fig.frames):
        nodes = frame.data[1]
        dropped = sum(s == "circle-x-open" for s in nodes.marker.symbol)
        assert dropped == sum(int((~k[f]).sum()) for k in anim.keep)
        assert "kept" in frame.layout.title.text
    # the output layer is never dropped
    assert all(k.all() for k in anim.keep[-1:])


def test_network_masks_differ_between_iterations():
    anim = dense_demo.network_masks((5, 8, 8, 3), 0.2, 0.5, 12, seed=0)
    hidden = anim.keep[1]
    assert len({tuple(r) for r in hidden}) > 1


def test_train_test_figure_draws_the_demo_numbers():
    tt = dense_demo.train_test(0.4, seed=2, n_masks=5000)
    fig = figs.train_test_figure(tt)
    bars = [t for t in fig.data if t.type == "bar"]
    assert np.allclose(_arr(bars[2].y), tt.classic_test) and np.allclose(_arr(bars[5].y), tt.inverted_test)
    assert np.allclose(tt.classic_test, 0.6 * tt.a)


def test_unit_output_histogram_counts_every_mask():
    uo = dense_demo.unit_output(0.5, seed=1, n_masks=3000)
    fig = figs.unit_output_figure(uo)
    assert _arr(fig.data[0].y).sum() == 3000
    assert _arr(fig.data[1].x)[0] == pytest.approx(uo.no_dropout)


def test_mask_pair_heatmaps_show_the_masks():
    mp = dense_demo.mask_pair(0.3, seed=0, batch=4, units=6, n=10_000)
    fig = figs.mask_pair_figure(mp)
    assert np.allclose(_arr(fig.data[0].z), mp.bernoulli) and np.allclose(_arr(fig.data[1].z), mp.gaussian)
    assert np.allclose(_arr(fig.data[4].z), mp.x) and np.allclose(_arr(fig.data[5].z), mp.x), "x itself is shown"
    hist = figs.mask_histogram_figure(mp)
    assert _arr(hist.data[0].y).sum() == pytest.approx(1.0) and _arr(hist.data[1].y).sum() == pytest.approx(1.0)


def test_dropconnect_figures():
    d = dense_demo.dropconnect_demo(0.5, seed=0, in_features=16, out_features=4, n_mc=2000, n_gauss=200)
    fig = figs.dropconnect_masks_figure(d)
    assert np.allclose(_arr(fig.data[0].z), d.dc_mask[0])
    rows = _arr(fig.data[1].z)
    assert all(len(set(r)) == 1 for r in rows)  # dropout masks whole rows
    inf = figs.dropconnect_inference_figure(d)
    names = [t.name.split(" (")[0] for t in inf.data]
    assert names == ["Monte Carlo reference", "weight scaling", "Gaussian moment matching"]
    assert f"{d.err_gaussian:.4f}" in inf.data[2].name


def test_standout_figures():
    d = dense_demo.standout_demo(1.0, 0.0, seed=0, n=20_000)
    curves = figs.standout_curves_figure(d)
    assert np.allclose(_arr(curves.data[0].y), 1 / (1 + np.exp(-d.z_grid)), atol=1e-6)
    batch = figs.standout_batch_figure(d)
    assert len(batch.data[1].x) == int((d.mask == 0).sum())


def test_network_animation_every_frame_carries_its_own_title():
    """Each frame's layout holds the title for that frame's mask, and the controls redraw it: without a redraw
    plotly.js keeps frame 1's title on screen while the units change (issue 14, item 1)."""
    anim = dense_demo.network_masks((5, 7, 7, 3), 0.2, 0.5, 12, seed=0)
    fig = figs.network_figure(anim)
    titles = [frame.layout.title.text for frame in fig.frames]
    for f, title in enumerate(titles):
        inputs = int(anim.keep[0][f].sum())
        hidden = int(sum(k[f].sum() for k in anim.keep[1:-1]))
        assert title == f"Iteration {f + 1}: {inputs}/5 inputs, {hidden}/14 hidden units kept"
    assert len(set(titles)) == len(titles), "every iteration names itself"
    assert fig.layout.title.text == titles[0]
    play = fig.layout.updatemenus[0].buttons[0].args[1]
    assert play["frame"]["redraw"] is True
    assert all(step.args[1]["frame"]["redraw"] is True for step in fig.layout.sliders[0].steps)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9, 1.0])
def test_train_test_bars_share_one_y_scale(p):
    """Classic and inverted are drawn on one y-scale (issue 14, item 4); at large p the inverted training
    spikes a/(1−p) are cut at the top and labelled with their value instead of flattening the other bars."""
    tt = dense_demo.train_test(p, seed=0, n_masks=2000)
    fig = figs.train_test_figure(tt)
    y1, y2 = fig.layout.yaxis, fig.layout.yaxis2
    assert y2.matches == "y" and tuple(y1.range) == tuple(y2.range) and y1.range[0] == 0
    top = y1.range[1]
    bars = [t for t in fig.data if t.type == "bar"]
    spikes = _arr(bars[3].y)  # the inverted panel's one training pass
    others = np.concatenate([_arr(b.y) for i, b in enumerate(bars) if i != 3] + [tt.a])
    assert others.max() <= top, "every other bar fits the scale"
    cut = [a.text for a in fig.layout.annotations if a.text.startswith("↑")]
    assert cut == [f"↑{v:.1f}" for v in spikes if v > figs.SPIKE_CAP * others.max()]
    assert all(v <= top for v in spikes if v <= figs.SPIKE_CAP * others.max()), "an uncut bar is drawn whole"
    if p == 0.9:
        assert cut and top < spikes.max(), "at p = 0.9 the spikes would flatten the rest"


def test_gaussian_sign_flips_are_counted_and_said():
    """At p = 0.9 about a third of Gaussian mask values are negative and flip the sign of x (issue 14, item 5):
    the figure counts them in the mask's title, and the measured fraction matches Φ(−1/σ)."""
    from math import erfc, sqrt

    mp = dense_demo.mask_pair(0.9, seed=0, batch=8, units=16, n=200_000)
    fig = figs.mask_pair_figure(mp)
    neg = int((mp.gaussian < 0).sum())
    assert neg > 0
    titles = [a.text for a in fig.layout.annotations]
    assert any(f"{neg} of {mp.gaussian.size} below 0" in t for t in titles)
    assert any("sign flipped" in t for t in titles)
    theory = 0.5 * erfc(1 / (3.0 * sqrt(2)))  # σ = sqrt(0.9/0.1) = 3
    assert mp.theory_negative == pytest.approx(theory)
    assert abs(mp.gaussian_negative - theory) < 5 * sqrt(theory * (1 - theory) / mp.n)
    assert dense_demo.mask_pair(0.0, seed=0, n=1000).gaussian_negative == 0


def test_train_test_subtitles_are_short_lines():
    """Two short lines each, so that the two titles do not run into each other at 150% zoom (item 10)."""
    fig = figs.train_test_figure(dense_demo.train_test(0.5, seed=0, n_masks=100))
    titles = [a.text for a in fig.layout.annotations if a.text.startswith("<b>")]
    assert len(titles) == 2
    for t in titles:
        assert t.count("<br>") == 1 and all(len(line.replace("<b>", "").replace("</b>", "")) <= 35
                                            for line in t.split("<br>"))
