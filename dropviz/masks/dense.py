"""Pure, seeded mask generators for dense (fully connected) layers.

Every function *returns the mask*; multiplying it into activations or weights is a separate step,
so a page can draw exactly the mask that a layer applied. ``p`` is always the DROP probability.

Papers (see ../shared/METHODS.md §1-§4):
- Standard / inverted dropout: Srivastava et al., JMLR 15 (2014) https://jmlr.org/papers/v15/srivastava14a.html
- Gaussian dropout: same paper, §10 (mask ~ N(1, p/(1-p)), i.e. std sqrt(p/(1-p)))
- DropConnect: Wan et al., ICML 2013 https://proceedings.mlr.press/v28/wan13.html
- Standout: Ba & Frey, NIPS 2013 https://papers.nips.cc/paper/5032-adaptive-dropout-for-training-deep-neural-networks
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from dropviz._validate import check_p, device_of

Shape = tuple[int, ...]


def _empty(shape: Shape, generator: torch.Generator | None, device, dtype) -> torch.Tensor:
    return torch.empty(shape, device=device_of(generator, device), dtype=dtype)


def bernoulli_mask(
    shape: Shape,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    inverted: bool = True,
) -> torch.Tensor:
    """Standard dropout mask: each element is kept with probability ``1 - p``, independently.

    Inverted (default): kept elements hold ``1 / (1 - p)`` so ``E[mask] = 1`` and test time is the
    identity. Classic (``inverted=False``): kept elements hold 1; multiply by ``1 - p`` at test time.
    Broadcast shapes share draws: ``(B, C, 1, 1)`` is one draw per channel (spatial dropout).
    ``p = 0`` gives ones, ``p = 1`` gives zeros (never ``0 * inf = NaN``).
    """
    p = check_p(p)
    mask = _empty(shape, generator, device, dtype)
    if p == 0.0:
        return mask.fill_(1.0)
    if p == 1.0:
        return mask.zero_()
    q = 1.0 - p
    mask.bernoulli_(q, generator=generator)
    if inverted:
        mask.mul_(1.0 / q)
    return mask


def gaussian_std(p: float) -> float:
    """Std of the Gaussian dropout mask that matches inverted Bernoulli dropout: ``sqrt(p / (1 - p))``.

    (Not ``p(1 - p)``: that is the *variance* of an unscaled Bernoulli(p) mask, whose mean is p.)
    """
    p = check_p(p)
    return math.inf if p == 1.0 else math.sqrt(p / (1.0 - p))


def gaussian_mask(
    shape: Shape,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Multiplicative Gaussian dropout mask ``N(1, p / (1 - p))``: same mean and variance as inverted
    Bernoulli dropout, test time is the identity. ``p = 1`` (infinite variance) is defined as the limit
    in which the layer is dropped entirely: zeros."""
    p = check_p(p)
    mask = _empty(shape, generator, device, dtype)
    if p == 0.0:
        return mask.fill_(1.0)
    if p == 1.0:
        return mask.zero_()
    return mask.normal_(1.0, gaussian_std(p), generator=generator)


class WeightMask(NamedTuple):
    """A DropConnect mask: one weight mask and one bias mask per example."""

    weight: torch.Tensor  # (B, out, in)
    bias: torch.Tensor  # (B, out)


def dropconnect_mask(
    batch: int,
    out_features: int,
    in_features: int,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    inverted: bool = True,
) -> WeightMask:
    """DropConnect (Wan et al. 2013): an independent Bernoulli mask on every weight *and* bias, drawn
    separately for every example in the batch (sharing one mask across the batch regularises too little,
    paper §3). Inverted scaling by default, as everywhere in DropViz; the paper scales at test time."""
    for name, n in (("batch", batch), ("out_features", out_features), ("in_features", in_features)):
        if int(n) != n or n < 1:
            raise ValueError(f"{name} has to be a positive integer, but got {n!r}")
    # One draw for [W | b]: the bias is the weight of a constant input v0 = 1.
    full = bernoulli_mask(
        (batch, out_features, in_features + 1), p,
        generator=generator, device=device, dtype=dtype, inverted=inverted,
    )
    return WeightMask(weight=full[:, :, :in_features], bias=full[:, :, in_features])


def standout_keep_prob(z: torch.Tensor, alpha: float = 1.0, beta: float = 0.0,
                       input_sum: torch.Tensor | None = None) -> torch.Tensor:
    """Standout's keep probability for drive ``z`` (the unit's pre-activation).

    The paper's form (Ba & Frey 2013, the affine-in-weights standout network π = α·W + β, pass ``input_sum``):
    ``Σ_i π_ji a_i = α·z_j + β·Σ_i a_i``, so ``P(keep unit j) = sigmoid(alpha * z_j + beta * input_sum)``, with
    ``input_sum = Σ_i a_i`` the sum of the layer's inputs (broadcastable to z, e.g. (B, 1)). Without
    ``input_sum``: the scalar-offset simplification ``sigmoid(alpha * z + beta)`` of some ports (equal at β = 0).
    For ``alpha > 0`` strongly driven units are kept *more* often."""
    for name, v in (("alpha", alpha), ("beta", beta)):
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} has to be a finite number, but got {v!r}")
    offset = beta if input_sum is None else beta * input_sum
    return torch.sigmoid(alpha * z + offset)


def standout_mask(
    z: torch.Tensor,
    alpha: float = 1.0,
    beta: float = 0.0,
    *,
    input_sum: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Standout mask for drive ``z`` (any shape, usually (B, D)): 1 = keep, drawn per unit per example
    with ``P(keep)`` from :func:`standout_keep_prob` (the paper's form when ``input_sum`` is given). No
    rescaling: at test time multiply by that probability."""
    prob = standout_keep_prob(z, alpha, beta, input_sum)
    return torch.bernoulli(prob, generator=generator)
