"""The server-wide job queue: FIFO under a concurrency limit, one training shared by every session asking for
the same key, stoppable within a second, bounded everywhere, and a failing job never takes the queue down."""

from __future__ import annotations

import ast
import sys
import threading
import time
from pathlib import Path

import pytest

from dropviz import jobs
from dropviz.jobs import InProcessQueue, JobState, QueueFull

TIMEOUT = 3.0  # generous upper bound for anything that should take milliseconds


@pytest.fixture
def make_queue():
    """Queues made by a test are shut down after it, and their worker threads must really be gone."""
    made: list[InProcessQueue] = []

    def make(**kwargs) -> InProcessQueue:
        q = InProcessQueue(**kwargs)
        made.append(q)
        return q

    yield make
    for q in made:
        q.shutdown(wait=True, timeout=TIMEOUT)
    assert all(q.workers_alive() == 0 for q in made), "a worker thread outlived its queue"


def wait_for(q: InProcessQueue, key, *states: JobState, timeout: float = TIMEOUT) -> jobs.JobStatus:
    """Poll until ``key`` is in one of ``states`` (like a page's rerun loop, only faster)."""
    deadline = time.monotonic() + timeout
    while True:
        st = q.status(key)
        if st is not None and st.state in states:
            return st
        if time.monotonic() > deadline:
            raise AssertionError(f"{key!r} never reached {states}; last status {st}")
        time.sleep(0.002)


def gated(gate: threading.Event, result=None, log: list | None = None, name: str = ""):
    """A job that runs until ``gate`` is set, checking for a stop every 10 ms, then returns ``result``."""

    def fn(ctx):
        if log is not None:
            log.append(name)
        while not gate.wait(0.01):
            ctx.check()
        return result

    return fn


def test_fifo_order_and_concurrency_limit(make_queue):
    q = make_queue(max_running=1)
    gate, log, overlap = threading.Event(), [], {"now": 0, "max": 0}
    lock = threading.Lock()

    def job(name):
        inner = gated(gate, name, log, name)

        def fn(ctx):
            with lock:
                overlap["now"] += 1
                overlap["max"] = max(overlap["max"], overlap["now"])
            try:
                return inner(ctx)
            finally:
                with lock:
                    overlap["now"] -= 1

        return fn

    q.submit("a", job("a"), owner="s1")
    wait_for(q, "a", JobState.RUNNING)
    b, c = q.submit("b", job("b"), owner="s2"), q.submit("c", job("c"), owner="s3")
    assert (b.state, b.position, c.state, c.position) == (JobState.QUEUED, 1, JobState.QUEUED, 2)
    assert q.status("a").position == 0 and q.counts() == {"queued": 2, "running": 1}
    gate.set()
    for k in "abc":
        assert wait_for(q, k, JobState.DONE).result == k
    assert log == ["a", "b", "c"] and overlap["max"] == 1


def test_max_running_two_runs_two_at_once(make_queue):
    q = make_queue(max_running=2)
    gate = threading.Event()
    for k in "abc":
        q.submit(k, gated(gate, k), owner="s")
    wait_for(q, "a", JobState.RUNNING)
    wait_for(q, "b", JobState.RUNNING)
    assert q.status("c").state is JobState.QUEUED and q.status("c").position == 1
    gate.set()
    assert [wait_for(q, k, JobState.DONE).result for k in "abc"] == ["a", "b", "c"]


def test_same_key_is_trained_once_and_shared(make_queue):
    q = make_queue()
    gate, calls = threading.Event(), []

    def train(ctx):
        calls.append(1)
        ctx.report(1, 2, "half way")
        return gated(gate, {"loss": 0.25})(ctx)

    def never(ctx):
        raise AssertionError("a subscriber's fn must not run")

    first = q.submit(("cfg", 1), train, owner="s1")
    wait_for(q, ("cfg", 1), JobState.RUNNING)
    second = q.submit(("cfg", 1), never, owner="s2")
    assert first.key == second.key and second.state is JobState.RUNNING
    assert q.owners(("cfg", 1)) == {"s1", "s2"}
    assert q.status(("cfg", 1)).progress == jobs.JobProgress(1, 2, "half way")
    gate.set()
    done = wait_for(q, ("cfg", 1), JobState.DONE)
    assert done.result == {"loss": 0.25} and q.result(("cfg", 1)) == {"loss": 0.25} and len(calls) == 1
    again = q.submit(("cfg", 1), never, owner="s3")  # DONE at once, from the store
    assert again.state is JobState.DONE and again.result == {"loss": 0.25} and len(calls) == 1


