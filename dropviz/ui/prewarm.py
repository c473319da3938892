"""Warm every p step before the first student arrives.

A class moves its p sliders together, and a new p costs a page its computations, its figures and its claims
(seconds on 2 shared cores, against a tenth of a second for a cached rerun). At server start one background
thread opens each page through the server's own websocket, as a browser would (the load benchmark's protocol
client, :class:`dropviz.bench.load.Session`), and moves its p slider over every step, nearest the default first:
the shared caches (:func:`dropviz.ui.cache.compute`, :func:`~dropviz.ui.cache.figure`, the claims) then hold the
default view and every p step. It runs the real page scripts, so nothing here can drift from what a page
computes. One session, one step at a time: it never takes more than one core, and a visitor's run interleaves
with it. Pages that start a training on their first visit are left alone (their default experiment trains when
someone opens them).

Off with ``DROPVIZ_PREWARM=0``; it only runs in a real ``streamlit run`` server (never under AppTest)."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import urllib.request

import streamlit as st

from dropviz.bench.load import PREWARM_DONE, PREWARM_ENV
from dropviz.ui.nav import PAGES

ENV = PREWARM_ENV
_TRAINS = frozenset(p.url_path for p in PAGES if p.trains)  # their default experiment trains on a visit
STEP_TIMEOUT_S = 120.0
DONE = PREWARM_DONE  # the log line the load benchmark waits for
_LOG = logging.getLogger("dropviz.prewarm")


def _server_running() -> bool:
    from streamlit.runtime import Runtime

    return type(Runtime._instance) is Runtime  # AppTest installs a mock Runtime: no server to talk to


def _base_url() -> str:
    from streamlit import config

    address = config.get_option("server.address") or "127.0.0.1"
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{host}:{config.get_option('server.port')}" + (f"/{base}" if base else "")


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread | None:
    """Start the prewarm thread, once per server process (app.py calls this on every run)."""
    if os.environ.get(ENV, "1") == "0" or not _server_running():
        return None
    thread = threading.Thread(target=_run, args=(_base_url(),), name="dropviz-prewarm", daemon=True)
    thread.start()
    return thread


def _healthy(base: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _run(base: str) -> None:
    t0 = time.perf_counter()
    if not _healthy(base):
        _LOG.warning("DropViz prewarm: the server did not answer at %s; nothing warmed", base)
        return
    try:
        runs, errors = asyncio.run(_warm(base))
    except Exception:  # a warm-up must never take the server down
        _LOG.exception("DropViz prewarm failed")
        return
    _LOG.warning("%s: %d runs in %.0f s (%d errors)", DONE, runs, time.perf_counter() - t0, errors)


async def _warm(base: str) -> tuple[int, int]:
    from dropviz.bench.load import Session, page_ids, slider_state, slider_steps

    runs = errors = 0
    for page in page_ids():
        if page in _TRAINS:
            continue
        s = Session(base, page)
        try:
            r = await s.open(STEP_TIMEOUT_S)
            runs, errors = runs + 1, errors + (not r.ok)
            w = s.slider()
            if not r.ok or w is None or not (w.key == "p" or w.id.endswith("-p")):  # a p slider only; others: default
                continue
            for v in slider_steps(w):
                r = await s.run({w.id: slider_state(w, v)}, STEP_TIMEOUT_S)
                runs, errors = runs + 1, errors + (not r.ok)
        finally:
            await s.close()
    return runs, errors
