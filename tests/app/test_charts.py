"""AppTest: the charts show what the page's own computation returns, not merely that a chart exists. Each page is
opened with a shared link; the pure dropviz function is called here with the same parameters, and every array
it returned must be found, value for value, in the chart's traces."""

from __future__ import annotations

import numpy as np
import pytest

from dropviz.data import images
from dropviz.demos import conv as conv_demo
from dropviz.demos import dense as dense_demo
from dropviz.demos import recurrent as rnn_demo
from tests.app.test_app import assert_clean, chart_specs, open_page, values

pytestmark = pytest.mark.app


def _traces(at, i: int | None = None) -> list[dict]:
    specs = chart_specs(at)
    return [t for s in (specs if i is None else [specs[i]]) for t in s["data"]]


def _shown(traces: list[dict], expected: np.ndarray, key: str) -> bool:
    """``expected`` is the ``key`` array (x, y or z) of one of ``traces``."""
    expected = np.asarray(expected, dtype=float)
    for t in traces:
        if key in t:
            got = values(t[key]).astype(float)
            if got.shape == expected.shape and np.allclose(got, expected, atol=1e-6, equal_nan=True):
                return True
    return False


def test_gaussian_page_draws_the_masks_and_the_input_it_computed():
    at = open_page("pages/11_gaussian.py", {"p": "0.7", "rows": "6", "cols": "10", "seed": "3"}, seed=3)
    assert_clean(at, "gaussian")
    mp = dense_demo.mask_pair(0.7, 3, batch=6, units=10)
    traces = _traces(at, 0)
    for name, a in (("Bernoulli mask", mp.bernoulli), ("Gaussian mask", mp.gaussian), ("x", mp.x),
                    ("x ⊙ Bernoulli", mp.x * mp.bernoulli), ("x ⊙ Gaussian", mp.x * mp.gaussian)):
        assert _shown(traces, a, "z"), f"{name} is not what the chart shows"
    assert not _shown(traces, dense_demo.mask_pair(0.7, 4, batch=6, units=10).bernoulli, "z")  # another seed's


def test_standard_page_bars_are_the_train_and_test_outputs():
    at = open_page("pages/10_standard.py", {"p": "0.3", "seed": "2"}, seed=2)
    assert_clean(at, "standard")
    tt = dense_demo.train_test(0.3, 2)
    traces = _traces(at, 1)
    for name in ("classic_train", "inverted_train", "classic_mean", "inverted_mean", "classic_test", "inverted_test"):
        assert _shown(traces, getattr(tt, name), "y"), name


def test_dropblock_page_curve_is_the_exact_expectation_and_the_measured_rate():
    at = open_page("pages/22_dropblock.py", {"p": "0.4", "block_size": "7"})
    assert_clean(at, "dropblock")
    d = conv_demo.dropblock_demo(images.cat(), 0.4, 0, block_size=7)
    traces = _traces(at)
    assert _shown(traces, d.expected_grid, "y") and _shown(traces, d.actual_grid, "y")
    assert _shown(traces, d.p_grid, "x")


def test_images_page_information_chart_is_the_measured_psnr():
    at = open_page("pages/20_images.py", {"p": "0.3", "draws": "2"})
    assert_clean(at, "images")
    info = conv_demo.information_removed(images.cat(), 0.3, 0, n_draws=2,
                                         settings=conv_demo.Settings(block_size=9, maxdrop_window=9))
    traces = _traces(at)
    finite = np.where(np.isfinite(info.psnr_inpainted), info.psnr_inpainted, np.nan)
    assert any(np.allclose(np.asarray(values(t["y"]), float)[np.isfinite(finite)], finite[np.isfinite(finite)],
                           atol=1e-3) for t in traces if "y" in t and len(values(t["y"])) == len(finite))


def test_masks_page_overview_is_every_schedules_mask():
    at = open_page("pages/30_rnn-masks.py", {"p": "0.4", "steps": "20", "hidden": "8"})
    assert_clean(at, "rnn-masks")
    movies = rnn_demo.mask_movies(0.4, 0, steps=20, hidden=8)
    traces = _traces(at, 0)
    for mv in movies:
        assert _shown(traces, mv.masks[-1], "z") or _shown(traces, (mv.masks[-1] > 0).astype(float), "z"), mv.method
