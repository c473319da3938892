"""Tests of dropviz.masks.conv."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dropviz import layers, masks
from dropviz.data import images
from dropviz.demos import conv as conv_demo
from tests.conftest import binomial_ok


def g(seed: int = 0) -> torch.Generator:
    return masks.make_generator(seed)


def torchvision_drop_block2d(x, p, block_size, eps=1e-6):
    """torchvision.ops.drop_block2d (v0.20), transcribed: torchvision itself is not installed beside this torch."""
    n, c, h, w = x.size()
    block_size = min(block_size, w, h)
    gamma = (p * h * w) / ((block_size**2) * ((h - block_size + 1) * (w - block_size + 1)))
    noise = torch.empty((n, c, h - block_size + 1, w - block_size + 1), dtype=x.dtype, device=x.device)
    noise.bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * 4, value=0)
    noise = F.max_pool2d(noise, stride=(1, 1), kernel_size=(block_size, block_size), padding=block_size // 2)
    noise = 1 - noise
    normalize_scale = noise.numel() / (eps + noise.sum())
    return x * noise * normalize_scale


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_pixel_mask_rate_and_scale(p):
    m = masks.pixel_mask((8, 4, 32, 32), p, generator=g())
    assert m.shape == (8, 4, 32, 32)
    assert binomial_ok(int((m > 0).sum()), m.numel(), 1 - p)
    assert torch.allclose(m[m > 0], torch.full_like(m[m > 0], 1 / (1 - p)))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_spatial_mask_is_whole_channels_like_dropout2d(p):
    """Same shape semantics, rate and scale as F.dropout2d; on the CPU, with the same seed, the very same mask."""
    x = torch.ones(64, 32, 5, 7)
    ours = x * masks.spatial_mask(x.shape, p, generator=g(3))
    torch.manual_seed(3)
    theirs = F.dropout2d(x, p, training=True)
    for y in (ours, theirs):
        flat = y.flatten(2)
        assert (flat == flat[..., :1]).all(), "a channel is all kept or all dropped"
    assert masks.spatial_mask(x.shape, p, generator=g(3)).shape == (64, 32, 1, 1)
    assert torch.equal(ours, theirs)


def test_spatial_drops_a_whole_colour_channel_of_the_cat():
    x = images.cat().tensor().expand(16, -1, -1, -1)
    out = conv_demo.apply("spatial", x, 0.5, generator=g(1))
    per_channel = out.keep.flatten(2).float()
    assert ((per_channel.mean(-1) == 0) | (per_channel.mean(-1) == 1)).all()
    assert 0 < (~out.keep).float().mean() < 1


def test_cutout_square_is_exactly_l_by_l_inside_and_clipped_at_borders():
    h, w, L = 40, 50, 10
    m, holes = masks.cutout_mask((2000, 3, h, w), L, generator=g(), return_holes=True)
    assert m.shape == (2000, 1, h, w), "one mask shared by all channels"
    cy, cx = holes.centers[:, 0, 0], holes.centers[:, 0, 1]
    area = (m[:, 0] == 0).flatten(1).sum(1)
    inside = (cy - L // 2 >= 0) & (cy - L // 2 + L <= h) & (cx - L // 2 >= 0) & (cx - L // 2 + L <= w)
    assert (area[inside] == L * L).all(), "L×L, i.e. ±L//2 around the centre (not the ±L of one code version)"
    assert (area[~inside] < L * L).all() and (~inside).any(), "clipped at the border"
    # the centre is uniform over the WHOLE image: the corners and edges are reached too
    assert cy.min() == 0 and cy.max() == h - 1 and cx.min() == 0 and cx.max() == w - 1
    assert abs(cy.float().mean() - (h - 1) / 2) < 5 * h / math.sqrt(12 * 2000)


@pytest.mark.parametrize("kind", masks.CUTOUT_SHAPES)
def test_cutout_shapes_have_area_about_l_squared(kind):
    L, h, w = 12, 100, 100
    m, holes = masks.cutout_mask((300, 1, h, w), L, kind=kind, generator=g(1), return_holes=True)
    c = holes.centers[:, 0]
    inside = (c[:, 0] > 20) & (c[:, 0] < 80) & (c[:, 1] > 20) & (c[:, 1] < 80)
    area = (m[:, 0] == 0).flatten(1).sum(1)[inside].float()
    assert abs(float(area.mean()) - L * L) <= 0.1 * L * L
    if kind == "rectangle":
        hh, ww = masks.hole_extent(L, kind)
        assert ww == 2 * hh or abs(ww / hh - 2) < 0.2


def test_cutout_channels_option_and_several_holes():
    m = masks.cutout_mask((500, 3, 30, 30), 8, n_holes=3, channels=1, generator=g(2))
    assert m.shape == (500, 3, 30, 30)
    dropped = m == 0  # (B, C, H, W)
    # a pixel in one hole is dropped in exactly one channel unless holes overlap there
    per_pixel = dropped.sum(1)
    assert per_pixel.max() <= 3 and (per_pixel == 1).sum() > 0.8 * (per_pixel >= 1).sum()
    assert all(dropped[:, c].any() for c in range(3)), "each channel is chosen sometimes"
    all_ch = masks.cutout_mask((10, 3, 30, 30), 8, n_holes=3, generator=g(2))
    assert all_ch.shape == (10, 1, 30, 30)


def test_cutout_length_follows_p():
    assert masks.cutout_length(0.0, 100, 100) == 0
    assert masks.cutout_length(0.25, 100, 100) == 50
    assert masks.cutout_length(0.25, 100, 100, n_holes=4) == 25
    assert (masks.cutout_mask((4, 3, 20, 20), 0, generator=g()) == 1).all()


@pytest.mark.parametrize("bad", [dict(kind="hexagon"), dict(n_holes=0), dict(length=-1)])
def test_cutout_rejects_bad_arguments(bad):
    kwargs = dict(length=5) | bad
    with pytest.raises(ValueError):
        masks.cutout_mask((1, 3, 20, 20), **kwargs)


@pytest.mark.parametrize("bs", [1, 3, 5, 7])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropblock_matches_torchvision_exactly(bs, p):
    x = torch.rand(4, 3, 24, 31) + 0.1
    torch.manual_seed(7)
    theirs = torchvision_drop_block2d(x, p, bs)
    ours = x * masks.dropblock_mask(x.shape, p, bs, generator=g(7))
    assert torch.allclose(ours, theirs)


@pytest.mark.parametrize("bs", [2, 4])
def test_dropblock_even_block_sizes_make_whole_blocks(bs):
    """torchvision's bs//2 padding breaks for even bs; ours drops bs×bs blocks for any bs."""
    seeds = torch.zeros(1, 1, 10 - bs + 1, 10 - bs + 1)
    seeds[0, 0, 2, 3] = 1
    blocks = masks.expand_blocks(seeds, bs)
    assert blocks.shape == (1, 1, 10, 10)
    assert blocks.sum() == bs * bs and blocks[0, 0, 2 : 2 + bs, 3 : 3 + bs].all()


