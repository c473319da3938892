"""The real app in headless Chromium: every page renders without an exception element, its charts draw,
nothing overflows the screen, and the shared-link, seed and animation controls work. Screenshots land in
``artifacts/screenshots/``.

Needs Chromium (``apt-get install -y chromium``; or set DROPVIZ_CHROMIUM). Without it these tests skip,
unless DROPVIZ_REQUIRE_E2E=1 (as in CI), where a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from dropviz import claims, ui
from dropviz.ui import training
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e
SHOTS = os.path.join(ROOT, "artifacts", "screenshots")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 1400, 900


def _chromium() -> str | None:
    for candidate in (os.environ.get("DROPVIZ_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _missing(why: str):
    if os.environ.get("DROPVIZ_REQUIRE_E2E") == "1":
        pytest.fail(f"browser test required but {why}")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(log_name: str):
    """A fresh ``streamlit run app.py`` on a free port; yields its URL."""
    port = _free_port()
    os.makedirs(SHOTS, exist_ok=True)
    with open(os.path.join(ROOT, "artifacts", log_name), "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DROPVIZ_PREWARM": "0"},  # the tests open pages themselves: no background warm-up
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                pytest.fail("the Streamlit server did not come up within 60 s")
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    exe = _chromium()
    if exe is None:
        _missing("no Chromium found (apt-get install -y chromium, or set DROPVIZ_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -r requirements-dev.txt)")
    os.makedirs(SHOTS, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def context(browser):
    """One browser profile per module: a tab per test (each tab is its own Streamlit session), and the app's
    scripts and styles come from the browser's cache after the first page instead of over the wire every time."""
    ctx = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    pg = context.new_page()
    yield pg
    pg.close()


_PAGE_STATE = """() => {
    const charts = Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'));
    const app = document.querySelector('[data-testid="stApp"]');
    const script = app ? app.getAttribute('data-test-script-state') : 'initial';
    return {
        busy: script !== 'notRunning'  // the frontend's own run state: initial, running, rerunRequested, ...
              || document.querySelector('[data-testid="stStatusWidget"]') !== null
              || document.querySelector('[class*="st-key-%s-"]') !== null
              || document.querySelectorAll('[data-stale="true"]').length > 0
              || !charts.every(c => c.querySelector('.js-plotly-plot .main-svg'))
              || document.querySelector('[data-testid="stMain"] h1') === null,  // mid-rerun: not its final page
        size: document.querySelectorAll('[data-testid="stMain"] *').length,
    };
}""" % training.PANEL_KEY  # a training panel is on the page: it will rerun the page when the result is in


def settle(pg, timeout_s: float = 120, quiet_s: float = 1.0) -> None:
    """Wait until the script has finished and the page has stopped changing: no running/stale marker, no
    training panel (:func:`dropviz.ui.training._job_panel`: a queue place or a progress bar, which polls and
    then reruns the whole page when the result is in), every chart element has drawn its plot (Plotly loads
    lazily), and the DOM size is unchanged for ``quiet_s`` seconds (the status widget appears only after a
    delay, so its absence alone proves nothing)."""
    pg.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    last, since = None, time.time()
    while time.time() < deadline:
        state = pg.evaluate(_PAGE_STATE)
        if state["busy"] or state["size"] != last:
            last, since = state["size"], time.time()
        elif time.time() - since >= quiet_s:
            return
        pg.wait_for_timeout(250)
    raise AssertionError(f"the page did not settle within {timeout_s:.0f} s")


def screenshot(pg, name: str) -> str:
    """The whole page (Streamlit scrolls inside its main block, so grow the viewport to fit)."""
    h = pg.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    pg.set_viewport_size({"width": WIDTH, "height": min(int(h) + 40, 10_000)})
    pg.wait_for_timeout(700)
    path = os.path.join(SHOTS, f"{name}.png")
    pg.screenshot(path=path)
    pg.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    return path