def test_cancel_stops_a_running_job_within_a_second(make_queue):
    q = make_queue()
    stopped = threading.Event()

    def forever(ctx):
        try:
            while True:
                ctx.check()
                time.sleep(0.01)
        finally:
            stopped.set()

    q.submit("k", forever, owner="s1")
    wait_for(q, "k", JobState.RUNNING)
    t0 = time.monotonic()
    assert q.cancel("k", owner="s1")
    st = wait_for(q, "k", JobState.CANCELLED)
    assert time.monotonic() - t0 < 1.0  # the bound the UI promises for a Stop button
    assert stopped.is_set() and st.error == "" and st.result is None
    assert q.result("k") is None  # a cancelled job is not stored
    assert not q.cancel("k", owner="s1")  # nothing left to cancel


def test_cancel_by_one_of_two_owners_does_not_stop_it(make_queue):
    q = make_queue()
    gate = threading.Event()
    q.submit("k", gated(gate, 42), owner="s1")
    q.submit("k", gated(gate, 0), owner="s2")
    wait_for(q, "k", JobState.RUNNING)
    assert q.cancel("k", owner="s1") and not q.cancel("k", owner="s1")
    assert not q.cancel("k", owner="never-subscribed")
    time.sleep(0.05)
    assert q.status("k").state is JobState.RUNNING and q.owners("k") == {"s2"}
    gate.set()
    assert wait_for(q, "k", JobState.DONE).result == 42


def test_cancel_queued_job_removes_it_and_later_positions_shift_up(make_queue):
    q = make_queue()
    gate, ran = threading.Event(), []
    q.submit("a", gated(gate, "a"), owner="s")
    wait_for(q, "a", JobState.RUNNING)
    for k in "bcd":
        q.submit(k, gated(gate, k, ran, k), owner="s")
    assert [q.status(k).position for k in "bcd"] == [1, 2, 3]
    assert q.cancel("c", owner="s")
    assert q.status("c").state is JobState.CANCELLED
    assert [q.status(k).position for k in "bd"] == [1, 2]
    gate.set()
    wait_for(q, "d", JobState.DONE)
    assert ran == ["b", "d"] and q.status("c").state is JobState.CANCELLED


def test_resubmit_while_a_cancelled_job_is_stopping_queues_a_fresh_one(make_queue):
    q = make_queue()
    gate, calls = threading.Event(), []

    def fn(ctx):
        calls.append(1)
        return gated(gate, len(calls))(ctx)

    q.submit("k", fn, owner="s1")
    wait_for(q, "k", JobState.RUNNING)
    q.cancel("k", owner="s1")
    fresh = q.submit("k", fn, owner="s2")  # the old run may still be noticing its stop: it keeps the worker
    assert (fresh.state, fresh.position) == (JobState.QUEUED, 1)
    wait_for(q, "k", JobState.RUNNING)
    gate.set()
    assert wait_for(q, "k", JobState.DONE).result == 2 and len(calls) == 2


def test_failure_is_reported_and_the_next_job_still_runs(make_queue):
    q = make_queue()

    def boom(ctx):
        raise ValueError("boom: lr too large")

    q.submit("bad", boom, owner="s")
    q.submit("good", lambda ctx: "ok", owner="s")
    assert wait_for(q, "good", JobState.DONE).result == "ok"
    bad = q.status("bad")
    assert bad.state is JobState.FAILED and "boom: lr too large" in bad.error and "ValueError" in bad.error
    assert q.result("bad") is None and q.workers_alive() == 1
    retry = q.submit("bad", lambda ctx: "fixed", owner="s")  # a failure is not cached: submitting retries
    assert retry.state is JobState.QUEUED and wait_for(q, "bad", JobState.DONE).result == "fixed"


def test_results_are_a_bounded_lru(make_queue):
    q = make_queue(keep_results=2)
    for k in "ab":
        q.submit(k, lambda ctx, k=k: k.upper(), owner="s")
        wait_for(q, k, JobState.DONE)
    assert q.submit("a", lambda ctx: "again", owner="s").result == "A"  # a is now the most recently used
    q.submit("c", lambda ctx: "C", owner="s")
    wait_for(q, "c", JobState.DONE)
    assert (q.result("a"), q.result("b"), q.result("c")) == ("A", None, "C")
    assert q.status("b") is None  # evicted: a page submits again to get it


