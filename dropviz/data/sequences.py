"""Generated sequence tasks for the recurrent pages (nothing is downloaded)."""

from __future__ import annotations

from typing import NamedTuple

import torch


class RecallBatch(NamedTuple):
    tokens: torch.Tensor  # (T, B) long: distractors, and one symbol at step T-1-lag
    target: torch.Tensor  # (B,) long: which symbol was shown (0 … symbols-1)
    lag: torch.Tensor  # (B,) long: steps from the symbol to the last step, where the answer is read


def recall_task(
    batch: int,
    max_lag: int,
    symbols: int,
    distractors: int,
    *,
    generator: torch.Generator | None = None,
    lags: torch.Tensor | None = None,
) -> RecallBatch:
    """A long-memory task: each sequence of ``max_lag + 1`` tokens holds one *symbol* (ids 0 … symbols-1)
    among random *distractors* (ids symbols … symbols+distractors-1); the model must name the symbol at the
    last step. The symbol sits ``lag`` steps before the end, lag uniform in 1 … max_lag unless ``lags``
    (B,) is given. Seeded through ``generator`` (CPU); nothing is downloaded."""
    if min(batch, max_lag, distractors) < 1 or symbols < 2:
        raise ValueError(
            "recall_task needs batch ≥ 1, max_lag ≥ 1, symbols ≥ 2 and distractors ≥ 1, "
            f"but got {batch}, {max_lag}, {symbols}, {distractors}"
        )
    T = max_lag + 1
    tokens = torch.randint(symbols, symbols + distractors, (T, batch), generator=generator)
    target = torch.randint(0, symbols, (batch,), generator=generator)
    if lags is None:
        lags = torch.randint(1, max_lag + 1, (batch,), generator=generator)
    tokens[T - 1 - lags, torch.arange(batch)] = target
    return RecallBatch(tokens, target, lags)
