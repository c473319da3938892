"""AppTest for the convolutional pages beyond what test_app.py runs on every page: the claims they show, the
upload flow (good, bad, back to the cat, across pages, per session), uploads kept out of the shared cache,
small pictures at slider extremes, and malformed URL parameters."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dropviz import ui
from dropviz.data.images import WorkingImage
from dropviz.ui import cache as ui_cache
from tests.app.test_app import assert_clean, chart_specs, open_page

pytestmark = pytest.mark.app
CONV_PAGES = [p for p in ui.PAGES if p.family == "conv"]


def png(w: int, h: int, colour=(30, 140, 220)) -> bytes:
    rng = np.random.default_rng(0)
    a = np.clip(np.array(colour)[None, None] + rng.normal(0, 40, (h, w, 3)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def upload(at, name: str, data: bytes, mime: str = "image/png"):
    at.file_uploader(key="upload_image").set_value((name, data, mime))
    return at.run()


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_an_upload_replaces_the_cat_on_every_conv_page_of_this_session_only():
    at = open_page("pages/20_images.py")
    assert "Chelsea the cat" in captions(at)
    before = chart_specs(at)[0]["data"][1]["source"]
    upload(at, "my-photo.png", png(300, 200))
    assert_clean(at, "after a good upload")
    assert "my-photo.png" in captions(at) and "this session only" in captions(at)
    assert chart_specs(at)[0]["data"][1]["source"] != before, "the animation shows the new picture"
    at.switch_page("pages/21_maxpool.py").run()
    assert_clean(at, "maxpool with the upload")
    assert "my-photo.png" in captions(at)
    other = open_page("pages/20_images.py")  # another session
    assert "Chelsea the cat" in captions(other) and "my-photo.png" not in captions(other)


@pytest.mark.parametrize(
    "name,data,words",
    [("empty.png", b"", "empty"), ("notes.png", b"not a picture at all" * 50, "not an image"),
     ("cut.png", png(300, 200)[:-400], "corrupt or truncated"), ("huge.png", b"\x89PNG" + bytes(9 * 2**20), "8 MB")],
)
def test_a_bad_upload_gets_a_message_and_the_page_keeps_working_with_the_cat(name, data, words):
    at = open_page("pages/20_images.py")
    upload(at, name, data)
    assert_clean(at, name)
    warnings = " ".join(w.value for w in at.warning)
    assert words in warnings and name in warnings
    assert "Chelsea the cat" in captions(at)
    assert chart_specs(at), "the page still draws"


def test_a_webcam_photo_replaces_the_cat():
    at = open_page("pages/21_maxpool.py")
    at.toggle(key="use_camera").set_value(True).run()
    buf = io.BytesIO()
    Image.fromarray(np.full((240, 320, 3), 180, np.uint8)).save(buf, "JPEG")
    at.camera_input(key="camera_image").set_value(("webcam.jpg", buf.getvalue(), "image/jpeg"))
    at.run()
    assert_clean(at, "webcam photo")
    assert "webcam.jpg" in captions(at) and "this session only" in captions(at)


def test_back_to_the_cat():
    at = open_page("pages/22_dropblock.py")
    upload(at, "mine.png", png(120, 90))
    assert "mine.png" in captions(at)
    at.button[0].click().run()
    assert_clean(at, "back to the cat")
    assert "Chelsea the cat" in captions(at)


def test_results_from_an_upload_never_reach_the_shared_cache(monkeypatch):
    seen: list = []
    real_cache, real_claim = ui_cache._cache, ui_cache._claim

    def recording_cache(fn):
        cached = real_cache(fn)

        def call(**kwargs):
            seen.extend(kwargs.values())
            return cached(**kwargs)

        return call

    def recording_claim(claim_id, params):
        seen.extend(v for _, v in params)
        return real_claim(claim_id, params)

    monkeypatch.setattr(ui_cache, "_cache", recording_cache)
    monkeypatch.setattr(ui_cache, "_claim", recording_claim)
    for path in ("pages/20_images.py", "pages/21_maxpool.py", "pages/22_dropblock.py"):
        at = open_page(path)
        upload(at, "private.png", png(200, 150))
        assert "private.png" in captions(at)
        assert len(at.session_state[ui_cache._PRIVATE]) > 0, "results from the upload are kept in the session"
    private = [v for v in seen if isinstance(v, WorkingImage) and v.private]
    assert not private, "a private image went through the cross-session cache"
    assert any(isinstance(v, WorkingImage) for v in seen), "the cat does use the shared cache"


@pytest.mark.parametrize("spec", CONV_PAGES, ids=lambda s: s.url_path)
def test_a_small_upload_at_every_slider_extreme(spec):
    """A 40 × 20 picture (feature maps 20 × 10): blocks, windows and crops must shrink to fit."""
    at = open_page(spec.path)
    upload(at, "small.png", png(40, 20))
    assert "small.png" in captions(at)
    for s in list(at.slider):
        key, kind, lo, hi, default = s.key, type(s.value), s.min, s.max, s.value
        for v in (lo, hi):
            at.slider(key=key).set_value(kind(v)).run()
            assert_clean(at, f"{spec.path} small upload {key}={v}")
        at.slider(key=key).set_value(default).run()


@pytest.mark.parametrize("query,bad", [({"shape": "hexagon"}, "shape"), ({"channels": "all"}, "channels"),
                                       ({"block": "100"}, "block"), ({"holes": "0"}, "holes")])
def test_conv_page_url_parameters_are_checked(query, bad):
    at = open_page("pages/20_images.py", query)
    assert_clean(at, str(query))
    assert f"`{bad}=" in " ".join(w.value for w in at.warning)


def test_cutout_options_from_a_link():
    at = open_page("pages/20_images.py", {"shape": "circle", "holes": "3", "channels": "one", "p": "0.2"})
    assert_clean(at, "cutout link")
    assert at.radio(key="shape").value == "circle" and at.slider(key="holes").value == 3
    assert at.radio(key="channels").value == "one"


def test_moving_between_conv_pages_after_extreme_settings():
    """Each page's widgets have their own keys: a value set on one page never lands in another's slider."""
    at = open_page("pages/20_images.py")
    for key, v in (("window", 31), ("block", 31), ("p", 1.0)):
        at.slider(key=key).set_value(v).run()
    for path in ("pages/22_dropblock.py", "pages/21_maxpool.py", "pages/20_images.py"):
        at.switch_page(path).run()
        assert_clean(at, f"{path} after extremes elsewhere")
