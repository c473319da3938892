"""Tests of dropviz.models: registry methods at chosen positions, seeded builds that never touch the global RNG."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dropviz import layers, models


def test_insertable_methods_come_from_the_registry():
    assert {"standard", "gaussian"} <= set(models.insertable("dense"))
    assert "dropconnect" not in models.insertable("dense")  # it replaces a Linear, it does not sit between two
    assert {"pixel", "spatial", "dropblock"} <= set(models.insertable("conv"))


def test_mlp_places_each_method_with_its_own_p():
    m = models.mlp(64, 10, 32, 2, [("gaussian", 0.2), None, ("standard", 0.6)], seed=0)
    drops = [x for x in m if isinstance(x, layers.MaskLayer)]
    assert [type(d).__name__ for d in drops] == ["GaussianDropout", "Dropout"] and [d.p for d in drops] == [0.2, 0.6]
    assert m(torch.randn(5, 64)).shape == (5, 10)


def test_same_seed_same_weights_and_the_global_rng_untouched():
    state = torch.random.get_rng_state()
    a = models.mlp(8, 3, 16, 1, [None, ("standard", 0.5)], seed=4)
    b = models.mlp(8, 3, 16, 1, [None, None], seed=4)
    c = models.mlp(8, 3, 16, 1, [None, None], seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    wa, wb, wc = (list(m.parameters())[0] for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_cnn_positions():
    m = models.cnn(4, 10, [("spatial", 0.1), ("dropblock", 0.1), ("standard", 0.5)], seed=0)
    assert m(torch.randn(3, 1, 8, 8)).shape == (3, 10)


def test_bad_slots_raise():
    with pytest.raises(ValueError, match="positions"):
        models.mlp(8, 3, 16, 2, [None])
    with pytest.raises(ValueError, match="cannot sit between"):
        models.mlp(8, 3, 16, 1, [None, ("pixel", 0.5)])


def test_share_masks_over_batch_swaps_standard_dropout_for_one_mask_per_minibatch():
    m = models.mlp(16, 3, 24, 2, [None, ("standard", 0.4), ("gaussian", 0.3)], seed=0)
    before = [p.detach().clone() for p in m.parameters()]
    models.share_masks_over_batch(m)
    kinds = [type(mod).__name__ for mod in m]
    assert kinds.count("BatchDropout") == 1 and kinds.count("GaussianDropout") == 1 and "Dropout" not in kinds
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters(), strict=True))
    shared = next(mod for mod in m if isinstance(mod, layers.BatchDropout))
    m.train()(torch.randn(32, 16))
    mask = shared.last_mask
    assert mask.shape == (1, 24) and torch.all((mask == 0) | torch.isclose(mask, torch.tensor(1 / 0.6)))
    out = shared(torch.ones(8, 24))
    assert torch.equal(out, out[:1].expand(8, 24))  # every example sees the same mask



def test_dropconnect_and_standout_replace_the_hidden_linear():
    assert set(models.replacing("dense")) == {"dropconnect", "standout"}
    m = models.mlp(16, 3, 24, 2, [None, ("dropconnect", 0.3), ("standout", 0.0)], seed=0)
    kinds = [type(mod) for mod in m]
    assert kinds[1] is layers.DropConnectLinear and kinds[2] is layers.StandoutLinear and kinds[-1] is nn.Linear
    assert m[1].p == 0.3 and m[1].linear.weight.shape == (24, 16) and m[2].linear.weight.shape == (24, 24)
    assert m.train()(torch.randn(5, 16)).shape == (5, 3) and m.eval()(torch.randn(5, 16)).shape == (5, 3)
    with pytest.raises(ValueError, match="cannot sit between"):
        models.mlp(16, 3, 24, 1, [("dropconnect", 0.3), None], seed=0)
    with pytest.raises(ValueError, match="BatchNorm"):
        models.mlp(16, 3, 24, 1, [None, ("dropconnect", 0.3)], seed=0, batch_norm=True)
