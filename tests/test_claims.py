"""Claims: all hold at their defaults and across parameters, the CLI keeps its line format, and a claim
does fail when the math behind it is broken (so none of them can pass vacuously)."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import pytest
import torch

from dropviz import claims, conv, masks
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


def test_required_claims_registered():
    assert REQUIRED <= set(claims.CLAIMS)


@pytest.mark.parametrize("claim_id", list(claims.CLAIMS))
def test_claim_passes_at_defaults(claim_id):
    r = claims.run(claim_id, quick=True)
    assert r.status == "PASS", r.line()
    assert math.isfinite(r.value)


P_CLAIMS = [c for c in claims.CLAIMS if not c.startswith("standout")]


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 0.7, 0.9, 1.0])
@pytest.mark.parametrize("claim_id", P_CLAIMS)
def test_p_claims_hold_or_say_why_not(claim_id, p):
    r = claims.run(claim_id, quick=True, p=p, seed=11)
    assert r.status in ("PASS", "N/A"), r.line()
    if r.status == "N/A":
        assert r.criterion  # says why


@pytest.mark.parametrize("alpha,beta", [(0.2, -3.0), (1.0, 0.0), (4.0, 2.0), (0.0, 0.0), (-1.0, 0.0)])
def test_standout_claims_across_alpha_beta(alpha, beta):
    for cid in ("standout.keep_prob_increases_with_drive", "standout.test_time_is_expectation"):
        r = claims.run(cid, quick=True, alpha=alpha, beta=beta, seed=5)
        expected = ("N/A",) if cid.endswith("drive") and alpha <= 0 else ("PASS",)
        assert r.status in expected, r.line()


def test_claim_fails_when_gaussian_std_is_the_popular_error(monkeypatch, fresh_caches):
    monkeypatch.setattr(masks, "gaussian_std", lambda p: p * (1 - p))
    assert claims.run("gaussian.std_matches", quick=True).status == "FAIL"


def test_claim_fails_without_inverted_scaling(monkeypatch, fresh_caches):
    real = masks.bernoulli_mask
    monkeypatch.setattr(masks, "bernoulli_mask", lambda *a, **k: real(*a, **{**k, "inverted": False}))
    assert claims.run("standard.expectation_preserved", quick=True).status == "FAIL"
    assert claims.run("standard.keep_rate", quick=True).status == "PASS"  # the rate itself is unchanged


def test_claim_fails_if_standout_drops_strong_units(monkeypatch, fresh_caches):
    real = masks.standout_mask
    monkeypatch.setattr(masks, "standout_mask", lambda z, a=1.0, b=0.0, **k: real(-z, a, b, **k))
    assert claims.run("standout.keep_prob_increases_with_drive", quick=True).status == "FAIL"


def test_cutout_claim_fails_with_the_plus_minus_l_bug(monkeypatch):
    monkeypatch.setattr(conv, "hole_extent", lambda length, kind: (2 * length, 2 * length))
    assert claims.run("cutout.region_geometry", quick=True).status == "FAIL"


def test_spatial_claim_fails_for_per_pixel_masks(monkeypatch):
    monkeypatch.setattr(conv, "spatial_mask", conv.pixel_mask)
    assert claims.run("spatial.whole_channels", quick=True).status == "FAIL"


def test_dropblock_claim_fails_if_overlap_is_ignored(monkeypatch):
    monkeypatch.setattr(conv, "dropblock_expected_rate", lambda p, bs, h, w: p)
    assert claims.run("dropblock.actual_rate_below_nominal", quick=True).status == "FAIL"


def test_pwp_claim_fails_with_scaled_max_weights(monkeypatch):
    def scaled_max_weights(p, n, dtype=torch.float64):
        w = torch.zeros(n, dtype=dtype)
        w[-1] = 1 - p
        return w

    monkeypatch.setattr(conv, "pwp_weights", scaled_max_weights)
    assert claims.run("maxpool.pwp_matches_training_expectation", quick=True).status == "FAIL"


def test_maxdrop_claim_fails_if_the_wrong_activation_is_dropped(monkeypatch):
    real = conv.maxdrop_mask
    monkeypatch.setattr(conv, "maxdrop_mask", lambda x, *a, **k: real(torch.roll(x, 1, dims=-1), *a, **k))
    assert claims.run("maxdrop.drops_maxima", quick=True).status == "FAIL"


def test_information_claim_fails_if_nothing_were_lost(monkeypatch):
    """With an oracle inpainter every method is fully recoverable: no method removed more than another."""
    monkeypatch.setattr(conv, "inpaint", lambda x, keep: x)
    assert claims.run("pixel.less_information_removed_than_blocks", quick=True).status == "FAIL"


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
