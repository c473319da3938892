"""AppTest for the recurrent pages beyond the generic checks in test_app.py: shared links, bad input, the
live-training flow (cached default, Train button, bounded trainers) and that slider moves never train."""

from __future__ import annotations

import contextlib
import threading
import time

import numpy as np
import pytest

from dropviz import jobs, methods, train, ui
from tests.app.test_app import (
    answer_questions,
    assert_clean,
    chart_specs,
    open_page,
    record_submissions,
    values,
    wait_until,
)

pytestmark = pytest.mark.app
MASKS, MEMORY = "pages/30_rnn-masks.py", "pages/31_rnn-memory.py"
TINY = {"p": "0.5", "lag": "5", "hidden": "8", "steps": "50"}  # trains in a few seconds


def _text(at) -> str:
    answer_questions(at)  # predict, then reveal: a claim shows once its question has a guess
    return " ".join(m.value for m in at.markdown)


def test_masks_page_opens_the_linked_method():
    at = open_page(MASKS, {"method": "rnndrop", "p": "0.3", "steps": "12"})
    assert_clean(at, "shared link")
    assert at.get("button_group")[0].value == "rnndrop"
    movie = chart_specs(at)[1]
    assert movie["layout"]["title"]["text"].startswith("RNNDrop · p = 0.3")
    assert len(movie["frames"]) == 12


def test_masks_page_untied_variational_from_the_url():
    at = open_page(MASKS, {"method": "variational", "untied": "true", "hidden": "4"})
    assert_clean(at, "untied")
    movie = chart_specs(at)[1]
    shapes = [tuple(int(n) for n in t["z"]["shape"].split(",")) for t in movie["data"] if t["type"] == "heatmap"]
    assert shapes == [(4 * 8, 30), (4 * 4, 30)]  # x (4 gates × 8 inputs) and h (4 gates × 4 units)


@pytest.mark.parametrize("query", [{"method": "banana"}, {"method": ["naive", "rnndrop"]}, {"steps": "100000"},
                                   {"hidden": "-1"}, {"p": "nan"}, {"untied": "banana"}])
