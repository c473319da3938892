"""Tests of dropviz.figures.theme."""

from __future__ import annotations

import numpy as np

from dropviz.figures.theme import to_image


def test_to_image_colours_dropped_cells_grey():
    a = np.array([[0.0, 1.0], [2.0, 0.0]])
    im = np.asarray(to_image(a, cell=2))
    assert im.shape == (4, 4, 3)
    assert tuple(im[0, 0]) == (0xE6, 0xE6, 0xE6) and tuple(im[0, 2]) != (0xE6, 0xE6, 0xE6)


def test_play_controls_offer_speeds_and_a_loop_over_the_same_frames():
    import plotly.graph_objects as go

    from dropviz.figures.theme import LOOPS, add_play_controls

    fig = go.Figure(go.Scatter(x=[0], y=[0]), frames=[go.Frame(data=[go.Scatter(x=[f], y=[f])], name=str(f))
                                                      for f in range(4)])
    add_play_controls(fig, 4, frame_ms=600)
    buttons = {b.label: b.args for b in fig.layout.updatemenus[0].buttons}
    assert buttons["▶ Play"][1]["frame"]["duration"] == 600
    assert buttons["½×"][1]["frame"]["duration"] == 1200 and buttons["3×"][1]["frame"]["duration"] == 200
    assert list(buttons["⟳ Loop"][0]) == ["0", "1", "2", "3"] * LOOPS
    steps = fig.layout.sliders[0].steps  # one step per frame: a click shows exactly that frame
    assert [list(s.args[0]) for s in steps] == [["0"], ["1"], ["2"], ["3"]]


def test_show_frame_opens_the_animation_at_that_frame():
    from dropviz.demos import dense as dense_demo
    from dropviz.figures import dense as dense_figs
    from dropviz.figures.theme import show_frame

    anim = dense_demo.network_masks(layer_sizes=(4, 5, 3), p_input=0.3, p_hidden=0.5, n_frames=3, seed=1)
    fig = show_frame(dense_figs.network_figure(anim), 2)
    assert fig.layout.title.text == fig.frames[2].layout.title.text and fig.layout.sliders[0].active == 2
    assert list(fig.data[2].marker.color) == list(fig.frames[2].data[1].marker.color)
    assert fig.data[1].xaxis in (None, "x") and fig.data[0].line.color == dense_figs.pal.LIGHT, "the rest stays"
