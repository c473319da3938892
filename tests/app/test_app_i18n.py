"""Issue 13: no page shows an untranslated English sentence when another language is chosen. Every page is opened in
Spanish, Chinese and Romanian (``?lang=``) and everything it renders is collected -- Markdown, captions, titles and
headers, alerts, expander and tab labels, widget labels, options and help, buttons, table columns, and the Plotly
figures' titles, axis titles, legend names, annotations and play/slider labels -- then compared with the English
of every message catalog (a marked message whose translation differs from it, at least two words long) and of every
English prose file (its sentences).

Trainings: the module swaps the server's job queue for a stand-in that never trains: a page's first job shows as
running (its progress bar and Stop), the others as queued (the "Waiting for a free trainer" panel), so a training
page is checked in the state a visitor sees while it trains, in seconds and on one core. Results drawn after a
training are checked by the family's own AppTests (tests/app/test_app_lab.py, test_app_bayesian.py ...)."""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Hashable

import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

from dropviz import i18n, jobs, ui
from dropviz.i18n import catalogs
from tests.app.test_app import APP, answer_questions, open_page

pytestmark = pytest.mark.app
LANGS = ("es", "zh", "ro")
PAGES = ui.all_pages()
MIN_WORDS = 2  # a catalog message counts as a sentence or label from two words on
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\{[^{}]*\}|%(?:\([^)]*\))?[sdfr]")
_MARKUP = re.compile(r"\*\*|`|:material/[a-z_]+:|<extra></extra>|\\n")


# -- what must not appear ---------------------------------------------------------------------------------------


def _fragments(msgid: str) -> list[str]:
    """The literal runs of an English message between its placeholders (a page shows them with values filled in),
    without Markdown markers, that are at least MIN_WORDS words long."""
    parts = (_MARKUP.sub(" ", p) for p in _PLACEHOLDER.split(msgid))
    parts = (re.sub(r"\s+", " ", p).strip(" ,;:.()·—-") for p in parts)
    return [p for p in parts if len(_WORD.findall(p)) >= MIN_WORDS]


@functools.cache
def english_messages(lang: str) -> tuple[str, ...]:
    """English fragments (see :func:`_fragments`) of every message marked in the code, in every domain, that the
    ``lang`` catalog does not keep as they are (a translator may keep a name: "DropConnect", "PNG, JPEG or WebP")."""
    kept: list[str] = []
    everywhere: list[str] = []  # every translation in this language: a term one of them keeps (a glossary
    # choice such as "蒙特卡洛暂退法（MC dropout）") is this language's word, wherever it appears
    for domain in i18n.DOMAINS:
        catalog = catalogs.read(lang, domain)
        for msg in catalogs.extract(domain):
            if not msg.id:
                continue
            ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
            tr = catalog.get(msg.id)
            strings = (tr.string if isinstance(tr.string, tuple) else (tr.string,)) if tr is not None else ()
            translated = " ".join(s for s in strings if s)
            everywhere.append(translated)
            for english in ids:
                kept += [f for f in _fragments(english) if f not in translated]
    every = "\n".join(everywhere)
    return tuple(sorted({f for f in kept if f not in every}, key=len, reverse=True))


_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n+")


@functools.cache
def english_prose(lang: str) -> tuple[str, ...]:
    """The sentences (at least four words) of every English prose file, except those the ``lang`` file keeps."""
    import glob
    import os

    out: set[str] = set()
    for path in glob.glob(os.path.join(i18n.PROSE_DIR, "en", "*.md")):
        name = os.path.splitext(os.path.basename(path))[0]
        translated = " ".join(i18n.prose_sections(name, lang).values())
        for text in i18n.prose_sections(name, "en").values():
            for part in _SENTENCE.split(text):
                for frag in _fragments(part):
                    if len(_WORD.findall(frag)) >= 4 and frag not in translated:
                        out.add(frag)
    return tuple(sorted(out, key=len, reverse=True))


# -- what a page shows --------------------------------------------------------------------------------------------

_SKIP_FIELDS = {"id", "key", "form_id", "icon", "url", "page", "page_script_hash", "default", "value", "spec",
                "config", "theme", "css_class", "query_param_key", "data", "format", "mime_type", "file_name",
                "deferred_file_id", "fragment_id", "width_config", "height_config"}
