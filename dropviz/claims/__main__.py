"""``python -m dropviz.claims [--quick] [ID_PREFIX ...]``: one line per claim, exit 1 if any fails."""

from __future__ import annotations

import argparse
import sys

from dropviz.claims import CLAIMS, run_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dropviz.claims", description=__doc__)
    parser.add_argument("prefixes", nargs="*", help="only claims whose id starts with one of these")
    parser.add_argument("--quick", action="store_true", help="smaller samples (seconds, for tests)")
    args = parser.parse_args(argv)
    unknown = [p for p in args.prefixes if not any(c.startswith(p) for c in CLAIMS)]
    if unknown:
        parser.error(f"no claim id starts with {', '.join(unknown)}")
    failed = 0
    for result in run_all(quick=args.quick, prefixes=tuple(args.prefixes)):
        print(result.line(), flush=True)
        failed += result.status == "FAIL"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
