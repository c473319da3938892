"""Convolutional methods: the structure and statistics of every mask, torch / torchvision as oracles, the PWP
formula against sampling, Max-Drop's argmax, the filter bank, inpainting, and the page computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dropviz import conv, images, masks
from tests.conftest import binomial_ok


def g(seed: int = 0) -> torch.Generator:
    return masks.make_generator(seed)


# -- pixel and spatial ------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_pixel_mask_rate_and_scale(p):
    m = conv.pixel_mask((8, 4, 32, 32), p, generator=g())
    assert m.shape == (8, 4, 32, 32)
    assert binomial_ok(int((m > 0).sum()), m.numel(), 1 - p)
    assert torch.allclose(m[m > 0], torch.full_like(m[m > 0], 1 / (1 - p)))


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_spatial_mask_is_whole_channels_like_dropout2d(p):
    """Same shape semantics, rate and scale as F.dropout2d; on the CPU, with the same seed, the very same mask."""
    x = torch.ones(64, 32, 5, 7)
    ours = x * conv.spatial_mask(x.shape, p, generator=g(3))
    torch.manual_seed(3)
    theirs = F.dropout2d(x, p, training=True)
    for y in (ours, theirs):
        flat = y.flatten(2)
        assert (flat == flat[..., :1]).all(), "a channel is all kept or all dropped"
    assert conv.spatial_mask(x.shape, p, generator=g(3)).shape == (64, 32, 1, 1)
    assert torch.equal(ours, theirs)


def test_spatial_drops_a_whole_colour_channel_of_the_cat():
    x = images.cat().tensor().expand(16, -1, -1, -1)
    out = conv.apply("spatial", x, 0.5, generator=g(1))
    per_channel = out.keep.flatten(2).float()
    assert ((per_channel.mean(-1) == 0) | (per_channel.mean(-1) == 1)).all()
    assert 0 < (~out.keep).float().mean() < 1


# -- Cutout -----------------------------------------------------------------------------------------


def test_cutout_square_is_exactly_l_by_l_inside_and_clipped_at_borders():
    h, w, L = 40, 50, 10
    m, holes = conv.cutout_mask((2000, 3, h, w), L, generator=g(), return_holes=True)
    assert m.shape == (2000, 1, h, w), "one mask shared by all channels"
    cy, cx = holes.centers[:, 0, 0], holes.centers[:, 0, 1]
    area = (m[:, 0] == 0).flatten(1).sum(1)
    inside = (cy - L // 2 >= 0) & (cy - L // 2 + L <= h) & (cx - L // 2 >= 0) & (cx - L // 2 + L <= w)
    assert (area[inside] == L * L).all(), "L×L, i.e. ±L//2 around the centre (not the ±L of one code version)"
    assert (area[~inside] < L * L).all() and (~inside).any(), "clipped at the border"
    # the centre is uniform over the WHOLE image: the corners and edges are reached too
    assert cy.min() == 0 and cy.max() == h - 1 and cx.min() == 0 and cx.max() == w - 1
    assert abs(cy.float().mean() - (h - 1) / 2) < 5 * h / math.sqrt(12 * 2000)


@pytest.mark.parametrize("kind", conv.CUTOUT_SHAPES)
def test_cutout_shapes_have_area_about_l_squared(kind):
    L, h, w = 12, 100, 100
    m, holes = conv.cutout_mask((300, 1, h, w), L, kind=kind, generator=g(1), return_holes=True)
    c = holes.centers[:, 0]
    inside = (c[:, 0] > 20) & (c[:, 0] < 80) & (c[:, 1] > 20) & (c[:, 1] < 80)
    area = (m[:, 0] == 0).flatten(1).sum(1)[inside].float()
    assert abs(float(area.mean()) - L * L) <= 0.1 * L * L
    if kind == "rectangle":
        hh, ww = conv.hole_extent(L, kind)
        assert ww == 2 * hh or abs(ww / hh - 2) < 0.2


def test_cutout_channels_option_and_several_holes():
    m = conv.cutout_mask((500, 3, 30, 30), 8, n_holes=3, channels=1, generator=g(2))
    assert m.shape == (500, 3, 30, 30)
    dropped = m == 0  # (B, C, H, W)
    # a pixel in one hole is dropped in exactly one channel unless holes overlap there
    per_pixel = dropped.sum(1)
    assert per_pixel.max() <= 3 and (per_pixel == 1).sum() > 0.8 * (per_pixel >= 1).sum()
    assert all(dropped[:, c].any() for c in range(3)), "each channel is chosen sometimes"
    all_ch = conv.cutout_mask((10, 3, 30, 30), 8, n_holes=3, generator=g(2))
    assert all_ch.shape == (10, 1, 30, 30)


def test_cutout_length_follows_p():
    assert conv.cutout_length(0.0, 100, 100) == 0
    assert conv.cutout_length(0.25, 100, 100) == 50
    assert conv.cutout_length(0.25, 100, 100, n_holes=4) == 25
    assert (conv.cutout_mask((4, 3, 20, 20), 0, generator=g()) == 1).all()


@pytest.mark.parametrize("bad", [dict(kind="hexagon"), dict(n_holes=0), dict(length=-1)])
def test_cutout_rejects_bad_arguments(bad):
    kwargs = dict(length=5) | bad
    with pytest.raises(ValueError):
        conv.cutout_mask((1, 3, 20, 20), **kwargs)


# -- DropBlock --------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("bs", [1, 3, 5, 7])
@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropblock_matches_torchvision_exactly(bs, p):
    x = torch.rand(4, 3, 24, 31) + 0.1
    torch.manual_seed(7)
    theirs = torchvision_drop_block2d(x, p, bs)
    ours = x * conv.dropblock_mask(x.shape, p, bs, generator=g(7))
    assert torch.allclose(ours, theirs)


@pytest.mark.parametrize("bs", [2, 4])
def test_dropblock_even_block_sizes_make_whole_blocks(bs):
    """torchvision's bs//2 padding breaks for even bs; ours drops bs×bs blocks for any bs."""
    seeds = torch.zeros(1, 1, 10 - bs + 1, 10 - bs + 1)
    seeds[0, 0, 2, 3] = 1
    blocks = conv.expand_blocks(seeds, bs)
    assert blocks.shape == (1, 1, 10, 10)
    assert blocks.sum() == bs * bs and blocks[0, 0, 2 : 2 + bs, 3 : 3 + bs].all()


