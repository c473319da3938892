"""Issue 11, for the classroom, under AppTest: lesson links (``?hide=``, ``?present=``), the share panel, and
predict-then-reveal questions that never show the answer before the guess."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1.errors import AppTestError

from dropviz import claims
from dropviz.claims import questions
from tests.app.test_app import PAGES, answer_questions, assert_clean, open_page

pytestmark = pytest.mark.app


def page_text(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning])


def test_lesson_link_hides_controls_and_fixes_their_values():
    at = open_page("pages/10_standard.py", {"p": "0.3", "p_in": "0.1", "hide": "p_in,seed", "present": "true"})
    assert_clean(at, "lesson link")
    assert at.slider(key="p_in").value == pytest.approx(0.1) and at.slider(key="p_in").disabled
    assert at.number_input(key="seed").disabled
    assert at.slider(key="p").value == pytest.approx(0.3) and not at.slider(key="p").disabled
    assert at.toggle(key="present").value is True
    assert not at.warning, [w.value for w in at.warning]


def test_hidden_control_cannot_be_changed_from_the_page():
    at = open_page("pages/11_gaussian.py", {"p": "0.3", "hide": "p"})
    slider = at.slider(key="p")
    assert slider.disabled
    with pytest.raises(AppTestError, match="disabled"):  # AppTest allows only what a browser user can do
        slider.set_value(0.8)
    at.run()
    assert at.slider(key="p").disabled and at.slider(key="p").value == pytest.approx(0.3), "fixed after a rerun"


@pytest.mark.parametrize("hide", ["nonsense", "p,,zz", "<script>", "p,seed,block"])
def test_malformed_hide_is_reported_like_any_bad_parameter(hide):
    at = open_page("pages/10_standard.py", {"hide": hide})
    assert_clean(at, f"hide={hide}")
    warnings = " ".join(w.value for w in at.warning)
    assert "`hide=" in warnings and "comma-separated list of this page's controls" in warnings, warnings
    assert "p_in" in warnings, "the message lists the controls the page has"


def test_malformed_present_is_reported():
    at = open_page("pages/10_standard.py", {"present": "maybe"})
    assert "`present=maybe`" in " ".join(w.value for w in at.warning)
    assert at.toggle(key="present").value is False


def test_share_panel_builds_a_lesson_link_that_opens_that_view():
    at = open_page("pages/10_standard.py", {"p": "0.35"})
    (visible,) = [m for m in at.multiselect if (m.key or "").startswith("_share.visible.")]
    assert set(visible.value) == {"seed", "p", "p_in", "iters", "hidden"}, "every URL-bound control is offered"
    visible.set_value(["p"]).run()
    link = at.code[0].value
    query = dict(parse_qsl(urlsplit(link).query))
    assert urlsplit(link).path == "/standard"
    assert query["present"] == "true" and query["p"] == "0.35"
    assert set(query["hide"].split(",")) == {"seed", "p_in", "iters", "hidden"}
    opened = open_page("pages/10_standard.py", query)  # the students' view
    assert_clean(opened, "the built lesson link")
    assert not opened.warning, [w.value for w in opened.warning]
    shown = [s.key for s in opened.slider if not s.disabled and not s.key.startswith("input_guess.")]
    assert shown == ["p"] and not [n for n in opened.number_input if not n.disabled]
    assert opened.slider(key="p").value == pytest.approx(0.35)


def test_every_page_with_claims_asks_a_question_and_every_question_has_a_claim():
    for spec in PAGES:
        if spec.claims:
            assert any(c in questions.QUESTIONS for c in spec.claims), f"{spec.path} asks no question"
    declared = {c for spec in PAGES for c in spec.claims}
    for cid, q in questions.QUESTIONS.items():
        assert cid == q.claim and cid in claims.CLAIMS and cid in declared, cid
        assert q.reason and q.prompt.endswith("?"), cid
        if q.is_choice:
            assert q.pick is not None and len(set(q.options)) == len(q.options) >= 2


def test_every_question_reveals_a_right_answer_from_the_measurement():
    """The reveal reads its answer off the live measurement: an option the question offers, or the value."""
    for cid, q in questions.QUESTIONS.items():
        if cid.startswith(("rnn.naive", "training.")):  # measured on a trained model: see the page tests
            continue
        r = claims.run(cid, quick=True)
        answer = q.answer(r)
        if q.is_choice:
            assert answer in q.options, cid
            assert q.grade(answer, r) == (True, None)
            assert not q.grade(next(o for o in q.options if o != answer), r)[0]
        else:
            assert q.lo <= answer <= q.hi, f"{cid}: the measured {answer} is out of the slider's reach"
            assert q.grade(answer, r)[0] and not q.grade(answer + 3 * q.tolerance, r)[0]


@pytest.mark.parametrize("path, claim_id", [("pages/10_standard.py", "standard.keep_rate"),
                                            ("pages/11_gaussian.py", "gaussian.std_matches")])
def test_answer_is_hidden_until_the_guess_then_revealed_with_the_distance(path, claim_id):
    at = open_page(path, {"p": "0.3"})
    assert_clean(at, "question")
    c = claims.get(claim_id)
    before = page_text(at)
    assert "Predict:" in before and "p = 0.3" in before
    expander_text = " ".join(m.value for e in at.expander for m in e.markdown)
    for shown in (before, expander_text):
        assert c.text not in shown and claim_id not in shown, "the claim is not shown before the guess"
    guess = next(s for s in at.slider if (s.key or "").startswith("input_guess."))
    guess.set_value(0.0 if claim_id == "standard.keep_rate" else 3.0)
    next(b for b in at.button if b.label.startswith("Lock in my guess")).click().run()
    after = page_text(at)
    assert c.text in after and "Measured now" in after and "off by" in after
    value = next(float(m.split("measured ")[1].split(":")[0]) for m in after.split("Off:")[1:2])
    assert f"{value:.4g}" not in before, "the measured value was not on the page before the guess"
    assert questions.QUESTIONS[claim_id].reason in after, "a wrong guess gets the one-line reason"


def test_a_right_choice_gets_no_reason():
    at = open_page("pages/41_backprop.py", {"p": "0.3"})
    q = questions.QUESTIONS["backprop.same_mask_forward_backward"]
    answer_questions(at, pick=lambda options: q.options[0] if q.options[0] in options else options[0])
    text = page_text(at)
    assert "Right:" in text and q.reason not in text and claims.get(q.claim).text in text


def test_tables_and_the_claims_panel_offer_csv_and_animations_a_gif():
    at = answer_questions(open_page("pages/41_backprop.py", {"p": "0.3"}))
    assert_clean(at, "backprop")
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels.count("CSV") >= 2, labels  # the minibatch table and the claims panel
    at = open_page("pages/10_standard.py")
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Animation as GIF" in labels and "Frame as PNG" in labels, "the network animation"
    config = json.loads(at.get("plotly_chart")[0].proto.config)  # the animation: no Plotly PNG (its controls)
    assert "toImage" in config["modeBarButtonsToRemove"]


def test_chart_rows_are_the_charts_numbers():
    import plotly.graph_objects as go

    from dropviz import ui

    fig = go.Figure([go.Bar(x=["pixel", "cutout"], y=[31.5, 21.8], name="PSNR"), go.Heatmap(z=[[1, 2]])])
    assert ui.chart_rows(fig) == [dict(series="PSNR", x="pixel", y=31.5), dict(series="PSNR", x="cutout", y=21.8)]


def test_step_buttons_open_the_animation_one_frame_on_and_back():
    from tests.app.test_app import chart_specs

    at = open_page("pages/10_standard.py", {"iters": "5"})
    title = lambda: chart_specs(at)[0]["layout"]["title"]["text"]  # noqa: E731
    back = lambda: next(b for b in at.button if b.label.startswith("◀ One frame back"))  # noqa: E731
    fwd = lambda: next(b for b in at.button if b.label.startswith("One frame on"))  # noqa: E731
    assert title().startswith("Iteration 1:") and back().disabled
    fwd().click().run()
    spec = chart_specs(at)[0]
    assert title().startswith("Iteration 2:") and spec["layout"]["sliders"][0]["active"] == 1
    for _ in range(3):
        fwd().click().run()
    assert title().startswith("Iteration 5:") and fwd().disabled, "stops at the last frame"
    back().click().run()
    assert title().startswith("Iteration 4:")


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_every_page_offers_the_share_panel_and_honours_hide(spec):
    """No page code: the shared widgets register themselves, so every page (and any page added later) lists
    its controls in the share panel, and a link hiding all of them draws each one disabled at its value."""
    at = open_page(spec.path)
    assert_clean(at, spec.url_path)
    panels = [m for m in at.multiselect if (m.key or "").startswith("_share.visible.")]
    assert at.toggle(key="present") is not None
    if not panels:  # a page without controls says its link is its address
        return
    keys = [k.rsplit("(", 1)[-1].rstrip(")") for k in panels[0].options]  # shown as "Label (key)"
    assert keys[0] == "seed", "the sidebar's seed is offered on every page"
    hidden = open_page(spec.path, {"hide": ",".join(keys), "present": "true"})
    assert_clean(hidden, f"{spec.url_path} with every control hidden")
    assert not [w.value for w in hidden.warning if "Ignored the link" in w.value], "every name is the page's"
    widgets = [w for kind in ("slider", "radio", "toggle", "number_input", "button_group")
               for w in hidden.get(kind) if getattr(w, "key", None) in keys]
    assert widgets and all(w.disabled for w in widgets), [(w.key, w.disabled) for w in widgets]


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_presenter_mode_folds_the_pages_prose_into_expanders(spec):
    """Presenter mode: every explanatory paragraph of the page (its prose file, drawn by ``ui.prose`` or a method
    header) sits in an expander; the same paragraphs are open on the normal page."""
    from dropviz import i18n

    sections = [t for t in i18n.prose_sections(spec.url_path, "en").values() if "{" not in t]
    present = open_page(spec.path, {"present": "true"})
    assert_clean(present, spec.url_path)
    folded = {m.value for e in present.expander for m in e.markdown}
    shown = [m.value for m in present.markdown if m.value in sections]
    assert all(v in folded for v in shown), [v[:60] for v in shown if v not in folded]
    normal = open_page(spec.path)
    opened = {m.value for m in normal.markdown} - {m.value for e in normal.expander for m in e.markdown}
    assert any(t in opened for t in sections) or not sections or spec.trains, "prose is open on the normal page"
    assert not sections or shown or spec.trains, f"{spec.url_path}: no prose section drawn in presenter mode"
