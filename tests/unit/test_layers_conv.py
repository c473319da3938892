"""Tests of dropviz.layers.conv."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from dropviz import layers, masks
from tests.conftest import binomial_ok


def g(seed: int = 0) -> torch.Generator:
    return masks.make_generator(seed)


def test_maxpool_dropout_takes_the_max_of_kept_values():
    x = torch.rand(2, 3, 8, 8)
    out, keep = layers.maxpool_dropout(x, 0.5, 2, generator=g())
    assert out.shape == (2, 3, 4, 4) and set(keep.unique().tolist()) <= {0.0, 1.0}, "no rescaling"
    assert torch.equal(out, F.max_pool2d(x * keep, 2))


def test_pwp_formula_by_hand():
    a = torch.tensor([[[[0.1, 0.4], [0.3, 0.2]]]])  # sorted: .1 .2 .3 .4
    p = 0.5
    q = 1 - p
    expected = q * (1 - q) ** 3 * 0.1 + q * (1 - q) ** 2 * 0.2 + q * (1 - q) * 0.3 + q * 0.4
    assert float(layers.probabilistic_weighted_pool(a, p, 2)) == pytest.approx(expected)
    assert float(layers.probabilistic_weighted_pool(a, 0.0, 2)) == pytest.approx(0.4), "p → 0: max pooling"
    assert float(layers.probabilistic_weighted_pool(a, 1.0, 2)) == 0.0
    w = layers.pwp_weights(0.3, 9)
    assert float(w.sum()) + 0.3**9 == pytest.approx(1.0), "with the all-dropped outcome, a distribution"


@pytest.mark.parametrize("pool", [2, 3])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_pwp_equals_the_mean_training_output(p, pool):
    x = torch.rand(1, 2, 3 * pool, 3 * pool, dtype=torch.float64)
    n = 40_000
    out, _ = layers.maxpool_dropout(x.expand(n, -1, -1, -1), p, pool, generator=g(5))
    mean, se = out.mean(0), out.std(0) / math.sqrt(n)
    pwp = layers.probabilistic_weighted_pool(x, p, pool)[0]
    assert ((pwp - mean).abs() <= 5 * se + 1e-12).all()
    assert (layers.scaled_max_pool(x, p, pool)[0] <= pwp + 1e-12).all() and (F.max_pool2d(x, pool)[0] >= pwp).all()


@pytest.mark.parametrize(
    "make",
    [lambda g: layers.SpatialDropout2d(0.3, generator=g), lambda g: layers.DropBlock2d(0.3, 3, generator=g),
     lambda g: layers.MaxDrop2d(0.3, 3, generator=g), lambda g: layers.Cutout(6, generator=g)],
    ids=["spatial", "dropblock", "maxdrop", "cutout"],
)
def test_conv_layers_mask_in_training_and_are_identity_in_eval(make):
    """Each layer's zeros have its method's structure, at the expected rate; eval() is the identity."""
    layer = make(masks.make_generator(0))
    x = torch.rand(64, 3, 16, 16) + 0.1
    y = layer(x)
    assert y.shape == x.shape and torch.allclose(y, x * layer.last_mask)
    dropped = (y == 0)
    if isinstance(layer, layers.SpatialDropout2d):  # whole channels, each with probability 0.3
        per_channel = dropped.flatten(2)
        assert (per_channel.all(-1) | ~per_channel.any(-1)).all()
        assert binomial_ok(int(per_channel.all(-1).sum()), 64 * 3, 0.3)
    elif isinstance(layer, layers.DropBlock2d):  # every zero lies in a fully dropped 3×3 block
        full = F.avg_pool2d(dropped.float(), 3, 1).eq(1).float()  # (…, 14, 14): top-left of an all-zero 3×3
        covered = F.max_pool2d(F.pad(full, (2, 2, 2, 2)), 3, 1).bool()  # (…, 16, 16): inside such a block
        assert (covered | ~dropped).all() and dropped.any(-1).any(-1).float().mean() > 0.5
    elif isinstance(layer, layers.MaxDrop2d):  # a map loses nothing or exactly the 3×3 window at its maximum
        lost = dropped.flatten(2).sum(-1)
        assert set(lost.unique().tolist()) <= {0, 4, 6, 9}  # the window, clipped at a border or corner
        assert binomial_ok(int((lost > 0).sum()), 64 * 3, 0.3)
    else:  # Cutout: the same hole on every channel, at most 6×6 = 36 pixels
        assert (dropped == dropped[:, :1]).all() and (dropped[:, 0].flatten(1).sum(-1) <= 36).all()
        assert dropped[:, 0].flatten(1).sum(-1).float().mean() > 10
    layer.eval()
    assert torch.equal(layer(x), x)
    assert "=" in layer.extra_repr() or isinstance(layer, layers.SpatialDropout2d)


def test_conv_layers_validate():
    with pytest.raises(ValueError):
        layers.SpatialDropout2d(1.5)
    with pytest.raises(ValueError):
        layers.SpatialDropout2d(0.5)(torch.zeros(3, 4, 4))  # a 3-D input is not (B, C, H, W)
    with pytest.raises(ValueError):
        layers.MaxPoolDropout2d(0.5, inference="median")
    with pytest.raises(ValueError):
        layers.Cutout(8, kind="hexagon")


def test_maxpool_dropout_layer_test_time_rules():
    x = torch.rand(2, 3, 8, 8)
    train = layers.MaxPoolDropout2d(0.4, 2, generator=masks.make_generator(1))
    assert train(x).shape == (2, 3, 4, 4)
    # PWP is the mean training output: over many masks of the same input, within 5 standard errors
    n = 4000
    outs = train(x.repeat(n, 1, 1, 1)).view(n, 2, 3, 4, 4).double()
    se = outs.std(0) / n**0.5
    pwp_exact = layers.probabilistic_weighted_pool(x.double(), 0.4, 2)
    assert ((outs.mean(0) - pwp_exact).abs() <= 5 * se + 1e-12).all()
    pwp = layers.MaxPoolDropout2d(0.4, 2).eval()(x)
    assert torch.allclose(layers.MaxPoolDropout2d(0.4, 2, inference="max").eval()(x), F.max_pool2d(x, 2))
    assert torch.allclose(layers.MaxPoolDropout2d(0.4, 2, inference="scaled").eval()(x), 0.6 * F.max_pool2d(x, 2))
    assert (pwp <= F.max_pool2d(x, 2)).all() and (pwp >= 0.6 * F.max_pool2d(x, 2) - 1e-7).all()


def test_spatial_dropout_gradient_uses_the_same_channel_mask():
    layer = layers.SpatialDropout2d(0.5, generator=masks.make_generator(2))
    x = torch.rand(4, 6, 5, 5, requires_grad=True)
    layer(x).sum().backward()
    assert torch.allclose(x.grad, layer.last_mask.expand_as(x))
