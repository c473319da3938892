"""Train small LSTMs on the long-memory recall task (:func:`dropviz.data.recall_task`) with each recurrent
dropout schedule and a no-dropout baseline, over several seeds, and measure accuracy against lag: at test time
(no dropout) and with the training masks on. No Streamlit, no globals: ``train(config)`` is a pure function of
its frozen config (same config, same device -> same numbers), so its result can be cached by it.

Schedules: naive (per-step state masking), Zaremba et al. 2014 https://arxiv.org/abs/1409.2329, RNNDrop (Moon et
al. 2015), Semeniuta et al. 2016 https://arxiv.org/abs/1603.05118, Gal & Ghahramani 2016
https://arxiv.org/abs/1512.05287 (see :mod:`dropviz.masks.recurrent`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from dropviz import data, layers, masks, methods
from dropviz._validate import make_generator
from dropviz.i18n import _
from dropviz.train import engine
from dropviz.train.engine import StepContext

# Bounds on every cost a page can ask for (a shared classroom server; dropviz.jobs bounds how many run at once).
LIMITS = {"hidden": (4, 128), "embed": (2, 64), "max_lag": (2, 60), "steps": (10, 1500), "batch": (8, 256)}


@dataclass(frozen=True)
class TrainConfig:
    """One small LSTM, one dropout schedule. Frozen and hashable: it is the cache key of its result."""

    method: str = "variational"  # a schedule from methods.schedules(), or "none" (no dropout)
    p: float = 0.5  # drop probability on every wire the method masks
    tied: bool = True  # variational only: one mask for all four gates (Gal's tied form) vs one per gate
    hidden: int = 32  # LSTM units: enough for 8 symbols, small enough for 2 CPU cores
    embed: int = 16  # embedding size, the LSTM's input x_t (variational dropout masks its dimensions)
    symbols: int = 8  # classes to remember; chance accuracy is 1/symbols
    distractors: int = 8  # filler tokens around the symbol
    max_lag: int = 30  # longest gap between the symbol and the answer; sequences are max_lag + 1 long
    steps: int = 300  # optimiser steps, each on a fresh batch (the task is generated, never repeated)
    batch: int = 64  # sequences per step
    lr: float = 0.01  # Adam learning rate (large: small net, few steps)
    clip: float = 1.0  # gradient-norm clip: LSTM gradients spike while the memory forms
    eval_per_lag: int = 96  # test sequences per lag (accuracy resolution ±1/√96 ≈ 0.05 per lag)
    seed: int = 0  # weights, batches and masks all come from this seed
    device: str = "cpu"  # where to train: "cpu", "cuda" or "mps"

    def __post_init__(self):
        if self.method not in (*methods.schedules(), "none"):
            raise ValueError(f"unknown method {self.method!r}; known: {', '.join(methods.schedules())}, none")
        masks.check_p(self.p)
        for name, (lo, hi) in LIMITS.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"{name} has to be a whole number from {lo} to {hi}, but got {v!r}")


@dataclass(frozen=True)
class History:
    config: TrainConfig
    loss: np.ndarray  # (steps,) training cross-entropy at every step
    lags: np.ndarray  # (max_lag,) 1 … max_lag
    accuracy: np.ndarray  # (max_lag,) test accuracy (no dropout) at each lag
    seconds: float  # wall time of the training loop
    accuracy_masked: np.ndarray  # (max_lag,) the same test set with the training masks on (= accuracy for "none")


class RecallNet(nn.Module):
    """Embedding -> one masked LSTM layer -> a linear read-out of the last hidden state."""

    def __init__(self, vocab: int, embed: int, hidden: int, classes: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.lstm = layers.MaskedLSTM(embed, hidden)
        self.readout = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor, schedule: masks.MaskSchedule | None = None) -> torch.Tensor:
        x = self.embedding(tokens)  # (T, B, E)
        return self.readout(self.lstm(x, schedule).h_n)  # (B, classes)


def _evaluate(model: RecallNet, cfg: TrainConfig, device: str) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy per lag on a fixed test set (its own seed, the same for every method and seed): dropout off, and
    with a fresh draw of the training masks (what the network faced while it learned)."""
    g = masks.make_generator(1_000_003)
    lags = torch.arange(1, cfg.max_lag + 1).repeat_interleave(cfg.eval_per_lag)
    test = data.recall_task(len(lags), cfg.max_lag, cfg.symbols, cfg.distractors, generator=g, lags=lags)
    tokens = test.tokens.to(device)
    sched = None
    if cfg.method != "none":
        sched = methods.schedule(cfg.method, cfg.max_lag + 1, len(lags), cfg.embed, cfg.hidden, cfg.p, tied=cfg.tied,
                                 generator=make_generator(cfg.seed + 2, device), device=device)
    out = []
    with torch.no_grad():
        for s in (None, sched):
            hit = (model(tokens, s).argmax(1).cpu() == test.target).double()
            out.append(hit.view(cfg.max_lag, cfg.eval_per_lag).mean(1).numpy())
    return out[0], out[1]


