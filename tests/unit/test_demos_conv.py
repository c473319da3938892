"""Tests of dropviz.demos.conv."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dropviz import imaging, masks, methods
from dropviz.data import images
from dropviz.demos import conv as conv_demo


def g(seed: int = 0) -> torch.Generator:
    return masks.make_generator(seed)


@pytest.mark.parametrize("method", methods.ids("conv"))
def test_every_method_applies_to_image_and_maps_reproducibly(method):
    x = images.cat().tensor()
    fm = imaging.feature_maps(x)
    for t in (x, fm):
        a = conv_demo.apply(method, t, 0.5, generator=g(4))
        b = conv_demo.apply(method, t, 0.5, generator=g(4))
        assert torch.equal(a.out, b.out) and a.keep.shape == t.shape
        assert conv_demo.apply(method, t, 0.0, generator=g(4)).keep.all()
    with pytest.raises(ValueError):
        conv_demo.apply(method, x, 1.5)


def test_unknown_method_is_a_clear_key_error():
    with pytest.raises(KeyError, match="known"):
        conv_demo.apply("nope", torch.zeros(1, 1, 4, 4), 0.5)


def test_image_demo_shows_every_method_with_the_same_p_and_seed():
    d = conv_demo.image_demo(images.cat(), 0.4, 2)
    assert [v.method for v in d.views] == list(methods.ids("conv"))
    for v in d.views:
        assert v.image.dtype == np.uint8 and v.maps.dtype == np.uint8 and v.maps.shape[0] == 8
    pixel = d.views[0]
    assert pixel.image_dropped == pytest.approx(0.4, abs=0.01)
    assert np.array_equal(conv_demo.image_demo(images.cat(), 0.4, 2).views[2].image, d.views[2].image)


def test_animation_draws_a_fresh_mask_every_iteration():
    a = conv_demo.animation(images.cat(), 0.5, 0, n_frames=4)
    assert a.frames.shape[:2] == (4, 5) and "maxpool" not in a.methods
    assert not np.array_equal(a.frames[0, 0], a.frames[1, 0])
    m = conv_demo.animation(images.cat(), 0.5, 0, target=2, n_frames=3)
    assert m.frames.shape[:2] == (3, 5) and m.dropped_at is not None and m.target == "edge 90°"


def test_information_removed_pixel_is_most_recoverable():
    info = conv_demo.information_removed(images.cat(), 0.5, 0, n_draws=2)
    psnr = dict(zip(info.methods, info.psnr_inpainted, strict=True))
    assert psnr["pixel"] > psnr["cutout"] and psnr["pixel"] > psnr["dropblock"] and psnr["pixel"] > psnr["spatial"]
    assert (info.mse_inpainted <= info.mse_zero + 1e-12).all(), "inpainting never hurts"
    assert info.inpainted.shape[0] == len(info.methods)


def test_maxpool_demo_window_distribution_sums_to_one():
    d = conv_demo.maxpool_demo(images.cat(), 0.3, 0, n_mc=3000)
    assert d.window_theory.sum() == pytest.approx(1.0) and d.window_freq.sum() == pytest.approx(1.0)
    assert np.abs(d.window_theory - d.window_freq).max() < 0.05
    assert d.x.shape == (8, 8) and d.mc_mean.shape == (4, 4)
