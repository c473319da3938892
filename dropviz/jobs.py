"""A server-wide queue of training jobs: bounded, FIFO, shared, stoppable.

Why: DropViz runs on a shared classroom server. If every session trained its own models in its own script
run, thirty students pressing "Train" at once would start thirty trainings that fight for two CPU cores (and
for torch's process-wide thread setting), and the same default experiment would be trained thirty times.
So pages submit trainings here instead:

* **bounded** -- at most ``max_running`` jobs run at once and at most ``max_queued`` wait; beyond that
  :meth:`JobQueue.submit` raises :class:`QueueFull` (a shared server must bound the cost users control);
* **FIFO** -- jobs start strictly in submission order, and a queued job knows its place in line;
* **shared** -- a job is identified by its key (a frozen, hashable config): submitting a key that is queued
  or running subscribes to that job, and a finished result is kept in a small LRU store, so identical configs
  are trained once for every session;
* **stoppable** -- a job stops when the last session subscribed to it cancels (a job's function calls
  ``ctx.check()`` often; ``dropviz.train.engine.fit`` does so before every step);
* **budgeted** -- a job still running ``budget_s`` seconds after it started is stopped by its next ``ctx.check()``
  and ends CANCELLED with a message saying so (:class:`JobBudgetExceeded`), so one training cannot hold the
  trainer for ever.

A job is best given as a :class:`Task` (a module-level ``fn(config, ctx=...)`` and its frozen, picklable config):
it is what every backend accepts, including ones that ship the job to another process
(:class:`dropviz.jobs_redis.RedisQueue`); :class:`InProcessQueue` also takes any ``fn(ctx)`` callable.

:class:`JobQueue` is the interface pages use; :class:`InProcessQueue`, worker threads in the server process,
is the default implementation; :mod:`dropviz.jobs_redis` holds the Redis/RQ one (trainings in worker processes,
shared by several server replicas). Nothing here blocks the caller: submit/status/cancel return at once
and pages poll :meth:`JobQueue.status`. Imports: the standard library only.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Hashable

__all__ = [
    "InProcessQueue",
    "JobBudgetExceeded",
    "JobCancelled",
    "JobContext",
    "JobProgress",
    "JobQueue",
    "JobState",
    "JobStatus",
    "QueueFull",
    "Task",
]


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class QueueFull(Exception):
    """The queue already holds ``max_queued`` waiting jobs; try again later."""


class JobCancelled(Exception):
    """Raised by :meth:`JobContext.check` once the job's last subscriber cancelled it (or the queue shut down)."""


class JobBudgetExceeded(JobCancelled):
    """Raised by :meth:`JobContext.check` once the job has run longer than its time budget; the job ends
    CANCELLED and its status's ``error`` carries this message (pages show it)."""


def budget_message(budget_s: float) -> str:
    return (f"stopped after its time budget of {budget_s:g} s on this server (DROPVIZ_TRAIN_BUDGET_S); "
            "try smaller settings")


@dataclass(frozen=True)
class Task:
    """A job as data: ``fn(config, ctx=ctx)``. ``fn`` is a module-level function and ``config`` a frozen,
    picklable value, so a task can be pickled to a worker process; calling it runs it here."""

    fn: Callable[..., Any]
    config: Any

    def __call__(self, ctx: JobContext) -> Any:
        return self.fn(self.config, ctx=ctx)

    @property
    def name(self) -> str:
        fn = getattr(self.fn, "fn", self.fn)  # a wrapper such as dropviz.i18n.InLanguage names what it runs
        return f"{fn.__module__}.{fn.__qualname__}"


