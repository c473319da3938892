"""An LSTM whose cell loop takes recurrent dropout mask schedules (:mod:`dropviz.masks.recurrent`), with a
hand-written BPTT backward; without masks it equals ``torch.nn.LSTM``. Papers: see :mod:`dropviz.masks.recurrent`."""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from dropviz._validate import positive_int
from dropviz.layers._base import MaskLayer
from dropviz.masks.recurrent import MaskSchedule, embedding_mask, token_mask

# -- the LSTM ---------------------------------------------------------------------------------------


def _recurrent(hm: Tensor, w_t: Tensor) -> Tensor:
    """U h for tied (B, H) or per-gate (4, B, H) masked states; ``w_t`` is U transposed, (H, 4H) -> (B, 4H)."""
    if hm.dim() == 2:
        return hm @ w_t
    _, B, H = hm.shape
    per_gate = torch.bmm(hm, w_t.view(H, 4, H).transpose(0, 1))  # (4, B, H_in) @ (4, H_in, H) -> (4, B, H)
    return per_gate.transpose(0, 1).reshape(B, 4 * H)


class _LSTMSequence(torch.autograd.Function):
    """The whole LSTM recurrence as one autograd node: the forward loop runs without building a graph and
    the backward is hand-written BPTT, with the weight gradients of all steps in one matmul at the end.
    This is what brings the loop within 2× of the fused ``torch.nn.LSTM`` (see dropviz/bench/rnn.py)."""

    @staticmethod
    def forward(ctx, xw, w_hh, h0, c0, mh, mg, mc):  # xw (T, B, 4H) = W x_t + b, precomputed for all t
        T, B, H4 = xw.shape
        H = H4 // 4
        w_t = w_hh.t()
        act = torch.empty_like(xw)  # (T, B, 4H) gate activations i, f, g, o
        hs, cs, tcs = (xw.new_empty(T, B, H) for _ in range(3))  # h_t, c_t (carried), tanh(m_c ⊙ c_t)
        pre = xw.new_empty(B, H4)
        keep = None if mc is None else (mc != 0).to(xw.dtype)  # (T, B, H) 0/1
        h, c = h0, c0
        for t in range(T):
            hm = h if mh is None else h * mh[t]
            if hm.dim() == 2:
                torch.addmm(xw[t], hm, w_t, out=pre)
            else:
                torch.add(xw[t], _recurrent(hm, w_t), out=pre)
            a = act[t]
            torch.sigmoid(pre, out=a)
            torch.tanh(pre[:, 2 * H : 3 * H], out=a[:, 2 * H : 3 * H])
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            c = torch.addcmul(f * c, i, g if mg is None else g * mg[t], out=cs[t])
            if mc is not None:
                c.mul_(keep[t])  # a dropped cell forgets: 0/1, so a kept cell is never rescaled twice
            tc = torch.tanh(c if mc is None else c * mc[t], out=tcs[t])
            h = torch.mul(o, tc, out=hs[t])
        ctx.save_for_backward(w_hh, h0, c0, mh, mg, mc, act, hs, cs, tcs)
        return hs, cs

    @staticmethod
    @once_differentiable
    def backward(ctx, dhs, dcs):
        w_hh, h0, c0, mh, mg, mc, act, hs, cs, tcs = ctx.saved_tensors
        T, B, H = hs.shape
        i, f, g, o = act.view(T, B, 4, H).unbind(2)
        # Everything that does not depend on the backward recursion, vectorised over all steps:
        # d pre_gate = P ⊙ (dc, dc, dc, dh) and dc_t += dh_t ⊙ K.
        cprev = torch.cat([c0.unsqueeze(0), cs[:-1]])
        P = torch.empty_like(act).view(T, B, 4, H)
        torch.mul(g if mg is None else g * mg, i * (1 - i), out=P[:, :, 0])
        torch.mul(cprev, f * (1 - f), out=P[:, :, 1])
        torch.mul(i * (1 - g * g), 1.0 if mg is None else mg, out=P[:, :, 2])
        torch.mul(tcs, o * (1 - o), out=P[:, :, 3])
        K = o * (1 - tcs * tcs)
        if mc is not None:
            K = K * mc
        dgates = torch.empty_like(act)
        dg4 = dgates.view(T, B, 4, H)
        untied = mh is not None and mh.dim() == 4
        dh_next, dc_next = torch.zeros_like(h0), torch.zeros_like(c0)
        for t in range(T - 1, -1, -1):
            dh = dh_next if dhs is None else dhs[t] + dh_next
            dc = torch.addcmul(dc_next, dh, K[t])
            if dcs is not None:
                dc = dc + dcs[t]
            if mc is not None:
                dc = dc * (mc[t] != 0)  # through c_t = keep_t ⊙ (f ⊙ c_{t-1} + i ⊙ g)
            torch.mul(dc.unsqueeze(1), P[t, :, :3], out=dg4[t, :, :3])
            torch.mul(dh, P[t, :, 3], out=dg4[t, :, 3])
            dc_next = dc * f[t]
            if untied:
                dh_next = (torch.bmm(dg4[t].transpose(0, 1), w_hh.view(4, H, H)) * mh[t]).sum(0)
            else:
                dh_next = dgates[t] @ w_hh
                if mh is not None:
                    dh_next = dh_next * mh[t]
        hprev = torch.cat([h0.unsqueeze(0), hs[:-1]])  # (T, B, H): h_{t-1}
        if untied:
            hm = (hprev.unsqueeze(1) * mh).transpose(0, 1).reshape(4, T * B, H)
            dw = torch.bmm(dg4.permute(2, 3, 0, 1).reshape(4, H, T * B), hm).reshape(4 * H, H)
        else:
            hm = hprev if mh is None else hprev * mh
            dw = dgates.reshape(T * B, 4 * H).t() @ hm.reshape(T * B, H)
        return dgates, dw, dh_next, dc_next, None, None, None


