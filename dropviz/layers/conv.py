"""Convolutional dropout layers, timm/torchvision style: a functional form per method (``spatial_dropout2d``,
``cutout``, ``drop_block2d``, ``maxpool_dropout``, ``max_drop2d``; ``apply_<id>`` is the same op in the one signature
the conv pages use) plus a thin ``nn.Module`` whose forward is one call to it. (B, C, H, W) in, the same shape out
(pooled for max-pooling dropout). Masks come from :mod:`dropviz.masks.conv`; ``p`` is the drop probability.

- SpatialDropout: Tompson et al., CVPR 2015 https://arxiv.org/abs/1411.4280
- Cutout: DeVries & Taylor 2017 https://arxiv.org/abs/1708.04552
- DropBlock: Ghiasi, Lin & Le, NeurIPS 2018 https://arxiv.org/abs/1810.12890
- Max-pooling dropout and probabilistic weighted pooling: Wu & Gu 2015 https://arxiv.org/abs/1512.00242
- Max-Drop: Park & Kwak, ACCV 2016 (feature-wise, from the authors' Caffe code)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F

from dropviz._validate import check_p, positive_int
from dropviz.layers._base import MaskLayer
from dropviz.masks.conv import (
    CutoutShape,
    cutout_length,
    cutout_mask,
    dropblock_mask,
    hole_extent,
    maxdrop_mask,
    pixel_mask,
    spatial_mask,
)
from dropviz.masks.dense import bernoulli_mask

# --------------------------------------------------------------------------------------------------
# Max-pooling dropout (Wu & Gu 2015) and Max-Drop (Park & Kwak 2016)


def maxpool_dropout(
    x: torch.Tensor, p: float, pool: int = 2, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training: keep each activation with probability q = 1 − p (no rescaling), then max-pool over
    non-overlapping pool×pool windows. Returns (pooled output (B, C, H//pool, W//pool), keep mask (B, C, H, W))."""
    pool = positive_int("pool", pool)
    keep = bernoulli_mask(x.shape, p, generator=generator, device=x.device, dtype=x.dtype, inverted=False)
    return F.max_pool2d(x * keep, pool, stride=pool), keep


