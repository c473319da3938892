"""Claims made on the dense-layer pages (standard, Gaussian, DropConnect, Standout).

Every reference is independent of the code it checks: a closed form written here (1 − p, sqrt(p/(1−p)),
DropConnect's pre-activation moments, Standout's σ(α·z + β·Σa)), a torch built-in, or a Monte Carlo of the
training mechanism against a test-time rule. Defaults sit at p = 0.3, where keeping with probability p instead
of 1 − p shows. Each claim lists the broken implementations it must FAIL under (``mutations``, run by
tests/unit/test_claims_mutations.py). Tolerances are 5 standard errors of the estimator, computed from the math,
so a claim fails only when the statement is wrong (any seed passes with probability > 0.99999).

Papers: Srivastava et al., JMLR 15 (2014) https://jmlr.org/papers/v15/srivastava14a.html (standard, §10
Gaussian); Wan et al., ICML 2013 https://proceedings.mlr.press/v28/wan13.html (DropConnect); Ba & Frey, NIPS 2013
https://papers.nips.cc/paper/5032-adaptive-dropout-for-training-deep-neural-networks (Standout).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dropviz import data, layers, masks
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.demos import dense as dense_demo
from dropviz.i18n import N_
from dropviz.train import engine

Z = 5.0  # standard errors allowed
MIN_TERMS_FOR_CLT = 10  # kept AND dropped terms per sum before a central-limit (Gaussian) approximation is fair
P = 0.3  # default drop probability: not 0.5, where keeping with probability p instead of 1 − p goes unnoticed


# -- mutations: broken implementations the claims below must catch -------------------------------------


def keep_with_p(bernoulli_mask):
    """The keep/drop swap: each unit kept with probability p (and, inverted, scaled by 1/p) instead of 1 − p."""
    def swapped(shape, p, **kw):
        return bernoulli_mask(shape, 1.0 - p, **kw) if 0.0 < p < 1.0 else bernoulli_mask(shape, p, **kw)
    return swapped


def not_inverted(bernoulli_mask):
    """No inverted scaling: kept units hold 1 instead of 1/(1 − p)."""
    def unscaled(shape, p, **kw):
        return bernoulli_mask(shape, p, **{**kw, "inverted": False})
    return unscaled


KEEP_WITH_P = Mutation("keep with p instead of 1 − p", "dropviz.masks.dense:bernoulli_mask", keep_with_p,
                       swaps=("standard",))
NOT_INVERTED = Mutation("no inverted scaling", "dropviz.masks.dense:bernoulli_mask", not_inverted)



@claim("standard.keep_rate", N_("Standard dropout keeps each unit with probability 1 − p."), mutations=(KEEP_WITH_P,),
    measures=N_("fraction of units kept"))
def keep_rate(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    n = 100_000 if quick else 4_000_000
    m = masks.bernoulli_mask((n,), p, generator=masks.make_generator(seed, device), device=device)
    rate = int((m > 0).sum()) / n
    tol = Z * math.sqrt(p * (1 - p) / n)
    return Measurement(
        abs(rate - (1 - p)) <= tol + 1e-12,
        rate,
        Phrase(N_("kept fraction of {n:,} units vs 1−p = {keep:.4g}, tolerance ±{tol:.2g} (5σ binomial)"),
               n=n, keep=1 - p, tol=tol),
    )


@claim(
    "standard.expectation_preserved",
    N_("Inverted dropout preserves the expected activation: E[x ⊙ m / (1−p)] = x, because E[mask] = 1."),
    mutations=(NOT_INVERTED,
               Mutation("scaled by 1/p instead of 1/(1 − p)", "dropviz.masks.dense:bernoulli_mask",
                        lambda f: lambda shape, p, **kw: f(shape, p, **kw) * ((1 - p) / p if 0 < p < 1 else 1.0))),
    measures=N_("largest relative gap between the average training output and x"))
def expectation_preserved(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable(N_("at p = 1 every unit is dropped; there is no 1/(1−p) to rescale by"))
    n = 20_000 if quick else 400_000
    tt = dense_demo.train_test(p, seed, units=8, n_masks=n, device=device)
    # mean over n masks of x_j m_j / q has standard error x_j sqrt(p/q / n); the reference is x itself
    se = tt.a * math.sqrt(p / (1 - p) / n)
    dev = abs(tt.inverted_mean - tt.a)
    worst = float((dev / (se + 1e-300)).max()) if p > 0 else float(dev.max())
    rel = float((dev / tt.a).max())
    return Measurement(
        worst <= Z,
        rel,
        Phrase(N_("largest relative gap |mean − x|/x over {n:,} masks and {size} units; worst gap = {worst:.2f} "
                  "standard errors, allowed {Z:g}"),
               n=n, size=tt.a.size, worst=worst, Z=Z),
    )


@claim(
    "standard.classic_matches_inverted",
    N_("Classic (×(1−p) at test) and inverted (÷(1−p) in training) dropout give the same expected activation: "
       "in each, the mean training output equals the test-time output, x·(1−p) and x."),
    mutations=(
        Mutation("classic test time without ×(1−p)", "dropviz.layers.dense:Dropout.test_time",
                 lambda f: lambda self, x: x),
        Mutation("classic test time ×p", "dropviz.layers.dense:Dropout.test_time",
                 lambda f: lambda self, x: x if self.inverted else x * self.p),
        KEEP_WITH_P,
    ),
    measures=N_("largest gap between a layer's average training output and its test output, in units of sampling "
                "noise"))
def classic_matches_inverted(
    *, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu"
) -> Measurement:
    if p == 1.0:
        return not_applicable(N_("at p = 1 both forms output zeros in training; the inverted scale is undefined"))
    n = 20_000 if quick else 400_000
    a = data.teaching_vector(seed, 8).to(device).double()  # (D,) positive activations
    q = 1.0 - p
    gaps, evals = [], {}
    for inverted in (False, True):
        layer = layers.Dropout(p, inverted=inverted, generator=masks.make_generator(seed + 1, device))
        train_mean = layer.train()(a.expand(n, -1)).mean(0)  # (D,) Monte Carlo of the training rule
        test = layer.eval()(a[None])[0]  # the layer's own test-time rule
        scale = 1.0 if not inverted else 1.0 / q  # kept values: a (classic) or a/q (inverted)
        se = a * scale * math.sqrt(p * q / n)
        gap = abs(train_mean - test)
        gaps.append(float((gap / (se + 1e-300)).max()) if p > 0 else float(gap.max()))
        evals[inverted] = test
    # the closed forms written here: classic test = x·(1−p), inverted test = x
    rules = bool(torch.allclose(evals[False], a * q) and torch.allclose(evals[True], a))
    worst = max(gaps)
    rel = float(abs(evals[False] / q - evals[True]).max() / a.max())
    return Measurement(
        worst <= Z and rules,
        worst,
        Phrase(N_("mean training output of each layer over {n:,} masks vs its eval() output on {n_units} units: "
                  "worst gap {worst:.2f} standard errors (allowed {Z:g}); eval rules are x·(1−p) (classic) and x "
                  "(inverted): {rules} (largest |classic/(1−p) − inverted|/max x = {rel:.2g}); measured value is "
                  "the worst gap"),
               n=n, n_units=a.numel(), worst=worst, Z=Z, rules=rules, rel=rel),
    )


def _gauss_std(p: float) -> float:
    return math.sqrt(p / (1.0 - p))  # the reference, written here: never masks.gaussian_std


@claim("gaussian.mean_one", N_("The Gaussian dropout mask has mean 1, like the inverted Bernoulli mask."),
       mutations=(Mutation("classic scaling: mean 1 − p", "dropviz.masks.dense:gaussian_mask",
                           lambda f: lambda shape, p, **kw: f(shape, p, **kw) * (1 - p)),),
    measures=N_("mean of the Gaussian mask"))
def gaussian_mean_one(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable(N_("at p = 1 the Gaussian variance is infinite; DropViz drops the layer (zeros)"))
    mp = dense_demo.mask_pair(p, seed, n=dense_demo.QUICK_DRAWS if quick else dense_demo.FULL_DRAWS, device=device)
    tol = Z * _gauss_std(p) / math.sqrt(mp.n)
    return Measurement(
        abs(mp.gaussian_mean - 1) <= tol + 1e-12,
        mp.gaussian_mean,
        Phrase(N_("mean of {n:,} draws vs 1, tolerance ±{tol:.2g} (5σ)"),
               n=mp.n, tol=tol),
    )


@claim(
    "gaussian.std_matches",
    N_("The Gaussian dropout mask has standard deviation sqrt(p/(1−p)), not p(1−p)."),
    mutations=(
        Mutation("std p(1−p)", "dropviz.masks.dense:gaussian_std", lambda f: lambda p: p * (1 - p)),
        Mutation("std sqrt((1−p)/p), the paper's keep-probability formula unconverted",
                 "dropviz.masks.dense:gaussian_std",
                 lambda f: lambda p: math.sqrt((1 - p) / p) if p > 0 else math.inf, swaps=("gaussian",)),
    ),
    measures=N_("standard deviation of the Gaussian mask"))
def gaussian_std_matches(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable(N_("at p = 1 sqrt(p/(1−p)) is infinite; DropViz drops the layer (zeros)"))
    mp = dense_demo.mask_pair(p, seed, n=dense_demo.QUICK_DRAWS if quick else dense_demo.FULL_DRAWS, device=device)
    s, sigma = math.sqrt(mp.gaussian_var), _gauss_std(p)
    tol = Z * sigma / math.sqrt(2 * (mp.n - 1))  # standard error of a normal sample's std
    wrong = p * (1 - p)
    return Measurement(
        abs(s - sigma) <= tol + 1e-12 and (p == 0 or abs(s - wrong) > tol),
        s,
        Phrase(N_("std of {n:,} draws vs sqrt(p/(1−p)) = {sigma:.4g} ± {tol:.2g} (5σ); the p(1−p) error would "
                  "give {wrong:.4g}"),
               n=mp.n, sigma=sigma, tol=tol, wrong=wrong),
    )


@claim(
    "gaussian.matches_bernoulli_variance",
    N_("Inverted Bernoulli dropout's mask has variance p/(1−p): the variance Gaussian dropout copies."),
    mutations=(KEEP_WITH_P, NOT_INVERTED),
    measures=N_("variance of the inverted Bernoulli mask"))
def bernoulli_variance(*, quick: bool = False, p: float = P, seed: int = 0, device: str = "cpu") -> Measurement:
    if p == 1.0:
        return not_applicable(N_("at p = 1 the inverted mask is undefined (1/(1−p) is infinite)"))
    mp = dense_demo.mask_pair(p, seed, n=dense_demo.QUICK_DRAWS if quick else dense_demo.FULL_DRAWS, device=device)
    q = 1 - p
    theory = p / q
    mu4 = q * (p / q) ** 4 + p  # E[(m − 1)^4] for m ∈ {0, 1/q}
    # std error of the sample variance, plus the (mean − 1)² term that matters when mu4 = sigma⁴ (p = 0.5)
    tol = Z * math.sqrt(max(mu4 - theory**2, 0.0) / mp.n) + Z**2 * theory / mp.n
    return Measurement(
        abs(mp.bernoulli_var - theory) <= tol + 1e-12,
        mp.bernoulli_var,
        Phrase(N_("variance of {n:,} inverted Bernoulli mask values vs p/(1−p) = {theory:.4g} ± {tol:.2g} (5σ)"),
               n=mp.n, theory=theory, tol=tol),
    )


# -- DropConnect -------------------------------------------------------------------------------------------


def _one_mask_per_batch(dropconnect_mask):
    def shared(batch, out_features, in_features, p, **kw):
        m = dropconnect_mask(1, out_features, in_features, p, **kw)
        return type(m)(m.weight.expand(batch, -1, -1), m.bias.expand(batch, -1))
    return shared


def _scaled_moments(mean_factor, var_factor):
    def mutation(dropconnect_moments):
        def broken(v, weight, bias, p):
            mu, var = dropconnect_moments(v, weight, bias, p)
            return mu * mean_factor(p), var * var_factor
        return broken
    return mutation


def _relu_gauss(mu: torch.Tensor, var: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """E[relu(u)] and Var[relu(u)] for u ~ N(mu, var), in closed form (Φ, φ of the standard normal)."""
    sd = var.clamp_min(1e-300).sqrt()
    t = mu / sd
    cdf, pdf = torch.special.ndtr(t), torch.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    m1 = mu * cdf + sd * pdf
    m2 = (mu * mu + var) * cdf + mu * sd * pdf
    return m1, (m2 - m1 * m1).clamp_min(0.0)


@claim(
    "dropconnect.gaussian_inference_beats_weight_scaling",
    N_("At test time, DropConnect's Gaussian moment matching reproduces the true expected output (within Monte "
       "Carlo error of the training layer's average, on several inputs), and weight scaling, which computes a(E[u]) "
       "instead of E[a(u)], does not."),
    mutations=(
        Mutation("one weight mask per batch", "dropviz.masks.dense:dropconnect_mask", _one_mask_per_batch),
        Mutation("moment-matched variance ×¼", "dropviz.layers.dense:dropconnect_moments",
                 _scaled_moments(lambda p: 1.0, 0.25)),
        Mutation("moment-matched mean ×(1−p)", "dropviz.layers.dense:dropconnect_moments",
                 _scaled_moments(lambda p: 1.0 - p, 1.0)),
        Mutation("keep with p instead of 1 − p", "dropviz.masks.dense:bernoulli_mask", keep_with_p,
                 swaps=("dropconnect",)),
    ),
    measures=N_("moment matching's error as a fraction of weight scaling's"))
def dropconnect_inference(
    *,
    quick: bool = False,
    p: float = P,
    seed: int = 0,
    in_features: int = 64,
    out_features: int = 16,
    n_gauss: int = 1000,
    inputs: int = 3,
    device: str = "cpu",
) -> Measurement:
    if p == 0.0:
        return not_applicable(N_("at p = 0 nothing is dropped: every rule returns the exact output"))
    few = min(p, 1 - p) * in_features
    if few < MIN_TERMS_FOR_CLT:
        # two whole sentences (which weights are few), one template each
        few_kind = (N_("only {few:.2g} of {in_features} weights survive per unit on average: the pre-activation is "
                       "a sum of too few random terms to be Gaussian (rule of thumb: ≥ {MIN_TERMS_FOR_CLT} kept and "
                       "dropped), so moment matching is only a rough approximation here") if p > 0.5 else
                    N_("only {few:.2g} of {in_features} weights are dropped per unit on average: the pre-activation "
                       "is a sum of too few random terms to be Gaussian (rule of thumb: ≥ {MIN_TERMS_FOR_CLT} kept "
                       "and dropped), so moment matching is only a rough approximation here"))
        return not_applicable(Phrase(few_kind, few=few, in_features=in_features,
                                     MIN_TERMS_FOR_CLT=MIN_TERMS_FOR_CLT))
    n_mc = 4_000 if quick else 40_000
    w, b = (t.to(device) for t in data.dense_layer(seed, in_features, out_features))
    vs = data.dense_activations(seed + 1, batch=inputs, units=in_features).to(device)  # (K, in)
    q = 1.0 - p
    # The reference moments, written here: u = Σ_i w_i v_i m_i / q + b m_0 / q, m ~ Bernoulli(q)
    mu = F.linear(vs, w, b).double()  # (K, out)
    var = (p / q) * (F.linear(vs * vs, w * w) + b * b).double()
    # The Gaussian approximation's own first-order (Edgeworth) error, from the third cumulant of u,
    # κ₃ = p(p − q)/q² · Σ a³ (a = w·v and b): E[relu(u)] − E[relu(N(μ, σ²))] ≈ −κ₃/(6σ²)·(μ/σ)·φ(μ/σ). It is the
    # part of the gap that is not sampling noise (zero for a symmetric u, largest where p is far from 1/2).
    k3 = p * (p - q) / q**2 * (F.linear(vs**3, w**3) + b**3).double()
    t = mu / var.sqrt()
    clt = (k3 / (6 * var) * t * torch.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)).abs()
    g = masks.make_generator(seed, device)
    chunk = max(1, min(n_mc, 1_000_000 // (in_features * out_features)))
    z_mom, z_rule, err_g, err_ws = 0.0, 0.0, 0.0, 0.0
    for k in range(inputs):
        s1 = torch.zeros(out_features, dtype=torch.float64)
        s2, r1, r2 = s1.clone(), s1.clone(), s1.clone()
        done = 0
        while done < n_mc:  # Monte Carlo of the TRAINING layer, one weight mask per example
            n = min(chunk, n_mc - done)
            u, _ = layers.dropconnect_linear(vs[k].expand(n, -1), w, b, p, lambda t: t, generator=g)
            u = u.cpu().double()
            s1 += u.sum(0)
            s2 += (u * u).sum(0)
            r = F.relu(u)
            r1 += r.sum(0)
            r2 += (r * r).sum(0)
            done += n
        m_u, v_u = s1 / n_mc, s2 / n_mc - (s1 / n_mc) ** 2
        mc, mc_var = r1 / n_mc, (r2 / n_mc - (r1 / n_mc) ** 2).clamp_min(0.0)
        # the pre-activation's sample mean and variance against the moments above (5σ; Var of s² ≈ 2σ⁴/n)
        z_mom = max(z_mom, float((abs(m_u - mu[k]) / (var[k] / n_mc).sqrt()).max()),
                    float((abs(v_u - var[k]) / (var[k] * math.sqrt(2.0 / n_mc))).max()))
        gauss = layers.dropconnect_gaussian_inference(vs[k:k + 1], w, b, p, F.relu, n_samples=n_gauss,
                                                      generator=g)[0].cpu().double()  # the test-time rule
        _, g_var = _relu_gauss(mu[k], var[k])  # the rule's own sampling variance, from the reference moments
        se = (mc_var / n_mc + g_var / n_gauss).sqrt()
        z_rule = max(z_rule, float(((abs(gauss - mc) - clt[k]).clamp_min(0) / se.clamp_min(1e-12)).max()))
        err_g += float(abs(gauss - mc).mean()) / inputs
        err_ws += float(abs(F.relu(mu[k]) - mc).mean()) / inputs
    ratio = err_g / err_ws if err_ws > 0 else float("inf")
    return Measurement(
        z_mom <= Z and z_rule <= Z and err_g < err_ws,
        ratio,
        Phrase(N_("{inputs} inputs × {out_features} ReLU units vs a Monte Carlo of the training layer ({n_mc:,} "
                  "weight masks per input): pre-activation mean and variance match μ = Wv + b, σ² = "
                  "p/(1−p)·(W²v² + b²) within {z_mom:.2f} standard errors; moment matching ({n_gauss:,} samples) "
                  "within {z_rule:.2f} beyond its first-order CLT error ≤ {clt_error:.2g} (both allowed {Z:g}); "
                  "mean |error| Gaussian {err_g:.4f} vs weight scaling {err_ws:.4f}, {times_better:.1f}× better; "
                  "measured value is their ratio"),
               inputs=inputs, out_features=out_features, n_mc=n_mc, z_mom=z_mom, n_gauss=n_gauss, z_rule=z_rule,
               clt_error=float(clt.max()), Z=Z, err_g=err_g, err_ws=err_ws, times_better=1 / max(ratio, 1e-12)),
    )


# -- Standout ---------------------------------------------------------------------------------------------

STANDOUT_BETA = -0.5  # claims' default offset: not 0, where the paper's β·Σa and the scalar offset β agree


def _standout_probe(alpha: float, beta: float, seed: int, device: str, form: str = "paper"):
    """A seeded StandoutLinear(16 -> 8) and the keep probability written here: σ(α·z + β·Σ_i a_i)."""
    layer = engine.build_module(lambda: layers.StandoutLinear(16, 8, alpha, beta, form=form,
                                                              generator=masks.make_generator(seed + 1, device)),
                                engine.generator(seed), device).double()

    def reference(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = F.linear(x, layer.linear.weight, layer.linear.bias)
        return z, 1.0 / (1.0 + torch.exp(-(alpha * z + beta * x.sum(-1, keepdim=True))))

    return layer, reference


def _standout_inputs(n: int, seed: int, device: str) -> torch.Tensor:
    g = masks.make_generator(seed + 2, device)
    return torch.rand(n, 16, generator=g, device=device, dtype=torch.float64) * 0.5  # a_i ≥ 0, Σa ≈ 4 ± 0.6


SIGN_FLIP = Mutation("keep probability σ(−(α·z + β·Σa))", "dropviz.masks.dense:standout_keep_prob",
                     lambda f: lambda z, alpha=1.0, beta=0.0, input_sum=None: 1.0 - f(z, alpha, beta, input_sum),
                     swaps=("standout",))


@claim(
    "standout.keep_prob_increases_with_drive",
    N_("In Standout a unit with a larger drive z is kept more often (α > 0): P(keep) = σ(α·z + β·Σᵢaᵢ), the paper's "
       "standout network π = α·W + β tied to the weights."),
    mutations=(
        SIGN_FLIP,
        Mutation("scalar offset σ(α·z + β) instead of the paper's β·Σa", "dropviz.masks.dense:standout_keep_prob",
                 lambda f: lambda z, alpha=1.0, beta=0.0, input_sum=None: f(z, alpha, beta)),
    ),
    measures=N_("rise of the keep rate per unit of drive z"))
@torch.no_grad()
def standout_monotone(
    *, quick: bool = False, alpha: float = 1.0, beta: float = STANDOUT_BETA, seed: int = 0, device: str = "cpu"
) -> Measurement:
    if alpha <= 0:
        return not_applicable(N_("the statement is about α > 0 (with α < 0 the rule is reversed, α = 0 is flat)"))
    n = 25_000 if quick else 250_000
    layer, reference = _standout_probe(alpha, beta, seed, device)
    x = _standout_inputs(n, seed, device)  # (n, 16)
    layer.train()(x)
    m = layer.last_mask.cpu().double().reshape(-1)  # (n·8,) the layer's keep decisions
    z, prob = (t.cpu().reshape(-1) for t in reference(x))
    # calibration: in 16 bins of the reference probability, the measured keep rate matches it (5σ each)
    idx = torch.bucketize(prob, torch.linspace(0, 1, 17, dtype=torch.float64)[1:-1])
    count = torch.bincount(idx, minlength=16).double()
    rate = torch.bincount(idx, weights=m, minlength=16) / count.clamp_min(1)
    theory = torch.bincount(idx, weights=prob, minlength=16) / count.clamp_min(1)
    se_bins = (theory * (1 - theory) / count.clamp_min(1)).sqrt()
    used = count >= 30
    worst = float((abs(rate - theory) / (se_bins + 1e-12))[used].max())
    # the slope of the keep indicator on z, against the slope the reference implies
    zc = z - z.mean()
    szz = (zc * zc).sum()
    slope = float((zc * (m - m.mean())).sum() / szz)
    ref_slope = float((zc * (prob - prob.mean())).sum() / szz)
    resid = m - m.mean() - slope * zc
    se = float(torch.sqrt((resid * resid).sum() / (m.numel() - 2) / szz))
    resolved = Phrase(N_("resolved") if slope > Z * se
                      else N_("too shallow to resolve at 5σ with this sample; matches theory"))
    return Measurement(
        ref_slope > 0 and abs(slope - ref_slope) <= Z * se and worst <= Z,
        slope,
        Phrase(N_("{n_units:,} units of a StandoutLinear layer: slope of keep rate vs z = {slope:.4g}, "
                  "σ(α·z+β·Σa) predicts {ref_slope:.4g} > 0 (±{margin:.2g}, 5σ; {resolved}); keep rate in "
                  "{n_bins} bins of σ(α·z+β·Σa) within {worst:.2f} (allowed {Z:g}) standard errors"),
               n_units=m.numel(), slope=slope, ref_slope=ref_slope, margin=Z * se, resolved=resolved,
               n_bins=int(used.sum()), worst=worst, Z=Z),
    )


@claim(
    "standout.test_time_is_expectation",
    N_("Standout's test-time output σ(α·z+β·Σᵢaᵢ)·relu(z) is the average of its training outputs m·relu(z)."),
    mutations=(
        SIGN_FLIP,
        Mutation("eval returns relu(z)", "dropviz.layers.dense:StandoutLinear.test_time",
                 lambda f: lambda self, x: F.relu(self.linear(x))),
    ),
    measures=N_("largest gap between the average training output and the test-time output"))
@torch.no_grad()
def standout_test_time(
    *, quick: bool = False, alpha: float = 1.0, beta: float = STANDOUT_BETA, seed: int = 0, device: str = "cpu"
) -> Measurement:
    n = 2_000 if quick else 50_000
    layer, reference = _standout_probe(alpha, beta, seed, device)
    x = _standout_inputs(16, seed, device)  # (16, 16): 16 inputs, 8 units each
    test = layer.eval()(x)  # the layer's own test-time path
    z, prob = reference(x)
    closed = prob * F.relu(z)  # the reference written here
    exact = float(abs(test - closed).max())
    train = layer.train()(x.repeat(n, 1)).view(n, *x.shape[:1], -1)  # (n, 16, 8) training outputs
    mean = train.mean(0)
    se = F.relu(z) * torch.sqrt(prob * (1 - prob) / n)
    worst = float((abs(mean - test) / (se + 1e-12)).max())
    return Measurement(
        worst <= Z and exact <= 1e-9,
        float(abs(mean - test).max()),
        Phrase(N_("largest |mean of {n:,} training outputs − eval() output| over 16 inputs × 8 units; worst = "
                  "{worst:.2f} standard errors (allowed {Z:g}); eval() vs σ(α·z+β·Σa)·relu(z) written here: "
                  "{exact:.2g} (allowed 1e-9)"),
               n=n, worst=worst, Z=Z, exact=exact),
    )