@pytest.mark.parametrize("p", [0.2, 0.6, 0.95])
def test_dropblock_rate_is_the_exact_expectation_and_below_nominal(p):
    h, w, bs = 40, 48, 7
    m = conv.dropblock_mask((400, 1, h, w), p, bs, generator=g(1))
    per_map = (m == 0).flatten(1).double().mean(1)
    expected = conv.dropblock_expected_rate(p, bs, h, w)
    assert abs(float(per_map.mean()) - expected) < 5 * float(per_map.std()) / 20
    assert expected < p
    assert conv.dropblock_expected_rate(p, 1, h, w) == pytest.approx(p), "bs = 1 is pixel dropout"


def test_dropblock_normalises_by_the_kept_count_and_clips_block_size():
    m = conv.dropblock_mask((8, 4, 12, 12), 0.3, 99, generator=g())
    kept = m[m > 0]
    assert torch.allclose(kept, torch.full_like(kept, m.numel() / (m > 0).sum()), rtol=1e-4)
    assert conv.dropblock_gamma(0.3, 99, 12, 12) == pytest.approx(min(1.0, 0.3 * 144 / (144 * 1)))
    assert (conv.dropblock_mask((2, 2, 9, 9), 0.0, 3, generator=g()) == 1).all()


# -- max-pooling dropout and PWP --------------------------------------------------------------------


