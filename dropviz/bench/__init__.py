"""Speed, measured as ratios against a torch baseline in the same run: ``python -m dropviz.bench``.

Each line reads ``<id> <ratio>x <what vs what>``. Benchmarks print; tests never assert timings.
"""

from __future__ import annotations

from dropviz.bench import conv, dense, recurrent, training  # noqa: F401  (register each family's benchmarks)
from dropviz.bench.core import BENCHMARKS, Benchmark, BenchResult, measure

__all__ = ["BENCHMARKS", "BenchResult", "Benchmark", "measure"]
