"""Tests of dropviz.claims.recurrent."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dropviz import claims, layers, masks, train
from dropviz.claims import recurrent as rnn_claims

IDS = ["rnn.per_sequence_masks_constant", "rnn.no_dropout_matches_nn_lstm", "rnn.naive_dropout_forgets"]


def _curve(short: float, long: float, max_lag: int) -> np.ndarray:
    """Accuracy per lag: ``short`` at lags 1–3, falling linearly to ``long`` at the longest lag."""
    return np.interp(np.arange(1, max_lag + 1), [1, 3, max_lag], [short, short, long])


def _experiment(naive: tuple[float, float], others: float, p: float = 0.25, baseline: float = 1.0,
                naive_test: float | None = None) -> train.Experiment:
    """A fake trained experiment: naive's accuracy with its masks on goes from naive[0] (short lags) to naive[1]."""
    cfg = train.ExperimentConfig(p=p)
    hist = []
    for r in cfg.runs():
        if r.method == "naive":
            masked = _curve(*naive, cfg.max_lag)
            clean = masked if naive_test is None else np.full(cfg.max_lag, naive_test)
        else:
            clean = masked = np.full(cfg.max_lag, baseline if r.method == "none" else others)
        hist.append(train.History(r, np.zeros(3), np.arange(1, cfg.max_lag + 1), clean, 0.0, masked))
    return train.Experiment(cfg, tuple(hist))


def test_rnn_claims_registered_and_listed_by_the_cli_prefix():
    assert set(IDS) <= set(claims.CLAIMS)


def test_structural_claims_hold_at_page_parameters():
    for cid in IDS[:2]:
        r = claims.run(cid, quick=True, p=0.3, seed=4, steps=12, hidden=5)
        assert r.status == "PASS", r.line()


def test_per_sequence_claim_fails_if_rnndrop_redraws_every_step(monkeypatch, mutate):
    mutate(masks, "per_sequence_mask", masks.per_step_mask)
    assert claims.run("rnn.per_sequence_masks_constant", quick=True).status == "FAIL"


def test_per_sequence_claim_fails_if_naive_reuses_its_mask(monkeypatch, mutate):
    mutate(masks, "per_step_mask", masks.per_sequence_mask)
    assert claims.run("rnn.per_sequence_masks_constant", quick=True).status == "FAIL"


def test_oracle_claim_fails_if_the_cell_gets_the_gate_order_wrong(monkeypatch, mutate):
    real = layers.lstm_forward

    def swapped(x, w_ih, w_hh, bias, schedule=None, state=None):  # i and f rows exchanged
        perm = lambda w: torch.cat([w.chunk(4)[1], w.chunk(4)[0], *w.chunk(4)[2:]])  # noqa: E731
        return real(x, perm(w_ih), perm(w_hh), perm(bias), schedule, state)

    mutate(layers, "lstm_forward", swapped)
    assert claims.run("rnn.no_dropout_matches_nn_lstm", quick=True).status == "FAIL"


def test_forgets_needs_a_fall_with_lag_not_just_low_accuracy():
    assert rnn_claims.forgets(_experiment((0.8, 0.4), 1.0)).passed  # learned short lags, forgets long ones
    # low but FLAT accuracy (a network that learned little) is not forgetting: the claim fails
    assert not rnn_claims.forgets(_experiment((0.4, 0.4), 1.0)).passed
    # near chance even at short lags: forgetting cannot be told from failing to learn
    assert not rnn_claims.forgets(_experiment((0.13, 0.12), 1.0)).applicable
    assert not rnn_claims.forgets(_experiment((0.8, 0.4), 1.0, baseline=0.2)).applicable  # nothing learned
    assert not rnn_claims.forgets(_experiment((0.8, 0.4), 1.0, p=0.05)).applicable  # too few drops to erase
    assert not rnn_claims.forgets(_experiment((0.8, 0.4), 1.0, p=0.0)).applicable


def test_forgets_fails_when_another_schedule_falls_as_much():
    e = _experiment((0.8, 0.4), 1.0)
    cfg = e.config
    hist = tuple(h if h.config.method != "zaremba" else
                 train.History(h.config, h.loss, h.lags, h.accuracy, 0.0, _curve(0.9, 0.3, cfg.max_lag))
                 for h in e.histories)
    assert not rnn_claims.forgets(train.Experiment(cfg, hist)).passed


@pytest.mark.parametrize("p", [0.0, 0.05, 1.0])
def test_forgets_claim_says_why_without_training(p):
    r = claims.run("rnn.naive_dropout_forgets", quick=True, p=p)
    assert r.status == "N/A" and r.criterion


def test_longest_lags_window():
    assert list(rnn_claims.longest_lags(30)) == [26, 27, 28, 29, 30]
    assert list(rnn_claims.longest_lags(4)) == [4]
