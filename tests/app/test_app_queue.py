"""The lab's training queue under two sessions at once (two AppTest instances are two browser sessions: each has
its own session state and queue owner id; the queue is server-wide). Asserts on the queue's state, never on time:
the same config from two sessions is one job, a later session gets the stored result at once, and another page
renders in full while a job is training."""

from __future__ import annotations

import pytest

from dropviz import jobs, ui
from dropviz.train import lab
from tests.app.test_app import assert_clean, open_page, record_submissions, wait_until

pytestmark = pytest.mark.app
LAB = "pages/40_lab.py"


def _query(cfg: lab.LabConfig) -> dict:
    return {"task": cfg.task, "methods": list(cfg.methods), "p": str(cfg.p), "width": str(cfg.width),
            "depth": str(cfg.depth), "epochs": str(cfg.epochs), "train": str(cfg.train_size), "seed": str(cfg.seed)}


def _train_button(at):
    return [b for b in at.button if b.label.startswith("Train")]


def test_two_sessions_share_one_job_and_a_later_session_gets_the_stored_result(monkeypatch):
    cfg = lab.LabConfig(task="circles", methods=("standard",), width=16, depth=1, epochs=20, train_size=60,
                        seed=4242, device=ui.device())
    recorded = record_submissions(monkeypatch)

    def submitted() -> list:  # the page's own default experiment (the three-seed claim) is submitted too
        return [k for k in recorded if k == cfg]

    a = open_page(LAB, _query(cfg))
    assert_clean(a, "session A")
    assert ui.queue().status(cfg) is None
    _train_button(a)[0].click().run()
    assert submitted() == [cfg]

    b = open_page(LAB, _query(cfg))  # a second session, while A's job is queued, training or just done
    assert_clean(b, "session B")
    status = ui.queue().status(cfg)
    if not status.finished:  # B joins A's job: no second job, no Train button, told who started it
        assert not _train_button(b)
        assert len(ui.queue().owners(cfg)) == 1  # only A owns it: B waits without submitting
    assert submitted() == [cfg], "session B must not submit the config again"

    wait_until(b, lambda: ui.trained(cfg) is not None, timeout=400)
    assert ui.queue().status(cfg).state is jobs.JobState.DONE
    c = open_page(LAB, _query(cfg))  # a third session, after the job: the stored result on its first run
    assert_clean(c, "session C")
    assert list(c.dataframe[0].value["method"]) == ["standard"]
    assert not _train_button(c)
    assert submitted() == [cfg], "the stored result is shown without training again"
    assert c.dataframe[0].value["best val. accuracy"][0] == round(ui.trained(cfg).runs[0].best_val_acc, 3)


def test_another_page_renders_in_full_while_a_job_trains():
    # a long run on purpose (it is stopped below): it must still be training while the other page renders
    cfg = lab.LabConfig(methods=("none", "standard", "gaussian"), width=256, depth=4, epochs=200, train_size=1000,
                        seed=777, device=ui.device())
    a = open_page(LAB, _query(cfg))
    _train_button(a)[0].click().run()
    owner = a.session_state["_dropviz_session_owner"]
    try:
        wait_until(a, lambda: ui.queue().status(cfg).state is jobs.JobState.RUNNING
                   and ui.queue().status(cfg).progress.total > 0, timeout=600,
                   what="the queue reaching the job and its first progress report")
        other = open_page("pages/41_backprop.py")  # another session, another page
        assert_clean(other, "backprop while training")
        assert len(other.get("plotly_chart")) == 2 and other.dataframe
        status = ui.queue().status(cfg)
        assert status.state is jobs.JobState.RUNNING and status.progress.done < status.progress.total, (
            "the job must still be training after the other page rendered")
    finally:
        ui.queue().cancel(cfg, owner=owner)
    wait_until(a, lambda: ui.queue().status(cfg).finished, timeout=60, what="the Stop")
    assert ui.queue().status(cfg).state is jobs.JobState.CANCELLED and ui.trained(cfg) is None
