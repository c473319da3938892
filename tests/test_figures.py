"""Figures draw exactly the arrays they are given, and the animation has working controls."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz import dense
from dropviz.figures import dense as figs
from dropviz.figures.common import to_image


def _arr(v):
    return np.asarray(v, dtype=float)


def test_network_animation_frames_follow_the_masks():
    anim = dense.network_masks((5, 6, 6, 3), 0.2, 0.5, 9, seed=3)
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
    anim = dense.network_masks((5, 8, 8, 3), 0.2, 0.5, 12, seed=0)
    hidden = anim.keep[1]
    assert len({tuple(r) for r in hidden}) > 1


def test_train_test_figure_draws_the_demo_numbers():
    tt = dense.train_test(0.4, seed=2, n_masks=5000)
    fig = figs.train_test_figure(tt)
    bars = [t for t in fig.data if t.type == "bar"]
    assert np.allclose(_arr(bars[2].y), tt.classic_test) and np.allclose(_arr(bars[5].y), tt.inverted_test)
    assert np.allclose(tt.classic_test, 0.6 * tt.a)


def test_unit_output_histogram_counts_every_mask():
    uo = dense.unit_output(0.5, seed=1, n_masks=3000)
    fig = figs.unit_output_figure(uo)
    assert _arr(fig.data[0].y).sum() == 3000
    assert _arr(fig.data[1].x)[0] == pytest.approx(uo.no_dropout)


def test_mask_pair_heatmaps_show_the_masks():
    mp = dense.mask_pair(0.3, seed=0, batch=4, units=6, n=10_000)
    fig = figs.mask_pair_figure(mp)
    assert np.allclose(_arr(fig.data[0].z), mp.bernoulli) and np.allclose(_arr(fig.data[1].z), mp.gaussian)
    hist = figs.mask_histogram_figure(mp)
    assert _arr(hist.data[0].y).sum() == pytest.approx(1.0) and _arr(hist.data[1].y).sum() == pytest.approx(1.0)


def test_dropconnect_figures():
    d = dense.dropconnect_demo(0.5, seed=0, in_features=16, out_features=4, n_mc=2000, n_gauss=200)
    fig = figs.dropconnect_masks_figure(d)
    assert np.allclose(_arr(fig.data[0].z), d.dc_mask[0])
    rows = _arr(fig.data[1].z)
    assert all(len(set(r)) == 1 for r in rows)  # dropout masks whole rows
    inf = figs.dropconnect_inference_figure(d)
    names = [t.name.split(" (")[0] for t in inf.data]
    assert names == ["Monte Carlo reference", "weight scaling", "Gaussian moment matching"]
    assert f"{d.err_gaussian:.4f}" in inf.data[2].name


def test_standout_figures():
    d = dense.standout_demo(1.0, 0.0, seed=0, n=20_000)
    curves = figs.standout_curves_figure(d)
    assert np.allclose(_arr(curves.data[0].y), 1 / (1 + np.exp(-d.z_grid)), atol=1e-6)
    batch = figs.standout_batch_figure(d)
    assert len(batch.data[1].x) == int((d.mask == 0).sum())


def test_to_image_colours_dropped_cells_grey():
    a = np.array([[0.0, 1.0], [2.0, 0.0]])
    im = np.asarray(to_image(a, cell=2))
    assert im.shape == (4, 4, 3)
    assert tuple(im[0, 0]) == (0xE6, 0xE6, 0xE6) and tuple(im[0, 2]) != (0xE6, 0xE6, 0xE6)


# -- convolutional pages ----------------------------------------------------------------------------


def test_conv_rows_are_labelled_and_dropped_cells_grey():
    from dropviz import conv, images
    from dropviz.figures import conv as cfigs

    d = conv.image_demo(images.cat(), 0.5, 0)
    tiles, captions = cfigs.method_row(d.views[0], d.filters)
    assert len(tiles) == len(captions) == 9 and "Pixel dropout" in captions[0]
    maps = tiles[1:]
    grey = np.all(maps[0] == (0xE6, 0xE6, 0xE6), axis=-1)
    assert np.array_equal(grey, d.views[0].maps_dropped_at[0])
    assert captions[1:] == [f.name for f in conv.FILTERS]


def test_conv_animation_has_frames_and_controls():
    from dropviz import conv, images
    from dropviz.figures import conv as cfigs

    a = conv.animation(images.cat(), 0.5, 0, n_frames=3)
    fig = cfigs.animation_figure(a, images.cat().pixels)
    assert len(fig.frames) == 3 and len(fig.frames[0].data) == len(a.methods)
    assert fig.frames[0].data[0].source != fig.frames[1].data[0].source, "a fresh mask each iteration"
    assert all(t.source.startswith("data:image/") for t in fig.data)
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in lbl for lbl in labels) and any("Pause" in lbl for lbl in labels)


def test_maxpool_and_dropblock_figures_draw_their_numbers():
    from dropviz import conv, images
    from dropviz.figures import conv as cfigs

    d = conv.maxpool_demo(images.cat(), 0.5, 0, n_mc=500)
    grid = cfigs.maxpool_grid_figure(d)
    assert np.allclose(_arr(grid.data[0].z), d.x) and len(grid.data[1].x) == int((~d.keep).sum())
    rules = cfigs.maxpool_rules_figure(d)
    assert np.allclose(_arr(rules.data[3].y), d.pwp_out.ravel())
    b = conv.dropblock_demo(images.cat(), 0.5, 0, n_curve=2)
    rate = cfigs.dropblock_rate_figure(b)
    assert np.allclose(_arr(rate.data[1].y), b.expected_grid)
    m = conv.maxdrop_demo(images.cat(), 1.0, 0, window=3)
    fig = cfigs.maxdrop_figure(m, conv.FILTERS)
    markers = [t for t in fig.data if t.type == "scatter"]
    assert len(markers) == 8 and sum("dropped" in t.hovertemplate for t in markers) == int(m.hit.sum()) == 8
    assert len(fig.layout.shapes) == 8, "each dropped window outlined"
    info = conv.information_removed(images.cat(), 0.5, 0, n_draws=1)
    bars = cfigs.information_figure(info)
    assert np.allclose(_arr(bars.data[0].y), np.minimum(info.psnr_inpainted, 60))
