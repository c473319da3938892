"""Claims made on the dense-layer pages (standard, Gaussian, DropConnect, Standout).

Tolerances are 5 standard errors of the estimator, computed from the math, so a claim fails only when
the statement is wrong (a fixed seed makes each run reproducible; any seed passes with probability
> 0.99999).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from dropviz import masks
from dropviz.claims.core import Measurement, claim, not_applicable
from dropviz.demos import dense as dense_demo

Z = 5.0  # standard errors allowed
MIN_KEPT_FOR_CLT = 5  # surviving terms per sum before a central-limit (Gaussian) approximation is fair


@claim("standard.keep_rate", "Standard dropout keeps each unit with probability 1 − p.")
def keep_rate(*, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu") -> Measurement:
    n = 100_000 if quick else 4_000_000
    m = masks.bernoulli_mask((n,), p, generator=masks.make_generator(seed, device), device=device)
    rate = int((m > 0).sum()) / n
    tol = Z * math.sqrt(p * (1 - p) / n)
    return Measurement(
        abs(rate - (1 - p)) <= tol + 1e-12,
        rate,
        f"kept fraction of {n:,} units vs 1−p = {1 - p:.4g}, tolerance ±{tol:.2g} (5σ binomial)",
    )


@claim(
    "standard.expectation_preserved",
    "Inverted dropout preserves the expected activation: E[x ⊙ m / (1−p)] = x, because E[mask] = 1.",
)
def expectation_preserved(*, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable("at p = 1 every unit is dropped; there is no 1/(1−p) to rescale by")
    n = 20_000 if quick else 400_000
    tt = dense_demo.train_test(p, seed, units=8, n_masks=n, device=device)
    # mean over n masks of x_j m_j / q has standard error x_j sqrt(p/q / n)
    se = tt.a * math.sqrt(p / (1 - p) / n)
    dev = abs(tt.inverted_mean - tt.a)
    worst = float((dev / (se + 1e-300)).max()) if p > 0 else float(dev.max())
    rel = float((dev / tt.a).max())
    return Measurement(
        worst <= Z,
        rel,
        f"largest relative gap |mean − x|/x over {n:,} masks and {tt.a.size} units; "
        f"worst gap = {worst:.2f} standard errors, allowed {Z:g}",
    )


@claim(
    "standard.classic_matches_inverted",
    "Classic (×(1−p) at test) and inverted (÷(1−p) in training) dropout give the same expected activation: "
    "in each, the mean training output equals the test-time output.",
)
def classic_matches_inverted(
    *, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu"
) -> Measurement:
    if p == 1.0:
        return not_applicable("at p = 1 both forms output zeros in training; the inverted scale is undefined")
    n = 20_000 if quick else 400_000
    tt = dense_demo.train_test(p, seed, units=8, n_masks=n, device=device)
    q = 1 - p
    se = tt.a * math.sqrt(p * q / n)  # std error of the classic mean a·m̄, m̄ ~ Binomial(n, q)/n
    gap_classic = abs(tt.classic_mean - tt.classic_test)
    gap_inverted = abs(tt.inverted_mean - tt.inverted_test) * q  # same draws, rescaled
    worst = float((np.maximum(gap_classic, gap_inverted) / (se + 1e-300)).max()) if p > 0 else 0.0
    same_function = bool(abs(tt.classic_train / q - tt.inverted_train).max() < 1e-5)
    rel = float(max((gap_classic / tt.classic_test).max(), (gap_inverted / q / tt.inverted_test).max()))
    return Measurement(
        worst <= Z and same_function,
        rel,
        f"largest relative gap between mean training output ({n:,} masks) and test output, both forms; "
        f"worst = {worst:.2f} standard errors (allowed {Z:g}); same mask: classic/(1−p) = inverted "
        f"{'exactly' if same_function else 'NOT'}",
    )


@claim("gaussian.mean_one", "The Gaussian dropout mask has mean 1, like the inverted Bernoulli mask.")
def gaussian_mean_one(*, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable("at p = 1 the Gaussian variance is infinite; DropViz drops the layer (zeros)")
    mp = dense_demo.mask_pair(p, seed, n=100_000 if quick else 2_000_000, device=device)
    tol = Z * masks.gaussian_std(p) / math.sqrt(mp.n)
    return Measurement(
        abs(mp.gaussian_mean - 1) <= tol + 1e-12,
        mp.gaussian_mean,
        f"mean of {mp.n:,} draws vs 1, tolerance ±{tol:.2g} (5σ)",
    )


@claim(
    "gaussian.std_matches",
    "The Gaussian dropout mask has standard deviation sqrt(p/(1−p)), not p(1−p).",
)
def gaussian_std_matches(*, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable("at p = 1 sqrt(p/(1−p)) is infinite; DropViz drops the layer (zeros)")
    mp = dense_demo.mask_pair(p, seed, n=100_000 if quick else 2_000_000, device=device)
    s, sigma = math.sqrt(mp.gaussian_var), masks.gaussian_std(p)
    tol = Z * sigma / math.sqrt(2 * (mp.n - 1))  # standard error of a normal sample's std
    wrong = p * (1 - p)
    return Measurement(
        abs(s - sigma) <= tol + 1e-12 and (p == 0 or abs(s - wrong) > tol),
        s,
        f"std of {mp.n:,} draws vs sqrt(p/(1−p)) = {sigma:.4g} ± {tol:.2g} (5σ); "
        f"the p(1−p) error would give {wrong:.4g}",
    )


@claim(
    "gaussian.matches_bernoulli_variance",
    "Inverted Bernoulli dropout's mask has variance p/(1−p): the variance Gaussian dropout copies.",
)
def bernoulli_variance(*, quick: bool = False, p: float = 0.5, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable("at p = 1 the inverted mask is undefined (1/(1−p) is infinite)")
    mp = dense_demo.mask_pair(p, seed, n=100_000 if quick else 2_000_000, device=device)
    q = 1 - p
    theory = p / q
    mu4 = q * (p / q) ** 4 + p  # E[(m − 1)^4] for m ∈ {0, 1/q}
    # std error of the sample variance, plus the (mean − 1)² term that matters when mu4 = sigma⁴ (p = 0.5)
    tol = Z * math.sqrt(max(mu4 - theory**2, 0.0) / mp.n) + Z**2 * theory / mp.n
    return Measurement(
        abs(mp.bernoulli_var - theory) <= tol + 1e-12,
        mp.bernoulli_var,
        f"variance of {mp.n:,} inverted Bernoulli mask values vs p/(1−p) = {theory:.4g} ± {tol:.2g} (5σ)",
    )


@claim(
    "dropconnect.gaussian_inference_beats_weight_scaling",
    "At test time, DropConnect's Gaussian moment matching is closer to the true expected output than "
    "weight scaling (which computes a(E[u]) instead of E[a(u)]).",
)
def dropconnect_inference(
    *,
    quick: bool = False,
    p: float = 0.5,
    seed: int = 0,
    in_features: int = 64,
    out_features: int = 16,
    n_gauss: int = 1000,
    device: str = "cpu",
) -> Measurement:
    if p == 0.0:
        return not_applicable("at p = 0 nothing is dropped: every rule returns the exact output")
    kept = (1 - p) * in_features
    if kept < MIN_KEPT_FOR_CLT:
        return not_applicable(
            f"only {kept:.2g} of {in_features} weights survive per unit on average: the pre-activation is a "
            f"sum of too few terms to be Gaussian (rule of thumb: ≥ {MIN_KEPT_FOR_CLT}), so moment matching "
            "has nothing to match"
        )
    n_mc = 4_000 if quick else 40_000
    d = dense_demo.dropconnect_demo(
        p, seed, in_features=in_features, out_features=out_features, n_mc=n_mc, n_gauss=n_gauss, device=device
    )
    ratio = d.err_gaussian / d.err_weight_scaling if d.err_weight_scaling > 0 else float("inf")
    return Measurement(
        d.err_gaussian < d.err_weight_scaling,
        ratio,
        f"mean |error| over {out_features} ReLU units vs a Monte Carlo reference of {n_mc:,} weight masks: "
        f"Gaussian {d.err_gaussian:.4f} < weight scaling {d.err_weight_scaling:.4f}; measured value is their ratio",
    )


@claim(
    "standout.keep_prob_increases_with_drive",
    "In Standout a unit with a larger drive z is kept more often (α > 0): P(keep) = σ(α·z + β).",
)
def standout_monotone(
    *, quick: bool = False, alpha: float = 1.0, beta: float = 0.0, seed: int = 0, device: str = "cpu"
) -> Measurement:
    if alpha <= 0:
        return not_applicable("the statement is about α > 0 (with α < 0 the rule is reversed, α = 0 is flat)")
    n = 50_000 if quick else 1_000_000
    g = masks.make_generator(seed, device)
    z = torch.rand(n, generator=g, device=device) * 8 - 4  # drives in [-4, 4]
    m = masks.standout_mask(z, alpha, beta, generator=g)
    z, m = z.cpu().double(), m.cpu().double()  # statistics on the CPU in float64 (MPS has none)
    # OLS slope of the keep indicator on z, its standard error, and the slope sigma(alpha z + beta) implies
    zc = z - z.mean()
    szz = (zc * zc).sum()
    slope = float((zc * (m - m.mean())).sum() / szz)
    prob = masks.standout_keep_prob(z, alpha, beta)
    theory = float((zc * (prob - prob.mean())).sum() / szz)
    resid = m - m.mean() - slope * zc
    se = float(torch.sqrt((resid * resid).sum() / (n - 2) / szz))
    # and every bin of z keeps units at the rate sigma(alpha z + beta) predicts
    d = dense_demo.standout_demo(alpha, beta, seed, n=n, device=device)
    se_bins = (d.bin_theory * (1 - d.bin_theory) / d.bin_count) ** 0.5
    worst = float((abs(d.bin_rate - d.bin_theory) / (se_bins + 1e-12)).max())
    resolved = "resolved" if slope > Z * se else "too shallow to resolve at 5σ with this sample; matches theory"
    return Measurement(
        theory > 0 and abs(slope - theory) <= Z * se and worst <= Z,
        slope,
        f"slope of keep rate vs z over {n:,} units = {slope:.4g}, σ(α·z+β) predicts {theory:.4g} > 0 "
        f"(±{Z * se:.2g}, 5σ; {resolved}); 16 bins of z within {worst:.2f} (allowed {Z:g}) standard errors",
    )


@claim(
    "standout.test_time_is_expectation",
    "Standout's test-time output σ(α·z+β)·relu(z) is the average of its training outputs m·relu(z).",
)
def standout_test_time(
    *, quick: bool = False, alpha: float = 1.0, beta: float = 0.0, seed: int = 0, device: str = "cpu"
) -> Measurement:
    n = 2_000 if quick else 50_000
    g = masks.make_generator(seed, device)
    z = torch.linspace(-4, 4, 41, device=device)
    m = masks.standout_mask(z.expand(n, -1), alpha, beta, generator=g).cpu().double()  # (n, 41)
    z = z.cpu().double()
    mean = (m * torch.relu(z)).mean(0)
    prob = masks.standout_keep_prob(z, alpha, beta)
    test = prob * torch.relu(z)
    se = torch.relu(z) * torch.sqrt(prob * (1 - prob) / n)
    worst = float((abs(mean - test) / (se + 1e-12)).max())
    return Measurement(
        worst <= Z,
        float(abs(mean - test).max()),
        f"largest |mean of {n:,} training outputs − σ(α·z+β)·relu(z)| on 41 drives in [−4, 4]; "
        f"worst = {worst:.2f} standard errors (allowed {Z:g})",
    )
