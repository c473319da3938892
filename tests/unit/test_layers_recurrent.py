"""Tests of dropviz.layers.recurrent."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dropviz import layers, masks, methods
from dropviz.demos import recurrent as rnn_demo

T, B, D, H = 12, 6, 5, 7


def _sched(method, p=0.5, tied=True, seed=0, dtype=torch.float32, steps=T, batch=B):
    return methods.schedule(method, steps, batch, D, H, p, tied=tied, generator=masks.make_generator(seed), dtype=dtype)


def _pair(dtype=torch.float64):
    torch.manual_seed(0)
    ref = nn.LSTM(D, H).to(dtype)
    return ref, layers.MaskedLSTM.from_lstm(ref), torch.randn(T, B, D, dtype=dtype)


def _reference_loop(x, W, U, b, s: masks.MaskSchedule):
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
        hs.append(h * (s.y[t] if s.y is not None else 1.0))  # the output mask leaves the recurrence alone
        cs.append(mc * c)
    return torch.stack(hs), torch.stack(cs)


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


@pytest.mark.parametrize("method", methods.schedules())
def test_p_zero_schedules_equal_no_dropout(method):
    ref, ours, x = _pair()
    s = _sched(method, p=0.0, tied=False, dtype=x.dtype)
    assert torch.allclose(ours(x, s).h, ref(x)[0], atol=1e-12)


@pytest.mark.parametrize("method,tied", [(m, True) for m in methods.schedules()] + [("variational", False)])
def test_gradients_flow_and_match_finite_differences(method, tied):
    _, ours, x = _pair()
    x = x[:5, :3].clone().requires_grad_()
    s = methods.schedule(method, 5, 3, D, H, 0.4, tied=tied, generator=masks.make_generator(1), dtype=x.dtype)
    h0 = torch.randn(3, H, dtype=x.dtype, requires_grad=True)
    c0 = torch.randn(3, H, dtype=x.dtype, requires_grad=True)

    def f(x, w_ih, w_hh, b, h0, c0):
        out = layers.lstm_forward(x, w_ih, w_hh, b, s, (h0, c0))
        return out.h, out.c

    assert torch.autograd.gradcheck(f, (x, ours.weight_ih, ours.weight_hh, ours.bias, h0, c0))
    out = layers.lstm_forward(x, ours.weight_ih, ours.weight_hh, ours.bias, s)
    grads = torch.autograd.grad(out.h.sum(), (x, ours.weight_hh))
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


def test_masks_act_on_their_wire():
    """Re-derive one masked step by hand for each wire."""
    _, ours, x = _pair()
    W, b = ours.weight_ih, ours.bias
    for method in methods.schedules():
        s = methods.schedule(method, 1, B, D, H, 0.5, generator=masks.make_generator(5), dtype=x.dtype)
        mx = s.x[0] if s.x is not None else 1.0
        mg = s.g[0] if s.g is not None else 1.0
        mc = s.c[0] if s.c is not None else torch.ones(B, H, dtype=x.dtype)
        my = s.y[0] if s.y is not None else 1.0  # Zaremba's output mask: after the cell, on what the next layer reads
        i, f, g, o = ((x[0] * mx) @ W.t() + b).chunk(4, 1)  # h_0 = 0, c_0 = 0
        c = (mc != 0) * (torch.sigmoid(i) * torch.tanh(g) * mg)
        h = torch.sigmoid(o) * torch.tanh(mc * c) * my
        out = ours(x[:1], s)
        assert torch.allclose(out.h[0], h, atol=1e-12), method
        assert torch.allclose(out.c[0], mc * c, atol=1e-12), method


@pytest.mark.parametrize("method", methods.schedules())
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
    s = methods.schedule("rnndrop", 20, 1, 1, Hn, p, generator=masks.make_generator(0), dtype=torch.float64)
    c0 = torch.ones(1, Hn, dtype=torch.float64)
    out = layers.lstm_forward(torch.zeros(20, 1, 1, dtype=torch.float64), w_ih, w_hh, bias, s, (c0 * 0, c0))
    kept = s.c[0] > 0
    assert kept.any() and (~kept).any()
    assert torch.allclose(out.c[:, kept], torch.full_like(out.c[:, kept], 1 / (1 - p)))
    assert torch.equal(out.c[:, ~kept], torch.zeros_like(out.c[:, ~kept]))  # a dropped cell holds nothing


def test_naive_per_step_cell_mask_erases_what_was_stored():
    """A unit dropped at step t holds nothing afterwards but what later inputs write (no input: zero)."""
    w_ih, w_hh, bias = rnn_demo.demo_weights(0, 1, 1)
    x = torch.zeros(3, 1, 1)
    c0 = torch.ones(1, 1)
    m = torch.tensor([2.0, 0.0, 2.0]).view(3, 1, 1)  # kept, dropped, kept (p = 0.5, inverted)
    s = masks.MaskSchedule("naive", 0.5, False, c=m)
    with torch.no_grad():
        out = layers.lstm_forward(x, w_ih * 0, w_hh * 0, bias, s, (torch.zeros(1, 1), c0))
    assert out.c[0].item() > 1.5 and out.c[1].item() == 0.0
    assert out.c[2].item() < 0.1  # only the tiny i·g written at step 2 (input gate ≈ σ(−4)), memory gone


def test_shape_mismatch_and_from_lstm_validation():
    _, ours, x = _pair()
    with pytest.raises(ValueError, match="does not fit"):
        ours(x, methods.schedule("naive", T + 1, B, D, H, 0.5))
    with pytest.raises(ValueError, match="one-layer"):
        layers.MaskedLSTM.from_lstm(nn.LSTM(D, H, num_layers=2))
