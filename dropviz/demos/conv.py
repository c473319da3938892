"""The computations behind the convolutional pages: pure functions of (image, p, seed, options, device) that
return numpy results (pictures as uint8, small) in frozen dataclasses. Pages cache them; figures draw them;
claims check them. Papers: see :mod:`dropviz.masks.conv`."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from dropviz import methods
from dropviz._validate import check_p, make_generator, positive_int
from dropviz.data.images import WorkingImage
from dropviz.imaging import FILTERS, Filter, feature_maps, inpaint, psnr
from dropviz.layers.conv import (
    Applied,
    Settings,
    _windows,
    fit_window,
    maxpool_dropout,
    probabilistic_weighted_pool,
    pwp_weights,
    scaled_max_pool,
)
from dropviz.masks.conv import dropblock_expected_rate, dropblock_gamma, dropblock_mask, maxdrop_mask

# --------------------------------------------------------------------------------------------------
# Page computations: numpy results in frozen dataclasses (pictures as uint8, small)


def apply(method: str, x: torch.Tensor, p: float, settings: Settings = Settings(), *,
          generator: torch.Generator | None = None) -> Applied:
    """Apply a conv-family method (by registry id) to x (B, C, H, W) in training mode, through its registered
    ``apply`` form."""
    m = methods.get(method)
    if m.family != "conv":
        raise KeyError(f"unknown conv method {method!r}; known: {', '.join(methods.ids('conv'))}")
    return m.apply(x, check_p(p), settings, generator)


def inpainted() -> tuple[str, ...]:
    """The conv methods whose output keeps the input's resolution, so it can be inpainted and compared."""
    return tuple(m.id for m in methods.by_family("conv") if m.keeps_resolution)


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
    image_channel_dropped: tuple[float, ...] = ()  # per colour channel (R, G, B): fraction of its values dropped


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
    p = check_p(p)
    x, fm, top = _image_and_maps(image, device)
    views = []
    for method in methods.ids("conv"):
        on_x = apply(method, x, p, settings, generator=make_generator(seed, device))
        on_fm = apply(method, fm, p, settings, generator=make_generator(seed, device))
        if not methods.get(method).keeps_resolution:
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
            image_channel_dropped=tuple(float(v) for v in (~on_x.keep[0]).float().mean(dim=(1, 2))),
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
    p = check_p(p)
    x, fm, top = _image_and_maps(image, device)
    shown = inpainted()  # the methods that keep the resolution (max-pooling dropout pools)
    src = x if target < 0 else fm[:, target : target + 1]
    frames, dropped_at, dropped = [], [], []
    gens = {m: make_generator(seed, device) for m in shown}
    for _ in range(n_frames):
        row, row_dropped, row_at = [], [], []
        for m in shown:
            keep = apply(m, src, p, settings, generator=gens[m]).keep[0]  # (C, H, W)
            kept = src[0] * keep
            row.append(_u8(kept) if target < 0 else _levels(kept, top[target : target + 1])[0])
            row_at.append((~keep[0]).cpu().numpy())
            row_dropped.append(float((~keep).float().mean()))
        frames.append(np.stack(row))
        dropped_at.append(np.stack(row_at))
        dropped.append(row_dropped)
    name = "image" if target < 0 else FILTERS[target].name
    return Animation(name, shown, np.stack(frames), None if target < 0 else np.stack(dropped_at),
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
    p = check_p(p)
    x = image.tensor().to(device).expand(positive_int("n_draws", n_draws), -1, -1, -1)  # (N, 3, H, W)
    dropped, mse0, mse1, matched, filled_u8, masked_u8 = [], [], [], [], [], []

    def inpainting_mse(keep: torch.Tensor) -> tuple[float, torch.Tensor]:
        filled = inpaint(x, keep)
        return float(((filled - x) ** 2).mean()), filled

    for m in inpainted():
        keep = apply(m, x, p, settings, generator=make_generator(seed, device)).keep
        mse, filled = inpainting_mse(keep)
        dropped.append(float((~keep).float().mean()))
        mse0.append(float(((x * keep - x) ** 2).mean()))
        mse1.append(mse)
        if m == "pixel":
            matched.append(mse)
        else:  # the same fraction of values, dropped one by one
            same = apply("pixel", x, dropped[-1], settings, generator=make_generator(seed, device)).keep
            matched.append(inpainting_mse(same)[0])
        filled_u8.append(_u8(filled[0]))
        masked_u8.append(_u8(x[0] * keep[0]))
    return InfoRemoved(
        p, n_draws, inpainted(), np.array(dropped), np.array(mse0), np.array(mse1),
        np.array([psnr(v) for v in mse1]), np.array([psnr(v) for v in matched]),
        np.stack(filled_u8), np.stack(masked_u8),
    )


# -- the max-pooling dropout page ------------------------------------------------------------------


MAXPOOL_PASSES = 20_000  # training passes averaged for the Monte Carlo reference (page default and the claim's)


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
                 windows: int = 4, n_mc: int = MAXPOOL_PASSES, device: str = "cpu") -> MaxPoolDemo:
    """Max-pooling dropout on a windows×windows grid of pool×pool windows, cut from one feature map where the
    activations inside each window differ most; the three test-time rules against the Monte Carlo mean of
    the training outputs."""
    p = check_p(p)
    pool = positive_int("pool", pool, lo=2)
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
    g = make_generator(seed, device)
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
    p = check_p(p)
    _, fm, top = _image_and_maps(image, device)
    _, c, h, w = fm.shape
    bs = min(positive_int("block_size", block_size), h, w)
    g = make_generator(seed, device)
    m, seeds = dropblock_mask(fm.shape, p, bs, generator=g, device=device, return_seeds=True)
    keep = m > 0
    grid = np.round(np.linspace(0.0, 1.0, 21), 2)
    g_curve = make_generator(seed + 1, device)
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
    p = check_p(p)
    _, fm, top = _image_and_maps(image, device)
    _, c, h, w = fm.shape
    window = fit_window(window, h, w)
    md = maxdrop_mask(fm, p, window, generator=make_generator(seed, device))
    keep = md.mask[0] > 0
    idx = md.argmax[0].clamp_min(0)
    many = maxdrop_mask(fm.expand(n_maps // c, -1, -1, -1), p, window, generator=make_generator(seed + 1, device))
    return MaxDropDemo(
        p=p, window=window, scale=md.scale,
        maps=_levels(fm[0] * keep, top), dropped_at=(~keep).cpu().numpy(), hit=md.hit[0].cpu().numpy(),
        argmax=torch.stack([idx // w, idx % w], dim=1).cpu().numpy(),
        max_level=(fm[0].reshape(c, -1).max(1).values / top).cpu().numpy(),
        n_maps=int(many.hit.numel()), hit_rate=float(many.hit.float().mean()),
    )

