"""Recurrent dropout: mask schedules through time, and an LSTM whose cell loop takes them.

A *mask schedule* holds one tensor per masked wire of the LSTM cell, indexed by time first, so a page can
draw units × time and a test can check which schedules are constant over time. ``p`` is the DROP
probability everywhere; masks are inverted (kept values hold 1/(1−p)), so test time is the identity.

    i, f, g, o = σ, σ, tanh, σ of  W (x_t ⊙ m_x) + U (h_{t−1} ⊙ m_h) + b
    c_t = k_t ⊙ (f ⊙ c_{t−1} + i ⊙ (g ⊙ m_g))        k_t = [m_c,t ≠ 0], the 0/1 form of m_c
    h_t = o ⊙ tanh(m_c,t ⊙ c_t)

A cell mask zeroes the dropped cells (0/1, so a kept cell is never rescaled twice) and scales the kept ones
by 1/(1−p) where the cell is read. With a 0/1 mask this is exactly c_t = m ⊙ (f ⊙ c_{t−1} + i ⊙ g) as the
papers write it (m ⊙ m = m); with an inverted mask applied to the carried state instead, a cell kept at
every step would grow as (1/(1−p))^t (the exploding state Semeniuta et al. 2016 §3 point out).

Methods (see ../shared/METHODS.md §9-§11):
- ``naive``: a fresh mask at every step on the hidden state: a dropped unit outputs h_t = 0 and its cell
  forgets (the mistake: a memory survives L steps only if its unit is kept L times, probability (1−p)^L).
  A per-step mask on h_{t−1} alone would leave the LSTM's memory, c, untouched.
- ``rnndrop``: Moon et al., "RNNDROP: a novel dropout for RNNs in ASR", ASRU 2015
  https://www.semanticscholar.org/paper/4a5e68033940785468cbe34bd6249106c311acfb : the same cell mask,
  drawn once per sequence.
- ``recurrent``: Semeniuta, Severyn & Barth, "Recurrent Dropout without Memory Loss", COLING 2016
  https://arxiv.org/abs/1603.05118 : a fresh mask at every step on the candidate update g_t only.
- ``variational``: Gal & Ghahramani, "A Theoretically Grounded Application of Dropout in Recurrent Neural
  Networks", NeurIPS 2016 https://arxiv.org/abs/1512.05287 : one mask per sequence on x_t and one on
  h_{t−1}, reused at every step; tied (one mask for all four gates) or untied (one per gate). Embedding
  dropout (:func:`embedding_mask`) drops word *types*: one mask over the vocabulary per sequence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from dropviz import masks

METHOD_IDS: tuple[str, ...] = ("naive", "rnndrop", "recurrent", "variational")
WIRES: tuple[str, ...] = ("x", "h", "c", "g")
GATES: tuple[str, ...] = ("i", "f", "g", "o")  # torch.nn.LSTM's order of the four row blocks of W and U
MAX_STEPS = 200  # longest sequence a page may ask for
MAX_UNITS = 256  # widest layer a page may ask for


def _check_size(name: str, n, hi: int | None = None) -> int:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"{name} has to be a positive integer, but got {n!r}")
    if hi is not None and n > hi:
        raise ValueError(f"{name} has to be at most {hi}, but got {n}")
    return int(n)


# -- mask schedules ---------------------------------------------------------------------------------


def per_step_mask(
    steps: int,
    shape: tuple[int, ...],
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """A fresh inverted Bernoulli mask at every time step: shape ``(steps, *shape)``, all draws independent."""
    steps = _check_size("steps", steps)
    return masks.bernoulli_mask((steps, *shape), p, generator=generator, device=device, dtype=dtype)


def per_sequence_mask(
    steps: int,
    shape: tuple[int, ...],
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """One inverted Bernoulli mask per sequence, reused at every step: ``(steps, *shape)``, identical over
    the first axis (an expanded view of a single ``shape`` draw, so it costs no memory per step)."""
    steps = _check_size("steps", steps)
    one = masks.bernoulli_mask(tuple(shape), p, generator=generator, device=device, dtype=dtype)
    return one.unsqueeze(0).expand(steps, *shape)


@dataclass(frozen=True, eq=False)
class MaskSchedule:
    """The masks of one forward pass over a batch, one tensor per masked wire (None: not masked).

    Tied masks are (T, B, n); untied variational masks are (T, 4, B, n), one per gate in the order i, f, g, o.
    """

    method: str
    p: float
    per_sequence: bool  # True: one draw per sequence reused at every step; False: fresh at every step
    x: Tensor | None = None  # (T, B, D) or (T, 4, B, D): multiplies the input x_t before W
    h: Tensor | None = None  # (T, B, H) or (T, 4, B, H): multiplies h_{t-1} before U
    c: Tensor | None = None  # (T, B, H): zeroes dropped cells, scales kept ones where read: h_t = o ⊙ tanh(m ⊙ c_t)
    g: Tensor | None = None  # (T, B, H): multiplies the candidate update g_t

    def wires(self) -> dict[str, Tensor]:
        """The masked wires, in the order x, h, c, g."""
        masked = {f.name: getattr(self, f.name) for f in fields(self) if f.name in WIRES}
        return {name: m for name, m in masked.items() if m is not None}


def schedule(
    method: str,
    steps: int,
    batch: int,
    input_size: int,
    hidden_size: int,
    p: float,
    *,
    tied: bool = True,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> MaskSchedule:
    """The mask schedule of ``method`` (one of :data:`METHOD_IDS`) for a (steps, batch) input. Pure and seeded:
    the same generator state gives the same masks. ``tied`` only matters for ``variational``."""
    p = masks.check_p(p)
    if method not in METHOD_IDS:
        raise ValueError(f"unknown recurrent dropout method {method!r}; known: {', '.join(METHOD_IDS)}")
    for name, n in (("batch", batch), ("input_size", input_size), ("hidden_size", hidden_size)):
        _check_size(name, n)
    kw = dict(generator=generator, device=device, dtype=dtype)
    B, D, H = batch, input_size, hidden_size
    if method == "naive":
        return MaskSchedule(method, p, False, c=per_step_mask(steps, (B, H), p, **kw))
    if method == "rnndrop":
        return MaskSchedule(method, p, True, c=per_sequence_mask(steps, (B, H), p, **kw))
    if method == "recurrent":
        return MaskSchedule(method, p, False, g=per_step_mask(steps, (B, H), p, **kw))
    gates = () if tied else (len(GATES),)
    x = per_sequence_mask(steps, (*gates, B, D), p, **kw)
    h = per_sequence_mask(steps, (*gates, B, H), p, **kw)
    return MaskSchedule(method, p, True, x=x, h=h)


def embedding_mask(
    batch: int,
    vocab: int,
    p: float,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Embedding dropout (Gal & Ghahramani 2016 §4): one inverted mask over the vocabulary per sequence,
    shape (B, V). A dropped word *type* is zero at every one of its occurrences in that sequence."""
    _check_size("batch", batch)
    _check_size("vocab", vocab)
    return masks.bernoulli_mask((batch, vocab), p, generator=generator, device=device, dtype=dtype)


