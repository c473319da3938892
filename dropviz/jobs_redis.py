"""The job queue on Redis with RQ workers: several server replicas share one FIFO, one results store and one set
of trainers, and trainings run in worker processes (``python -m dropviz.worker``), never in a replica.

Selected by the ``DROPVIZ_REDIS_URL`` setting (``dropviz.ui.training.queue``); without it the in-process queue
(:class:`dropviz.jobs.InProcessQueue`) is used. Same interface, same meaning (:class:`dropviz.jobs.JobQueue`):

* a job's **key** (the frozen config) is named in Redis by ``key_id``: a SHA-256 of the config's class path and
  ``repr``, the same in every process (Python's ``hash()`` is salted per process). Configs are frozen dataclasses
  of numbers, strings and tuples, whose ``repr`` is exact and deterministic;
* **FIFO** -- jobs wait on an RQ queue (a Redis list); a job's place is its index there (``LPOS``), so every
  replica shows the same place. At most ``max_queued`` wait. One job runs per worker process: size trainers by
  starting workers;
* **shared** -- a key that is queued or running gains the new owner (a Lua script makes "look up, then join or
  create" atomic across replicas); a DONE result is stored under its key id for every replica, at most
  ``keep_results`` of them (the least recently read dropped first, each also expiring after ``result_ttl_s``);
* **stoppable** -- when the last owner cancels, a queued job leaves the list at once; a running one gets a
  ``cancel`` flag in its Redis hash, which the worker's heartbeat thread copies into the job's
  :class:`~dropviz.jobs.JobContext` within ``POLL_S``, so ``ctx.check()`` stops it within one step;
* **budgeted** -- the worker stops a job past ``budget_s`` like the in-process queue (CANCELLED with a message);
  RQ's own job timeout (the budget plus a grace) kills a job that never calls ``check()``;
* **progress** -- the worker's heartbeat thread writes ``ctx.report``'s latest progress into the run's hash
  every ``POLL_S``; any replica reads it;
* **a dead worker is noticed** -- while a job runs, its worker renews a lease key (``lease_s``). A replica that
  polls a RUNNING job whose lease expired marks it FAILED ("the worker ... stopped"), so a killed worker leaves
  no job running for ever; the queue itself lives in Redis and the next worker goes on with it. A work horse
  whose parent worker died exits at once (RQ forks one per job), so a killed worker's training does not go on.
* FAILED and CANCELLED runs are kept ``keep_ended_s`` seconds (their hashes expire), for pollers to see.

Results and jobs are pickled (RQ's default serializer): the Redis server must be trusted and private, as for any
RQ deployment. One Redis server, not a cluster (the scripts touch keys they derive).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import threading
from typing import Any, Callable, Hashable

import redis
import rq

from dropviz import jobs
from dropviz.jobs import JobContext, JobProgress, JobQueue, JobState, JobStatus, QueueFull, Task

__all__ = ["RedisQueue", "key_id"]

POLL_S = 0.2  # how often a running job's worker renews its lease, reads its cancel flag and writes progress
LEASE_S = 10.0  # a running job whose worker was silent this long is declared dead (FAILED)
KEEP_ENDED_S = 600  # FAILED/CANCELLED runs stay visible this long
RESULT_TTL_S = 7 * 24 * 3600  # a stored result expires after a week even if it stays among the most recent
HARD_TIMEOUT_GRACE_S = 60  # RQ kills a job this long after its budget if it never called check()
_RQ_JOB = rq.job.Job.redis_job_namespace_prefix  # "rq:job:": RQ's hash of a job, by id
DEAD_MESSAGE = ("WorkerLost: the worker process running this training stopped (killed or crashed) after {s:.0f} s; "
                "press the button to train again")


def key_id(key: Hashable) -> str:
    """The key's name in Redis, stable across processes and machines (unlike ``hash()``)."""
    text = f"{type(key).__module__}.{type(key).__qualname__}:{key!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


# --- Lua: each script is one atomic step of the job's life, so replicas and workers never interleave inside it.
# Keys are derived from ARGV[1] (the namespace); a single Redis server is assumed.

