"""Issue 13 in Chromium: every page in Chinese (``?lang=zh``), screenshotted to
``artifacts/screenshots/zh-<page>.png``. The page title is Chinese, and the Chinese text is drawn with real glyphs:
without a CJK font (``fonts-noto-cjk``, installed by ``.ci/run``) Chromium draws every character as the same
missing-glyph box ("tofu"), and the screenshots would show nothing readable.

Run one page while developing: ``python -m pytest -m e2e tests/e2e/test_i18n_browser.py -k home``.
"""

from __future__ import annotations

import os
import re

import pytest

from dropviz import ui
from tests.e2e.test_browser import browser, context, page, screenshot, settle  # noqa: F401  (fixtures)

pytestmark = pytest.mark.e2e
CJK = re.compile(r"[\u4e00-\u9fff]")

# Each character of ``text`` drawn alone on a canvas in ``font``, compared with an unassigned code point (U+0378,
# which every font draws as its missing-glyph box) and with each other: real glyphs differ from the box and from
# one another; tofu is the same box every time.
_GLYPHS = """([text, font]) => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 64;
    const g = c.getContext('2d', {willReadFrequently: true});
    const draw = ch => {
        g.clearRect(0, 0, 64, 64);
        g.font = font; g.fillStyle = '#000'; g.textBaseline = 'top';
        g.fillText(ch, 4, 4);
        const d = g.getImageData(0, 0, 64, 64).data;
        let ink = 0, sig = [];
        for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) ink++; sig.push(d[i] > 127 ? 1 : 0); }
        return {ink, sig: sig.join('')};
    };
    const box = draw('\\u0378');
    const glyphs = Array.from(text).map(draw);
    return {
        chars: glyphs.length,
        distinct: new Set(glyphs.map(x => x.sig)).size,
        tofu: glyphs.filter(x => x.sig === box.sig).length,
        blank: glyphs.filter(x => x.ink === 0).length,
    };
}"""


def glyphs_are_real(pg, text: str, font: str) -> dict:
    return pg.evaluate(_GLYPHS, [text, font])


@pytest.mark.parametrize("spec", ui.all_pages(), ids=lambda s: s.url_path)
def test_page_in_chinese_has_a_chinese_title_drawn_with_real_glyphs(server, page, spec):  # noqa: F811
    page.goto(f"{server}/{'' if spec == ui.HOME else spec.url_path}?lang=zh")
    settle(page, timeout_s=600 if spec.trains else 120)  # a page's default training, as in test_browser.py
    assert page.locator('[data-testid="stException"]').count() == 0
    h1 = page.locator('[data-testid="stMain"] h1').first
    title = h1.inner_text(timeout=120_000).strip()
    # A title that is a name (the app's on the home page, "DropConnect", "Standout") stays as it is: then the lead
    # paragraph under it is the Chinese text.
    lead = (title if CJK.search(title) else
            page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"]').first.inner_text())
    assert CJK.search(lead), f"{spec.url_path}: no Chinese in {lead[:80]!r}"
    font = page.evaluate("e => { const s = getComputedStyle(e); return `48px ${s.fontFamily}`; }", h1.element_handle())
    sample = "".join(dict.fromkeys(CJK.findall(lead)))[:6]  # six different characters: each its own glyph
    for text in (sample, "暂退法"):
        seen = glyphs_are_real(page, text, font)
        assert seen["tofu"] == 0 and seen["blank"] == 0 and seen["distinct"] == seen["chars"], (
            f"{spec.url_path}: {text!r} is not drawn with real glyphs in {font} ({seen}): is a CJK font installed "
            "(apt-get install fonts-noto-cjk)?")
    selector = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Language")
    shown = selector.evaluate("e => e.textContent + ' ' + Array.from(e.querySelectorAll('input')).map(i => i.value"
                              ").join(' ')")
    assert "中文" in shown, shown
    assert "lang=zh" in page.url, "the address names the language"
    assert os.path.getsize(screenshot(page, f"zh-{spec.url_path}")) > 10_000


def test_the_glyph_check_sees_tofu(browser):  # noqa: F811
    """The check above can fail: characters no font has (private use area) come out as missing-glyph boxes."""
    ctx = browser.new_context()
    try:
        pg = ctx.new_page()
        pg.set_content("<p>x</p>")
        seen = glyphs_are_real(pg, "\ue000\ue001\ue002", "48px sans-serif")
        assert seen["tofu"] == 3 or seen["blank"] == 3 or seen["distinct"] == 1, seen
        latin = glyphs_are_real(pg, "abc", "48px sans-serif")
        assert latin["tofu"] == 0 and latin["distinct"] == 3, latin
    finally:
        ctx.close()


def test_switching_language_in_the_browser_rewrites_the_page_and_the_address(server, page):  # noqa: F811
    page.goto(f"{server}/standard?lang=zh&p=0.3")
    settle(page)
    assert CJK.search(page.locator('[data-testid="stMain"] h1').first.inner_text())
    selector = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="Language")
    combo = selector.locator("input").first  # a combobox: opened from the keyboard
    combo.click()
    combo.press("ArrowDown")
    page.get_by_role("option", name="Español").click()
    page.wait_for_url(re.compile(r"lang=es"), timeout=30_000)
    settle(page)
    assert not CJK.search(page.locator('[data-testid="stMain"] h1').first.inner_text())
    assert "p=0.3" in page.url, "the view's other parameters stay in the address"
    page.reload()
    settle(page)
    assert "Compartir esta vista" in page.locator('[data-testid="stMain"]').inner_text(), "a reload keeps Spanish"
