"""Beyond regularization: dropout kept on at test time (Monte Carlo dropout), dropout rates learned per weight
(Sparse variational dropout), and the reparameterisation often paired with them (weight normalization).
Pure functions first, then thin modules. Imports torch only.

* Y. Gal, Z. Ghahramani (2016), *Dropout as a Bayesian Approximation: Representing Model Uncertainty in Deep
  Learning*, ICML. Test time: T stochastic passes with fresh masks; BatchNorm stays in eval meanwhile.
* D. Molchanov, A. Ashukha, D. Vetrov (2017), *Variational Dropout Sparsifies Deep Neural Networks*, ICML.
  w_ij = θ_ij + σ_ij ε_ij (additive reparameterisation), log α = log σ² − log θ², the local reparameterisation
  trick in training, and their approximation of −KL(q(w) ‖ log-uniform prior) with k1, k2, k3 (their eq. 14).
* T. Salimans, D. P. Kingma (2016), *Weight Normalization: A Simple Reparameterization to Accelerate Training
  of Deep Neural Networks*, NIPS. w = g·v/‖v‖ per output unit; data-dependent initialisation (their §2.2).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from dropviz.layers._base import MaskLayer
from dropviz.layers.dense import dropout

# -- Monte Carlo dropout ------------------------------------------------------------------------------------


def is_dropout(module: nn.Module) -> bool:
    """A module whose only randomness is a dropout mask: torch's ``nn.Dropout*`` or a dropviz mask layer."""
    return isinstance(module, (nn.modules.dropout._DropoutNd, MaskLayer))


def enable_mc_dropout(model: nn.Module) -> nn.Module:
    """Everything in eval mode (BatchNorm uses its running statistics), then only the dropout modules back in
    training mode, so they draw fresh masks on every pass. Returns ``model``. ``model.train()`` would not do:
    it also switches BatchNorm to the test batch's statistics (METHODS.md §12)."""
    model.eval()
    for m in model.modules():
        if is_dropout(m):
            m.train()
    return model


@contextmanager
def mc_dropout(model: nn.Module) -> Iterator[nn.Module]:
    """``with mc_dropout(model):`` -- :func:`enable_mc_dropout` inside, every module's mode restored after."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield enable_mc_dropout(model)
    finally:
        for m, training in modes:
            m.training = training


@torch.no_grad()
def mc_passes(model: nn.Module, x: torch.Tensor, passes: int) -> torch.Tensor:
    """``passes`` stochastic forward passes of ``model`` on ``x`` with dropout on and BatchNorm in eval:
    (T, *model(x).shape). Every pass draws new masks for every example."""
    if passes < 1:
        raise ValueError(f"passes has to be at least 1, but got {passes}")
    with mc_dropout(model):
        return torch.stack([model(x) for _ in range(passes)])


class MCDropout(MaskLayer):
    """Standard (inverted) dropout that also samples at test time: Monte Carlo dropout as one layer."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, mask = dropout(x, self.p, generator=self.generator)
        self.last_mask = mask.detach()
        return out


# -- Sparse variational dropout ------------------------------------------------------------------------------

K1, K2, K3 = 0.63576, 1.87320, 1.48695  # Molchanov et al. 2017, eq. 14
LOG_ALPHA_CLIP = 8.0  # the authors' code clips log α to [−8, 8]
THRESHOLD = 3.0  # prune a weight when log α > 3 (α > e³ ≈ 20: a Bernoulli drop rate above 0.95)


def log_alpha(theta: torch.Tensor, log_sigma2: torch.Tensor) -> torch.Tensor:
    """log α = log σ² − log θ², clipped to [−8, 8] as in the authors' code (θ² + 1e-8 keeps θ = 0 finite)."""
    return (log_sigma2 - torch.log(theta * theta + 1e-8)).clamp(-LOG_ALPHA_CLIP, LOG_ALPHA_CLIP)


def neg_kl(log_alpha: torch.Tensor) -> torch.Tensor:
    """The paper's approximation of −KL(N(θ, αθ²) ‖ log-uniform) per weight (its eq. 14, C = −k1):
    k1·σ(k2 + k3·log α) − 0.5·log(1 + 1/α) − k1, with log(1 + 1/α) = softplus(−log α). Goes to 0 as α → ∞."""
    return K1 * torch.sigmoid(K2 + K3 * log_alpha) - 0.5 * F.softplus(-log_alpha) - K1


