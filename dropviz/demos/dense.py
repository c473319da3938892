"""The computations behind the dense-layer pages: pure functions of (p, seed, sizes, device) that return
numpy arrays in small frozen dataclasses. Pages cache them; figures draw them; claims check them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from dropviz import data, layers, masks
from dropviz._validate import check_p, make_generator


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().double().numpy()  # to the CPU first: MPS has no float64


# --------------------------------------------------------------------------------------------------
# Standard dropout: the network diagram, train vs test, a unit's output distribution


@dataclass(frozen=True)
class NetworkAnimation:
    layer_sizes: tuple[int, ...]
    keep: tuple[np.ndarray, ...]  # per layer: (n_frames, size) bool; the output layer is always kept
    p_input: float
    p_hidden: float


def network_masks(
    layer_sizes: tuple[int, ...], p_input: float, p_hidden: float, n_frames: int, seed: int, device: str = "cpu"
) -> NetworkAnimation:
    """One fresh unit mask per training iteration (frame) for every layer but the output."""
    if len(layer_sizes) < 2:
        raise ValueError("a network needs at least an input and an output layer")
    g = make_generator(seed, device)
    keep = []
    for i, size in enumerate(layer_sizes):
        if i == len(layer_sizes) - 1:
            keep.append(np.ones((n_frames, size), dtype=bool))
            continue
        p = p_input if i == 0 else p_hidden
        m = masks.bernoulli_mask((n_frames, size), p, generator=g, device=device, inverted=False)
        keep.append(_np(m) > 0)
    return NetworkAnimation(tuple(layer_sizes), tuple(keep), check_p(p_input), check_p(p_hidden))


@dataclass(frozen=True)
class TrainTest:
    """Classic vs inverted dropout on one activation vector ``a``."""

    p: float
    a: np.ndarray  # (D,) the activations, no dropout
    mask: np.ndarray  # (D,) one 0/1 keep mask, shared by both forms so they can be compared
    classic_train: np.ndarray  # a * m              (one training pass)
    inverted_train: np.ndarray  # a * m / (1 - p)
    classic_mean: np.ndarray  # mean over n_masks training passes
    inverted_mean: np.ndarray
    classic_test: np.ndarray  # a * (1 - p)
    inverted_test: np.ndarray  # a
    n_masks: int


@lru_cache(maxsize=16)  # pure: pages and the claims they show share one computation
def train_test(p: float, seed: int, units: int = 8, n_masks: int = 400_000, device: str = "cpu") -> TrainTest:
    p = check_p(p)
    a = data.teaching_vector(seed, units).to(device)  # (D,)
    g = make_generator(seed + 1, device)
    m = masks.bernoulli_mask((n_masks, units), p, generator=g, device=device)  # (N, D) inverted: 0 or 1/q
    keep = (m > 0).to(m.dtype)  # the same draws as a 0/1 mask
    q = 1.0 - p
    classic = keep * a  # (N, D)
    inverted = m * a  # kept units hold a / q (at p = 1 nothing is kept: zeros)
    return TrainTest(
        p=p,
        a=_np(a),
        mask=_np(keep[0]),
        classic_train=_np(classic[0]),
        inverted_train=_np(inverted[0]),
        classic_mean=_np(classic.mean(0)),
        inverted_mean=_np(inverted.mean(0)),
        classic_test=_np(a * q),
        inverted_test=_np(a),
        n_masks=n_masks,
    )


@dataclass(frozen=True)
class UnitOutput:
    """The pre-activation of one next-layer unit, ``z = w · (a ⊙ m)/(1-p)``, over many masks."""

    p: float
    samples: np.ndarray  # (n_masks,)
    no_dropout: float  # w · a
    mean: float
    std: float
    theory_std: float  # sqrt(p/(1-p) · Σ w_i² a_i²)


def unit_output(p: float, seed: int, units: int = 16, n_masks: int = 20_000, device: str = "cpu") -> UnitOutput:
    p = check_p(p)
    a = data.dense_activations(seed, batch=1, units=units)[0].to(device)  # (D,)
    w, _ = data.dense_layer(seed + 2, units, 1)
    w = w[0].to(device)  # (D,)
    g = make_generator(seed + 3, device)
    m = masks.bernoulli_mask((n_masks, units), p, generator=g, device=device)  # (N, D), inverted
    z = (m * a) @ w  # (N,)
    ratio = 0.0 if p == 1.0 else p / (1.0 - p)
    return UnitOutput(
        p=p,
        samples=_np(z),
        no_dropout=float(w @ a),
        mean=float(z.mean()),
        std=float(z.std()),
        theory_std=float((ratio * ((w * a) ** 2).sum()).sqrt()) if p < 1.0 else 0.0,
    )


# --------------------------------------------------------------------------------------------------
# Bernoulli vs Gaussian masks


@dataclass(frozen=True)
class MaskPair:
    p: float
    bernoulli: np.ndarray  # (B, D) inverted Bernoulli mask, values 0 or 1/(1-p)
    gaussian: np.ndarray  # (B, D) Gaussian mask N(1, p/(1-p))
    x: np.ndarray  # (B, D) activations both masks are applied to
    # statistics over a large sample (n elements) of each mask, beside the theory
    n: int
    bernoulli_mean: float
    bernoulli_var: float
    gaussian_mean: float
    gaussian_var: float
    theory_var: float  # p / (1 - p); inf at p = 1
    bernoulli_sample: np.ndarray  # a subsample of the large draws, for histograms
    gaussian_sample: np.ndarray
    gaussian_negative: float = 0.0  # fraction of the n Gaussian draws below 0: they flip the sign of x
    theory_negative: float = 0.0  # P(N(1, σ²) < 0) = Φ(−1/σ) for 0 < p < 1 (at p = 1 the layer is dropped: 0)


FULL_DRAWS = 2_000_000  # draws of each mask for the Gaussian claims (python -m dropviz.claims)
QUICK_DRAWS = 100_000  # ... at their quick size: what the page shows, so its table and its claims agree


@lru_cache(maxsize=16)  # pure: pages and the claims they show share one computation
def mask_pair(
    p: float, seed: int, batch: int = 8, units: int = 16, n: int = FULL_DRAWS, device: str = "cpu"
) -> MaskPair:
    p = check_p(p)
    g = make_generator(seed, device)
    bern = masks.bernoulli_mask((batch, units), p, generator=g, device=device)
    gauss = masks.gaussian_mask((batch, units), p, generator=g, device=device)
    # The statistics come from their own generator so they do not depend on the displayed shape.
    g_stats = make_generator(seed + 1, device)
    big_b = masks.bernoulli_mask((n,), p, generator=g_stats, device=device).cpu().double()
    big_g = masks.gaussian_mask((n,), p, generator=g_stats, device=device).cpu().double()
    x = data.gallery_input(seed, batch=batch, units=units)  # positive, so every change is the mask's doing
    k = min(n, 20_000)
    return MaskPair(
        p=p,
        bernoulli=_np(bern),
        gaussian=_np(gauss),
        x=_np(x),
        n=n,
        bernoulli_mean=float(big_b.mean()),
        bernoulli_var=float(big_b.var()),
        gaussian_mean=float(big_g.mean()),
        gaussian_var=float(big_g.var()),
        theory_var=masks.gaussian_std(p) ** 2,
        bernoulli_sample=_np(big_b[:k]).astype(np.float32),
        gaussian_sample=_np(big_g[:k]).astype(np.float32),
        gaussian_negative=float((big_g < 0).double().mean()),
        theory_negative=0.5 * math.erfc(1.0 / (masks.gaussian_std(p) * math.sqrt(2))) if 0 < p < 1 else 0.0,
    )


# --------------------------------------------------------------------------------------------------
# DropConnect

MC_BUDGET = 40_000_000  # mask elements drawn for one Monte Carlo reference (≈1 s on 2 CPU cores)


@dataclass(frozen=True)
class DropConnectDemo:
    p: float
    weight: np.ndarray  # (out, in)
    dc_mask: np.ndarray  # (n_show, out, in): DropConnect, one weight mask per example (0 or 1/q)
    dropout_mask: np.ndarray  # (n_show, out, in): dropout on the outputs = whole rows masked
    v: np.ndarray  # (in,) the test input
    mc_reference: np.ndarray  # (out,) E[relu(u)] over n_mc sampled weight masks
    weight_scaling: np.ndarray  # (out,) relu(W v + b)
    gaussian: np.ndarray  # (out,) moment matching + n_gauss Gaussian samples per unit
    err_weight_scaling: float  # mean |. - mc_reference|
    err_gaussian: float
    n_mc: int
    n_gauss: int


@lru_cache(maxsize=16)  # the Monte Carlo is most of the work; a page asks for it with several n_gauss
def _dropconnect_draws(p: float, seed: int, in_features: int, out_features: int, n_show: int, n_mc: int,
                       device: str) -> tuple:
    """The layer, the shown masks and the Monte Carlo reference of :func:`dropconnect_demo`, with the state its
    generator is left in (so the Gaussian samples drawn after it are the same whether this was cached or not)."""
    w, b = (t.to(device) for t in data.dense_layer(seed, in_features, out_features))
    v = data.dense_activations(seed + 1, batch=1, units=in_features)[0].to(device)
    g = make_generator(seed, device)
    shown = masks.dropconnect_mask(n_show, out_features, in_features, p, generator=g, device=device)
    rows = masks.bernoulli_mask((n_show, out_features, 1), p, generator=g, device=device)
    # MC reference: the expectation the test-time rule should reproduce, in chunks to bound memory.
    total, done = torch.zeros(out_features, dtype=torch.float64), 0  # accumulated on the CPU in float64
    chunk = max(1, min(n_mc, 2_000_000 // (in_features * out_features)))
    while done < n_mc:
        n = min(chunk, n_mc - done)
        m = masks.dropconnect_mask(n, out_features, in_features, p, generator=g, device=device)
        u = layers.dropconnect_forward(v.expand(n, -1), w, b, m)
        total += F.relu(u).sum(0).cpu().double()
        done += n
    return w, b, v, shown, rows, total / n_mc, g.get_state()


@lru_cache(maxsize=16)  # pure: pages and the claims they show share one computation
def dropconnect_demo(
    p: float,
    seed: int,
    in_features: int = 64,
    out_features: int = 16,
    n_show: int = 3,
    n_mc: int = 40_000,
    n_gauss: int = 1000,
    device: str = "cpu",
) -> DropConnectDemo:
    """Per-example weight masks, and the three test-time rules against a Monte Carlo reference.

    The reference uses ``n_mc`` masks, or fewer for large layers: at most ``MC_BUDGET`` mask elements in
    all, which bounds the work any slider setting can ask for (``n_mc`` in the result says how many)."""
    p = check_p(p)
    n_mc = max(1, min(n_mc, MC_BUDGET // (out_features * (in_features + 1))))
    w, b, v, shown, rows, mc, state = _dropconnect_draws(p, seed, in_features, out_features, n_show, n_mc, device)
    g = make_generator(seed, device)
    g.set_state(state)  # where the Monte Carlo left the generator: the Gaussian samples continue from there
    ws = F.relu(F.linear(v, w, b))
    gauss = layers.dropconnect_gaussian_inference(v, w, b, p, F.relu, n_samples=n_gauss, generator=g)
    mc_np, ws_np, ga_np = _np(mc), _np(ws), _np(gauss)
    return DropConnectDemo(
        p=p,
        weight=_np(w),
        dc_mask=_np(shown.weight),
        dropout_mask=_np(rows.expand(-1, -1, in_features)),
        v=_np(v),
        mc_reference=mc_np,
        weight_scaling=ws_np,
        gaussian=ga_np,
        err_weight_scaling=float(np.abs(ws_np - mc_np).mean()),
        err_gaussian=float(np.abs(ga_np - mc_np).mean()),
        n_mc=n_mc,
        n_gauss=n_gauss,
    )


# --------------------------------------------------------------------------------------------------
# Standout


@dataclass(frozen=True)
class StandoutDemo:
    """Standout in the paper's form (Ba & Frey 2013): P(keep) = σ(α·z + β·Σ_i a_i), the standout network's
    weights α·W + β tied to the layer's. The curves are drawn at the batch's mean input sum Σa."""

    alpha: float
    beta: float
    input_sum: float  # the batch's mean Σ_i a_i: where the curves (and the binned rates) put β·Σa
    z_grid: np.ndarray  # (G,)
    keep_curve: np.ndarray  # (G,) sigmoid(alpha z + beta)
    relu_curve: np.ndarray  # (G,) relu(z)
    test_curve: np.ndarray  # (G,) sigmoid(alpha z + beta) * relu(z)
    z: np.ndarray  # (B, D) a batch's drives
    keep_prob: np.ndarray  # (B, D)
    mask: np.ndarray  # (B, D) 0/1
    # empirical keep rate per bin of z over many draws, beside the theory
    bin_centers: np.ndarray
    bin_rate: np.ndarray
    bin_theory: np.ndarray
    bin_count: np.ndarray


@lru_cache(maxsize=16)  # pure: pages and the claims they show share one computation
def standout_demo(
    alpha: float, beta: float, seed: int, batch: int = 8, units: int = 16, n: int = 1_000_000, device: str = "cpu"
) -> StandoutDemo:
    g = make_generator(seed, device)
    z_grid = torch.linspace(-4, 4, 161, device=device)
    w, b = (t.to(device) for t in data.dense_layer(seed, 32, units))
    x = torch.rand(batch, 32, generator=g, device=device) * 0.25  # the layer's inputs a_i ≥ 0 (Σa ≈ 4)
    z = F.linear(x, w, b)  # (B, D) drives of a real layer
    a_sum = x.sum(-1, keepdim=True)  # (B, 1) Σ_i a_i per example
    prob = masks.standout_keep_prob(z, alpha, beta, a_sum)
    mask = masks.standout_mask(z, alpha, beta, input_sum=a_sum, generator=g)
    s_mean = torch.full((), float(a_sum.mean()), device=device)
    # Many units with drives spread over [-4, 4] (at the mean Σa): the measured keep rate per bin.
    zs = torch.rand(n, generator=g, device=device) * 8 - 4
    ms = masks.standout_mask(zs, alpha, beta, input_sum=s_mean, generator=g)
    zs, ms = zs.cpu().double(), ms.cpu().double()  # bin on the CPU, in float64
    edges = torch.linspace(-4, 4, 17, dtype=torch.float64)
    idx = torch.bucketize(zs, edges[1:-1])
    count = torch.bincount(idx, minlength=16).double()
    kept = torch.bincount(idx, weights=ms, minlength=16)
    centers = (edges[1:] + edges[:-1]) / 2
    # theory: the mean keep probability of the units that fell in each bin
    theory = torch.bincount(idx, weights=masks.standout_keep_prob(zs, alpha, beta, s_mean.cpu().double()),
                            minlength=16)
    keep_curve = masks.standout_keep_prob(z_grid, alpha, beta, s_mean)
    return StandoutDemo(
        alpha=float(alpha),
        beta=float(beta),
        input_sum=float(s_mean),
        z_grid=_np(z_grid),
        keep_curve=_np(keep_curve),
        relu_curve=_np(F.relu(z_grid)),
        test_curve=_np(keep_curve * F.relu(z_grid)),
        z=_np(z),
        keep_prob=_np(prob),
        mask=_np(mask),
        bin_centers=_np(centers),
        bin_rate=_np(kept / count),
        bin_theory=_np(theory / count),
        bin_count=_np(count),
    )


def clear_caches() -> None:
    """Forget the memoised results (tests that patch the math use this so nothing stale is reused)."""
    for fn in (train_test, mask_pair, _dropconnect_draws, dropconnect_demo, standout_demo):
        fn.cache_clear()
