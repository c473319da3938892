"""Issue 13's catalogue checks: every message id translated in every language with the same placeholders,
Markdown and math (``dropviz.i18n.catalogs.problems``), the prose files parallel in every language, and the
language helpers (parsing a link or browser locale, numbers per locale, plural forms, the domain of each file)."""

from __future__ import annotations

import glob
import os
import re

import pytest

from dropviz import i18n
from dropviz.i18n import catalogs
from tests.conftest import ROOT

OTHER = tuple(code for code in i18n.LANGUAGES if code != i18n.DEFAULT)


def test_every_message_is_translated_with_its_placeholders_markdown_and_math_and_compiled():
    found = catalogs.problems()
    assert not found, f"{len(found)} problem(s), e.g.:\n" + "\n".join(found[:40])


def test_problems_finds_an_untranslated_or_broken_message(monkeypatch):
    """The check above can fail: a message whose translation is missing, or drops a placeholder, is reported."""
    from babel.messages.catalog import Catalog

    template = Catalog(domain="core")
    template.add("Kept {k} of {n} units", locations=[("x.py", 1)])
    template.add("**Bold** and `code`", locations=[("x.py", 2)])
    template.add("Fine", locations=[("x.py", 3)])

    def read(lang, domain):
        c = Catalog(locale=i18n.LOCALES[lang], domain=domain)
        if domain == "core":
            c.add("Kept {k} of {n} units", "Se conservaron {k} unidades")  # {n} lost
            c.add("Fine", "Bien" if lang != "ro" else "")  # untranslated in ro
            c.add("**Bold** and `code`", "**Negrita** y código")  # the code span lost
        return c

    monkeypatch.setattr(catalogs, "extract", lambda domain: template if domain == "core" else Catalog())
    monkeypatch.setattr(catalogs, "read", read)
    monkeypatch.setattr(catalogs, "po_path", lambda lang, domain: "/nonexistent/x.po")
    found = catalogs.problems()
    assert "ro/core: untranslated 'Fine'" in found
    assert any("placeholders" in f and "Kept" in f for f in found)
    assert any("placeholders" in f and "Bold" in f for f in found)
    assert not any("es/core: untranslated 'Fine'" == f for f in found)


# -- prose ------------------------------------------------------------------------------------------------------

PROSE_NAMES = sorted(os.path.splitext(os.path.basename(p))[0]
                     for p in glob.glob(os.path.join(i18n.PROSE_DIR, "en", "*.md")))
_LINK = re.compile(r"\]\(([^)]*)\)")
_CODE = re.compile(r"`[^`]*`")
_DOLLAR = re.compile(r"\$[^$]+\$")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# Unicode math written inline (1−p, p/(1−p), m ⊙ z, ‖v‖, α = …): a run of Latin/Greek letters, digits and math
# punctuation around an operator. Never translated, so every language has the same set.
_MATH = re.compile(r"[A-Za-z0-9α-ωΑ-Ω()/^_.]*[−×⊙‖≈≤≥∝√∑][A-Za-z0-9α-ωΑ-Ω()/^_.]*")


def prose_markup(text: str) -> dict[str, list[str]]:
    return {
        "placeholders": sorted(set(_PLACEHOLDER.findall(text))),
        "links": sorted(set(_LINK.findall(text))),
        "code": sorted(set(_CODE.findall(text))),
        "dollar math": sorted(set(_DOLLAR.findall(text))),
        "inline math": sorted(set(m.strip(".") for m in _MATH.findall(text)) - {""}),
    }


def test_there_is_prose_to_check():
    assert "home" in PROSE_NAMES


@pytest.mark.parametrize("lang", OTHER)
@pytest.mark.parametrize("name", PROSE_NAMES)
def test_prose_has_the_same_sections_placeholders_math_code_and_links_in_every_language(name, lang):
    en = i18n.prose_sections(name, "en")
    tr = i18n.prose_sections(name, lang)
    assert set(tr) == set(en), \
        f"{lang}/{name}.md sections differ: missing {set(en) - set(tr)}, extra {set(tr) - set(en)}"
    for key, text in en.items():
        assert tr[key].strip(), f"{lang}/{name}.md section {key} is empty"
        assert tr[key] != text or not re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", text), \
            f"{lang}/{name}.md section {key} is the English text"
        assert prose_markup(tr[key]) == prose_markup(text), f"{lang}/{name}.md section {key}"


