"""Tests of dropviz.claims.recurrent."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dropviz import claims, layers, masks, train
from dropviz.claims import recurrent as rnn_claims

IDS = ["rnn.per_sequence_masks_constant", "rnn.no_dropout_matches_nn_lstm", "rnn.naive_dropout_forgets"]


def _experiment(naive: float, others: float, p: float = 0.5) -> train.Experiment:
    cfg = train.ExperimentConfig(p=p)
    hist = tuple(
        train.History(r, np.zeros(3), np.arange(1, cfg.max_lag + 1),
                      np.full(cfg.max_lag, naive if r.method == "naive" else others), 0.0)
        for r in cfg.runs()
    )
    return train.Experiment(cfg, hist)


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


def test_forgets_margin_and_applicability():
    assert rnn_claims.forgets(_experiment(0.3, 1.0)).passed
    assert not rnn_claims.forgets(_experiment(0.9, 1.0)).passed  # naive remembers: the claim fails
    assert not rnn_claims.forgets(_experiment(0.2, 0.3)).applicable  # nothing learned: nothing to lose
    assert not rnn_claims.forgets(_experiment(0.3, 1.0, p=0.05)).applicable  # too few drops to erase
    assert not rnn_claims.forgets(_experiment(0.3, 1.0, p=0.0)).applicable


def test_forgets_claim_fails_if_naive_masks_were_reused(monkeypatch, mutate):
    """With naive's cell mask drawn once per sequence (i.e. RNNDrop), nothing forgets and the claim fails."""
    mutate(masks, "naive_schedule", masks.rnndrop_schedule)
    r = claims.run("rnn.naive_dropout_forgets", quick=True)
    assert r.status == "FAIL", r.line()


@pytest.mark.parametrize("p", [0.0, 0.05, 1.0])
def test_forgets_claim_says_why_without_training(p):
    r = claims.run("rnn.naive_dropout_forgets", quick=True, p=p)
    assert r.status == "N/A" and r.criterion


def test_longest_lags_window():
    assert list(rnn_claims.longest_lags(30)) == [26, 27, 28, 29, 30]
    assert list(rnn_claims.longest_lags(4)) == [4]
