"""Claims made on the convolutional pages (pixel, spatial, Cutout, DropBlock, max-pooling dropout, Max-Drop).

As for the dense claims, statistical tolerances are 5 standard errors of the estimator; structural
statements (whole channels, hole geometry, which activation Max-Drop zeroes) are checked exactly. Every
reference is independent of the code it checks: torch built-ins (``F.dropout``, ``F.dropout2d``), closed forms
written here (Cutout's side √(p·H·W), DropBlock's γ and its exact expected rate, Max-Drop's rescale), numpy's
argmax, or a Monte Carlo of the training mechanism against a test-time rule (PWP). Defaults sit at p = 0.3 where
a keep/drop swap would show, and each claim lists the broken implementations it must FAIL under.
Claims that look at a picture take ``image`` (default: the bundled cat).

Papers: Srivastava et al. 2014 (pixel); Tompson et al., CVPR 2015 https://arxiv.org/abs/1411.4280 (SpatialDropout);
DeVries & Taylor 2017 https://arxiv.org/abs/1708.04552 (Cutout); Ghiasi et al., NeurIPS 2018
https://arxiv.org/abs/1810.12890 (DropBlock); Wu & Gu 2015 https://arxiv.org/abs/1512.00242 (max-pooling dropout,
PWP); Park & Kwak, ACCV 2016 (Max-Drop).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from dropviz import imaging, layers, masks, methods
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.claims.dense import P, keep_with_p, not_inverted
from dropviz.data import images
from dropviz.data.images import WorkingImage
from dropviz.demos import conv as conv_demo
from dropviz.i18n import N_

Z = 5.0


def _image(image: WorkingImage | None) -> WorkingImage:
    return images.cat() if image is None else image


def _swap_p(f):
    """The keep/drop swap for a function whose second argument is p: called with 1 − p."""
    def swapped(x, p, *args, **kw):
        return f(x, 1.0 - p if 0.0 < p < 1.0 else p, *args, **kw)
    return swapped


def _torch_oracle(device: str, seed: int, fn):
    """Run a torch built-in that draws from the global generator on a seeded fork of it, restored after (the
    device's generator too), so nothing else sees the seed. Nothing in dropviz itself uses the global RNG."""
    with torch.random.fork_rng(devices=[torch.device(device)] if torch.device(device).type == "cuda" else []):
        torch.manual_seed(seed)
        return fn()


def _as_per_channel(pixel_mask):
    def per_channel(shape, p, **kw):
        return masks.spatial_mask(shape, p, **kw).expand(*shape).contiguous()
    return per_channel


@claim(
    "pixel.independent_drops",
    N_("Pixel dropout is standard dropout on every activation of the feature maps: each is dropped on its own with "
       "probability p (two neighbours both with p²) and the kept ones are scaled by 1/(1−p), like "
       "torch.nn.functional.dropout."),
    mutations=(
        Mutation("keep with p instead of 1 − p", "dropviz.masks.dense:bernoulli_mask", keep_with_p, swaps=("pixel",)),
        Mutation("no inverted scaling", "dropviz.masks.dense:bernoulli_mask", not_inverted),
        Mutation("one draw per channel", "dropviz.masks.conv:pixel_mask", _as_per_channel),
    ),
    measures=N_("fraction of activations dropped"))
def pixel_independent(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    if p in (0.0, 1.0):
        return not_applicable(N_("at p = 0 every value is kept: nothing is random") if p == 0
                              else N_("at p = 1 every value is dropped: nothing is random"))
    shape = (16, 8, 16, 16) if quick else (64, 16, 32, 32)
    x = torch.ones(shape, device=device)
    out = methods.get("pixel").apply(x, p, layers.Settings(), masks.make_generator(seed, device)).out
    theirs = _torch_oracle(device, seed, lambda: F.dropout(x, p, training=True))
    n = x.numel()
    pairs = n * (shape[-1] - 1) // shape[-1]  # horizontal neighbours
    parts, ok = [], True
    for name, y in ((N_("ours"), out), ("F.dropout", theirs)):
        d = y == 0
        rate = float(d.double().mean())
        both = float((d[..., 1:] & d[..., :-1]).double().mean())
        kept = y[~d]
        scaled = bool(kept.numel() == 0 or torch.allclose(kept, torch.full_like(kept, 1 / (1 - p))))
        tol = Z * math.sqrt(p * (1 - p) / n)
        tol2 = Z * math.sqrt(p * p * (1 - p * p) / pairs) * math.sqrt(3)  # neighbouring pairs overlap: ×√3 margin
        ok &= abs(rate - p) <= tol and abs(both - p * p) <= tol2 and scaled
        parts.append(Phrase(N_("{name}: dropped {rate:.4f} (p = {p:g} ± {tol:.2g}), neighbours both dropped "
                               "{both:.4f} (p² = {p2:.4g} ± {tol2:.2g}), kept values 1/(1−p): {scaled}"),
                            name=Phrase(name), rate=rate, p=p, tol=tol, both=both, p2=p * p, tol2=tol2,
                            scaled=scaled))
    return Measurement(ok, float((out == 0).double().mean()),
                       Phrase(N_("{n:,} activations; {parts}"), n=n, parts=Phrase.joined("; ", parts)))


@claim(
    "pixel.less_information_removed_than_blocks",
    N_("Dropping single pixels removes less information than dropping regions: after filling the holes from the "
       "kept neighbours, pixel dropout's picture is closer to the original (higher PSNR) than Cutout's or "
       "DropBlock's, even when it drops as many values as they actually did."),
    mutations=(Mutation("an oracle inpainter (nothing lost)", "dropviz.imaging:inpaint", lambda f: lambda x, keep: x),
               Mutation("pixel masks drawn as whole channels", "dropviz.masks.conv:pixel_mask", _as_per_channel)),
    measures=N_("how many dB closer pixel dropout's repaired picture is (the smaller margin)"))
def pixel_vs_blocks(*, quick: bool = False, p: float = 0.5, seed: int = 0, block_size: int = 9,
                    image: WorkingImage | None = None, device: str = "cpu") -> Measurement:
    if p == 0.0:
        return not_applicable(N_("at p = 0 nothing is dropped: every method leaves the picture intact"))
    n = 2 if quick else 8
    info = conv_demo.information_removed(_image(image), p, seed, layers.Settings(block_size=block_size), n_draws=n,
                                    device=device)
    psnr = dict(zip(info.methods, info.psnr_inpainted, strict=True))
    matched = dict(zip(info.methods, info.psnr_matched_pixel, strict=True))
    dropped = dict(zip(info.methods, info.dropped, strict=True))
    blocks = ("cutout", "dropblock")
    if any(dropped[b] == 0 for b in blocks):
        return not_applicable(N_("a block method dropped nothing in these draws (p too small for this picture)"))
    margins = [0.0 if matched[b] == psnr[b] else matched[b] - psnr[b] for b in blocks]  # inf == inf: no gap
    parts = Phrase.joined("; ", (
        Phrase(N_("{b}: drops {dropped:.0%} → {psnr:.1f} dB, pixel dropout dropping {dropped:.0%} → {matched:.1f} dB"),
               b=b, dropped=dropped[b], psnr=psnr[b], matched=matched[b])
        for b in blocks))
    same_p = Phrase.joined(", ", (Phrase("{m} {psnr:.1f}", m=m, psnr=psnr[m]) for m in ("pixel", *blocks)))
    return Measurement(
        min(margins) > 0,
        min(margins),
        Phrase(N_("PSNR after inpainting, mean of {n} masks: {parts}. At the same p: {same_p} dB. Measured "
                  "value: the smaller margin in dB (> 0 passes)"),
               n=n, parts=parts, same_p=same_p),
    )


@claim(
    "spatial.whole_channels",
    N_("SpatialDropout drops whole channels: every value of a channel shares one draw, a channel is dropped "
       "with probability p, exactly like torch.nn.functional.dropout2d."),
    mutations=(
        Mutation("a draw per pixel", "dropviz.masks.conv:spatial_mask", lambda f: masks.pixel_mask),
        Mutation("keep with p instead of 1 − p", "dropviz.masks.dense:bernoulli_mask", keep_with_p,
                 swaps=("spatial",)),
    ),
    measures=N_("fraction of channels dropped"))
def spatial_whole_channels(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    b, c, h, w = (64, 64, 6, 6) if quick else (256, 256, 6, 6)
    x = torch.ones((b, c, h, w), device=device)
    m = masks.spatial_mask(x.shape, p, generator=masks.make_generator(seed, device), device=device)
    ours = x * m
    theirs = _torch_oracle(device, seed, lambda: F.dropout2d(x, p, training=True))  # the oracle
    n = b * c
    tol = Z * math.sqrt(p * (1 - p) / n)

    def channel_stats(y: torch.Tensor) -> tuple[bool, float, bool]:
        flat = y.reshape(n, h * w)
        whole = bool((flat == flat[:, :1]).all())  # one value per channel
        dropped = float((flat[:, 0] == 0).double().mean())
        kept = flat[flat[:, 0] != 0, 0]
        scaled = bool(kept.numel() == 0 or torch.allclose(kept, torch.full_like(kept, 1 / (1 - p))))
        return whole, dropped, scaled

    (w1, d1, s1), (w2, d2, s2) = channel_stats(ours), channel_stats(theirs)
    rates_ok = abs(d1 - p) <= tol + 1e-12 and abs(d2 - p) <= tol + 1e-12
    ok = m.shape == (b, c, 1, 1) and w1 and w2 and s1 and s2 and rates_ok
    return Measurement(
        ok,
        d1,
        Phrase(N_("mask shape {shape}; every channel constant: ours {w1}, dropout2d {w2}; dropped channels "
                  "{d1:.4f} (ours) and {d2:.4f} (dropout2d) of {n:,} vs p = {p:g} ± {tol:.2g} (5σ binomial); "
                  "kept values 1/(1−p): {scaled}"),
               shape=tuple(m.shape), w1=w1, w2=w2, d1=d1, d2=d2, n=n, p=p, tol=tol, scaled=s1 and s2),
    )


def _interior_cutout(cutout_mask, shape, length, *, generator=None, device=None, return_holes=False, **kw):
    """A broken Cutout whose centres fall only where the whole square fits (the error the claim rules out)."""
    mask, holes = cutout_mask(shape, length, generator=generator, device=device, return_holes=True, **kw)
    h, w = shape[-2:]
    lo, hi_r, hi_c = length // 2, max(length // 2, h - length + length // 2), max(length // 2, w - length + length // 2)
    cy = holes.centers[..., 0].clamp(lo, hi_r)
    cx = holes.centers[..., 1].clamp(lo, hi_c)
    rows = torch.arange(h, device=mask.device).view(1, 1, h, 1)
    cols = torch.arange(w, device=mask.device).view(1, 1, 1, w)
    inside = ((rows >= cy[..., None, None] - lo) & (rows < cy[..., None, None] - lo + length)
              & (cols >= cx[..., None, None] - lo) & (cols < cx[..., None, None] - lo + length)).any(1, keepdim=True)
    new = (~inside).to(mask.dtype)
    fixed = type(holes)(torch.stack([cy, cx], -1), holes.channels)
    return (new, fixed) if return_holes else new


def _expected_clipped_length(length: int, size: int) -> float:
    """E[|[c − L//2, c − L//2 + L) ∩ [0, size)|] for a centre c uniform on 0..size−1."""
    c = np.arange(size)
    lo = np.maximum(c - length // 2, 0)
    hi = np.minimum(c - length // 2 + length, size)
    return float(np.clip(hi - lo, 0, None).mean())


@claim(
    "cutout.region_geometry",
    N_("Cutout zeroes one L×L square on every channel, its centre uniform over the whole image, clipped at the "
       "border: inside the image the hole is exactly the square, and the mean hole area matches a centre that "
       "can fall anywhere (not only where the square fits). DropViz sizes it so that L² = p of the picture."),
    mutations=(
        Mutation("a ±L hole (side 2L)", "dropviz.masks.conv:hole_extent",
                 lambda f: lambda length, kind: (2 * length, 2 * length)),
        Mutation("side from 1 − p (keep with p)", "dropviz.masks.conv:cutout_length",
                 lambda f: lambda p, h, w, n_holes=1: f(1.0 - p, h, w, n_holes), swaps=("cutout",)),
        Mutation("centre only where the square fits", "dropviz.masks.conv:cutout_mask",
                 lambda f: lambda shape, length, **kw: _interior_cutout(f, shape, length, **kw)),
    ),
    measures=N_("mean hole area in pixels"))
def cutout_geometry(*, quick: bool = False, p: float = P, seed: int = 0, length: int | None = None,
                    height: int | None = None, width: int | None = None, device: str = "cpu") -> Measurement:
    ch, cw = images.cat().size
    h, w = height or ch, width or cw
    L = masks.cutout_length(p, h, w) if length is None else int(length)  # what the pages use
    L_ref = int(round(math.sqrt(p * h * w)))  # written here: nominal area p·H·W
    sized = length is not None or L == L_ref
    if L == 0:
        return not_applicable(N_("the hole has side 0 (p = 0): there is nothing to check"))
    n = 128 if quick else 512
    mask, holes = masks.cutout_mask((n, 3, h, w), L, generator=masks.make_generator(seed, device), device=device,
                                   return_holes=True)
    dropped = mask[:, 0] == 0  # (n, H, W)
    rows = torch.arange(h, device=device).view(1, h, 1)
    cols = torch.arange(w, device=device).view(1, 1, w)
    cy, cx = holes.centers[:, 0, 0].view(n, 1, 1), holes.centers[:, 0, 1].view(n, 1, 1)
    square = (rows >= cy - L // 2) & (rows < cy - L // 2 + L) & (cols >= cx - L // 2) & (cols < cx - L // 2 + L)
    exact = bool((dropped == square).all()) and mask.shape[1] == 1
    area = dropped.flatten(1).sum(1).double()
    expected = _expected_clipped_length(L, h) * _expected_clipped_length(L, w)
    se = float(area.std()) / math.sqrt(n) if n > 1 else 0.0
    interior_only = float(min(L, h) * min(L, w))
    mean = float(area.mean())
    return Measurement(
        sized and exact and abs(mean - expected) <= Z * se + 1e-9,
        mean,
        Phrase(N_("L = {L} (√(p·H·W) = {L_ref}) on {h}×{w}, {n:,} masks: hole == the clipped square on all "
                  "channels: {exact}; mean hole area {mean:.1f} px vs {expected:.1f} expected for centres "
                  "uniform over the whole image (±{margin:.1f}, 5σ); centres only where the square fits would "
                  "give {interior_only:.0f}"),
               L=L, L_ref=L_ref, h=h, w=w, n=n, exact=exact, mean=mean, expected=expected, margin=Z * se,
               interior_only=interior_only),
    )


@claim(
    "dropblock.actual_rate_below_nominal",
    N_("DropBlock drops fewer positions than its nominal p: γ counts every block as if blocks never overlapped, "
       "and overlapping blocks share positions."),
    mutations=(
        Mutation("γ = p/bs² without the valid-region factor", "dropviz.masks.conv:dropblock_gamma",
                 lambda f: lambda p, bs, h, w: min(1.0, p / min(bs, h, w) ** 2)),
        Mutation("γ halved", "dropviz.masks.conv:dropblock_gamma", lambda f: lambda p, bs, h, w: f(p, bs, h, w) / 2),
        Mutation("γ from 1 − p (keep with p)", "dropviz.masks.conv:dropblock_gamma",
                 lambda f: lambda p, bs, h, w: f(1.0 - p, bs, h, w), swaps=("dropblock",)),
    ),
    measures=N_("fraction of positions actually dropped"))
def dropblock_rate(*, quick: bool = False, p: float = P, seed: int = 0, block_size: int = 9,
                   height: int | None = None, width: int | None = None, device: str = "cpu") -> Measurement:
    fh, fw = imaging.feature_maps(images.cat().tensor()).shape[-2:]
    h, w = height or fh, width or fw
    bs = min(int(block_size), h, w)
    if p == 0.0:
        return not_applicable(N_("at p = 0 nothing is dropped (γ = 0)"))
    if bs == 1:
        return not_applicable(N_("with block size 1 blocks cannot overlap: DropBlock is pixel dropout, rate = p"))
    n = 64 if quick else 512
    m = masks.dropblock_mask((n, 1, h, w), p, bs, generator=masks.make_generator(seed, device), device=device)
    per_map = (m == 0).flatten(1).double().mean(1)
    measured = float(per_map.mean())
    se = float(per_map.std()) / math.sqrt(n)
    # The reference, written here (Ghiasi et al. eq. 1 in torchvision's H×W form): seeds ~ Bernoulli(γ) on the
    # (H−bs+1)×(W−bs+1) valid region, γ = p·H·W / (bs²·(H−bs+1)(W−bs+1)); a position covered by n valid seed
    # positions survives with probability (1−γ)^n.
    gamma = min(1.0, p * h * w / (bs * bs * (h - bs + 1) * (w - bs + 1)))
    rows = np.minimum(np.arange(h), h - bs) - np.maximum(0, np.arange(h) - bs + 1) + 1
    cols = np.minimum(np.arange(w), w - bs) - np.maximum(0, np.arange(w) - bs + 1) + 1
    cover = np.outer(rows, cols)
    expected = float((1.0 - (1.0 - gamma) ** cover).mean())
    resolved = Phrase(N_("resolved") if p - measured > Z * se else N_("too small to resolve at 5σ with this sample"))
    return Measurement(
        expected < p and abs(measured - expected) <= Z * se + 1e-9,
        measured,
        Phrase(N_("block {bs} on {h}×{w}, γ = {gamma:.4g}: dropped fraction over {n} maps {measured:.4f} vs "
                  "exact expectation {expected:.4f} ± {margin:.2g} (5σ), below nominal p = {p:g} ({resolved})"),
               bs=bs, h=h, w=w, gamma=gamma, n=n, measured=measured, expected=expected, margin=Z * se, p=p,
               resolved=resolved),
    )


@claim(
    "maxpool.pwp_matches_training_expectation",
    N_("Probabilistic weighted pooling Σ q(1−q)^(n−i)·a_(i) equals the average training output of max-pooling "
       "dropout; plain max pooling overestimates it and scaled max (1−p)·max underestimates it."),
    mutations=(
        Mutation("PWP weights reversed, q(1−q)^(i−1)", "dropviz.layers.conv:pwp_weights",
                 lambda f: lambda p, n, dtype=torch.float64: f(p, n, dtype).flip(0)),
        Mutation("PWP = scaled max", "dropviz.layers.conv:pwp_weights",
                 lambda f: lambda p, n, dtype=torch.float64: torch.cat([torch.zeros(n - 1, dtype=dtype),
                                                                       torch.full((1,), 1 - p, dtype=dtype)])),
        Mutation("keep with p instead of 1 − p", "dropviz.masks.dense:bernoulli_mask", keep_with_p,
                 swaps=("maxpool",)),
    ),
    measures=N_("largest gap between PWP and the average training output"))
def pwp_expectation(*, quick: bool = False, p: float = P, seed: int = 0, pool: int = 2, filter_index: int = 1,
                    n_mc: int | None = None, image: WorkingImage | None = None, device: str = "cpu") -> Measurement:
    n = n_mc if n_mc is not None else (4_000 if quick else conv_demo.MAXPOOL_PASSES)  # a page passes its own
    d = conv_demo.maxpool_demo(_image(image), p, seed, pool=pool, filter_index=filter_index, n_mc=n, device=device)
    gap = np.abs(d.pwp_out - d.mc_mean)
    worst = float((gap / np.maximum(d.mc_se, 1e-300)).max()) if (d.mc_se > 0).any() else 0.0
    exact = bool((gap[d.mc_se == 0] < 1e-9).all())  # p = 0 or 1, or a window of zeros: no randomness left
    over = bool((d.max_out >= d.mc_mean - Z * d.mc_se - 1e-12).all())
    under = bool((d.scaled_out <= d.mc_mean + Z * d.mc_se + 1e-12).all())
    return Measurement(
        worst <= Z and exact and over and under,
        float(gap.max()),
        Phrase(N_("largest |PWP − mean of {n:,} training outputs| over {size} windows of {pool}×{pool}; worst "
                  "{worst:.2f} standard errors (allowed {Z:g}). Mean errors: PWP {err_pwp:.4f}, max "
                  "{err_max:.4f} (never below: {over}), scaled max {err_scaled:.4f} (never above: {under})"),
               n=n, size=d.mc_mean.size, pool=pool, worst=worst, Z=Z, err_pwp=d.error(d.pwp_out),
               err_max=d.error(d.max_out), over=over, err_scaled=d.error(d.scaled_out), under=under),
    )


@claim(
    "maxdrop.drops_maxima",
    N_("Max-Drop (authors' code) removes exactly each feature map's largest activation (or the window around it) "
       "with probability p, leaves every other value in place, and rescales by 1/(1 − p·k²/(H·W))."),
    mutations=(
        Mutation("drops the wrong activation", "dropviz.masks.conv:maxdrop_mask",
                 lambda f: lambda x, *a, **k: f(torch.roll(x, 1, dims=-1), *a, **k)),
        Mutation("no rescale", "dropviz.masks.conv:maxdrop_mask",
                 lambda f: lambda x, *a, **k: (lambda md: md._replace(mask=(md.mask > 0).to(md.mask.dtype),
                                                                     scale=1.0))(f(x, *a, **k))),
        Mutation("hit with probability 1 − p (keep with p)", "dropviz.masks.conv:maxdrop_mask", _swap_p,
                 swaps=("maxdrop",)),
    ),
    measures=N_("fraction of maps that lost their maximum"))
def maxdrop_maxima(*, quick: bool = False, p: float = P, seed: int = 0, window: int = 1,
                   image: WorkingImage | None = None, device: str = "cpu") -> Measurement:
    fm = imaging.feature_maps(_image(image).tensor().to(device))  # (1, 8, h, w)
    copies = 16 if quick else 128
    x = fm.expand(copies, -1, -1, -1)
    b, c, h, w = x.shape
    md = masks.maxdrop_mask(x, p, window, generator=masks.make_generator(seed, device))
    # independent check with numpy: the dropped set is the window around np.argmax of each hit map
    xs = fm[0].cpu().numpy().reshape(c, -1)
    top = xs.argmax(1)
    positive = xs.max(1) > 0
    r = window // 2
    yy, xx = np.mgrid[0:h, 0:w]
    windows = np.stack([(np.abs(yy - t // w) <= r) & (np.abs(xx - t % w) <= r) for t in top])  # (C, h, w)
    dropped = (md.mask == 0).cpu().numpy()  # (B, C, h, w)
    hit = md.hit.cpu().numpy()
    expect = np.where(hit[..., None, None], windows[None], False)
    exact = bool((dropped == expect).all()) and not bool(hit[:, ~positive].any())
    # the rescale, written here, checked where it is far from 1: a 9×9 window on 16×16 maps
    scale_ok, scales = True, []
    for k, maps in ((window, x), (9, torch.rand(8, 4, 16, 16, generator=masks.make_generator(seed + 1, device),
                                                device=device))):
        mk = md if k == window and maps is x else masks.maxdrop_mask(maps, p, k,
                                                                     generator=masks.make_generator(seed, device))
        hh, ww = maps.shape[-2:]
        want = 1.0 / (1.0 - p * k * k / (hh * ww))
        kept = mk.mask[mk.mask > 0]
        scale_ok &= bool(kept.numel() == 0 or torch.allclose(kept, torch.full_like(kept, want), rtol=1e-6, atol=0))
        scales.append(Phrase(N_("{k}×{k} on {hh}×{ww}: {want:.6g}"), k=k, hh=hh, ww=ww, want=want))
    # the rate on many small maps (the cat's maps are few): each loses its maximum with probability p
    many = torch.rand(4096 if quick else 32768, 1, 8, 8, generator=masks.make_generator(seed + 2, device),
                      device=device)
    hits = masks.maxdrop_mask(many, p, 1, generator=masks.make_generator(seed + 3, device)).hit
    eligible = hits.numel()
    rate = float(hits.double().mean())
    tol = Z * math.sqrt(p * (1 - p) / eligible)
    return Measurement(
        exact and scale_ok and abs(rate - p) <= tol + 1e-12,
        rate,
        Phrase(N_("{eligible:,} maps with a positive maximum: {rate:.4f} lost it vs p = {p:g} ± {tol:.2g} (5σ "
                  "binomial); on the cat's {n_maps} maps the dropped set == the {window}×{window} window at "
                  "numpy's argmax, nothing else: {exact}; kept values × 1/(1 − p·k²/(H·W)) ({scales}): {scale_ok}"),
               eligible=eligible, rate=rate, p=p, tol=tol, n_maps=b * c, window=window, exact=exact,
               scales=Phrase.joined("; ", scales), scale_ok=scale_ok),
    )