def test_no_prose_file_exists_only_in_a_translation():
    for lang in OTHER:
        files = glob.glob(os.path.join(i18n.PROSE_DIR, lang, "*.md"))
        names = {os.path.splitext(os.path.basename(p))[0] for p in files}
        assert names <= set(PROSE_NAMES), f"{lang} has prose without English: {names - set(PROSE_NAMES)}"


def test_prose_markup_sees_math_code_links_and_placeholders():
    text = "Keep {k} with `torch.nn.Dropout` at 1−p and α = p/(1−p), see [the paper](https://x.org/a)."
    m = prose_markup(text)
    assert m["placeholders"] == ["{k}"] and m["code"] == ["`torch.nn.Dropout`"] and m["links"] == ["https://x.org/a"]
    assert m["inline math"] == ["1−p", "p/(1−p)"]
    assert prose_markup("Conserva {k} con `torch.nn.Dropout` a 1-p") != m  # a hyphen is not the minus


def test_prose_falls_back_to_english_and_fills_placeholders(tmp_path, monkeypatch):
    files = (("en", "<!-- a -->\nHello {who}.\n\n<!-- b -->\nOnly English."), ("es", "<!-- a -->\nHola {who}."))
    for lang, body in files:
        (tmp_path / lang).mkdir()
        (tmp_path / lang / "t.md").write_text(body, encoding="utf-8")
    monkeypatch.setattr(i18n, "PROSE_DIR", str(tmp_path))
    i18n._prose_file.cache_clear()
    try:
        with i18n.using("es"):
            assert i18n.prose("t", "a", who="Ana") == "Hola Ana."
            assert i18n.prose("t", "b") == "Only English."
            with pytest.raises(KeyError):
                i18n.prose("t", "c")
    finally:
        i18n._prose_file.cache_clear()


# -- language helpers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("es", "es"), ("ES", "es"), ("zh-CN", "zh"), ("zh_Hans_CN", "zh"), ("ro_RO", "ro"), ("en-GB", "en"),
    (" ro ", "ro"), ("fr", None), ("", None), (None, None), ("xx-es", None), ("español", None), ("中文", None),
])
def test_parse_language(value, expected):
    assert i18n.parse_language(value) == expected


def test_set_language_refuses_an_unknown_code_and_using_restores():
    with pytest.raises(ValueError):
        i18n.set_language("fr")
    with i18n.using("zh"):
        assert i18n.language() == "zh"
        with i18n.using("ro"):
            assert i18n.language() == "ro"
        assert i18n.language() == "zh"


@pytest.mark.parametrize("lang, x, digits, expected", [
    ("en", 1234.5, 2, "1,234.5"), ("es", 1234.5, 2, "1.234,5"), ("es", 12345.25, 2, "12.345,25"),
    ("ro", 1234.5, 2, "1.234,5"), ("zh", 1234.5, 2, "1,234.5"), ("en", 0.123456, 3, "0.123"),
    ("es", 0.5, 2, "0,5"), ("ro", 2147483647, 0, "2.147.483.647"), ("en", 3.0, 2, "3"),
])
def test_fmt_writes_numbers_as_each_locale_does(lang, x, digits, expected):
    with i18n.using(lang):
        assert i18n.fmt(x, digits) == expected


@pytest.mark.parametrize("lang, n, expected", [
    ("en", 1, "CPU (1 thread)"), ("en", 2, "CPU (2 threads)"),
    ("es", 1, "CPU (1 hilo)"), ("es", 2, "CPU (2 hilos)"),
    ("zh", 1, "CPU（1 个线程）"), ("zh", 5, "CPU（5 个线程）"),
    ("ro", 1, "CPU (1 fir)"), ("ro", 2, "CPU (2 fire)"), ("ro", 20, "CPU (20 de fire)"), ("ro", 101, "CPU (101 fire)"),
])
def test_ngettext_uses_each_languages_plural_forms(lang, n, expected):
    """Romanian has three forms (1 fir, 2 fire, 20 de fire), Chinese one, Spanish and English two in practice."""
    with i18n.using(lang):
        assert i18n.ngettext("CPU ({n} thread)", "CPU ({n} threads)", n).format(n=n) == expected


