"""Dropout for convolutional layers: pure, seeded mask functions, the max-pooling ops, a fixed filter bank,
inpainting, and the computations behind the convolutional pages.

Every mask function *returns the mask* (1 = kept, possibly rescaled; 0 = dropped) with size-1 axes where one
random draw is shared, so a page can draw exactly what a layer applied. ``p`` is always a DROP probability.
Shapes are (B, C, H, W) throughout. See ../shared/METHODS.md §5-§8 and §15.

- Pixel dropout: Srivastava et al., JMLR 15 (2014) https://jmlr.org/papers/v15/srivastava14a.html
- SpatialDropout: Tompson et al., CVPR 2015 https://arxiv.org/abs/1411.4280 (mask (B, C, 1, 1))
- Cutout: DeVries & Taylor 2017 https://arxiv.org/abs/1708.04552 (centre uniform over the WHOLE image,
  clipped; an L×L square, i.e. ±L//2 around the centre, not the ±L of one version of the official code)
- DropBlock: Ghiasi, Lin & Le, NeurIPS 2018 https://arxiv.org/abs/1810.12890 (torchvision semantics:
  seeds on the valid region, gamma = p·H·W / (bs²·(H−bs+1)(W−bs+1)), count normalisation over the batch)
- Max-pooling dropout and probabilistic weighted pooling: Wu & Gu 2015 https://arxiv.org/abs/1512.00242
- Max-Drop: Park & Kwak, ACCV 2016, from the authors' Caffe code (feature-wise: per map, with probability p
  zero the largest positive activation or the k×k window around it, rescale by 1/(1 − p·k²/(H·W))).
  Not the deterministic "MaxDropout" of do Santos et al. 2020.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Callable, Literal, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from dropviz import masks
from dropviz.images import WorkingImage

Shape4 = tuple[int, int, int, int]
CutoutShape = Literal["square", "rectangle", "circle"]
CUTOUT_SHAPES: tuple[CutoutShape, ...] = ("square", "rectangle", "circle")


def _shape4(shape) -> Shape4:
    if len(shape) != 4 or any(int(s) != s or s < 1 for s in shape):
        raise ValueError(f"expected a (B, C, H, W) shape of positive integers, but got {tuple(shape)}")
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


def _positive_int(name: str, v, lo: int = 1) -> int:
    if isinstance(v, bool) or int(v) != v or v < lo:
        raise ValueError(f"{name} has to be an integer ≥ {lo}, but got {v!r}")
    return int(v)


def _device(generator: torch.Generator | None, device) -> torch.device:
    if device is not None:
        return torch.device(device)
    return generator.device if generator is not None else torch.device("cpu")


# --------------------------------------------------------------------------------------------------
# Masks: pixel, spatial, Cutout, DropBlock


def pixel_mask(shape, p: float, *, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Standard dropout on every activation (pixel) independently: (B, C, H, W), values 0 or 1/(1−p)."""
    return masks.bernoulli_mask(_shape4(shape), p, generator=generator, device=device, dtype=dtype)


