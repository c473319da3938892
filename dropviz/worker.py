"""``python -m dropviz.worker``: an RQ worker for DropViz's trainings (see :mod:`dropviz.jobs_redis`).

Reads ``DROPVIZ_REDIS_URL`` (required) and ``DROPVIZ_QUEUE`` (default ``dropviz``). One worker runs one training
at a time, in a work horse forked per job (so a training's memory is returned when it ends); start as many
workers as there are trainings to run at once (about one per two CPU cores: torch uses the cores it is given).
Equivalent to ``rq worker --url $DROPVIZ_REDIS_URL dropviz``, except that torch and the training modules are
imported once here, before the worker forks its work horses, so a job starts training at once instead of
importing torch first (``--no-preload`` to skip).
"""

from __future__ import annotations

import argparse
import os
import sys

import redis
import rq


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dropviz.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DROPVIZ_REDIS_URL"), help="Redis URL (DROPVIZ_REDIS_URL)")
    parser.add_argument("--queue", default=os.environ.get("DROPVIZ_QUEUE", "dropviz"), help="queue name")
    parser.add_argument("--burst", action="store_true", help="exit once the queue is empty")
    parser.add_argument("--no-preload", dest="preload", action="store_false",
                        help="do not import torch and dropviz.train before forking work horses")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("set DROPVIZ_REDIS_URL (e.g. redis://127.0.0.1:6379/0) or pass --url")
    if args.preload:
        import dropviz.train  # noqa: F401 -- torch, the engine and the trainers: inherited by every work horse
    connection = redis.Redis.from_url(args.url)
    worker = rq.Worker([rq.Queue(args.queue, connection=connection)], connection=connection)
    worker.work(burst=args.burst, with_scheduler=False, logging_level=os.environ.get("DROPVIZ_WORKER_LOG", "INFO"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
