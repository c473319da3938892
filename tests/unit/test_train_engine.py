"""The training engine: reproducible from explicit generators, never touching torch's global RNG, stoppable
within a step, reporting progress -- on its own and inside the job queue."""

from __future__ import annotations

import ast
import math
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from dropviz import jobs
from dropviz.train import engine  # the one line to change when the module moves

TIMEOUT = 3.0


@pytest.fixture
def global_rng_untouched():
    """The test's code must leave torch's global CPU generator exactly as it found it."""
    before = torch.random.get_rng_state()
    yield
    assert torch.equal(torch.random.get_rng_state(), before), "torch's global RNG state changed"


def regression(seed: int, steps: int = 60, *, ctx=None, every: int = 1, pause: float = 0.0) -> np.ndarray:
    """Fit y = x·w + b + noise with a 3 -> 1 nn.Linear; every draw comes from generators of ``seed``."""
    g = engine.generator(seed)
    x = torch.randn(64, 3, generator=g)  # (64, 3)
    y = x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * torch.randn(64, 1, generator=g)  # (64, 1)
    model = engine.build_module(lambda: nn.Linear(3, 1), engine.generator(seed + 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(i: int) -> float:
        idx = torch.randint(0, 64, (16,), generator=g)  # (16,) a minibatch
        loss = nn.functional.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if pause:
            time.sleep(pause)
        return loss.item()

    with engine.cpu_threads(1):  # one thread: fastest for tiny matmuls, and no pool stalls on a busy machine
        return engine.fit(step, steps, ctx=ctx, every=every)


def test_fit_is_reproducible_and_leaves_the_global_rng_alone(global_rng_untouched):
    a, b = regression(0), regression(0)
    assert a.dtype == np.float64 and a.shape == (60,)
    np.testing.assert_array_equal(a, b)
    assert a[-10:].mean() < 0.1 * a[:5].mean()  # it does learn
    assert not np.array_equal(a, regression(1))


def test_progress_is_throttled_and_always_ends_on_the_last_step():
    seen: list[engine.Progress] = []
    losses = regression(0, steps=10, ctx=engine.Context(on_progress=seen.append), every=3)
    assert [p.step for p in seen] == [3, 6, 9, 10] and all(p.total == 10 for p in seen)
    assert seen[-1].step == seen[-1].total and seen[-1].loss == losses[-1]
    assert seen[-1].text == f"minibatch loss {losses[-1]:.4g}"  # the step counts are in step/total, shown by the page


def test_fit_accepts_any_context_with_check_and_report():
    class Stub:
        def __init__(self):
            self.reports, self.checks = [], 0

        def check(self):
            self.checks += 1

        def report(self, done, total, text=""):
            self.reports.append((done, total, text))

    stub = Stub()
    engine.fit(lambda i: 1.0 / (i + 1), 4, ctx=stub)
    assert stub.checks == 4 and [r[:2] for r in stub.reports] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert "loss 0.25" in stub.reports[-1][2]


def test_cancel_from_another_thread_stops_fit_within_a_second():
    ctx = engine.Context()
    requested = {}

    def stop():
        requested["at"] = time.monotonic()
        ctx.cancel()

    timer = threading.Timer(0.1, stop)
    timer.start()
    try:
        with pytest.raises(engine.Cancelled):
            regression(0, steps=100_000, ctx=ctx, pause=0.01)  # ~17 minutes if never stopped
        assert time.monotonic() - requested["at"] < 1.0
    finally:
        timer.cancel()
        timer.join()
    assert ctx.cancelled


def test_fit_runs_as_a_job_with_progress_and_cancel():
    with jobs.InProcessQueue() as q:
        q.submit("fit", lambda ctx: regression(0, steps=30, ctx=ctx), owner="s")
        q.submit("long", lambda ctx: regression(0, steps=100_000, ctx=ctx, pause=0.01), owner="s")
        deadline = time.monotonic() + TIMEOUT
        while (st := q.status("long")).state is not jobs.JobState.RUNNING or st.progress.done < 3:
            assert time.monotonic() < deadline, st
            time.sleep(0.005)
        done = q.status("fit")
        assert done.state is jobs.JobState.DONE and done.progress.done == done.progress.total == 30
        np.testing.assert_array_equal(done.result, regression(0, steps=30))
        t0 = time.monotonic()
        assert q.cancel("long", owner="s")
        while q.status("long").state is not jobs.JobState.CANCELLED:
            assert time.monotonic() - t0 < 1.0
            time.sleep(0.005)


def test_fit_rejects_bad_arguments():
    assert engine.fit(lambda i: 0.0, 0).shape == (0,)
    with pytest.raises(ValueError):
        engine.fit(lambda i: 0.0, -1)
    with pytest.raises(ValueError):
        engine.fit(lambda i: 0.0, 3, every=0)


class HandLSTM(nn.Module):
    """A hand-written LSTM layer named like dropviz.rnn.MaskedLSTM (weight_ih, weight_hh, one bias)."""

    def __init__(self, n_in: int, hidden: int):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.empty(4 * hidden, n_in))  # (4H, I)
        self.weight_hh = nn.Parameter(torch.empty(4 * hidden, hidden))  # (4H, H)
        self.bias = nn.Parameter(torch.empty(4 * hidden))  # (4H,)
        bound = 1 / math.sqrt(hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)


def zoo() -> nn.Module:
    """One of every module kind init_module_ knows."""
    return nn.ModuleDict({
        "emb": nn.Embedding(10, 4, padding_idx=0),
        "lstm": nn.LSTM(4, 8),
        "hand": HandLSTM(4, 16),
        "cell": nn.GRUCell(4, 5),
        "conv": nn.Conv2d(2, 3, 3),
        "norm": nn.LayerNorm(3),
        "head": nn.Linear(8, 3),
    })


def params(m: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in m.parameters()]


def test_init_module_is_reproducible_and_leaves_the_global_rng_alone():
    models = [zoo() for _ in range(3)]  # construction itself draws from the global RNG: before the snapshot
    before = torch.random.get_rng_state()
    a, b, c = (params(engine.init_module_(m, engine.generator(s))) for m, s in zip(models, (7, 7, 8), strict=True))
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))


