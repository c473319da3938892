"""Unit tests of dropviz.layers.bayesian and the pure parts of dropviz.demos.bayesian: the MC-dropout switch
(only dropout samples, BatchNorm stays in eval), the MC estimator, the Sparse VD KL approximation's constants and
shape, pruning at the threshold, the local reparameterisation's moments, and weight normalization."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from dropviz.demos import bayesian as demo
from dropviz.layers import Dropout
from dropviz.layers import bayesian as bl
from dropviz.train import bayesian as tb


def _net() -> nn.Sequential:
    g = torch.Generator().manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.3), Dropout(0.3, generator=g),
                         nn.Linear(8, 2))


def test_enable_mc_dropout_turns_on_only_dropout():
    net = _net().train()
    bl.enable_mc_dropout(net)
    modes = {type(m).__name__: m.training for m in net.modules() if m is not net}
    assert modes == {"Linear": False, "BatchNorm1d": False, "ReLU": False, "Dropout": True}
    assert net[3].training and net[4].training and not net[1].training


def test_mc_dropout_context_restores_modes_and_keeps_batchnorm_statistics():
    net = _net().train()
    x = torch.randn(16, 4, generator=torch.Generator().manual_seed(1))
    net(x)  # some running statistics
    before = net[1].running_mean.clone()
    out = bl.mc_passes(net, x, 5)
    assert out.shape == (5, 16, 2)
    assert torch.equal(net[1].running_mean, before), "BatchNorm must not update in MC passes"
    assert all(m.training for m in net.modules()), "the modes are restored after"
    assert not torch.allclose(out[0], out[1]), "each pass draws new masks"


def test_mc_passes_without_dropout_are_identical():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    out = bl.mc_passes(net, torch.ones(2, 3), 4)
    assert torch.equal(out[0], out[3])
    with pytest.raises(ValueError):
        bl.mc_passes(net, torch.ones(2, 3), 0)


def _result(samples: np.ndarray, noise: float = 0.25) -> tb.RegressionResult:
    g = np.linspace(-6, 6, samples.shape[1]).astype(np.float32)
    return tb.RegressionResult(tb.RegressionConfig(), g, g, g, samples.astype(np.float32), g, noise, 1.0,
                               np.zeros(1), 0.0)


def test_mc_estimator_mean_and_variance():
    rng = np.random.default_rng(0)
    s = rng.normal(size=(tb.T_MAX, 7))
    v = demo.regression_view(_result(s), 40)
    np.testing.assert_allclose(v.mean, s[:40].mean(0), rtol=1e-5, atol=1e-6)
    var = (s[:40] ** 2).mean(0) - s[:40].mean(0) ** 2  # Gal: (1/T) Σ ŷ² − ȳ²
    np.testing.assert_allclose(v.std_model ** 2, var, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(v.std_total ** 2, var + 0.25, rtol=1e-4)
    assert len(v.lines) == 30 and demo.regression_view(_result(s), 1).std_model.max() == 0
    assert math.isnan(demo.regression_view(_result(s), 1).ratio()), "one pass: no spread, no ratio (no warning)"
    for bad in (0, tb.T_MAX + 1, 2.5, True):
        with pytest.raises(ValueError, match="T has to be"):
            demo.regression_view(_result(s), bad)


def test_entropy_mutual_information_and_ece():
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(demo.entropy(p), [0.0, math.log(2)])
    pred = tb.Predictions(np.array([[0.5, 0.5]]), np.array([0.0]), np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(demo.mutual_information(pred), [math.log(2)])  # two confident passes disagreeing
    probs = np.array([[0.95, 0.05]] * 10 + [[0.6, 0.4]] * 10)
    labels = np.array([0] * 10 + [0] * 5 + [1] * 5)
    r = demo.reliability(probs, labels)
    assert r.ece == pytest.approx(0.5 * 0.05 + 0.5 * 0.1)
    assert r.count.sum() == 20


def test_kl_approximation_constants_and_shape():
    assert (bl.K1, bl.K2, bl.K3) == (0.63576, 1.87320, 1.48695)
    la = torch.linspace(-8, 8, 161, dtype=torch.float64)
    neg = bl.neg_kl(la)
    assert neg.shape == la.shape and (neg <= 1e-6).all(), "−KL ≤ 0"
    assert (neg.diff() > 0).all(), "larger α, smaller KL: the prior pushes α up"
    assert float(bl.neg_kl(torch.tensor(30.0))) == pytest.approx(0.0, abs=1e-6), "−KL → 0 as α → ∞"
    small = torch.tensor(-6.0, dtype=torch.float64)  # for small α, −KL ≈ 0.5 log α + const (the Gaussian's entropy)
    assert float(bl.neg_kl(small) - bl.neg_kl(small - 1)) == pytest.approx(0.5, abs=0.01)


def test_pruning_at_the_threshold():
    theta = torch.tensor([[1.0, 1.0, 1.0]])
    log_s2 = torch.log(torch.tensor([[math.exp(2.9), math.exp(3.0), math.exp(3.1)]]))
    la = bl.log_alpha(theta, log_s2)
    assert torch.equal(bl.pruned_weight(theta, la), torch.tensor([[1.0, 1.0, 0.0]]))
    layer = bl.LinearSVDO(3, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        layer.theta.copy_(theta)
        layer.log_sigma2.copy_(log_s2)
    assert torch.allclose(layer.eval()(torch.ones(1, 3)), torch.tensor([[2.0]]))


def test_local_reparameterisation_moments():
    g = torch.Generator().manual_seed(0)
    theta, log_s2 = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g) - 1
    x = torch.randn(1, 5, generator=g).expand(20000, 5)
    out, _ = bl.svd_linear(x, theta, log_s2, torch.zeros(3), threshold=None, generator=g)
    mean, var = x[0] @ theta.T, (x[0] ** 2) @ log_s2.exp().T
    torch.testing.assert_close(out.mean(0), mean, atol=5 * float(var.sqrt().max()) / math.sqrt(20000), rtol=0)
    torch.testing.assert_close(out.var(0), var, rtol=0.05, atol=1e-4)


def test_weight_norm_and_data_dependent_init():
    v, g = torch.tensor([[3.0, 4.0]]), torch.tensor([2.0])
    torch.testing.assert_close(bl.weight_norm_weight(v, g), torch.tensor([[1.2, 1.6]]))
    layer = bl.WeightNormLinear(6, 4)
    x = torch.randn(256, 6, generator=torch.Generator().manual_seed(0))
    pre = bl.data_dependent_init_(layer, x, torch.Generator().manual_seed(1))
    torch.testing.assert_close(pre.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(pre.std(0, unbiased=False), torch.ones(4), atol=1e-4, rtol=0)


def test_norm_growth_never_shrinks():
    n = demo.norm_growth(steps=20)
    assert (np.diff(n.norms) >= -1e-12).all() and n.norms[-1] > n.norms[0]
    assert n.cosines.max() < 1e-4


def test_pruned_sweep_is_monotone():
    rng = np.random.default_rng(0)
    las = (rng.uniform(-8, 8, (6, 4)), rng.uniform(-8, 8, (2, 6)))
    r = tb.SparseVDResult(tb.SparseVDConfig(), (rng.normal(size=(6, 4)), rng.normal(size=(2, 6))), las,
                          (np.zeros(6), np.zeros(2)), (rng.normal(size=(6, 4)), rng.normal(size=(2, 6))),
                          (np.zeros(6), np.zeros(2)), rng.normal(size=(30, 4)), rng.integers(0, 2, 30),
                          np.zeros((1, 4)), 0.0)
    s = demo.sweep(r)
    assert (np.diff(s.sparsity) <= 0).all(), "a higher threshold prunes fewer weights"
    p = demo.prune(r, 3.0)
    assert sum(p.kept) == sum(int((la <= 3).sum()) for la in las)
