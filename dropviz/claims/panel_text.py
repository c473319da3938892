"""The words of the claims panel and its predict-then-reveal questions (drawn by :mod:`dropviz.ui.render`), kept
here so they live in the ``claims`` message catalog beside the claims they frame. English constants marked with
``N_``; the panel translates them with ``_`` when it draws them. ``{placeholders}`` are filled by the panel with
numbers already formatted for the locale (:func:`dropviz.claims.core.number`)."""

from __future__ import annotations

from dropviz.i18n import N_

HEADING = N_("Claims on this page, measured live")
# the verdict next to each claim, by ClaimResult.status
MARK = {"PASS": N_("holds"), "FAIL": N_("does not hold"), "N/A": N_("not applicable")}
# the status word in the details list (the CLI's PASS / FAIL / N/A)
STATUS = {"PASS": N_("PASS"), "FAIL": N_("FAIL"), "N/A": N_("N/A")}
NOT_MEASURED = N_("Not measured here: {criterion}.")
MEASURED_VALUE = N_("Measured value")  # when a claim does not name what it measures
MEASURED_NOW = N_("Measured now: {what} = **{value}**")
DETAILS = N_("Details: claim ids, criteria and tolerances")
SAMPLES_NOTE = N_("Measured on this page with each claim's quick sample sizes (the criterion gives n; the tolerance "
                  "follows from it), so that a slider move stays fast for a whole class; `python -m dropviz.claims` "
                  "measures the full sizes.")
# the claims CSV's columns (the claim id and status stay as the CLI writes them)
COLUMNS = {"claim": N_("claim"), "status": N_("status"), "value": N_("value"), "measures": N_("measures"),
           "statement": N_("statement"), "criterion": N_("criterion")}

PREDICT = N_("**Predict:** {question}")
YOUR_GUESS = N_("Your guess")
LOCK_IN = N_("Lock in my guess, then reveal")
PICK_FIRST = N_("Pick an answer first.")
RIGHT = N_("**Right:** {answer}.")
NOT_QUITE = N_("**Not quite:** you said {guess}; the measurement says **{answer}**.")
CLOSE_ENOUGH = N_(":green[**Close enough:**] you guessed {guess}, measured {value}: off by {off} (a guess within "
                  "{tolerance} counts as right).")
OFF = N_(":red[**Off:**] you guessed {guess}, measured {value}: off by {off} (a guess within {tolerance} counts as "
         "right).")
ASK_AGAIN = N_("Ask again")
