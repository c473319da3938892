"""The registry is the single source: a method record added here (and nowhere else) shows up in the home
gallery, the conv pages' method grid and legends, and the recurrent pages' selector; no parallel list to edit."""

from __future__ import annotations

import dataclasses
import json

import pytest
import streamlit as st

from dropviz import methods
from tests.app.test_app import assert_clean, open_page

pytestmark = pytest.mark.app


@pytest.fixture
def two_new_methods(monkeypatch):
    conv = dataclasses.replace(methods.get("pixel"), id="pixel2", name="Pixel dropout, again", label="pixel again")
    rec = dataclasses.replace(methods.get("semeniuta"), id="semeniuta2", name="Semeniuta again",
                              label="semeniuta again")
    records = (*methods.METHODS, conv, rec)
    monkeypatch.setattr(methods, "METHODS", records)
    monkeypatch.setattr(methods, "BY_ID", methods._index(records))
    from dropviz.ui import cache

    st.cache_data.clear()  # results computed for the old registry must not be served
    cache._figure.clear()  # nor figures drawn for it (shared across sessions, keyed by arguments only)
    yield conv, rec
    st.cache_data.clear()
    cache._figure.clear()


def _texts(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_a_new_record_appears_in_the_gallery_grid_legends_and_selectors(two_new_methods):
    conv, rec = two_new_methods
    home = open_page("pages/00_home.py")
    assert_clean(home, "home")
    assert f"**{conv.name}**" in _texts(home) and f"**{rec.name}**" in _texts(home)

    images = open_page("pages/20_images.py")
    assert_clean(images, "images")
    captions = [i.caption for el in images.get("image") for i in el.proto.imgs]
    assert any(c.startswith("pixel again") for c in captions), captions  # the method × maps grid
    legends = {t.get("name") for c in images.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}
    titles = json.dumps([json.loads(c.proto.spec)["layout"] for c in images.get("plotly_chart")])
    assert "pixel again" in titles or "pixel again" in legends  # the animation / information charts

    masks = open_page("pages/30_rnn-masks.py", {"method": "semeniuta2"})
    assert_clean(masks, "masks")
    options = [o.content for o in masks.get("button_group")[0].proto.options]
    assert "semeniuta2" in options
    assert rec.name in _texts(masks)  # the linked method is the one shown


def test_without_the_records_they_are_gone():
    home = open_page("pages/00_home.py")
    assert "Pixel dropout, again" not in _texts(home)
