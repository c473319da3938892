"""Caching: public results shared by every session, private ones (computed from a user's upload) kept in that
session only."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import streamlit as st

from dropviz import claims, i18n
from dropviz.data.images import WorkingImage

# -- computation ------------------------------------------------------------------------------------

# A WorkingImage is keyed by its pixels' digest (hashing the dataclass would pickle every pixel).
# Bounded in bytes through the entry count: the largest result (the images page's animation, about 4 MB pickled)
# times MAX_ENTRIES per function stays near 130 MB; a class uses a few slider steps, not every one.
MAX_ENTRIES = 32
MAX_FIGURES = 256  # figures kept across sessions: every p step of every page's default view (ui.prewarm), a few
# hundred kB each (the largest, the images animation, about 3 MB)
MAX_CLAIMS = 1024  # claim results kept (a few hundred bytes each): every claim at every p step
_HASH = {WorkingImage: lambda im: im.digest}
_cache = st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False, hash_funcs=_HASH)
_PRIVATE = "_dropviz_private_results"  # session_state key of the per-session cache
PRIVATE_ENTRIES = 24  # results kept per session for its own uploaded image


def _is_private(kwargs: dict[str, Any]) -> bool:
    return any(isinstance(v, WorkingImage) and v.private for v in kwargs.values())


PRIVATE_BYTES = 48 * 2**20  # and at most this many bytes of arrays: a session's uploads cannot hold the server's RAM


def nbytes(value: Any) -> int:
    """The bytes of the numpy arrays and tensors inside a result (frozen dataclasses, tuples, lists, dicts)."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if hasattr(value, "element_size") and hasattr(value, "nelement"):  # a torch tensor
        return value.element_size() * value.nelement()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values())
    return 0


def _session_cached(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """A small LRU cache in this session's own state: for results computed from a user's upload. It lives and
    dies with the session (Streamlit keeps a closed session's state for its reconnect window, 2 minutes, then
    drops it) and holds at most PRIVATE_ENTRIES results and PRIVATE_BYTES of arrays."""
    store: OrderedDict = st.session_state.setdefault(_PRIVATE, OrderedDict())
    key = (fn.__module__, fn.__qualname__,
           tuple(sorted((k, v.digest if isinstance(v, WorkingImage) else v) for k, v in kwargs.items())))
    if key in store:
        store.move_to_end(key)
        return store[key][0]
    value = fn(**kwargs)
    store[key] = (value, nbytes(value))
    while len(store) > 1 and (len(store) > PRIVATE_ENTRIES or sum(n for _, n in store.values()) > PRIVATE_BYTES):
        store.popitem(last=False)
    return value


def compute(fn: Callable[..., Any], /, **kwargs) -> Any:
    """Call a pure dropviz function through a cache keyed by the function and its arguments.

    Public inputs (sliders, seeds, the bundled cat) go through Streamlit's cross-session cache: their results
    are arrays and numbers anyone could compute, so sharing them is safe. An argument that is a user's
    upload (a private :class:`WorkingImage`) sends the call to this session's own cache instead, so nothing
    computed from it is ever stored where another session could reach it."""
    if _is_private(kwargs):
        return _session_cached(fn, kwargs)
    return _cache(fn)(**kwargs)


PAGE_CLAIMS_QUICK = True  # pages measure claims at the claims' quick sample sizes (see _run_claim)


def figure(builder: Callable[..., Any], fn: Callable[..., Any], /, *extra: Any, **kwargs) -> Any:
    """``builder(compute(fn, **kwargs), *extra)``: a page's figure, cached across sessions by the same arguments.

    Building a Plotly figure often costs more than the computation behind it (Plotly's object model: the images
    page's animation takes about 0.2 s on a free core, its computation 0.04 s; 1.7 s the first time in a
    process), and every session at the same slider value draws the same figure. Figures are pure functions of
    public results, so one copy serves every session (Streamlit reads it with ``to_dict``, never changes it).
    A user's upload is never cached here: its figure is drawn anew."""
    if _is_private(kwargs) or any(isinstance(v, WorkingImage) and v.private for v in extra):
        return builder(compute(fn, **kwargs), *extra)
    names = tuple(f"{f.__module__}.{f.__qualname__}" for f in (builder, fn))
    # A figure's titles and legends are in the reader's language: one cached copy per language.
    return _figure(builder, fn, names + (i18n.language(),), extra, tuple(sorted(kwargs.items())))


@st.cache_resource(max_entries=MAX_FIGURES, show_spinner=False, hash_funcs=_HASH)
def _figure(_builder: Callable[..., Any], _fn: Callable[..., Any], names: tuple[str, str], extra: tuple,
            items: tuple) -> Any:
    """Keyed by ``names`` (the functions' qualified names; Streamlit does not hash functions), extra, items."""
    return _builder(compute(_fn, **dict(items)), *extra)


def _run_claim(claim_id: str, params: tuple[tuple[str, Any], ...]) -> claims.ClaimResult:
    """A claim measured for a page. Every slider step is a new measurement, and a class moves sliders together:
    at the full sample sizes (millions of draws; seconds per claim) a page waited on its claims. Pages use the
    quick sizes (each criterion states its n; tolerances are derived from n, so a claim is as valid, only less
    precise); ``python -m dropviz.claims`` measures the full ones."""
    return claims.run(claim_id, quick=PAGE_CLAIMS_QUICK, **dict(params))


# public parameters: one measurement shared by every session
_claim = st.cache_data(max_entries=MAX_CLAIMS, show_spinner=False, hash_funcs=_HASH)(_run_claim)