@dataclass(frozen=True)
class JobProgress:
    """How far a job is, in the job's own units: ``done`` of ``total``, and a line of text to show."""

    done: int = 0
    total: int = 0
    text: str = ""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of one job, safe to hand to any thread (frozen; nothing in it changes afterwards)."""

    key: Hashable
    state: JobState
    position: int = 0  # 1-based place among the queued jobs (1 = next to start); 0 once running or finished
    progress: JobProgress = field(default_factory=JobProgress)
    result: Any = None  # the job's return value, when DONE
    error: str = ""  # "ExceptionType: message", when FAILED; why, when CANCELLED by the time budget (else "")
    seconds_waited: float = 0.0  # submission -> start (-> now, while queued)
    seconds_running: float = 0.0  # start -> end (-> now, while running)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


class JobContext:
    """What a job's function receives: ``report(done, total, text)`` for progress, ``cancelled`` and
    ``check()`` to learn it should stop.

    The same duck-typed methods as ``dropviz.train.engine.Context``, so ``train_engine.fit(step_fn, steps,
    ctx=job_ctx)`` works with it (``check()`` raises :class:`JobCancelled` here). Methods may be called from
    the job's thread while others read :attr:`progress`: a report replaces one frozen object (atomic).
    """

    def __init__(self, cancel_event: threading.Event | None = None):
        self.cancel_event = cancel_event if cancel_event is not None else threading.Event()
        self._progress = JobProgress()
        self.budget_s: float | None = None
        self._deadline: float | None = None  # time.monotonic() past which check() raises JobBudgetExceeded

    def start_clock(self, budget_s: float | None) -> None:
        """The job starts now; ``budget_s`` seconds from now (None: no limit) :meth:`check` stops it."""
        self.budget_s = budget_s
        self._deadline = None if budget_s is None else time.monotonic() + budget_s

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def over_budget(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def check(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled("job cancelled")
        if self.over_budget:
            raise JobBudgetExceeded(budget_message(self.budget_s))

    def report(self, done: int, total: int, text: str = "") -> None:
        self._progress = JobProgress(int(done), int(total), str(text))

    @property
    def progress(self) -> JobProgress:
        return self._progress


class JobQueue(ABC):
    """The interface pages use. ``owner`` is whoever is waiting for the job (a session id): a job lives while
    any owner wants it. Every method returns immediately; poll :meth:`status` for progress."""

    @abstractmethod
    def submit(self, key: Hashable, fn: Task | Callable[[JobContext], Any], *, owner: str) -> JobStatus:
        """Ask for the job ``key`` (computed by ``fn(ctx)``; a :class:`Task` for every backend) on behalf of
        ``owner``.

        DONE already: the stored result, at once (``fn`` is not called). Queued or running: ``owner`` joins
        that job. Otherwise a new job is queued. Raises :class:`QueueFull` when no more may wait."""

    @abstractmethod
    def status(self, key: Hashable) -> JobStatus | None:
        """The job's latest status (a recently FAILED/CANCELLED one too), or None if unknown or forgotten."""

    @abstractmethod
    def result(self, key: Hashable) -> Any | None:
        """The stored result of a DONE job, or None."""

    @abstractmethod
    def cancel(self, key: Hashable, *, owner: str) -> bool:
        """``owner`` no longer wants ``key``; the job stops once no owner is left. True if ``owner`` was
        subscribed to a queued or running job of that key."""

    @abstractmethod
    def owners(self, key: Hashable) -> frozenset[str]:
        """Who is subscribed to the live (queued or running) job ``key``; empty if none."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop accepting jobs, cancel queued and running ones, and (``wait``) wait for the workers to end."""

    def __enter__(self) -> JobQueue:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()


def check_budget(budget_s: float | None) -> None:
    if budget_s is not None and (isinstance(budget_s, bool) or not isinstance(budget_s, int | float)
                                 or not budget_s > 0):
        raise ValueError(f"budget_s has to be a number of seconds > 0 (or None), but got {budget_s!r}")


def ended_by(e: BaseException, ctx: JobContext) -> tuple[JobState, str]:
    """How a job that raised ``e`` ended, and the message for its status: a requested cancel ends CANCELLED
    (whatever the job raised on its way out), the time budget CANCELLED with its message, anything else FAILED."""
    if ctx.cancelled:
        return JobState.CANCELLED, ""
    if isinstance(e, JobBudgetExceeded):
        return JobState.CANCELLED, str(e)
    return JobState.FAILED, f"{type(e).__name__}: {e}"


