"""URL-bound widgets. Widgets that define a view are bound to query parameters (``bind="query-params"``, the key
is the parameter's name), so a shared link such as ``/standard?p=0.3&seed=7`` opens exactly that view.

One rule for a bad link value, in :func:`_bad_link`: Streamlit ignores a value it cannot use; we say so on the
page (what was ignored, what the parameter must be) and the widget shows the value in use (its default).
URL-bound keys are the link's parameter names, so they stay short and stable; other widget keys are namespaced
per page with :func:`page_key`.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import streamlit as st

from dropviz.i18n import N_, _, fmt

# p_slider's default label and help, in English (translated where drawn)
P_LABEL = N_("Drop probability p")
P_HELP = N_("DropViz's p is always the DROP probability (PyTorch/Keras convention).")

# -- URL parameters ---------------------------------------------------------------------------------


def _parse(raw: str, kind: type, lo: float, hi: float) -> Any:
    value = kind(float(raw)) if kind is int and float(raw).is_integer() else kind(raw)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError
    if not lo <= value <= hi:
        raise ValueError
    return value


def _bad_link(key: str, requirement: str, ok: Callable[[str], bool]) -> bool:
    """If the link gives ``key`` a value that ``ok`` rejects (or gives it twice), say so on the page.
    ``requirement``: the whole translated sentence saying what ``key`` must be (it names the key itself)."""
    values = st.query_params.get_all(key)
    if not values or (len(values) == 1 and ok(values[0])):
        return False
    shown = "&".join(f"{key}={v}" for v in values)[:80]
    st.warning(_("Ignored the link's `{shown}`: {requirement}").format(shown=shown, requirement=requirement),
               icon=":material/link_off:")
    return True


def _one_of(key: str, options: tuple[str, ...]) -> str:
    return _("`{key}` must be one of {options}. Showing the default instead.").format(
        key=key, options=", ".join(options))


def _parses(raw: str, kind: type, lo: float, hi: float) -> bool:
    try:
        _parse(raw, kind, lo, hi)
    except (ValueError, OverflowError):
        return False
    return True


# -- lesson links: controls a link hides (``?hide=p,seed``) ----------------------------------------------

HIDE = "hide"  # the link parameter naming the controls students do not see
_SEEN = "_dropviz_controls"  # session key: {url key: (label, value)} of the URL-bound controls this run drew
_SHOWN = "_dropviz_shown"  # session key: {url key: the value as displayed} (GIF captions)


def hidden_keys() -> frozenset[str]:
    """The controls the link hides: ``?hide=p,seed`` (one comma-separated value, or the parameter repeated)."""
    return frozenset(n.strip() for raw in st.query_params.get_all(HIDE) for n in raw.split(",") if n.strip())


def seen_controls() -> dict[str, tuple[str, Any]]:
    """The URL-bound controls drawn in this run, in page order: url key -> (label, value in use). app.py
    clears it before a page runs (:func:`forget_controls`) and reads it after (the share panel, ``hide``)."""
    return st.session_state.setdefault(_SEEN, {})


def forget_controls() -> None:
    st.session_state[_SEEN] = {}
    st.session_state[_SHOWN] = {}


@contextmanager
def _control(key: str, label: str) -> Iterator[bool]:
    """Every URL-bound control is drawn inside this: it registers the control for the share panel and, when the
    link hides it, draws it disabled (its value fixed at the link's) in a container the page's CSS hides
    (``.st-key-dvhidden_<key>``; see :mod:`dropviz.ui.classroom`). Yields whether the control is hidden."""
    seen_controls()[key] = (label, None)
    if key in hidden_keys():
        with st.container(key=f"dvhidden_{key}"):
            yield True
    else:
        yield False


def _record(key: str, value: Any, shown: str | None = None) -> Any:
    """Register the value in use; ``shown`` is how the page displays it (a translated option), for captions."""
    label = seen_controls().get(key, (key, None))[0]
    seen_controls()[key] = (label, value)
    shown_values()[key] = shown if shown is not None else value
    return value


def shown_values() -> dict[str, Any]:
    """url key -> the value as the reader sees it (a translated option's label; else the value itself)."""
    return st.session_state.setdefault(_SHOWN, {})


def warn_bad_params(spec: dict[str, tuple[type, float, float]]) -> None:
    """Show a clear message for each URL parameter in ``spec`` (name -> (type, min, max)) that does not
    parse or is out of range; the bound widget then falls back to its default."""
    for name, (kind, lo, hi) in spec.items():
        digits = 0 if kind is int else 6
        requirement = (_("`{key}` must be a whole number from {lo} to {hi}; the control below shows the value in "
                         "use.") if kind is int else
                       _("`{key}` must be a number from {lo} to {hi}; the control below shows the value in use."))
        _bad_link(name, requirement.format(key=name, lo=fmt(lo, digits), hi=fmt(hi, digits)),
                  lambda raw, kind=kind, lo=lo, hi=hi: _parses(raw, kind, lo, hi))


def p_slider(
    label: str | None = None,
    *,
    key: str = "p",
    default: float = 0.5,
    lo: float = 0.0,
    hi: float = 1.0,
    step: float = 0.05,
    help: str | None = P_HELP,
) -> float:
    """A probability slider bound to the URL (``?p=0.3``); ``label`` and ``help`` are shown translated (a page
    passes them in English marked with ``N_``, or already translated), the defaults are :data:`P_LABEL` and
    :data:`P_HELP`."""
    label = _(label or P_LABEL)
    help = _(help) if help else help
    warn_bad_params({key: (float, lo, hi)})
    with _control(key, label) as hide:
        value = float(st.slider(label, lo, hi, default, step, key=key, bind="query-params", help=help,
                                disabled=hide))
    return _record(key, value)


def bound_select(label: str, options: tuple[str, ...], default: str, *, key: str, help: str | None = None,
                 horizontal: bool = True, format_func: Callable[[str], str] | None = None) -> str:
    """A choice that defines the view, bound to the URL under ``key`` (``?shape=circle``). An unknown value
    in the link is reported and replaced by the default. ``format_func`` shows each option in the reader's
    language while the URL keeps the option itself (see :func:`_url_radio`)."""
    label, help = _(label), (_(help) if help else help)
    _bad_link(key, _one_of(key, options), options.__contains__)
    with _control(key, label) as hide:
        if format_func is None:
            value = st.radio(label, options, index=options.index(default), key=key, bind="query-params",
                             help=help, horizontal=horizontal, disabled=hide)
        else:
            value = _url_radio(label, options, default, key=key, help=help, horizontal=horizontal, disabled=hide,
                               format_func=format_func)
    value = value if value in options else default
    return _record(key, value, format_func(value) if format_func else None)


def _url_radio(label: str, options: tuple[str, ...], default: str, *, key: str, help: str | None,
               horizontal: bool, disabled: bool, format_func: Callable[[str], str]) -> str:
    """A radio whose options are displayed translated but written into the URL as themselves. Streamlit writes a
    bound widget's displayed *label* into the URL (``?shape=círculo`` would not read back in another language),
    so this one is not bound: the URL is read on every run (the source of truth, as for a bound widget) and a
    change is written back by its callback; the default leaves the URL, as Streamlit does for bound widgets."""
    state = key  # not bound: the widget key may be the URL key (tests and the share panel read it)
    raw = st.query_params.get(key)
    st.session_state[state] = raw if raw in options else default

    def write() -> None:
        picked = st.session_state.get(state)
        if picked == default:
            st.query_params.pop(key, None)
        elif picked in options:
            st.query_params[key] = picked

    return st.radio(label, options, key=state, help=help, horizontal=horizontal, disabled=disabled,
                    format_func=format_func, on_change=write)


def bound_slider(label: str, lo, hi, default, step, *, key: str, help: str | None = None):
    """Any numeric slider that defines the view, bound to the URL under ``key``."""
    label, help = _(label), (_(help) if help else help)
    warn_bad_params({key: (type(default), lo, hi)})
    with _control(key, label) as hide:
        value = st.slider(label, lo, hi, default, step, key=key, bind="query-params", help=help, disabled=hide)
    return _record(key, value)


def choice(label: str, options: tuple[str, ...], default: str, *, key: str, help: str | None = None,
           aliases: dict[str, str] | None = None, on_change: Callable[[], None] | None = None) -> str:
    """A segmented control over ``options`` bound to the URL (``?method=rnndrop``); an unknown value in the
    link gets a clear message and the default. The options are their own labels (Streamlit writes a bound
    widget's *label* into the URL, so ids make the shareable links). ``aliases`` maps old values still found in
    shared links to today's (``?method=recurrent`` -> ``semeniuta``). ``on_change`` runs before the rerun a pick
    starts (e.g. to move other controls to the new choice's defaults)."""
    label, help = _(label), (_(help) if help else help)
    old = st.query_params.get(key)
    if aliases and old in aliases and aliases[old] in options:
        st.query_params[key] = aliases[old]
    if _bad_link(key, _one_of(key, options), options.__contains__):
        del st.query_params[key]
    with _control(key, label) as hide:
        picked = st.segmented_control(label, options, default=default, required=True, key=key,
                                      bind="query-params", help=help, disabled=hide, on_change=on_change)
    return _record(key, picked if picked in options else default)


def choices(label: str, options: tuple[str, ...], default: tuple[str, ...], *, key: str,
            help: str | None = None, most: int | None = None) -> tuple[str, ...]:
    """Several of ``options`` (pills) bound to the URL (``?methods=none&methods=standard``; the options are their
    own labels, as in :func:`choice`); an unknown value in the link gets a clear message and the default; an empty
    choice gives the default too, and more than ``most`` the first ``most`` (both said on the page)."""
    label, help = _(label), (_(help) if help else help)
    values = st.query_params.get_all(key)
    if any("," in v for v in values):  # a hand-written link (?methods=none,standard): the repeated form it means
        values = [p.strip() for v in values for p in v.split(",") if p.strip()]
        if all(v in options for v in values):  # the widget reads the link as the run began: run again on it
            st.query_params[key] = values
            st.rerun()
    if values and not all(v in options for v in values):
        shown = "&".join(f"{key}={v}" for v in values)[:80]
        st.warning(_("Ignored the link's `{shown}`: {requirement}").format(shown=shown, requirement=_(
            "every value of `{key}` must be one of {options}. Showing the default instead.").format(
                key=key, options=", ".join(options))), icon=":material/link_off:")
        del st.query_params[key]
    with _control(key, label) as hide:
        picked = st.pills(label, options, selection_mode="multi", default=list(default), key=key,
                          bind="query-params", help=help, disabled=hide)
    picked = tuple(o for o in options if o in (picked or ()))
    if not picked:
        st.caption(_("Nothing chosen: showing {default}.").format(default=", ".join(default)))
        return _record(key, default)
    if most is not None and len(picked) > most:  # a cost bound (models per run): say so rather than fail
        st.warning(_("At most {n} at once: using {kept}. Deselect one to choose another.").format(
            n=most, kept=", ".join(picked[:most])), icon=":material/block:")
        picked = picked[:most]
    return _record(key, picked)


def flag(label: str, *, key: str, help: str | None = None, disabled: bool = False) -> bool:
    """A toggle bound to the URL (``?untied=true``); anything but true/false in the link gets a message."""
    label, help = _(label), (_(help) if help else help)
    if _bad_link(key, _("`{key}` must be true or false. Showing the default instead.").format(key=key),
                 lambda v: v.lower() in ("true", "false")):
        del st.query_params[key]
    with _control(key, label) as hide:
        value = bool(st.toggle(label, key=key, bind="query-params", help=help, disabled=disabled or hide))
    return _record(key, value)




def page_key(name: str) -> str:
    """A widget key namespaced by the running page (``images.animate``), for widgets that are not in the URL."""
    from dropviz.ui.nav import current_page

    spec = current_page()
    return f"{spec.url_path}.{name}" if spec is not None else name


def controls(*widgets: Callable[[], Any], widths: list[float] | None = None) -> list[Any]:
    """One row of controls, side by side: each argument draws one widget and returns its value (e.g.
    ``ui.p_slider`` or ``lambda: ui.bound_slider(...)``). Returns the values in order."""
    values = []
    for col, widget in zip(st.columns(widths or len(widgets)), widgets, strict=True):
        with col:
            values.append(widget())
    return values
