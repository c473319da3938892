"""The registry contract: every method in ``dropviz.methods.METHODS`` is checked the same way, through what its
record builds (its layer factory, its expected drop rate), so a method added to the registry is picked up here
with no other edit.

For every method: the training output has the shape of the test-time output; at p = 0 training equals test time,
and the test-time rule is the identity where the record says so; the measured fraction of dropped values is
within 5 standard errors of the record's closed form at two values of p (neither 0.5); the same seed gives the
same mask; a bad p raises ValueError; gradients flow to the input (or the weights).
"""

from __future__ import annotations

import math

import pytest
import torch

from dropviz import methods

P_VALUES = (0.2, 0.7)  # not 0.5, where keeping with probability p instead of 1 - p goes unnoticed
DRAWS = 200  # masks drawn per p for the rate check
Z = 5.0

ALL = pytest.mark.parametrize("m", methods.METHODS, ids=lambda m: m.id)
WITH_P = pytest.mark.parametrize("m", [m for m in methods.METHODS if m.has_p], ids=lambda m: m.id)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _build(m: methods.Method, p: float, seed: int = 0):
    torch.manual_seed(1234)  # the same initial weights for every build (tests only: the library never does this)
    return m.layer(p, generator=_gen(seed))


def _input(m: methods.Method, grad: bool = False) -> torch.Tensor:
    x = methods.example(m, _gen(99))
    return x.requires_grad_(grad) if x.is_floating_point() else x


@ALL
def test_training_output_has_the_test_time_shape(m):
    layer, x = _build(m, 0.3), _input(m)
    y_train = layer.train()(x)
    y_test = layer.eval()(x)
    assert y_train.shape == y_test.shape
    assert torch.isfinite(y_train).all() and torch.isfinite(y_test).all()


@WITH_P
def test_p_zero_trains_like_test_time(m):
    layer, x = _build(m, 0.0), _input(m)
    torch.testing.assert_close(layer.train()(x), layer.eval()(x))


@pytest.mark.parametrize("m", [m for m in methods.METHODS if m.identity_at_test], ids=lambda m: m.id)
def test_test_time_is_the_identity(m):
    x = _input(m)
    assert torch.equal(_build(m, 0.7).eval()(x), x)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("m", [m for m in methods.METHODS if m.drop_rate is not None], ids=lambda m: m.id)
def test_measured_drop_rate_matches_the_closed_form(m, p):
    measured, expected, se = _rate(m, p)
    assert abs(measured - expected) <= Z * se, (measured, expected, se)


def _rate(m: methods.Method, p: float) -> tuple[float, float, float]:
    """(measured fraction of dropped values over DRAWS masks, the record's closed form, the standard error)."""
    layer, x = _build(m, p).train(), _input(m)
    fractions = []
    for _ in range(DRAWS):
        layer(x)
        fractions.append(float((methods.mask_values(layer.last_mask) == 0).double().mean()))
    f = torch.tensor(fractions, dtype=torch.float64)
    se = float(f.std()) / math.sqrt(DRAWS) + 1e-4  # masks are independent draws: the CLT applies
    return float(f.mean()), m.drop_rate(p, tuple(x.shape)), se


@pytest.mark.parametrize("mid", ["standard", "pixel", "spatial", "naive", "variational", "embedding", "dropconnect"])
def test_the_rate_check_catches_a_keep_drop_swap(mid, mutate):
    """The contract can fail: with masks that KEEP with probability p, the rate check is off by far more than
    its tolerance at p = 0.2."""
    from dropviz import masks

    real = masks.bernoulli_mask

    def swapped(shape, p, **kw):
        return real(shape, 1.0 - p, **kw) if 0.0 < p < 1.0 else real(shape, p, **kw)

    mutate(masks, "bernoulli_mask", swapped)  # DropConnect's weight masks are Bernoulli masks too
    measured, expected, se = _rate(methods.get(mid), 0.2)
    assert abs(measured - expected) > Z * se


@pytest.mark.parametrize("m", [m for m in methods.METHODS if m.drop_rate is None and m.has_p], ids=lambda m: m.id)
def test_noise_without_exact_zeros_keeps_the_mean(m):
    layer, x = _build(m, 0.3).train(), _input(m)
    layer(x)
    values = methods.mask_values(layer.last_mask).double()
    assert (values != 0).all()
    assert abs(float(values.mean()) - 1.0) <= Z * float(values.std()) / math.sqrt(values.numel())


@ALL
def test_same_seed_same_mask_other_seed_other_mask(m):
    x = _input(m)
    a, b, c = _build(m, 0.4, seed=7).train(), _build(m, 0.4, seed=7).train(), _build(m, 0.4, seed=8).train()
    ya, yb, yc = a(x), b(x), c(x)
    assert torch.equal(ya, yb)
    assert torch.equal(methods.mask_values(a.last_mask), methods.mask_values(b.last_mask))
    assert not torch.equal(methods.mask_values(a.last_mask), methods.mask_values(c.last_mask))
    assert not torch.equal(ya, yc)


@WITH_P
@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.3", True])
def test_bad_p_raises(m, bad):
    with pytest.raises(ValueError, match="drop probability"):
        m.layer(bad)


@ALL
def test_gradients_flow(m):
    layer, x = _build(m, 0.3).train(), _input(m, grad=True)
    layer(x).sum().backward()
    grads = [x.grad] if x.is_floating_point() else [p.grad for p in layer.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@ALL
def test_record_builds_what_the_pages_use(m):
    assert m.label.strip() and m.colour.startswith("#") and len(m.colour) == 7
    assert callable(m.mask) and callable(m.layer)
    if m.family == "conv":
        assert m.apply is not None, "the conv pages run every method through its apply form"
    if m.family == "recurrent" and m.wire is not None:
        assert m.id in methods.schedules()
