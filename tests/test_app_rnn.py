"""AppTest for the recurrent pages beyond the generic checks in test_app.py: shared links, bad input, the
live-training flow (cached default, Train button, bounded trainers) and that slider moves never train."""

from __future__ import annotations

import pytest

from dropviz import train, ui
from tests.test_app import assert_clean, chart_specs, open_page

pytestmark = pytest.mark.app
MASKS, MEMORY = "pages/30_rnn-masks.py", "pages/31_rnn-memory.py"
TINY = {"lag": "5", "hidden": "8", "steps": "50"}  # trains in about a second


def _text(at) -> str:
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
    text = _text(open_page(MASKS))
    for cid in ("rnn.per_sequence_masks_constant", "rnn.no_dropout_matches_nn_lstm"):
        assert f"`{cid}`" in text
    assert "PASS" in text and "FAIL" not in text


def test_memory_page_default_shows_the_shared_result_and_its_claim():
    at = open_page(MEMORY)  # trains the default once per process; later visitors get it at once
    assert_clean(at, "default")
    assert ui.trained(train.ExperimentConfig(device=ui.device())) is not None
    specs = chart_specs(at)
    assert len(specs) == 2  # the task and the accuracy chart
    names = [t.get("name") for t in specs[1]["data"]]
    assert {"naive", "RNNDrop", "recurrent (Semeniuta)", "variational (Gal)"} <= set(names)
    text = _text(at)
    assert "`rnn.naive_dropout_forgets`" in text and "PASS" in text and "FAIL" not in text
    assert not at.button  # nothing to press
    again = open_page(MEMORY)
    assert chart_specs(again)[1] == specs[1]


def test_memory_page_other_settings_wait_for_the_button_then_train():
    cfg = train.ExperimentConfig(p=0.5, hidden=8, max_lag=5, steps=50, seed=0, device=ui.device())
    at = open_page(MEMORY, TINY)
    assert_clean(at, "untrained")
    assert ui.trained(cfg) is None, "a page load alone must not train"
    assert len(chart_specs(at)) == 1 and any("not been trained" in i.value for i in at.info)
    at.button[0].click().run()
    assert_clean(at, "after Train")
    assert ui.trained(cfg) is not None
    assert len(chart_specs(at)) == 2 and "`rnn.naive_dropout_forgets`" in _text(at)


def test_slider_moves_never_train():
    at = open_page(MEMORY)
    before = len(ui._trainers().results)
    for s in at.slider:
        for v in (s.min, s.max):
            at.slider(key=s.key).set_value(type(s.value)(v)).run()
            assert_clean(at, f"{s.key}={v}")
    at.slider(key="p").set_value(0.95).run()
    assert len(ui._trainers().results) == before


def test_busy_trainers_make_a_session_wait_then_give_up(monkeypatch):
    monkeypatch.setattr(ui, "WAIT_S", 1)
    slots = ui._trainers().slots
    assert slots.acquire(timeout=60)  # another session is training
    try:
        at = open_page(MEMORY, {**TINY, "seed": "9"}, seed=9)
        at.button[0].click().run()
    finally:
        slots.release()
    assert_clean(at, "busy")
    assert any("All trainers stayed busy" in w.value for w in at.warning)
    assert len(chart_specs(at)) == 1
