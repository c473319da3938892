"""Small MLPs and CNNs with any registered dropout method at chosen positions, each position with its own p.

Built from the registry (:data:`dropviz.methods.METHODS`): a position holds ``(method_id, p)`` and gets
``method.layer(p, generator=...)``. The methods that fit are the *mask layers* -- those whose layer has no
weights of its own and keeps its input's shape (standard and Gaussian dropout; pixel, spatial, DropBlock,
Max-Drop on feature maps). DropConnect and Standout replace a hidden Linear + ReLU rather than sit between two
layers: their records carry a ``linear`` factory (:func:`replacing`), and an MLP slot holding one of them makes
that hidden layer the method's layer. Weights come from :func:`dropviz.train.engine.build_module` with a seeded
generator (never torch's global RNG); the masks from a second generator on the model's device.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import torch
from torch import nn

from dropviz import layers, methods
from dropviz.layers._base import MaskLayer
from dropviz.train import engine

Slot = tuple[str, float] | None  # (method id, p) at one position, or None: no dropout there


@lru_cache(maxsize=None)
def insertable(family: str) -> tuple[str, ...]:
    """The ids of ``family``'s methods that fit between two layers (a weightless mask layer that keeps shape)."""
    out = []
    for m in methods.by_family(family):
        layer = m.layer(0.3)
        if not isinstance(layer, MaskLayer) or any(True for _ in layer.parameters()) or not m.keeps_resolution:
            continue
        x = methods.example(m, torch.Generator().manual_seed(0))
        if layer.train()(x).shape == x.shape:
            out.append(m.id)
    return tuple(out)


@lru_cache(maxsize=None)
def replacing(family: str) -> tuple[str, ...]:
    """The ids of ``family``'s methods that replace a hidden Linear + ReLU (their record has a ``linear`` factory:
    DropConnect masks the layer's weights, Standout samples its units from their own drive)."""
    return tuple(m.id for m in methods.by_family(family) if m.linear is not None)


def _mask_layer(slot: Slot, family: str, generator: torch.Generator) -> nn.Module:
    if slot is None or slot[1] == 0.0:
        return nn.Identity()
    method_id, p = slot
    if method_id not in insertable(family):
        known = ", ".join(insertable(family))
        raise ValueError(f"{method_id!r} cannot sit between {family} layers; use one of {known}")
    return methods.get(method_id).layer(p, generator=generator)


def mlp(features: int, classes: int, width: int, depth: int, slots: Sequence[Slot], *, seed: int = 0,
        device: str = "cpu", batch_norm: bool = False) -> nn.Sequential:
    """``features`` -> ``depth`` × (Linear(width) [-> BatchNorm] -> ReLU) -> Linear(classes).

    ``slots`` has ``depth + 1`` entries: slot 0 masks the input, slot i the output of hidden layer i (the last
    one is "before the output layer"). A slot i ≥ 1 holding a method of :func:`replacing` (DropConnect,
    Standout) instead makes hidden layer i's Linear + ReLU that method's layer. Same ``seed`` -> same weights and
    masks, whatever the slots."""
    if len(slots) != depth + 1:
        raise ValueError(f"an MLP of depth {depth} has {depth + 1} dropout positions, but got {len(slots)} slots")
    g_mask = engine.generator(seed + 1, device)

    def make() -> nn.Sequential:
        mods: list[nn.Module] = [_mask_layer(slots[0], "dense", g_mask)]
        d = features
        for i in range(depth):
            slot = slots[i + 1]
            if slot is not None and slot[0] in replacing("dense"):
                if batch_norm:
                    raise ValueError(f"{slot[0]!r} replaces the hidden layer's Linear + ReLU: no BatchNorm between")
                mods.append(methods.get(slot[0]).linear(d, width, slot[1], generator=g_mask))
            else:
                mods.append(nn.Linear(d, width))
                if batch_norm:
                    mods.append(nn.BatchNorm1d(width))
                mods += [nn.ReLU(), _mask_layer(slot, "dense", g_mask)]
            d = width
        mods.append(nn.Linear(d, classes))
        return nn.Sequential(*mods)

    return engine.build_module(make, engine.generator(seed), device)


CNN_POSITIONS = ("after conv+ReLU", "after pooling", "before the classifier")


def cnn(channels: int, classes: int, slots: Sequence[Slot], *, seed: int = 0, device: str = "cpu",
        size: int = 8) -> nn.Sequential:
    """A digits-sized CNN: (1, size, size) -> Conv3×3(channels) -> ReLU -> [slot 0, conv family] -> MaxPool 2 ->
    [slot 1, conv family] -> flatten -> [slot 2, dense family] -> Linear(classes)."""
    if len(slots) != len(CNN_POSITIONS):
        raise ValueError(f"a CNN has {len(CNN_POSITIONS)} dropout positions ({', '.join(CNN_POSITIONS)})")
    g_mask = engine.generator(seed + 1, device)

    def make() -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), _mask_layer(slots[0], "conv", g_mask),
            nn.MaxPool2d(2), _mask_layer(slots[1], "conv", g_mask), nn.Flatten(),
            _mask_layer(slots[2], "dense", g_mask), nn.Linear(channels * (size // 2) ** 2, classes),
        )

    return engine.build_module(make, engine.generator(seed), device)


def share_masks_over_batch(model: nn.Sequential) -> nn.Sequential:
    """Every standard dropout layer of ``model`` replaced, in place, by one that draws ONE mask per minibatch
    (:class:`dropviz.layers.BatchDropout`, same p and generator): the same model with Keras' ``noise_shape=(1, units)``
    instead of a mask per example. Weights are untouched."""
    for i, mod in enumerate(model):
        if type(mod) is layers.Dropout:
            model[i] = layers.BatchDropout(mod.p, generator=mod.generator)
    return model
