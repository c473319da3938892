"""The training lab's loop (engine.fit with progress reports and a cancel check before every step, run as a job
on the server's queue) vs a bare torch loop over the same model, data, batches and per-epoch evaluation."""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import replace

import torch
import torch.nn.functional as F

from dropviz import jobs, models
from dropviz.bench.core import Pair, benchmark
from dropviz.train import engine, lab

_keys = itertools.count()


def _bare(cfg: lab.RunConfig) -> None:
    """The same training as lab.train_run, written as the plain loop everyone writes (no callbacks, no checks)."""
    split = lab.split_for(cfg)
    xt, yt, xv, yv = (t.to(cfg.device) for t in (split.x_train, split.y_train, split.x_val, split.y_val))
    model = models.mlp(split.features, split.classes, cfg.width, cfg.depth, cfg.slots, seed=cfg.seed,
                       device=cfg.device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(cfg.seed + 2)
    per_epoch = math.ceil(cfg.train_size / cfg.batch)
    for _ in range(cfg.epochs):
        order = torch.randperm(cfg.train_size, generator=g).to(cfg.device)  # drawn on the CPU, as the lab does
        for b in range(per_epoch):
            idx = order[b * cfg.batch:(b + 1) * cfg.batch]
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
        model.eval()
        with torch.no_grad():
            for x, y in ((xt, yt), (xv, yv)):
                logits = model(x)
                F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).double().mean().item()
        model.train()
    if cfg.task != "digits":  # the 2-D tasks' decision boundary, as the lab draws it: P(class 1) on a grid
        axis = torch.linspace(-lab.EXTENT, lab.EXTENT, lab.GRID)
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        model.eval()
        with torch.no_grad():
            model(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1).to(cfg.device)).softmax(1).cpu()


def _queued(q: jobs.JobQueue, cfg: lab.RunConfig) -> None:
    key = ("bench", next(_keys))
    q.submit(key, lambda ctx: lab.train_run(cfg, ctx=ctx), owner="bench")
    while q.result(key) is None:
        status = q.status(key)
        if status is not None and status.finished and status.state is not jobs.JobState.DONE:
            raise RuntimeError(f"benchmark training ended {status.state}: {status.error}")
        time.sleep(0.005)  # a page polls twice a second; 5 ms keeps the wait short without taking the GIL often


@benchmark("train_loop")
def train_loop(device: str, quick: bool) -> Pair:
    default = lab.LabConfig(device=device)
    cfg = default.runs()[1]  # the lab's default model with dropout
    if quick:
        cfg = replace(cfg, width=32, epochs=5)
    q = jobs.InProcessQueue(max_running=1, keep_results=2, max_queued=4)
    t0 = time.perf_counter()
    lab.run_lab(default if not quick else replace(default, width=32, epochs=5))
    wall = time.perf_counter() - t0

    def ours() -> None:
        _queued(q, cfg)

    def bare() -> None:
        with engine.cpu_threads(1 if device == "cpu" else None):  # what the lab uses on the CPU
            _bare(cfg)

    what = (f"lab train_run as a queued job vs bare torch loop, {cfg.depth}×{cfg.width} MLP, {cfg.epochs} epochs of "
            f"{cfg.train_size} {cfg.task} examples ({device}); the lab's {'quick' if quick else 'default'} comparison "
            f"({len(default.methods)} models) took {wall:.2f} s")
    return Pair(ours, bare, what)
