"""Dense dropout layers, timm/torchvision style: a functional form per method (``dropout``,
``gaussian_dropout``, ``dropconnect_linear``, ``standout``) and a thin module whose ``train_time`` is one call
to it (:class:`~dropviz.layers._base.MaskLayer` holds the shared plumbing). Masks: :mod:`dropviz.masks.dense`.

Each layer keeps the mask it applied last in ``last_mask`` (detached) so a page can draw it, and takes an
optional ``torch.Generator`` so a test or page can reproduce it. ``p`` is the drop probability.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dropviz._validate import check_p
from dropviz.layers._base import MaskLayer
from dropviz.masks import dense as masks


def dropout(x: torch.Tensor, p: float, *, inverted: bool = True,
            generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard dropout in training: ``(x ⊙ m, m)`` with m from :func:`~dropviz.masks.dense.bernoulli_mask`."""
    m = masks.bernoulli_mask(x.shape, p, generator=generator, device=x.device, dtype=x.dtype, inverted=inverted)
    return x * m, m


def gaussian_dropout(x: torch.Tensor, p: float, *,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Gaussian dropout in training: ``(x ⊙ m, m)``, m ~ N(1, p/(1−p)) (Srivastava et al. §10)."""
    m = masks.gaussian_mask(x.shape, p, generator=generator, device=x.device, dtype=x.dtype)
    return x * m, m


class Dropout(MaskLayer):
    """Standard dropout, :func:`dropout`. ``inverted=True``: ÷(1-p) in training, identity at test (every modern
    library). ``inverted=False``: the classic form of Srivastava et al. 2014, unscaled in training, ×(1-p) at test."""

    def __init__(self, p: float = 0.5, *, inverted: bool = True, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.inverted = inverted

    def train_time(self, x):
        return dropout(x, self.p, inverted=self.inverted, generator=self.generator)

    def test_time(self, x):
        return x if self.inverted else x * (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}, inverted={self.inverted}"


def batch_dropout(x: torch.Tensor, p: float, *,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard dropout with ONE mask for the whole minibatch: ``(x ⊙ m, m)``, m of shape (1, *x.shape[1:])
    broadcast over the batch (Keras ``noise_shape=(1, units)``, Flax ``broadcast_dims=(0,)``)."""
    m = masks.bernoulli_mask((1, *x.shape[1:]), p, generator=generator, device=x.device, dtype=x.dtype)
    return x * m, m


class BatchDropout(MaskLayer):
    """Standard dropout whose mask is shared by every example of the minibatch, :func:`batch_dropout`; identity
    at test. Not a method of its own: the one-mask-per-batch variant the per-sample page compares with."""

    def train_time(self, x):
        return batch_dropout(x, self.p, generator=self.generator)


class GaussianDropout(MaskLayer):
    """Multiplicative Gaussian noise, :func:`gaussian_dropout`, in training; identity at test."""

    def train_time(self, x):
        return gaussian_dropout(x, self.p, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, std={masks.gaussian_std(self.p):.4g}"


def dropconnect_forward(
    v: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, mask: masks.WeightMask
) -> torch.Tensor:
    """Pre-activations ``u_b = (M_b ⊙ W) v_b + m_b ⊙ b`` with one weight mask per example.

    v: (B, in), weight: (out, in), bias: (out,), mask.weight: (B, out, in) -> (B, out). Memory O(B·out·in).
    """
    return torch.einsum("boi,bi->bo", mask.weight * weight, v) + mask.bias * bias


def dropconnect_moments(
    v: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, p: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of the DropConnect pre-activation over masks (inverted masks, values 0 or 1/q).

    Each term w·v·m has ``Var[m] = p/q``, so ``mu = W v + b`` and ``var = (p/q)·((W⊙W)(v⊙v) + b²)``
    (Wan et al. 2013 §4 with the keep probability folded into the training-time scaling).
    """
    p = check_p(p)
    mu = F.linear(v, weight, bias)
    if p == 1.0:  # every weight dropped: the pre-activation is exactly 0
        return torch.zeros_like(mu), torch.zeros_like(mu)
    var = (p / (1.0 - p)) * (F.linear(v * v, weight * weight) + bias * bias)
    return mu, var


def dropconnect_gaussian_inference(
    v: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    p: float,
    activation=F.relu,
    *,
    n_samples: int = 256,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """DropConnect test-time rule: moment-match u ~ N(mu, var) per unit, average ``activation`` over
    ``n_samples`` Gaussian draws. Far closer to the true E[a(u)] than ``a(mu)`` for a non-linear ``a``."""
    if n_samples < 1:
        raise ValueError(f"n_samples has to be at least 1, but got {n_samples}")
    mu, var = dropconnect_moments(v, weight, bias, p)
    eps = torch.randn((n_samples, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)
    return activation(mu + var.sqrt() * eps).mean(0)


def dropconnect_linear(
    v: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, p: float, activation=F.relu, *,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, masks.WeightMask]:
    """DropConnect in training: a fresh (out × in+1) mask per example, ``activation((M_b ⊙ W) v_b + m_b ⊙ b)``.
    v: (B, in) -> ((B, out), the :class:`~dropviz.masks.dense.WeightMask`)."""
    m = masks.dropconnect_mask(v.shape[0], weight.shape[0], weight.shape[1], p, generator=generator,
                               device=v.device, dtype=v.dtype)
    return activation(dropconnect_forward(v, weight, bias, m)), m


class DropConnectLinear(MaskLayer):
    """:func:`dropconnect_linear` in training. At test time, ``inference="gaussian"`` (the paper's moment
    matching + sampling, :func:`dropconnect_gaussian_inference`) or ``"mean"`` (weight scaling,
    ``activation(W v + b)``, which is biased for a non-linear activation)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        p: float = 0.5,
        *,
        activation=F.relu,
        inference: str = "gaussian",
        n_samples: int = 256,
        generator: torch.Generator | None = None,
    ):
        super().__init__(p, generator=generator)
        if inference not in ("gaussian", "mean"):
            raise ValueError(f"inference has to be 'gaussian' or 'mean', but got {inference!r}")
        self.linear = nn.Linear(in_features, out_features)
        self.activation = activation
        self.inference = inference
        self.n_samples = n_samples

    def train_time(self, v):  # v: (B, in)
        return dropconnect_linear(v, self.linear.weight, self.linear.bias, self.p, self.activation,
                                  generator=self.generator)

    def test_time(self, v):
        w, b = self.linear.weight, self.linear.bias
        if self.inference == "mean":
            return self.activation(F.linear(v, w, b))
        return dropconnect_gaussian_inference(
            v, w, b, self.p, self.activation, n_samples=self.n_samples, generator=self.generator
        )

    def extra_repr(self) -> str:
        return f"p={self.p}, inference={self.inference!r}, n_samples={self.n_samples}"


def standout(z: torch.Tensor, alpha: float = 1.0, beta: float = 0.0, *, input_sum: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Standout in training on pre-activations z: keep unit j with probability ``sigmoid(alpha·z_j + beta·Σa)``
    (``input_sum`` = Σ_i a_i, the paper's form) or ``sigmoid(alpha·z_j + beta)`` (no ``input_sum``: the scalar-offset
    simplification), output ``(m ⊙ relu(z), m)``. The mask is sampled from z detached: no gradient flows through it."""
    s = None if input_sum is None else input_sum.detach()
    m = masks.standout_mask(z.detach(), alpha, beta, input_sum=s, generator=generator)
    return m * F.relu(z), m


STANDOUT_FORMS = ("paper", "offset")


class StandoutLinear(MaskLayer):
    """Standout (Ba & Frey 2013) with the paper's affine-in-weights standout network π = α·W + β: ``z = W x + b``,
    then :func:`standout` with ``P(keep) = sigmoid(alpha·z + beta·Σ_i x_i)``. ``form="offset"`` is the
    scalar-offset simplification ``sigmoid(alpha·z + beta)`` (the same at beta = 0). Test time: the keep
    probability times ``relu(z)`` (with alpha=1, beta=0 that is SiLU on z > 0). No p: alpha and beta set it."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        alpha: float = 1.0,
        beta: float = 0.0,
        *,
        form: str = "paper",
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        if not (math.isfinite(alpha) and math.isfinite(beta)):
            raise ValueError(f"alpha and beta have to be finite, but got alpha={alpha}, beta={beta}")
        if form not in STANDOUT_FORMS:
            raise ValueError(f"form has to be one of {', '.join(STANDOUT_FORMS)}, but got {form!r}")
        self.linear = nn.Linear(in_features, out_features)
        self.alpha, self.beta, self.form = float(alpha), float(beta), form

    def _input_sum(self, x: torch.Tensor) -> torch.Tensor | None:
        return x.sum(-1, keepdim=True) if self.form == "paper" else None  # (B, 1): Σ_i a_i

    def train_time(self, x):
        return standout(self.linear(x), self.alpha, self.beta, input_sum=self._input_sum(x), generator=self.generator)

    def test_time(self, x):
        z = self.linear(x)
        return masks.standout_keep_prob(z, self.alpha, self.beta, self._input_sum(x)) * F.relu(z)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}, form={self.form!r}"
