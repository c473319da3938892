"""Live training seen from a page: one server-wide job queue (:mod:`dropviz.jobs`), shown in a fragment.

A page asks for a frozen config's result. If any session has trained it, it comes at once from the queue's
results store. Otherwise, once the page starts the job (its default on the first visit, or a button), the
training runs on the queue's worker thread, never in the page's script: the page renders at once, and a fragment
polls the job twice a second, showing the session's place in the FIFO while it waits, a progress bar while it
runs, and a Stop button; when the job is done the fragment reruns the whole page, which now finds the result.
Identical configs from several sessions share one job; a Stop from one session ends the training only when no
other session is waiting for it. Pages that do not train are never blocked.

Settings (environment): ``DROPVIZ_REDIS_URL`` -- the queue, results and trainers live in Redis, shared by every
server replica, and trainings run in ``python -m dropviz.worker`` processes (:mod:`dropviz.jobs_redis`); unset,
the in-process queue. ``DROPVIZ_TRAIN_BUDGET_S`` -- a training still running this many seconds after it started
is stopped, with a message on the page (default ``TRAIN_BUDGET_S``).
"""

from __future__ import annotations

import atexit
import os
import uuid
from typing import Any, Callable, Hashable

import streamlit as st

from dropviz import i18n, jobs
from dropviz.i18n import _, fmt, ngettext

MAX_TRAININGS = 1  # at once per server: 2 shared cores, and torch's CPU thread setting is process-wide
MAX_QUEUED = 16  # jobs waiting, server-wide: beyond it a session is told to come back later
KEEP_RESULTS = 32  # trained results kept (least recently used dropped first); each is a few kB
POLL_S = 0.5  # how often a waiting or training session looks at its job
TRAIN_BUDGET_S = 180.0  # default time budget of one training: every page's default trains in well under a minute
_OWNER = "_dropviz_session_owner"  # session_state: this session's id in the queue
PANEL_KEY = "dropviz-training"  # job panel container key; the browser sees class "st-key-dropviz-training-…"


def train_budget_s() -> float:
    """``DROPVIZ_TRAIN_BUDGET_S`` in seconds (> 0), or ``TRAIN_BUDGET_S``."""
    raw = os.environ.get("DROPVIZ_TRAIN_BUDGET_S", "").strip()
    if not raw:
        return TRAIN_BUDGET_S
    try:
        budget = float(raw)
    except ValueError:
        budget = float("nan")
    if not budget > 0 or budget == float("inf"):
        raise ValueError(f"DROPVIZ_TRAIN_BUDGET_S has to be a number of seconds > 0, but got {raw!r}")
    return budget


@st.cache_resource
def queue() -> jobs.JobQueue:
    """One per server process, shared by every session: on Redis when ``DROPVIZ_REDIS_URL`` is set (shared by
    every replica, trainings in worker processes), else in this process. At exit the in-process queue's running
    training is cancelled and awaited, so no worker thread is inside torch while the interpreter ends; a Redis
    queue withdraws this replica's sessions from their jobs."""
    url = os.environ.get("DROPVIZ_REDIS_URL", "").strip()
    if url:
        from dropviz import jobs_redis  # needs the redis and rq packages; only imported when selected

        q = jobs_redis.RedisQueue.from_url(url, keep_results=KEEP_RESULTS, max_queued=MAX_QUEUED,
                                           budget_s=train_budget_s())
    else:
        q = jobs.InProcessQueue(max_running=MAX_TRAININGS, keep_results=KEEP_RESULTS, max_queued=MAX_QUEUED,
                                budget_s=train_budget_s())
    atexit.register(q.shutdown, wait=True, timeout=5.0)
    return q


def _owner() -> str:
    return st.session_state.setdefault(_OWNER, uuid.uuid4().hex)


def in_progress(config: Hashable) -> bool:
    """A job for ``config`` is waiting or training (a page hides its Train button meanwhile)."""
    status = queue().status(config)
    return status is not None and not status.finished


def trained(config: Hashable) -> Any | None:
    """The result already trained for this frozen config by any session, or None."""
    return queue().result(config)