def _windows(x: torch.Tensor, pool: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H//pool, W//pool, pool²): the activations of each pooling window."""
    b, c, h, w = x.shape
    ho, wo = h // pool, w // pool
    x = x[..., : ho * pool, : wo * pool].reshape(b, c, ho, pool, wo, pool)
    return x.permute(0, 1, 2, 4, 3, 5).reshape(b, c, ho, wo, pool * pool)


def pwp_weights(p: float, n: int, dtype=torch.float64) -> torch.Tensor:
    """Probabilistic weighted pooling weights for a window of n activations sorted ascending:
    ``P(output = a_(i)) = q·(1−q)^(n−i)``, i = 1..n (a_(i) kept, every larger one dropped). The missing
    mass (1−q)^n is the 'all dropped' outcome, whose output is 0."""
    q = 1.0 - check_p(p)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return (q * (1.0 - q) ** (n - i)).to(dtype)  # 0.0 ** 0 == 1: at q = 1 all weight on the max


def probabilistic_weighted_pool(x: torch.Tensor, p: float, pool: int = 2) -> torch.Tensor:
    """Test-time PWP: ``s = Σ_i q(1−q)^(n−i)·a_(i)`` over each window sorted ascending; for non-negative
    inputs this is exactly E[training output of :func:`maxpool_dropout`]."""
    pool = positive_int("pool", pool)
    a = _windows(x, pool).sort(dim=-1).values  # ascending
    return (a * pwp_weights(p, pool * pool, x.dtype).to(x.device)).sum(-1)


def scaled_max_pool(x: torch.Tensor, p: float, pool: int = 2) -> torch.Tensor:
    """The 'scaled max-pooling' baseline: q·max. Underestimates E[output], since E ≥ q·a_(n)."""
    return (1.0 - check_p(p)) * F.max_pool2d(x, pool, stride=pool)



# --------------------------------------------------------------------------------------------------
# One method, applied the same way to an image or a stack of feature maps


@dataclass(frozen=True)
class Settings:
    """Per-method options the pages expose (hashable: part of every cache key)."""

    block_size: int = 9  # DropBlock block side, in positions of whatever it is applied to
    cutout_kind: CutoutShape = "square"
    cutout_holes: int = 1  # holes per example; together their nominal area is p of the picture
    cutout_channels: int | None = None  # channels each hole covers; None = all (the paper)
    maxdrop_window: int = 9  # Max-Drop window (the authors' default is 1: a single activation)
    pool: int = 2  # max-pooling dropout window


class Applied(NamedTuple):
    out: torch.Tensor  # what the next layer receives in training (pooled for maxpool)
    keep: torch.Tensor  # (B, C, H, W) bool: False where an input value was dropped


def apply_pixel(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    m = pixel_mask(x.shape, p, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def apply_spatial(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    m = spatial_mask(x.shape, p, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def apply_cutout(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    h, w = x.shape[-2:]
    m = cutout_mask(x.shape, cutout_length(p, h, w, s.cutout_holes), n_holes=s.cutout_holes, kind=s.cutout_kind,
                    channels=s.cutout_channels, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def apply_dropblock(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    m = dropblock_mask(x.shape, p, s.block_size, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, m > 0)


def apply_maxpool(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    out, keep = maxpool_dropout(x, p, s.pool, generator=g)
    return Applied(out, keep > 0)


def fit_window(window: int, height: int, width: int) -> int:
    """The largest odd window ≤ ``window`` that Max-Drop accepts on an H×W map (like DropBlock's block size,
    a window larger than the map is clipped)."""
    k = min(positive_int("window", window), height, width)
    k -= 1 - k % 2  # odd
    while k > 1 and k * k >= height * width:
        k -= 2
    return k


def apply_maxdrop(x: torch.Tensor, p: float, s: Settings, g: torch.Generator | None = None) -> Applied:
    md = maxdrop_mask(x, p, fit_window(s.maxdrop_window, *x.shape[-2:]), generator=g)
    return Applied(x * md.mask, md.mask > 0)


# The apply_<id> forms above share one signature, (x, p, settings, generator) -> Applied, so the registry
# (dropviz.methods) can hold each as its method's ``apply`` and the conv pages run every method the same way.


def spatial_dropout2d(x: torch.Tensor, p: float, *, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """SpatialDropout in training: ``(x ⊙ m, m)``, m of shape (B, C, 1, 1)
    (:func:`~dropviz.masks.conv.spatial_mask`)."""
    m = spatial_mask(x.shape, p, generator=generator, device=x.device, dtype=x.dtype)
    return x * m, m


def cutout(x: torch.Tensor, length: int, *, n_holes: int = 1, kind: CutoutShape = "square", channels=None,
           generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cutout in training: ``(x ⊙ m, m)`` with m from :func:`~dropviz.masks.conv.cutout_mask` (no rescaling)."""
    m = cutout_mask(x.shape, length, n_holes=n_holes, kind=kind, channels=channels, generator=generator,
                    device=x.device, dtype=x.dtype)
    return x * m, m


def drop_block2d(x: torch.Tensor, p: float, block_size: int, *, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """DropBlock in training, torchvision semantics: ``(x ⊙ m, m)`` (:func:`~dropviz.masks.conv.dropblock_mask`)."""
    if p == 0.0:
        return x, torch.ones_like(x)
    m = dropblock_mask(x.shape, p, block_size, generator=generator, device=x.device, dtype=x.dtype)
    return x * m, m


def max_drop2d(x: torch.Tensor, p: float, window: int = 1, *, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Max-Drop in training: ``(x ⊙ m, m)`` (:func:`~dropviz.masks.conv.maxdrop_mask`)."""
    m = maxdrop_mask(x, p, window, generator=generator).mask
    return x * m, m


def _check4(x: torch.Tensor) -> torch.Tensor:
    if x.ndim != 4:
        raise ValueError(f"expected a (B, C, H, W) input, but got shape {tuple(x.shape)}")
    return x


class SpatialDropout2d(MaskLayer):
    """SpatialDropout (Tompson et al. 2015): whole channels, :func:`spatial_dropout2d`."""

    def train_time(self, x):
        return spatial_dropout2d(_check4(x), self.p, generator=self.generator)

    def test_time(self, x):
        return _check4(x)


class Cutout(MaskLayer):
    """Cutout (DeVries & Taylor 2017) on input images, :func:`cutout`: ``n_holes`` holes of size ``length``
    centred uniformly over the whole image, clipped, on all channels (or ``channels`` of them). Training only;
    no p: :func:`~dropviz.masks.conv.cutout_length` turns a nominal area fraction into a length."""

    def __init__(self, length: int, n_holes: int = 1, *, kind: CutoutShape = "square",
                 channels: int | None = None, generator: torch.Generator | None = None):
        super().__init__(generator=generator)
        hole_extent(max(1, int(length)), kind)  # validates kind
        self.length, self.n_holes, self.kind, self.channels = int(length), int(n_holes), kind, channels

    def train_time(self, x):
        return cutout(x, self.length, n_holes=self.n_holes, kind=self.kind, channels=self.channels,
                      generator=self.generator)

    def extra_repr(self) -> str:
        return f"length={self.length}, n_holes={self.n_holes}, kind={self.kind!r}, channels={self.channels}"


class DropBlock2d(MaskLayer):
    """DropBlock (Ghiasi et al. 2018), torchvision semantics, :func:`drop_block2d`."""

    def __init__(self, p: float, block_size: int, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.block_size = int(block_size)

    def train_time(self, x):
        return drop_block2d(_check4(x), self.p, self.block_size, generator=self.generator)

    def test_time(self, x):
        return _check4(x)

    def extra_repr(self) -> str:
        return f"p={self.p}, block_size={self.block_size}"


class MaxPoolDropout2d(MaskLayer):
    """Max-pooling dropout (Wu & Gu 2015), :func:`maxpool_dropout`: Bernoulli keep-mask inside each pool×pool
    window, then max. At test time ``inference="pwp"`` (:func:`probabilistic_weighted_pool`, the exact
    expectation for non-negative inputs), ``"max"`` (plain max pooling) or ``"scaled"`` ((1−p)·max)."""

    RULES = ("pwp", "max", "scaled")

    def __init__(self, p: float, pool: int = 2, *, inference: str = "pwp", generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        if inference not in self.RULES:
            raise ValueError(f"inference has to be one of {', '.join(self.RULES)}, but got {inference!r}")
        self.pool, self.inference = int(pool), inference

    def train_time(self, x):
        return maxpool_dropout(_check4(x), self.p, self.pool, generator=self.generator)

    def test_time(self, x):
        _check4(x)
        if self.inference == "pwp":
            return probabilistic_weighted_pool(x, self.p, self.pool)
        if self.inference == "scaled":
            return scaled_max_pool(x, self.p, self.pool)
        return F.max_pool2d(x, self.pool, stride=self.pool)

    def extra_repr(self) -> str:
        return f"p={self.p}, pool={self.pool}, inference={self.inference!r}"


class MaxDrop2d(MaskLayer):
    """Max-Drop (Park & Kwak 2016), feature-wise, as in the authors' Caffe code, :func:`max_drop2d`: per map,
    with probability p zero its largest activation (or a window×window square around it) and rescale."""

    def __init__(self, p: float = 0.1, window: int = 1, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.window = int(window)

    def train_time(self, x):
        return max_drop2d(_check4(x), self.p, self.window, generator=self.generator)

    def test_time(self, x):
        return _check4(x)

    def extra_repr(self) -> str:
        return f"p={self.p}, window={self.window}"
