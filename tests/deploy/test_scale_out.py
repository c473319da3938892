"""Scale-out on loopback, as deployed (``deploy/topology.py``): redis-server, two Streamlit replicas (A, B) with
``DROPVIZ_REDIS_URL``, nginx with sticky sessions in front, and one RQ worker. A real browser trains a tiny
configuration through nginx on replica A; the same page through replica B shows the shared queue place while it
waits and the result at once when it is done; killing the worker mid-training reports the job FAILED and a new
worker goes on with the queue.

Needs nginx and redis-server (``apt-get install -y nginx redis-server``) and Chromium; without them it skips,
unless DROPVIZ_REQUIRE_DEPLOY=1 (``.ci/run``), where a missing one is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest

from tests import jobfns, servers

pytestmark = pytest.mark.deploy

TINY = "/rnn-memory?steps=50&hidden=8&lag=5"  # 18 LSTMs of 8 units × 50 steps: seconds
SHOTS = os.path.join(servers.ROOT, "artifacts", "screenshots")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def topo():
    servers.need("redis-server")
    servers.need("nginx")
    servers.need_python("rq")
    from deploy import topology

    with topology.running(replicas=2, workers=1, logs=os.path.join(servers.LOGS, "topology")) as t:
        yield t


@pytest.fixture(scope="module")
def queue(topo):
    from dropviz.jobs_redis import RedisQueue

    q = RedisQueue.from_url(topo.redis_url, name=topo.queue, lease_s=2.0)  # a short lease: a quick kill test
    yield q
    q.shutdown()


@pytest.fixture(scope="module")
def browser():
    exe = next((c for c in (os.environ.get("DROPVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"))
                if c and os.path.isfile(c)), None)
    if exe is None:
        servers.missing("no Chromium found (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def upstream(topo, cookie: str) -> str:
    from deploy import topology

    status, headers, body = topology.http_get(f"{topo.url}/_stcore/health",
                                              headers={"Cookie": f"dropviz_node={cookie}"})
    assert (status, body) == (200, b"ok")
    return headers["X-DropViz-Upstream"]


def cookies_per_replica(topo) -> dict[str, str]:
    """A sticky cookie value that nginx sends to each replica (by trying values, as new visitors would)."""
    found: dict[str, str] = {}
    for i in range(64):
        found.setdefault(upstream(topo, f"visitor-{i}"), f"visitor-{i}")
        if len(found) == len(topo.replicas):
            return found
    raise AssertionError(f"nginx sent 64 visitors to {sorted(found)} only")


def test_both_replicas_answer_through_nginx_and_sessions_stick(topo):
    from deploy import topology

    found = cookies_per_replica(topo)
    assert sorted(found) == sorted(u.removeprefix("http://") for u in topo.replicas)
    for address, cookie in found.items():
        assert {upstream(topo, cookie) for _ in range(5)} == {address}  # sticky
    status, headers, _ = topology.http_get(f"{topo.url}/")  # a new visitor gets its cookie on the first response
    assert status == 200 and re.match(r"dropviz_node=\w+;", headers.get("Set-Cookie", ""))


def open_page(browser, topo, cookie: str, path: str, wait: bool = True):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    ctx.add_cookies([{"name": "dropviz_node", "value": cookie, "url": topo.url}])
    page = ctx.new_page()
    page.goto(topo.url + path, wait_until="commit")
    if wait:
        page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    return ctx, page


def stop(page, tries: int = 3) -> None:
    """Press the job panel's Stop. The panel is a fragment redrawn twice a second, and a click that lands while
    its button is being replaced can be lost (seen here under load, in the in-process queue too): press again
    then, as a user would."""
    for attempt in range(tries):
        page.get_by_role("button", name="Stop").first.click()
        try:
            page.get_by_text("The training was stopped").first.wait_for(timeout=10_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def test_trained_through_a_is_served_at_once_through_b_and_the_place_is_shared(topo, queue, browser):
    from dropviz.jobs import JobState, Task

    (addr_a, cookie_a), (addr_b, cookie_b) = sorted(cookies_per_replica(topo).items())
    blocker = jobfns.Gate(topo.redis_url, f"blocker-{uuid.uuid4().hex[:6]}")
    queue.submit(blocker, Task(jobfns.gated, blocker), owner="test")  # keeps the one worker busy for a while
    servers.wait_until(lambda: queue.status(blocker).state is JobState.RUNNING, 30, "the blocker running")
    ctx_a, a = open_page(browser, topo, cookie_a, TINY, wait=False)
    ctx_b, b = open_page(browser, topo, cookie_b, TINY, wait=False)  # both replicas start their sessions at once
    try:
        for pg in (a, b):
            pg.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
        train = a.get_by_role("button", name=re.compile("^Train these")).first
        train.click()
        a.get_by_text("you are next (place 1 in the queue").first.wait_for(timeout=30_000)
        assert queue.counts()["queued"] == 1
        stop(a)  # a Stop through nginx leaves the shared queue at once
        assert queue.counts()["queued"] == 0
        train.click()  # and again, for real
        a.get_by_text("you are next (place 1 in the queue").first.wait_for(timeout=30_000)
        assert queue.counts()["queued"] == 1
        b.reload()  # replica B sees A's job at the same place
        b.get_by_text("you are next (place 1 in the queue").first.wait_for(timeout=30_000)
        b.get_by_text("Another session started this training").first.wait_for(timeout=10_000)
        a.screenshot(path=os.path.join(SHOTS, "deploy-replica-a-queued.png"), full_page=True)
        servers.r_set(topo.redis_url, f"{blocker.name}:open")
        a.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)  # trained by the worker, shown on A
        a.screenshot(path=os.path.join(SHOTS, "deploy-replica-a-trained.png"), full_page=True)
        ctx_b.close()
        t0 = time.monotonic()
        ctx_b, b = open_page(browser, topo, cookie_b, TINY)  # a fresh session on B: the result, no training
        b.locator('[data-testid="stMetric"]').first.wait_for(timeout=30_000)
        served_s = time.monotonic() - t0
        assert b.get_by_role("button", name=re.compile("^Train these")).count() == 0
        assert b.get_by_text("Waiting for a free trainer").count() == 0
        b.screenshot(path=os.path.join(SHOTS, "deploy-replica-b-served.png"), full_page=True)
        print(f"\nreplica B ({addr_b}) showed the result trained via replica A ({addr_a}) {served_s:.1f} s "
              "after opening the page")
    finally:
        servers.r_set(topo.redis_url, f"{blocker.name}:open")  # on failure too: free the worker for the next test
        ctx_a.close()
        ctx_b.close()
    # Sticky: every websocket of each browser went to its replica (nginx logs a websocket when it closes)
    log = os.path.join(topo.logs, "nginx", "access.log")

    def streams() -> dict[str, set[str]]:
        seen: dict[str, set[str]] = {}
        for m in re.finditer(r'"GET /_stcore/stream[^"]*" 101 upstream=(\S+) node=(\S*)', Path(log).read_text()):
            seen.setdefault(m[2], set()).add(m[1])
        return seen

    servers.wait_until(lambda: {cookie_a, cookie_b} <= set(streams()), 10, "nginx logging the websockets")
    assert streams()[cookie_a] == {addr_a} and streams()[cookie_b] == {addr_b}


def test_killing_the_worker_mid_training_fails_the_job_and_the_queue_goes_on(topo, queue):
    from dropviz.jobs import JobState, Task

    stuck, waiting = (jobfns.Gate(topo.redis_url, f"{k}-{uuid.uuid4().hex[:6]}") for k in ("stuck", "waiting"))
    queue.submit(stuck, Task(jobfns.forever, stuck), owner="test")
    servers.wait_until(lambda: queue.status(stuck).state is JobState.RUNNING, 30, "the job running")
    queue.submit(waiting, Task(jobfns.gated, waiting), owner="test")
    worker = topo.workers[-1]
    worker.popen.kill()  # SIGKILL the worker process: no clean-up of its own
    t0 = time.monotonic()
    failed = servers.wait_until(lambda: (s := queue.status(stuck)).state is JobState.FAILED and s, 30,
                                "the killed worker's job reported FAILED")
    print(f"\nworker killed -> job FAILED after {time.monotonic() - t0:.1f} s (lease 2 s): {failed.error}")
    assert failed.error.startswith("WorkerLost") and queue.status(waiting).position == 1
    topo.add_worker("worker-after-kill")
    servers.r_set(topo.redis_url, f"{waiting.name}:open")
    done = servers.wait_until(lambda: (s := queue.status(waiting)).state is JobState.DONE and s, 60,
                              "the next job done by a new worker")
    assert done.result == {"result": "ok"}
