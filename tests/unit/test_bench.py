"""Tests of dropviz.bench."""

from __future__ import annotations

import re
import subprocess
import sys

from dropviz.bench import BENCHMARKS
from tests.conftest import ROOT

LINE = re.compile(r"^(?P<id>[a-z0-9_]+) (?P<ratio>\d+\.\d\d)x (?P<what>.+ vs .+)$")


def test_required_benchmarks_registered():
    assert {"standard", "gaussian", "spatial", "train_loop"} <= set(BENCHMARKS)


def test_cli_quick_prints_ratio_lines():
    out = subprocess.run([sys.executable, "-m", "dropviz.bench", "--quick", "--device", "cpu"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert [LINE.match(line)["id"] for line in lines] == list(BENCHMARKS), out.stdout
    assert all(float(LINE.match(line)["ratio"]) > 0 for line in lines)


def test_cli_rejects_unknown_id():
    out = subprocess.run([sys.executable, "-m", "dropviz.bench", "nope"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2 and "unknown benchmark" in out.stderr