def spatial_mask(shape, p: float, *, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
    """SpatialDropout: one draw per (example, channel), shared over H×W. Returns (B, C, 1, 1), values 0 or
    1/(1−p) (inverted, as ``F.dropout2d``): on an RGB image, a dropped channel removes e.g. all the red."""
    b, c, _, _ = _shape4(shape)
    return masks.bernoulli_mask((b, c, 1, 1), p, generator=generator, device=device, dtype=dtype)


def cutout_length(p: float, height: int, width: int, n_holes: int = 1) -> int:
    """The side L for which ``n_holes`` L×L holes have a nominal total area of p·H·W (before clipping at the
    border and overlap, which make the actual area smaller). This is how the pages drive Cutout with p."""
    p = masks.check_p(p)
    return int(round(math.sqrt(p * height * width / _positive_int("n_holes", n_holes))))


def hole_extent(length: int, kind: CutoutShape) -> tuple[int, int]:
    """(height, width) of a hole of size ``length``: every shape has area ≈ L² (the paper found the size
    matters more than the shape). Rectangle: 2:1 landscape; circle: radius L/√π, bounding box shown."""
    if kind == "square":
        return length, length
    if kind == "rectangle":
        return max(1, round(length / math.sqrt(2))), max(1, round(length * math.sqrt(2)))
    if kind == "circle":
        d = 2 * length / math.sqrt(math.pi)
        return max(1, round(d)), max(1, round(d))
    raise ValueError(f"cutout shape has to be one of {', '.join(CUTOUT_SHAPES)}, but got {kind!r}")


class Holes(NamedTuple):
    centers: torch.Tensor  # (B, n_holes, 2) long: (row, col), uniform over the whole image
    channels: torch.Tensor  # (B, n_holes, C) bool: the channels each hole covers


def cutout_mask(
    shape,
    length: int,
    *,
    n_holes: int = 1,
    kind: CutoutShape = "square",
    channels: int | None = None,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float32,
    return_holes: bool = False,
):
    """Cutout keep-mask (1 kept, 0 in a hole; no rescaling, as in the paper).

    Each hole's centre (row, col) is uniform over the **whole** image and the hole is clipped at the border,
    so it may lie partly outside. A square covers rows ``[cy − L//2, cy − L//2 + L)`` (exactly L×L inside the
    image). ``channels=None`` (the paper): every hole covers all channels and the mask is (B, 1, H, W);
    ``channels=k``: each hole covers k channels chosen at random, and the mask is (B, C, H, W).
    """
    b, c, h, w = _shape4(shape)
    n_holes = _positive_int("n_holes", n_holes)
    length = _positive_int("length", length, lo=0)
    dev = _device(generator, device)
    centers = torch.stack(
        [torch.randint(0, h, (b, n_holes), generator=generator, device=dev),
         torch.randint(0, w, (b, n_holes), generator=generator, device=dev)], dim=-1
    )  # (B, n, 2)
    if channels is None or channels >= c:
        chans = torch.ones((b, n_holes, c), dtype=torch.bool, device=dev)
    else:
        k = _positive_int("channels", channels)
        order = torch.rand((b, n_holes, c), generator=generator, device=dev).argsort(dim=-1)
        chans = order < k  # k channels at random for each hole
    rows = torch.arange(h, device=dev).view(1, 1, h, 1)
    cols = torch.arange(w, device=dev).view(1, 1, 1, w)
    cy, cx = centers[..., 0, None, None], centers[..., 1, None, None]  # (B, n, 1, 1)
    if length == 0:
        inside = torch.zeros((b, n_holes, h, w), dtype=torch.bool, device=dev)
    elif kind == "circle":
        r = length / math.sqrt(math.pi)
        inside = (rows - cy) ** 2 + (cols - cx) ** 2 <= r * r
    else:
        hh, ww = hole_extent(length, kind)
        top, left = cy - hh // 2, cx - ww // 2
        inside = (rows >= top) & (rows < top + hh) & (cols >= left) & (cols < left + ww)  # (B, n, H, W)
    if channels is None or channels >= c:
        keep = ~inside.any(dim=1, keepdim=True)  # (B, 1, H, W)
    else:  # dropped[b, c] = any hole n that covers channel c and this pixel
        keep = ~torch.einsum("bnhw,bnc->bchw", inside.to(torch.float32), chans.to(torch.float32)).bool()
    mask = keep.to(dtype)
    return (mask, Holes(centers, chans)) if return_holes else mask


def dropblock_gamma(p: float, block_size: int, height: int, width: int) -> float:
    """Seed rate of DropBlock (torchvision's general H×W form of the paper's formula):
    ``gamma = p·H·W / (bs²·(H − bs + 1)(W − bs + 1))``, so that the seeded blocks cover p·H·W positions on
    average *if they did not overlap*. Overlap is why the actual dropped fraction is lower. Capped at 1."""
    p = masks.check_p(p)
    bs = min(_positive_int("block_size", block_size), height, width)
    return min(1.0, p * height * width / (bs * bs * (height - bs + 1) * (width - bs + 1)))


def expand_blocks(seeds: torch.Tensor, block_size: int) -> torch.Tensor:
    """Each seed at (i, j) of the valid grid (H−bs+1, W−bs+1) drops the block rows [i, i+bs), cols [j, j+bs):
    the same blocks as torchvision's max-pool of the padded seeds, for any bs (its bs//2 padding assumes an
    odd bs). Computed as a box sum with two cumulative sums (O(1) per position, not O(bs²)).
    seeds: (B, C, H−bs+1, W−bs+1) of 0/1 -> (B, C, H, W) of 0/1 (1 = dropped)."""
    bs = block_size
    s = F.pad(seeds, (bs, bs - 1, bs, bs - 1))  # (B, C, H + bs, W + bs)
    c = s.cumsum(-2)
    rows = c[..., bs:, :] - c[..., :-bs, :]  # rows[y] = seeds in rows [y − bs + 1, y]
    c = rows.cumsum(-1)
    return ((c[..., bs:] - c[..., :-bs]) > 0.5).to(seeds.dtype)


def dropblock_mask(
    shape,
    p: float,
    block_size: int,
    *,
    generator: torch.Generator | None = None,
    device=None,
    dtype=torch.float32,
    eps: float = 1e-6,
    return_seeds: bool = False,
):
    """DropBlock mask (B, C, H, W): seeds ~ Bernoulli(gamma) on the valid region, each grown into a
    bs×bs block, then kept values rescaled by count(M)/count_ones(M) over the whole batch (torchvision's
    ``normalize_scale = numel / (eps + sum)``). ``block_size`` is clipped to min(H, W), as torchvision does."""
    b, c, h, w = _shape4(shape)
    p = masks.check_p(p)
    bs = min(_positive_int("block_size", block_size), h, w)
    gamma = dropblock_gamma(p, bs, h, w)
    dev = _device(generator, device)
    seeds = torch.empty((b, c, h - bs + 1, w - bs + 1), device=dev, dtype=dtype)
    seeds.bernoulli_(gamma, generator=generator)
    keep = 1.0 - expand_blocks(seeds, bs)
    mask = keep * (keep.numel() / (eps + keep.sum()))
    return (mask, seeds) if return_seeds else mask


def dropblock_expected_rate(p: float, block_size: int, height: int, width: int) -> float:
    """The exact expected dropped fraction: a position covered by n valid seed positions survives with
    probability (1 − gamma)^n, so E[dropped] = mean over positions of 1 − (1 − gamma)^n. Equals p only
    without overlap (bs = 1); below p otherwise."""
    bs = min(_positive_int("block_size", block_size), height, width)
    gamma = dropblock_gamma(p, bs, height, width)
    ones = torch.ones((1, 1, height - bs + 1, width - bs + 1), dtype=torch.float64)
    cover = F.conv2d(F.pad(ones, (bs - 1,) * 4), torch.ones((1, 1, bs, bs), dtype=torch.float64))  # (1,1,H,W)
    return float((1.0 - (1.0 - gamma) ** cover).mean())


# --------------------------------------------------------------------------------------------------
# Max-pooling dropout (Wu & Gu 2015) and Max-Drop (Park & Kwak 2016)


def maxpool_dropout(
    x: torch.Tensor, p: float, pool: int = 2, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training: keep each activation with probability q = 1 − p (no rescaling), then max-pool over
    non-overlapping pool×pool windows. Returns (pooled output (B, C, H//pool, W//pool), keep mask (B, C, H, W))."""
    pool = _positive_int("pool", pool)
    keep = masks.bernoulli_mask(x.shape, p, generator=generator, device=x.device, dtype=x.dtype, inverted=False)
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
    q = 1.0 - masks.check_p(p)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return (q * (1.0 - q) ** (n - i)).to(dtype)  # 0.0 ** 0 == 1: at q = 1 all weight on the max


def probabilistic_weighted_pool(x: torch.Tensor, p: float, pool: int = 2) -> torch.Tensor:
    """Test-time PWP: ``s = Σ_i q(1−q)^(n−i)·a_(i)`` over each window sorted ascending; for non-negative
    inputs this is exactly E[training output of :func:`maxpool_dropout`]."""
    pool = _positive_int("pool", pool)
    a = _windows(x, pool).sort(dim=-1).values  # ascending
    return (a * pwp_weights(p, pool * pool, x.dtype).to(x.device)).sum(-1)


def scaled_max_pool(x: torch.Tensor, p: float, pool: int = 2) -> torch.Tensor:
    """The 'scaled max-pooling' baseline: q·max. Underestimates E[output], since E ≥ q·a_(n)."""
    return (1.0 - masks.check_p(p)) * F.max_pool2d(x, pool, stride=pool)


class MaxDropMask(NamedTuple):
    mask: torch.Tensor  # (B, C, H, W): 0 where dropped, 1/(1 − p·k²/(H·W)) elsewhere
    hit: torch.Tensor  # (B, C) bool: this map lost its maximum (u < p and it had a positive value)
    argmax: torch.Tensor  # (B, C) long: flat index of the map's largest positive value, −1 if none
    scale: float


def maxdrop_mask(x: torch.Tensor, p: float, window: int = 1, *,
                 generator: torch.Generator | None = None) -> MaxDropMask:
    """Max-Drop, feature-wise (the authors' ``dim_option: 1``). For every (example, channel) map draw
    u ~ U(0, 1); if u < p, zero the map's largest activation (the search starts at 0, so only a positive
    value can be dropped; ties go to the first in row-major order) or the window×window square centred on
    it (clipped at the border). All outputs are scaled by 1/(1 − p·window²/(H·W)), the expected kept
    fraction as the code computes it. Training only; test time is the identity."""
    p = masks.check_p(p)
    b, c, h, w = _shape4(x.shape)
    window = _positive_int("window", window)
    if window % 2 == 0 or window * window >= h * w:
        raise ValueError(f"window has to be odd and smaller than the {h}×{w} map, but got {window}")
    u = torch.rand((b, c), generator=generator, device=x.device)
    value, idx = x.detach().reshape(b, c, h * w).max(dim=-1)  # first maximal value
    positive = value > 0
    hit = (u < p) & positive
    row, col = (idx // w)[..., None, None], (idx % w)[..., None, None]  # (B, C, 1, 1)
    rows = torch.arange(h, device=x.device).view(1, 1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, 1, w)
    r = window // 2
    in_window = ((rows - row).abs() <= r) & ((cols - col).abs() <= r)  # (B, C, H, W)
    keep = ~(in_window & hit[..., None, None])
    scale = 1.0 / (1.0 - p * window * window / (h * w))
    return MaxDropMask(keep.to(x.dtype) * scale, hit, torch.where(positive, idx, -1), scale)


# --------------------------------------------------------------------------------------------------
# A small, fixed, explainable conv layer


@dataclass(frozen=True)
class Filter:
    name: str  # short label under a feature map
    detects: str  # what a bright pixel in the map means


def _gauss(sigma: float, size: int = 5) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float64) - size // 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    g = torch.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_bank() -> tuple[tuple[Filter, ...], torch.Tensor]:
    """Eight 5×5 filters over RGB. Edges: steered derivative-of-Gaussian on luminance (a bright response
    where brightness rises in the direction named, 0° = to the right, 90° = upwards)."""
    lum = torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)
    g = _gauss(1.0)
    r = torch.arange(5, dtype=torch.float64) - 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    filters, kernels = [], []
    for deg in (0, 45, 90, 135):
        t = math.radians(deg)
        d = (xx * math.cos(t) - yy * math.sin(t)) * g  # rows grow downwards, so 'up' is −y
        d = d / d.clamp_min(0).sum()
        filters.append(Filter(f"edge {deg}°", f"brightness rising towards {deg}°"))
        kernels.append(lum[:, None, None] * d)
    filters.append(Filter("blur", "local brightness (Gaussian σ = 1)"))
    kernels.append(lum[:, None, None] * g)
    filters.append(Filter("red − green", "reddish regions (colour opponent)"))
    kernels.append(torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)[:, None, None] * g)
    filters.append(Filter("yellow − blue", "yellow / orange regions (colour opponent)"))
    kernels.append(torch.tensor([0.5, 0.5, -1.0], dtype=torch.float64)[:, None, None] * g)
    dog = _gauss(0.8) - _gauss(1.6)
    filters.append(Filter("centre − surround", "small bright spots and thin light lines"))
    kernels.append(lum[:, None, None] * (dog / dog.clamp_min(0).sum()))
    return tuple(filters), torch.stack(kernels).to(torch.float32)  # (8, 3, 5, 5)


FILTERS, KERNELS = _filter_bank()
FEATURE_STRIDE = 2  # like a real first conv layer: the maps are half the image's size


def feature_maps(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [0, 1] -> relu(conv(x)) with the fixed filter bank: (B, 8, ~H/2, ~W/2), ≥ 0."""
    x = F.pad(x, (2, 2, 2, 2), mode="replicate")
    return F.relu(F.conv2d(x, KERNELS.to(x.device, x.dtype), stride=FEATURE_STRIDE))


# --------------------------------------------------------------------------------------------------
# Information removed: inpaint from the kept neighbours, compare with the original


def _push_pull(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Fill-in by normalized convolution on a pyramid ("push-pull"). v = x·w, w ∈ [0, 1] the confidence.
    Each level averages 2×2 blocks of v and w; going back up, a position keeps its own value in proportion to
    w and takes the rest from the (bilinearly upsampled) coarser estimate: est = v + (1 − w)·up."""
    h, w_ = v.shape[-2:]
    if h == 1 and w_ == 1:
        known = w > 0
        est = torch.where(known, v / w.clamp_min(1e-12), torch.zeros_like(v))
        # a channel with nothing kept anywhere (SpatialDropout) borrows the mean of the kept channels
        n_known = known.sum(dim=1, keepdim=True)
        borrowed = est.sum(dim=1, keepdim=True) / n_known.clamp_min(1)
        return torch.where(known, est, borrowed)
    vc = F.avg_pool2d(v, 2, ceil_mode=True)
    wc = F.avg_pool2d(w, 2, ceil_mode=True)
    up = F.interpolate(_push_pull(vc, wc), size=(h, w_), mode="bilinear", align_corners=False)
    return v + (1.0 - w) * up


def inpaint(x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Fill every dropped value of x (B, C, H, W) from its kept neighbours; kept values are unchanged.
    ``keep`` broadcasts to x (nonzero = kept). A deliberately simple inpainter: good enough to recover
    scattered pixels, helpless inside a large hole, which is the point being measured."""
    k = (keep != 0).expand_as(x).to(x.dtype)
    return torch.where(k > 0, x, _push_pull(x * k, k))


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB for values in [0, 1]; ∞ for a perfect reconstruction."""
    return math.inf if mse <= 0 else 10.0 * math.log10(1.0 / mse)


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


def _apply_pixel(x, p, s, g):
    m = pixel_mask(x.shape, p, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def _apply_spatial(x, p, s, g):
    m = spatial_mask(x.shape, p, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def _apply_cutout(x, p, s, g):
    h, w = x.shape[-2:]
    m = cutout_mask(x.shape, cutout_length(p, h, w, s.cutout_holes), n_holes=s.cutout_holes, kind=s.cutout_kind,
                    channels=s.cutout_channels, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, (m > 0).expand_as(x))


def _apply_dropblock(x, p, s, g):
    m = dropblock_mask(x.shape, p, s.block_size, generator=g, device=x.device, dtype=x.dtype)
    return Applied(x * m, m > 0)


def _apply_maxpool(x, p, s, g):
    out, keep = maxpool_dropout(x, p, s.pool, generator=g)
    return Applied(out, keep > 0)


def fit_window(window: int, height: int, width: int) -> int:
    """The largest odd window ≤ ``window`` that Max-Drop accepts on an H×W map (like DropBlock's block size,
    a window larger than the map is clipped)."""
    k = min(_positive_int("window", window), height, width)
    k -= 1 - k % 2  # odd
    while k > 1 and k * k >= height * width:
        k -= 2
    return k


def _apply_maxdrop(x, p, s, g):
    md = maxdrop_mask(x, p, fit_window(s.maxdrop_window, *x.shape[-2:]), generator=g)
    return Applied(x * md.mask, md.mask > 0)


APPLY: dict[str, Callable[[torch.Tensor, float, Settings, torch.Generator], Applied]] = {
    "pixel": _apply_pixel,
    "spatial": _apply_spatial,
    "cutout": _apply_cutout,
    "dropblock": _apply_dropblock,
    "maxpool": _apply_maxpool,
    "maxdrop": _apply_maxdrop,
}
METHOD_IDS = tuple(APPLY)
INPAINTED = ("pixel", "spatial", "cutout", "dropblock", "maxdrop")  # maxpool changes the resolution


def apply(method: str, x: torch.Tensor, p: float, settings: Settings = Settings(), *,
          generator: torch.Generator | None = None) -> Applied:
    """Apply a conv-family method (by registry id) to x (B, C, H, W) in training mode."""
    try:
        fn = APPLY[method]
    except KeyError:
        raise KeyError(f"unknown conv method {method!r}; known: {', '.join(APPLY)}") from None
    return fn(x, masks.check_p(p), settings, generator)


# --------------------------------------------------------------------------------------------------
# Page computations: numpy results in frozen dataclasses (pictures as uint8, small)


def _u8(x: torch.Tensor) -> np.ndarray:
    """(3, H, W) in [0, 1] -> (H, W, 3) uint8"""
    return (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def _levels(maps: torch.Tensor, top: torch.Tensor) -> np.ndarray:
    """(C, h, w) activations -> uint8 levels relative to each clean map's robust maximum ``top`` (C,)."""
    return (maps / top[:, None, None] * 255).clamp(0, 255).round().to(torch.uint8).cpu().numpy()


MIN_DISPLAY_LEVEL = 0.02  # a map whose responses stay below this (2% of full brightness) is shown as ~empty


def _robust_max(maps: torch.Tensor) -> torch.Tensor:
    """(C, h, w) -> (C,) the 99.5th percentile of each map (a few extreme pixels do not wash it out), at
    least MIN_DISPLAY_LEVEL so a silent map's JPEG noise is not stretched to full colour."""
    flat = maps.reshape(maps.shape[0], -1).double()
    return torch.quantile(flat, 0.995, dim=1).clamp_min(MIN_DISPLAY_LEVEL).to(maps.dtype)


_FEATURES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _image_and_maps(image: WorkingImage, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The image (1, 3, H, W), its feature maps (1, 8, h, w) and each map's robust maximum (8,), on ``device``.
    Computed once per image *object* and kept only while that object lives (an upload lives in its own
    session; nothing is keyed by content, so no other session can reach it)."""
    cached = _FEATURES.get(image)
    if cached is None:
        x = image.tensor()
        fm = feature_maps(x)
        cached = _FEATURES[image] = (x, fm, _robust_max(fm[0]))
    return tuple(t.to(device) for t in cached)  # type: ignore[return-value]


@dataclass(frozen=True)
class MethodView:
    method: str
    image: np.ndarray  # (H, W, 3) uint8: the kept pixels (the 1/(1−p) rescale left out, so brightness compares)
    image_dropped: float  # fraction of the image's values dropped
    maps: np.ndarray  # (8, h, w) uint8 levels of the masked maps (pooled for maxpool)
    maps_dropped_at: np.ndarray  # (8, h, w) bool, True where dropped (all False for maxpool: see its caption)
    maps_dropped: float


@dataclass(frozen=True)
class ImageDemo:
    p: float
    original: np.ndarray  # (H, W, 3) uint8
    maps: np.ndarray  # (8, h, w) uint8 levels of the clean feature maps
    filters: tuple[Filter, ...]
    views: tuple[MethodView, ...]  # one per conv method, in registry order


def image_demo(image: WorkingImage, p: float, seed: int, settings: Settings = Settings(),
               device: str = "cpu") -> ImageDemo:
    """Every conv method on the image and on its feature maps, same p, same seed (a fresh generator per
    method and target, so each method's picture does not depend on which others are shown)."""
    p = masks.check_p(p)
    x, fm, top = _image_and_maps(image, device)
    views = []
    for method in METHOD_IDS:
        on_x = apply(method, x, p, settings, generator=masks.make_generator(seed, device))
        on_fm = apply(method, fm, p, settings, generator=masks.make_generator(seed, device))
        if method == "maxpool":
            picture = on_x.out[0]  # the pooled image
            maps = on_fm.out[0]
            dropped_at = torch.zeros_like(maps, dtype=torch.bool)
        else:
            picture = x[0] * on_x.keep[0]
            maps = fm[0] * on_fm.keep[0]
            dropped_at = ~on_fm.keep[0]
        views.append(MethodView(
            method=method,
            image=_u8(picture),
            image_dropped=float((~on_x.keep).float().mean()),
            maps=_levels(maps, top),
            maps_dropped_at=dropped_at.cpu().numpy(),
            maps_dropped=float((~on_fm.keep).float().mean()),
        ))
    return ImageDemo(p, image.pixels, _levels(fm[0], top), FILTERS, tuple(views))


@dataclass(frozen=True)
class Animation:
    target: str  # "image" or a filter name
    methods: tuple[str, ...]
    frames: np.ndarray  # image: (F, M, H, W, 3) uint8; map: (F, M, h, w) uint8 levels
    dropped_at: np.ndarray | None  # map: (F, M, h, w) bool; None for the image
    dropped: np.ndarray  # (F, M) fraction dropped in each iteration


def animation(image: WorkingImage, p: float, seed: int, settings: Settings = Settings(), target: int = -1,
              n_frames: int = 6, device: str = "cpu") -> Animation:
    """Successive training iterations: one generator per method, drawing a fresh mask every frame.
    ``target`` −1 animates the image, 0..7 that feature map. Max-pooling dropout is left out: its output
    has a different size."""
    p = masks.check_p(p)
    x, fm, top = _image_and_maps(image, device)
    methods = tuple(m for m in METHOD_IDS if m != "maxpool")
    src = x if target < 0 else fm[:, target : target + 1]
    frames, dropped_at, dropped = [], [], []
    gens = {m: masks.make_generator(seed, device) for m in methods}
    for _ in range(n_frames):
        row, row_dropped, row_at = [], [], []
        for m in methods:
            keep = apply(m, src, p, settings, generator=gens[m]).keep[0]  # (C, H, W)
            kept = src[0] * keep
            row.append(_u8(kept) if target < 0 else _levels(kept, top[target : target + 1])[0])
            row_at.append((~keep[0]).cpu().numpy())
            row_dropped.append(float((~keep).float().mean()))
        frames.append(np.stack(row))
        dropped_at.append(np.stack(row_at))
        dropped.append(row_dropped)
    name = "image" if target < 0 else FILTERS[target].name
    return Animation(name, methods, np.stack(frames), None if target < 0 else np.stack(dropped_at),
                     np.array(dropped))


@dataclass(frozen=True)
class InfoRemoved:
    p: float
    n_draws: int
    methods: tuple[str, ...]
    dropped: np.ndarray  # (M,) mean fraction of the image's values dropped
    mse_zero: np.ndarray  # (M,) mean squared error of the masked image (holes left black)
    mse_inpainted: np.ndarray  # (M,) after inpainting from the kept neighbours
    psnr_inpainted: np.ndarray  # (M,) dB, inf when nothing was dropped in any draw
    psnr_matched_pixel: np.ndarray  # (M,) pixel dropout at p = that method's actual dropped fraction
    inpainted: np.ndarray  # (M, H, W, 3) uint8: the first draw, filled in
    masked: np.ndarray  # (M, H, W, 3) uint8: the first draw, as masked


def information_removed(image: WorkingImage, p: float, seed: int, settings: Settings = Settings(),
                        n_draws: int = 4, device: str = "cpu") -> InfoRemoved:
    """For each method: drop with p, fill the holes from the kept neighbours (:func:`inpaint`), and measure
    how far the result is from the original (MSE and PSNR, averaged over ``n_draws`` independent masks).
    What inpainting cannot recover is information the mask really removed."""
    p = masks.check_p(p)
    x = image.tensor().to(device).expand(_positive_int("n_draws", n_draws), -1, -1, -1)  # (N, 3, H, W)
    dropped, mse0, mse1, matched, filled_u8, masked_u8 = [], [], [], [], [], []

    def inpainting_mse(keep: torch.Tensor) -> tuple[float, torch.Tensor]:
        filled = inpaint(x, keep)
        return float(((filled - x) ** 2).mean()), filled

    for m in INPAINTED:
        keep = apply(m, x, p, settings, generator=masks.make_generator(seed, device)).keep
        mse, filled = inpainting_mse(keep)
        dropped.append(float((~keep).float().mean()))
        mse0.append(float(((x * keep - x) ** 2).mean()))
        mse1.append(mse)
        if m == "pixel":
            matched.append(mse)
        else:  # the same fraction of values, dropped one by one
            same = apply("pixel", x, dropped[-1], settings, generator=masks.make_generator(seed, device)).keep
            matched.append(inpainting_mse(same)[0])
        filled_u8.append(_u8(filled[0]))
        masked_u8.append(_u8(x[0] * keep[0]))
    return InfoRemoved(
        p, n_draws, INPAINTED, np.array(dropped), np.array(mse0), np.array(mse1),
        np.array([psnr(v) for v in mse1]), np.array([psnr(v) for v in matched]),
        np.stack(filled_u8), np.stack(masked_u8),
    )


# -- the max-pooling dropout page ------------------------------------------------------------------


@dataclass(frozen=True)
class MaxPoolDemo:
    p: float
    pool: int
    filter: str
    x: np.ndarray  # (h, w) a crop of one feature map, relative to its robust maximum (≥ 0)
    origin: tuple[int, int]  # where the crop sits in the feature map (row, col)
    keep: np.ndarray  # (h, w) bool: one training mask
    train_out: np.ndarray  # (h/k, w/k): that training pass's pooled output
    max_out: np.ndarray  # plain max pooling
    scaled_out: np.ndarray  # q · max
    pwp_out: np.ndarray  # probabilistic weighted pooling
    mc_mean: np.ndarray  # mean of n_mc training outputs
    mc_se: np.ndarray  # its standard error
    n_mc: int
    window_at: tuple[int, int]  # the pooled unit whose output distribution is shown
    window_values: np.ndarray  # (n,) its activations, ascending
    window_outcomes: np.ndarray  # (m,) the distinct values its output can take (0 always among them)
    window_theory: np.ndarray  # (m,) P(output = value): Σ q(1−q)^(n−i) over equal a_(i), + (1−q)^n for 0
    window_freq: np.ndarray  # (m,) measured over the n_mc draws

    def error(self, rule: np.ndarray) -> float:
        """Mean |rule − Monte Carlo mean| over the pooled outputs."""
        return float(np.abs(rule - self.mc_mean).mean())


def maxpool_demo(image: WorkingImage, p: float, seed: int, pool: int = 2, filter_index: int = 1,
                 windows: int = 4, n_mc: int = 20_000, device: str = "cpu") -> MaxPoolDemo:
    """Max-pooling dropout on a windows×windows grid of pool×pool windows, cut from one feature map where the
    activations inside each window differ most; the three test-time rules against the Monte Carlo mean of
    the training outputs."""
    p = masks.check_p(p)
    pool = _positive_int("pool", pool, lo=2)
    _, fm, top = _image_and_maps(image, device)
    a = fm[0, filter_index] / top[filter_index]  # (h, w), relative activations
    windows = max(1, min(windows, min(a.shape) // pool))  # a small upload's maps may fit fewer windows
    side = pool * windows
    if min(a.shape) < side:
        raise ValueError(f"the feature map ({a.shape[0]}×{a.shape[1]}) is smaller than one {pool}×{pool} window")
    # the pool-aligned crop whose windows differ most inside (max − min), where the rules disagree most
    # (deterministic: the same picture gives the same crop)
    spread = F.max_pool2d(a[None, None], pool) + F.max_pool2d(-a[None, None], pool)  # per window
    score = F.avg_pool2d(spread, windows, stride=1)[0, 0]
    r, c = divmod(int(score.argmax()), score.shape[1])
    r, c = r * pool, c * pool
    crop = a[r : r + side, c : c + side].double()
    g = masks.make_generator(seed, device)
    xs = crop.expand(n_mc, 1, side, side)
    out, keep = maxpool_dropout(xs, p, pool, generator=g)  # (N, 1, w, w)
    out = out[:, 0]
    # the output distribution of the window with the most distinct activations (then the largest smallest one)
    win = _windows(crop[None, None], pool)[0, 0].sort(dim=-1).values  # (w, w, n) ascending
    distinct = (win.diff(dim=-1) > 0).sum(-1) + 1
    pick = int((distinct + win[..., 0] / (win.max() + 1.0)).argmax())  # the fraction only breaks ties
    wr, wc = divmod(pick, win.shape[1])
    ordered = win[wr, wc]
    outcomes = torch.unique(torch.cat([ordered.new_zeros(1), ordered]))  # ascending, with 0
    weight = pwp_weights(p, pool * pool)  # P(output = a_(i))
    theory = torch.stack([weight[ordered == v].sum() for v in outcomes])
    theory[0] += p ** (pool * pool)  # all dropped -> 0
    got = out[:, wr, wc]
    freq = torch.stack([(got == v).double().mean() for v in outcomes])
    x4 = crop[None, None]
    return MaxPoolDemo(
        p=p, pool=pool, filter=FILTERS[filter_index].name,
        x=crop.cpu().numpy(), origin=(r, c), keep=(keep[0, 0] > 0).cpu().numpy(),
        train_out=out[0].cpu().numpy(),
        max_out=F.max_pool2d(x4, pool)[0, 0].cpu().numpy(),
        scaled_out=scaled_max_pool(x4, p, pool)[0, 0].cpu().numpy(),
        pwp_out=probabilistic_weighted_pool(x4, p, pool)[0, 0].cpu().numpy(),
        mc_mean=out.mean(0).cpu().numpy(),
        mc_se=(out.std(0) / math.sqrt(n_mc)).cpu().numpy() if n_mc > 1 else np.zeros(out.shape[1:]),
        n_mc=n_mc,
        window_at=(wr, wc),
        window_values=ordered.cpu().numpy(),
        window_outcomes=outcomes.cpu().numpy(),
        window_theory=theory.cpu().numpy(),
        window_freq=freq.cpu().numpy(),
    )


# -- the DropBlock and Max-Drop page ---------------------------------------------------------------


@dataclass(frozen=True)
class DropBlockDemo:
    p: float
    block_size: int  # after clipping to the map size
    gamma: float
    maps: np.ndarray  # (8, h, w) uint8 levels of the masked maps
    dropped_at: np.ndarray  # (8, h, w) bool
    n_seeds: int  # seeds drawn over the 8 maps
    actual: float  # dropped fraction of this draw
    expected: float  # exact expectation (:func:`dropblock_expected_rate`)
    p_grid: np.ndarray  # (K,) nominal p
    actual_grid: np.ndarray  # (K,) mean dropped fraction measured over n_curve maps
    expected_grid: np.ndarray  # (K,) exact expectation


def dropblock_demo(image: WorkingImage, p: float, seed: int, block_size: int = 9, n_curve: int = 16,
                   device: str = "cpu") -> DropBlockDemo:
    p = masks.check_p(p)
    _, fm, top = _image_and_maps(image, device)
    _, c, h, w = fm.shape
    bs = min(_positive_int("block_size", block_size), h, w)
    g = masks.make_generator(seed, device)
    m, seeds = dropblock_mask(fm.shape, p, bs, generator=g, device=device, return_seeds=True)
    keep = m > 0
    grid = np.round(np.linspace(0.0, 1.0, 21), 2)
    g_curve = masks.make_generator(seed + 1, device)
    measured = [float((dropblock_mask((n_curve, 1, h, w), q, bs, generator=g_curve, device=device) == 0)
                      .float().mean()) for q in grid]
    return DropBlockDemo(
        p=p, block_size=bs, gamma=dropblock_gamma(p, bs, h, w),
        maps=_levels(fm[0] * keep[0], top), dropped_at=(~keep[0]).cpu().numpy(), n_seeds=int(seeds.sum()),
        actual=float((~keep).float().mean()), expected=dropblock_expected_rate(p, bs, h, w),
        p_grid=grid, actual_grid=np.array(measured),
        expected_grid=np.array([dropblock_expected_rate(q, bs, h, w) for q in grid]),
    )


@dataclass(frozen=True)
class MaxDropDemo:
    p: float
    window: int
    scale: float
    maps: np.ndarray  # (8, h, w) uint8 levels of the maps after Max-Drop (without the rescale)
    dropped_at: np.ndarray  # (8, h, w) bool
    hit: np.ndarray  # (8,) bool: map lost its maximum in this draw
    argmax: np.ndarray  # (8, 2) (row, col) of each map's maximum
    max_level: np.ndarray  # (8,) each map's maximum, relative to its robust maximum
    n_maps: int  # maps in the hit-rate sample
    hit_rate: float  # fraction of those maps that lost their maximum


def maxdrop_demo(image: WorkingImage, p: float, seed: int, window: int = 1, n_maps: int = 512,
                 device: str = "cpu") -> MaxDropDemo:
    p = masks.check_p(p)
    _, fm, top = _image_and_maps(image, device)
    _, c, h, w = fm.shape
    window = fit_window(window, h, w)
    md = maxdrop_mask(fm, p, window, generator=masks.make_generator(seed, device))
    keep = md.mask[0] > 0
    idx = md.argmax[0].clamp_min(0)
    many = maxdrop_mask(fm.expand(n_maps // c, -1, -1, -1), p, window, generator=masks.make_generator(seed + 1, device))
    return MaxDropDemo(
        p=p, window=window, scale=md.scale,
        maps=_levels(fm[0] * keep, top), dropped_at=(~keep).cpu().numpy(), hit=md.hit[0].cpu().numpy(),
        argmax=torch.stack([idx // w, idx % w], dim=1).cpu().numpy(),
        max_level=(fm[0].reshape(c, -1).max(1).values / top).cpu().numpy(),
        n_maps=int(many.hit.numel()), hit_rate=float(many.hit.float().mean()),
    )
