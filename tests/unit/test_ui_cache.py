"""dropviz.ui.cache's per-session store (results from a user's upload): it lives in the session's own state,
and is bounded in entries and in bytes, so a session cannot hold the server's memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dropviz.ui import cache


@dataclass(frozen=True)
class Result:
    a: np.ndarray
    parts: tuple


def test_nbytes_counts_arrays_inside_results():
    r = Result(np.zeros((10, 10)), (np.zeros(5, dtype=np.uint8), "text", 3))
    assert cache.nbytes(r) == 800 + 5
    assert cache.nbytes([r, {"k": np.zeros(2)}]) == 805 + 16


def test_session_store_is_the_sessions_own_and_bounded_in_bytes(monkeypatch):
    state: dict = {}
    monkeypatch.setattr(cache.st, "session_state", state)
    big = cache.PRIVATE_BYTES // 3 + 1  # three of them do not fit

    def compute(i: int) -> Result:
        return Result(np.zeros(big, dtype=np.uint8), ())

    for i in range(5):
        cache._session_cached(compute, {"i": i})
    store = state[cache._PRIVATE]
    assert len(store) == 2  # the oldest dropped first
    assert sum(n for _, n in store.values()) <= cache.PRIVATE_BYTES
    assert [k[2] for k in store] == [(("i", 3),), (("i", 4),)]


def test_session_store_is_bounded_in_entries(monkeypatch):
    state: dict = {}
    monkeypatch.setattr(cache.st, "session_state", state)
    for i in range(cache.PRIVATE_ENTRIES + 5):
        assert cache._session_cached(lambda i: i * 2, {"i": i}) == i * 2
    assert len(state[cache._PRIVATE]) == cache.PRIVATE_ENTRIES