def test_init_module_draws_what_torch_draws_by_default(global_rng_untouched):
    """Same draws, same order: a CPU generator seeded s gives what construction after manual_seed(s) gives."""
    with engine.seeded_init(3):
        reference = params(zoo())
    ours = params(engine.build_module(zoo, engine.generator(3)))
    assert all(torch.equal(x, y) for x, y in zip(reference, ours, strict=True))
    assert not ours[0][0].any()  # the embedding's padding row is zero


def test_build_module_makes_a_working_model_without_the_global_rng(global_rng_untouched):
    net = engine.build_module(lambda: nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU()),
                              engine.generator(0))
    bn = net[1]
    assert torch.equal(bn.running_mean, torch.zeros(6)) and torch.equal(bn.running_var, torch.ones(6))
    assert int(bn.num_batches_tracked) == 0 and net(torch.ones(5, 4)).shape == (5, 6)
    lstm = engine.build_module(lambda: nn.LSTM(4, 8), engine.generator(0))
    assert lstm(torch.zeros(3, 2, 4))[0].shape == (3, 2, 8)

    class WithTable(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.register_buffer("table", torch.arange(4.0))

    with pytest.raises(ValueError, match="table"):
        engine.build_module(WithTable, engine.generator(0))


def test_init_module_uses_lstm_bounds_for_hand_written_recurrent_parameters():
    m = engine.build_module(lambda: HandLSTM(4, 16), engine.generator(0))
    for p in m.parameters():  # U(-1/√16, 1/√16) = U(-0.25, 0.25), uniform: the extremes come close to ±0.25
        assert p.abs().max() <= 0.25 and p.abs().max() > 0.2


def test_init_module_falls_back_to_fan_in_bounds_for_unknown_modules():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.full((6, 100), 9.0))  # fan_in 100 -> U(-0.1, 0.1)
            self.bias = nn.Parameter(torch.full((6,), 9.0))
            self.scale = nn.Parameter(torch.full((25,), 9.0))  # 1-d: the weight's fan_in too

    m = engine.init_module_(Odd(), engine.generator(0))
    assert all(0.05 < p.abs().max() <= 0.1 for p in m.parameters())


def test_seeded_init_is_reproducible_and_restores_the_global_rng(global_rng_untouched):
    with engine.seeded_init(5):
        a = params(nn.Linear(4, 4))
    with engine.seeded_init(5):
        b = params(nn.Linear(4, 4))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_generator_is_seeded_and_leaves_the_global_rng_alone(global_rng_untouched):
    g1, g2 = engine.generator(11), engine.generator(11)
    assert torch.equal(torch.rand(5, generator=g1), torch.rand(5, generator=g2))
    assert g1.device == torch.device("cpu")


def test_cpu_threads_sets_and_restores():
    before = torch.get_num_threads()
    with engine.cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with engine.cpu_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError), engine.cpu_threads(0):
        pass


def test_imports_only_the_standard_library_torch_and_numpy():
    """Whatever the package layout becomes, the engine stays independent of it (and of Streamlit)."""
    tree = ast.parse(Path(engine.__file__).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert {n.split(".")[0] for n in names} <= set(sys.stdlib_module_names) | {"__future__", "torch", "numpy"}
    assert not any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree))