def test_a_shared_link_is_the_first_visit_after_a_server_start(browser):
    """On a fresh server the first script run goes through Streamlit's legacy pages/ runner; a deep link
    must still open its page inside the app (sidebar, the link's settings) without a "Page not found"."""
    with streamlit_server("e2e-fresh-server.log") as url:
        ctx = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        pg = ctx.new_page()
        try:
            pg.goto(f"{url}/gaussian?p=0.3&seed=5")
            settle(pg)
            assert pg.locator('[role="dialog"]').count() == 0, pg.locator('[role="dialog"]').all_inner_texts()
            assert pg.locator("h1").first.inner_text().strip() == "Gaussian dropout"
            assert pg.locator('[data-testid="stSidebar"] input').first.input_value() == "5"
            assert "0.30" in pg.locator('[data-testid="stSlider"]').first.inner_text()
        finally:
            ctx.close()


@pytest.mark.parametrize("spec", ui.all_pages(), ids=lambda s: s.url_path)
def test_page_renders_in_chromium(server, page, spec):
    page.goto(f"{server}/{'' if spec == ui.HOME else spec.url_path}")
    # A page whose default experiment trains on the first visit waits for it, and perhaps behind the default
    # training of the page before it (one training at a time, server-wide; the queue outlives a page visit).
    settle(page, timeout_s=600 if spec.trains else 120)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator("h1").first.inner_text(timeout=120_000).strip()  # a late rerun may redraw the page
    settle(page)
    plots = page.locator(".js-plotly-plot")
    if spec != ui.HOME:
        assert plots.count() >= 1
    for i in range(plots.count()):
        drawn = plots.nth(i).locator(
            "g.trace, g.hm, .heatmaplayer image, .imagelayer image, g.barlayer path, g.scatterlayer path")
        assert drawn.count() > 0, f"chart {i} on {spec.url_path} draws nothing"
    if spec == ui.HOME:
        assert page.locator('[data-testid="stImage"] img').count() >= 4
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{spec.url_path} overflows horizontally by {overflow}px"
    assert os.path.getsize(screenshot(page, spec.url_path)) > 10_000


def test_shared_link_opens_that_view_and_bad_params_are_explained(server, page):
    page.goto(f"{server}/gaussian?p=0.3&seed=5&rows=4")
    settle(page)
    assert page.locator('[data-testid="stSidebar"] input').first.input_value() == "5"
    assert "0.30" in page.locator('[data-testid="stSlider"]').first.inner_text()
    page.goto(f"{server}/standard?p=banana&seed=-3")
    settle(page)
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert "p=banana" in alerts and "seed=-3" in alerts
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "bad-url-parameters")


def test_an_unknown_page_says_so_and_links_to_every_page(server, page):
    """st.navigation runs the home page for a URL that names no page; DropViz says the page was not found and
    lists every page (issue 14, item 11). A known page carries no such message."""
    page.goto(f"{server}/nonexistent")
    settle(page)
    page.keyboard.press("Escape")  # Streamlit's own "Page not found" dialog, if it shows one
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert "Page not found" in alerts and "/nonexistent" in alerts
    links = page.locator('[data-testid="stMain"] [data-testid="stPageLink"] a').evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    assert {s.url_path for s in ui.all_pages() if s != ui.HOME} <= set(links) and "" in links
    screenshot(page, "page-not-found")
    page.locator('[data-testid="stMain"] [data-testid="stPageLink"]').get_by_text("DropConnect").first.click()
    page.wait_for_url("**/dropconnect")
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == "DropConnect"
    assert "Page not found" not in " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


def test_seed_widget_updates_url_and_masks(server, page):
    page.goto(f"{server}/gaussian")
    settle(page)
    before = page.locator(".js-plotly-plot").first.inner_html()
    page.locator('[data-testid="stSidebar"] [data-testid="stNumberInputStepUp"]').click()
    settle(page)
    assert "seed=1" in page.url
    assert page.locator('[data-testid="stSidebar"] input').first.input_value() == "1"
    assert page.locator(".js-plotly-plot").first.inner_html() != before


