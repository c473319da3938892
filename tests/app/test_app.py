"""Streamlit AppTest for every page: defaults, every slider at its min and max, the seed extremes,
malformed URL parameters, and charts that really show data."""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from streamlit.testing.v1 import AppTest

from dropviz import claims, ui
from tests.conftest import ROOT

pytestmark = pytest.mark.app
APP = os.path.join(ROOT, "app.py")
TIMEOUT = 120  # heavy first runs (claims with millions of draws) on a 2-core CI machine
PAGES = ui.all_pages()


def open_page(path: str, query: dict[str, str] | None = None, seed: int | None = None) -> AppTest:
    """Open ``path`` directly, as a shared link would (``/standard?p=0.3&seed=7``): the query parameters
    reach its first run, which goes through app.py (page config, navigation, the sidebar's seed and device)
    thanks to ``ui.app_shell``, exactly as on a real server."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in {**(query or {}), **({"seed": str(seed)} if seed is not None else {})}.items():
        at.query_params[k] = v
    if path != ui.HOME.path:
        at.switch_page(path)
    return at.run()


def wait_until(at, done, timeout: float = 300.0, what: str = "the training"):
    """Rerun the page (as its polling fragment would) until ``done()`` holds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} did not finish in {timeout:.0f} s"
        time.sleep(0.5)
    return at.run()


def record_submissions(monkeypatch) -> list:
    """The keys submitted to the server-wide training queue from now on (the test's own list)."""
    q = ui.queue()
    submitted: list = []
    real = q.submit
    monkeypatch.setattr(q, "submit", lambda key, fn, *, owner: submitted.append(key) or real(key, fn, owner=owner))
    return submitted


def answer_questions(at: AppTest, pick=lambda options: options[0]) -> AppTest:
    """Commit a guess to every predict-then-reveal question on the page (their claims are then shown)."""
    for _ in range(12):
        locks = [b for b in at.button if b.label.startswith("Lock in my guess")]
        if not locks:
            break
        for r in at.radio:
            if (r.key or "").startswith("input_guess.") and r.value is None:
                r.set_value(pick(r.options))
        locks[0].click()
        at.run()
    return at


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def assert_clean(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {[e.message for e in at.exception]}"
    assert not at.error, f"{where}: {[e.value for e in at.error]}"


def values(v):
    """A trace's x/y/z as numbers: a plain list, or plotly's base64 typed array {dtype, bdata, shape}."""
    import base64

    import numpy as np

    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return a.reshape([int(n) for n in str(v["shape"]).split(",")]) if v.get("shape") else a
    return np.asarray(v, dtype=float)


def test_values_decodes_plotly_typed_arrays():
    import numpy as np
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=np.arange(3.0), y=np.array([0.5, 0.25, 1.0])))
    trace = json.loads(fig.to_json())["data"][0]
    assert np.array_equal(values(trace["y"]), [0.5, 0.25, 1.0]) and np.array_equal(values([1, 2]), [1.0, 2.0])


def _has_data(trace: dict) -> bool:
    if str(trace.get("source", "")).startswith("data:image/"):  # an image trace carries its picture inline
        return True
    for key in ("x", "y", "z"):
        v = trace.get(key)
        if isinstance(v, dict) and v.get("bdata"):  # plotly's base64 typed arrays
            return True
        if isinstance(v, list) and len(v) > 0:
            return True
    return False


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_page_renders_with_defaults(spec):
    at = open_page(spec.path)
    assert_clean(at, spec.path)
    assert at.title, "every page has a title"
    for fig in chart_specs(at):
        assert fig["data"] and any(_has_data(t) for t in fig["data"]), "a chart with no data"


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_every_slider_at_min_and_max(spec):
    at = open_page(spec.path)
    sliders = [(s.key, type(s.value), s.min, s.max, s.value) for s in at.slider]
    assert sliders, "every page has at least one slider"
    for key, kind, lo, hi, default in sliders:
        for v in (lo, hi):
            at.slider(key=key).set_value(kind(v)).run()
            assert_clean(at, f"{spec.path} {key}={v}")
            assert chart_specs(at) or spec == ui.HOME
        at.slider(key=key).set_value(default).run()


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_pages_at_seed_extremes(spec):
    """Through the URL on the first run, then through the sidebar widget on a rerun."""
    for v in (0, ui.SEED_MAX):
        at = open_page(spec.path, seed=v)
        assert_clean(at, f"{spec.path} seed={v}")
        assert at.number_input(key="seed").value == v
    at.number_input(key="seed").set_value(0).run()
    assert_clean(at, f"{spec.path} seed widget -> 0")
    assert at.number_input(key="seed").value == 0 and at.title[0].value == open_page(spec.path).title[0].value