_SUBMIT = """
local ns, kid, owner, qkey = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local max_queued = tonumber(ARGV[5])
if redis.call('EXISTS', ns..':res:'..kid) == 1 then return {'done'} end
local cur = ns..':cur:'..kid
local run = redis.call('GET', cur)
if run then
  local rk = ns..':run:'..run
  local st = redis.call('HGET', rk, 'state')
  if (st == 'queued' or st == 'running') and redis.call('HGET', rk, 'cancel') ~= '1' then
    redis.call('SADD', ns..':own:'..run, owner)
    return {'joined', run}
  end
end
local waiting = redis.call('LLEN', qkey)
if waiting >= max_queued then return {'full', tostring(waiting)} end
local t = redis.call('TIME')
run = kid..'-'..redis.call('INCR', ns..':seq')
redis.call('HSET', ns..':run:'..run, 'state', 'queued', 'kid', kid, 'cancel', '0',
           'submitted', t[1]..'.'..string.format('%06d', t[2]))
redis.call('SADD', ns..':own:'..run, owner)
redis.call('SET', cur, run)
return {'new', run}
"""

_CANCEL = """
local ns, kid, owner, qkey, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local run = redis.call('GET', ns..':cur:'..kid)
if not run then return 0 end
local rk, own = ns..':run:'..run, ns..':own:'..run
local st = redis.call('HGET', rk, 'state')
if not (st == 'queued' or st == 'running') or redis.call('HGET', rk, 'cancel') == '1' then return 0 end
if redis.call('SREM', own, owner) == 0 then return 0 end
if redis.call('SCARD', own) > 0 then return 1 end
redis.call('HSET', rk, 'cancel', '1')
if st == 'queued' then
  redis.call('LREM', qkey, 0, run)
  redis.call('EXPIRE', ARGV[6]..run, keep)  -- RQ's own record of the job, never to run now
  local t = redis.call('TIME')
  redis.call('HSET', rk, 'state', 'cancelled', 'ended', t[1]..'.'..string.format('%06d', t[2]))
  redis.call('EXPIRE', rk, keep)
  redis.call('EXPIRE', ns..':cur:'..kid, keep)
end
return 1
"""

_START = """
local ns, run, lease_ms = ARGV[1], ARGV[2], ARGV[3]
local rk = ns..':run:'..run
if redis.call('HGET', rk, 'state') ~= 'queued' or redis.call('HGET', rk, 'cancel') == '1' then return 0 end
local t = redis.call('TIME')
redis.call('HSET', rk, 'state', 'running', 'started', t[1]..'.'..string.format('%06d', t[2]))
redis.call('SET', ns..':alive:'..run, '1', 'PX', lease_ms)
return 1
"""

# A running job's worker: renew the lease, write progress, read the cancel flag (one round trip per POLL_S).
_BEAT = """
local ns, run, lease_ms = ARGV[1], ARGV[2], ARGV[3]
local rk = ns..':run:'..run
if redis.call('HGET', rk, 'state') == 'running' then
  redis.call('SET', ns..':alive:'..run, '1', 'PX', lease_ms)
  redis.call('HSET', rk, 'done', ARGV[4], 'total', ARGV[5], 'text', ARGV[6])
end
return redis.call('HGET', rk, 'cancel')
"""

_FINISH = """
local ns, kid, run, state, err, qkey = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local keep_results, keep, result_ttl = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local rk = ns..':run:'..run
local t = redis.call('TIME')
local now = t[1]..'.'..string.format('%06d', t[2])
redis.call('DEL', ns..':alive:'..run)
if redis.call('HGET', rk, 'state') == 'running' then  -- not if a replica already declared it dead
  redis.call('HSET', rk, 'state', state, 'ended', now, 'error', err, 'done', ARGV[11], 'total', ARGV[12],
             'text', ARGV[13])
end
redis.call('EXPIRE', rk, keep)
redis.call('EXPIRE', ns..':own:'..run, keep)
local cur = ns..':cur:'..kid
if state == 'done' then
  local res = ns..':res:'..kid
  local f = redis.call('HMGET', rk, 'submitted', 'started')
  redis.call('HSET', res, 'value', ARGV[10], 'waited', tostring(tonumber(f[2]) - tonumber(f[1])),
             'ran', tostring(tonumber(now) - tonumber(f[2])), 'done', ARGV[11], 'total', ARGV[12], 'text', ARGV[13])
  redis.call('EXPIRE', res, result_ttl)
  local lru = ns..':lru'
  redis.call('ZADD', lru, now, kid)
  local extra = redis.call('ZCARD', lru) - keep_results
  if extra > 0 then
    local old = redis.call('ZPOPMIN', lru, extra)
    for i = 1, #old, 2 do redis.call('DEL', ns..':res:'..old[i]) end
  end
  -- queued again while this run was stopping: its answer is here now
  local twin = redis.call('GET', cur)
  if twin and twin ~= run and redis.call('HGET', ns..':run:'..twin, 'state') == 'queued' then
    redis.call('LREM', qkey, 0, twin)
    redis.call('EXPIRE', ARGV[14]..twin, keep)
    redis.call('HSET', ns..':run:'..twin, 'state', 'cancelled', 'cancel', '1', 'ended', now)
    redis.call('EXPIRE', ns..':run:'..twin, keep)
    redis.call('SET', cur, run)
  end
end
if redis.call('GET', cur) == run then redis.call('EXPIRE', cur, keep) end
return 1
"""