def _click_center(pg, locator) -> None:
    """Plotly's SVG buttons need a real pointer click at their position."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _play(pg, plot) -> int:
    """Press ▶ Play (retrying while the chart is still laying out); the slider step it reached."""
    step = 0
    for _ in range(3):
        pg.wait_for_timeout(1000)
        _click_center(pg, plot.locator(".updatemenu-button").nth(0))
        pg.wait_for_timeout(2500)
        step = plot.evaluate("e => e.layout.sliders[0].active")
        if step >= 1:
            break
    return step


_DRAWN_TITLE = "e => Array.from(e.querySelectorAll('.gtitle')).map(t => t.textContent).join(' ')"  # the SVG


def test_network_animation_plays_and_pauses(server, page):
    page.goto(f"{server}/standard")
    settle(page)
    plot = page.locator(".js-plotly-plot").first
    assert plot.evaluate("e => e.layout.title.text").startswith("Iteration 1:")
    step = _play(page, plot)
    assert step >= 1, "the animation did not advance"
    _click_center(page, plot.locator(".updatemenu-button").nth(1))  # ❚❚ Pause
    page.wait_for_timeout(300)
    paused = plot.evaluate("e => e.layout.sliders[0].active")
    assert plot.evaluate(_DRAWN_TITLE).startswith(f"Iteration {paused + 1}:"), "the drawn title follows the frame"
    page.wait_for_timeout(2000)
    assert plot.evaluate("e => e.layout.sliders[0].active") == paused, "pause did not stop the animation"


def _drag_slider_to(pg, plot, step: int) -> None:
    """Click the animation slider's rail where ``step`` (0-based) sits, as a reader dragging it would."""
    n = plot.evaluate("e => e.layout.sliders[0].steps.length")
    rail = plot.locator(".slider-rail-rect").first
    rail.scroll_into_view_if_needed()
    box = rail.bounding_box()
    pg.mouse.click(box["x"] + 4 + (box["width"] - 8) * step / (n - 1), box["y"] + box["height"] / 2)
    pg.wait_for_timeout(800)


def test_network_animation_title_on_screen_follows_the_frame(server, page):
    """The title drawn on the chart (not just its layout object) names the frame shown, at two frames, and its
    counts are those of the units drawn (issue 14, item 1: it stayed "Iteration 1: …" while the units changed)."""
    page.goto(f"{server}/standard?seed=0&iters=12")
    settle(page)
    plot = page.locator(".js-plotly-plot").first
    seen = []
    for step in (11, 4):
        _drag_slider_to(page, plot, step)
        assert plot.evaluate("e => e.layout.sliders[0].active") == step
        title = plot.evaluate(_DRAWN_TITLE)
        assert title.startswith(f"Iteration {step + 1}:"), title
        symbols = plot.evaluate("e => e.data[2].marker.symbol")  # the units drawn now (output layer last)
        kept = [s == "circle" for s in symbols]
        n_in = 5
        hidden = kept[n_in:-3]
        assert f"{sum(kept[:n_in])}/{n_in} inputs, {sum(hidden)}/{len(hidden)} hidden units kept" in title, title
        seen.append(title)
    assert seen[0] != seen[1]
    screenshot(page, "standard-network-frame-5")


def test_standard_page_at_150_percent_zoom_and_in_print(browser, server):
    """At 150% zoom (a 1400 × 1000 window) with the sidebar open the two chart subtitles stay apart; the print
    layout hides the sidebar and gives the page the whole width (issue 14, item 10)."""
    ctx = browser.new_context(viewport={"width": 933, "height": 667}, device_scale_factor=1.5)
    pg = ctx.new_page()
    try:
        pg.goto(f"{server}/standard")
        settle(pg)
        assert pg.locator('[data-testid="stSidebar"]').is_visible()
        plot = pg.locator(".js-plotly-plot").nth(1)
        boxes = plot.evaluate("""e => Array.from(e.querySelectorAll('.annotation-text'))
            .filter(a => /Classic|Inverted/.test(a.textContent))
            .map(a => { const r = a.getBoundingClientRect(); return [r.left, r.right]; })""")
        (l1, r1), (l2, r2) = sorted(boxes)
        assert r1 < l2, f"the subtitles overlap: {boxes}"
        pg.emulate_media(media="print")
        pg.wait_for_timeout(500)
        assert not pg.locator('[data-testid="stSidebar"]').is_visible()
        main = pg.locator('[data-testid="stMain"]').bounding_box()
        assert main["x"] < 5 and main["width"] > 900
        pg.screenshot(path=os.path.join(SHOTS, "standard-print.png"), full_page=True)
    finally:
        ctx.close()