@pytest.mark.parametrize("p", [0.2, 0.6, 0.95])
def test_dropblock_rate_is_the_exact_expectation_and_below_nominal(p):
    h, w, bs = 40, 48, 7
    m = masks.dropblock_mask((400, 1, h, w), p, bs, generator=g(1))
    per_map = (m == 0).flatten(1).double().mean(1)
    expected = masks.dropblock_expected_rate(p, bs, h, w)
    assert abs(float(per_map.mean()) - expected) < 5 * float(per_map.std()) / 20
    assert expected < p
    assert masks.dropblock_expected_rate(p, 1, h, w) == pytest.approx(p), "bs = 1 is pixel dropout"


def test_dropblock_normalises_by_the_kept_count_and_clips_block_size():
    m = masks.dropblock_mask((8, 4, 12, 12), 0.3, 99, generator=g())
    kept = m[m > 0]
    assert torch.allclose(kept, torch.full_like(kept, m.numel() / (m > 0).sum()), rtol=1e-4)
    assert masks.dropblock_gamma(0.3, 99, 12, 12) == pytest.approx(min(1.0, 0.3 * 144 / (144 * 1)))
    assert (masks.dropblock_mask((2, 2, 9, 9), 0.0, 3, generator=g()) == 1).all()


def test_maxdrop_removes_the_argmax_of_hit_maps_only():
    x = torch.rand(500, 4, 9, 11)
    md = masks.maxdrop_mask(x, 0.4, 1, generator=g(2))
    dropped = md.mask == 0
    flat = x.flatten(2)
    top = flat.argmax(-1)
    assert torch.equal(md.argmax, top)
    assert (dropped.flatten(2).sum(-1) == md.hit.long()).all(), "one value per hit map, none elsewhere"
    hit_pos = dropped.flatten(2).float().argmax(-1)
    assert torch.equal(hit_pos[md.hit], top[md.hit])
    assert binomial_ok(int(md.hit.sum()), md.hit.numel(), 0.4)
    kept = md.mask[md.mask > 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - 0.4 / 99)))


def test_maxdrop_window_is_centred_and_clipped():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 0, 6] = 5.0  # the maximum, near a corner
    md = masks.maxdrop_mask(x, 1.0, 3, generator=g())
    dropped = md.mask[0, 0] == 0
    assert dropped.sum() == 6 and dropped[0:2, 5:8].all()


def test_maxdrop_only_drops_positive_maxima_and_validates_window():
    x = -torch.rand(10, 3, 6, 6)
    md = masks.maxdrop_mask(x, 1.0, 1, generator=g())
    assert not md.hit.any() and (md.argmax == -1).all()
    for bad in (2, 7):
        with pytest.raises(ValueError):
            masks.maxdrop_mask(torch.rand(1, 1, 6, 6), 0.5, bad)
    assert layers.fit_window(31, 6, 6) == 5 and layers.fit_window(4, 20, 20) == 3
