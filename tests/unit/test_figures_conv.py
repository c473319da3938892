"""Tests of dropviz.figures.conv."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz import imaging
from dropviz.demos import conv as conv_demo


def _arr(v):
    return np.asarray(v, dtype=float)


def test_conv_rows_are_labelled_and_dropped_cells_grey():
    from dropviz.data import images
    from dropviz.figures import conv as cfigs

    d = conv_demo.image_demo(images.cat(), 0.5, 0)
    tiles, captions = cfigs.method_row(d.views[0], d.filters)
    assert len(tiles) == len(captions) == 9 and "Pixel dropout" in captions[0]
    maps = tiles[1:]
    grey = np.all(maps[0] == (0xE6, 0xE6, 0xE6), axis=-1)
    assert np.array_equal(grey, d.views[0].maps_dropped_at[0])
    assert captions[1:] == [f.name for f in imaging.FILTERS]


def test_conv_animation_has_frames_and_controls():
    from dropviz.data import images
    from dropviz.figures import conv as cfigs

    a = conv_demo.animation(images.cat(), 0.5, 0, n_frames=3)
    fig = cfigs.animation_figure(a, images.cat().pixels)
    assert len(fig.frames) == 3 and len(fig.frames[0].data) == len(a.methods)
    assert fig.frames[0].data[0].source != fig.frames[1].data[0].source, "a fresh mask each iteration"
    assert all(t.source.startswith("data:image/") for t in fig.data)
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in lbl for lbl in labels) and any("Pause" in lbl for lbl in labels)


def test_maxpool_and_dropblock_figures_draw_their_numbers():
    from dropviz.data import images
    from dropviz.figures import conv as cfigs

    d = conv_demo.maxpool_demo(images.cat(), 0.5, 0, n_mc=500)
    grid = cfigs.maxpool_grid_figure(d)
    assert np.allclose(_arr(grid.data[0].z), d.x) and len(grid.data[1].x) == int((~d.keep).sum())
    # the crosses sit in a corner of each dropped cell, small, so the cell's number stays readable (item 9)
    rows, cols = np.nonzero(~d.keep)
    crosses = grid.data[1]
    assert np.allclose(_arr(crosses.x), cols + 0.3) and np.allclose(_arr(crosses.y), rows - 0.3)
    assert crosses.marker.size <= 12
    rules = cfigs.maxpool_rules_figure(d)
    assert np.allclose(_arr(rules.data[3].y), d.pwp_out.ravel())
    b = conv_demo.dropblock_demo(images.cat(), 0.5, 0, n_curve=2)
    rate = cfigs.dropblock_rate_figure(b)
    assert np.allclose(_arr(rate.data[1].y), b.expected_grid)
    m = conv_demo.maxdrop_demo(images.cat(), 1.0, 0, window=3)
    fig = cfigs.maxdrop_figure(m, conv_demo.FILTERS)
    markers = [t for t in fig.data if t.type == "scatter"]
    assert len(markers) == 8 and sum("dropped" in t.hovertemplate for t in markers) == int(m.hit.sum()) == 8
    assert len(fig.layout.shapes) == 8, "each dropped window outlined"
    info = conv_demo.information_removed(images.cat(), 0.5, 0, n_draws=1)
    bars = cfigs.information_figure(info)
    assert np.allclose(_arr(bars.data[0].y), np.minimum(info.psnr_inpainted, 60))


@pytest.mark.parametrize("p, seed", [(0.3, 0), (0.3, 1), (0.9, 3)])
def test_conv_captions_say_why_spatial_and_maxdrop_are_far_from_p(p, seed):
    """The SpatialDropout and Max-Drop captions name the colour channels this draw hit, read against the
    picture shown (issue 14, item 2): a whole channel is black in SpatialDropout's picture, and only the
    channels Max-Drop names lost any value."""
    from dropviz.data import images
    from dropviz.figures import conv as cfigs

    d = conv_demo.image_demo(images.cat(), p, seed)
    clean = d.original.astype(int)
    views = {v.method: v for v in d.views}
    spatial = cfigs.method_row(views["spatial"], d.filters)[1][0]
    gone = [c for c, name in enumerate(cfigs.COLOUR_CHANNELS) if not views["spatial"].image[..., c].any()]
    named = [c for c, name in enumerate(cfigs.COLOUR_CHANNELS) if name in spatial.split(":")[2].split(".")[0]]
    assert named == gone, spatial
    assert f"({len(gone)} of 3)" in spatial and "one draw" in spatial
    maxdrop = cfigs.method_row(views["maxdrop"], d.filters)[1][0]
    lost = [c for c in range(3) if (views["maxdrop"].image[..., c].astype(int) < clean[..., c]).any()]
    named = [c for c, name in enumerate(cfigs.COLOUR_CHANNELS) if name in maxdrop.split(";")[1]]
    assert named == lost, maxdrop
    assert "maximum" in maxdrop


@pytest.mark.parametrize("lang", ["es", "zh", "ro"])
def test_conv_figures_and_captions_speak_the_language(lang):
    """Issue 13: every text the conv figures and captions carry is translated (the catalog's English msgids never
    reach a Spanish, Chinese or Romanian page); numbers and math stay as they are."""
    from dropviz import i18n
    from dropviz.data import images
    from dropviz.figures import conv as cfigs

    img = images.cat()
    d = conv_demo.image_demo(img, 0.5, 0)
    m = conv_demo.maxpool_demo(img, 0.3, 0, n_mc=200)
    b = conv_demo.dropblock_demo(img, 0.3, 0, n_curve=2)
    md = conv_demo.maxdrop_demo(img, 0.5, 0, n_maps=64)
    with i18n.using(lang):
        captions = [c for v in d.views for c in cfigs.method_row(v, d.filters)[1]] + cfigs.clean_row(d)[1]
        figs = [cfigs.maxpool_grid_figure(m), cfigs.maxpool_rules_figure(m), cfigs.window_distribution_figure(m),
                cfigs.dropblock_rate_figure(b), cfigs.maxdrop_figure(md, imaging.FILTERS)]
        legend = cfigs.filters_legend(d.filters)
    shown = captions + [legend]
    for fig in figs:
        shown += [t.name for t in fig.data if t.name] + [a.text for a in fig.layout.annotations]
        shown += [fig.layout.xaxis.title.text or "", fig.layout.yaxis.title.text or ""]
    # ("max pooling" is the term Spanish and Romanian courses use, so it may remain)
    english = ("values dropped", "channel", "edge", "blur", "Activations", "Pooled output", "weighted pooling",
               "theory", "measured", "actually dropped", "kept", "No dropout", "brightness", "output")
    for text in shown:
        assert not any(w in text for w in english), (lang, text)
    assert any("(1−p)·max" in t for t in shown), "math is never translated"
