"""The Redis/RQ job queue against a real redis-server and real worker processes (``python -m dropviz.worker``):
the JobQueue semantics of the in-process queue, now shared by two handles (two server replicas), plus what only
a multi-process queue needs -- stable keys, a cancel that reaches another process, a killed worker reported.

Skips without redis-server (``apt-get install -y redis-server``) unless DROPVIZ_REQUIRE_DEPLOY=1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from dropviz import jobs
from dropviz.jobs import JobState, QueueFull, Task
from tests import jobfns, servers

servers.need_python("redis")
servers.need_python("rq")

import redis  # noqa: E402

from dropviz.jobs_redis import RedisQueue, key_id  # noqa: E402

pytestmark = pytest.mark.deploy  # needs redis-server: selected with the scale-out tests (-m deploy)
TIMEOUT = 10.0  # generous: jobs hand over in ~50 ms; the machine is shared


@pytest.fixture(scope="module")
def redis_url():
    with servers.redis_server() as url:
        yield url


@pytest.fixture(scope="module")
def name():
    """One queue (and one worker) for the module: each test leaves it empty and idle."""
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture
def r(redis_url):
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


@pytest.fixture
def make_queue(redis_url, name):
    """Handles on one shared queue (each is what one replica holds); closed after the test."""
    made: list[RedisQueue] = []

    def make(**kwargs) -> RedisQueue:
        q = RedisQueue.from_url(redis_url, name=name, **kwargs)
        made.append(q)
        return q

    yield make
    for q in made:
        q.shutdown()


@pytest.fixture(scope="module")
def worker(redis_url, name):
    with servers.worker(redis_url, name, name=f"worker-{name}") as proc:
        yield proc


def gate(redis_url, label: str, **kw) -> jobfns.Gate:
    return jobfns.Gate(redis_url, f"{uuid.uuid4().hex[:8]}-{label}", **kw)


def task(fn, config) -> Task:
    return Task(fn, config)


def wait_for(q, key, *states: JobState, timeout: float = TIMEOUT) -> jobs.JobStatus:
    return servers.wait_until(lambda: (s := q.status(key)) is not None and s.state in states and s, timeout,
                              f"{key!r} reaching {states} (last: {q.status(key)})", every=0.01)


def started(r, g: jobfns.Gate) -> int:
    return r.llen(f"{g.name}:started")


def open_gate(r, g: jobfns.Gate) -> None:
    r.set(f"{g.name}:open", 1)


def test_key_ids_are_stable_across_processes_and_tell_configs_apart():
    cfg = jobfns.Gate("redis://x", "k", result="0.3")
    code = ("from dropviz.jobs_redis import key_id; from tests.jobfns import Gate; "
            "g = Gate('redis://x', 'k', result='0.3'); print(key_id(g), hash(g))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=servers.ROOT, env={**os.environ, "PYTHONHASHSEED": "123"}).stdout.split()
    assert other[0] == key_id(cfg) and int(other[1]) != hash(cfg)  # hash() would not do: salted per process
    assert len({key_id(cfg), key_id(jobfns.Gate("redis://x", "k", result="0.30")), key_id(("k", 0.3))}) == 3


def test_fifo_positions_are_shared_by_every_replica(make_queue, worker, r, redis_url):
    qa, qb = make_queue(), make_queue()
    a, b, c = (gate(redis_url, k, result=k) for k in "abc")
    qa.submit(a, task(jobfns.gated, a), owner="s1")
    wait_for(qa, a, JobState.RUNNING)
    sb = qa.submit(b, task(jobfns.gated, b), owner="s2")
    sc = qb.submit(c, task(jobfns.gated, c), owner="s3")
    assert (sb.state, sb.position, sc.state, sc.position) == (JobState.QUEUED, 1, JobState.QUEUED, 2)
    assert [qb.status(k).position for k in (a, b, c)] == [0, 1, 2] == [qa.status(k).position for k in (a, b, c)]
    assert qb.counts()["queued"] == 2 and qb.workers() == 1
    # progress: written by the worker process, read by the other replica
    servers.wait_until(lambda: qb.status(a).progress == jobs.JobProgress(1, 2, "half way"), TIMEOUT, "progress")
    for g in (a, b, c):
        open_gate(r, g)
    for g in (a, b, c):
        assert wait_for(qb, g, JobState.DONE).result == {"result": g.result}
    starts = [float(r.lindex(f"{g.name}:started", 0)) for g in (a, b, c)]
    assert starts == sorted(starts)


def test_same_key_trained_once_and_served_by_the_other_replica(make_queue, worker, r, redis_url):
    qa, qb = make_queue(), make_queue()
    g = gate(redis_url, "shared")
    qa.submit(g, task(jobfns.gated, g), owner="s1")
    wait_for(qa, g, JobState.RUNNING)
    joined = qb.submit(g, task(jobfns.gated, g), owner="s2")
    assert joined.state is JobState.RUNNING and qa.owners(g) == qb.owners(g) == {"s1", "s2"}
    open_gate(r, g)
    assert wait_for(qa, g, JobState.DONE).result == {"result": "ok"}
    again = qb.submit(g, task(jobfns.gated, g), owner="s3")  # DONE at once, from the shared store
    assert again.state is JobState.DONE and qb.result(g) == {"result": "ok"} and started(r, g) == 1
    assert qb.owners(g) == frozenset()


def test_cancel_reaches_the_worker_only_when_the_last_owner_leaves(make_queue, worker, r, redis_url, name):
    qa, qb = make_queue(), make_queue()
    g, queued = gate(redis_url, "long"), gate(redis_url, "waits")
    qa.submit(g, task(jobfns.forever, g), owner="s1")
    qb.submit(g, task(jobfns.forever, g), owner="s2")
    wait_for(qa, g, JobState.RUNNING)
    qa.submit(queued, task(jobfns.gated, queued), owner="s1")
    assert qa.cancel(g, owner="s1") and not qa.cancel(g, owner="s1")
    time.sleep(0.5)  # more than two heartbeats: s2 still wants it
    assert qb.status(g).state is JobState.RUNNING
    t0 = time.monotonic()
    assert qb.cancel(g, owner="s2")
    assert wait_for(qa, g, JobState.CANCELLED).error == ""
    stop_s = time.monotonic() - t0
    assert stop_s < TIMEOUT
    # a queued job leaves the list at once, and the worker never runs it
    assert qa.cancel(queued, owner="s1") and qa.status(queued).state is JobState.CANCELLED
    assert qa.counts()["queued"] == 0 and started(r, queued) == 0
    run = r.get(f"{name}:cur:{key_id(queued)}").decode()
    # RQ's record of it expires too: nothing piles up. The worker, freed by the cancel above, may have popped the
    # run just before its cancel; RQ then re-saves the record while it hands the run over (no TTL for a moment) and
    # deletes it when our _execute returns at once (result_ttl=0). Either way it must be gone or expiring soon.
    deadline = time.monotonic() + TIMEOUT
    while not (r.ttl(f"rq:job:{run}") == -2 or 0 < r.ttl(f"rq:job:{run}") <= qa.keep_ended_s):
        assert time.monotonic() < deadline, f"RQ's record of a cancelled run neither expires nor goes: {run}"
        time.sleep(0.05)
    # a cancelled key can be submitted again
    assert qb.submit(queued, task(jobfns.gated, queued), owner="s3").state in (JobState.QUEUED, JobState.RUNNING)
    open_gate(r, queued)
    wait_for(qb, queued, JobState.DONE)


def test_failure_is_reported_and_the_worker_goes_on(make_queue, worker, r, redis_url):
    q = make_queue()
    bad, good = gate(redis_url, "bad", fail=True, result="bad"), gate(redis_url, "good")
    open_gate(r, bad)
    open_gate(r, good)
    q.submit(bad, task(jobfns.gated, bad), owner="s")
    q.submit(good, task(jobfns.gated, good), owner="s")
    assert wait_for(q, bad, JobState.FAILED).error == "ValueError: bad went wrong"
    assert wait_for(q, good, JobState.DONE).result == {"result": "ok"}
    assert q.result(bad) is None


def test_time_budget_cancels_with_a_message(make_queue, worker, redis_url):
    q = make_queue(budget_s=0.5)
    g = gate(redis_url, "slow")
    q.submit(g, task(jobfns.forever, g), owner="s")
    done = wait_for(q, g, JobState.CANCELLED)
    assert "time budget of 0.5 s" in done.error and done.seconds_running >= 0.5


def test_results_are_bounded_and_the_queue_too(make_queue, worker, r, redis_url):
    q = make_queue(keep_results=2, max_queued=1)
    gs = [gate(redis_url, str(i), result=str(i)) for i in range(3)]
    for g in gs:
        open_gate(r, g)
        q.submit(g, task(jobfns.gated, g), owner="s")
        wait_for(q, g, JobState.DONE)
    assert q.result(gs[0]) is None and [q.result(g) for g in gs[1:]] == [{"result": "1"}, {"result": "2"}]
    assert q.status(gs[0]) is None  # dropped: unknown again (a page offers to train it), not "DONE with nothing"
    hold, waits, extra = (gate(redis_url, k) for k in ("hold", "waits", "extra"))
    q.submit(hold, task(jobfns.gated, hold), owner="s")
    wait_for(q, hold, JobState.RUNNING)
    q.submit(waits, task(jobfns.gated, waits), owner="s")
    with pytest.raises(QueueFull, match="at most 1"):
        q.submit(extra, task(jobfns.gated, extra), owner="s")
    for g in (hold, waits):
        open_gate(r, g)
        wait_for(q, g, JobState.DONE)


def test_lambdas_are_refused_with_a_clear_message(make_queue):
    with pytest.raises(TypeError, match="jobs.Task"):
        make_queue().submit("k", lambda ctx: 1, owner="s")


def test_shutdown_withdraws_only_this_replicas_sessions(make_queue, worker, redis_url):
    qa, qb = make_queue(), make_queue()
    shared, alone = gate(redis_url, "shared"), gate(redis_url, "alone")
    qa.submit(shared, task(jobfns.forever, shared), owner="a1")
    qb.submit(shared, task(jobfns.forever, shared), owner="b1")
    qa.submit(alone, task(jobfns.forever, alone), owner="a2")
    wait_for(qb, shared, JobState.RUNNING)
    qa.shutdown()
    assert qb.owners(shared) == {"b1"} and qb.status(alone).state is JobState.CANCELLED
    assert qb.cancel(shared, owner="b1")
    wait_for(qb, shared, JobState.CANCELLED)


def test_a_killed_worker_fails_its_job_and_the_queue_goes_on(redis_url, r):
    name = f"t{uuid.uuid4().hex[:8]}"  # a queue of its own: this test kills its workers
    q = RedisQueue.from_url(redis_url, name=name, lease_s=1.5)
    stuck, after = gate(redis_url, "stuck"), gate(redis_url, "after")
    with servers.worker(redis_url, name, name=f"worker-{name}-1") as w:
        q.submit(stuck, task(jobfns.ignores_stops, stuck), owner="s")
        wait_for(q, stuck, JobState.RUNNING)
        q.submit(after, task(jobfns.gated, after), owner="s")
        # SIGKILL the worker alone: its work horse must notice and exit (else it would renew the lease)
        w.popen.send_signal(signal.SIGKILL)
        t0 = time.monotonic()
        failed = wait_for(q, stuck, JobState.FAILED)
        dead_s = time.monotonic() - t0
    assert failed.error.startswith("WorkerLost: the worker process running this training stopped"), failed.error
    assert dead_s < TIMEOUT
    assert q.status(after).state is JobState.QUEUED and q.status(after).position == 1  # still waiting, not lost
    with servers.worker(redis_url, name, name=f"worker-{name}-2"):
        open_gate(r, after)
        assert wait_for(q, after, JobState.DONE).result == {"result": "ok"}
        again = q.submit(stuck, task(jobfns.gated, stuck), owner="s")  # a failed key can be retried
        assert again.state in (JobState.QUEUED, JobState.RUNNING)
        open_gate(r, stuck)
        wait_for(q, stuck, JobState.DONE)
    q.shutdown()


def test_one_setting_selects_the_backend_and_the_budget(monkeypatch, redis_url):
    from dropviz.ui import training

    training.queue.clear()
    monkeypatch.setenv("DROPVIZ_REDIS_URL", redis_url)
    monkeypatch.setenv("DROPVIZ_TRAIN_BUDGET_S", "42")
    q = training.queue()
    try:
        assert isinstance(q, RedisQueue) and q.budget_s == 42.0 and q.max_queued == training.MAX_QUEUED
    finally:
        q.shutdown()
        training.queue.clear()
    monkeypatch.delenv("DROPVIZ_REDIS_URL")
    monkeypatch.delenv("DROPVIZ_TRAIN_BUDGET_S")
    q = training.queue()
    assert isinstance(q, jobs.InProcessQueue) and q.budget_s == training.TRAIN_BUDGET_S
    for bad in ("0", "-3", "soon", "inf"):
        monkeypatch.setenv("DROPVIZ_TRAIN_BUDGET_S", bad)
        with pytest.raises(ValueError, match="DROPVIZ_TRAIN_BUDGET_S"):
            training.train_budget_s()
