"""AppTest: the claims panel and its predict-then-reveal questions read in Spanish, Chinese and Romanian (issue 13):
once every question is answered, no claim statement, measured-value name or criterion of the page is left in English,
the panel's own words are translated, and the measured numbers take the locale's decimal comma (es, ro)."""

from __future__ import annotations

import re

import pytest

from dropviz.claims import panel_text
from dropviz.claims.core import number
from dropviz.i18n import _, using
from dropviz.ui import render
from tests.app.test_app import assert_clean, open_page

pytestmark = pytest.mark.app
PAGES = ("pages/10_standard.py", "pages/30_rnn-masks.py", "pages/41_backprop.py")
CJK = re.compile(r"[\u4e00-\u9fff]")


def answer_all(at, lang: str):
    """``answer_questions`` in ``lang``: commit the first option (or the slider's middle) of every question."""
    with using(lang):
        lock = _(panel_text.LOCK_IN)
    for _i in range(12):
        locks = [b for b in at.button if b.label == lock]
        if not locks:
            break
        for r in at.radio:
            if (r.key or "").startswith("input_guess.") and r.value is None:
                r.set_value(r.options[0])
        locks[0].click()
        at.run()
    return at


@pytest.mark.parametrize("lang", ["es", "zh", "ro"])
@pytest.mark.parametrize("page", PAGES)
def test_claims_panel_reads_in_the_language(page, lang, monkeypatch):
    shown = []  # every ClaimResult the page hands to the panel (AppTest runs the page in this process)
    real = render.show_claim_results
    monkeypatch.setattr(render, "show_claim_results",
                        lambda results, **kw: shown.extend(results) or real(results, **kw))
    at = answer_all(open_page(page, {"lang": lang}), lang)
    assert_clean(at, f"{page} in {lang}")
    text = " ".join(m.value for m in at.markdown) + " " + " ".join(c.value for c in at.caption)
    assert shown, f"{page}: no claims panel"
    with using(lang):
        assert _(panel_text.HEADING) in text
        for r in shown:
            assert r.shown_text() in text, (r.id, "translated statement missing")
            assert r.text not in text, (r.id, "English statement left")
            assert r.shown_criterion() in text, (r.id, "translated criterion missing")
            assert str(r.criterion) == r.shown_criterion() or str(r.criterion) not in text, (r.id, "English criterion")
            if r.measures and r.status != "N/A":
                assert r.measures not in text, (r.id, "English measured-value name left")
                value = number(r.value, ".4g")  # as the locale writes it: 0,7 in es and ro
                assert f"**{value}**" in text and (lang == "zh" or "." not in value), (r.id, value)
            if lang == "zh":
                assert CJK.search(r.shown_criterion()), (r.id, r.shown_criterion())
    for english in ("Claims on this page", "Measured now", "Predict:", "Details: claim ids", "Lock in my guess",
                    "off by", "holds]", "**Not quite:**", "**Right:**"):
        assert english not in text and all(b.label != english for b in at.button), (page, lang, english)
