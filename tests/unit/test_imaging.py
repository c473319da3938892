"""Tests of dropviz.imaging."""

from __future__ import annotations

import torch

from dropviz import imaging, masks
from dropviz.data import images


def g(seed: int = 0) -> torch.Generator:
    return masks.make_generator(seed)


def test_filter_bank_is_named_and_explainable():
    assert len(imaging.FILTERS) == imaging.KERNELS.shape[0] == 8
    assert len({f.name for f in imaging.FILTERS}) == 8
    ramp = torch.linspace(0, 1, 32).view(1, 1, 1, 32).expand(1, 3, 32, 32)  # brighter to the right
    fm = imaging.feature_maps(ramp)
    assert fm.shape == (1, 8, 16, 16) and (fm >= 0).all()
    names = [f.name for f in imaging.FILTERS]
    centre = fm[0, :, 4:12, 4:12].mean((1, 2))
    assert centre[names.index("edge 0°")] > 0.01
    assert centre[names.index("edge 90°")] < 1e-6, "no vertical change: the 90° edge map is silent"
    red = torch.zeros(1, 3, 16, 16)
    red[:, 0] = 1
    fr = imaging.feature_maps(red)[0].mean((1, 2))
    assert fr[names.index("red − green")] > 0.5 and fr[names.index("yellow − blue")] > 0.2


def test_inpaint_keeps_known_values_and_fills_the_rest():
    x = images.cat().tensor()
    keep = torch.rand(x.shape, generator=g()) > 0.5
    filled = imaging.inpaint(x, keep)
    assert torch.equal(filled[keep], x[keep])
    assert ((filled - x) ** 2).mean() < 0.01
    nothing = imaging.inpaint(x, torch.zeros_like(keep))
    assert torch.isfinite(nothing).all()
    one_channel_gone = keep.clone()
    one_channel_gone[:, 0] = False
    assert torch.isfinite(imaging.inpaint(x, one_channel_gone)).all()
