"""Caching: public results shared by every session, private ones (computed from a user's upload) kept in that
session only."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import streamlit as st

from dropviz import claims
from dropviz.data.images import WorkingImage

# -- computation ------------------------------------------------------------------------------------

# A WorkingImage is keyed by its pixels' digest (hashing the dataclass would pickle every pixel).
_cache = st.cache_data(max_entries=128, show_spinner=False, hash_funcs={WorkingImage: lambda im: im.digest})
_PRIVATE = "_dropviz_private_results"  # session_state key of the per-session cache
PRIVATE_ENTRIES = 24  # results kept per session for its own uploaded image


def _is_private(kwargs: dict[str, Any]) -> bool:
    return any(isinstance(v, WorkingImage) and v.private for v in kwargs.values())


def _session_cached(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """A small LRU cache in this session's own state: for results computed from a user's upload."""
    store: OrderedDict = st.session_state.setdefault(_PRIVATE, OrderedDict())
    key = (fn.__module__, fn.__qualname__,
           tuple(sorted((k, v.digest if isinstance(v, WorkingImage) else v) for k, v in kwargs.items())))
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = store[key] = fn(**kwargs)
    while len(store) > PRIVATE_ENTRIES:
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


def _run_claim(claim_id: str, params: tuple[tuple[str, Any], ...]) -> claims.ClaimResult:
    return claims.run(claim_id, **dict(params))


_claim = _cache(_run_claim)  # public parameters: one measurement shared by every session


