"""AppTest for the training section beyond the generic checks in test_app.py: the lab's default trains in the
background and is shared, other settings wait for the button, slider moves never train, bad links."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz import ui
from dropviz.demos import training as demo
from dropviz.train import lab
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
LAB = "pages/40_lab.py"
TINY = {"width": "16", "depth": "1", "epochs": "10", "train": "60"}


def _text(at) -> str:
    answer_questions(at)  # predict, then reveal: a claim shows once its question has a guess
    return " ".join(m.value for m in at.markdown)


def test_lab_default_trains_in_the_background_then_shows_curves_table_and_claim():
    cfg = lab.LabConfig(device=ui.device())
    at = open_page(LAB)
    assert_clean(at, "default")
    at = wait_until(at, lambda: ui.trained(cfg) is not None and ui.trained(lab.OverfitConfig(device=ui.device())),
                timeout=180)
    assert_clean(at, "trained")
    curves = chart_specs(at)[1]  # after the data preview
    names = {t["name"] for t in curves["data"]}
    assert {"no dropout · validation", "standard · validation", "standard · training"} <= names
    assert len(at.dataframe) == 1 and list(at.dataframe[0].value["method"]) == ["none", "standard"]
    text = _text(answer_questions(at))  # predict, then reveal: the claim shows once the guess is in
    assert "`training.dropout_reduces_overfitting`" in text and "PASS" in text and "FAIL" not in text
    seeds = at.dataframe[1].value  # what the claim averages, shown with it once revealed
    n = lab.OverfitConfig.seeds
    assert list(seeds["seed"]) == [s for s in range(n) for _ in (0, 1)]
    assert list(seeds["method"]) == ["none", "standard"] * n
    assert any("validation loss lowest at epoch" in m.value for m in at.markdown)  # read off the curves
    assert not [b for b in at.button if b.label.startswith("Train")]


def test_lab_other_settings_wait_for_the_button_then_show_boundaries():
    cfg = lab.LabConfig(task="moons", methods=("gaussian",), width=16, depth=1, epochs=10, train_size=60,
                        device=ui.device())
    at = open_page(LAB, {**TINY, "task": "moons", "methods": "gaussian"})
    assert_clean(at, "untrained")
    assert ui.trained(cfg) is None and ui.queue().status(cfg) is None, "a page load alone must not train"
    assert any("not been trained" in i.value for i in at.info)
    [b for b in at.button if b.label.startswith("Train")][0].click().run()
    at = wait_until(at, lambda: ui.trained(cfg) is not None, timeout=120)
    assert_clean(at, "trained")
    specs = chart_specs(at)
    boundary = specs[2]
    assert sum(t["type"] == "contour" for t in boundary["data"]) == 1


def test_lab_slider_moves_never_train(monkeypatch):
    submitted = record_submissions(monkeypatch)
    at = open_page(LAB)
    for s in at.slider:
        for v in (s.min, s.max):
            at.slider(key=s.key).set_value(type(s.value)(v)).run()
            assert_clean(at, f"{s.key}={v}")
    allowed = {lab.LabConfig(device=ui.device()), lab.OverfitConfig(device=ui.device())}
    assert set(submitted) <= allowed, submitted


@pytest.mark.parametrize("query", [{"methods": "banana"}, {"task": "mnist"}, {"epochs": "100000"}])
def test_lab_bad_links_get_a_clear_message(query):
    at = open_page(LAB, query)
    assert_clean(at, str(query))
    (key,) = query
    assert any(f"`{key}=" in w.value for w in at.warning), [w.value for w in at.warning]


def test_backprop_page_shows_masks_gradients_and_optimiser_moves():
    at = open_page("pages/41_backprop.py", {"p": "0.4", "units": "16", "batch": "16"})
    assert_clean(at, "backprop")
    specs = chart_specs(at)
    assert len(specs) == 2
    assert specs[1]["data"][0]["z"]["shape"].replace(" ", "") == "16,16"  # the minibatch mask: batch × units
    cells = specs[0]["data"][0]  # 16 cells a row: too narrow for labels, the colours and the hover carry them
    assert cells["texttemplate"] == "" and cells["customdata"][0][0].startswith("mask m")
    table = at.dataframe[0].value
    assert list(table["optimiser"]) == ["SGD", "SGD + momentum", "Adam"]
    assert float(table["move at step 2"][0]) == 0.0 and float(table["move at step 2"][1]) != 0.0
    assert table["move at step 2"][0] == "0" and table["gradient at step 2"][0] == "0"  # not "+0" or "-0"
    assert "separate batch of a single new example" in " ".join(m.value for m in at.markdown)
    _assert_zero_is_white(specs[1])
    per_example = values(specs[1]["data"][1]["z"])
    assert (per_example[values(specs[1]["data"][0]["z"]) == 0] == 0).all()  # dropped cells: exactly 0, white
    assert (per_example > 0).any()
    text = _text(at)
    assert "`backprop.same_mask_forward_backward`" in text and "FAIL" not in text


def _assert_zero_is_white(spec: dict) -> None:
    """The minibatch figure's two gradient panels: one fixed scale from exactly 0, which alone is white, and a
    colour bar that says so."""
    grads = spec["data"][1:]
    assert len(grads) == 2 and all(t["type"] == "heatmap" for t in grads)
    assert {t["zmin"] for t in grads} == {0} and len({t["zmax"] for t in grads}) == 1
    for t in grads:
        scale = t["colorscale"]
        assert scale[0] == [0.0, "#FFFFFF"] and scale[1][0] <= 1e-6 and scale[1][1].upper() != "#FFFFFF"
        assert t["zmax"] >= float(values(t["z"]).max())
    assert "white: exactly 0" in grads[1]["colorbar"]["title"]["text"]


@pytest.mark.parametrize("p", ["0", "1"])
def test_backprop_page_at_p_0_and_1_says_why_nothing_is_silenced(p):
    at = open_page("pages/41_backprop.py", {"p": p})
    assert_clean(at, f"p={p}")
    specs = chart_specs(at)
    assert len(specs) == 2
    _assert_zero_is_white(specs[1])
    cells = specs[0]["data"][0]  # 10 units (the default): one decimal, "0" only for an exact zero
    assert cells["texttemplate"] == "%{text}" and cells["textfont"]["size"] == 12
    assert all(t == "0" or len(t.lstrip("-").split(".")[1]) == 1 for row in cells["text"] for t in row)
    grads = [values(t["z"]) for t in specs[1]["data"][1:]]
    if p == "1":  # every gradient exactly zero: an all-white panel on the scale [0, 1], not mid-grey
        assert all((g == 0).all() for g in grads) and specs[1]["data"][1]["zmax"] == 1
    else:  # nothing dropped: every cell tinted
        assert all((g > 0).all() for g in grads)
    (info,) = at.info
    want = "At p = 0 dropout keeps every unit" if p == "0" else "At p = 1 every example drops every unit"
    assert want in info.value
    assert "try another seed" not in info.value and not at.dataframe
    answer_questions(at)
    text = " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)
    assert ("at p = 0 no unit is ever dropped, so no unit is both dropped and kept" if p == "0" else
            "at p = 1 every unit is dropped for every example, so no unit is both dropped and kept") in text
    assert "almost no unit" not in text and "FAIL" not in text


def test_placement_page_trains_its_fixed_runs_once_and_shows_the_table():
    cfg = lab.PlacementConfig(device=ui.device())
    cnn = lab.PlacementConfig(device=ui.device(), arch="cnn")
    at = open_page("pages/43_placement.py")
    assert_clean(at, "placement")
    at = wait_until(at, lambda: ui.trained(cfg) is not None and ui.trained(cnn) is not None, timeout=360)
    assert_clean(at, "trained")
    assert list(at.dataframe[0].value["placement"]) == list(lab.PLACEMENTS)
    assert list(at.dataframe[1].value["placement"]) == list(lab.CNN_PLACEMENTS)
    specs = chart_specs(at)
    assert len(specs) == 3
    cnn_losses = [r["best val. loss"] for r in ui.trained(cnn).table()]
    assert np.allclose(values(specs[1]["data"][0]["x"]), cnn_losses)  # the CNN chart shows the CNN runs
    for df in at.dataframe[:2]:  # the seeds' spread, no timing (the first run carries torch's warm-up)
        assert {"best val. loss (min)", "best val. loss (max)"} <= set(df.value.columns)
        assert "wall time (s)" not in df.value.columns
    captions = [c.value for c in at.caption]
    assert sum("validation loss" in c.lower() and "Highest best validation accuracy" in c for c in captions) == 2
    assert not any(") (" in c for c in captions)
    assert any("naive prediction" in str(t.get("x")) for t in specs[2]["data"])
    assert any(c.startswith("Test ÷ training variance: measured") for c in captions)
    assert at.slider(key="p").max == 0.95  # at p = 1 there is no training variance to compare
    at.slider(key="p").set_value(0.9).run()
    assert_clean(at, "p=0.9")
    assert "`placement.bn_variance_shift`" in _text(at) and "FAIL" not in _text(at)


def test_frameworks_page_shows_table_torch_checks_and_recovered_lstm_masks():
    from dropviz import frameworks

    at = open_page("pages/44_frameworks.py", {"p": "0.3"})
    assert_clean(at, "frameworks")
    assert list(at.table[0].value["call"]) == [c.call for c in frameworks.CALLS]
    checks = at.dataframe[0].value
    assert list(checks["eval(): identity"]) == ["yes", "no", "yes"]
    kept = list(checks["train(): kept fraction"])
    assert all("(1−p = 0.7 ± " in k for k in kept) and kept[2].endswith("± 0.02)")  # Dropout2d: 512 draws
    assert float(checks["eval(): kept fraction"][0]) == 1.0 and float(checks["eval(): kept fraction"][1]) < 0.8
    notes = " ".join(at.table[0].value["watch out"])
    assert "tf.nn.dropout(x, 0.8) KEEPS 80 %" in notes and "RETAINING" in notes
    (spec,) = chart_specs(at)
    assert [t["type"] for t in spec["data"]] == ["heatmap", "heatmap"]
    assert [h.value for h in at.subheader][-1] == "Is `nn.LSTM(dropout=0.3)` variational dropout? No."
    rate = at.metric[0].value  # one run: the chart's title, the metric and the claim show one number
    assert rate in spec["layout"]["annotations"][0]["text"]
    captions = " ".join(c.value for c in at.caption)
    assert f"{demo.LSTM_STEPS} steps × {demo.LSTM_BATCH} sequences" in captions and "this same run" in captions
    assert "reproduce torch's output" in " ".join(m.value for m in at.markdown)
    text = _text(at)
    assert "`frameworks.torch_lstm_dropout_not_variational`" in text and "PASS" in text and "FAIL" not in text
    assert f"= **{float(rate.rstrip('%')) / 100:.4g}**" in text


@pytest.mark.parametrize("p", ["0", "0.95", "1"])
def test_frameworks_page_at_the_p_extremes(p):
    at = open_page("pages/44_frameworks.py", {"p": p})
    assert_clean(at, f"p={p}")
    assert len(chart_specs(at)) == 1
    assert bool(at.warning) == (p == "1")  # p = 1 is outside the page's range: reported, replaced by the default
    heading = [h.value for h in at.subheader][-1]
    prose = " ".join(m.value for m in at.markdown)
    if p == "0":  # nothing dropped: no mask, nothing changes, and the recovery is exact
        assert heading == "`nn.LSTM(dropout=0)` drops nothing: there is no mask at all."
        assert "change at every step (noise" not in prose and "there is no mask at all" in prose
        assert "reproduce torch's output exactly" in prose and "to within 0" not in prose
    else:
        shown = "0.95" if p == "0.95" else "0.3"  # p = 1 falls back to the default
        assert heading == f"Is `nn.LSTM(dropout={shown})` variational dropout? No."
        assert "to within 0 " not in prose and "to within 0." not in prose


def test_per_sample_page_trains_both_masks_over_seeds_by_default_and_others_on_the_button(monkeypatch):
    default = lab.SharingConfig(device=ui.device())
    at = open_page("pages/42_per-sample.py")
    assert_clean(at, "per-sample")
    at = wait_until(at, lambda: ui.trained(default) is not None, timeout=240)
    assert_clean(at, "trained")
    table = at.dataframe[0].value
    assert list(table["mask"]) == list(lab.SHARING)
    assert "final val. accuracy (min)" in table.columns and "min" not in table.columns
    want = [r["final val. accuracy (mean)"] for r in ui.trained(default).table()]
    acc = chart_specs(at)[1]
    assert np.allclose(values(acc["data"][0]["y"]), want)
    assert acc["layout"]["yaxis"]["range"][0] == 0  # a 0-based axis: the seeds' range as error bars
    assert any("**Takeaway:**" in m.value for m in at.markdown)
    assert "64 → 32 → 10" in _text(at) and any("64 → 64 → 10" in c.value for c in at.caption)
    assert any("ḡ the mean gradient over the draws" in c.value for c in at.caption)
    submitted = record_submissions(monkeypatch)
    at.slider(key="p").set_value(0.3).run()
    assert_clean(at, "p=0.3")
    assert not submitted and any("not been trained" in i.value for i in at.info)
    assert [b for b in at.button if b.label.startswith("Train both")]


@pytest.mark.parametrize("p", ["0", "1"])
def test_per_sample_page_at_the_p_extremes(monkeypatch, p):
    record_submissions(monkeypatch)  # only the default trains; these links show the button
    at = open_page("pages/42_per-sample.py", {"p": p})
    assert_clean(at, f"p={p}")
    assert bool(at.warning) == (p == "1")  # the slider stops at 0.9: p = 1 is reported, replaced by the default
    ratio = at.metric[0].value
    assert (ratio == "—") == (p == "0"), ratio
    assert any("nothing is dropped" in c.value for c in at.caption) == (p == "0")


def test_lab_offers_every_dense_method_and_trains_dropconnect_and_standout_on_the_button():
    cfg = lab.LabConfig(task="moons", methods=("dropconnect", "standout"), width=16, depth=1, epochs=10,
                        train_size=60, device=ui.device())
    at = open_page(LAB, {**TINY, "task": "moons", "methods": ["dropconnect", "standout"]})
    assert_clean(at, "untrained")
    assert not at.warning, [w.value for w in at.warning]  # both are offered (an unknown one gets a warning)
    [b for b in at.button if b.label.startswith("Train")][0].click().run()
    at = wait_until(at, lambda: ui.trained(cfg) is not None, timeout=120)
    assert_clean(at, "trained")
    assert list(at.dataframe[0].value["method"]) == ["dropconnect", "standout"]


def test_lab_cnn_default_trains_in_the_background_with_conv_methods():
    cnn = lab.default_for("digits", "cnn", ui.device())
    at = open_page(LAB, {"task": "digits", "model": "cnn"})
    assert_clean(at, "cnn")
    assert [s.key for s in at.slider] == ["cnn_p", "channels", "cnn_epochs", "cnn_train"]  # no depth, no input p
    at = wait_until(at, lambda: ui.trained(cnn) is not None, timeout=180)
    assert_clean(at, "trained")
    assert list(at.dataframe[0].value["method"]) == list(lab.CNN_METHODS)
    names = {t["name"] for t in chart_specs(at)[1]["data"]}
    assert "SpatialDropout · validation" in names, names


def test_lab_cnn_is_for_the_digits_only():
    at = open_page(LAB, {"model": "cnn", "task": "moons"})
    assert_clean(at, "moons")
    assert "model" not in [c.key for c in at.get("button_group")]  # the 2-D points train the MLP
    assert "input_p" in [s.key for s in at.slider]


def test_lab_more_methods_than_a_run_takes_are_cut_with_a_message(monkeypatch):
    submitted = record_submissions(monkeypatch)
    at = open_page(LAB, {**TINY, "methods": ["none", "standard", "gaussian", "dropconnect"]})
    assert_clean(at, "four methods")
    assert any("At most 3" in w.value for w in at.warning), [w.value for w in at.warning]
    assert [b.label for b in at.button if b.label.startswith("Train")] == ["Train 3 models"]
    assert all(not isinstance(c, lab.LabConfig) or len(c.methods) <= lab.MAX_METHODS for c in submitted)


def test_a_hand_written_comma_list_of_methods_is_read_as_the_list(monkeypatch):
    record_submissions(monkeypatch)
    at = open_page(LAB, {**TINY, "methods": "gaussian"})
    assert [b.label for b in at.button if b.label.startswith("Train")] == ["Train 1 model"]
    at = open_page(LAB, {**TINY, "methods": "none,gaussian,standout"})
    assert_clean(at, "comma list")
    assert not at.warning, [w.value for w in at.warning]
    assert [b.label for b in at.button if b.label.startswith("Train")] == ["Train 3 models"]
    at = open_page(LAB, {**TINY, "methods": "none,standard,gaussian,dropconnect,standout"})
    assert [w.value for w in at.warning if "At most 3" in w.value], [w.value for w in at.warning]


def test_lab_a_new_task_starts_at_its_own_default_which_trains_without_a_click():
    digits = lab.default_for("digits", device=ui.device())
    at = open_page(LAB)
    at.get("button_group")[0].set_value("digits").run()
    assert_clean(at, "digits")
    sliders = {s.key: s.value for s in at.slider}
    assert (sliders["input_p"], sliders["epochs"], sliders["train"]) == (digits.input_p, digits.epochs,
                                                                        digits.train_size)
    assert not [b for b in at.button if b.label.startswith("Train")]  # the default: no button, it trains
    at = wait_until(at, lambda: ui.trained(digits) is not None, timeout=180)
    assert_clean(at, "trained")
    assert list(at.dataframe[0].value["method"]) == ["none", "standard"]
