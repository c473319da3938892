"""Tests of dropviz.masks.dense."""

from __future__ import annotations

import math

import pytest
import torch

from dropviz import masks
from tests.conftest import binomial_ok

BAD_P = [-0.1, 1.0000001, float("nan"), float("inf"), "0.5", None, True]


@pytest.mark.parametrize("bad", BAD_P)
@pytest.mark.parametrize(
    "fn",
    [
        lambda p: masks.bernoulli_mask((4,), p),
        lambda p: masks.gaussian_mask((4,), p),
        lambda p: masks.dropconnect_mask(2, 3, 4, p),
        lambda p: masks.gaussian_std(p),
    ],
    ids=["bernoulli", "gaussian", "dropconnect", "gaussian_std"],
)
def test_bad_p_raises_clear_value_error(fn, bad):
    with pytest.raises(ValueError, match="drop probability"):
        fn(bad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_bernoulli_keep_rate_binomial(p, gen):
    n = 200_000
    m = masks.bernoulli_mask((n,), p, generator=gen)
    assert binomial_ok(int((m > 0).sum()), n, 1 - p)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_bernoulli_inverted_values_and_mean_one(p, gen):
    n = 200_000
    m = masks.bernoulli_mask((n,), p, generator=gen)
    values = torch.unique(m)
    assert len(values) == 2 and values[0] == 0 and float(values[1]) == pytest.approx(1 / (1 - p))
    se = math.sqrt(p / (1 - p) / n)
    assert abs(float(m.double().mean()) - 1.0) <= 5 * se


def test_bernoulli_classic_is_zero_one(gen):
    m = masks.bernoulli_mask((1000,), 0.3, generator=gen, inverted=False)
    assert set(torch.unique(m).tolist()) == {0.0, 1.0}


@pytest.mark.parametrize("fn", [masks.bernoulli_mask, masks.gaussian_mask])
def test_p_zero_is_identity_and_p_one_is_zeros_never_nan(fn, gen):
    assert torch.equal(fn((5, 7), 0.0, generator=gen), torch.ones(5, 7))
    ones = fn((5, 7), 1.0, generator=gen)
    assert torch.equal(ones, torch.zeros(5, 7)) and not torch.isnan(ones).any()


def test_broadcast_shape_shares_draws_per_channel(gen):
    m = masks.bernoulli_mask((4, 16, 1, 1), 0.5, generator=gen)
    x = torch.ones(4, 16, 8, 8) * m
    per_channel = x.flatten(2)
    assert torch.equal(per_channel.amin(-1), per_channel.amax(-1))  # constant over H×W


@pytest.mark.parametrize("fn", [masks.bernoulli_mask, masks.gaussian_mask])
def test_same_seed_same_mask_other_seed_differs(fn):
    a = fn((64, 64), 0.5, generator=masks.make_generator(7))
    b = fn((64, 64), 0.5, generator=masks.make_generator(7))
    c = fn((64, 64), 0.5, generator=masks.make_generator(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.75])
def test_gaussian_mean_one_std_sqrt_p_over_q(p, gen):
    n = 400_000
    m = masks.gaussian_mask((n,), p, generator=gen).double()
    sigma = math.sqrt(p / (1 - p))
    assert masks.gaussian_std(p) == pytest.approx(sigma)
    assert abs(float(m.mean()) - 1) <= 5 * sigma / math.sqrt(n)
    assert abs(float(m.std()) - sigma) <= 5 * sigma / math.sqrt(2 * n)
    assert abs(float(m.std()) - p * (1 - p)) > 0.05  # not the p(1-p) error


def test_gaussian_matches_bernoulli_first_two_moments(gen):
    p, n = 0.3, 400_000
    b = masks.bernoulli_mask((n,), p, generator=gen).double()
    g = masks.gaussian_mask((n,), p, generator=gen).double()
    assert float(b.var()) == pytest.approx(float(g.var()), rel=0.02)
    assert float(b.mean()) == pytest.approx(float(g.mean()), abs=0.01)


def test_dropconnect_one_independent_mask_per_example(gen):
    B, n_out, n_in, p = 64, 16, 32, 0.5
    m = masks.dropconnect_mask(B, n_out, n_in, p, generator=gen)
    assert m.weight.shape == (B, n_out, n_in) and m.bias.shape == (B, n_out)
    # examples differ, and within an example rows are not copies of each other (unlike dropout)
    assert not torch.equal(m.weight[0], m.weight[1])
    assert not all(torch.equal(m.weight[0, 0], m.weight[0, r]) for r in range(1, n_out))
    kept = int((m.weight > 0).sum()) + int((m.bias > 0).sum())
    assert binomial_ok(kept, B * n_out * (n_in + 1), 1 - p)
    # per-example independence: correlation between two examples' masks is ~0
    a, b = m.weight[0].flatten(), m.weight[1].flatten()
    corr = float(torch.corrcoef(torch.stack([a, b]))[0, 1])
    assert abs(corr) < 5 / math.sqrt(a.numel())


@pytest.mark.parametrize("bad", [0, -1, 2.5])
def test_dropconnect_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        masks.dropconnect_mask(bad, 3, 4, 0.5)


def test_standout_keep_probability_is_sigmoid_and_rises_with_drive(gen):
    z = torch.linspace(-3, 3, 7)
    prob = masks.standout_keep_prob(z, alpha=2.0, beta=0.5)
    assert torch.allclose(prob, torch.sigmoid(2.0 * z + 0.5))
    assert torch.all(prob[1:] > prob[:-1])
    n = 100_000
    m = masks.standout_mask(z.expand(n, -1), 2.0, 0.5, generator=gen)
    assert set(torch.unique(m).tolist()) <= {0.0, 1.0}
    for j in range(7):
        assert binomial_ok(int(m[:, j].sum()), n, float(prob[j]))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_standout_rejects_non_finite_alpha_beta(bad):
    with pytest.raises(ValueError, match="finite"):
        masks.standout_keep_prob(torch.zeros(3), alpha=bad)
    with pytest.raises(ValueError, match="finite"):
        masks.standout_keep_prob(torch.zeros(3), beta=bad)


def test_masks_follow_generator_device_and_dtype():
    m = masks.bernoulli_mask((3,), 0.5, generator=masks.make_generator(0), dtype=torch.float64)
    assert m.dtype == torch.float64 and m.device.type == "cpu"