def test_maxpool_dropout_takes_the_max_of_kept_values():
    x = torch.rand(2, 3, 8, 8)
    out, keep = conv.maxpool_dropout(x, 0.5, 2, generator=g())
    assert out.shape == (2, 3, 4, 4) and set(keep.unique().tolist()) <= {0.0, 1.0}, "no rescaling"
    assert torch.equal(out, F.max_pool2d(x * keep, 2))


def test_pwp_formula_by_hand():
    a = torch.tensor([[[[0.1, 0.4], [0.3, 0.2]]]])  # sorted: .1 .2 .3 .4
    p = 0.5
    q = 1 - p
    expected = q * (1 - q) ** 3 * 0.1 + q * (1 - q) ** 2 * 0.2 + q * (1 - q) * 0.3 + q * 0.4
    assert float(conv.probabilistic_weighted_pool(a, p, 2)) == pytest.approx(expected)
    assert float(conv.probabilistic_weighted_pool(a, 0.0, 2)) == pytest.approx(0.4), "p → 0: max pooling"
    assert float(conv.probabilistic_weighted_pool(a, 1.0, 2)) == 0.0
    w = conv.pwp_weights(0.3, 9)
    assert float(w.sum()) + 0.3**9 == pytest.approx(1.0), "with the all-dropped outcome, a distribution"


@pytest.mark.parametrize("pool", [2, 3])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_pwp_equals_the_mean_training_output(p, pool):
    x = torch.rand(1, 2, 3 * pool, 3 * pool, dtype=torch.float64)
    n = 40_000
    out, _ = conv.maxpool_dropout(x.expand(n, -1, -1, -1), p, pool, generator=g(5))
    mean, se = out.mean(0), out.std(0) / math.sqrt(n)
    pwp = conv.probabilistic_weighted_pool(x, p, pool)[0]
    assert ((pwp - mean).abs() <= 5 * se + 1e-12).all()
    assert (conv.scaled_max_pool(x, p, pool)[0] <= pwp + 1e-12).all() and (F.max_pool2d(x, pool)[0] >= pwp).all()


# -- Max-Drop ---------------------------------------------------------------------------------------


def test_maxdrop_removes_the_argmax_of_hit_maps_only():
    x = torch.rand(500, 4, 9, 11)
    md = conv.maxdrop_mask(x, 0.4, 1, generator=g(2))
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
    md = conv.maxdrop_mask(x, 1.0, 3, generator=g())
    dropped = md.mask[0, 0] == 0
    assert dropped.sum() == 6 and dropped[0:2, 5:8].all()


def test_maxdrop_only_drops_positive_maxima_and_validates_window():
    x = -torch.rand(10, 3, 6, 6)
    md = conv.maxdrop_mask(x, 1.0, 1, generator=g())
    assert not md.hit.any() and (md.argmax == -1).all()
    for bad in (2, 7):
        with pytest.raises(ValueError):
            conv.maxdrop_mask(torch.rand(1, 1, 6, 6), 0.5, bad)
    assert conv.fit_window(31, 6, 6) == 5 and conv.fit_window(4, 20, 20) == 3


# -- the filter bank, inpainting, dispatch ----------------------------------------------------------


def test_filter_bank_is_named_and_explainable():
    assert len(conv.FILTERS) == conv.KERNELS.shape[0] == 8
    assert len({f.name for f in conv.FILTERS}) == 8
    ramp = torch.linspace(0, 1, 32).view(1, 1, 1, 32).expand(1, 3, 32, 32)  # brighter to the right
    fm = conv.feature_maps(ramp)
    assert fm.shape == (1, 8, 16, 16) and (fm >= 0).all()
    names = [f.name for f in conv.FILTERS]
    centre = fm[0, :, 4:12, 4:12].mean((1, 2))
    assert centre[names.index("edge 0°")] > 0.01
    assert centre[names.index("edge 90°")] < 1e-6, "no vertical change: the 90° edge map is silent"
    red = torch.zeros(1, 3, 16, 16)
    red[:, 0] = 1
    fr = conv.feature_maps(red)[0].mean((1, 2))
    assert fr[names.index("red − green")] > 0.5 and fr[names.index("yellow − blue")] > 0.2


