"""The codebase stays lint-clean, and the layering holds: nothing under dropviz/ but ui.py imports Streamlit
(a ruff banned-import rule, configured in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def _ruff() -> list[str]:
    if shutil.which("ruff"):
        return ["ruff"]
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    return [sys.executable, "-m", "ruff"]


def test_ruff_is_clean():
    out = subprocess.run([*_ruff(), "check", "--output-format", "concise", "."], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_streamlit_import_outside_ui_is_flagged(tmp_path):
    """The banned-import rule really fires (so the clean run above means something)."""
    bad = tmp_path / "dropviz_bad.py"
    bad.write_text("import streamlit as st\n")
    out = subprocess.run([*_ruff(), "check", "--config", f"{ROOT}/pyproject.toml", "--output-format", "concise",
                          str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "TID251" in out.stdout
