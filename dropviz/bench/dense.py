"""Dense mask-and-apply vs ``torch.nn.functional.dropout``: forward + backward on one (64, 256, 32, 32) tensor."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dropviz import masks
from dropviz.bench.core import P, Pair, benchmark, fwd_bwd, inputs


def _baseline(x: torch.Tensor) -> torch.Tensor:
    return F.dropout(x, P, training=True)


def _vs_dropout(device: str, quick: bool, mask_fn) -> Pair:
    """``x * mask_fn(x.shape, P)`` against ``F.dropout(x, P)``, forward + backward on the same tensor."""
    x, grad, g = inputs(device, quick)

    def ours(t: torch.Tensor) -> torch.Tensor:
        return t * mask_fn(t.shape, P, generator=g, device=t.device)

    return Pair(fwd_bwd(ours, x, grad), fwd_bwd(_baseline, x, grad),
                f"{mask_fn.__name__}·x vs F.dropout, fwd+bwd, p={P}, {tuple(x.shape)}")


@benchmark("standard")
def standard(device: str, quick: bool) -> Pair:
    return _vs_dropout(device, quick, masks.bernoulli_mask)


@benchmark("gaussian")
def gaussian(device: str, quick: bool) -> Pair:
    return _vs_dropout(device, quick, masks.gaussian_mask)
