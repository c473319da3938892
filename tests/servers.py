"""Real servers for the Redis-queue and deployment tests: redis-server, RQ workers, Streamlit replicas, nginx,
each on a free loopback port, each stopped (process group killed) when its ``with`` block ends, on failure too.

Without the binaries the tests skip with a message; ``DROPVIZ_REQUIRE_DEPLOY=1`` (set by ``.ci/run``, which
installs nginx and redis-server) turns a missing binary into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from typing import Iterator

import pytest

from deploy.topology import ROOT, Proc, free_port, http_get, wait_until

__all__ = ["LOGS", "ROOT", "Proc", "free_port", "http_get", "missing", "need", "need_python", "r_set",
           "redis_server", "running", "wait_until", "worker"]
LOGS = os.path.join(ROOT, "artifacts", "deploy")


def missing(why: str):
    """Skip with ``why``; a failure under DROPVIZ_REQUIRE_DEPLOY=1 (CI installs what these tests need)."""
    if os.environ.get("DROPVIZ_REQUIRE_DEPLOY") == "1":
        pytest.fail(f"deployment tests required (DROPVIZ_REQUIRE_DEPLOY=1) but {why}")
    pytest.skip(why, allow_module_level=True)  # also from a test module's top (the Python packages)


def need(binary: str) -> str:
    """The binary's path; else skip (or fail under DROPVIZ_REQUIRE_DEPLOY=1)."""
    path = shutil.which(binary) or next((p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}")
                                         if os.path.isfile(p)), None)
    if path is None:
        missing(f"{binary} is not installed (Debian/Ubuntu: apt-get install -y nginx redis-server)")
    return path


def need_python(module: str) -> None:
    """Skip (or fail under DROPVIZ_REQUIRE_DEPLOY=1) when a Python package of the Redis backend is missing."""
    try:
        __import__(module)
    except ImportError:
        missing(f"the {module!r} package is not installed (pip install -r requirements.txt)")


@contextlib.contextmanager
def running(name: str, args: list[str], env: dict | None = None, stop_s: float = 5.0) -> Iterator[Proc]:
    """``Proc`` as a context manager: stopped (its whole process group) when the block ends, on failure too."""
    proc = Proc(name, args, LOGS, env, stop_s)
    try:
        yield proc
    finally:
        proc.stop()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server (no persistence) on a free port; yields its URL."""
    binary = need("redis-server")
    port = free_port()
    with running(f"redis-{port}", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"]) as proc:
        import redis

        r = redis.Redis(port=port)
        try:
            wait_until(lambda: _pings(r) or not proc.alive(), 10, "redis-server answering")
            if not proc.alive():
                raise AssertionError(f"redis-server did not start:\n{proc.tail()}")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            r.close()


def _pings(r) -> bool:
    try:
        return bool(r.ping())
    except Exception:
        return False


def worker(url: str, queue: str, name: str = "worker", env: dict | None = None):
    """``python -m dropviz.worker`` on ``queue`` (a context manager yielding its :class:`Proc`)."""
    return running(name, [sys.executable, "-m", "dropviz.worker", "--url", url, "--queue", queue, "--no-preload"],
                   {"DROPVIZ_WORKER_LOG": os.environ.get("DROPVIZ_WORKER_LOG", "WARNING"), **(env or {})},
                   stop_s=2.0)  # an idle worker exits in ~0.1 s; RQ sometimes lingers in its own teardown


def r_set(url: str, key: str) -> None:
    """Set a Redis key (opens a test job's gate)."""
    import redis

    conn = redis.Redis.from_url(url)
    try:
        conn.set(key, 1)
    finally:
        conn.close()
