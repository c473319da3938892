"""A step-wise, cancellable training loop, and the seeding helpers that go with it.

Why this exists: DropViz runs on a shared classroom server, where many sessions train small models in one
process. Two things follow.

* **Never touch torch's global RNG.** It is process-wide: one session calling ``torch.manual_seed`` reseeds
  every other session's draws mid-training, and two sessions interleaving draws from it both become
  irreproducible. Everything random here comes from an explicit :func:`generator`: :func:`build_module`
  constructs a model without any draw and fills its weights from one (:func:`init_module_`).
  :func:`seeded_init` exists for code that must build modules the stock way, and restores the global state
  afterwards (but see its caveat).
* **A training must be stoppable.** :func:`fit` checks its context before every optimiser step, so a Stop
  button (or the job queue, when the last session watching a job leaves) ends a training within one step
  -- milliseconds for our models -- instead of after the whole budget.

The engine knows nothing about models, data or Streamlit: ``step_fn(i)`` does one optimiser step and returns
its loss. Imports: the standard library, numpy and torch only, so it works wherever the package puts it.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, TypeVar

import numpy as np
import torch
from torch import nn


def N_(message: str) -> str:
    """Marks a message for ``python -m dropviz.i18n`` extraction (the engine imports nothing of dropviz)."""
    return message


STEP_TEXT = N_("minibatch loss {loss}")  # the progress line of :func:`fit` (the page shows the step counts itself)
# Translates the progress line: identity here; dropviz.i18n.gettext is installed by the job wrapper (in-process and
# RQ workers alike) when it runs a job, in its submitter's language: dropviz.i18n.InLanguage.
gettext: Callable[[str], str] = str


M = TypeVar("M", bound=nn.Module)

__all__ = [
    "Cancelled",
    "Context",
    "Progress",
    "StepContext",
    "build_module",
    "cpu_threads",
    "fit",
    "generator",
    "init_module_",
    "seeded_init",
]


class Cancelled(Exception):
    """Raised by :meth:`Context.check` (so by :func:`fit`) once a stop was requested."""


@dataclass(frozen=True)
class Progress:
    """Where a training is: ``step`` of ``total`` optimiser steps done, the latest loss, a free-text line."""

    step: int
    total: int
    loss: float
    text: str = ""


class StepContext(Protocol):
    """What :func:`fit` needs from a context (duck-typed: :class:`Context` here, ``dropviz.jobs.JobContext``
    in the job queue, or a test's stub).

    ``check()`` raises (any exception) to stop the training; ``report(done, total, text)`` receives progress.
    A context may also have ``report_progress(progress: Progress)``; :func:`fit` then calls that instead, so a
    sink that wants the loss as a number gets it.
    """

    def check(self) -> None: ...

    def report(self, done: int, total: int, text: str = "") -> None: ...


class Context:
    """What a running training sees: a place to report progress to and a way to learn it should stop.

    ``on_progress(progress)`` is called with a :class:`Progress` for every report (from the training's thread:
    keep it cheap and thread-safe). ``cancel_event`` is set by whoever wants the training stopped, from any
    thread; :meth:`check` then raises :class:`Cancelled`.
    """

    def __init__(self, on_progress: Callable[[Progress], None] | None = None,
                 cancel_event: threading.Event | None = None):
        self.on_progress = on_progress
        self.cancel_event = cancel_event if cancel_event is not None else threading.Event()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        """Ask the training to stop (it does at its next :meth:`check`)."""
        self.cancel_event.set()

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise Cancelled("training cancelled")

    def report(self, done: int, total: int, text: str = "") -> None:
        """The duck-typed form shared with the job queue's context (no loss: it is reported as NaN)."""
        self.report_progress(Progress(int(done), int(total), math.nan, text))

    def report_progress(self, progress: Progress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)


def fit(step_fn: Callable[[int], float], steps: int, *, ctx: StepContext | None = None, every: int = 1) -> np.ndarray:
    """Call ``loss = step_fn(i)`` for ``i`` in ``range(steps)``; return the losses, float64 of shape (steps,).

    ``step_fn`` does one optimiser step and returns its loss (a float, or a 0-d tensor: ``float()`` is taken).
    ``ctx.check()`` runs *before* every step, so a stop is honoured within one step; whatever it raises
    (:class:`Cancelled` for a :class:`Context`) propagates. Progress goes to ``ctx`` after a step at most once
    every ``every`` steps, and always after the last: ``step`` counts steps done (1 … steps).
    """
    steps, every = int(steps), int(every)
    if steps < 0:
        raise ValueError(f"steps has to be >= 0, but got {steps}")
    if every < 1:
        raise ValueError(f"every has to be >= 1, but got {every}")
    report = None
    if ctx is not None:
        sink = getattr(ctx, "report_progress", None)
        report = sink if callable(sink) else (lambda p: ctx.report(p.step, p.total, p.text))
    losses = np.empty(steps, dtype=np.float64)  # (steps,)
    for i in range(steps):
        if ctx is not None:
            ctx.check()
        losses[i] = float(step_fn(i))
        done = i + 1
        if report is not None and (done % every == 0 or done == steps):
            report(Progress(done, steps, float(losses[i]), gettext(STEP_TEXT).format(
                done=done, steps=steps, loss=f"{losses[i]:.4g}")))
    return losses


# -- seeding without the global RNG --------------------------------------------------------------------


def generator(seed: int, device: str | torch.device = "cpu") -> torch.Generator:
    """A fresh ``torch.Generator`` on ``device``, seeded with ``seed``: the only kind of randomness a shared
    server should use (pass it as ``generator=`` to every draw)."""
    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g


@contextmanager
def seeded_init(seed: int) -> Iterator[None]:
    """Build ``nn.Module``s inside the block reproducibly: their default initialisation draws from torch's
    global CPU generator, which is seeded with ``seed`` here and put back as it was on exit.

    Build on the CPU (the default) and move the module afterwards: modules created with ``device="cuda"`` draw
    from that device's generator, which is neither seeded nor restored here.

    Caveat on a multi-threaded server: between entering and leaving, the global generator *is* seeded for every
    thread, so another thread drawing from it meanwhile both gets these numbers and shifts ours. Prefer
    :func:`build_module`, which never touches it.
    """
    # devices=[]: save and restore only the CPU generator (forking every CUDA device is slow and needless).
    # default_generator.manual_seed, not torch.manual_seed: the latter also reseeds every CUDA/MPS/XPU
    # generator, which this fork_rng would then leave reseeded for the rest of the process.
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(int(seed))
        yield


_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.RMSNorm)
_RECURRENT_PREFIXES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _fan_in(t: torch.Tensor) -> int:
    """torch's fan_in of a weight: input features × receptive field, i.e. size(1) · prod(size(2:))."""
    return t.shape[1] * math.prod(t.shape[2:]) if t.dim() >= 2 else t.numel()


