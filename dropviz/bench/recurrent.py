"""Our variational-dropout LSTM vs the fused ``torch.nn.LSTM`` (no dropout): forward + backward, same run.

``python -m dropviz.bench lstm_variational`` prints the registered ratio.
``python -c "from dropviz.bench.recurrent import main; main()"`` also times the implementations we tried on the way
(each against the same baseline, same line format):

- ``cell_loop``: a Python loop over ``torch.nn.LSTMCell`` with masked inputs and states (autograd per op);
- ``autograd_loop``: the input projection of all steps in one matmul, then a loop of fused-gate addmm +
  activations, differentiated by autograd;
- ``torchscript``: the same loop compiled with ``torch.jit.script`` (deprecated in torch 2.x, still works);
- ``ours`` (what DropViz uses, :class:`dropviz.rnn._LSTMSequence`): one input-projection matmul, a forward
  loop that builds no graph, and hand-written BPTT whose weight gradients are one matmul over all steps;
- ``ours_untied``: the same with one mask per gate (Gal's untied form: a batched matmul per step).
"""

from __future__ import annotations

import warnings
from typing import Callable

import torch
from torch import nn

from dropviz import layers, masks, methods
from dropviz.bench.core import Benchmark, Pair, benchmark, measure
from dropviz.train import engine

SIZES = dict(steps=50, batch=64, inputs=32, hidden=128)
QUICK_SIZES = dict(steps=10, batch=8, inputs=8, hidden=16)
P = 0.25


def _setup(device: str, quick: bool):
    s = QUICK_SIZES if quick else SIZES
    T, B, D, H = s["steps"], s["batch"], s["inputs"], s["hidden"]
    g = masks.make_generator(0, device)
    ref = engine.build_module(lambda: nn.LSTM(D, H), engine.generator(0), device)  # global RNG untouched
    ours = layers.MaskedLSTM.from_lstm(ref)
    x = torch.randn(T, B, D, generator=g, device=device).requires_grad_()
    grad = torch.randn(T, B, H, generator=g, device=device)
    what = f"(T={T}, B={B}, in={D}, hidden={H}, p={P})"
    return ref, ours, x, grad, g, what


def _baseline(ref: nn.LSTM, x: torch.Tensor, grad: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        x.grad = None
        ref(x)[0].backward(grad)

    return step


def _ours(ours: layers.MaskedLSTM, x, grad, g, tied: bool) -> Callable[[], None]:
    T, B, D = x.shape

    def step() -> None:  # a fresh per-sequence schedule every call, as in training
        x.grad = None
        sched = methods.schedule("variational", T, B, D, ours.hidden_size, P, tied=tied, generator=g, device=x.device)
        ours(x, sched).h.backward(grad)

    return step


@benchmark("lstm_variational")
def lstm_variational(device: str, quick: bool) -> Pair:
    ref, ours, x, grad, g, what = _setup(device, quick)
    return Pair(_ours(ours, x, grad, g, tied=True), _baseline(ref, x, grad),
                f"variational LSTM (ours, tied masks on x and h) vs fused torch.nn.LSTM without dropout, "
                f"fwd+bwd {what}")


# -- the variants we tried (not registered: `python -m dropviz.bench.rnn` times them) -----------------------


def _cell_loop(ref, x, grad, g) -> Callable[[], None]:
    cell = nn.LSTMCell(ref.input_size, ref.hidden_size).to(x.device)
    T, B, D = x.shape
    H = ref.hidden_size

    def step() -> None:
        x.grad = None
        mx = masks.bernoulli_mask((B, D), P, generator=g, device=x.device)
        mh = masks.bernoulli_mask((B, H), P, generator=g, device=x.device)
        h, c, out = x.new_zeros(B, H), x.new_zeros(B, H), []
        for t in range(T):
            h, c = cell(x[t] * mx, (h * mh, c))
            out.append(h)
        torch.stack(out).backward(grad)

    return step


def _loop(xw: torch.Tensor, w_t: torch.Tensor, mh: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    out = []
    for t in range(xw.shape[0]):
        gates = torch.addmm(xw[t], h * mh, w_t)
        i, f, g, o = gates.chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out)


def _autograd_loop(ours, x, grad, g, loop=_loop) -> Callable[[], None]:
    T, B, D = x.shape
    H = ours.hidden_size

    def step() -> None:
        x.grad = None
        mx = masks.bernoulli_mask((B, D), P, generator=g, device=x.device)
        mh = masks.bernoulli_mask((B, H), P, generator=g, device=x.device)
        xw = torch.addmm(ours.bias, (x * mx).reshape(T * B, D), ours.weight_ih.t()).view(T, B, 4 * H)
        loop(xw, ours.weight_hh.t(), mh, x.new_zeros(B, H), x.new_zeros(B, H)).backward(grad)

    return step


def variants(device: str, quick: bool) -> dict[str, Benchmark]:
    ref, ours, x, grad, g, what = _setup(device, quick)
    base = _baseline(ref, x, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated in torch 2.x
        scripted = torch.jit.script(_loop)
    steps = {
        "cell_loop": _cell_loop(ref, x, grad, g),
        "autograd_loop": _autograd_loop(ours, x, grad, g),
        "torchscript": _autograd_loop(ours, x, grad, g, loop=scripted),
        "ours": _ours(ours, x, grad, g, tied=True),
        "ours_untied": _ours(ours, x, grad, g, tied=False),
    }
    return {
        name: Benchmark(f"lstm_variational_{name}", lambda d, q, s=s, n=name: Pair(s, base, f"{n} vs nn.LSTM {what}"))
        for name, s in steps.items()
    }


def main(device: str = "cpu", repeats: int = 15) -> None:
    for bench in variants(device, quick=False).values():
        print(measure(bench, device, repeats=repeats).line(), flush=True)
