"""DropViz in English, Spanish, Chinese and Romanian (issue 13).

Short strings go through GNU gettext message catalogs managed with Babel (https://babel.pocoo.org): source code
marks them with ``_("...")`` (translated now), ``N_("...")`` (a module-level constant, translated where it is
shown) or ``ngettext(singular, plural, n)``; ``python -m dropviz.i18n extract`` collects them into one template
per *domain* (a family of the grid, so that work on one family never touches another's catalog),
``python -m dropviz.i18n update`` merges each template into ``locale/<lang>/LC_MESSAGES/<domain>.po`` and
``python -m dropviz.i18n compile`` writes the ``.mo`` files loaded at run time. Long prose lives in one Markdown
file per page and language (``prose/<lang>/<name>.md``), sections marked ``<!-- key -->``.

The language of the current script run is a context variable (``set_language``), set by the app shell from
``?lang=`` or the browser's locale: this package never imports Streamlit. Mathematical notation is never
translated; the CLIs (claims, bench) and the code stay in English.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español", "zh": "中文", "ro": "Română"}  # code -> own name
DEFAULT = "en"
# Babel locale per code (number formats, plural rules).
LOCALES: dict[str, str] = {"en": "en_US", "es": "es_ES", "zh": "zh_Hans_CN", "ro": "ro_RO"}
DOMAINS: tuple[str, ...] = ("core", "methods", "claims", "dense", "conv", "recurrent", "training", "bayesian")
HERE = os.path.dirname(os.path.abspath(__file__))
LOCALE_DIR = os.path.join(HERE, "locale")
PROSE_DIR = os.path.join(HERE, "prose")

_current: ContextVar[str] = ContextVar("dropviz_language", default=DEFAULT)


def set_language(lang: str) -> None:
    """Make ``lang`` (a key of LANGUAGES) the language of this thread's script run."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    _current.set(lang)


def language() -> str:
    return _current.get()


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Run a block in ``lang`` (tests, exports), restoring the previous language after it."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(LANGUAGES)}")
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def parse_language(value: str | None) -> str | None:
    """A language code from a URL value or a browser locale ("es", "zh-CN", "ro_RO", "ES"), or None."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


@functools.cache
def translations(lang: str):
    """Every domain's compiled catalog for ``lang``, merged (babel.support.Translations); English has none."""
    from babel.support import NullTranslations, Translations

    merged = None
    for domain in DOMAINS if lang != DEFAULT else ():
        path = os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", f"{domain}.mo")
        if os.path.exists(path):
            with open(path, "rb") as fh:
                t = Translations(fh, domain=domain)
            merged = t if merged is None else merged.merge(t)
    return merged if merged is not None else NullTranslations()


def gettext(message: str) -> str:
    """``message`` in the current language (itself if untranslated, and always in English)."""
    if not message:
        return message
    lang = _current.get()
    return message if lang == DEFAULT else translations(lang).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    lang = _current.get()
    if lang == DEFAULT:
        return singular if n == 1 else plural
    return translations(lang).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a module-level constant for extraction; translate it with ``_`` where it is shown."""
    return message


def fmt(x: float, digits: int = 2) -> str:
    """A number as people in the current locale write it (1,234.5 / 1.234,5), at most ``digits`` decimals."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * digits if digits > 0 else "")
    return format_decimal(x, format=pattern, locale=LOCALES[_current.get()])


_SECTION = re.compile(r"^<!--\s*([\w.-]+)\s*-->\s*$", re.M)


@functools.cache
def _prose_file(lang: str, name: str) -> dict[str, str]:
    path = os.path.join(PROSE_DIR, lang, f"{name}.md")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    parts = _SECTION.split(text)  # [preamble, key1, body1, key2, body2, ...]
    return {k: v.strip() for k, v in zip(parts[1::2], parts[2::2], strict=True)}


def prose_sections(name: str, lang: str | None = None) -> dict[str, str]:
    """Every section of ``prose/<lang>/<name>.md`` (key -> Markdown)."""
    return dict(_prose_file(lang or _current.get(), name))


def prose(name: str, key: str, **values) -> str:
    """Section ``key`` of page ``name``'s prose in the current language (English where a translation lacks it),
    with ``{placeholders}`` filled from ``values`` (numbers formatted for the locale by the caller)."""
    lang = _current.get()
    text = _prose_file(lang, name).get(key) or _prose_file(DEFAULT, name).get(key)
    if text is None:
        raise KeyError(f"no prose section {key!r} in {name}.md")
    return text.format(**values) if values else text


@dataclass(frozen=True)
class InLanguage:
    """``fn(config, ctx=...)`` run in ``language``: a training job reports its progress in the language of the
    session that submitted it (its result holds no text). Picklable for RQ workers when ``fn`` is module-level."""

    fn: Callable[..., Any]
    language: str = DEFAULT

    def __call__(self, config: Any, **kwargs: Any) -> Any:
        from dropviz.train import engine  # a training: torch is loaded anyway

        engine.gettext = gettext  # the engine's progress line (it imports nothing of dropviz itself)
        with using(self.language if self.language in LANGUAGES else DEFAULT):
            return self.fn(config, **kwargs)
