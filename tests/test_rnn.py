"""Recurrent dropout: the structure of every mask schedule, the nn.LSTM oracle, gradients, the cell-mask
semantics, embedding dropout, the recall task and the training loop (kept tiny: tests never train for long)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from dropviz import data, masks, rnn, train
from tests.conftest import binomial_ok

T, B, D, H = 12, 6, 5, 7


def _sched(method, p=0.5, tied=True, seed=0, dtype=torch.float32, steps=T, batch=B):
    return rnn.schedule(method, steps, batch, D, H, p, tied=tied, generator=masks.make_generator(seed), dtype=dtype)


def _constant_over_time(m: torch.Tensor) -> bool:
    return bool((m == m[:1]).all())


# -- mask schedules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,tied,wires",
    [("naive", True, {"c": (T, B, H)}), ("rnndrop", True, {"c": (T, B, H)}), ("recurrent", True, {"g": (T, B, H)}),
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


@pytest.mark.parametrize("method", ["naive", "recurrent"])
def test_per_step_schedules_are_fresh_at_every_step(method):
    s = _sched(method, steps=40, batch=32)
    assert not s.per_sequence
    (m,) = s.wires().values()
    assert not _constant_over_time(m)
    # consecutive steps are independent draws: agreement rate p² + q² = 0.5 at p = 0.5, binomially
    agree = int(((m[1:] > 0) == (m[:-1] > 0)).sum())
    assert binomial_ok(agree, m[1:].numel(), 0.5)


@pytest.mark.parametrize("method", rnn.METHOD_IDS)
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_keep_rate_and_inverted_values(method, p):
    s = _sched(method, p=p, steps=64, batch=64)
    for m in s.wires().values():
        draws = m[:1] if s.per_sequence else m  # per-sequence: one draw per (sequence, unit)
        assert binomial_ok(int((draws > 0).sum()), draws.numel(), 1 - p)
        values = torch.unique(m).tolist()
        assert len(values) == 2 and values[0] == 0.0 and values[1] == pytest.approx(1 / (1 - p))


@pytest.mark.parametrize("method", rnn.METHOD_IDS)
def test_same_seed_same_schedule_other_seed_differs(method):
    a, b, c = _sched(method, seed=3), _sched(method, seed=3), _sched(method, seed=4)
    for k in a.wires():
        assert torch.equal(a.wires()[k], b.wires()[k]) and not torch.equal(a.wires()[k], c.wires()[k])


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "0.5", None])
def test_bad_p_raises(bad):
    with pytest.raises(ValueError, match="drop probability"):
        _sched("variational", p=bad)
    with pytest.raises(ValueError, match="drop probability"):
        rnn.embedding_mask(2, 5, bad)


def test_bad_method_and_sizes_raise():
    with pytest.raises(ValueError, match="known: naive"):
        rnn.schedule("zoneout", T, B, D, H, 0.5)
    with pytest.raises(ValueError, match="positive integer"):
        rnn.schedule("naive", 0, B, D, H, 0.5)
    with pytest.raises(ValueError, match="at most"):
        rnn.mask_movie("naive", 0.5, 0, steps=rnn.MAX_STEPS + 1)
    with pytest.raises(ValueError, match="hidden"):
        rnn.mask_movie("naive", 0.5, 0, hidden=10**6)


# -- the LSTM: oracle, gradients, mask semantics --------------------------------------------------------


def _pair(dtype=torch.float64):
    torch.manual_seed(0)
    ref = nn.LSTM(D, H).to(dtype)
    return ref, rnn.MaskedLSTM.from_lstm(ref), torch.randn(T, B, D, dtype=dtype)


def test_no_dropout_equals_nn_lstm_outputs_state_and_gradients():
    ref, ours, x = _pair()
    h0, c0 = torch.randn(1, B, H, dtype=x.dtype), torch.randn(1, B, H, dtype=x.dtype)
    xr, xo = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_ref, (hn, cn) = ref(xr, (h0, c0))
    out = ours(xo, None, (h0[0], c0[0]))
    assert torch.allclose(out.h, out_ref, atol=1e-12) and torch.allclose(out.c_n, cn[0], atol=1e-12)
    assert torch.allclose(out.h_n, hn[0], atol=1e-12)
    (out_ref.sum() + cn.sum()).backward()
    (out.h.sum() + out.c_n.sum()).backward()
    assert torch.allclose(xr.grad, xo.grad, atol=1e-12)
    assert torch.allclose(ref.weight_hh_l0.grad, ours.weight_hh.grad, atol=1e-12)
    assert torch.allclose(ref.weight_ih_l0.grad, ours.weight_ih.grad, atol=1e-12)
    assert torch.allclose(ref.bias_ih_l0.grad, ours.bias.grad, atol=1e-12)


def test_float32_matches_nn_lstm_too():
    ref, ours, x = _pair(torch.float32)
    assert torch.allclose(ours(x).h, ref(x)[0], atol=1e-5)


@pytest.mark.parametrize("method", rnn.METHOD_IDS)
def test_p_zero_schedules_equal_no_dropout(method):
    ref, ours, x = _pair()
    s = _sched(method, p=0.0, tied=False, dtype=x.dtype)
    assert torch.allclose(ours(x, s).h, ref(x)[0], atol=1e-12)


@pytest.mark.parametrize("method,tied", [(m, True) for m in rnn.METHOD_IDS] + [("variational", False)])
def test_gradients_flow_and_match_finite_differences(method, tied):
    _, ours, x = _pair()
    x = x[:5, :3].clone().requires_grad_()
    s = rnn.schedule(method, 5, 3, D, H, 0.4, tied=tied, generator=masks.make_generator(1), dtype=x.dtype)
    h0 = torch.randn(3, H, dtype=x.dtype, requires_grad=True)
    c0 = torch.randn(3, H, dtype=x.dtype, requires_grad=True)

    def f(x, w_ih, w_hh, b, h0, c0):
        out = rnn.lstm_forward(x, w_ih, w_hh, b, s, (h0, c0))
        return out.h, out.c

    assert torch.autograd.gradcheck(f, (x, ours.weight_ih, ours.weight_hh, ours.bias, h0, c0))
    out = rnn.lstm_forward(x, ours.weight_ih, ours.weight_hh, ours.bias, s)
    grads = torch.autograd.grad(out.h.sum(), (x, ours.weight_hh))
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


def test_masks_act_on_their_wire():
    """Re-derive one masked step by hand for each wire."""
    _, ours, x = _pair()
    W, b = ours.weight_ih, ours.bias
    for method in rnn.METHOD_IDS:
        s = rnn.schedule(method, 1, B, D, H, 0.5, generator=masks.make_generator(5), dtype=x.dtype)
        mx = s.x[0] if s.x is not None else 1.0
        mg = s.g[0] if s.g is not None else 1.0
        mc = s.c[0] if s.c is not None else torch.ones(B, H, dtype=x.dtype)
        i, f, g, o = ((x[0] * mx) @ W.t() + b).chunk(4, 1)  # h_0 = 0, c_0 = 0
        c = (mc != 0) * (torch.sigmoid(i) * torch.tanh(g) * mg)
        h = torch.sigmoid(o) * torch.tanh(mc * c)
        out = ours(x[:1], s)
        assert torch.allclose(out.h[0], h, atol=1e-12), method
        assert torch.allclose(out.c[0], mc * c, atol=1e-12), method


def _reference_loop(x, W, U, b, s: rnn.MaskSchedule):
    """The documented equations, one step at a time, in plain autograd (tied masks)."""
    Tn, Bn, _ = x.shape
    h = c = torch.zeros(Bn, U.shape[1], dtype=x.dtype)
    hs, cs = [], []
    for t in range(Tn):
        mx = s.x[t] if s.x is not None else 1.0
        mh = s.h[t] if s.h is not None else 1.0
        mg = s.g[t] if s.g is not None else 1.0
        mc = s.c[t] if s.c is not None else torch.ones_like(c)
        i, f, g, o = ((x[t] * mx) @ W.t() + (h * mh) @ U.t() + b).chunk(4, 1)
        c = (mc != 0) * (torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g) * mg)
        h = torch.sigmoid(o) * torch.tanh(mc * c)
        hs.append(h)
        cs.append(mc * c)
    return torch.stack(hs), torch.stack(cs)


@pytest.mark.parametrize("method", rnn.METHOD_IDS)
def test_whole_sequence_matches_the_documented_equations(method):
    _, ours, x = _pair()
    s = _sched(method, p=0.4, dtype=x.dtype)
    h_ref, c_ref = _reference_loop(x, ours.weight_ih, ours.weight_hh, ours.bias, s)
    out = ours(x, s)
    assert torch.allclose(out.h, h_ref, atol=1e-12) and torch.allclose(out.c, c_ref, atol=1e-12)


def test_a_kept_cell_is_scaled_once_not_at_every_step():
    """With the forget gate shut open and the input gate shut, a kept cell keeps its value c_0 and is read as
    c_0/(1-p) at every step: never (1/(1-p))^t, the blow-up of masking the carried state with 1/(1-p)."""
    p, Hn = 0.5, 6
    w_ih, w_hh = torch.zeros(4 * Hn, 1, dtype=torch.float64), torch.zeros(4 * Hn, Hn, dtype=torch.float64)
    bias = torch.cat([torch.full((Hn,), -50.0), torch.full((Hn,), 50.0), torch.zeros(2 * Hn)]).double()
    s = rnn.schedule("rnndrop", 20, 1, 1, Hn, p, generator=masks.make_generator(0), dtype=torch.float64)
    c0 = torch.ones(1, Hn, dtype=torch.float64)
    out = rnn.lstm_forward(torch.zeros(20, 1, 1, dtype=torch.float64), w_ih, w_hh, bias, s, (c0 * 0, c0))
    kept = s.c[0] > 0
    assert kept.any() and (~kept).any()
    assert torch.allclose(out.c[:, kept], torch.full_like(out.c[:, kept], 1 / (1 - p)))
    assert torch.equal(out.c[:, ~kept], torch.zeros_like(out.c[:, ~kept]))  # a dropped cell holds nothing


def test_naive_per_step_cell_mask_erases_what_was_stored():
    """A unit dropped at step t holds nothing afterwards but what later inputs write (no input: zero)."""
    w_ih, w_hh, bias = rnn.demo_weights(0, 1, 1)
    x = torch.zeros(3, 1, 1)
    c0 = torch.ones(1, 1)
    m = torch.tensor([2.0, 0.0, 2.0]).view(3, 1, 1)  # kept, dropped, kept (p = 0.5, inverted)
    s = rnn.MaskSchedule("naive", 0.5, False, c=m)
    with torch.no_grad():
        out = rnn.lstm_forward(x, w_ih * 0, w_hh * 0, bias, s, (torch.zeros(1, 1), c0))
    assert out.c[0].item() > 1.5 and out.c[1].item() == 0.0
    assert out.c[2].item() < 0.1  # only the tiny i·g written at step 2 (input gate ≈ σ(−4)), memory gone


def test_shape_mismatch_and_from_lstm_validation():
    _, ours, x = _pair()
    with pytest.raises(ValueError, match="does not fit"):
        ours(x, rnn.schedule("naive", T + 1, B, D, H, 0.5))
    with pytest.raises(ValueError, match="one-layer"):
        rnn.MaskedLSTM.from_lstm(nn.LSTM(D, H, num_layers=2))


# -- embedding dropout ------------------------------------------------------------------------------


def test_embedding_dropout_drops_word_types_per_sequence():
    g = masks.make_generator(0)
    tokens = torch.randint(0, 6, (40, 16), generator=g)
    m = rnn.embedding_mask(16, 6, 0.5, generator=g)
    assert m.shape == (16, 6)
    f = rnn.token_mask(tokens, m)  # (T, B)
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


def test_embedding_demo_and_thumbnails():
    d = rnn.embedding_demo(0.5, seed=1)
    assert d.tokens.shape == d.token_mask.shape == (4, 16) and d.type_mask.shape == (4, len(rnn.WORDS))
    for b in range(4):
        assert np.array_equal(d.token_mask[b], d.type_mask[b, d.tokens[b]])


# -- the page computations ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", rnn.METHOD_IDS)
def test_mask_movie_arrays(method):
    mv = rnn.mask_movie(method, 0.5, seed=2, steps=20, hidden=8)
    assert mv.c_clean.shape == mv.c_masked.shape == (4, 20) and mv.memory_masked.shape == (20,)
    for m in mv.masks:
        assert m.shape[1] == 20
        assert (np.all(m == m[:, :1]) if mv.per_sequence else not np.all(m == m[:, :1]))
    assert mv.memory_clean[-1] > 0.5  # the demo LSTM holds its memory without dropout


def test_naive_erases_the_demo_memory_and_the_others_keep_it():
    kept = {m.method: m.memory_masked[-1] for m in rnn.mask_movies(0.5, seed=0, steps=30, hidden=16)}
    assert kept["naive"] < 0.3
    assert all(kept[m] > 0.6 for m in ("rnndrop", "recurrent", "variational")), kept


# -- the task and the training loop ---------------------------------------------------------------------


def test_recall_task_structure():
    b = data.recall_task(64, 10, 8, 8, generator=masks.make_generator(0))
    assert b.tokens.shape == (11, 64)
    for j in range(64):
        seq = b.tokens[:, j]
        assert int((seq < 8).sum()) == 1  # exactly one symbol
        assert int(seq[10 - b.lag[j]]) == int(b.target[j])
    assert 1 <= int(b.lag.min()) and int(b.lag.max()) <= 10
    with pytest.raises(ValueError, match="max_lag"):
        data.recall_task(4, 0, 8, 8)


def test_train_config_validates_and_is_hashable():
    cfg = train.TrainConfig()
    assert hash(cfg) == hash(train.TrainConfig()) and cfg == train.TrainConfig()
    with pytest.raises(ValueError, match="hidden"):
        train.TrainConfig(hidden=10_000)
    with pytest.raises(ValueError, match="unknown method"):
        train.TrainConfig(method="zoneout")
    with pytest.raises(ValueError, match="drop probability"):
        train.TrainConfig(p=2.0)
    assert hash(train.ExperimentConfig()) == hash(train.ExperimentConfig())


def test_train_is_reproducible_reports_progress_and_restores_threads():
    cfg = train.TrainConfig(method="rnndrop", steps=12, hidden=8, max_lag=4, batch=16, eval_per_lag=8)
    seen = []
    before = torch.get_num_threads()
    a = train.train(cfg, on_step=lambda s, loss: seen.append((s, loss)))
    assert torch.get_num_threads() == before
    b = train.train(cfg)
    assert [s for s, _ in seen] == list(range(1, 13)) and all(math.isfinite(v) for _, v in seen)
    assert np.array_equal(a.loss, b.loss) and np.array_equal(a.accuracy, b.accuracy)
    assert a.accuracy.shape == (4,) and np.all((0 <= a.accuracy) & (a.accuracy <= 1))


def test_no_dropout_learns_the_task_quickly():
    h = train.train(train.TrainConfig(method="none", steps=150, hidden=16, max_lag=6))
    assert h.accuracy.mean() > 0.9, h.accuracy


def test_experiment_counts_steps_over_all_methods():
    cfg = train.ExperimentConfig(steps=10, hidden=8, max_lag=3, methods=("naive", "variational"))
    calls = []
    e = train.run_experiment(cfg, on_step=lambda d, t, m: calls.append((d, t, m)))
    assert calls[-1] == (20, 20, "variational") and calls[0] == (1, 20, "naive")
    assert [h.config.method for h in e.histories] == ["naive", "variational"]
    assert np.array_equal(e.accuracy("variational"), e.histories[1].accuracy)
