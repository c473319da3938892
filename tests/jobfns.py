"""Module-level job functions for the Redis-queue tests: a worker process imports them by name, so they live in
an importable module with light imports (the work horse imports this file for every job). Gates are Redis keys,
since the test and the job run in different processes."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis


@dataclass(frozen=True)
class Gate:
    """Run until the Redis key ``gate`` exists (checking for a stop every 10 ms), reporting progress, then return
    ``result``; ``started`` is set when the job begins."""

    url: str
    name: str
    result: str = "ok"
    fail: bool = False


def gated(config: Gate, ctx):
    r = redis.Redis.from_url(config.url)
    try:
        r.rpush(f"{config.name}:started", str(time.time()))
        ctx.report(1, 2, "half way")
        while not r.exists(f"{config.name}:open"):
            ctx.check()
            time.sleep(0.01)
        if config.fail:
            raise ValueError(f"{config.result} went wrong")
        return {"result": config.result}
    finally:
        r.close()


def forever(config: Gate, ctx):
    """Never ends unless stopped (by a cancel, or the time budget)."""
    while True:
        ctx.check()
        time.sleep(0.01)


def ignores_stops(config: Gate, ctx):
    """Never calls ctx.check(): only killing its process ends it."""
    while True:
        time.sleep(0.05)
