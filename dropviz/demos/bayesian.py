"""The computations behind the "Beyond regularization" pages, from a trained result of
:mod:`dropviz.train.bayesian` (numpy only, cheap, so a slider recomputes them at once) or from scratch for the
weight-normalization pictures. Each returns a frozen numpy dataclass.

* MC dropout (Gal & Ghahramani 2016): predictive mean and variance from T passes, Var = τ⁻¹ + sample variance;
  classification: predictive entropy H[p̄] and mutual information (BALD) H[p̄] − (1/T)Σ_t H[p_t]; reliability
  diagram and expected calibration error (Guo et al. 2017, 10 equal-width confidence bins).
* Sparse VD (Molchanov et al. 2017): sparsity and accuracy of the θ network pruned at a log α threshold.
* Weight normalization (Salimans & Kingma 2016): the gradient with respect to v, and ‖v‖ under SGD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from dropviz.i18n import N_
from dropviz.layers import bayesian as bl
from dropviz.train import bayesian as tb

# -- MC dropout, regression ---------------------------------------------------------------------------------

T_LIMITS = (1, tb.T_MAX)
LINES_DRAWN = 30  # faint lines drawn at most (the statistics use all T passes)


@dataclass(frozen=True)
class RegressionView:
    grid: np.ndarray  # (G,)
    lines: np.ndarray  # (min(T, LINES_DRAWN), G) the first passes, drawn faint
    mean: np.ndarray  # (G,) (1/T) Σ_t ŷ_t
    std_model: np.ndarray  # (G,) sqrt of the sample variance over the T passes (epistemic)
    std_total: np.ndarray  # (G,) sqrt(noise variance + sample variance)
    noise_var: float
    passes: int

    def ratio(self) -> float:
        """Mean model std inside the gap ÷ mean model std where the training data lie (NaN at T = 1: no spread)."""
        on = float(self.std_model[on_data(self.grid)].mean())
        return float(self.std_model[in_gap(self.grid)].mean()) / on if on > 0 else float("nan")


def in_gap(grid: np.ndarray) -> np.ndarray:
    return (grid > tb.GAP[0]) & (grid < tb.GAP[1])


def on_data(grid: np.ndarray) -> np.ndarray:
    return ((grid >= tb.DATA_RANGE[0]) & (grid <= tb.GAP[0])) | ((grid >= tb.GAP[1]) & (grid <= tb.DATA_RANGE[1]))


def check_passes(passes) -> int:
    lo, hi = T_LIMITS
    if isinstance(passes, bool) or not isinstance(passes, (int, np.integer)) or not lo <= passes <= hi:
        raise ValueError(f"T has to be a whole number from {lo} to {hi}, but got {passes!r}")
    return int(passes)


def regression_view(result: tb.RegressionResult, passes: int) -> RegressionView:
    """The predictive distribution from the first ``passes`` stochastic passes (T = 1 has no spread: std 0)."""
    t = check_passes(passes)
    s = result.samples[:t].astype(np.float64)  # (T, G)
    mean = s.mean(0)
    var = s.var(0)  # (1/T) Σ ŷ_t² − mean², Gal's estimator
    return RegressionView(result.grid, result.samples[:min(t, LINES_DRAWN)], mean, np.sqrt(var),
                          np.sqrt(var + result.noise_var), result.noise_var, t)


# -- MC dropout, classification -------------------------------------------------------------------------------


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats over the last axis; 0·log 0 = 0."""
    p = np.asarray(probs, dtype=np.float64)
    return -(p * np.log(np.where(p > 0, p, 1.0))).sum(-1)


def mutual_information(pred: tb.Predictions) -> np.ndarray:
    """BALD: H[p̄] − (1/T) Σ_t H[p_t], per example (≥ 0 by concavity; 0 when every pass agrees)."""
    return np.maximum(entropy(pred.mean_probs) - pred.mean_entropy, 0.0)


@dataclass(frozen=True)
class Uncertainty:
    names: tuple[str, ...]  # "test digits", then the OOD kinds (English: figures translate them where drawn)
    entropy: tuple[np.ndarray, ...]  # per set, (n,) predictive entropy of the MC average
    mutual_info: tuple[np.ndarray, ...]  # per set, (n,)