class LSTMOutput(NamedTuple):
    h: Tensor  # (T, B, H) the output at every step as the next layer receives it: h_t (⊙ m_y with an output mask)
    c: Tensor  # (T, B, H) the cell state as the network reads it, m_c ⊙ c_t (= c_t without a c mask)
    h_n: Tensor  # (B, H) the last output, h[-1]
    c_n: Tensor  # (B, H) last carried cell state


def input_projection(x: Tensor, w_ih: Tensor, bias: Tensor, mx: Tensor | None) -> Tensor:
    """W (x_t ⊙ m_x) + b for every step at once: (T, B, D) -> (T, B, 4H). One matmul for the whole
    sequence; exact for any input mask, per-step or per-sequence, since the mask does not depend on h."""
    T, B, D = x.shape
    if mx is None or mx.dim() == 3:
        xm = x if mx is None else x * mx
        return torch.addmm(bias, xm.reshape(T * B, D), w_ih.t()).view(T, B, -1)
    H = w_ih.shape[0] // 4  # untied: one input mask per gate
    per_gate = torch.einsum("tgbd,ghd->tbgh", x.unsqueeze(1) * mx, w_ih.view(4, H, D))
    return per_gate.reshape(T, B, 4 * H) + bias


def lstm_forward(
    x: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    bias: Tensor,
    schedule: MaskSchedule | None = None,
    state: tuple[Tensor, Tensor] | None = None,
) -> LSTMOutput:
    """A one-layer LSTM over ``x`` (T, B, D) with the masks of ``schedule`` (None: no dropout, which
    equals ``torch.nn.LSTM`` with ``bias = b_ih + b_hh``). Weights in nn.LSTM's layout: (4H, D), (4H, H)."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    s = schedule or MaskSchedule("none", 0.0, True)
    for name, m in s.wires().items():
        if m.shape[0] != T or m.shape[-2] != B:
            raise ValueError(f"the {name} mask has shape {tuple(m.shape)}, which does not fit {T} steps × batch {B}")
    h0, c0 = state if state is not None else (x.new_zeros(B, H), x.new_zeros(B, H))
    xw = input_projection(x, w_ih, bias, s.x)
    hs, cs = _LSTMSequence.apply(xw, w_hh, h0, c0, s.h, s.g, s.c)
    out = hs if s.y is None else hs * s.y  # an output mask acts after the recurrence (Zaremba et al.)
    return LSTMOutput(out, cs if s.c is None else cs * s.c, out[-1], cs[-1])


class MaskedLSTM(nn.Module):
    """One LSTM layer whose forward takes a :class:`MaskSchedule` (draw one with :func:`schedule` in
    training; pass none at test time: inverted masks make that the identity)."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = positive_int("input_size", input_size)
        self.hidden_size = positive_int("hidden_size", hidden_size)
        H = hidden_size
        self.weight_ih = nn.Parameter(torch.empty(4 * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H))
        self.bias = nn.Parameter(torch.empty(4 * H))  # b_ih + b_hh of torch.nn.LSTM
        bound = 1.0 / math.sqrt(H)  # torch.nn.LSTM's initialisation
        for w in self.parameters():
            nn.init.uniform_(w, -bound, bound)

    @classmethod
    def from_lstm(cls, lstm: nn.LSTM) -> MaskedLSTM:
        """The same weights as a one-layer, unidirectional, sequence-first ``torch.nn.LSTM``."""
        if lstm.num_layers != 1 or lstm.bidirectional or lstm.batch_first or lstm.proj_size:
            raise ValueError("from_lstm takes a one-layer, unidirectional, sequence-first nn.LSTM without projection")
        new = cls(lstm.input_size, lstm.hidden_size).to(lstm.weight_ih_l0.device, lstm.weight_ih_l0.dtype)
        with torch.no_grad():
            new.weight_ih.copy_(lstm.weight_ih_l0)
            new.weight_hh.copy_(lstm.weight_hh_l0)
            new.bias.copy_(lstm.bias_ih_l0 + lstm.bias_hh_l0 if lstm.bias else torch.zeros_like(new.bias))
        return new

    def forward(self, x: Tensor, schedule: MaskSchedule | None = None, state=None) -> LSTMOutput:
        return lstm_forward(x, self.weight_ih, self.weight_hh, self.bias, schedule, state)

    def extra_repr(self) -> str:
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}"



