"""Generated 2-D classification tasks (two moons, circles, spirals), seeded and in torch: small enough to draw a
model's decision boundary over the whole plane. Each returns a :class:`~dropviz.data.digits.Split` (two classes,
inputs roughly in [-1.5, 1.5]²) whose validation points come from the same distribution with other noise."""

from __future__ import annotations

import math

import torch

from dropviz._validate import make_generator
from dropviz.data.digits import Split

TASKS = ("moons", "circles", "spirals")


def _moons(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.rand(n, generator=g) * math.pi
    upper = torch.stack([torch.cos(t), torch.sin(t)], 1)  # (n, 2)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], 1)
    x = torch.where(y[:, None] == 0, upper, lower) - torch.tensor([0.5, 0.25])
    return x, y


def _circles(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.rand(n, generator=g) * 2 * math.pi
    r = torch.where(y == 0, 1.0, 0.5)
    return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1), y


def _spirals(n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=g)
    s = torch.rand(n, generator=g)  # position along the arm, 0 … 1
    t = 0.5 + 2.5 * math.pi * s + y * math.pi  # two arms, half a turn apart
    r = 0.15 + 1.2 * s
    return torch.stack([r * torch.cos(t), r * torch.sin(t)], 1), y


_MAKERS = {"moons": _moons, "circles": _circles, "spirals": _spirals}


def task2d(name: str, train_size: int = 100, seed: int = 0, val_size: int = 600, noise: float = 0.15) -> Split:
    """``name``'s points with Gaussian noise of std ``noise`` on each coordinate."""
    if name not in _MAKERS:
        raise ValueError(f"unknown 2-D task {name!r}; known: {', '.join(TASKS)}")
    g = make_generator(seed)

    def draw(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = _MAKERS[name](n, g)
        return x + noise * torch.randn(x.shape, generator=g), y

    (xt, yt), (xv, yv) = draw(train_size), draw(val_size)
    return Split(xt, yt, xv, yv, 2)
