"""Seeded tensors the pages share (nothing is downloaded)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dropviz._validate import make_generator


def dense_activations(seed: int, batch: int = 8, units: int = 16, in_features: int = 32) -> torch.Tensor:
    """Post-ReLU activations of a seeded random layer, shape (batch, units): non-negative, about half
    zero, like a real hidden layer. The same seed always gives the same tensor (computed on CPU)."""
    g = make_generator(seed)
    x = torch.randn(batch, in_features, generator=g)  # (B, in)
    w = torch.randn(units, in_features, generator=g) * (2.0 / in_features) ** 0.5  # Kaiming normal
    b = 0.1 * torch.randn(units, generator=g)
    return F.relu(F.linear(x, w, b))  # (B, units)


def dense_layer(seed: int, in_features: int, out_features: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded (Kaiming-normal) weight matrix (out, in) and a small bias (out,), on CPU."""
    g = make_generator(seed)
    w = torch.randn(out_features, in_features, generator=g) * (2.0 / in_features) ** 0.5
    b = 0.1 * torch.randn(out_features, generator=g)
    return w, b


def teaching_vector(seed: int, units: int = 8) -> torch.Tensor:
    """A short, readable activation vector (values 0.2 … 2.0, one decimal), shape (units,)."""
    g = make_generator(seed)
    return torch.round((0.2 + 1.8 * torch.rand(units, generator=g)) * 10) / 10


def gallery_input(seed: int, batch: int = 8, units: int = 16) -> torch.Tensor:
    """The shared input of the home-page gallery, (batch, units), strictly positive (0.3 … ~3) so that
    every zero in a thumbnail is a dropped unit rather than a ReLU zero."""
    g = make_generator(seed)
    return 0.3 + torch.randn(batch, units, generator=g).abs()


def gallery_image(width: int = 96) -> torch.Tensor:
    """The home-page gallery input of the conv methods: the whole cat in colour, downscaled to ``width`` pixels
    wide (96 × 64 by default, big enough to recognise), mapped to 0.04 … 1 (strictly positive, so every zero in a
    thumbnail is a dropped value). (1, 3, h, width)."""
    from dropviz.data import images  # Pillow: loaded only when the cat is needed

    x = images.cat().tensor()  # (1, 3, H, W) in [0, 1]
    h, w = x.shape[-2:]
    return 0.04 + 0.96 * F.adaptive_avg_pool2d(x, (max(1, round(h * width / w)), width))
