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
from dropviz.claims.core import Measurement, Mutation, Phrase, claim, not_applicable
from dropviz.i18n import N_
from dropviz.train import Experiment, ExperimentConfig, TrainConfig, engine, run_experiment
from dropviz.train.recall import BASELINE

Z = 5.0  # standard errors allowed
LEARNED = 0.5  # the baseline must reach this at the longest lags, or nothing was learned to forget


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
    N_("RNNDrop and variational dropout reuse one mask for the whole sequence (identical at every step); "
       "naive, Zaremba and recurrent dropout draw a fresh, independent mask at every step."),
    mutations=(
        Mutation("per-sequence mask redrawn every 10 steps", "dropviz.masks.recurrent:per_sequence_mask",
                 _redrawn_every(10)),
        Mutation("per-step mask redrawn only every 10 steps", "dropviz.masks.recurrent:per_step_mask",
                 _redrawn_every(10)),
        Mutation("per-step mask redrawn every 2 steps", "dropviz.masks.recurrent:per_step_mask", _redrawn_every(2)),
    ),
    measures=N_("fraction of the per-step masks' positions that change during the sequence"))
def per_sequence_masks_constant(
    *, quick: bool = False, p: float = 0.3, seed: int = 0, steps: int = 30, hidden: int = 16, device: str = "cpu"
) -> Measurement:
    p = masks.check_p(p)
    if p in (0.0, 1.0):
        return not_applicable(
            N_("at p = 0 every mask is all ones: per-step and per-sequence schedules are the same constant")
            if p == 0 else
            N_("at p = 1 every mask is all zeros: per-step and per-sequence schedules are the same constant"))
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
        Phrase(N_("over {steps} steps × {batch} sequences: per-sequence masks ({per_sequence}; variational tied "
                  "and untied) change at {const_changes} positions (must be 0); per-step masks ({per_step}) "
                  "change at {fresh:,} of {n:,} positions vs 1 − (1−p)^T − p^T = {changed:.4g} expected (exact "
                  "binomial test p-value {p_value:.2g}, fails below {ALPHA:.1g}, the 5σ level) and flip between "
                  "consecutive steps at {flip_rate:.4f} vs 2p(1−p) = {flip_theory:.4f} ± {flip_tol:.2g}"),
               steps=steps, batch=batch, per_sequence=', '.join(sorted(set(per_seq))), const_changes=const_changes,
               per_step=', '.join(per_step), fresh=fresh, n=n, changed=1 - same, p_value=p_value, ALPHA=ALPHA,
               flip_rate=flip_rate, flip_theory=flip_theory, flip_tol=flip_tol),
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
    N_("With dropout off, our hand-written LSTM cell loop computes exactly what torch.nn.LSTM computes "
       "(outputs, final state and every gradient), given the same weights; with every method's masks at p = 0.3 "
       "it computes what torch autograd computes through the same masked equations."),
    mutations=(
        Mutation("hand-written backward without its mask terms", "dropviz.layers.recurrent:_LSTMSequence.backward",
                 _backward_without_masks),
        Mutation("output mask not applied", "dropviz.layers.recurrent:lstm_forward",
                 lambda f: lambda x, w_ih, w_hh, bias, schedule=None, state=None: f(
                     x, w_ih, w_hh, bias, None if schedule is None else
                     masks.MaskSchedule(schedule.method, schedule.p, schedule.per_sequence, schedule.x, schedule.h,
                                        schedule.c, schedule.g, None), state)),
    ),
    measures=N_("largest difference from the reference LSTM"))
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
        Phrase(N_("largest |ours − reference| over outputs, final cell state and the gradients of x, W, U and b, "
                  "float64, {steps} steps, hidden {hidden}: vs nn.LSTM without masks and with p = 0 masks of all "
                  "{n_schedules} methods {worst_plain:.2g}; vs autograd through the masked equations with every "
                  "method's masks at p = {p_masked:g} ({dropped:,} dropped values) {worst_masked:.2g}; allowed "
                  "{tol:g}"),
               steps=steps, hidden=hidden, n_schedules=len(methods.schedules()), worst_plain=worst_plain,
               p_masked=p_masked, dropped=dropped, worst_masked=worst_masked, tol=tol),
    )


def longest_lags(max_lag: int) -> np.ndarray:
    """The lags the memory claim averages over: the longest sixth (at least one), e.g. 26–30 of 30."""
    return np.arange(max_lag - max(1, math.ceil(max_lag / 6)) + 1, max_lag + 1)


def _ruled_out(cfg: ExperimentConfig) -> Measurement | None:
    """N/A answers that need no training: nothing dropped, everything dropped, or too few drops to erase."""
    if cfg.p == 0.0:
        return not_applicable(N_("at p = 0 nothing is dropped: every schedule trains the baseline's network"))
    if cfg.p == 1.0:
        return not_applicable(N_("at p = 1 every schedule drops everything: no network can learn the task"))
    if "naive" not in cfg.methods or len(cfg.methods) < 2:
        return not_applicable(N_("the experiment needs naive dropout and at least one other schedule"))
    lag = int(longest_lags(cfg.max_lag)[0])
    survive = (1 - cfg.p) ** lag
    if cfg.hidden * survive >= 1.0:
        return not_applicable(
            Phrase(N_("at p = {p:g} a cell survives {lag} fresh masks with probability (1−p)^{lag} = "
                      "{survive:.2g}, so about {n_survive:.1f} of {hidden} units keep the symbol anyway: "
                      "per-step masks need not erase the memory here (try a larger p or a longer lag)"),
                   p=cfg.p, lag=lag, survive=survive, n_survive=cfg.hidden * survive, hidden=cfg.hidden)
        )
    return None


