"""Claims made on the recurrent-layer pages (naive, Zaremba, RNNDrop, recurrent dropout, variational RNN dropout).

The structural claims are exact (a per-sequence mask is bit-for-bit the same at every step, a per-step mask is
redrawn independently at every step; with dropout off our cell loop is nn.LSTM up to float64 rounding, and with
real masks its hand-written backward equals torch autograd through the same masked equations, written here).
The memory claim trains the page's experiment (every schedule and a no-dropout baseline, several seeds) and
compares accuracy at the longest lags with a short-lag control.

Papers: Zaremba et al. 2014 https://arxiv.org/abs/1409.2329; Moon et al., ASRU 2015 (RNNDrop); Semeniuta et al.,
COLING 2016 https://arxiv.org/abs/1603.05118; Gal & Ghahramani, NeurIPS 2016 https://arxiv.org/abs/1512.05287.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dropviz import layers, masks, methods
from dropviz.claims.core import Measurement, Mutation, claim, not_applicable
from dropviz.train import Experiment, ExperimentConfig, engine, run_experiment

Z = 5.0  # standard errors allowed
FORGET_MARGIN = 0.25  # accuracy points naive must trail the best other schedule by (chance is 1/8)
LEARNED = 0.5  # the best other schedule must reach this at the longest lags, or nothing was learned to forget


def _redrawn_every(k: int):
    """A broken schedule draw: a new mask every k steps instead of once per sequence (or every step)."""
    def mutation(draw):
        def broken(steps, shape, p, **kw):
            parts = [draw(1, shape, p, **kw).expand(min(k, steps - t), *shape) for t in range(0, steps, k)]
            return torch.cat(parts)  # (steps, *shape): one draw held for k steps at a time
        return broken
    return mutation


@claim(
    "rnn.per_sequence_masks_constant",
    "RNNDrop and variational dropout reuse one mask for the whole sequence (identical at every step); "
    "naive, Zaremba and recurrent dropout draw a fresh, independent mask at every step.",
    mutations=(
        Mutation("per-sequence mask redrawn every 10 steps", "dropviz.masks.recurrent:per_sequence_mask",
                 _redrawn_every(10)),
        Mutation("per-step mask redrawn only every 10 steps", "dropviz.masks.recurrent:per_step_mask",
                 _redrawn_every(10)),
        Mutation("per-step mask redrawn every 2 steps", "dropviz.masks.recurrent:per_step_mask", _redrawn_every(2)),
    ),
)
def per_sequence_masks_constant(
    *, quick: bool = False, p: float = 0.3, seed: int = 0, steps: int = 30, hidden: int = 16, device: str = "cpu"
) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(f"at p = {p:g} every mask is all {'ones' if p == 0 else 'zeros'}: "
                              "per-step and per-sequence schedules are the same constant")
    batch = 16 if quick else 128
    g = masks.make_generator(seed, device)
    const_changes, fresh, n, flips, pairs = 0, 0, 0, 0, 0
    per_seq, per_step = [], []
    for method in methods.schedules():
        for tied in ((True, False) if method == "variational" else (True,)):
            s = methods.schedule(method, steps, batch, 8, hidden, p, tied=tied, generator=g, device=device)
            (per_seq if s.per_sequence else per_step).append(method)
            for m in s.wires().values():
                changes = (m != m[:1]).any(0)  # (…, B, n): differs from step 0 at some step
                if s.per_sequence:
                    const_changes += int(changes.sum())
                else:
                    fresh += int(changes.sum())
                    n += changes.numel()
                    flips += int(((m[1:] == 0) != (m[:-1] == 0)).sum())  # kept/dropped differs from step t to t+1
                    pairs += m[1:].numel()
    q = 1.0 - p
    same = q**steps + p**steps  # a per-step position stays constant only if all its T draws agree
    p_value = _binomial_two_sided(n - fresh, n, same)
    flip_rate, flip_theory = flips / pairs, 2 * p * q  # independent draws at t and t+1 differ with prob 2pq
    flip_tol = Z * math.sqrt(flip_theory * (1 - flip_theory) / pairs) * math.sqrt(2)  # consecutive pairs overlap
    return Measurement(
        const_changes == 0 and p_value >= ALPHA and abs(flip_rate - flip_theory) <= flip_tol,
        fresh / n,
        f"over {steps} steps × {batch} sequences: per-sequence masks ({', '.join(sorted(set(per_seq)))}; variational "
        f"tied and untied) change at {const_changes} positions (must be 0); per-step masks "
        f"({', '.join(per_step)}) change at {fresh:,} of {n:,} positions vs 1 − (1−p)^T − p^T = {1 - same:.4g} "
        f"expected (exact binomial test p-value {p_value:.2g}, fails below {ALPHA:.1g}, the 5σ level) and flip between "
        f"consecutive steps at {flip_rate:.4f} vs 2p(1−p) = {flip_theory:.4f} ± {flip_tol:.2g}",
    )


ALPHA = 5.7e-7  # two-sided tail of 5 standard errors: the exact-test analogue of the dense claims' 5σ


def _binomial_two_sided(k: int, n: int, prob: float) -> float:
    """Exact two-sided binomial test (doubled smaller tail): normal approximations fail for rare events,
    e.g. a per-step mask that stays constant over 30 steps (probability (1−p)^30 + p^30)."""
    if prob <= 0.0 or prob >= 1.0:
        return 1.0 if k == round(n * prob) else 0.0
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * math.log(prob)
            + (n - i) * math.log1p(-prob) for i in range(n + 1)]
    top = max(logs)
    pmf = [math.exp(v - top) for v in logs]
    total = sum(pmf)
    lower, upper = sum(pmf[: k + 1]) / total, sum(pmf[k:]) / total
    return min(1.0, 2 * min(lower, upper))


def _lstm_pair(seed: int, steps: int, hidden: int, device: str) -> tuple[nn.LSTM, layers.MaskedLSTM, torch.Tensor]:
    # nn.LSTM's own initialisation, drawn from a seeded generator: torch's global RNG is never touched
    ref = engine.build_module(lambda: nn.LSTM(8, hidden), engine.generator(seed), device).double()
    ours = layers.MaskedLSTM.from_lstm(ref)
    x = torch.randn(steps, 4, 8, generator=masks.make_generator(seed), dtype=torch.float64).to(device)
    return ref, ours, x


def _reference_lstm(x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor,
                    s: masks.MaskSchedule | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The masked LSTM equations of :mod:`dropviz.masks.recurrent`, step by step with plain torch ops (autograd
    differentiates it): written here, independently of the hand-written forward and backward under test."""
    T, B, _ = x.shape
    H = w_hh.shape[1]
    h, c = x.new_zeros(B, H), x.new_zeros(B, H)
    outs = []

    def gate_mask(m, t, k):  # tied (T, B, n) or per gate (T, 4, B, n)
        return 1.0 if m is None else (m[t, k] if m.dim() == 4 else m[t])

    for t in range(T):
        pre = [F.linear(x[t] * gate_mask(s and s.x, t, k), w_ih[k * H:(k + 1) * H])
               + F.linear(h * gate_mask(s and s.h, t, k), w_hh[k * H:(k + 1) * H]) + bias[k * H:(k + 1) * H]
               for k in range(4)]
        i, f, g, o = torch.sigmoid(pre[0]), torch.sigmoid(pre[1]), torch.tanh(pre[2]), torch.sigmoid(pre[3])
        if s is not None and s.g is not None:
            g = g * s.g[t]
        c = f * c + i * g
        read = c
        if s is not None and s.c is not None:
            c = c * (s.c[t] != 0)  # a dropped cell forgets
            read = c * s.c[t]
        h = o * torch.tanh(read)
        outs.append(h if s is None or s.y is None else h * s.y[t])
    return torch.stack(outs), c


