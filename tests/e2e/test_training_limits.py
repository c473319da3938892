"""A training on the default (in-process) queue, seen from outside the server: the health endpoint stays green
while it runs (trainings run on the queue's worker thread, never in a script or the event loop), and a training
past its time budget (DROPVIZ_TRAIN_BUDGET_S) is stopped with a message on the page.

Needs Chromium (the page's default experiment starts on a visit); skips without it unless DROPVIZ_REQUIRE_E2E=1.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

from deploy import topology
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
BUDGET_S = 6  # the default "Does it remember?" experiment trains about 9 s on one free thread: past it
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server():
    port = topology.free_port()
    proc = topology.Proc("e2e-budget-server", [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
        "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        os.path.join(ROOT, "artifacts"), {"DROPVIZ_TRAIN_BUDGET_S": str(BUDGET_S), "DROPVIZ_REDIS_URL": ""})
    url = f"http://127.0.0.1:{port}"
    try:
        topology.wait_until(lambda: topology.http_get(f"{url}/_stcore/health") or not proc.alive(), 90,
                            "the Streamlit server answering")
        assert proc.alive(), proc.tail()
        yield url
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def page():
    exe = next((c for c in (os.environ.get("DROPVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"))
                if c and os.path.isfile(c)), None)
    if exe is None:
        why = "no Chromium found (apt-get install -y chromium, or set DROPVIZ_CHROMIUM)"
        if os.environ.get("DROPVIZ_REQUIRE_E2E") == "1":
            pytest.fail(f"browser test required but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        finally:
            browser.close()


def test_health_stays_green_while_training_and_the_budget_stops_it_with_a_message(server, page):
    page.goto(f"{server}/rnn-memory")  # its default experiment starts training on the first visit
    page.locator('[data-testid="stProgress"]').first.wait_for(timeout=90_000)
    status, _, body = topology.http_get(f"{server}/_stcore/health", timeout=10) or (None, None, None)
    assert (status, body) == (200, b"ok")
    assert page.locator('[data-testid="stProgress"]').count() == 1  # the answer came while it trained
    page.get_by_text(f"stopped after its time budget of {BUDGET_S} s").first.wait_for(timeout=60_000)
    assert page.get_by_text("Recall accuracy against lag").count() == 1  # the page carries on
    page.screenshot(path=os.path.join(ROOT, "artifacts", "screenshots", "training-budget-stopped.png"))
