"""SpatialDropout vs ``torch.nn.functional.dropout2d``: forward + backward on one (64, 256, 32, 32) tensor."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dropviz import masks
from dropviz.bench.core import P, Pair, benchmark, fwd_bwd, inputs


@benchmark("spatial")
def spatial(device: str, quick: bool) -> Pair:
    x, grad, g = inputs(device, quick)

    def ours(t: torch.Tensor) -> torch.Tensor:
        return t * masks.spatial_mask(t.shape, P, generator=g, device=t.device)  # (B, C, 1, 1) broadcast

    def baseline(t: torch.Tensor) -> torch.Tensor:
        return F.dropout2d(t, P, training=True)

    return Pair(fwd_bwd(ours, x, grad), fwd_bwd(baseline, x, grad),
                f"spatial_mask·x vs F.dropout2d, fwd+bwd, p={P}, {tuple(x.shape)}")