# A RUNNING job whose lease expired: its worker died. FAILED, unless it ended (or renewed) in the meantime.
_BURY = """
local ns, run, msg, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local rk = ns..':run:'..run
if redis.call('HGET', rk, 'state') ~= 'running' or redis.call('EXISTS', ns..':alive:'..run) == 1 then return 0 end
local t = redis.call('TIME')
redis.call('HSET', rk, 'state', 'failed', 'error', msg, 'ended', t[1]..'.'..string.format('%06d', t[2]))
redis.call('EXPIRE', rk, keep)
redis.call('EXPIRE', ns..':own:'..run, keep)
local cur = ns..':cur:'..redis.call('HGET', rk, 'kid')
if redis.call('GET', cur) == run then redis.call('EXPIRE', cur, keep) end
return 1
"""


def _text(v: bytes | str | None, default: str = "") -> str:
    return default if v is None else v.decode() if isinstance(v, bytes) else str(v)


def _float(v, default: float = 0.0) -> float:
    return default if v is None else float(_text(v))


class RedisQueue(JobQueue):
    """A replica's handle on the shared queue ``name`` in Redis (see the module docstring).

    Jobs must be :class:`~dropviz.jobs.Task` s (or other picklable callables): a worker process runs them.
    :meth:`shutdown` does not stop the shared queue: it withdraws the owners this handle subscribed (a replica's
    sessions end with it), so only jobs that nobody else waits for are cancelled."""

    def __init__(self, connection: redis.Redis, *, name: str = "dropviz", keep_results: int = 32,
                 max_queued: int = 64, budget_s: float | None = None, lease_s: float = LEASE_S,
                 keep_ended_s: int = KEEP_ENDED_S, result_ttl_s: int = RESULT_TTL_S):
        for label, v, lo in (("keep_results", keep_results, 1), ("max_queued", max_queued, 0),
                             ("keep_ended_s", keep_ended_s, 1), ("result_ttl_s", result_ttl_s, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"{label} has to be a whole number >= {lo}, but got {v!r}")
        jobs.check_budget(budget_s)
        if not lease_s > 4 * POLL_S:
            raise ValueError(f"lease_s has to exceed {4 * POLL_S} s (4 heartbeats), but got {lease_s!r}")
        self.r, self.name = connection, name
        self.keep_results, self.max_queued, self.budget_s = keep_results, max_queued, budget_s
        self.lease_s, self.keep_ended_s, self.result_ttl_s = lease_s, keep_ended_s, result_ttl_s
        self.rq = rq.Queue(name, connection=connection)
        self._submit, self._cancel = connection.register_script(_SUBMIT), connection.register_script(_CANCEL)
        self._bury = connection.register_script(_BURY)
        self._lock = threading.Lock()
        self._mine: dict[str, tuple[Hashable, set[str]]] = {}  # key id -> (key, owners this handle subscribed)
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **kwargs) -> RedisQueue:
        return cls(redis.Redis.from_url(url, health_check_interval=30), **kwargs)

    def _k(self, *parts: str) -> str:
        return ":".join((self.name, *parts))

    # -- the interface --------------------------------------------------------------------------------

    def submit(self, key: Hashable, fn: Task | Callable[[JobContext], Any], *, owner: str) -> JobStatus:
        if self._closed:
            raise RuntimeError("the job queue is shut down")
        try:
            pickle.dumps(fn)
        except Exception as e:  # lambdas, closures, locally defined functions
            raise TypeError("the Redis queue runs jobs in worker processes, so a job must pickle: give a "
                            "jobs.Task(fn, config) with a module-level fn and a picklable config "
                            f"({type(e).__name__}: {e})") from e
        kid = key_id(key)
        answer = self._submit(args=[self.name, kid, owner, self.rq.key, self.max_queued])
        kind = _text(answer[0])
        if kind == "full":
            raise QueueFull(f"{_text(answer[1])} jobs are already waiting (at most {self.max_queued}); try again "
                            "when some have finished")
        if kind != "done":
            run = _text(answer[1])
            if kind == "new":
                hard = -1 if self.budget_s is None else int(self.budget_s + HARD_TIMEOUT_GRACE_S)
                try:
                    self.rq.enqueue_call(_execute, args=(self.name, kid, run, fn, self.budget_s, self.lease_s,
                                                         self.keep_results, self.keep_ended_s, self.result_ttl_s),
                                         job_id=run, timeout=hard, result_ttl=0, failure_ttl=self.keep_ended_s,
                                         description=f"dropviz {getattr(fn, 'name', type(fn).__name__)} {kid[:12]}")
                except BaseException:  # not on the list: withdraw, so the key is not left "queued" for ever
                    self._cancel(args=[self.name, kid, owner, self.rq.key, self.keep_ended_s, _RQ_JOB])
                    raise
            with self._lock:
                self._mine.setdefault(kid, (key, set()))[1].add(owner)
                if len(self._mine) > 256:
                    self._forget_finished()
        return self.status(key)

    def status(self, key: Hashable) -> JobStatus | None:
        kid = key_id(key)
        run = self.r.get(self._k("cur", kid))
        if run is not None:
            run = _text(run)
            status = self._run_status(key, run)
            if status is not None and not status.finished:
                return status
        done = self._done_status(key, kid)
        if done is not None:
            return done
        if run is None:
            return None
        ended = self._run_status(key, run)
        # DONE but its result since dropped from the store: unknown, as in the in-process queue
        return None if ended is None or ended.state is JobState.DONE else ended

    def result(self, key: Hashable) -> Any | None:
        kid = key_id(key)
        value = self.r.hget(self._k("res", kid), "value")
        if value is None:
            return None
        self.r.zadd(self._k("lru"), {kid: _float(self.r.time()[0])}, xx=True)
        return pickle.loads(value)

    def cancel(self, key: Hashable, *, owner: str) -> bool:
        kid = key_id(key)
        with self._lock:
            mine = self._mine.get(kid)
            if mine is not None:
                mine[1].discard(owner)
        return bool(self._cancel(args=[self.name, kid, owner, self.rq.key, self.keep_ended_s, _RQ_JOB]))

    def owners(self, key: Hashable) -> frozenset[str]:
        run = self.r.get(self._k("cur", key_id(key)))
        if run is None:
            return frozenset()
        run = _text(run)
        state, cancel = self.r.hmget(self._k("run", run), "state", "cancel")
        if _text(state) not in ("queued", "running") or _text(cancel) == "1":
            return frozenset()
        return frozenset(_text(o) for o in self.r.smembers(self._k("own", run)))

    def shutdown(self, wait: bool = True, timeout: float | None = None) -> None:
        """Withdraw this handle's owners (cancelling the jobs nobody else wants) and close its connections.
        ``wait`` and ``timeout`` are accepted for the interface: workers are other processes."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            mine = [(key, owner) for key, owners in self._mine.values() for owner in owners]
            self._mine.clear()
        try:
            for key, owner in mine:
                self._cancel(args=[self.name, key_id(key), owner, self.rq.key, self.keep_ended_s, _RQ_JOB])
        except redis.RedisError:
            pass  # Redis gone: nothing to withdraw from
        finally:
            self.r.close()

    # -- more for the UI and tests --------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many jobs wait and run now, over every replica."""
        return {"queued": self.rq.count, "running": self.rq.started_job_registry.count}

    def workers(self) -> int:
        """How many RQ workers serve this queue now."""
        return rq.Worker.count(queue=self.rq)

    # -- internals ------------------------------------------------------------------------------------

    def _forget_finished(self) -> None:  # lock held
        for kid in [k for k, (_, owners) in self._mine.items() if not owners]:
            del self._mine[kid]
        if len(self._mine) > 256:
            for kid, (key, _) in list(self._mine.items()):
                st = self.status(key)
                if st is None or st.finished:
                    del self._mine[kid]

    def _run_status(self, key: Hashable, run: str) -> JobStatus | None:
        with self.r.pipeline(transaction=False) as p:
            p.hgetall(self._k("run", run))
            p.lpos(self.rq.key, run)
            p.exists(self._k("alive", run))
            p.time()
            h, pos, alive, (sec, usec) = p.execute()
        if not h:
            return None
        h = {_text(k): _text(v) for k, v in h.items()}
        now = sec + usec / 1e6
        state = JobState(h["state"])
        if state is JobState.RUNNING and not alive and now - _float(h.get("started"), now) > self.lease_s:
            ran = now - _float(h.get("started"), now)
            if self._bury(args=[self.name, run, DEAD_MESSAGE.format(s=ran), self.keep_ended_s]):
                return self._run_status(key, run)
        progress = JobProgress(int(_float(h.get("done"))), int(_float(h.get("total"))), h.get("text", ""))
        submitted = _float(h.get("submitted"), now)
        if state is JobState.QUEUED:
            # not yet on the list (enqueued just after the script): behind everyone there
            place = pos + 1 if pos is not None else self.rq.count + 1
            return JobStatus(key, state, place, progress, seconds_waited=now - submitted)
        end = _float(h.get("ended"), now)
        if "started" not in h:  # cancelled while it waited
            return JobStatus(key, state, 0, progress, seconds_waited=end - submitted)
        started = _float(h["started"])
        return JobStatus(key, state, 0, progress, None, h.get("error", ""), seconds_waited=started - submitted,
                         seconds_running=end - started)

    def _done_status(self, key: Hashable, kid: str) -> JobStatus | None:
        h = self.r.hgetall(self._k("res", kid))
        if not h:
            return None
        h = {_text(k): v for k, v in h.items()}
        progress = JobProgress(int(_float(h.get("done"))), int(_float(h.get("total"))), _text(h.get("text")))
        return JobStatus(key, JobState.DONE, 0, progress, pickle.loads(h["value"]),
                         seconds_waited=_float(h.get("waited")), seconds_running=_float(h.get("ran")))


