"""Tests of dropviz.methods."""

from __future__ import annotations

import os

import numpy as np
import pytest

from dropviz import methods, ui
from tests.conftest import ROOT

P_ONE_KEEPS_SOME = {
    "standout": "no p at all: the keep probability comes from each unit's drive",
    "cutout": "p sets the hole's nominal area; a hole centred near the border is clipped",
    "dropblock": "γ counts blocks as if they never overlapped: the actual rate stays below p",
    "maxdrop": "p is the chance that a map loses its maximum, not a fraction of values",
}


def test_ids_unique_and_lookup():
    ids = [m.id for m in methods.METHODS]
    assert len(ids) == len(set(ids))
    for m in methods.METHODS:
        assert methods.get(m.id) is m
    with pytest.raises(KeyError, match="known"):
        methods.get("no-such-method")


def test_duplicate_ids_are_refused():
    m = methods.METHODS[0]
    with pytest.raises(ValueError, match="duplicate"):
        methods._index((m, m))


@pytest.mark.parametrize("m", methods.METHODS, ids=lambda m: m.id)
def test_record_is_complete(m):
    assert m.family in methods.FAMILIES
    for field in ("name", "summary", "masks", "shared_axes", "test_time", "p_in_paper"):
        assert getattr(m, field).strip(), field
    assert m.paper.year > 1990 and m.paper.url.startswith("https://") and m.paper.authors and m.paper.title
    assert os.path.isfile(os.path.join(ROOT, m.page)), m.page
    assert m.page in {p.path for p in ui.all_pages()}, "its page must be in the navigation"


@pytest.mark.parametrize("m", methods.METHODS, ids=lambda m: m.id)
def test_thumbnail_is_seeded_2d_and_shows_the_mask(m):
    a = m.thumbnail(0.5, 3)
    assert (a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 3)) and np.isfinite(a).all()
    assert np.array_equal(a, m.thumbnail(0.5, 3))
    assert not np.array_equal(a, m.thumbnail(0.5, 4))
    if m.id != "standout":  # standout has no p
        assert np.count_nonzero(m.thumbnail(0.0, 3)) == m.thumbnail(0.0, 3).size
    if m.id in P_ONE_KEEPS_SOME:
        if m.id != "standout":
            assert 0 < np.count_nonzero(m.thumbnail(1.0, 3)) < a.size, "p = 1 drops something, not everything"
    else:
        assert np.count_nonzero(m.thumbnail(1.0, 3)) == 0


def test_every_page_file_is_in_the_navigation():
    on_disk = {f"pages/{f}" for f in os.listdir(os.path.join(ROOT, "pages")) if f.endswith(".py")}
    assert on_disk == {p.path for p in ui.all_pages()}


CHANNELS = ("red", "green", "blue")


def _named(caption: str) -> list[str]:
    return [c for c in CHANNELS if c in caption]


@pytest.mark.parametrize("seed", range(6))
def test_gallery_caption_names_what_this_draw_dropped(seed):
    """The conv cards say which colour channels the draw shown lost, checked against the mask drawn
    independently with the same seed (issue 14, item 3: the card said "the red channel" over two dropped)."""
    from dropviz import data, masks

    x = data.gallery_image()
    spatial = methods.get("spatial").thumbnail(0.5, seed)
    mask = masks.spatial_mask(x.shape, 0.5, generator=masks.make_generator(seed))[0, :, 0, 0]
    dropped = [c for c, m in zip(CHANNELS, mask, strict=True) if m == 0]
    caption = methods.gallery_caption("spatial", spatial)
    assert _named(caption.split(":")[0]) == dropped, caption
    assert f"({len(dropped)} of 3)" in caption or len(dropped) in (0, 3)
    maxdrop = methods.get("maxdrop").thumbnail(0.5, seed)
    md = masks.maxdrop_mask(x, 0.5, methods.GALLERY_SETTINGS.maxdrop_window, generator=masks.make_generator(seed))
    caption = methods.gallery_caption("maxdrop", maxdrop)
    assert _named(caption.split("lost")[0]) == [c for c, h in zip(CHANNELS, md.hit[0], strict=True) if h], caption


def test_gallery_caption_of_a_dense_card_is_its_dropped_fraction():
    a = methods.get("standard").thumbnail(0.3, 1)
    expected = f"This draw dropped {(a == 0).mean():.0%} of the cells (light grey)."
    assert methods.gallery_caption("standard", a) == expected
    g = methods.get("gaussian").thumbnail(0.9, 1)
    assert f"{(g < 0).mean():.0%} of the cells got negative noise" in methods.gallery_caption("gaussian", g)
