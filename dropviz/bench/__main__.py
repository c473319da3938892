"""``python -m dropviz.bench [--device D] [--repeats N] [--quick] [ID ...]``: one line per benchmark.

``python -m dropviz.bench load [...]``: the load benchmark (many sessions on every page of a running app;
minutes, so never part of the default run): see :mod:`dropviz.bench.load`."""

from __future__ import annotations

import argparse
import sys

from dropviz.bench import BENCHMARKS, measure
from dropviz.device import available_devices, default_device


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        from dropviz.bench import load

        return load.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m dropviz.bench", description=__doc__)
    parser.add_argument("ids", nargs="*", help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})")
    parser.add_argument("--device", default=default_device(), choices=available_devices())
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="small tensors, few repeats (a smoke test)")
    args = parser.parse_args(argv)
    unknown = [i for i in args.ids if i not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    repeats = 3 if args.quick else args.repeats
    for bench_id in args.ids or list(BENCHMARKS):
        result = measure(BENCHMARKS[bench_id], args.device, repeats=repeats, warmup=1 if args.quick else 3,
                         quick=args.quick)
        print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
