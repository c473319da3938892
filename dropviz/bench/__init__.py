"""Speed, measured as ratios against a torch baseline in the same run: ``python -m dropviz.bench``.

Each line reads ``<id> <ratio>x <what vs what>``. Benchmarks print; tests never assert timings.
"""

from __future__ import annotations

from dropviz.bench import dense  # noqa: F401  (registers the dense benchmarks)
from dropviz.bench import rnn  # noqa: F401  (registers the recurrent benchmarks)
from dropviz.bench.core import BENCHMARKS, Benchmark, BenchResult, measure

__all__ = ["BENCHMARKS", "BenchResult", "Benchmark", "measure"]
