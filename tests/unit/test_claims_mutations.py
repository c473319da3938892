"""Mutation tests of dropviz.claims: every registered claim declares broken implementations (its
``mutations``), and here each one is applied in quick mode. The claim must PASS on the real code and FAIL
under every one of its mutations; a claim that declares none fails the suite (it could be decoration)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from dropviz import claims, methods
from dropviz.claims.core import Mutation

CASES = [(cid, m) for cid, c in claims.CLAIMS.items() for m in c.mutations]


@pytest.fixture
def clean_caches():
    """Patched math must not meet results memoised before the patch (or leak them after it)."""
    from dropviz.claims import training as training_claims
    from dropviz.demos import conv as conv_demo
    from dropviz.demos import dense as dense_demo
    from dropviz.train import bayesian as bayesian_train

    def clear():
        dense_demo.clear_caches()
        bayesian_train.clear_caches()  # trainings shared by the claims of a run
        training_claims.clear_caches()
        for fn in vars(conv_demo).values():
            if hasattr(fn, "cache_clear"):
                fn.cache_clear()

    clear()
    yield clear
    clear()


def apply_mutation(m: Mutation, mutate, monkeypatch) -> None:
    """Module functions go through the ``mutate`` fixture (every binding of them, registry records too);
    ``Class.method`` targets are patched on the class (kept a staticmethod if it was one)."""
    module = importlib.import_module(m.module)
    owner_name, _, attr = m.attribute.rpartition(".")
    if not owner_name:
        mutate(module, attr, m.replacement(getattr(module, attr)))
        return
    owner = getattr(module, owner_name)
    broken = m.replacement(getattr(owner, attr))
    if isinstance(inspect.getattr_static(owner, attr), staticmethod):
        broken = staticmethod(broken)
    monkeypatch.setattr(owner, attr, broken)


@pytest.mark.parametrize("claim_id", list(claims.CLAIMS))
def test_every_claim_declares_a_mutation(claim_id):
    c = claims.get(claim_id)
    assert c.mutations, f"{claim_id} declares no mutation of the implementation that would make it FAIL"
    for m in c.mutations:
        module = importlib.import_module(m.module)
        obj = module
        for part in m.attribute.split("."):
            obj = getattr(obj, part)  # the target exists
        assert callable(obj) and callable(m.replacement)
        assert not m.module.startswith("dropviz.claims"), f"{m.name}: mutates the claim's own code"


@pytest.mark.parametrize("claim_id,mutation", CASES, ids=[f"{cid}[{m.name}]" for cid, m in CASES])
def test_claim_fails_under_its_mutation(claim_id, mutation, mutate, monkeypatch, clean_caches):
    assert claims.run(claim_id, quick=True).status == "PASS"
    apply_mutation(mutation, mutate, monkeypatch)
    clean_caches()  # nothing memoised by the unmutated run may answer for the mutated one
    r = claims.run(claim_id, quick=True)
    assert r.status == "FAIL", f"{mutation.name} ({mutation.target}) did not break {claim_id}: {r.line()}"


@pytest.mark.parametrize("method", [m.id for m in methods.METHODS if m.family in ("dense", "conv")])
def test_every_dense_and_conv_method_has_a_keep_drop_swap_mutation(method):
    """Keeping with probability p instead of 1 − p fails at least one claim of every dense and conv method at
    its default parameters (test_claim_fails_under_its_mutation runs each of them)."""
    assert any(method in m.swaps for _, m in CASES), f"no claim catches a keep/drop swap in {method}"