def _uniform_(p: torch.Tensor, bound: float, g: torch.Generator) -> None:
    # Draw on the generator's device, then copy: the values depend only on the generator, not on where the
    # module lives (a CPU generator gives a CUDA model the same weights as a CPU one).
    p.copy_(torch.empty(p.shape, dtype=p.dtype, device=g.device).uniform_(-bound, bound, generator=g))


def _normal_(p: torch.Tensor, g: torch.Generator) -> None:
    p.copy_(torch.empty(p.shape, dtype=p.dtype, device=g.device).normal_(generator=g))


def init_module_(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """Redraw every parameter of ``module`` (and its submodules) in place from ``generator``, with the
    distributions PyTorch's default initialisation uses; return ``module``.

    Unlike :func:`seeded_init`, this never reads or writes torch's global RNG, so it is safe on a server
    where other threads are drawing. Draws happen in ``module.modules()`` order, each module's own parameters
    in registration order -- the order in which construction draws them -- so for the kinds below the result
    equals constructing the same modules after ``torch.manual_seed(seed)`` (with a CPU generator).

    * ``nn.Linear``, ``nn.Conv*`` (and any module not listed here): weight ~ U(-1/√fan_in, 1/√fan_in), which
      is torch's kaiming-uniform with a=√5; bias ~ U(-1/√fan_in, 1/√fan_in) with the weight's fan_in
      (fan_in = size(1) · receptive field). For an unknown module this is a fallback, not necessarily its own
      default: every parameter is treated alike, a 1-d one using the module's ``weight``'s fan_in if it has a
      ≥2-d weight and else its own length.
    * ``nn.Embedding``: weight ~ N(0, 1), the ``padding_idx`` row zeroed.
    * Recurrent modules -- ``nn.LSTM``/``GRU``/``RNN`` and their cells, and any module with a parameter whose
      name starts with ``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh`` (a hand-written LSTM such as
      ``dropviz.rnn.MaskedLSTM``, whose parameters are ``weight_ih``, ``weight_hh`` and ``bias``): *every*
      parameter of that module ~ U(-1/√hidden, 1/√hidden), hidden = ``module.hidden_size`` if it has one,
      else ``weight_hh.shape[1]``.
    * Norm layers (BatchNorm, LayerNorm, GroupNorm, RMSNorm): weight = 1, bias = 0 (torch's default; no draw).
    """
    with torch.no_grad():
        for m in module.modules():
            own = dict(m.named_parameters(recurse=False))
            if not own:
                continue
            if isinstance(m, nn.Embedding):
                _normal_(m.weight, generator)
                if m.padding_idx is not None:
                    m.weight[m.padding_idx].fill_(0)
                continue
            if isinstance(m, _NORMS):
                for name, p in own.items():
                    p.fill_(1.0 if name == "weight" else 0.0)
                continue
            if isinstance(m, (nn.RNNBase, nn.RNNCellBase)) or any(n.startswith(_RECURRENT_PREFIXES) for n in own):
                hidden = getattr(m, "hidden_size", None)
                if not isinstance(hidden, int):
                    hh = [p for n, p in own.items() if n.startswith("weight_hh")]
                    if not hh:
                        raise ValueError(f"{type(m).__name__} looks recurrent but has no weight_hh* parameter to "
                                         "read its hidden size from")
                    hidden = hh[0].shape[1]
                bound = 1.0 / math.sqrt(hidden) if hidden > 0 else 0
                for p in own.values():
                    _uniform_(p, bound, generator)
                continue
            # Linear, Conv*, and the fallback for anything else.
            weight = own.get("weight")
            module_fan_in = _fan_in(weight) if weight is not None and weight.dim() >= 2 else None
            for p in own.values():
                if p.numel() == 0:
                    continue
                if p.dim() >= 2:
                    # kaiming_uniform_(a=√5) exactly as torch computes it: gain √(2/(1+a²)), bound √3·gain/√fan_in
                    # (= 1/√fan_in up to rounding; computed alike so the draws match torch's bit for bit).
                    a = math.sqrt(5)
                    bound = math.sqrt(3.0) * (math.sqrt(2.0 / (1 + a**2)) / math.sqrt(_fan_in(p)))
                else:
                    fan_in = module_fan_in if module_fan_in is not None else p.numel()
                    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                _uniform_(p, bound, generator)
    return module


def build_module(make: Callable[[], M], generator: torch.Generator, device: str | torch.device = "cpu") -> M:
    """``make()`` a module without touching torch's global RNG, on ``device``, its weights drawn from
    ``generator`` by :func:`init_module_`; e.g. ``build_module(lambda: Net(8, 32), generator(seed))``.

    Plain construction draws the default initialisation from the global generator (and :func:`init_module_`
    afterwards would only redraw it). Here ``make()`` runs under ``torch.device("meta")`` -- a thread-local
    default device on which tensors have no data, so nothing is drawn -- and the module is then given real,
    uninitialised storage on ``device`` and filled from ``generator``. Norm layers' running statistics are
    reset; any other buffer would be left as garbage, so a module that has one is refused (build it inside
    :func:`seeded_init` instead). ``make`` must create its tensors with factory functions (the usual way).
    """
    with torch.device("meta"):
        module = make()
    for m in module.modules():
        own = [n for n, b in m.named_buffers(recurse=False) if b is not None]
        if own and not isinstance(m, nn.modules.batchnorm._NormBase):
            raise ValueError(f"build_module cannot restore the buffers {own} of {type(m).__name__}; build it "
                             "inside seeded_init() instead")
    module = module.to_empty(device=device)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._NormBase):
            m.reset_running_stats()  # mean 0, var 1, count 0 (a no-op without running stats)
    return init_module_(module, generator)


@contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` intra-op CPU threads, restoring the previous count after (None: leave it).

    ``torch.set_num_threads`` is process-wide, so two trainings in different threads asking for different
    counts would fight over it. That is one reason the job queue (``dropviz.jobs.InProcessQueue``) runs one
    CPU training at a time by default (``max_running=1``). One thread is also the fastest for tiny matmuls.
    """
    if n is None:
        yield
        return
    if int(n) < 1:
        raise ValueError(f"n has to be >= 1 (or None), but got {n}")
    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class Within:
    """One run's view of a whole experiment's context: its steps counted after the ``before`` steps of the runs
    before it, out of the experiment's ``total``, labelled with the run (``"naive · loss 0.52"``). Cancels pass
    through."""

    def __init__(self, ctx: StepContext | None, before: int, total: int, label: str):
        self.ctx, self.before, self.total, self.label = ctx, before, total, label

    def check(self) -> None:
        if self.ctx is not None:
            self.ctx.check()

    def report(self, done: int, total: int, text: str = "") -> None:
        if self.ctx is not None:
            self.ctx.report(self.before + done, self.total, f"{self.label} · {text}" if text else self.label)