# -- the convolutional pages: uploads and the image animation ---------------------------------------


def _photo_bytes(tmp_path, name: str) -> str:
    """A phone-style JPEG made here from the bundled cat (nothing binary is committed): mirrored, enlarged to
    1200 × 800 and stored sideways with EXIF orientation 6, as a phone stores a portrait photo."""
    from PIL import Image, ImageOps

    with Image.open(os.path.join(ROOT, "dropviz", "data", "cat.png")) as cat:
        upright = ImageOps.mirror(cat.convert("RGB")).resize((800, 1200))  # a portrait picture
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / name
    upright.transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", exif=exif.tobytes())
    return str(path)


def _upload(pg, path: str) -> None:
    pg.get_by_text("Your own image").first.click()
    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(path)
    pg.wait_for_timeout(1500)
    settle(pg)


def test_upload_a_photo_then_a_broken_file_in_chromium(server, page, tmp_path):
    page.goto(f"{server}/images")
    settle(page)
    _upload(page, _photo_bytes(tmp_path, "portrait-photo.jpg"))
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "portrait-photo.jpg" in text and "EXIF orientation applied" in text
    assert "171 × 256 pixels" in text, "upright (portrait) after EXIF rotation, at working size"
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "images-uploaded-photo")
    # the upload follows this session to the other conv pages (a sidebar link keeps the session; goto would not)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("DropBlock and Max-Drop").click()
    page.wait_for_url("**/dropblock**")
    settle(page)
    assert "portrait-photo.jpg" in page.locator('[data-testid="stMain"]').inner_text()
    screenshot(page, "dropblock-uploaded-photo")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Max-pooling dropout").click()
    page.wait_for_url("**/maxpool**")
    settle(page)
    assert "portrait-photo.jpg" in page.locator('[data-testid="stMain"]').inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "maxpool-uploaded-photo")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"definitely not the rest of a PNG" * 10)
    page.goto(f"{server}/images")
    settle(page)
    _upload(page, str(broken))
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_inner_texts())
    assert "broken.png" in alerts and "Showing the cat instead" in alerts
    assert "Chelsea the cat" in page.locator('[data-testid="stMain"]').inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator(".js-plotly-plot").count() >= 2
    screenshot(page, "images-broken-upload")


def test_image_animation_plays(server, page):
    page.goto(f"{server}/images")
    settle(page)
    plot = page.locator(".js-plotly-plot").first
    assert plot.evaluate("e => e.layout.title.text").startswith("Iteration 1 of")
    first = plot.evaluate("e => e.data[1].source")
    step = _play(page, plot)
    assert step >= 1, "the animation did not advance"
    assert plot.evaluate("e => e.data[1].source") != first, "a fresh mask in the next iteration"
    _click_center(page, plot.locator(".updatemenu-button").nth(1))  # ❚❚ Pause


# -- the recurrent pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["naive", "zaremba", "rnndrop", "semeniuta", "variational"])
def test_rnn_masks_animation_plays_and_keeps_its_heatmaps(server, page, method):
    page.goto(f"{server}/rnn-masks?method={method}&steps=20")
    settle(page)
    plot = page.locator(".js-plotly-plot").nth(1)  # the overview comes first, then the animation
    assert "t = 0:" in plot.evaluate("e => e.layout.title.text")
    heatmaps = plot.locator("g.hm").count()
    assert heatmaps >= 1
    assert _play(page, plot) >= 1, "the animation did not advance"
    _click_center(page, plot.locator(".updatemenu-button").nth(1))  # ❚❚ Pause
    page.wait_for_timeout(600)
    paused, title = plot.evaluate("e => [e.layout.sliders[0].active, e.layout.title.text]")
    assert f"t = {paused}:" in title  # the title follows the frame
    page.wait_for_timeout(1500)
    assert plot.evaluate("e => e.layout.sliders[0].active") == paused, "pause did not stop the animation"
    assert plot.locator("g.hm").count() == heatmaps, "a frame wiped the mask heatmaps"  # (each frame redraws)
    screenshot(page, f"rnn-masks-{method}-playing")


