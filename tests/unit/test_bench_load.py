"""The load benchmark (dropviz.bench.load): its line format, its slider values, and one real smoke run (a
server on loopback, one session, one page, one slider move). Timings are never asserted: only the format."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from dropviz.bench import load
from dropviz.bench.__main__ import main as bench_main

NUM = r"(?:\d+\.\d+|nan)"
RATIO = r"(?:\d+\.\d\dx|-)"
LINE = re.compile(
    rf"^load (?P<page>[a-z0-9-]+(?:\+training)?) N=(?P<n>\d+) rerun p50 {NUM}s p95 {NUM}s \({RATIO} {RATIO} floor\) "
    rf"load p50 {NUM}s p95 {NUM}s \({RATIO} {RATIO} floor\) kB/rerun {NUM} rss (?:\d+MB|-) errors (?P<errors>\d+)"
    r"(?: \(.*\))?$"
)


def test_line_format_and_ratios_to_the_floor():
    floor = load.PageLoad("bench-floor", 2, (0.1, 0.3), (0.1, 0.2, 0.3), (1000, 3000), 0, 300.0)
    page = load.PageLoad("gaussian", 2, (0.2, 0.6), (0.4, 0.4, 0.4), (2000,), 1, None, "timeout")
    line = page.line(floor)
    m = LINE.match(line)
    assert m and m["page"] == "gaussian" and m["n"] == "2" and m["errors"] == "1", line
    assert "rerun p50 0.400s" in line and "(2.00x" in line  # 0.4 / the floor's median 0.2
    assert "load p50 0.400s" in line  # median of (0.2, 0.6)
    assert "kB/rerun 2.0 rss - errors 1 (timeout)" in line
    assert LINE.match(floor.line(floor)) and "(1.00x 1.00x floor)" in floor.line(floor)


def test_slider_values_move_off_the_default_and_stay_on_the_grid():
    proto = SimpleNamespace(min=0.0, max=1.0, step=0.05, default=[0.5])
    w = load.Widget("id-p", "slider", "p", "p", proto)
    for session in range(5):
        values = load.slider_values(w, session, 8)
        assert all(0.0 <= v <= 1.0 and v != 0.5 for v in values)
        assert all(abs(v / 0.05 - round(v / 0.05)) < 1e-9 for v in values)
    assert load.slider_values(w, 0, 5) != load.slider_values(w, 1, 5)  # sessions do not move in lockstep


def test_page_ids_are_the_apps_pages():
    from dropviz.ui.nav import PAGES

    assert load.page_ids() == [p.url_path for p in PAGES]


def test_unknown_page_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench_main(["load", "--pages", "nope"])
    assert "unknown page" in capsys.readouterr().err


def test_smoke_one_session_one_page_one_move(capsys):
    """Starts streamlit on a free loopback port, one session on the Gaussian page, one slider move."""
    assert bench_main(["load", "--pages", "gaussian", "--sessions", "1", "--moves", "1", "--think", "0",
                       "--timeout", "60", "--no-prewarm"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("load ")]
    assert [LINE.match(ln)["page"] for ln in lines] == ["bench-floor", "gaussian"], lines
    assert all(LINE.match(ln)["errors"] == "0" for ln in lines), lines


def test_slider_steps_cover_the_grid_nearest_the_default_first():
    proto = SimpleNamespace(min=0.0, max=1.0, step=0.05, default=[0.3])
    steps = load.slider_steps(load.Widget("id-p", "slider", "p", "p", proto))
    assert len(steps) == 21 and sorted(steps) == [round(i * 0.05, 10) for i in range(21)]
    assert steps[0] == 0.3 and set(steps[1:3]) == {0.25, 0.35}


def test_prewarm_never_starts_outside_a_real_server(monkeypatch):
    from dropviz.ui import prewarm

    monkeypatch.setenv(prewarm.ENV, "1")  # switched on (the suite switches it off for the servers it starts)
    prewarm.start.clear()
    assert prewarm.start() is None  # bare python (and AppTest, whose Runtime is a mock): no server to warm


def test_the_prewarm_leaves_exactly_the_pages_that_train_on_a_visit_alone():
    """A page whose default experiment trains on its first visit (``auto=`` or ``trained_or_button``) declares
    ``trains=True``, so the prewarm does not start every training at server start; no other page is skipped."""
    import os

    from dropviz.ui import nav, prewarm
    from tests.conftest import ROOT

    for spec in nav.PAGES:
        with open(os.path.join(ROOT, spec.path)) as f:
            source = f.read()
        trains = "auto=" in source or "trained_or_button" in source
        assert spec.trains == trains, spec.path
        assert (spec.url_path in prewarm._TRAINS) == trains