def test_gettext_translates_core_texts_and_leaves_english_alone():
    assert i18n.gettext("Seed") == "Seed"
    with i18n.using("es"):
        assert i18n.gettext("Seed") == "Semilla"
        assert i18n.gettext("a text nobody marked") == "a text nobody marked"
    with i18n.using("zh"):
        assert i18n.gettext("Drop probability p") == "丢弃概率 p"


def test_every_catalog_has_the_plural_rule_of_its_language():
    """Chinese has one form, Romanian three (1 / 2-19 / 20 and more "de"); Spanish's CLDR rule has a third form
    for round millions ("1 millón de"), English two."""
    forms = {"zh": 1, "ro": 3, "es": 3}
    for lang in OTHER:
        for domain in i18n.DOMAINS:
            if os.path.exists(catalogs.po_path(lang, domain)):
                assert catalogs.read(lang, domain).num_plurals == forms[lang], (lang, domain)


def test_domain_of_covers_every_page_and_source_file():
    pages = sorted(glob.glob(os.path.join(ROOT, "pages", "*.py")))
    assert pages
    expected = {"0": "core", "1": "dense", "2": "conv", "3": "recurrent", "4": "training", "5": "bayesian"}
    for path in pages:
        rel = os.path.relpath(path, ROOT)
        assert catalogs.domain_of(rel) == expected[os.path.basename(path)[0]], rel
    from dropviz import ui

    assert {p.path for p in ui.all_pages()} <= {os.path.relpath(p, ROOT) for p in pages}
    srcs = catalogs.sources()
    every = {f for files in srcs.values() for f in files}
    assert "app.py" in srcs["core"] and "dropviz/ui/nav.py" in srcs["core"] and "pages/00_home.py" in srcs["core"]
    assert "dropviz/methods.py" in srcs["methods"] and "dropviz/claims/questions.py" in srcs["claims"]
    assert "dropviz/figures/dense.py" in srcs["dense"] and "dropviz/train/lab.py" in srcs["training"]
    assert not any(f.startswith(("dropviz/bench/", "dropviz/i18n/")) for f in every)
    assert sum(len(v) for v in srcs.values()) == len(every), "a file in two domains"


def test_upload_errors_and_notes_are_english_in_code_and_translated_where_shown():
    """``str(error)`` stays English (a library user's exception); the page shows ``error.shown()`` in its language,
    worked out when shown (a user may switch language after the upload)."""
    import io

    import numpy as np
    from PIL import Image

    from dropviz.data.images import ImageLoadError, load_upload

    with pytest.raises(ImageLoadError) as empty:
        load_upload(b"", "x.png")
    assert str(empty.value) == "“x.png” is empty (0 bytes). Showing the cat instead."
    with pytest.raises(ImageLoadError) as garbage:
        load_upload(b"not an image at all", "y.png")
    with i18n.using("es"):
        assert empty.value.shown() == "«x.png» está vacía (0 bytes). Se muestra el gato en su lugar."
    with i18n.using("zh"):
        assert "“y.png”" in garbage.value.shown() and "改为显示猫" in garbage.value.shown()
    buf = io.BytesIO()
    Image.fromarray(np.full((40, 60, 4), 128, np.uint8), "RGBA").save(buf, format="PNG")
    img = load_upload(buf.getvalue(), "clear.png")
    assert img.note == "PNG; transparency composited on white"
    with i18n.using("ro"):
        assert img.note_shown() == "PNG; transparența compusă pe alb"


def test_number_words_in_english_digits_elsewhere():
    from dropviz.ui.render import number_word

    assert number_word(4) == "four" and number_word(4, capital=True) == "Four" and number_word(13) == "13"
    with i18n.using("ro"):
        assert number_word(4) == "4"


def _fit_two_steps(config, *, ctx):
    from dropviz.train import engine

    return engine.fit(lambda i: 0.5, 2, ctx=ctx)


def test_a_job_reports_progress_in_its_submitters_language():
    from dropviz import jobs

    lines = []

    class Ctx:
        def check(self):
            pass

        def report(self, done, total, text):
            lines.append(text)

    jobs.Task(i18n.InLanguage(_fit_two_steps, "zh"), None)(Ctx())
    jobs.Task(i18n.InLanguage(_fit_two_steps, "en"), None)(Ctx())
    assert lines == ["小批量损失 0.5", "小批量损失 0.5", "minibatch loss 0.5", "minibatch loss 0.5"]
    assert jobs.Task(i18n.InLanguage(_fit_two_steps, "es"), None).name.endswith("_fit_two_steps")
