"""Thin ``torch.nn`` layers over :mod:`dropviz.masks`: apply the mask in training, do the right thing in eval.

Each layer keeps the mask it applied last in ``last_mask`` (detached) so a page can draw it, and takes an
optional ``torch.Generator`` so a test or page can reproduce it. ``p`` is the drop probability.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dropviz import conv, masks


class Dropout(nn.Module):
    """Standard dropout. ``inverted=True``: ÷(1-p) in training, identity at test (every modern library).
    ``inverted=False``: the classic form of Srivastava et al. 2014, unscaled in training, ×(1-p) at test."""

    def __init__(self, p: float = 0.5, *, inverted: bool = True, generator: torch.Generator | None = None):
        super().__init__()
        self.p = masks.check_p(p)
        self.inverted = inverted
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x if self.inverted else x * (1.0 - self.p)
        mask = masks.bernoulli_mask(
            x.shape, self.p, generator=self.generator, device=x.device, dtype=x.dtype, inverted=self.inverted
        )
        self.last_mask = mask
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}, inverted={self.inverted}"


class GaussianDropout(nn.Module):
    """Multiplicative Gaussian noise ``x * N(1, p/(1-p))`` in training (Srivastava et al. §10); identity at test."""

    def __init__(self, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__()
        self.p = masks.check_p(p)
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        mask = masks.gaussian_mask(x.shape, self.p, generator=self.generator, device=x.device, dtype=x.dtype)
        self.last_mask = mask
        return x * mask

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
    p = masks.check_p(p)
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


class DropConnectLinear(nn.Module):
    """``activation((M ⊙ W) v + m ⊙ b)`` with a fresh mask per example in training. At test time,
    ``inference="gaussian"`` (the paper's moment matching + sampling) or ``"mean"`` (weight scaling,
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
        super().__init__()
        if inference not in ("gaussian", "mean"):
            raise ValueError(f"inference has to be 'gaussian' or 'mean', but got {inference!r}")
        self.linear = nn.Linear(in_features, out_features)
        self.p = masks.check_p(p)
        self.activation = activation
        self.inference = inference
        self.n_samples = n_samples
        self.generator = generator
        self.last_mask: masks.WeightMask | None = None

    def forward(self, v: torch.Tensor) -> torch.Tensor:  # v: (B, in)
        w, b = self.linear.weight, self.linear.bias
        if self.training:
            mask = masks.dropconnect_mask(
                v.shape[0], w.shape[0], w.shape[1], self.p,
                generator=self.generator, device=v.device, dtype=v.dtype,
            )
            self.last_mask = mask
            return self.activation(dropconnect_forward(v, w, b, mask))
        if self.inference == "mean":
            return self.activation(F.linear(v, w, b))
        return dropconnect_gaussian_inference(
            v, w, b, self.p, self.activation, n_samples=self.n_samples, generator=self.generator
        )

    def extra_repr(self) -> str:
        return f"p={self.p}, inference={self.inference!r}, n_samples={self.n_samples}"


class StandoutLinear(nn.Module):
    """Standout (Ba & Frey 2013), affine-in-weights form: ``z = W x + b``, keep unit j with probability
    ``sigmoid(alpha·z_j + beta)``, output ``m ⊙ relu(z)``. Test time: ``sigmoid(alpha·z + beta) ⊙ relu(z)``
    (with alpha=1, beta=0 that is SiLU on z > 0). The mask is sampled, so no gradient flows through it."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        alpha: float = 1.0,
        beta: float = 0.0,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if not (math.isfinite(alpha) and math.isfinite(beta)):
            raise ValueError(f"alpha and beta have to be finite, but got alpha={alpha}, beta={beta}")
        self.linear = nn.Linear(in_features, out_features)
        self.alpha, self.beta = float(alpha), float(beta)
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        if not self.training:
            return masks.standout_keep_prob(z, self.alpha, self.beta) * F.relu(z)
        mask = masks.standout_mask(z.detach(), self.alpha, self.beta, generator=self.generator)
        self.last_mask = mask
        return mask * F.relu(z)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, beta={self.beta}"


# -- convolutional layers (dropviz.conv): (B, C, H, W) in, same shape out (pooled for max-pooling dropout) ----


class _ConvDropout(nn.Module):
    """Shared plumbing: validate p, keep the generator, remember the last mask, identity in eval."""

    def __init__(self, p: float = 0.5, *, generator: torch.Generator | None = None):
        super().__init__()
        self.p = masks.check_p(p)
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != 4:
            raise ValueError(f"expected a (B, C, H, W) input, but got shape {tuple(x.shape)}")


class SpatialDropout2d(_ConvDropout):
    """SpatialDropout (Tompson et al. 2015): whole channels, mask (B, C, 1, 1). See :func:`conv.spatial_mask`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        if not self.training:
            return x
        self.last_mask = conv.spatial_mask(x.shape, self.p, generator=self.generator, device=x.device, dtype=x.dtype)
        return x * self.last_mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Cutout(nn.Module):
    """Cutout (DeVries & Taylor 2017) on input images: ``n_holes`` holes of size ``length`` centred uniformly
    over the whole image, clipped, on all channels. Training only; no rescaling. See :func:`conv.cutout_mask`."""

    def __init__(self, length: int, n_holes: int = 1, *, kind: conv.CutoutShape = "square",
                 channels: int | None = None, generator: torch.Generator | None = None):
        super().__init__()
        conv.hole_extent(max(1, int(length)), kind)  # validates kind
        self.length, self.n_holes, self.kind, self.channels = int(length), int(n_holes), kind, channels
        self.generator = generator
        self.last_mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        self.last_mask = conv.cutout_mask(x.shape, self.length, n_holes=self.n_holes, kind=self.kind,
                                          channels=self.channels, generator=self.generator, device=x.device,
                                          dtype=x.dtype)
        return x * self.last_mask

    def extra_repr(self) -> str:
        return f"length={self.length}, n_holes={self.n_holes}, kind={self.kind!r}, channels={self.channels}"


class DropBlock2d(_ConvDropout):
    """DropBlock (Ghiasi et al. 2018), torchvision semantics. See :func:`conv.dropblock_mask`."""

    def __init__(self, p: float, block_size: int, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.block_size = int(block_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        if not self.training or self.p == 0.0:
            return x
        self.last_mask = conv.dropblock_mask(x.shape, self.p, self.block_size, generator=self.generator,
                                             device=x.device, dtype=x.dtype)
        return x * self.last_mask

    def extra_repr(self) -> str:
        return f"p={self.p}, block_size={self.block_size}"


class MaxPoolDropout2d(_ConvDropout):
    """Max-pooling dropout (Wu & Gu 2015): Bernoulli keep-mask inside each pool×pool window, then max.
    At test time ``inference="pwp"`` (probabilistic weighted pooling, the exact expectation for
    non-negative inputs), ``"max"`` (plain max pooling) or ``"scaled"`` ((1−p)·max)."""

    RULES = ("pwp", "max", "scaled")

    def __init__(self, p: float, pool: int = 2, *, inference: str = "pwp", generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        if inference not in self.RULES:
            raise ValueError(f"inference has to be one of {', '.join(self.RULES)}, but got {inference!r}")
        self.pool, self.inference = int(pool), inference

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        if self.training:
            out, self.last_mask = conv.maxpool_dropout(x, self.p, self.pool, generator=self.generator)
            return out
        if self.inference == "pwp":
            return conv.probabilistic_weighted_pool(x, self.p, self.pool)
        if self.inference == "scaled":
            return conv.scaled_max_pool(x, self.p, self.pool)
        return F.max_pool2d(x, self.pool, stride=self.pool)

    def extra_repr(self) -> str:
        return f"p={self.p}, pool={self.pool}, inference={self.inference!r}"


class MaxDrop2d(_ConvDropout):
    """Max-Drop (Park & Kwak 2016), feature-wise, as in the authors' Caffe code: per map, with probability
    p zero its largest activation (or a window×window square around it) and rescale. See :func:`conv.maxdrop_mask`."""

    def __init__(self, p: float = 0.1, window: int = 1, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.window = int(window)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        if not self.training:
            return x
        self.last_mask = conv.maxdrop_mask(x, self.p, self.window, generator=self.generator).mask
        return x * self.last_mask

    def extra_repr(self) -> str:
        return f"p={self.p}, window={self.window}"
