"""The plumbing every dropviz layer shares, once: ``p`` checked at construction, an optional seeded
``torch.Generator``, the mask applied last kept (detached) in ``last_mask`` so a page can draw it, and the
switch between the training rule and the test-time rule.

A subclass writes two one-liners, each a call to its functional form: ``train_time(x) -> (out, mask)`` and,
when its test-time rule is not the identity, ``test_time(x)``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dropviz._validate import check_p


class MaskLayer(nn.Module):
    """Base of every dropviz layer. ``p`` is the DROP probability (None for a method that has none, e.g.
    Standout or Cutout); ``generator`` makes the masks reproducible."""

    def __init__(self, p: float | None = None, *, generator: torch.Generator | None = None):
        super().__init__()
        self.p = None if p is None else check_p(p)
        self.generator = generator
        self.last_mask: Any = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return self.test_time(x)
        out, mask = self.train_time(x)
        self.last_mask = _detached(mask)
        return out

    def train_time(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
        raise NotImplementedError

    def test_time(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def extra_repr(self) -> str:
        return "" if self.p is None else f"p={self.p}"


def _detached(mask: Any) -> Any:
    if isinstance(mask, torch.Tensor):
        return mask.detach()
    return mask  # a record of masks (WeightMask, MaskSchedule): drawn from generators, no graph
