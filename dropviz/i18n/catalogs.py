"""Message catalogs with Babel: extract the marked strings per domain, merge them into each language's ``.po``,
compile ``.mo``, and check them (every id translated, placeholders and Markdown kept, ``.mo`` up to date).

Run as ``python -m dropviz.i18n {extract,update,compile,check}``; ``update`` also extracts, ``compile`` writes
the ``.mo`` files that :func:`dropviz.i18n.translations` loads (committed, so a fresh clone needs no build step).
"""

from __future__ import annotations

import datetime
import glob
import io
import os
import re

from dropviz.i18n import DEFAULT, DOMAINS, LANGUAGES, LOCALE_DIR, LOCALES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
FAMILIES = ("dense", "conv", "recurrent", "training", "bayesian")
_EPOCH = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)  # fixed header dates: no churn in git
_TRAIN_DOMAIN = {"dropviz/train/lab.py": "training", "dropviz/train/recall.py": "recurrent"}
_PAGE_DOMAIN = {"0": "core", "1": "dense", "2": "conv", "3": "recurrent", "4": "training", "5": "bayesian"}


def domain_of(rel: str) -> str | None:
    """The catalog a source file's strings belong to (by the grid: a family's page, figures and demos share
    one), or None for files that hold no user-facing text."""
    rel = rel.replace(os.sep, "/")
    name = os.path.splitext(os.path.basename(rel))[0]
    if rel.startswith("pages/"):
        return _PAGE_DOMAIN.get(name[0], "core")
    if rel == "app.py":
        return "core"
    if not rel.startswith("dropviz/") or rel.startswith(("dropviz/bench/", "dropviz/i18n/")):
        return None
    if rel.startswith("dropviz/claims/"):
        return "claims"
    if rel in ("dropviz/methods.py", "dropviz/frameworks.py"):
        return "methods"
    if rel.startswith(("dropviz/figures/", "dropviz/demos/", "dropviz/train/")) and name in FAMILIES:
        return name
    return _TRAIN_DOMAIN.get(rel, "core")


def sources() -> dict[str, list[str]]:
    """Domain -> the source files (relative to the repository root) whose strings it holds."""
    out: dict[str, list[str]] = {d: [] for d in DOMAINS}
    for path in sorted(glob.glob(os.path.join(ROOT, "app.py")) + glob.glob(os.path.join(ROOT, "pages", "*.py"))
                       + glob.glob(os.path.join(ROOT, "dropviz", "**", "*.py"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        d = domain_of(rel)
        if d is not None:
            out[d].append(rel)
    return out


def extract(domain: str):
    """The template (a babel Catalog) of every marked string in ``domain``'s files."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    template = Catalog(project="dropviz", domain=domain, creation_date=_EPOCH, revision_date=_EPOCH)
    for rel in sources()[domain]:
        for lineno, message, comments, context in extract_from_file(
                "python", os.path.join(ROOT, rel), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
            template.add(message, None, [(rel.replace(os.sep, "/"), lineno)], auto_comments=comments,
                         context=context)
    return template


def po_path(lang: str, domain: str) -> str:
    return os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", f"{domain}.po")


def read(lang: str, domain: str):
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    path = po_path(lang, domain)
    if not os.path.exists(path):
        return Catalog(locale=LOCALES[lang], domain=domain, project="dropviz", creation_date=_EPOCH,
                       revision_date=_EPOCH)
    with open(path, "rb") as fh:
        return read_po(fh, locale=LOCALES[lang], domain=domain)


def write(catalog, lang: str, domain: str) -> None:
    from babel.messages.pofile import write_po

    path = po_path(lang, domain)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=116, sort_output=False, ignore_obsolete=True, include_previous=True)


def update(domains: tuple[str, ...] = DOMAINS) -> None:
    """Merge each domain's fresh template into every translated language's ``.po`` (new ids untranslated)."""
    for domain in domains:
        template = extract(domain)
        for lang in LANGUAGES:
            if lang == DEFAULT:
                continue
            catalog = read(lang, domain)
            catalog.update(template, no_fuzzy_matching=True)
            write(catalog, lang, domain)


def mo_bytes(lang: str, domain: str) -> bytes:
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, read(lang, domain), use_fuzzy=False)
    return buf.getvalue()


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def compile_all(domains: tuple[str, ...] = DOMAINS) -> None:
    for domain in domains:
        for lang in LANGUAGES:
            if lang != DEFAULT and os.path.exists(po_path(lang, domain)):
                with open(po_path(lang, domain)[:-3] + ".mo", "wb") as fh:
                    fh.write(mo_bytes(lang, domain))


_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdfr]")
# Markdown a translation must keep: bold/italic markers, code spans, links' targets, inline math.
_MARKUP = re.compile(r"\*\*|`[^`]*`|\]\([^)]*\)|\$[^$]+\$")


def markup(text: str) -> list[str]:
    """The placeholders and the Markdown/math a translation must keep, in a comparable form."""
    return sorted(_PLACEHOLDER.findall(text)) + sorted(_MARKUP.findall(text))


def problems() -> list[str]:
    """Everything wrong with the catalogs: an id extracted from the code but missing or untranslated (or fuzzy)
    in a language, placeholders or Markdown that differ from the English, a stale ``.mo``."""
    out: list[str] = []
    for domain in DOMAINS:
        template = extract(domain)
        for lang in LANGUAGES:
            if lang == DEFAULT:
                continue
            catalog = read(lang, domain)
            for msg in template:
                if not msg.id:
                    continue
                tr = catalog.get(msg.id)
                ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
                strs = (tr.string if isinstance(tr.string, tuple) else (tr.string,)) if tr else ()
                if tr is None or tr.fuzzy or not all(strs):
                    out.append(f"{lang}/{domain}: untranslated {ids[0]!r}")
                    continue
                if any(markup(s) != markup(ids[-1 if len(strs) > 1 else 0]) for s in strs):
                    out.append(f"{lang}/{domain}: placeholders, Markdown or math differ in {ids[0]!r}")
            mo = po_path(lang, domain)[:-3] + ".mo"
            if os.path.exists(po_path(lang, domain)):
                if not os.path.exists(mo) or _read_bytes(mo) != mo_bytes(lang, domain):
                    out.append(f"{lang}/{domain}: {os.path.relpath(mo, ROOT)} is stale: python -m dropviz.i18n compile")
    return out