def train_job(fn: Callable[..., Any], config: Hashable, *, start: bool = False, auto: bool = False,
              what: str = "Training") -> Any | None:
    """``fn(config, ctx=...)``'s result for ``config`` if it is trained. Otherwise submit it (once) when ``start``
    (a button was pressed) or when ``auto`` and it was never submitted (a page's default experiment: a Stop is
    not undone by the next rerun), show the job's progress in a polling fragment, and return None. The result,
    when it comes, is stored for every session."""
    q = queue()
    done = q.result(config)
    if done is not None:
        return done
    status = q.status(config)
    waiting = status is not None and not status.finished
    # A press, a page's first-ever default, or a session that wants a job already on the queue (it joins as an
    # owner, so one session's Stop does not end a training another session still waits for).
    if (start and (status is None or status.finished)) or (auto and status is None) or ((start or auto) and waiting):
        try:
            status = q.submit(config, jobs.Task(i18n.InLanguage(fn, i18n.language()), config), owner=_owner())
        except jobs.QueueFull:
            st.warning(_("The server's training queue is full ({n} waiting). Press the button again in a minute.")
                       .format(n=MAX_QUEUED), icon=":material/hourglass_disabled:")
            return None
    if status is None:
        return None
    if status.state is jobs.JobState.DONE:
        return status.result
    if status.state is jobs.JobState.FAILED:
        st.error(_("The training failed: {error}").format(error=status.error), icon=":material/error:")
        return None
    if status.state is jobs.JobState.CANCELLED and status.error:  # the time budget (status.error: in English)
        budget = getattr(q, "budget_s", None)
        st.warning(_("The training was stopped after its time budget of {budget} s on this server "
                     "(DROPVIZ_TRAIN_BUDGET_S); try smaller settings.").format(budget=f"{budget:g}")
                   if budget else _("The training was {error}.").format(error=status.error),
                   icon=":material/timer_off:")
        return None
    if status.state is jobs.JobState.CANCELLED:
        st.info(_("The training was stopped. Press the button to train again."), icon=":material/stop_circle:")
        return None
    _job_panel(config, what)
    return None


def capacity() -> str:
    """How many trainings run at once, in words ("at most 1 training at a time on this server", or the Redis
    queue's worker count): what a page says beside its Train button."""
    return _capacity(queue())


def _capacity(q: jobs.JobQueue) -> str:
    workers = getattr(q, "workers", None)  # the Redis queue: its trainers are worker processes
    if workers is None:
        return ngettext("at most {n} training at a time on this server",
                        "at most {n} trainings at a time on this server", MAX_TRAININGS).format(n=MAX_TRAININGS)
    n = workers()
    if not n:
        return _("no trainer is running right now")
    return ngettext("{n} trainer shared by every server", "{n} trainers shared by every server", n).format(n=n)


@st.fragment(run_every=POLL_S)
def _job_panel(config: Hashable, what: str) -> None:
    """The job's place in the queue or its progress, and Stop. Reruns the page once the result is in. It draws
    in a keyed container, so a browser (and the e2e tests) can tell that the page still waits for a training."""
    q = queue()
    status = q.status(config)
    if status is None or status.finished:
        st.rerun(scope="app")  # done (or stopped, failed): the page shows what became of it
        return
    with st.container(key=f"{PANEL_KEY}-{abs(hash(config)):x}"):
        _job_panel_body(q, config, status, what)


def _job_panel_body(q: jobs.JobQueue, config: Hashable, status: jobs.JobStatus, what: str) -> None:
    """The panel's contents: the queue place or the progress bar, then Stop (for an owner of the job)."""
    what = _(what)  # a page passes it in English (N_) or translated
    if status.state is jobs.JobState.QUEUED:
        ahead = status.position - 1
        text = (_("Waiting for a free trainer: you are next (place {place} in the queue; {capacity}). Other pages "
                  "stay usable.") if ahead == 0 else
                ngettext("Waiting for a free trainer: {ahead} ahead of you (place {place} in the queue; {capacity}). "
                         "Other pages stay usable.",
                         "Waiting for a free trainer: {ahead} ahead of you (place {place} in the queue; {capacity}). "
                         "Other pages stay usable.", ahead))
        st.info(text.format(ahead=ahead, place=status.position, capacity=_capacity(q)),
                icon=":material/hourglass_top:")
    else:
        pr = status.progress
        frac = pr.done / pr.total if pr.total else 0.0
        st.progress(frac, text=_("{what}: {done} of {total} steps · {progress}").format(
            what=what, progress=_(pr.text) if pr.text else _("starting"), done=fmt(pr.done, 0),
            total=fmt(pr.total, 0)) if pr.total else _("{what}: starting…").format(what=what))
    if _owner() not in q.owners(config):
        st.caption(_("Another session started this training; its result will be shown here too."))
    elif st.button(_("Stop"), icon=":material/stop:", key=f"stop-{hash(config)}",
                   help=_("Ends the training within one step (if no other session is waiting for it too).")):
        q.cancel(config, owner=_owner())
        st.rerun(scope="app")