def test_rnn_memory_shows_the_trained_experiment_and_its_claim(server, page):
    page.goto(f"{server}/rnn-memory")
    # the first visitor on a fresh server sees the default train in the background (progress, then the chart)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=240_000)
    settle(page, timeout_s=180)
    plot = page.locator(".js-plotly-plot").nth(1)
    names = plot.evaluate("e => e.data.map(t => t.name)")
    assert {"no dropout", "naive", "Zaremba", "RNNDrop", "recurrent (Semeniuta)", "variational (Gal)"} <= set(names)
    bands = plot.evaluate("e => e.data.filter(t => t.fill === 'toself').length")
    assert bands == 2 * 6  # a seed-range band per method, without and with the masks
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert claims.get("rnn.naive_dropout_forgets").text not in text, "asked first: predict, then reveal"
    page.get_by_text("worse at long lags").click()
    page.get_by_role("button", name=re.compile("Lock in my guess")).click()
    page.get_by_text("Ask again").wait_for(timeout=60_000)
    settle(page)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert claims.get("rnn.naive_dropout_forgets").text in text and "holds" in text
    assert "rnn.naive_dropout_forgets" not in text, "ids are folded away for students"
    page.get_by_text("Details: claim ids, criteria and tolerances").click()  # the id is for practitioners
    page.wait_for_timeout(500)
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "rnn.naive_dropout_forgets" in text and "PASS" in text
    screenshot(page, "rnn-memory-trained")
    page.goto(f"{server}/rnn-memory?steps=100")  # other settings: a button, not a training
    settle(page)
    assert page.get_by_role("button", name=re.compile(r"^Train these \d+ models$")).count() == 1
    assert page.locator(".js-plotly-plot").count() == 1
    screenshot(page, "rnn-memory-untrained")


def test_rnn_memory_training_shows_progress_and_stops(server, page):
    page.goto(f"{server}/rnn-memory?steps=500&hidden=64&lag=50&seed=3")
    settle(page)
    page.get_by_role("button", name=re.compile(r"^Train these \d+ models$")).click()
    page.get_by_role("button", name="Stop").wait_for(timeout=120_000)
    page.wait_for_function("document.querySelector('[data-testid=\"stProgress\"]') !== null", timeout=60_000)
    screenshot(page, "rnn-memory-training")
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("The training was stopped").wait_for(timeout=30_000)
    assert page.locator(".js-plotly-plot").count() == 1


def test_lab_cnn_trains_by_default_and_a_lab_training_stops(server, page):
    page.goto(f"{server}/lab")
    settle(page, timeout_s=600)
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("radio", name="digits", exact=True).click()  # real clicks: the CNN is offered for the digits
    page.wait_for_function("location.search.includes('task=digits')", timeout=30_000)
    settle(page)
    main.get_by_role("radio", name="cnn", exact=True).click()
    page.wait_for_function("location.search.includes('model=cnn')", timeout=30_000)
    settle(page, timeout_s=300)  # the CNN's default comparison trains once per server, without a click
    curves = page.locator(".js-plotly-plot").nth(1)
    names = curves.evaluate("e => e.data.map(t => t.name)")
    assert {"no dropout · validation", "SpatialDropout · validation"} <= set(names), names
    assert "Conv channels" in page.locator('[data-testid="stMain"]').inner_text()
    screenshot(page, "lab-cnn")
    page.goto(f"{server}/lab?task=digits&model=cnn&cnn_methods=none&cnn_methods=dropblock&cnn_methods=maxdrop"
              "&cnn_epochs=200&cnn_train=1000&channels=64")  # other settings: trained only on the button, stoppable
    settle(page)
    page.get_by_role("button", name=re.compile(r"^Train 3 models$")).click()
    page.wait_for_function("document.querySelector('[data-testid=\"stProgress\"]') !== null", timeout=120_000)
    screenshot(page, "lab-training")
    page.get_by_role("button", name="Stop").first.click()
    page.get_by_text("The training was stopped").wait_for(timeout=30_000)