class DropoutLSTM(MaskLayer):
    """One LSTM layer with a recurrent dropout schedule: in training every forward draws a fresh
    :class:`MaskSchedule` from ``schedule`` (any of :mod:`dropviz.masks.recurrent`'s schedule functions, e.g.
    :func:`~dropviz.masks.recurrent.variational_schedule`) and runs :class:`MaskedLSTM` with it; at test time it
    runs without masks (inverted masks make that the identity rule). ``x`` (T, B, D) -> ``h`` (T, B, H)."""

    def __init__(self, input_size: int, hidden_size: int, p: float = 0.25, *, schedule: Callable[..., MaskSchedule],
                 tied: bool = True, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.lstm = MaskedLSTM(input_size, hidden_size)
        self.schedule, self.tied = schedule, tied

    def train_time(self, x):
        T, B, D = x.shape
        s = self.schedule(T, B, D, self.lstm.hidden_size, self.p, tied=self.tied, generator=self.generator,
                          device=x.device, dtype=x.dtype)
        return self.lstm(x, s).h, s

    def test_time(self, x):
        return self.lstm(x).h

    def extra_repr(self) -> str:
        return f"p={self.p}, schedule={getattr(self.schedule, '__name__', self.schedule)}, tied={self.tied}"


def embedding_dropout(tokens: Tensor, weight: Tensor, p: float, *,
                      generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Embedding dropout (Gal & Ghahramani 2016 §4) in training: tokens (T, B) -> (embedded (T, B, E) with dropped
    word types zeroed in each sequence, the (B, V) mask from :func:`~dropviz.masks.recurrent.embedding_mask`)."""
    m = embedding_mask(tokens.shape[1], weight.shape[0], p, generator=generator, device=weight.device,
                       dtype=weight.dtype)
    return F.embedding(tokens, weight) * token_mask(tokens, m).unsqueeze(-1), m


class EmbeddingDropout(MaskLayer):
    """An ``nn.Embedding`` whose rows (word types) are dropped per sequence in training,
    :func:`embedding_dropout`; a plain lookup at test time."""

    def __init__(self, vocab: int, dim: int, p: float = 0.1, *, generator: torch.Generator | None = None):
        super().__init__(p, generator=generator)
        self.embedding = nn.Embedding(positive_int("vocab", vocab), positive_int("dim", dim))

    def train_time(self, tokens):
        return embedding_dropout(tokens, self.embedding.weight, self.p, generator=self.generator)

    def test_time(self, tokens):
        return self.embedding(tokens)
