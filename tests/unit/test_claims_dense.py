"""Tests of dropviz.claims.dense."""

from __future__ import annotations

import pytest

from dropviz import claims, masks


@pytest.mark.parametrize("alpha,beta", [(0.2, -3.0), (1.0, 0.0), (4.0, 2.0), (0.0, 0.0), (-1.0, 0.0)])
def test_standout_claims_across_alpha_beta(alpha, beta):
    for cid in ("standout.keep_prob_increases_with_drive", "standout.test_time_is_expectation"):
        r = claims.run(cid, quick=True, alpha=alpha, beta=beta, seed=5)
        expected = ("N/A",) if cid.endswith("drive") and alpha <= 0 else ("PASS",)
        assert r.status in expected, r.line()


def test_claim_fails_when_gaussian_std_is_the_popular_error(monkeypatch, fresh_caches, mutate):
    mutate(masks, "gaussian_std", lambda p: p * (1 - p))
    assert claims.run("gaussian.std_matches", quick=True).status == "FAIL"


def test_claim_fails_without_inverted_scaling(monkeypatch, fresh_caches, mutate):
    real = masks.bernoulli_mask
    mutate(masks, "bernoulli_mask", lambda *a, **k: real(*a, **{**k, "inverted": False}))
    assert claims.run("standard.expectation_preserved", quick=True).status == "FAIL"
    assert claims.run("standard.keep_rate", quick=True).status == "PASS"  # the rate itself is unchanged


def test_claim_fails_if_standout_drops_strong_units(monkeypatch, fresh_caches, mutate):
    real = masks.standout_mask
    mutate(masks, "standout_mask", lambda z, a=1.0, b=0.0, **k: real(-z, a, b, **k))
    assert claims.run("standout.keep_prob_increases_with_drive", quick=True).status == "FAIL"