def token_mask(tokens: Tensor, mask: Tensor) -> Tensor:
    """The factor each token of ``tokens`` (T, B) gets from an embedding mask (B, V): shape (T, B).
    Multiplying the embedded tokens by it equals masking the embedding matrix's rows per sequence."""
    return mask.gather(1, tokens.t()).t()


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
    h: Tensor  # (T, B, H) hidden state h_t at every step
    c: Tensor  # (T, B, H) the cell state as the network reads it, m_c ⊙ c_t (= c_t without a c mask)
    h_n: Tensor  # (B, H) last hidden state
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
    return LSTMOutput(hs, cs if s.c is None else cs * s.c, hs[-1], cs[-1])


class MaskedLSTM(nn.Module):
    """One LSTM layer whose forward takes a :class:`MaskSchedule` (draw one with :func:`schedule` in
    training; pass none at test time: inverted masks make that the identity)."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
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


# -- the computations behind the "masks through time" page --------------------------------------------


def _np(t: Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


def demo_weights(seed: int, input_size: int, hidden_size: int) -> tuple[Tensor, Tensor, Tensor]:
    """Seeded LSTM weights (nn.LSTM layout) that hold a memory: the forget gate sits near σ(5) ≈ 0.993 and
    the input gate near σ(−4) ≈ 0.02, so a strong input is written into the cell and kept for tens of steps."""
    g = masks.make_generator(seed)
    D, H = input_size, hidden_size
    w_ih = torch.randn(4 * H, D, generator=g) * (2.0 / D) ** 0.5
    w_hh = torch.randn(4 * H, H, generator=g) * (1.0 / H) ** 0.5
    bias = torch.cat([torch.full((H,), -4.0), torch.full((H,), 5.0), torch.zeros(H), torch.full((H,), 1.0)])
    return w_ih, w_hh, bias  # gate blocks i, f, g, o


def demo_input(seed: int, steps: int, input_size: int) -> Tensor:
    """(T, 1, D): a strong 'symbol' at t = 0, then weak noise: what the cell keeps of t = 0 is its memory."""
    g = masks.make_generator(seed + 1)
    x = 0.3 * torch.randn(steps, 1, input_size, generator=g)
    x[0] = 3.0 * torch.randn(1, input_size, generator=g)
    return x


def _cosine_to_start(c: Tensor) -> Tensor:
    """(T, H) -> (T,): cosine similarity of the cell state at each step to the state at step 0."""
    return (c * c[0]).sum(1) / (c.norm(dim=1) * c[0].norm()).clamp_min(1e-12)


@dataclass(frozen=True)
class MaskMovie:
    """One method's masks on one sequence, and what they do to the cell state of a seeded LSTM."""

    method: str
    p: float
    tied: bool
    per_sequence: bool
    wires: tuple[str, ...]  # the masked wires, among x, h, c, g
    masks: tuple[np.ndarray, ...]  # per wire: (rows, T) units × time of sequence 0 (untied: 4 gate blocks of rows)
    gates: tuple[int, ...]  # per wire: 1 (one mask for all gates) or 4 (one per gate, rows gate-major)
    track: np.ndarray  # (k,) the cell units whose trajectories are shown
    c_clean: np.ndarray  # (k, T) their cell state (as read) without dropout
    c_masked: np.ndarray  # (k, T) the same units with this method's masks
    memory_clean: np.ndarray  # (T,) how much of the t = 0 memory the cell still holds: cos(c_t, c_0), no dropout
    memory_masked: np.ndarray  # (T,) the same with the masks: cos(c_t, c_0) of the masked run