def test_queue_full_beyond_max_queued(make_queue):
    q = make_queue(max_queued=2)
    gate = threading.Event()
    q.submit("run", gated(gate), owner="s")
    wait_for(q, "run", JobState.RUNNING)
    q.submit("w1", gated(gate), owner="s")
    q.submit("w2", gated(gate), owner="s")
    with pytest.raises(QueueFull, match="at most 2"):
        q.submit("w3", gated(gate), owner="s")
    assert q.submit("w1", gated(gate), owner="t").position == 1  # joining a waiting job costs nothing
    assert q.cancel("w2", owner="s")
    assert q.submit("w3", gated(gate), owner="s").position == 2
    gate.set()


def test_shutdown_cancels_everything_and_refuses_new_jobs():
    q = InProcessQueue()
    q.submit("run", gated(threading.Event()), owner="s")
    q.submit("wait", gated(threading.Event()), owner="s")
    wait_for(q, "run", JobState.RUNNING)
    q.shutdown(wait=True, timeout=TIMEOUT)
    assert q.workers_alive() == 0
    assert q.status("run").state is JobState.CANCELLED and q.status("wait").state is JobState.CANCELLED
    with pytest.raises(RuntimeError, match="shut down"):
        q.submit("new", lambda ctx: 1, owner="s")
    q.shutdown()  # idempotent


def test_unknown_keys_and_bad_settings(make_queue):
    q = make_queue()
    assert q.status("nope") is None and q.result("nope") is None and not q.cancel("nope", owner="s")
    for bad in ({"max_running": 0}, {"keep_results": 0}, {"max_queued": -1}, {"max_running": True}):
        with pytest.raises(ValueError):
            InProcessQueue(**bad)


def test_job_context_duck_types_like_the_engine_context():
    ctx = jobs.JobContext()
    ctx.report(3, 10, "step 3/10")
    assert ctx.progress == jobs.JobProgress(3, 10, "step 3/10") and not ctx.cancelled
    ctx.check()
    ctx.cancel_event.set()
    with pytest.raises(jobs.JobCancelled):
        ctx.check()


def test_imports_only_the_standard_library():
    """Whatever the package layout becomes, jobs.py stays independent of it (and of Streamlit)."""
    tree = ast.parse(Path(jobs.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert {n.split(".")[0] for n in names} <= set(sys.stdlib_module_names) | {"__future__"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))


def _train(config, ctx):
    """A module-level job function (what train_job hands to every backend as a Task)."""
    ctx.report(1, 1, "done")
    return {"config": config}


def test_a_task_runs_fn_of_config_and_pickles():
    import pickle

    task = jobs.Task(_train, ("cfg", 2))
    assert task(jobs.JobContext()) == {"config": ("cfg", 2)}
    assert pickle.loads(pickle.dumps(task)) == task and task.name == f"{__name__}._train"


def test_a_task_goes_through_the_in_process_queue(make_queue):
    q = make_queue()
    q.submit(("cfg", 3), jobs.Task(_train, ("cfg", 3)), owner="s")
    done = wait_for(q, ("cfg", 3), JobState.DONE)
    assert done.result == {"config": ("cfg", 3)} and done.progress == jobs.JobProgress(1, 1, "done")


def test_time_budget_cancels_a_running_job_with_a_message(make_queue):
    q = make_queue(budget_s=0.2)
    never, later = threading.Event(), threading.Event()
    q.submit("slow", gated(never), owner="s")
    q.submit("next", gated(later, "fine"), owner="s")  # waits longer than the budget: its clock starts later
    stopped = wait_for(q, "slow", JobState.CANCELLED)
    assert "time budget of 0.2 s" in stopped.error and stopped.seconds_running >= 0.2
    later.set()
    done = wait_for(q, "next", JobState.DONE)
    assert done.result == "fine" and done.seconds_waited >= 0.2


@pytest.mark.parametrize("budget", [0, -1.0, True, "10", float("nan")])
def test_a_bad_budget_is_refused(budget):
    with pytest.raises(ValueError, match="budget_s"):
        InProcessQueue(budget_s=budget)


def test_a_job_past_its_budget_raises_a_cancel_subclass():
    ctx = jobs.JobContext()
    ctx.start_clock(0.0001)
    time.sleep(0.001)
    with pytest.raises(jobs.JobBudgetExceeded, match="time budget"):
        ctx.check()
    assert issubclass(jobs.JobBudgetExceeded, jobs.JobCancelled)  # fit and friends treat it as a stop
