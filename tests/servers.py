"""Real servers for the Redis-queue and deployment tests: redis-server, RQ workers, Streamlit replicas, nginx,
each on a free loopback port, each stopped (process group killed) when its ``with`` block ends, on failure too.

Without the binaries the tests skip with a message; ``DROPVIZ_REQUIRE_DEPLOY=1`` (set by ``.ci/run``, which
installs nginx and redis-server) turns a missing binary into a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOGS = os.path.join(ROOT, "artifacts", "deploy")


def missing(why: str):
    """Skip with ``why``; a failure under DROPVIZ_REQUIRE_DEPLOY=1 (CI installs what these tests need)."""
    if os.environ.get("DROPVIZ_REQUIRE_DEPLOY") == "1":
        pytest.fail(f"deployment tests required (DROPVIZ_REQUIRE_DEPLOY=1) but {why}")
    pytest.skip(why)


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:g} s")
        time.sleep(every)


class Proc:
    """A started process in its own process group, with its log file."""

    def __init__(self, name: str, args: list[str], env: dict | None = None, stop_s: float = 5.0):
        os.makedirs(LOGS, exist_ok=True)
        self.name, self.log, self.stop_s = name, os.path.join(LOGS, f"{name}.log"), stop_s
        with open(self.log, "w") as log:
            self.popen = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                          env={**os.environ, **(env or {})}, start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole group (an RQ worker and the work horse it forked)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self) -> None:
        """SIGTERM to the leader (a clean exit: an RQ worker deregisters itself), then SIGKILL to the group."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(self.stop_s)
            except subprocess.TimeoutExpired:
                pass
        self.kill(signal.SIGKILL)  # stragglers of the group too
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(5.0)

    def tail(self, n: int = 2000) -> str:
        with open(self.log, errors="replace") as f:
            return f.read()[-n:]


@contextlib.contextmanager
def running(name: str, args: list[str], env: dict | None = None, stop_s: float = 5.0) -> Iterator[Proc]:
    proc = Proc(name, args, env, stop_s)
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


def http_ok(url: str, timeout: float = 2.0) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read() if resp.status == 200 else None
    except OSError:
        return None


def r_set(url: str, key: str) -> None:
    """Set a Redis key (opens a test job's gate)."""
    import redis

    conn = redis.Redis.from_url(url)
    try:
        conn.set(key, 1)
    finally:
        conn.close()