@dataclass(eq=False)  # identity equality: deque.index/remove must find *this* job
class _Job:
    key: Hashable
    fn: Callable[[JobContext], Any]
    owners: set[str]
    ctx: JobContext = field(default_factory=JobContext)
    state: JobState = JobState.QUEUED
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    ended: float | None = None
    result: Any = None
    error: str = ""


class InProcessQueue(JobQueue):
    """Jobs run in ``max_running`` daemon worker threads of this process, strictly in submission order.

    ``max_running=1`` (the default) runs one training at a time: torch's CPU thread count is process-wide
    (``train_engine.cpu_threads``), and on a small server parallel trainings only slow each other down.
    ``keep_results`` finished results are kept (least recently used evicted first); ``max_queued`` jobs may
    wait; a job runs ``budget_s`` seconds at most (None: no limit). The last status of up to 64 FAILED/CANCELLED
    jobs is kept too, so pollers see how a job ended.

    One lock guards all state; the workers wait on a condition variable of it. Job functions run outside it.
    A job that raises after its cancel was requested ends CANCELLED (whatever it raised); any other exception
    ends it FAILED with the message, and the worker goes on with the next job. A job that returns normally is
    DONE and stored even if a cancel came too late for it to notice (its result is valid, and free next time).
    """

    KEEP_ENDED = 64  # FAILED/CANCELLED statuses remembered for pollers

    def __init__(self, max_running: int = 1, keep_results: int = 32, max_queued: int = 64,
                 budget_s: float | None = None):
        for name, v, lo in (("max_running", max_running, 1), ("keep_results", keep_results, 1),
                            ("max_queued", max_queued, 0)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{name} has to be a whole number >= {lo}, but got {v!r}")
        check_budget(budget_s)
        self.max_running, self.keep_results, self.max_queued = max_running, keep_results, max_queued
        self.budget_s = budget_s
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Job] = deque()  # waiting jobs, oldest first
        self._jobs: dict[Hashable, _Job] = {}  # key -> its live (queued or running, not cancelled) job
        self._stopping: dict[Hashable, _Job] = {}  # key -> a cancelled job still running until it notices
        self._running: set[_Job] = set()  # every job holding a worker, stopping ones included
        self._results: OrderedDict[Hashable, JobStatus] = OrderedDict()  # DONE statuses, least recent first
        self._ended: OrderedDict[Hashable, JobStatus] = OrderedDict()  # FAILED/CANCELLED, oldest first
        self._closed = False
        self._workers = [threading.Thread(target=self._work, name=f"dropviz-jobs-{i}", daemon=True)
                         for i in range(max_running)]
        for w in self._workers:
            w.start()

    # -- the interface --------------------------------------------------------------------------------

    def submit(self, key: Hashable, fn: Task | Callable[[JobContext], Any], *, owner: str) -> JobStatus:
        with self._cond:
            if self._closed:
                raise RuntimeError("the job queue is shut down")
            done = self._results.get(key)
            if done is not None:
                self._results.move_to_end(key)
                return done
            job = self._jobs.get(key)
            if job is not None:
                job.owners.add(owner)
                return self._snapshot(job)
            if len(self._queue) >= self.max_queued:
                raise QueueFull(f"{len(self._queue)} jobs are already waiting (at most {self.max_queued}); "
                                "try again when some have finished")
            job = _Job(key, fn, {owner})
            self._queue.append(job)
            self._jobs[key] = job
            self._ended.pop(key, None)  # a retry of a failed or cancelled job
            self._cond.notify()
            return self._snapshot(job)

    def status(self, key: Hashable) -> JobStatus | None:
        with self._cond:
            job = self._jobs.get(key) or self._stopping.get(key)
            if job is not None:
                return self._snapshot(job)
            return self._results.get(key) or self._ended.get(key)

    def result(self, key: Hashable) -> Any | None:
        with self._cond:
            done = self._results.get(key)
            if done is None:
                return None
            self._results.move_to_end(key)
            return done.result

    def cancel(self, key: Hashable, *, owner: str) -> bool:
        with self._cond:
            job = self._jobs.get(key)
            if job is None or owner not in job.owners:
                return False
            job.owners.discard(owner)
            if not job.owners:
                self._drop(job)
            return True

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Also: ``timeout`` seconds at most per worker (a job that never calls ``check()`` can't be stopped)."""
        with self._cond:
            self._closed = True
            for job in list(self._jobs.values()):
                self._drop(job)
            self._cond.notify_all()
        if wait:
            for w in self._workers:
                if w is not threading.current_thread():
                    w.join(timeout)

    # -- more for the UI and tests --------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many jobs wait and run now (for a "server busy" line)."""
        with self._cond:
            return {"queued": len(self._queue), "running": len(self._running)}

    def owners(self, key: Hashable) -> frozenset[str]:
        """Who is subscribed to the live job ``key`` (empty if none)."""
        with self._cond:
            job = self._jobs.get(key)
            return frozenset(job.owners) if job is not None else frozenset()

    def workers_alive(self) -> int:
        return sum(w.is_alive() for w in self._workers)

    # -- internals (call with the lock held) ----------------------------------------------------------

    def _snapshot(self, job: _Job) -> JobStatus:
        now = time.monotonic()
        if job.state is JobState.QUEUED:
            return JobStatus(job.key, job.state, self._queue.index(job) + 1, job.ctx.progress,
                             seconds_waited=now - job.submitted)
        end = job.ended if job.ended is not None else now
        if job.started is None:  # cancelled while it waited
            return JobStatus(job.key, job.state, 0, job.ctx.progress, seconds_waited=end - job.submitted)
        return JobStatus(job.key, job.state, 0, job.ctx.progress, job.result, job.error,
                         seconds_waited=job.started - job.submitted, seconds_running=end - job.started)

    def _drop(self, job: _Job) -> None:
        """Cancel a live job nobody wants: out of the queue at once, or told to stop if running."""
        del self._jobs[job.key]
        job.owners.clear()
        job.ctx.cancel_event.set()
        if job.state is JobState.QUEUED:
            self._queue.remove(job)
            job.state, job.ended = JobState.CANCELLED, time.monotonic()
            self._remember_ended(job)
        else:  # running: it keeps its worker until fn notices; the key is free for a new job meanwhile
            self._stopping[job.key] = job

    def _remember_ended(self, job: _Job) -> None:
        if job.key in self._jobs or job.key in self._results:
            return  # a newer job of that key (or its result) says more than how this one ended
        self._ended[job.key] = self._snapshot(job)
        self._ended.move_to_end(job.key)
        while len(self._ended) > self.KEEP_ENDED:
            self._ended.popitem(last=False)

    def _finish(self, job: _Job) -> None:
        self._running.discard(job)
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
        if self._stopping.get(job.key) is job:
            del self._stopping[job.key]
        if job.state is not JobState.DONE:
            self._remember_ended(job)
            return
        done = self._snapshot(job)
        self._results[job.key] = done
        self._results.move_to_end(job.key)
        while len(self._results) > self.keep_results:
            self._results.popitem(last=False)
        self._ended.pop(job.key, None)
        twin = self._jobs.get(job.key)  # queued again while this one was stopping: its answer is here now
        if twin is not None and twin.state is JobState.QUEUED:
            del self._jobs[job.key]
            self._queue.remove(twin)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._queue.popleft()
                job.state, job.started = JobState.RUNNING, time.monotonic()
                job.ctx.start_clock(self.budget_s)
                self._running.add(job)
            try:
                result, state, error = job.fn(job.ctx), JobState.DONE, ""
            except BaseException as e:  # noqa: B036 -- a job must never take its worker down with it
                result, state, error = None, *ended_by(e, job.ctx)
            with self._cond:
                job.state, job.ended, job.result, job.error = state, time.monotonic(), result, error
                self._finish(job)
