"""Tests of the training section's claims beyond tests/unit/test_claims_mutations.py (which checks that every claim
PASSes at its defaults and FAILs under each of its mutations): the backprop claims at the ends of p and across p,
and the overfitting claim's range of p."""

from __future__ import annotations

import pytest

from dropviz import claims

PREFIXES = ("training.", "backprop.", "minibatch.", "placement.", "frameworks.")  # this section's claims
IDS = tuple(c for c in claims.CLAIMS if c.startswith(PREFIXES))
BACKPROP = ("backprop.same_mask_forward_backward", "backprop.minibatch_update_nonzero")
CASES = [(cid, m) for cid in IDS for m in claims.get(cid).mutations]


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_backprop_claims_say_why_at_the_ends(p):
    for cid in BACKPROP:
        assert claims.run(cid, quick=True, p=p).status == "N/A"


@pytest.mark.parametrize("p", [0.05, 0.7, 0.95])
def test_backprop_claims_hold_across_p(p):
    for cid in BACKPROP:
        assert claims.run(cid, quick=True, p=p, seed=3).status == "PASS"


@pytest.mark.parametrize("p", [0.3, 0.7])
def test_the_overfitting_claim_says_it_is_about_the_classic_rate(p):
    r = claims.run("training.dropout_reduces_overfitting", quick=True, p=p)
    assert r.status == "N/A" and "0.4–0.6" in r.criterion
