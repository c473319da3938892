"""One experiment on a page: its result if trained, else the default trained automatically (once per server) and
any other setting on a button press, through the job queue (:func:`dropviz.ui.training.train_job`)."""

from __future__ import annotations

from typing import Any, Callable, Hashable

import streamlit as st

from dropviz.ui.training import in_progress, queue, train_job, trained


def trained_or_button(fn: Callable[..., Any], config: Hashable, default: Hashable, *, what: str,
                      key: str, label: str | None = None) -> Any | None:
    """``fn(config)``'s result, or None while it waits for a press or trains (its progress panel is shown).
    ``label`` names the button (default "Train: <what>")."""
    result = trained(config)
    if result is not None:
        return result
    tried = queue().status(config) is not None
    idle = not in_progress(config)
    pressed = idle and (config != default or tried) and st.button(
        label or f"Train: {what}", type="primary", icon=":material/model_training:", key=key)
    result = train_job(fn, config, start=pressed, auto=config == default, what=what)
    if result is None and idle and not tried and config != default:
        st.info(f"These settings have not been trained yet. Press **{label or 'Train'}** (the default settings are "
                "trained once and shown to everyone).", icon=":material/info:")
    return result
