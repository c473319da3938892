"""AppTest for the "Beyond regularization" pages: each default experiment trains once in the background and
then shows its charts and claims; other settings wait for the button; slider extremes render cleanly and never
train anything but the defaults; a malformed link value is reported."""

from __future__ import annotations

import pytest

from dropviz import ui
from dropviz.train import bayesian as tb
from tests.app.test_app import (
    answer_questions,
    assert_clean,
    chart_specs,
    open_page,
    record_submissions,
    wait_until,
)

pytestmark = pytest.mark.app
MC, SVD, WN = "pages/50_mc-dropout.py", "pages/51_sparse-vd.py", "pages/52_weight-norm.py"


def _text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def _defaults():
    d = ui.device()
    return {tb.RegressionConfig(device=d), tb.DigitsConfig(device=d), tb.SparseVDConfig(device=d),
            tb.WeightNormConfig(device=d)}


def test_mc_page_trains_its_defaults_then_shows_band_histograms_reliability_and_claims():
    d = ui.device()
    at = open_page(MC)
    assert_clean(at, "default")
    at = wait_until(at, lambda: ui.trained(tb.RegressionConfig(device=d)) is not None
                    and ui.trained(tb.DigitsConfig(device=d)) is not None, timeout=180)
    assert_clean(at, "trained")
    specs = chart_specs(at)
    names = {t.get("name") for t in specs[0]["data"]}
    assert {"±2σ with observation noise", "±2σ model only (dropout spread)", "training data"} <= names
    assert any(str(n).startswith("MC mean of T = 50") for n in names)
    hist = specs[2]
    assert {t["name"] for t in hist["data"]} == {"test digits", *tb.OOD_KINDS}
    assert any("ECE" in str(t.get("name")) for t in specs[3]["data"])
    text = _text(answer_questions(at))
    for cid in ("mc.uncertainty_higher_off_data", "mc.ood_entropy_higher", "mc.better_calibrated"):
        assert f"`{cid}` **PASS**" in text, cid


def test_mc_other_p_waits_for_the_button_and_slider_extremes_are_clean(monkeypatch):
    submitted = record_submissions(monkeypatch)
    at = open_page(MC, {"p": "0.5"})
    assert_clean(at, "p=0.5")
    assert ui.queue().status(tb.RegressionConfig(p=0.5, device=ui.device())) is None
    assert any(b.label.startswith("Train") for b in at.button)
    at = open_page(MC)
    for s in at.slider:
        for v in (s.min, s.max):
            at.slider(key=s.key).set_value(type(s.value)(v)).run()
            assert_clean(at, f"{s.key}={v}")
    assert set(submitted) <= _defaults(), submitted


@pytest.mark.parametrize("page,query", [(MC, {"T": "5000"}), (MC, {"p": "abc"}), (SVD, {"epochs": "-3"}),
                                        (WN, {"g": "x"})])
def test_bad_link_values_are_reported(page, query):
    at = open_page(page, query)
    assert not at.exception
    key = next(iter(query))
    assert any(key in w.value for w in at.warning), [w.value for w in at.warning]


def test_sparse_vd_page_trains_its_default_then_threshold_slider_drives_the_sweep(monkeypatch):
    cfg = tb.SparseVDConfig(device=ui.device())
    at = open_page(SVD)
    assert_clean(at, "default")
    at = wait_until(at, lambda: ui.trained(cfg) is not None, timeout=300)
    assert_clean(at, "trained")
    submitted = record_submissions(monkeypatch)
    assert len(chart_specs(at)) == 6  # the KL approximation, the sweep, log α, the weights, pixels, the history
    removed_default = at.metric[0].value
    at.slider(key="threshold").set_value(8.0).run()
    assert_clean(at, "threshold 8")
    assert at.metric[0].value != removed_default
    at.slider(key="threshold").set_value(-4.0).run()
    assert_clean(at, "threshold -4")
    answer_questions(at)
    assert "`sparsevd.kl_approximation` **PASS**" in _text(at)
    assert "`sparsevd.prunes_most_weights` **PASS**" in _text(at)
    assert not submitted, "moving the threshold never trains"


def test_weight_norm_page_picture_and_training():
    cfg = tb.WeightNormConfig(device=ui.device())
    at = open_page(WN, {"v1": "0", "v2": "0"})
    assert_clean(at, "v = 0")
    assert any("no direction" in w.value for w in at.warning)
    at = open_page(WN)
    at = wait_until(at, lambda: ui.trained(cfg) is not None, timeout=120)
    assert_clean(at, "trained")
    specs = chart_specs(at)
    assert len(specs) == 3
    assert {t["name"] for t in specs[2]["data"] if t.get("name")} >= set(tb.WN_VARIANTS)
    text = _text(answer_questions(at))
    for cid in ("weightnorm.grad_v_orthogonal", "weightnorm.matches_torch_parametrization",
                "weightnorm.faster_convergence"):
        assert f"`{cid}` **PASS**" in text, cid