# Figure text a reader sees: titles (figure, axes, colour bars, legend groups), trace names, annotations, the
# play buttons and the frame slider. Hover templates are left to each family's own review.
_PLOT_KEYS = {"text", "name", "label", "prefix", "ticktext", "title"}


def _proto_strings(msg, out: list[str]) -> None:
    for field, value in msg.ListFields():
        if field.name in _SKIP_FIELDS:
            continue
        repeated = hasattr(value, "__len__") and not isinstance(value, (str, bytes, Message))
        values = value if repeated else [value]
        for v in values:
            if isinstance(v, str):
                out.append(v)
            elif hasattr(v, "ListFields"):
                _proto_strings(v, out)


def _plot_strings(node: Any, out: list[str], key: str = "") -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _plot_strings(v, out, k)
    elif isinstance(node, list):
        for v in node:
            _plot_strings(v, out, key)
    elif isinstance(node, str) and key in _PLOT_KEYS:
        out.append(node)


def rendered_text(at: AppTest) -> list[str]:
    """Every string the page shows (see the module docstring), main area and sidebar."""
    out: list[str] = []
    for node in at._tree:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind in ("html", "code") or proto is None:  # CSS; code and links (the lesson link) are not prose
            continue
        if kind == "plotly_chart":
            _plot_strings(json.loads(proto.spec), out)
            continue
        if kind in ("arrow_data_frame", "dataframe", "arrow_table", "table"):
            try:
                out += [str(c) for c in node.value.columns]
            except Exception:  # noqa: BLE001 - a table AppTest cannot decode: its other fields still count
                pass
        _proto_strings(proto, out)
    return [s for s in out if s and _WORD.search(s)]