@pytest.mark.fresh_server
@pytest.mark.parametrize("spec", PAGES[1:3], ids=lambda s: s.url_path)
def test_a_shared_link_as_the_first_visit_of_a_fresh_server(spec):
    """The legacy runner starts the deep-linked page file; ``ui.app_shell`` reruns it through app.py, so the
    page has its sidebar (seed from the link) and no "Page not found"."""
    at = open_page(spec.path, {"p": "0.3"}, seed=7)
    assert_clean(at, spec.path)
    assert at.title[0].value == open_page(spec.path).title[0].value
    assert at.number_input(key="seed").value == 7 and at.slider(key="p").value == pytest.approx(0.3)
    assert [e for e in at.sidebar if getattr(e, "key", None) == "device"], "app.py's sidebar ran"


def test_page_files_are_found_under_their_url_by_the_legacy_runner_and_enter_the_app_shell():
    """The invariant ``ui.app_shell`` relies on: Streamlit's legacy runner derives a page's URL from its
    file name (``10_standard.py`` -> ``standard``), which must equal the ``st.navigation`` url_path, and every
    page calls ``ui.app_shell()`` before drawing anything."""
    from pathlib import Path

    from streamlit.source_util import page_icon_and_name

    for spec in PAGES:
        assert page_icon_and_name(Path(spec.path))[1] == spec.url_path, spec.path
        body = Path(ROOT, spec.path).read_text()
        first_call = next(line for line in body.splitlines() if line.startswith(("st.", "ui.")))
        assert first_call == "ui.app_shell()", f"{spec.path} starts with {first_call!r}"


@pytest.mark.parametrize("spec", PAGES[:2], ids=lambda s: s.url_path)
def test_the_app_shell_injects_the_print_layout_once(spec):
    """app.py adds the @media print rules (no sidebar, the page flows over paper pages) once per run."""
    at = open_page(spec.path)
    styles = [h.proto.body for h in at.get("html") if "@media print" in h.proto.body]
    assert len(styles) == 1 and '[data-testid="stSidebar"]' in styles[0] and "display: none" in styles[0]


@pytest.mark.parametrize("url,base,expected", [
    ("http://host:8501/nonexistent", "", "nonexistent"),
    ("http://host:8501/", "", ""),
    ("http://host:8501", "", ""),
    ("http://host/course/standard", "course", "standard"),
    ("http://host/course/", "/course/", ""),
    ("http://host/standard/", "", "standard"),
    (None, "", None),
])
def test_requested_path_is_the_page_part_of_the_browser_url(url, base, expected):
    assert ui.requested_path(url, base) == expected


def test_a_known_page_says_nothing_about_a_missing_page():
    """AppTest has no browser URL: no message (the browser test opens /nonexistent)."""
    at = open_page("pages/10_standard.py")
    assert not any("Page not found" in e.value for e in at.error)


def test_seed_changes_the_masks_and_same_seed_reproduces():
    def first_heatmap(seed):
        return chart_specs(open_page("pages/11_gaussian.py", seed=seed))[0]["data"][0]["z"]

    assert first_heatmap(3) == first_heatmap(3)
    assert first_heatmap(3) != first_heatmap(4)


@pytest.mark.parametrize(
    "query",
    [{"p": "banana"}, {"p": "7"}, {"p": "nan"}, {"p": ["0.2", "0.3"]}, {"p": "0.1", "iters": "100000"},
     {"p": "0.1", "hidden": "-3"}],
    ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()),
)
def test_malformed_url_parameters_get_a_clear_message(query):
    at = open_page("pages/10_standard.py", query)
    assert_clean(at, str(query))
    bad = [k for k in query if not (k == "p" and query[k] == "0.1")]
    warnings = " ".join(w.value for w in at.warning)
    for k in bad:
        assert f"`{k}=" in warnings, warnings
    assert at.slider(key="p").value == (0.1 if query.get("p") == "0.1" else 0.5)


def test_valid_url_parameters_open_that_view():
    at = open_page("pages/12_dropconnect.py", {"p": "0.3", "inputs": "32", "outputs": "8"})
    assert_clean(at, "shared link")
    assert at.slider(key="p").value == pytest.approx(0.3)
    z = chart_specs(at)[0]["data"][0]["z"]  # a base64 typed array with its shape
    assert z["shape"].replace(" ", "") == "8,32"