def test_masks_page_bad_links_get_a_clear_message(query):
    at = open_page(MASKS, query)
    assert_clean(at, str(query))
    (key,) = query
    assert any(f"`{key}=" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.get("button_group")[0].value == "naive"
    assert chart_specs(at)


def test_masks_page_claims_pass():
    text = _text(answer_questions(open_page(MASKS)))
    for cid in ("rnn.per_sequence_masks_constant", "rnn.no_dropout_matches_nn_lstm"):
        assert f"`{cid}`" in text
    assert "PASS" in text and "FAIL" not in text


def test_memory_page_default_trains_in_the_background_then_shows_the_shared_result():
    cfg = train.ExperimentConfig(device=ui.device())
    at = open_page(MEMORY)  # the first visit submits the default; the page renders at once
    assert_clean(at, "default")
    at = wait_until(at, lambda: ui.trained(cfg) is not None)
    assert_clean(at, "trained")
    specs = chart_specs(at)
    assert len(specs) == 2  # the task and the accuracy chart
    names = [t.get("name") for t in specs[1]["data"]]
    assert {m.label for m in methods.by_family("recurrent") if m.wire} | {"no dropout"} <= set(names)
    # what the chart shows: per method the mean over seeds without dropout (x axis 1) and with the masks on
    # (x axis 2), each with a band from the worst to the best seed
    exp = ui.trained(cfg)
    lines = {(t["name"], t.get("xaxis", "x")): t for t in specs[1]["data"] if t.get("mode") == "lines+markers"}
    for m in cfg.methods:
        label = "no dropout" if m == "none" else methods.get(m).label
        assert np.allclose(values(lines[(label, "x")]["y"]), exp.accuracy(m))
        assert np.allclose(values(lines[(label, "x2")]["y"]), exp.accuracy(m, masked=True))
    bands = [t for t in specs[1]["data"] if t.get("fill") == "toself"]
    assert len(bands) == 2 * len(cfg.methods) and cfg.seeds >= 3
    naive = exp.accuracies("naive")
    band = next(t for t in bands if t["name"].startswith("naive") and t.get("xaxis", "x") == "x")
    assert np.allclose(values(band["y"]), np.concatenate([naive.max(0), naive.min(0)[::-1]]))
    text = _text(answer_questions(at))  # predict, then reveal: the claim shows once the guess is in
    assert "`rnn.naive_dropout_forgets`" in text and "PASS" in text and "FAIL" not in text
    assert not [b for b in at.button if b.label.startswith("Train")]  # nothing to train
    again = open_page(MEMORY)  # another session: the result at once, on its first run
    assert chart_specs(again)[1] == specs[1]


def test_memory_page_other_settings_wait_for_the_button_then_train():
    cfg = train.ExperimentConfig(p=0.5, hidden=8, max_lag=5, steps=50, seed=0, device=ui.device())
    at = open_page(MEMORY, TINY)
    assert_clean(at, "untrained")
    assert ui.trained(cfg) is None and ui.queue().status(cfg) is None, "a page load alone must not train"
    assert len(chart_specs(at)) == 1 and any("not been trained" in i.value for i in at.info)
    at.button[0].click().run()
    assert_clean(at, "after Train")
    at = wait_until(at, lambda: ui.trained(cfg) is not None)
    assert_clean(at, "trained")
    assert len(chart_specs(at)) == 2 and "`rnn.naive_dropout_forgets`" in _text(at)


def test_slider_moves_never_train(monkeypatch):
    submitted = record_submissions(monkeypatch)
    at = open_page(MEMORY)
    for s in at.slider:
        for v in (s.min, s.max):
            at.slider(key=s.key).set_value(type(s.value)(v)).run()
            assert_clean(at, f"{s.key}={v}")
    at.slider(key="p").set_value(0.95).run()
    assert all(k == train.ExperimentConfig(device=ui.device()) for k in submitted), submitted


def _idle(timeout: float = 300.0) -> None:
    """Wait until the server's trainer is free: an earlier test's page visit may have started the default experiment
    (18 models), and these tests count places in the queue."""
    deadline = time.monotonic() + timeout
    while any(ui.queue().counts().values()):
        assert time.monotonic() < deadline, f"the trainer stayed busy for {timeout:.0f} s"
        time.sleep(0.2)


@contextlib.contextmanager
def _busy_trainer():
    """Another session's training holds the only trainer until the block ends."""
    release, key = threading.Event(), ("busy", time.monotonic())

    def hold(ctx):
        while not release.wait(0.01):
            ctx.check()

    ui.queue().submit(key, hold, owner="another-session")
    try:
        yield
    finally:
        release.set()


def test_a_second_session_waits_with_its_position_then_trains():
    cfg = train.ExperimentConfig(p=0.5, hidden=8, max_lag=5, steps=50, seed=9, device=ui.device())
    _idle()
    with _busy_trainer():
        at = open_page(MEMORY, {**TINY, "seed": "9"}, seed=9)
        at.button[0].click().run()
        assert_clean(at, "waiting")
        waiting = " ".join(i.value for i in at.info)
        assert "Waiting for a free trainer" in waiting and "you are next" in waiting and "place 1" in waiting
        assert ui.queue().status(cfg).state is jobs.JobState.QUEUED
        other = open_page(MEMORY, {**TINY, "seed": "9", "p": "0.3"}, seed=9)  # a third session queues behind
        other.button[0].click().run()
        assert "1 ahead of you" in " ".join(i.value for i in other.info)
        assert len(chart_specs(at)) == 1
    at = wait_until(at, lambda: ui.trained(cfg) is not None)
    assert len(chart_specs(at)) == 2


def test_stop_ends_a_training_within_a_second():
    cfg = train.ExperimentConfig(p=0.5, hidden=64, max_lag=50, steps=500, seed=11, device=ui.device())
    _idle()
    at = open_page(MEMORY, {"p": "0.5", "lag": "50", "hidden": "64", "steps": "500", "seed": "11"}, seed=11)
    at.button[0].click().run()
    q = ui.queue()
    deadline = time.monotonic() + 120
    while q.status(cfg).state is not jobs.JobState.RUNNING:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    at.run()
    stop = [b for b in at.button if b.label == "Stop"]
    assert stop, "a running training has a Stop button"
    t0 = time.monotonic()
    stop[0].click().run()
    while q.status(cfg).state is not jobs.JobState.CANCELLED:
        assert time.monotonic() - t0 < 1.0, "Stop must end the training within 1 s"
        time.sleep(0.01)
    assert ui.trained(cfg) is None
    at.run()
    assert any("stopped" in i.value for i in at.info) and len(chart_specs(at)) == 1


def test_masks_page_names_the_memory_measure_with_its_range():
    at = open_page(MASKS)
    labels = [m.label for m in at.metric]
    assert any("cos(c_T, c_0)" in lbl and "−1…1" in lbl for lbl in labels), labels
    assert not any("Memory kept" in lbl for lbl in labels)