# English that no catalog knows (a string nobody marked): a run of Latin-script words with at least two of these
# function words, none of which is a Spanish or Romanian word. Links (paper titles stay as published), code spans
# and $math$ are left out first.
_ENGLISH = frozenset("the of and with each every this that from which when is its into than".split())
_NOT_PROSE = re.compile(r"\[[^\]]*\]\([^)]*\)|`[^`]*`|\$[^$]*\$|https?://\S+")
_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[\s,;:()*/—–-]+[A-Za-z][A-Za-z'’-]*)+")


def unmarked_english(text: str) -> str | None:
    """The first run of words in ``text`` that reads as an English sentence (see ``_ENGLISH``), or None."""
    for run in _RUN.findall(_NOT_PROSE.sub(" ", text)):
        words = [w.lower() for w in _WORD.findall(run)]
        if len(words) >= 5 and len({w for w in words if w in _ENGLISH}) >= 2:
            return run
    return None


def english_left(texts: list[str], lang: str) -> list[str]:
    """The English messages and prose sentences found verbatim in ``texts``, and English sentences no catalog
    knows, each with where it was found."""
    found = []
    for needle in english_messages(lang) + english_prose(lang):
        for text in texts:
            if needle in text:
                found.append(f"{needle!r} in {text[:120]!r}")
                break
    for text in texts:
        run = unmarked_english(text)
        if run is not None and not any(repr(text[:120]) in f for f in found):
            found.append(f"unmarked English {run[:80]!r} in {text[:120]!r}")
    return found


# -- the job queue, without trainings -------------------------------------------------------------------------------


class NoTrainingQueue:
    """Stands in for the server's queue: remembers submissions, never trains. The first job submitted reports
    progress (running, 3 of 10 steps), later ones wait in line."""

    def __init__(self):
        self.jobs: dict[Hashable, set[str]] = {}

    def submit(self, key, fn, *, owner: str) -> jobs.JobStatus:
        self.jobs.setdefault(key, set()).add(owner)
        return self.status(key)

    def status(self, key) -> jobs.JobStatus | None:
        if key not in self.jobs:
            return None
        place = list(self.jobs).index(key)
        if place == 0:
            return jobs.JobStatus(key, jobs.JobState.RUNNING, progress=jobs.JobProgress(3, 10, "epoch 1"))
        return jobs.JobStatus(key, jobs.JobState.QUEUED, position=place)

    def result(self, key) -> None:
        return None

    def cancel(self, key, *, owner: str) -> bool:
        return False

    def owners(self, key) -> frozenset[str]:
        return frozenset(self.jobs.get(key, ()))


@pytest.fixture
def no_training(monkeypatch):
    from dropviz.ui import experiment, training

    q = NoTrainingQueue()
    for module in (training, experiment, ui):
        monkeypatch.setattr(module, "queue", lambda: q)
    return q


# -- the tests ----------------------------------------------------------------------------------------------------


def test_the_check_sees_english_in_a_page_and_in_a_figure():
    """The comparison can fail: an English catalog message (values filled in), an English prose sentence and an
    English axis title are all found."""
    texts = ["Ignored the link's `p=2`: `p` must be a number from 0 to 1; the control below shows the value in use.",
             "Each thumbnail is the same positive 8 × 16 input (examples × units) after the method's mask"]
    spec: list[str] = []
    _plot_strings({"layout": {"xaxis": {"title": {"text": "Drop probability p"}}}}, spec)
    left = english_left(texts + spec, "es")
    assert any("the control below shows the value in use" in f for f in left), left
    assert any("examples × units" in f or "positive 8" in f for f in left), left
    assert any("'Drop probability p'" in f for f in left), left
    assert not english_left(["Se ignoró `p=2` del enlace: `p` debe ser un número de 0 a 1."], "es")
    assert unmarked_english("Zero each activation independently, then rescale the survivors.")
    assert not unmarked_english("Pon a cero cada activación con probabilidad p y reescala las que quedan.")
    assert not unmarked_english("Fiecare activare este pusă la zero cu probabilitatea p, apoi se rescalează.")
    assert not unmarked_english("每个激活以概率 p 置零 (DropConnect and DropBlock)。")
    assert not unmarked_english("[Srivastava et al. (2014): Dropout: A Simple Way to Prevent Overfitting](https://x)")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_page_reads_fully_in_the_language(spec, lang, no_training):
    at = open_page(spec.path, {"lang": lang})
    assert not at.exception, f"{spec.path} in {lang}: {[e.message for e in at.exception]}"
    answer_questions(at)  # predict, then reveal: the claims' statements count too
    assert not at.exception, f"{spec.path} in {lang}: {[e.message for e in at.exception]}"
    texts = rendered_text(at)
    assert any(i18n.gettext is not None and t for t in texts)
    left = english_left(texts, lang)
    assert not left, f"{spec.url_path} in {lang}: {len(left)} English text(s):\n" + "\n".join(left[:30])


def test_an_unknown_language_is_reported_and_the_page_falls_back():
    at = open_page(ui.HOME.path, {"lang": "xx"})
    warnings = " ".join(w.value for w in at.warning)
    assert "`lang=xx`" in warnings and "`es`" in warnings, warnings
    assert at.selectbox(key="_dropviz_language_select").value == i18n.DEFAULT
    assert "lang" not in at.query_params, "the address drops the value it cannot use"
    assert "Dropout" in " ".join(m.value for m in at.markdown)  # English: AppTest has no browser locale


def test_lang_zh_selects_chinese_and_a_switch_keeps_the_language_in_the_address():
    at = open_page(ui.HOME.path, {"lang": "zh"})
    sel = at.selectbox(key="_dropviz_language_select")
    assert sel.value == "zh" and sel.format_func(sel.value) == "中文"
    assert "暂退法" in " ".join(m.value for m in at.markdown)
    assert at.query_params["lang"] == ["zh"] or at.query_params["lang"] == "zh"
    sel.select("es").run()
    assert at.selectbox(key="_dropviz_language_select").value == "es"
    assert "".join(at.query_params["lang"]) == "es", "the address carries the language after a switch"
    assert "El **dropout**" in " ".join(m.value for m in at.markdown)
    at.selectbox(key="_dropviz_language_select").select("ro").run()
    assert "".join(at.query_params["lang"]) == "ro" and "Dropout-ul" in " ".join(m.value for m in at.markdown)
    at.run()  # a rerun (a slider move) stays in Romanian
    assert at.selectbox(key="_dropviz_language_select").value == "ro"


def test_a_page_move_keeps_the_language_chosen():
    at = open_page(ui.HOME.path, {"lang": "ro"})
    at.switch_page("pages/44_frameworks.py")
    at.query_params.pop("lang", None)  # a move between pages may drop the parameter
    at.run()
    assert at.selectbox(key="_dropviz_language_select").value == "ro"
    assert "".join(at.query_params["lang"]) == "ro"


def test_app_file_is_the_one_tested():
    assert APP.endswith("app.py")
