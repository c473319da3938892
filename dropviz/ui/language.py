"""The page's language (issue 13): ``?lang=es`` in a link, else the browser's language when it is one of
:data:`dropviz.i18n.LANGUAGES`, else English; a selector in the sidebar bound to the URL. Long prose comes from
``dropviz/i18n/prose/<lang>/<page>.md`` through :func:`prose`, folded into an expander in presenter mode."""

from __future__ import annotations

import streamlit as st

from dropviz import i18n
from dropviz.i18n import _

LANG = "lang"  # the URL parameter and the selector's key


def _browser_language() -> str | None:
    try:
        return i18n.parse_language(st.context.locale)
    except Exception:  # no browser (AppTest) or an unparsable locale: English
        return None


def choose_language() -> str:
    """Set this run's language (before anything is drawn; app.py calls it first) and return it."""
    raw = st.query_params.get_all(LANG)
    state = st.session_state.get(LANG)
    if state in i18n.LANGUAGES:
        lang = state
    elif len(raw) == 1 and raw[0] in i18n.LANGUAGES:
        lang = raw[0]
    else:
        lang = _browser_language() or i18n.DEFAULT
    i18n.set_language(lang)
    return lang


def bad_language_link() -> None:
    """Report a ``?lang=`` the app cannot use (the selector then shows the language in use)."""
    raw = st.query_params.get_all(LANG)
    if raw and not (len(raw) == 1 and raw[0] in i18n.LANGUAGES):
        shown = "&".join(f"{LANG}={v}" for v in raw)[:80]
        st.warning(_("Ignored the link's `{shown}`: `lang` must be one of {codes}.").format(
            shown=shown, codes=", ".join(f"`{c}`" for c in i18n.LANGUAGES)), icon=":material/link_off:")


def language_selector() -> None:
    """The sidebar's language choice, bound to the URL (a teacher's link opens in the class's language)."""
    lang = i18n.language()
    codes = list(i18n.LANGUAGES)
    if st.session_state.get(LANG) not in i18n.LANGUAGES:
        st.session_state.pop(LANG, None)
    st.selectbox("Language · Idioma · 语言 · Limba", codes, index=codes.index(lang), key=LANG,
                 format_func=i18n.LANGUAGES.__getitem__, bind="query-params")


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
