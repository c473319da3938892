"""Shared fixtures. Test levels: unit (default) → ``-m app`` (AppTest per page) → ``-m e2e`` (Chromium)."""

from __future__ import annotations

import os

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def gen():
    """A fresh CPU generator with a fixed seed (a test that wants another seed makes its own)."""
    g = torch.Generator()
    g.manual_seed(1234)
    return g


def binomial_ok(kept: int, n: int, q: float, z: float = 5.0) -> bool:
    """``kept`` successes out of ``n`` are within ``z`` standard deviations of Binomial(n, q)."""
    return abs(kept - n * q) <= z * (n * q * (1 - q)) ** 0.5 + 1e-9


@pytest.fixture
def fresh_caches():
    """Patched math must not meet results memoised before the patch (or leak them after it)."""
    from dropviz import dense

    dense.clear_caches()
    yield
    dense.clear_caches()


@pytest.fixture(autouse=True)
def navigation_like_a_running_server(request, monkeypatch):
    """AppTest resets Streamlit's "legacy pages/ runner" flag before *every* run, as if each run were the first
    of a fresh server. A real server clears it for good on its first run (``ui.app_shell``), so every later
    run, button clicks included, goes straight through app.py. Tests get that steady state; a test marked
    ``fresh_server`` keeps AppTest's behaviour to exercise the first-run path itself."""
    if request.node.get_closest_marker("fresh_server"):
        return
    from streamlit.runtime.pages_manager import PagesManager

    init = PagesManager.__init__

    def steady_state_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", steady_state_init)