@pytest.mark.parametrize("spec", [p for p in PAGES if p.claims], ids=lambda s: s.url_path)
def test_pages_show_the_claims_their_spec_declares_with_measured_values(spec):
    """The ids come from the page's spec (declared once); a page that trains first shows them once trained."""
    at = answer_questions(open_page(spec.path))
    deadline = time.monotonic() + 300
    text = ""
    while time.monotonic() < deadline:
        answer_questions(at)
        text = " ".join(m.value for m in at.markdown)
        if all(f"`{cid}`" in text for cid in spec.claims):
            break
        time.sleep(1.0)
        at.run()  # what the page's polling fragment does while a training runs
    for cid in spec.claims:
        assert f"`{cid}`" in text, cid
        assert claims.get(cid).text in text
    assert "PASS" in text and "FAIL" not in text
    shown = set(re.findall(r"`([a-z]+\.[a-z_]+)`", text)) & set(claims.CLAIMS)
    assert shown == set(spec.claims), "a page shows exactly the claims it declares"
    # Issue 14, item 6: each claim leads with its statement and the number named in words; the id, criterion
    # and tolerance sit in the details expander (ids and "5σ binomial" were shown to students).
    details = [e for e in at.expander if e.label.startswith("Details: claim ids")]
    assert details, "the ids, criteria and tolerances are folded into a details expander"
    folded = " ".join(m.value for d in details for m in d.markdown)
    for cid in spec.claims:
        c = claims.get(cid)
        (headline,) = [m.value for m in at.markdown if c.text in m.value and "`" not in m.value]
        assert "holds" in headline and f"{c.measures[:1].upper()}{c.measures[1:]} = **" in headline, headline
        assert "σ" not in headline.replace(c.text, "") and "standard error" not in headline
        assert f"`{cid}` **PASS**" in folded


def test_every_claim_is_shown_on_some_page():
    declared = [c for p in PAGES for c in p.claims]
    assert sorted(declared) == sorted(claims.CLAIMS), "each claim declared by exactly one page"


def test_home_gallery_lists_every_registered_method():
    from dropviz import methods

    at = open_page(ui.HOME.path)
    text = " ".join(m.value for m in at.markdown)
    for m in methods.METHODS:
        assert m.name in text
    assert len(at.get("image")) == len(methods.METHODS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_home_gallery_spatial_card_says_which_channels_its_mask_dropped(seed):
    """The SpatialDropout card's caption is about the draw its thumbnail shows: the channels named are those
    its mask (drawn here independently, same seed) dropped; the seeds give two, none, and another two."""
    from dropviz import data, masks, methods

    at = open_page(ui.HOME.path, seed=seed)
    captions = [c.value for c in at.caption]
    thumbnail = methods.get("spatial").thumbnail(0.5, seed)
    shown = methods.gallery_caption("spatial", thumbnail)
    assert shown in captions
    mask = masks.spatial_mask(data.gallery_image().shape, 0.5, generator=masks.make_generator(seed))[0, :, 0, 0]
    dropped = [c for c, m in zip(("red", "green", "blue"), mask, strict=True) if m == 0]
    assert [c for c in ("red", "green", "blue") if c in shown.split(":")[0]] == dropped, shown
    assert "the whole red channel" not in " ".join(captions)


@pytest.mark.parametrize("query", [{"seed": "-5"}, {"seed": "1e99"}, {"seed": "abc"}])
def test_malformed_seed_in_url_gets_a_clear_message(query):
    at = open_page(ui.HOME.path, query)
    assert_clean(at, str(query))
    assert any("`seed=" in w.value for w in at.warning)
    assert at.number_input(key="seed").value == 0


def test_standout_page_draws_the_papers_keep_probability():
    """The keep-probability curve is σ(α·z + β·Σa) at the batch's mean input sum, as the page computes it."""
    import numpy as np

    from dropviz.demos import dense as dense_demo

    at = open_page("pages/13_standout.py", {"alpha": "1.5", "beta": "-0.5"})
    assert_clean(at, "standout")
    d = dense_demo.standout_demo(1.5, -0.5, 0)
    curve = next(t for t in chart_specs(at)[0]["data"] if t.get("name") == "σ(α·z+β·Σa)")
    z, y = values(curve["x"]), values(curve["y"])
    assert np.allclose(y, 1 / (1 + np.exp(-(1.5 * z - 0.5 * d.input_sum))), atol=1e-6)
    assert not np.allclose(y, 1 / (1 + np.exp(-(1.5 * z - 0.5))), atol=1e-3)  # not the scalar offset
    assert f"{d.input_sum:.2f}" in " ".join(m.value for m in at.markdown)


def test_dropconnect_page_shows_the_three_rules_and_its_claim():
    at = open_page("pages/12_dropconnect.py", {"p": "0.3"})
    assert_clean(at, "dropconnect")
    text = " ".join(m.value for m in answer_questions(at).markdown)  # the claim shows once the guess is in
    assert "`dropconnect.gaussian_inference_beats_weight_scaling`" in text and "PASS" in text
    assert "within" in text and "better" in text  # the criterion: within MC error, and how much better
