"""Tests of dropviz.claims.core."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest

from dropviz import claims
from dropviz.claims.__main__ import main as claims_main
from dropviz.claims.core import ClaimResult
from tests.conftest import ROOT

REQUIRED = {
    "standard.keep_rate",
    "standard.expectation_preserved",
    "standard.classic_matches_inverted",
    "gaussian.mean_one",
    "gaussian.std_matches",
    "dropconnect.gaussian_inference_beats_weight_scaling",
    "standout.keep_prob_increases_with_drive",
    "pixel.less_information_removed_than_blocks",
    "spatial.whole_channels",
    "cutout.region_geometry",
    "dropblock.actual_rate_below_nominal",
    "maxpool.pwp_matches_training_expectation",
    "maxdrop.drops_maxima",
}


LINE = re.compile(r"^(?P<id>[a-z0-9_]+\.[a-z0-9_]+) (?P<status>PASS|FAIL) (?P<value>\S+) \((?P<criterion>.+)\)$")


# claims measured at a drop probability p (and a seed) the caller picks; the trained claims of the Beyond-regularization
# pages measure their own configured nets instead
P_CLAIMS = [c for c in claims.CLAIMS if not c.startswith("standout")
            and claims.get(c).accepted({"p": 0.3, "seed": 0}).keys() == {"p", "seed"}]


def test_required_claims_registered():
    assert REQUIRED <= set(claims.CLAIMS)


@pytest.mark.parametrize("claim_id", list(claims.CLAIMS))
def test_claim_passes_at_defaults(claim_id):
    r = claims.run(claim_id, quick=True)
    assert r.status == "PASS", r.line()
    assert math.isfinite(r.value)


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 0.7, 0.9, 1.0])
@pytest.mark.parametrize("claim_id", P_CLAIMS)
def test_p_claims_hold_or_say_why_not(claim_id, p):
    r = claims.run(claim_id, quick=True, p=p, seed=11)
    assert r.status in ("PASS", "N/A"), r.line()
    if r.status == "N/A":
        assert r.criterion  # says why


def test_cli_prints_one_stable_line_per_claim_and_exits_zero():
    out = subprocess.run([sys.executable, "-m", "dropviz.claims", "--quick"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == len(claims.CLAIMS)
    for line in lines:
        m = LINE.match(line)
        assert m, line
        float(m["value"])
    assert {LINE.match(line)["id"] for line in lines} == set(claims.CLAIMS)


def test_cli_exits_non_zero_when_a_claim_fails(monkeypatch, capsys):
    bad = ClaimResult("x.y", "a false statement", False, 1.0, "always fails", True)
    monkeypatch.setattr("dropviz.claims.__main__.run_all", lambda **k: [bad])
    assert claims_main(["--quick"]) == 1
    assert capsys.readouterr().out.strip() == "x.y FAIL 1 (always fails)"


def test_cli_filters_by_prefix_and_rejects_unknown(capsys):
    assert claims_main(["--quick", "gaussian."]) == 0
    assert all(line.startswith("gaussian.") for line in capsys.readouterr().out.strip().splitlines())
    with pytest.raises(SystemExit):
        claims_main(["nonsense."])


def test_every_claim_names_its_measured_value_in_plain_words():
    """A page's panel says what the number is ("fraction of units kept"); the CLI line does not carry it."""
    for c in claims.CLAIMS.values():
        assert c.measures.strip() and c.id not in c.measures, c.id
    r = claims.run("standard.keep_rate", quick=True)
    assert r.measures == "fraction of units kept" and r.measures not in r.line()