def short_lags(max_lag: int) -> np.ndarray:
    """The short-lag control: lags 1–3 (fewer on a very short task), where a memory has had little time to fade."""
    return np.arange(1, min(3, max(1, max_lag // 4)) + 1)


def _fall(experiment: Experiment, method: str, masked: bool) -> tuple[float, float, float, np.ndarray]:
    """(short-lag accuracy, long-lag accuracy, standard error of their difference, per-seed falls) of a method,
    pooled over seeds. Each accuracy is a proportion of n test sequences, so its binomial SE is sqrt(a(1−a)/n)."""
    cfg = experiment.config
    acc = experiment.accuracies(method, masked)  # (seeds, max_lag)
    short, long_ = short_lags(cfg.max_lag) - 1, longest_lags(cfg.max_lag) - 1
    per_lag = TrainConfig.eval_per_lag
    a_s, a_l = float(acc[:, short].mean()), float(acc[:, long_].mean())
    n_s, n_l = acc.shape[0] * len(short) * per_lag, acc.shape[0] * len(long_) * per_lag
    se = math.sqrt(a_s * (1 - a_s) / n_s + a_l * (1 - a_l) / n_l)
    return a_s, a_l, se, acc[:, short].mean(1) - acc[:, long_].mean(1)


def forgets(experiment: Experiment) -> Measurement:
    """The memory claim, measured on an experiment that has already been trained (the page's): with its training
    masks on, naive dropout's recall falls from the short-lag control to the longest lags, by more than 5 standard
    errors beyond the no-dropout baseline's fall and by more than every memory-keeping schedule's; and it did learn
    (its short-lag recall is well above chance), so the fall is forgetting, not failing to learn."""
    cfg = experiment.config
    ruled_out = _ruled_out(cfg)
    if ruled_out is not None:
        return ruled_out
    if BASELINE not in cfg.methods:
        return not_applicable(N_("the experiment needs the no-dropout baseline as its control"))
    chance = 1.0 / TrainConfig.symbols
    short, lags = short_lags(cfg.max_lag), longest_lags(cfg.max_lag)
    b_s, b_l, b_se, _ = _fall(experiment, BASELINE, False)
    if b_l < LEARNED:
        return not_applicable(Phrase(N_("the no-dropout baseline did not learn the task ({b_l:.2f} at lags "
                                        "{lag_from}–{lag_to}, below {LEARNED:g}): there is no memory to lose"),
                                     b_l=b_l, lag_from=lags[0], lag_to=lags[-1], LEARNED=LEARNED))
    n_s, n_l, n_se, per_seed = _fall(experiment, "naive", True)
    learned = n_s - chance > Z * math.sqrt(chance * (1 - chance) / (len(short) * TrainConfig.eval_per_lag * cfg.seeds))
    if not learned:
        return not_applicable(Phrase(N_("naive dropout did not learn even the short lags ({n_s:.2f} at lags "
                                        "{short_from}–{short_to} with its masks on, chance {chance:.2f}): "
                                        "forgetting cannot be told from failing to learn"),
                                     n_s=n_s, short_from=short[0], short_to=short[-1], chance=chance))
    others = {m: _fall(experiment, m, True) for m in cfg.schedules if m != "naive"}
    worst_other = max(others, key=lambda m: others[m][0] - others[m][1]) if others else None
    other_fall = others[worst_other][0] - others[worst_other][1] if others else 0.0
    fall, b_fall = n_s - n_l, b_s - b_l
    z = (fall - b_fall) / math.sqrt(n_se**2 + b_se**2)
    spread = Phrase(N_("per seed {falls}"),
                    falls=Phrase.joined(", ", (Phrase("{f:+.2f}", f=f) for f in per_seed)))
    other = (Phrase("{worst_other} {other_fall:+.2f}", worst_other=worst_other, other_fall=other_fall) if others
             else Phrase(N_("none")))
    return Measurement(
        z >= Z and fall > other_fall,
        fall,
        Phrase(N_("{seeds} seeds, {steps} steps, p = {p:g}, masks on: naive recall {n_s:.2f} at lags "
                  "{short_from}–{short_to} → {n_l:.2f} at lags {lag_from}–{lag_to}, a fall of {fall:.2f} "
                  "({spread}); the no-dropout baseline falls {b_fall:+.2f} ({b_s:.2f} → {b_l:.2f}): {z:.1f} standard "
                  "errors apart (needs {Z:g}); largest fall of the other schedules {other} (naive's must be "
                  "larger); chance {chance:.3f}. Measured value: naive's fall"),
               seeds=cfg.seeds, steps=cfg.steps, p=cfg.p, n_s=n_s, short_from=short[0], short_to=short[-1], n_l=n_l,
               lag_from=lags[0], lag_to=lags[-1], fall=fall, spread=spread, b_fall=b_fall, b_s=b_s, b_l=b_l, z=z,
               Z=Z, other=other, chance=chance),
    )


@claim(
    "rnn.naive_dropout_forgets",
    N_("A fresh mask at every step on an LSTM's state makes it forget: with its training masks on, naive dropout's "
       "recall falls from short lags to the longest lags, far beyond the no-dropout baseline's and further than any "
       "memory-keeping schedule's (Zaremba, RNNDrop, recurrent, variational), although at short lags it has learned "
       "the task."),
    mutations=(Mutation("naive's mask drawn once per sequence", "dropviz.masks.recurrent:naive_schedule",
                        lambda f: lambda *a, **k: masks.rnndrop_schedule(*a, **k)),),
    measures=N_("how much naive dropout's recall falls from short to long lags (masks on)"))
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