def mask_movie(
    method: str,
    p: float,
    seed: int,
    steps: int = 30,
    hidden: int = 16,
    input_size: int = 8,
    tied: bool = True,
    n_track: int = 4,
    device: str = "cpu",
) -> MaskMovie:
    """Draw ``method``'s schedule for one sequence and run the same seeded LSTM on the same input with and
    without it. Bounded for a shared server: ``steps`` ≤ MAX_STEPS, ``hidden`` ≤ MAX_UNITS."""
    steps, hidden = _check_size("steps", steps, MAX_STEPS), _check_size("hidden", hidden, MAX_UNITS)
    input_size = _check_size("input_size", input_size, MAX_UNITS)
    sched = schedule(method, steps, 1, input_size, hidden, p, tied=tied,
                     generator=masks.make_generator(seed, device), device=device)
    w_ih, w_hh, bias = (t.to(device) for t in demo_weights(seed, input_size, hidden))
    x = demo_input(seed, steps, input_size).to(device)
    with torch.no_grad():
        clean = lstm_forward(x, w_ih, w_hh, bias).c[:, 0]  # (T, H)
        masked = lstm_forward(x, w_ih, w_hh, bias, sched).c[:, 0]
    k = min(n_track, hidden)
    # Track the cells the symbol wrote most *under this method's mask* (a write the mask dropped never entered
    # the cell): what the page asks is whether what was stored stays there.
    score = masked[0].abs() + 1e-6 * clean[0].abs()  # ties (e.g. all-zero writes) broken by the clean run
    track = torch.argsort(score, descending=True)[:k].sort().values
    wires = sched.wires()
    shown = []
    for m in wires.values():
        m0 = m[:, :, 0] if m.dim() == 4 else m[:, 0]  # (T, 4, n) or (T, n): sequence 0
        shown.append(_np(m0.reshape(steps, -1).t()))  # (rows, T)
    return MaskMovie(
        method=method,
        p=sched.p,
        tied=tied,
        per_sequence=sched.per_sequence,
        wires=tuple(wires),
        masks=tuple(shown),
        gates=tuple(4 if m.dim() == 4 else 1 for m in wires.values()),
        track=_np(track).astype(int),
        c_clean=_np(clean[:, track].t()),
        c_masked=_np(masked[:, track].t()),
        memory_clean=_np(_cosine_to_start(clean)),
        memory_masked=_np(_cosine_to_start(masked)),
    )


def mask_movies(p: float, seed: int, steps: int = 30, hidden: int = 16, tied: bool = True,
                device: str = "cpu") -> tuple[MaskMovie, ...]:
    """:func:`mask_movie` for every method of :data:`METHOD_IDS`, same p, seed and sizes."""
    return tuple(mask_movie(m, p, seed, steps, hidden, tied=tied, device=device) for m in METHOD_IDS)


@dataclass(frozen=True)
class EmbeddingDemo:
    """Embedding dropout on a few sequences of a small vocabulary: dropped word types, everywhere they occur."""

    p: float
    tokens: np.ndarray  # (B, T) word ids
    type_mask: np.ndarray  # (B, V) the per-sequence mask over the vocabulary (0 or 1/(1-p))
    token_mask: np.ndarray  # (B, T) what each occurrence gets
    vocab: tuple[str, ...]


WORDS = ("the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to")


def embedding_demo(p: float, seed: int, sequences: int = 4, steps: int = 16, device: str = "cpu") -> EmbeddingDemo:
    sequences, steps = _check_size("sequences", sequences, 32), _check_size("steps", steps, MAX_STEPS)
    g = masks.make_generator(seed)
    tokens = torch.randint(0, len(WORDS), (steps, sequences), generator=g).to(device)  # (T, B)
    m = embedding_mask(sequences, len(WORDS), p, generator=masks.make_generator(seed, device), device=device)
    return EmbeddingDemo(masks.check_p(p), _np(tokens.t()).astype(int), _np(m), _np(token_mask(tokens, m).t()), WORDS)
