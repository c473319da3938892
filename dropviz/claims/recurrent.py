"""Claims made on the recurrent-layer pages (naive, RNNDrop, recurrent dropout, variational RNN dropout).

The structural claims are exact (a per-sequence mask is bit-for-bit the same at every step; with dropout off
our cell loop is nn.LSTM up to float64 rounding). The memory claim trains the page's experiment: four small
LSTMs, same task, same weights, same batches, same p, and compares accuracy at the longest lags.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from dropviz import layers, masks, methods
from dropviz.claims.core import Measurement, claim, not_applicable
from dropviz.train import Experiment, ExperimentConfig, engine, run_experiment

Z = 5.0  # standard errors allowed
FORGET_MARGIN = 0.25  # accuracy points naive must trail the best other schedule by (chance is 1/8)
LEARNED = 0.5  # the best other schedule must reach this at the longest lags, or nothing was learned to forget


@claim(
    "rnn.per_sequence_masks_constant",
    "RNNDrop and variational dropout reuse one mask for the whole sequence (identical at every step); "
    "naive and recurrent dropout draw a fresh mask at every step.",
)
def per_sequence_masks_constant(
    *, quick: bool = False, p: float = 0.5, seed: int = 0, steps: int = 30, hidden: int = 16, device: str = "cpu"
) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(f"at p = {p:g} every mask is all {'ones' if p == 0 else 'zeros'}: "
                              "per-step and per-sequence schedules are the same constant")
    batch = 16 if quick else 128
    g = masks.make_generator(seed, device)
    varying: dict[str, int] = {}  # method -> (sequence, unit) positions whose mask changes over time
    positions: dict[str, int] = {}
    for method in methods.schedules():
        for tied in ((True, False) if method == "variational" else (True,)):
            s = methods.schedule(method, steps, batch, 8, hidden, p, tied=tied, generator=g, device=device)
            for m in s.wires().values():
                changes = (m != m[:1]).any(0)  # (…, B, n): differs from step 0 at some step
                varying[method] = varying.get(method, 0) + int(changes.sum())
                positions[method] = positions.get(method, 0) + changes.numel()
    q = 1.0 - p
    same = q**steps + p**steps  # a per-step position stays constant only if all its T draws agree
    fresh = varying["naive"] + varying["semeniuta"]
    n = positions["naive"] + positions["semeniuta"]
    p_value = _binomial_two_sided(n - fresh, n, same)
    constant = varying["rnndrop"] == 0 and varying["variational"] == 0
    return Measurement(
        constant and p_value >= ALPHA,
        fresh / n,
        f"over {steps} steps × {batch} sequences: RNNDrop and variational (tied and untied) masks change at "
        f"{varying['rnndrop'] + varying['variational']} positions (must be 0); naive/recurrent masks change at "
        f"{fresh:,} of {n:,} positions vs 1 − (1−p)^T − p^T = {1 - same:.4g} expected; exact binomial test "
        f"p-value {p_value:.2g} (fails below {ALPHA:.1g}, the 5σ level)",
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


@claim(
    "rnn.no_dropout_matches_nn_lstm",
    "With dropout off, our hand-written LSTM cell loop computes exactly what torch.nn.LSTM computes "
    "(outputs, final state and every gradient), given the same weights.",
)
def no_dropout_matches_nn_lstm(
    *, quick: bool = False, p: float = 0.5, seed: int = 0, steps: int = 30, hidden: int = 16, device: str = "cpu"
) -> Measurement:
    """``p`` is the training drop probability: at test time no mask is drawn whatever it was. p = 0 masks
    (all ones) are checked too, for every method."""
    masks.check_p(p)
    ref, ours, x = _lstm_pair(seed, steps, hidden, device)

    def outputs_and_grads(module: nn.Module, forward) -> list[torch.Tensor]:
        xi = x.clone().requires_grad_()
        h, c_n = forward(xi)
        grads = torch.autograd.grad(h.sin().sum() + c_n.cos().sum(), [xi, *module.parameters()])
        return [t.detach() for t in (h, c_n, *grads)]

    # h, c_n, then the gradients of x, W_ih, W_hh, b_ih (, b_hh): our bias b_ih + b_hh has the gradient of either
    expected = outputs_and_grads(ref, lambda xi: (lambda h, state: (h, state[1][0]))(*ref(xi)))[:6]
    cases = [None] + [methods.schedule(m, steps, x.shape[1], 8, hidden, 0.0, tied=False, device=device, dtype=x.dtype)
                      for m in methods.schedules()]  # no masks, and all-ones (p = 0) masks of every method
    gaps = []
    for sched in cases:
        got = outputs_and_grads(ours, lambda xi, s=sched: (lambda o: (o.h, o.c_n))(ours(xi, s)))
        gaps.append(max(float((a - b).abs().max()) for a, b in zip(got, expected, strict=True)))
    worst = max(gaps)
    tol = 1e-9  # float64: ~1e-16 per operation, a few thousand operations deep
    return Measurement(
        worst <= tol,
        worst,
        f"largest |ours − nn.LSTM| over outputs, final cell state and the gradients of x, W, U and b, float64, "
        f"{steps} steps, hidden {hidden}, without masks and with p = 0 masks of all {len(methods.schedules())} "
        f"methods; allowed {tol:g}",
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
