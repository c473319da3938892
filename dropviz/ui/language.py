"""The page's language (issue 13): ``?lang=es`` in a link, else the browser's language when it is one of
:data:`dropviz.i18n.LANGUAGES`, else English; a selector in the sidebar bound to the URL. Long prose comes from
``dropviz/i18n/prose/<lang>/<page>.md`` through :func:`prose`, folded into an expander in presenter mode."""

from __future__ import annotations

import streamlit as st

from dropviz import i18n
from dropviz.i18n import _

LANG = "lang"  # the URL parameter
_CHOSEN = "_dropviz_language"  # session_state: the language of this session's last run (kept across pages)
_SELECT = "_dropviz_language_select"  # the selector's widget key


def _browser_language() -> str | None:
    try:
        return i18n.parse_language(st.context.locale)
    except Exception:  # no browser (AppTest) or an unparsable locale: English
        return None


def _from_link() -> str | None:
    raw = st.query_params.get_all(LANG)
    return raw[0] if len(raw) == 1 and raw[0] in i18n.LANGUAGES else None


def choose_language() -> str:
    """Set this run's language (before anything is drawn; app.py calls it first) and return it: the link's
    ``?lang=`` (a teacher's link, or the selector's last switch), else this session's language (a move to another
    page may drop the parameter: it is written back, so the address always names the language once chosen), else
    the browser's language when it is one of the four, else English.

    The selector is NOT a ``bind="query-params"`` widget: Streamlit writes a bound selectbox's *formatted* option
    into the URL (``?lang=Español``, which no link uses) and removes the parameter whenever the value equals the
    widget's default (here: the language in use), so a link would lose its ``?lang=es`` on the first run. The URL
    is kept here instead, by hand."""
    link, remembered = _from_link(), st.session_state.get(_CHOSEN)
    if link is not None:
        lang = st.session_state[_CHOSEN] = link
    elif remembered in i18n.LANGUAGES:
        lang = remembered
        if not st.query_params.get_all(LANG):  # a page move dropped it: the address names the language again
            st.query_params[LANG] = lang
    else:
        lang = _browser_language() or i18n.DEFAULT
    i18n.set_language(lang)
    return lang


def bad_language_link() -> None:
    """Report a ``?lang=`` the app cannot use and drop it from the address (the selector shows the language in
    use)."""
    raw = st.query_params.get_all(LANG)
    if raw and not (len(raw) == 1 and raw[0] in i18n.LANGUAGES):
        shown = "&".join(f"{LANG}={v}" for v in raw)[:80]
        st.warning(_("Ignored the link's `{shown}`: `lang` must be one of {codes}.").format(
            shown=shown, codes=", ".join(f"`{c}`" for c in i18n.LANGUAGES)), icon=":material/link_off:")
        del st.query_params[LANG]


def _switch() -> None:
    """on_change of the selector: the new language goes into the address (and this session), so the page's next
    run, a reload and a copied link all open in it."""
    lang = st.session_state.get(_SELECT)
    if lang in i18n.LANGUAGES:
        st.query_params[LANG] = lang
        st.session_state[_CHOSEN] = lang


def language_selector() -> None:
    """The sidebar's language choice (English, Español, 中文, Română), written into the URL by :func:`_switch`.
    Its value is set from the language in use before it is drawn (no ``index``: one source of truth)."""
    st.session_state[_SELECT] = i18n.language()
    st.selectbox("Language · Idioma · 语言 · Limba", list(i18n.LANGUAGES), key=_SELECT,
                 format_func=i18n.LANGUAGES.__getitem__, on_change=_switch)


def prose(key: str, *, page: str | None = None, **values) -> None:
    """Section ``key`` of the running page's prose (``page`` overrides the page's url name; the home page is
    ``home``) as Markdown; in presenter mode folded into an "About this page" expander (the explanation is the
    teacher's on a projector)."""
    from dropviz.ui.classroom import presenting
    from dropviz.ui.nav import current_page

    if page is None:
        spec = current_page()
        page = (spec.url_path or "home") if spec is not None else "home"
    text = i18n.prose(page, key, **values)
    if presenting():
        with st.expander(_("About this page"), icon=":material/notes:"):
            st.markdown(text)
    else:
        st.markdown(text)
