"""Dropout for convolutional layers: pure, seeded mask functions.

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
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F

from dropviz._validate import check_p, device_of, positive_int
from dropviz.masks.dense import bernoulli_mask

Shape4 = tuple[int, int, int, int]
CutoutShape = Literal["square", "rectangle", "circle"]
CUTOUT_SHAPES: tuple[CutoutShape, ...] = ("square", "rectangle", "circle")


def _shape4(shape) -> Shape4:
    if len(shape) != 4 or any(int(s) != s or s < 1 for s in shape):
        raise ValueError(f"expected a (B, C, H, W) shape of positive integers, but got {tuple(shape)}")
    return tuple(int(s) for s in shape)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# Masks: pixel, spatial, Cutout, DropBlock


def pixel_mask(shape, p: float, *, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
    """Standard dropout on every activation (pixel) independently: (B, C, H, W), values 0 or 1/(1−p)."""
    return bernoulli_mask(_shape4(shape), p, generator=generator, device=device, dtype=dtype)


def spatial_mask(shape, p: float, *, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
    """SpatialDropout: one draw per (example, channel), shared over H×W. Returns (B, C, 1, 1), values 0 or
    1/(1−p) (inverted, as ``F.dropout2d``): on an RGB image, a dropped channel removes e.g. all the red."""
    b, c, _, _ = _shape4(shape)
    return bernoulli_mask((b, c, 1, 1), p, generator=generator, device=device, dtype=dtype)


def cutout_length(p: float, height: int, width: int, n_holes: int = 1) -> int:
    """The side L for which ``n_holes`` L×L holes have a nominal total area of p·H·W (before clipping at the
    border and overlap, which make the actual area smaller). This is how the pages drive Cutout with p."""
    p = check_p(p)
    return int(round(math.sqrt(p * height * width / positive_int("n_holes", n_holes))))


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
    n_holes = positive_int("n_holes", n_holes)
    length = positive_int("length", length, lo=0)
    dev = device_of(generator, device)
    centers = torch.stack(
        [torch.randint(0, h, (b, n_holes), generator=generator, device=dev),
         torch.randint(0, w, (b, n_holes), generator=generator, device=dev)], dim=-1
    )  # (B, n, 2)
    if channels is None or channels >= c:
        chans = torch.ones((b, n_holes, c), dtype=torch.bool, device=dev)
    else:
        k = positive_int("channels", channels)
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
    p = check_p(p)
    bs = min(positive_int("block_size", block_size), height, width)
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
    p = check_p(p)
    bs = min(positive_int("block_size", block_size), h, w)
    gamma = dropblock_gamma(p, bs, h, w)
    dev = device_of(generator, device)
    seeds = torch.empty((b, c, h - bs + 1, w - bs + 1), device=dev, dtype=dtype)
    seeds.bernoulli_(gamma, generator=generator)
    keep = 1.0 - expand_blocks(seeds, bs)
    mask = keep * (keep.numel() / (eps + keep.sum()))
    return (mask, seeds) if return_seeds else mask


def dropblock_expected_rate(p: float, block_size: int, height: int, width: int) -> float:
    """The exact expected dropped fraction: a position covered by n valid seed positions survives with
    probability (1 − gamma)^n, so E[dropped] = mean over positions of 1 − (1 − gamma)^n. Equals p only
    without overlap (bs = 1); below p otherwise."""
    bs = min(positive_int("block_size", block_size), height, width)
    gamma = dropblock_gamma(p, bs, height, width)
    ones = torch.ones((1, 1, height - bs + 1, width - bs + 1), dtype=torch.float64)
    cover = F.conv2d(F.pad(ones, (bs - 1,) * 4), torch.ones((1, 1, bs, bs), dtype=torch.float64))  # (1,1,H,W)
    return float((1.0 - (1.0 - gamma) ** cover).mean())



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
    p = check_p(p)
    b, c, h, w = _shape4(x.shape)
    window = positive_int("window", window)
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