def train(config: TrainConfig, *, ctx: StepContext | None = None,
          on_step: Callable[[int, float], None] | None = None, threads: int | None = 1) -> History:
    """Train one RecallNet with ``config.method``'s masks (a fresh schedule every batch) and test it without
    dropout. Runs on :func:`dropviz.train.engine.fit`: ``ctx`` (a job's context) is checked before every step, so
    a Stop ends the training within one step, and receives the progress; ``on_step(step, loss)`` is called after
    every optimiser step too (tests, scripts). Never touches torch's global RNG: the weights come from
    :func:`~dropviz.train.engine.build_module` with a generator seeded by ``config.seed`` (the same weights
    ``torch.manual_seed(seed)`` would give), the batches and masks from their own generators.

    ``threads``: CPU threads while training (restored after; None leaves torch's setting alone). One is the
    fastest for these tiny matmuls, and a 2-thread pool on a busy 2-core machine stalls up to 10× when the
    other core is taken. The setting is process-wide, so a server runs one training at a time (dropviz.jobs)."""
    with engine.cpu_threads(threads if config.device == "cpu" else None):
        return _train(config, ctx, on_step)


def _train(config: TrainConfig, ctx: StepContext | None, on_step) -> History:
    cfg, device = config, config.device
    model = engine.build_module(lambda: RecallNet(cfg.symbols + cfg.distractors, cfg.embed, cfg.hidden, cfg.symbols),
                                engine.generator(cfg.seed), device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g_data = make_generator(cfg.seed)
    g_mask = make_generator(cfg.seed + 1, device)

    def step(i: int) -> float:
        batch = data.recall_task(cfg.batch, cfg.max_lag, cfg.symbols, cfg.distractors, generator=g_data)
        sched = None
        if cfg.method != "none":
            sched = methods.schedule(cfg.method, cfg.max_lag + 1, cfg.batch, cfg.embed, cfg.hidden, cfg.p,
                                     tied=cfg.tied, generator=g_mask, device=device)
        loss = F.cross_entropy(model(batch.tokens.to(device), sched), batch.target.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        value = loss.item()
        if on_step is not None:
            on_step(i + 1, value)
        return value

    t0 = time.perf_counter()
    losses = engine.fit(step, cfg.steps, ctx=ctx)
    seconds = time.perf_counter() - t0
    clean, masked = _evaluate(model.eval(), cfg, device)
    return History(cfg, losses, np.arange(1, cfg.max_lag + 1), clean, seconds, masked)


# -- the page's experiment: every method at the same p ------------------------------------------------


BASELINE = "none"  # the no-dropout control every experiment trains beside the schedules


@dataclass(frozen=True)
class ExperimentConfig:
    """The "does it remember?" experiment: the same task and budget for every method and a no-dropout baseline,
    at the same p, repeated over ``seeds`` seeds (weights, batches and masks; the test set is shared). Sized for a
    shared 2-core server: 6 models × 3 seeds × 200 steps of a 16-unit LSTM train in about 15-20 s."""

    p: float = 0.25  # drop probability, the same for every method (0.5 is so harsh naive learns nothing at all)
    hidden: int = 16  # LSTM units of every model (few enough that per-step state masks cannot be out-voted)
    max_lag: int = 20  # longest lag (sequence length - 1)
    steps: int = 200  # optimiser steps per model
    tied: bool = True  # variational: tied or untied gate masks
    seed: int = 0  # first seed; the runs use seed, seed + 1, … seed + seeds − 1
    device: str = "cpu"  # where to train
    methods: tuple[str, ...] = (BASELINE, *methods.schedules())  # what to train, in this order
    seeds: int = 3  # repeats per method: the spread shows what is signal and what is luck

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or not 1 <= self.seeds <= 8:
            raise ValueError(f"seeds has to be a whole number from 1 to 8, but got {self.seeds!r}")

    @property
    def schedules(self) -> tuple[str, ...]:
        """The dropout methods of the experiment, without the baseline."""
        return tuple(m for m in self.methods if m != BASELINE)

    def runs(self) -> tuple[TrainConfig, ...]:
        base = TrainConfig(p=self.p, hidden=self.hidden, max_lag=self.max_lag, steps=self.steps, tied=self.tied,
                           seed=self.seed, device=self.device)
        return tuple(replace(base, method=m, seed=self.seed + k) for m in self.methods for k in range(self.seeds))

    def quick(self) -> ExperimentConfig:
        """A smaller experiment with the same message, for tests and ``--quick`` claims."""
        return replace(self, hidden=min(self.hidden, 16), max_lag=min(self.max_lag, 12), steps=min(self.steps, 120),
                       seeds=min(self.seeds, 2))


@dataclass(frozen=True)
class Experiment:
    config: ExperimentConfig
    histories: tuple[History, ...]  # config.runs() order: per method, its seeds

    def runs_of(self, method: str) -> tuple[History, ...]:
        return tuple(h for h in self.histories if h.config.method == method)

    def accuracies(self, method: str, masked: bool = False) -> np.ndarray:
        """(seeds, max_lag): every seed's accuracy per lag (``masked``: with the training masks on)."""
        return np.stack([h.accuracy_masked if masked else h.accuracy for h in self.runs_of(method)])

    def accuracy(self, method: str, masked: bool = False) -> np.ndarray:
        """(max_lag,) the mean over seeds."""
        return self.accuracies(method, masked).mean(0)

    @property
    def lags(self) -> np.ndarray:
        return self.histories[0].lags


def run_experiment(config: ExperimentConfig, *, ctx: StepContext | None = None,
                   on_step: Callable[[int, int, str], None] | None = None, threads: int | None = 1) -> Experiment:
    """Train every method of ``config`` in turn. Progress (``ctx.report`` and ``on_step(done, total, method)``)
    counts steps over all runs; a cancel of ``ctx`` stops within one step of whichever run is training."""
    runs = config.runs()
    total = sum(r.steps for r in runs)
    histories, done = [], 0
    for r in runs:
        def report(step: int, _loss: float, r=r, before=done) -> None:
            if on_step is not None:
                on_step(before + step, total, r.method)

        label = _("{method} (seed {seed})").format(method=r.method, seed=r.seed)  # the progress line
        histories.append(train(r, ctx=engine.Within(ctx, done, total, label), on_step=report, threads=threads))
        done += r.steps
    return Experiment(config, tuple(histories))


@dataclass(frozen=True)
class TaskPreview:
    """A few sequences of the recall task, as the page shows them."""

    tokens: np.ndarray  # (n, T) token ids: symbols 0 … symbols-1, then distractors
    target: np.ndarray  # (n,) the symbol to recall
    lag: np.ndarray  # (n,) steps from the symbol to the last step
    symbols: int


def task_preview(max_lag: int = ExperimentConfig.max_lag, seed: int = 0, n: int = 4) -> TaskPreview:
    """``n`` seeded sequences of the task with lags spread from short to the longest."""
    cfg = TrainConfig(max_lag=max_lag)  # validates max_lag
    lags = torch.linspace(1, cfg.max_lag, n).round().long()
    b = data.recall_task(n, cfg.max_lag, cfg.symbols, cfg.distractors, generator=masks.make_generator(seed), lags=lags)
    return TaskPreview(b.tokens.t().numpy(), b.target.numpy(), b.lag.numpy(), cfg.symbols)
