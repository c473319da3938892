"""The checks every layer of dropviz shares, once: a drop probability, a positive whole number, a seeded
generator. Clear errors at the edges (user input), strict core inside."""

from __future__ import annotations

import numbers

import torch


def check_p(p: float) -> float:
    """Return ``p`` as a float, or raise ``ValueError`` unless it is a drop probability in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise ValueError(f"drop probability has to be a number between 0 and 1, but got {p!r}")
    p = float(p)
    if not 0.0 <= p <= 1.0:  # also rejects NaN, for which every comparison is False
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    return p


def make_generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device`` seeded with ``seed`` (same seed + device -> same masks)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


def positive_int(name: str, v, lo: int = 1, hi: int | None = None) -> int:
    """``v`` as an int, or ``ValueError`` unless it is a whole number from ``lo`` (to ``hi``)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or int(v) != v or v < lo:
        need = "a positive integer" if lo == 1 else f"an integer ≥ {lo}"
        raise ValueError(f"{name} has to be {need}, but got {v!r}")
    if hi is not None and v > hi:
        raise ValueError(f"{name} has to be at most {hi}, but got {v}")
    return int(v)


def device_of(generator: torch.Generator | None, device=None) -> torch.device:
    """Where a mask goes: ``device`` if given, else the generator's device (a CUDA generator draws there),
    else the CPU."""
    if device is not None:
        return torch.device(device)
    return generator.device if generator is not None else torch.device("cpu")
