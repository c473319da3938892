"""Claims in other languages (issue 13): a criterion is a Phrase, its English text byte for byte what the f-string it
replaced printed (the CLI line), shown translated with the locale's numbers; questions grade on the English option
whatever the language."""

from __future__ import annotations

import pickle

from dropviz.claims import core, questions
from dropviz.claims.core import ClaimResult, Phrase, number
from dropviz.i18n import using


def test_phrase_is_its_english_text_and_survives_pickling():
    n, tol, ok = 12345, 0.0125, True
    p = Phrase("{n:,} masks, tolerance ±{tol:.2g}: {ok}", n=n, tol=tol, ok=ok)
    assert p == f"{n:,} masks, tolerance ±{tol:.2g}: {ok}"  # what the CLI prints
    back = pickle.loads(pickle.dumps(p))  # st.cache_data stores results pickled
    assert back == p and back.template == p.template and back.values == p.values


def test_phrase_shown_uses_the_locale_numbers_and_translated_words():
    p = Phrase("{n:,} masks, tolerance ±{tol:.2g}: {ok}", n=12345, tol=0.0125, ok=True)
    with using("es"):
        assert p.shown() == "12.345 masks, tolerance ±0,013: sí"  # template not in a catalog: kept, values local
    with using("zh"):
        assert p.shown().endswith(": 是")
    with using("en"):
        assert p.shown() == str(p)


def test_a_real_criterion_is_translated_whole():
    tmpl = "kept fraction of {n:,} units vs 1−p = {keep:.4g}, tolerance ±{tol:.2g} (5σ binomial)"
    p = Phrase(tmpl, n=100000, keep=0.7, tol=0.0072)
    with using("es"):
        assert p.shown() == ("fracción conservada de 100.000 unidades frente a 1−p = 0,7, tolerancia ±0,0072 "
                             "(5σ binomial)")
    with using("ro"):
        assert "100.000" in p.shown() and "0,7" in p.shown() and "unități" in p.shown()


def test_nested_and_joined_phrases_translate_inside():
    p = Phrase("{a}; {b}", a=Phrase("resolved"), b=Phrase("none"))
    assert p == "resolved; none"
    with using("es"):
        assert p.shown() == "resuelto; ninguno"
    j = Phrase.joined(", ", [Phrase("{x:.1f}", x=1.5), Phrase("{x:.1f}", x=2.5)])
    assert j == "1.5, 2.5"
    with using("ro"):
        assert j.shown() == "1,5, 2,5"


def test_number_formats_per_locale():
    with using("ro"):
        assert number(1234.5, ",.1f") == "1.234,5"
    with using("zh"):
        assert number(1234.5, ",.1f") == "1,234.5"


def test_question_shown_translated_graded_in_english():
    q = questions.for_claim("standard.keep_rate")
    with using("zh"):
        assert q.text({"p": 0.3}) == "p = 0.3 时，一个掩码下隐藏单元存活的比例是多少？"
    with using("es"):
        assert "0,3" in q.text({"p": 0.3})
    r = ClaimResult("backprop.same_mask_forward_backward", "t", True, 0.0, Phrase("c"), True)
    choice = questions.for_claim(r.id)
    with using("ro"):
        assert choice.shown_option(choice.options[0]) != choice.options[0]
        assert choice.grade(choice.options[0], r) == (True, None)


def test_plain_criteria_become_phrases():
    m = core.Measurement(True, 1.0, "at p = 0 nothing is dropped (γ = 0)")
    r = core.Claim("x.y", "text", lambda **_: m).result(m)
    assert isinstance(r.criterion, Phrase) and r.line() == "x.y PASS 1 (at p = 0 nothing is dropped (γ = 0))"
    with using("es"):
        assert r.shown_criterion() == "con p = 0 no se descarta nada (γ = 0)"
