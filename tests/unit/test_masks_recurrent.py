"""Tests of dropviz.masks.recurrent."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dropviz import masks, methods
from dropviz.demos import recurrent as rnn_demo
from dropviz.masks import recurrent as rnn_masks
from tests.conftest import binomial_ok

T, B, D, H = 12, 6, 5, 7


def _sched(method, p=0.5, tied=True, seed=0, dtype=torch.float32, steps=T, batch=B):
    return methods.schedule(method, steps, batch, D, H, p, tied=tied, generator=masks.make_generator(seed), dtype=dtype)


def _constant_over_time(m: torch.Tensor) -> bool:
    return bool((m == m[:1]).all())


@pytest.mark.parametrize(
    "method,tied,wires",
    [("naive", True, {"c": (T, B, H)}), ("rnndrop", True, {"c": (T, B, H)}), ("semeniuta", True, {"g": (T, B, H)}),
     ("variational", True, {"x": (T, B, D), "h": (T, B, H)}),
     ("variational", False, {"x": (T, 4, B, D), "h": (T, 4, B, H)})],
)
def test_schedule_wires_and_shapes(method, tied, wires):
    s = _sched(method, tied=tied)
    assert {k: tuple(v.shape) for k, v in s.wires().items()} == wires
    assert s.method == method and s.p == 0.5


@pytest.mark.parametrize("method", ["rnndrop", "variational"])
@pytest.mark.parametrize("tied", [True, False])
def test_per_sequence_schedules_are_identical_at_every_step_but_differ_between_sequences(method, tied):
    s = _sched(method, tied=tied, steps=40, batch=32)
    assert s.per_sequence
    for m in s.wires().values():
        assert _constant_over_time(m)
        assert not torch.equal(m[0, ..., 0, :], m[0, ..., 1, :])  # each sequence draws its own mask


def test_untied_variational_masks_differ_between_gates():
    s = _sched("variational", tied=False, steps=5, batch=16)
    assert not torch.equal(s.h[0, 0], s.h[0, 1]) and not torch.equal(s.x[0, 2], s.x[0, 3])


@pytest.mark.parametrize("method", ["naive", "semeniuta"])
def test_per_step_schedules_are_fresh_at_every_step(method):
    s = _sched(method, steps=40, batch=32)
    assert not s.per_sequence
    (m,) = s.wires().values()
    assert not _constant_over_time(m)
    # consecutive steps are independent draws: agreement rate p² + q² = 0.5 at p = 0.5, binomially
    agree = int(((m[1:] > 0) == (m[:-1] > 0)).sum())
    assert binomial_ok(agree, m[1:].numel(), 0.5)


@pytest.mark.parametrize("method", methods.schedules())
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_keep_rate_and_inverted_values(method, p):
    s = _sched(method, p=p, steps=64, batch=64)
    for m in s.wires().values():
        draws = m[:1] if s.per_sequence else m  # per-sequence: one draw per (sequence, unit)
        assert binomial_ok(int((draws > 0).sum()), draws.numel(), 1 - p)
        values = torch.unique(m).tolist()
        assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / (1 - p))


@pytest.mark.parametrize("method", methods.schedules())
def test_same_seed_same_schedule_other_seed_differs(method):
    a, b, c = _sched(method, seed=3), _sched(method, seed=3), _sched(method, seed=4)
    for k in a.wires():
        assert torch.equal(a.wires()[k], b.wires()[k]) and not torch.equal(a.wires()[k], c.wires()[k])


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.5", None])
def test_bad_p_raises(bad):
    with pytest.raises(ValueError, match="drop probability"):
        _sched("variational", p=bad)
    with pytest.raises(ValueError, match="drop probability"):
        masks.embedding_mask(2, 5, bad)


def test_bad_method_and_sizes_raise():
    with pytest.raises(ValueError, match="known: naive"):
        methods.schedule("zoneout", T, B, D, H, 0.5)
    with pytest.raises(ValueError, match="positive integer"):
        methods.schedule("naive", 0, B, D, H, 0.5)
    with pytest.raises(ValueError, match="at most"):
        rnn_demo.mask_movie("naive", 0.5, 0, steps=rnn_masks.MAX_STEPS + 1)
    with pytest.raises(ValueError, match="hidden"):
        rnn_demo.mask_movie("naive", 0.5, 0, hidden=10**6)


def test_embedding_dropout_drops_word_types_per_sequence():
    g = masks.make_generator(0)
    tokens = torch.randint(0, 6, (40, 16), generator=g)
    m = masks.embedding_mask(16, 6, 0.5, generator=g)
    assert m.shape == (16, 6)
    f = masks.token_mask(tokens, m)  # (T, B)
    for b in range(16):
        for w in range(6):
            vals = f[:, b][tokens[:, b] == w]
            assert (vals == m[b, w]).all()  # every occurrence of a word shares its draw
    emb = nn.Embedding(6, 3)
    masked_rows = torch.stack([emb.weight * m[b, :, None] for b in range(16)])  # (B, V, E)
    lhs = emb(tokens) * f[..., None]
    rhs = masked_rows[torch.arange(16), tokens]  # (T, B, E)
    assert torch.allclose(lhs, rhs)  # = masking the embedding matrix's rows per sequence
    assert binomial_ok(int((m > 0).sum()), m.numel(), 0.5)
