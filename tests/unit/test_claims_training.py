"""Tests of dropviz.claims.training: every claim PASSes at its defaults in quick mode and FAILs under each of the
mutations it declares (applied everywhere the target is bound, by the ``mutate`` fixture)."""

from __future__ import annotations

import importlib

import pytest

from dropviz import claims

PREFIXES = ("training.", "backprop.", "minibatch.", "placement.", "frameworks.")  # this section's claims
IDS = tuple(c for c in claims.CLAIMS if c.startswith(PREFIXES))
BACKPROP = ("backprop.same_mask_forward_backward", "backprop.minibatch_update_nonzero")
CASES = [(cid, m) for cid in IDS for m in claims.get(cid).mutations]


@pytest.mark.parametrize("cid", IDS)
def test_claim_passes_and_declares_a_mutation(cid):
    assert claims.get(cid).mutations, f"{cid} declares no mutation"
    r = claims.run(cid, quick=True)
    assert r.status == "PASS", r.line()


@pytest.mark.parametrize(("cid", "mutation"), CASES, ids=[f"{c}-{m.name}" for c, m in CASES])
def test_claim_fails_under_its_mutations(cid, mutation, mutate):
    module_name, name = mutation.target.split(":")
    module = importlib.import_module(module_name)
    mutate(module, name, mutation.replacement(getattr(module, name)))
    r = claims.run(cid, quick=True)
    assert r.status == "FAIL", r.line()
@pytest.mark.parametrize("p", [0.0, 1.0])
def test_backprop_claims_say_why_at_the_ends(p):
    for cid in BACKPROP:
        assert claims.run(cid, quick=True, p=p).status == "N/A"


@pytest.mark.parametrize("p", [0.05, 0.7, 0.95])
def test_backprop_claims_hold_across_p(p):
    for cid in BACKPROP:
        assert claims.run(cid, quick=True, p=p, seed=3).status == "PASS"