def test_inpaint_keeps_known_values_and_fills_the_rest():
    x = images.cat().tensor()
    keep = torch.rand(x.shape, generator=g()) > 0.5
    filled = conv.inpaint(x, keep)
    assert torch.equal(filled[keep], x[keep])
    assert ((filled - x) ** 2).mean() < 0.01
    nothing = conv.inpaint(x, torch.zeros_like(keep))
    assert torch.isfinite(nothing).all()
    one_channel_gone = keep.clone()
    one_channel_gone[:, 0] = False
    assert torch.isfinite(conv.inpaint(x, one_channel_gone)).all()


@pytest.mark.parametrize("method", conv.METHOD_IDS)
def test_every_method_applies_to_image_and_maps_reproducibly(method):
    x = images.cat().tensor()
    fm = conv.feature_maps(x)
    for t in (x, fm):
        a = conv.apply(method, t, 0.5, generator=g(4))
        b = conv.apply(method, t, 0.5, generator=g(4))
        assert torch.equal(a.out, b.out) and a.keep.shape == t.shape
        assert conv.apply(method, t, 0.0, generator=g(4)).keep.all()
    with pytest.raises(ValueError):
        conv.apply(method, x, 1.5)


def test_unknown_method_is_a_clear_key_error():
    with pytest.raises(KeyError, match="known"):
        conv.apply("nope", torch.zeros(1, 1, 4, 4), 0.5)


def test_image_demo_shows_every_method_with_the_same_p_and_seed():
    d = conv.image_demo(images.cat(), 0.4, 2)
    assert [v.method for v in d.views] == list(conv.METHOD_IDS)
    for v in d.views:
        assert v.image.dtype == np.uint8 and v.maps.dtype == np.uint8 and v.maps.shape[0] == 8
    pixel = d.views[0]
    assert pixel.image_dropped == pytest.approx(0.4, abs=0.01)
    assert np.array_equal(conv.image_demo(images.cat(), 0.4, 2).views[2].image, d.views[2].image)


def test_animation_draws_a_fresh_mask_every_iteration():
    a = conv.animation(images.cat(), 0.5, 0, n_frames=4)
    assert a.frames.shape[:2] == (4, 5) and "maxpool" not in a.methods
    assert not np.array_equal(a.frames[0, 0], a.frames[1, 0])
    m = conv.animation(images.cat(), 0.5, 0, target=2, n_frames=3)
    assert m.frames.shape[:2] == (3, 5) and m.dropped_at is not None and m.target == "edge 90°"


def test_information_removed_pixel_is_most_recoverable():
    info = conv.information_removed(images.cat(), 0.5, 0, n_draws=2)
    psnr = dict(zip(info.methods, info.psnr_inpainted, strict=True))
    assert psnr["pixel"] > psnr["cutout"] and psnr["pixel"] > psnr["dropblock"] and psnr["pixel"] > psnr["spatial"]
    assert (info.mse_inpainted <= info.mse_zero + 1e-12).all(), "inpainting never hurts"
    assert info.inpainted.shape[0] == len(info.methods)


def test_maxpool_demo_window_distribution_sums_to_one():
    d = conv.maxpool_demo(images.cat(), 0.3, 0, n_mc=3000)
    assert d.window_theory.sum() == pytest.approx(1.0) and d.window_freq.sum() == pytest.approx(1.0)
    assert np.abs(d.window_theory - d.window_freq).max() < 0.05
    assert d.x.shape == (8, 8) and d.mc_mean.shape == (4, 4)