def _backward_without_masks(backward):
    """The hand-written BPTT with its mask terms removed (the forward still applies the masks)."""
    def broken(ctx, dhs, dcs):
        w_hh, h0, c0, _mh, _mg, _mc, *rest = ctx.saved_tensors
        shim = type("Ctx", (), {"saved_tensors": (w_hh, h0, c0, None, None, None, *rest),
                                "needs_input_grad": ctx.needs_input_grad})()
        return backward(shim, dhs, dcs)
    return broken


@claim(
    "rnn.no_dropout_matches_nn_lstm",
    "With dropout off, our hand-written LSTM cell loop computes exactly what torch.nn.LSTM computes "
    "(outputs, final state and every gradient), given the same weights; with every method's masks at p = 0.3 "
    "it computes what torch autograd computes through the same masked equations.",
    mutations=(
        Mutation("hand-written backward without its mask terms", "dropviz.layers.recurrent:_LSTMSequence.backward",
                 _backward_without_masks),
        Mutation("output mask not applied", "dropviz.layers.recurrent:lstm_forward",
                 lambda f: lambda x, w_ih, w_hh, bias, schedule=None, state=None: f(
                     x, w_ih, w_hh, bias, None if schedule is None else
                     masks.MaskSchedule(schedule.method, schedule.p, schedule.per_sequence, schedule.x, schedule.h,
                                        schedule.c, schedule.g, None), state)),
    ),
)
def no_dropout_matches_nn_lstm(
    *, quick: bool = False, p: float = 0.3, seed: int = 0, steps: int = 30, hidden: int = 16, device: str = "cpu"
) -> Measurement:
    """``p`` is the drop probability of the masked comparison (at p = 0 or 1 it uses 0.3: all-ones or all-zero
    masks would test nothing); p = 0 masks (all ones) of every method are checked against nn.LSTM too."""
    masks.check_p(p)
    p_masked = p if 0.0 < p < 1.0 else 0.3
    ref, ours, x = _lstm_pair(seed, steps, hidden, device)

    def outputs_and_grads(forward, params) -> list[torch.Tensor]:
        xi = x.clone().requires_grad_()
        h, c_n = forward(xi)
        grads = torch.autograd.grad(h.sin().sum() + c_n.cos().sum(), [xi, *params])
        return [t.detach() for t in (h, c_n, *grads)]

    def gap(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
        return max(float((u - v).abs().max()) for u, v in zip(a, b, strict=True))

    # h, c_n, then the gradients of x, W_ih, W_hh, b_ih (, b_hh): our bias b_ih + b_hh has the gradient of either
    expected = outputs_and_grads(lambda xi: (lambda h, state: (h, state[1][0]))(*ref(xi)), list(ref.parameters()))[:6]
    mine = [ours.weight_ih, ours.weight_hh, ours.bias]
    cases = [None] + [methods.schedule(m, steps, x.shape[1], 8, hidden, 0.0, tied=False, device=device, dtype=x.dtype)
                      for m in methods.schedules()]  # no masks, and all-ones (p = 0) masks of every method
    worst_plain = max(gap(outputs_and_grads(lambda xi, s=s: (lambda o: (o.h, o.c_n))(ours(xi, s)), mine), expected)
                      for s in cases)
    # real masks: every schedule (variational tied and untied) against autograd through the equations above
    g = masks.make_generator(seed + 1, device)
    masked = [methods.schedule(m, steps, x.shape[1], 8, hidden, p_masked, tied=tied, generator=g, device=device,
                               dtype=x.dtype)
              for m in methods.schedules() for tied in ((True, False) if m == "variational" else (True,))]
    worst_masked, dropped = 0.0, 0
    for s in masked:
        got = outputs_and_grads(lambda xi, s=s: (lambda o: (o.h, o.c_n))(ours(xi, s)), mine)
        want = outputs_and_grads(lambda xi, s=s: _reference_lstm(xi, *mine, s), mine)
        worst_masked = max(worst_masked, gap(got, want))
        dropped += sum(int((m == 0).sum()) for m in s.wires().values())
    worst = max(worst_plain, worst_masked)
    tol = 1e-9  # float64: ~1e-16 per operation, a few thousand operations deep
    return Measurement(
        worst <= tol and dropped > 0,
        worst,
        f"largest |ours − reference| over outputs, final cell state and the gradients of x, W, U and b, float64, "
        f"{steps} steps, hidden {hidden}: vs nn.LSTM without masks and with p = 0 masks of all "
        f"{len(methods.schedules())} methods {worst_plain:.2g}; vs autograd through the masked equations with "
        f"every method's masks at p = {p_masked:g} ({dropped:,} dropped values) {worst_masked:.2g}; allowed {tol:g}",
    )


def longest_lags(max_lag: int) -> np.ndarray:
    """The lags the memory claim averages over: the longest sixth (at least one), e.g. 26–30 of 30."""
    return np.arange(max_lag - max(1, math.ceil(max_lag / 6)) + 1, max_lag + 1)


def _ruled_out(cfg: ExperimentConfig) -> Measurement | None:
    """N/A answers that need no training: nothing dropped, everything dropped, or too few drops to erase."""
    if cfg.p == 0.0:
        return not_applicable("at p = 0 nothing is dropped: the four schedules train the same network")
    if cfg.p == 1.0:
        return not_applicable("at p = 1 every schedule drops everything: no network can learn the task")
    if "naive" not in cfg.methods or len(cfg.methods) < 2:
        return not_applicable("the experiment needs naive dropout and at least one other schedule")
    lag = int(longest_lags(cfg.max_lag)[0])
    survive = (1 - cfg.p) ** lag
    if cfg.hidden * survive >= 1.0:
        return not_applicable(
            f"at p = {cfg.p:g} a cell survives {lag} fresh masks with probability (1−p)^{lag} = {survive:.2g}, "
            f"so about {cfg.hidden * survive:.1f} of {cfg.hidden} units keep the symbol anyway: per-step masks "
            "need not erase the memory here (try a larger p or a longer lag)"
        )
    return None


def forgets(experiment: Experiment) -> Measurement:
    """The memory claim, measured on an experiment that has already been trained (the page's)."""
    cfg = experiment.config
    ruled_out = _ruled_out(cfg)
    if ruled_out is not None:
        return ruled_out
    lags = longest_lags(cfg.max_lag)
    acc = {m: float(experiment.accuracy(m)[-len(lags):].mean()) for m in cfg.methods}
    naive = acc.pop("naive")
    best_method = max(acc, key=acc.get)
    best = acc[best_method]
    if best < LEARNED:
        return not_applicable(
            f"no schedule learned the task at p = {cfg.p:g} (best: {best_method} {best:.2f} at lags "
            f"{lags[0]}–{lags[-1]}, below {LEARNED:g}): there is no memory to lose"
        )
    return Measurement(
        naive <= best - FORGET_MARGIN,
        naive,
        f"test accuracy (no dropout) at lags {lags[0]}–{lags[-1]} after {cfg.steps} training steps: naive "
        f"{naive:.2f} vs best other {best_method} {best:.2f}; passes if naive ≤ best − {FORGET_MARGIN:g} "
        f"(chance = 1/8); " + ", ".join(f"{m} {a:.2f}" for m, a in acc.items()),
    )


@claim(
    "rnn.naive_dropout_forgets",
    "A fresh mask at every step on an LSTM's state erases its memory: at the longest lags naive dropout "
    "recalls the symbol far less often than RNNDrop, recurrent or variational dropout at the same p.",
    mutations=(Mutation("naive's mask drawn once per sequence", "dropviz.masks.recurrent:naive_schedule",
                        lambda f: lambda *a, **k: masks.rnndrop_schedule(*a, **k)),),
)
def naive_dropout_forgets(
    *,
    quick: bool = False,
    p: float = ExperimentConfig.p,
    seed: int = 0,
    hidden: int = ExperimentConfig.hidden,
    max_lag: int = ExperimentConfig.max_lag,
    steps: int = ExperimentConfig.steps,
    tied: bool = True,
    device: str = "cpu",
) -> Measurement:
    """Trains the "does it remember?" page's experiment (``quick``: its smaller version)."""
    cfg = ExperimentConfig(p=masks.check_p(p), hidden=hidden, max_lag=max_lag, steps=steps, tied=tied, seed=seed,
                           device=device)
    cfg = cfg.quick() if quick else cfg
    return _ruled_out(cfg) or forgets(run_experiment(cfg))