def uncertainty(result: tb.DigitsResult) -> Uncertainty:
    sets = (result.val, *result.ood)
    return Uncertainty((N_("test digits"), *tb.OOD_KINDS), tuple(entropy(s.mean_probs) for s in sets),
                       tuple(mutual_information(s) for s in sets))


@dataclass(frozen=True)
class Reliability:
    edges: np.ndarray  # (bins + 1,) confidence bin edges
    confidence: np.ndarray  # (bins,) mean confidence per bin (NaN: empty)
    accuracy: np.ndarray  # (bins,) accuracy per bin (NaN: empty)
    count: np.ndarray  # (bins,)
    ece: float  # Σ_b (n_b / n) |acc_b − conf_b|
    accuracy_all: float


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> Reliability:
    """Confidence = max class probability; bins (lo, hi] of equal width on [0, 1] (the first includes 0)."""
    conf, correct = probs.max(1), (probs.argmax(1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, bins - 1)
    count = np.bincount(idx, minlength=bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.bincount(idx, conf, minlength=bins) / count
        a = np.bincount(idx, correct, minlength=bins) / count
    gaps = np.where(count > 0, np.abs(a - c), 0.0)
    return Reliability(edges, c, a, count, float((count / count.sum() * gaps).sum()), float(correct.mean()))


# -- Sparse VD ------------------------------------------------------------------------------------------------

THRESHOLDS = np.linspace(-8.0, 8.0, 65)  # the sparsity-vs-accuracy sweep over log α thresholds (its clip range)


def forward(weights, biases, x: np.ndarray) -> np.ndarray:
    """The MLP in numpy: Linear, ReLU between layers. Logits (n, classes)."""
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        x = x @ w.T + b
        if i < len(weights) - 1:
            x = np.maximum(x, 0.0)
    return x


@dataclass(frozen=True)
class Pruned:
    threshold: float
    kept: tuple[int, ...]  # weights kept per layer
    total: tuple[int, ...]  # weights per layer
    accuracy: float  # validation accuracy of the pruned θ network
    dense_accuracy: float  # the dense baseline's

    @property
    def sparsity(self) -> float:
        return 1.0 - sum(self.kept) / sum(self.total)

    @property
    def compression(self) -> float:
        return sum(self.total) / max(sum(self.kept), 1)


def prune(result: tb.SparseVDResult, threshold: float = bl.THRESHOLD) -> Pruned:
    keep = [la <= threshold for la in result.log_alphas]
    weights = [t * k for t, k in zip(result.thetas, keep, strict=True)]
    acc = float((forward(weights, result.biases, result.x_val).argmax(1) == result.y_val).mean())
    dense = float((forward(result.dense_weights, result.dense_biases, result.x_val).argmax(1) == result.y_val).mean())
    return Pruned(float(threshold), tuple(int(k.sum()) for k in keep), tuple(k.size for k in keep), acc, dense)


def exact_neg_kl(log_alpha: float) -> float:
    """−KL(N(θ, αθ²) ‖ p(w) ∝ 1/|w|) up to an additive constant, computed without the paper's approximation:
    0.5·log α − E[log|ξ|], ξ ~ N(1, α), by quadrature (split at the integrable singularity ξ = 0, i.e. at
    z = −1/√α of the standard normal z). The θ terms cancel: the KL does not depend on θ."""
    from scipy import integrate  # lazily: only this computation needs scipy

    s = math.sqrt(math.exp(log_alpha))

    def f(z):
        return math.log(abs(1 + s * z)) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    e = sum(integrate.quad(f, lo, hi, limit=200)[0] for lo, hi in ((-math.inf, -1 / s), (-1 / s, math.inf)))
    return 0.5 * log_alpha - e


@dataclass(frozen=True)
class KLCurve:
    log_alpha: np.ndarray  # (k,)
    approx: np.ndarray  # (k,) the paper's approximation of −KL (with C = −k1)
    exact: np.ndarray  # (k,) quadrature, shifted by the constant that best matches (the median difference)


def kl_curve(points: int = 49) -> KLCurve:
    la = np.linspace(-8.0, 8.0, points)
    approx = bl.neg_kl(torch.tensor(la, dtype=torch.float64)).numpy()
    exact = np.array([exact_neg_kl(float(a)) for a in la])
    return KLCurve(la, approx, exact + np.median(approx - exact))


@dataclass(frozen=True)
class Sweep:
    thresholds: np.ndarray  # (k,)
    sparsity: np.ndarray  # (k,)
    accuracy: np.ndarray  # (k,)
    dense_accuracy: float


def sweep(result: tb.SparseVDResult) -> Sweep:
    runs = [prune(result, float(t)) for t in THRESHOLDS]
    return Sweep(THRESHOLDS, np.array([r.sparsity for r in runs]), np.array([r.accuracy for r in runs]),
                 runs[0].dense_accuracy)


# -- Weight normalization -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeightNormPicture:
    v: np.ndarray  # (2,)
    g: float
    w: np.ndarray  # (2,) g·v/‖v‖
    grad_w: np.ndarray  # (2,) ∇_w L of the loss ½‖w − target‖²
    grad_v: np.ndarray  # (2,) ∇_v L by autograd through w = g·v/‖v‖
    grad_g: float
    target: np.ndarray  # (2,)


def weight_norm_picture(v: tuple[float, float], g: float, target: tuple[float, float]) -> WeightNormPicture:
    """One 2-D weight vector w = g·v/‖v‖ and the gradients of L = ½‖w − target‖² by autograd."""
    vt = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    gt = torch.tensor([g], dtype=torch.float64, requires_grad=True)
    if float(vt.detach().norm()) == 0.0:
        raise ValueError("v has to be non-zero: its direction is the weight's direction")
    w = bl.weight_norm_weight(vt.view(1, 2), gt)[0]
    w.retain_grad()
    loss = 0.5 * ((w - torch.tensor(target, dtype=torch.float64)) ** 2).sum()
    loss.backward()
    return WeightNormPicture(np.asarray(v, float), float(g), w.detach().numpy(), w.grad.numpy(), vt.grad.numpy(),
                             float(gt.grad[0]), np.asarray(target, float))


@dataclass(frozen=True)
class NormGrowth:
    norms: np.ndarray  # (steps + 1,) ‖v‖ of each unit's v, averaged over units, before each SGD step
    cosines: np.ndarray  # (steps,) max over units of |cos(∇_v L, v)|
    losses: np.ndarray  # (steps,)


def norm_growth(steps: int = 50, lr: float = 0.5, seed: int = 0) -> NormGrowth:
    """A WeightNormLinear(8 -> 4) regressing a random linear map by plain SGD: ‖v‖ grows every step, because each
    step adds a vector orthogonal to v (‖v'‖² = ‖v‖² + ‖Δv‖²)."""
    g = torch.Generator().manual_seed(seed)
    layer = bl.WeightNormLinear(8, 4)
    with torch.no_grad():
        layer.v.copy_(torch.randn(4, 8, generator=g))
        layer.g.copy_(layer.v.norm(dim=1))
    x, w_true = torch.randn(64, 8, generator=g), torch.randn(4, 8, generator=g)
    y = x @ w_true.T
    norms, cos, losses = [float(layer.v.detach().norm(dim=1).mean())], [], []
    for _ in range(steps):
        loss = ((layer(x) - y) ** 2).mean()
        layer.zero_grad()
        loss.backward()
        gv = layer.v.grad
        v = layer.v.detach()
        cos.append(float(((gv * v).sum(1).abs() / (gv.norm(dim=1) * v.norm(dim=1) + 1e-30)).max()))
        with torch.no_grad():
            for p in layer.parameters():
                p -= lr * p.grad
        norms.append(float(layer.v.detach().norm(dim=1).mean()))
        losses.append(loss.item())
    return NormGrowth(np.array(norms), np.array(cos), np.array(losses))


def target_at(degrees: float, length: float = 2.0) -> tuple[float, float]:
    """The 2-D target weight at an angle (degrees) and length."""
    r = np.deg2rad(degrees)
    return float(length * np.cos(r)), float(length * np.sin(r))
