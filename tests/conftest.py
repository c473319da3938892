"""Shared fixtures. Test levels: unit (default) → ``-m app`` (AppTest per page) → ``-m e2e`` (Chromium)."""

from __future__ import annotations

import os

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The suite runs the default, in-process training queue with the default budget whatever the shell exports (a
# Redis URL without workers would leave every AppTest training waiting); the scale-out tests set their own.
for _setting in ("DROPVIZ_REDIS_URL", "DROPVIZ_TRAIN_BUDGET_S"):
    os.environ.pop(_setting, None)
# Servers the tests start (browser, scale-out) open pages themselves: no background prewarm competing with them
# for the two cores (the load benchmark's own tests say --no-prewarm; tests/unit/test_bench_load.py covers it).
os.environ["DROPVIZ_PREWARM"] = "0"


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
    from dropviz.demos import dense as dense_demo

    dense_demo.clear_caches()
    yield
    dense_demo.clear_caches()


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


@pytest.fixture
def mutate(monkeypatch):
    """``mutate(module, name, value)``: replace a dropviz function everywhere it is bound, i.e. on the module that
    defines it and on every dropviz module (or package) that imported the same object under that name, so a
    deliberately broken implementation reaches every caller whatever import style it uses."""
    import dataclasses
    import sys

    from dropviz import methods

    def apply(module, name: str, value) -> None:
        original = getattr(module, name)
        for mod in list(sys.modules.values()):
            if getattr(mod, "__name__", "").startswith("dropviz") and getattr(mod, name, None) is original:
                monkeypatch.setattr(mod, name, value)
        # registry records hold functions too (a method's mask, apply): swap the records that hold this one
        records = tuple(
            dataclasses.replace(m, **{f.name: value for f in dataclasses.fields(m) if getattr(m, f.name) is original})
            for m in methods.METHODS
        )
        monkeypatch.setattr(methods, "METHODS", records)
        monkeypatch.setattr(methods, "BY_ID", {m.id: m for m in records})

    return apply


@pytest.fixture(autouse=True, scope="session")
def stop_trainings_at_the_end():
    """A training still running on the server-wide queue (AppTest pages start them) is cancelled and awaited
    before pytest ends, so no worker thread is inside torch while the interpreter shuts down."""
    yield
    import sys

    training = sys.modules.get("dropviz.ui.training")
    if training is not None:
        training.queue().shutdown(wait=True, timeout=10.0)


@pytest.fixture(scope="session")
def server():
    """One Streamlit server for every browser-test module (defined here, once: a fixture imported into several
    modules is a separate fixture, and server, per module): the default trainings run once and the results store
    serves them to the later modules, as it would serve a class."""
    from tests.e2e.test_browser import streamlit_server

    with streamlit_server("e2e-server.log") as url:
        yield url
