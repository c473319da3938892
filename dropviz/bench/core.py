"""Benchmark registry and timing: our op vs the closest torch built-in, same tensor, same run."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from dropviz import masks

Step = Callable[[], None]  # one forward + backward pass, everything prepared
SHAPE = (64, 256, 32, 32)  # (B, C, H, W): every comparison runs on a tensor of this shape
QUICK_SHAPE = (8, 32, 16, 16)  # --quick: a smoke test
P = 0.5


def inputs(device: str, quick: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Generator]:
    """The seeded input (requires grad), the upstream gradient, and a generator for our masks."""
    g = masks.make_generator(0, device)
    shape = QUICK_SHAPE if quick else SHAPE
    x = torch.randn(shape, device=device, generator=g).requires_grad_()
    return x, torch.ones(shape, device=device), g


@dataclass(frozen=True)
class Pair:
    ours: Step
    baseline: Step
    what: str  # "<our op> vs <baseline> on <shape>"


@dataclass(frozen=True)
class Benchmark:
    id: str
    make: Callable[[str, bool], Pair]  # (device, quick) -> prepared pair


@dataclass(frozen=True)
class BenchResult:
    id: str
    ratio: float
    ours_s: float
    baseline_s: float
    what: str
    device: str
    repeats: int

    def line(self) -> str:
        """The stable CLI line: ``<id> <ratio>x <what vs what>``."""
        return (
            f"{self.id} {self.ratio:.2f}x {self.what} [{self.device}, median of {self.repeats}: "
            f"ours {self.ours_s * 1e3:.2f} ms, baseline {self.baseline_s * 1e3:.2f} ms]"
        )


BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(bench_id: str):
    def register(make: Callable[[str, bool], Pair]) -> Callable[[str, bool], Pair]:
        if bench_id in BENCHMARKS:
            raise ValueError(f"duplicate benchmark id {bench_id!r}")
        BENCHMARKS[bench_id] = Benchmark(bench_id, make)
        return make

    return register


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def _time(step: Step, device: str) -> float:
    _sync(device)
    t0 = time.perf_counter()
    step()
    _sync(device)
    return time.perf_counter() - t0


def measure(bench: Benchmark, device: str, *, repeats: int = 15, warmup: int = 3, quick: bool = False) -> BenchResult:
    """Median time of ours and of the baseline, interleaved (ours, base, ours, base, …) so drift in the
    machine's speed hits both alike."""
    pair = bench.make(device, quick)
    for _ in range(warmup):
        pair.ours()
        pair.baseline()
    ours, base = [], []
    for _ in range(repeats):
        ours.append(_time(pair.ours, device))
        base.append(_time(pair.baseline, device))
    o, b = statistics.median(ours), statistics.median(base)
    return BenchResult(bench.id, o / b, o, b, pair.what, device, repeats)


def fwd_bwd(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, grad: torch.Tensor) -> Step:
    """A step that runs ``f`` forward on ``x`` (requires grad) and backward with ``grad``."""

    def step() -> None:
        x.grad = None
        f(x).backward(grad)

    return step
