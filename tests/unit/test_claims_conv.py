"""Tests of dropviz.claims.conv."""

from __future__ import annotations

import torch

from dropviz import claims, imaging, layers, masks


def test_cutout_claim_fails_with_the_plus_minus_l_bug(monkeypatch, mutate):
    mutate(masks, "hole_extent", lambda length, kind: (2 * length, 2 * length))
    assert claims.run("cutout.region_geometry", quick=True).status == "FAIL"


def test_spatial_claim_fails_for_per_pixel_masks(monkeypatch, mutate):
    mutate(masks, "spatial_mask", masks.pixel_mask)
    assert claims.run("spatial.whole_channels", quick=True).status == "FAIL"


def test_dropblock_claim_ignores_the_implementations_expected_rate(mutate):
    """The claim's reference is its own closed form: breaking the module's helper changes nothing."""
    mutate(masks, "dropblock_expected_rate", lambda p, bs, h, w: p)
    assert claims.run("dropblock.actual_rate_below_nominal", quick=True).status == "PASS"


def test_pwp_claim_fails_with_scaled_max_weights(monkeypatch, mutate):
    def scaled_max_weights(p, n, dtype=torch.float64):
        w = torch.zeros(n, dtype=dtype)
        w[-1] = 1 - p
        return w

    mutate(layers, "pwp_weights", scaled_max_weights)
    assert claims.run("maxpool.pwp_matches_training_expectation", quick=True).status == "FAIL"


def test_maxdrop_claim_fails_if_the_wrong_activation_is_dropped(monkeypatch, mutate):
    real = masks.maxdrop_mask
    mutate(masks, "maxdrop_mask", lambda x, *a, **k: real(torch.roll(x, 1, dims=-1), *a, **k))
    assert claims.run("maxdrop.drops_maxima", quick=True).status == "FAIL"


def test_information_claim_fails_if_nothing_were_lost(monkeypatch, mutate):
    """With an oracle inpainter every method is fully recoverable: no method removed more than another."""
    mutate(imaging, "inpaint", lambda x, keep: x)
    assert claims.run("pixel.less_information_removed_than_blocks", quick=True).status == "FAIL"
