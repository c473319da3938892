"""One experiment on a page: its result if trained, else the default trained automatically (once per server) and
any other setting on a button press, through the job queue (:func:`dropviz.ui.training.train_job`)."""

from __future__ import annotations

from typing import Any, Callable, Hashable

import streamlit as st

from dropviz.i18n import _
from dropviz.ui.training import in_progress, queue, train_job, trained


def trained_or_button(fn: Callable[..., Any], config: Hashable, default: Hashable, *, what: str,
                      key: str | None = None, label: str | None = None, caption: str | None = None) -> Any | None:
    """``fn(config)``'s result, or None while it waits for a press or trains (its progress panel is shown).
    ``default`` is trained without a press, once per server (pass ``None`` for none). ``label`` names the button
    (default "Train: <what>"); ``what`` and ``label`` are shown translated. ``caption`` (what a training costs) is
    shown above the button while the result is not in."""
    what = _(what)
    label = _(label) if label else _("Train: {what}").format(what=what)
    result = trained(config)
    if result is not None:
        return result
    if caption:
        st.caption(caption)
    tried = queue().status(config) is not None  # trained before and dropped, stopped, or failed
    idle = not in_progress(config)
    slot = st.empty()
    pressed = idle and (config != default or tried) and slot.button(
        label, type="primary", icon=":material/model_training:", key=key)
    result = train_job(fn, config, start=pressed, auto=config == default, what=what)
    if pressed:
        slot.empty()  # the training's panel (progress, Stop) takes over: no second press, no stale invitation
    elif result is None and idle and not tried and config != default:
        st.info(_("These settings have not been trained yet. Press **{label}** (the default settings are trained once "
                  "and shown to everyone).").format(label=label), icon=":material/info:")
    return result