class _WorkerContext(JobContext):
    """The job's context inside a worker: a heartbeat thread renews the lease, copies the cancel flag in and the
    progress out every ``POLL_S``; it also ends this process if the worker that forked it is gone."""

    def __init__(self, connection: redis.Redis, ns: str, run: str, lease_s: float):
        super().__init__()
        self._beat = connection.register_script(_BEAT)
        self._args = [ns, run, int(lease_s * 1000)]
        self._stop = threading.Event()
        self._parent = os.getppid()
        self._thread = threading.Thread(target=self._heartbeat, name=f"dropviz-beat-{run}", daemon=True)

    def __enter__(self) -> _WorkerContext:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def beat(self) -> None:
        pr = self.progress
        if _text(self._beat(args=[*self._args, pr.done, pr.total, pr.text])) == "1":
            self.cancel_event.set()

    def _heartbeat(self) -> None:
        while not self._stop.wait(POLL_S):
            if os.getppid() != self._parent:  # our worker was killed: nobody will record this job, so stop now
                os._exit(1)
            try:
                self.beat()
            except redis.RedisError:
                pass  # Redis away for a moment: the lease says how long that may last


def _execute(ns: str, kid: str, run: str, task: Task, budget_s: float | None, lease_s: float, keep_results: int,
             keep_ended_s: int, result_ttl_s: int) -> None:
    """What an RQ worker runs for one job: start it unless it was cancelled meanwhile, run it with a heartbeat,
    record how it ended. Never raises (the job's outcome is in the run's hash, not in RQ's registries)."""
    connection = rq.get_current_job().connection
    if not connection.register_script(_START)(args=[ns, run, int(lease_s * 1000)]):
        return  # cancelled (or already taken) while it waited
    ctx = _WorkerContext(connection, ns, run, lease_s)
    ctx.start_clock(budget_s)
    value = b""
    with ctx:
        try:
            result, state, error = task(ctx), JobState.DONE, ""
        except BaseException as e:  # noqa: B036 -- the outcome must be recorded whatever happened
            result, (state, error) = None, jobs.ended_by(e, ctx)
    if state is JobState.DONE:
        try:
            value = pickle.dumps(result)
        except Exception as e:
            state, error = JobState.FAILED, f"TypeError: the job's result does not pickle ({type(e).__name__}: {e})"
    pr = ctx.progress
    connection.register_script(_FINISH)(args=[
        ns, kid, run, state.value, error, rq.Queue(ns, connection=connection).key, keep_results, keep_ended_s,
        result_ttl_s, value, pr.done, pr.total, pr.text, _RQ_JOB])