def svd_linear(x: torch.Tensor, theta: torch.Tensor, log_sigma2: torch.Tensor, bias: torch.Tensor, *,
               threshold: float | None = THRESHOLD,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """One training pass with the local reparameterisation trick: the pre-activation b = μ + sqrt(δ)·ε with
    μ = x θᵀ + bias, δ = x² σ²ᵀ and ε ~ N(0, 1) per example and unit (one draw per pre-activation, not per
    weight: same distribution, lower variance). x: (B, in), theta and log_sigma2: (out, in) -> ((B, out), ε).
    ``threshold``: weights with log α above it are left out in training too (the authors' ``train_clip``), so
    the network learns to work without what pruning will remove; None keeps every weight."""
    if threshold is not None:
        keep = (log_alpha(theta, log_sigma2) <= threshold).to(theta.dtype).detach()
        theta, sigma2 = theta * keep, torch.exp(log_sigma2) * keep
    else:
        sigma2 = torch.exp(log_sigma2)
    mu = F.linear(x, theta, bias)  # (B, out)
    delta = F.linear(x * x, sigma2)  # (B, out)
    eps = torch.randn(mu.shape, generator=generator, device=generator.device if generator else mu.device,
                      dtype=mu.dtype).to(mu.device)
    return mu + torch.sqrt(delta + 1e-8) * eps, eps


def pruned_weight(theta: torch.Tensor, log_alpha: torch.Tensor, threshold: float = THRESHOLD) -> torch.Tensor:
    """The deterministic test-time weight: θ, with every weight whose log α exceeds ``threshold`` set to 0."""
    return theta * (log_alpha <= threshold).to(theta.dtype)


class LinearSVDO(nn.Module):
    """A dense layer of Sparse VD: parameters θ (out, in), log σ² (out, in) initialised to −10, bias (out,).
    Training: :func:`svd_linear` (its ε kept in ``last_mask``); eval: ``x·pruned θᵀ + bias`` at ``threshold``."""

    def __init__(self, in_features: int, out_features: int, *, threshold: float = THRESHOLD,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.theta = nn.Parameter(torch.empty(out_features, in_features))
        self.log_sigma2 = nn.Parameter(torch.full((out_features, in_features), -10.0))
        self.bias = nn.Parameter(torch.zeros(out_features))
        bound = 1 / math.sqrt(in_features)
        with torch.no_grad():
            self.theta.uniform_(-bound, bound, generator=generator)
        self.threshold = threshold
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    @property
    def log_alpha(self) -> torch.Tensor:
        return log_alpha(self.theta, self.log_sigma2)

    def kl(self) -> torch.Tensor:
        """Σ over weights of the approximate KL (a positive number to add to the loss)."""
        return -neg_kl(self.log_alpha).sum()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            out, eps = svd_linear(x, self.theta, self.log_sigma2, self.bias, threshold=self.threshold,
                                  generator=self.generator)
            self.last_mask = eps.detach()
            return out
        return F.linear(x, pruned_weight(self.theta, self.log_alpha, self.threshold), self.bias)

    def extra_repr(self) -> str:
        return f"in={self.theta.shape[1]}, out={self.theta.shape[0]}, threshold={self.threshold}"


# -- Weight normalization ------------------------------------------------------------------------------------


def weight_norm_weight(v: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """w = g · v / ‖v‖ with one length g per output unit: v (out, in), g (out,) -> w (out, in); the norm of each
    row of v (torch's ``weight_norm(dim=0)``)."""
    return g.unsqueeze(1) * v / v.norm(dim=1, keepdim=True)


class WeightNormLinear(nn.Module):
    """y = x wᵀ + b with w = :func:`weight_norm_weight` (v, g). Built like ``nn.Linear`` and then g = ‖v‖, so w
    starts as the v drawn (torch's convention); :func:`data_dependent_init_` gives the paper's initialisation."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.v = nn.Parameter(torch.empty(out_features, in_features))
        self.g = nn.Parameter(torch.ones(out_features))
        self.bias = nn.Parameter(torch.zeros(out_features))

    @property
    def weight(self) -> torch.Tensor:
        return weight_norm_weight(self.v, self.g)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


@torch.no_grad()
def data_dependent_init_(layer: WeightNormLinear, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Salimans & Kingma §2.2 on one minibatch x (B, in): v ~ N(0, 0.05²); t = x·v/‖v‖ per unit; g ← 1/σ[t],
    b ← −μ[t]/σ[t], so the layer's pre-activations on x have mean 0 and std 1. Returns them (B, out)."""
    layer.v.copy_(0.05 * torch.randn(layer.v.shape, generator=generator).to(layer.v.device))
    t = F.linear(x, layer.v / layer.v.norm(dim=1, keepdim=True))  # (B, out)
    mu, sd = t.mean(0), t.std(0, unbiased=False) + 1e-8
    layer.g.copy_(1.0 / sd)
    layer.bias.copy_(-mu / sd)
    return layer(x)
