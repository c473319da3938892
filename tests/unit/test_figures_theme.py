"""Tests of dropviz.figures.theme."""

from __future__ import annotations

import numpy as np

from dropviz.figures.theme import to_image


def test_to_image_colours_dropped_cells_grey():
    a = np.array([[0.0, 1.0], [2.0, 0.0]])
    im = np.asarray(to_image(a, cell=2))
    assert im.shape == (4, 4, 3)
    assert tuple(im[0, 0]) == (0xE6, 0xE6, 0xE6) and tuple(im[0, 2]) != (0xE6, 0xE6, 0xE6)
