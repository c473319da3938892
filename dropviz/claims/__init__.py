"""Claims, proven live: ``run("standard.keep_rate", p=0.3, seed=1)`` measures the statement now.

``python -m dropviz.claims`` prints one line per claim, ``<id> PASS|FAIL <measured value> (<criterion>)``,
and exits non-zero if any fails. Each family registers its claims in its own module.
"""

from __future__ import annotations

from dropviz.claims import backprop, bayesian, conv, dense, frameworks, minibatch, placement, recurrent, training  # noqa: F401  (register each family's claims)
from dropviz.claims.core import CLAIMS, Claim, ClaimResult, Measurement


def get(claim_id: str) -> Claim:
    try:
        return CLAIMS[claim_id]
    except KeyError:
        raise KeyError(f"unknown claim {claim_id!r}; known: {', '.join(CLAIMS)}") from None


def run(claim_id: str, *, quick: bool = False, **params) -> ClaimResult:
    return get(claim_id).run(quick=quick, **params)


def run_all(*, quick: bool = False, prefixes: tuple[str, ...] = ()) -> list[ClaimResult]:
    """Every registered claim at its default parameters (optionally only ids starting with a prefix)."""
    ids = [c for c in CLAIMS if not prefixes or c.startswith(prefixes)]
    return [run(c, quick=quick) for c in ids]


__all__ = ["CLAIMS", "Claim", "ClaimResult", "Measurement", "get", "run", "run_all"]
