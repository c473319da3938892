"""Tests of dropviz.claims.training: every claim PASSes at its defaults in quick mode and FAILs under each of the
mutations it declares (applied everywhere the target is bound, by the ``mutate`` fixture)."""

from __future__ import annotations

import importlib

import pytest

from dropviz import claims

PREFIXES = ("training.", "backprop.", "minibatch.", "placement.", "frameworks.")  # this section's claims
IDS = tuple(c for c in claims.CLAIMS if c.startswith(PREFIXES))
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
