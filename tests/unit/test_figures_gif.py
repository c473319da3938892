"""The GIF exporter draws the figure's own frames: frame count, bounded size, and frames that differ exactly
where the masks differ."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from dropviz.data import images
from dropviz.demos import conv as conv_demo
from dropviz.demos import dense as dense_demo
from dropviz.figures import conv as conv_figs
from dropviz.figures import dense as dense_figs
from dropviz.figures import gif

TITLE_BAND = 40  # px at the top where each frame writes its own title ("Iteration k ...")


def gif_frames(data: bytes) -> list[np.ndarray]:
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF"
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")).astype(np.int16))
    return out


def plot_area(frame: np.ndarray) -> np.ndarray:
    return frame[TITLE_BAND:-gif.CAPTION_PX]


def network(p: float, n_frames: int = 8):
    anim = dense_demo.network_masks(layer_sizes=(5, 6, 6, 3), p_input=p, p_hidden=p, n_frames=n_frames, seed=3,
                                    device="cpu")
    return anim, dense_figs.network_figure(anim)


def test_network_gif_has_one_frame_per_iteration_and_differs_as_the_masks_do():
    anim, fig = network(0.4)
    frames = gif_frames(gif.animation_gif(fig, "DropViz · p = 0.4 · seed = 3"))
    assert len(frames) == len(fig.frames) == 8
    h, w = frames[0].shape[:2]
    assert w <= gif.MAX_WIDTH and h <= gif.MAX_HEIGHT + gif.CAPTION_PX
    for a in range(len(frames)):
        for b in range(a + 1, len(frames)):
            same_mask = all(np.array_equal(k[a], k[b]) for k in anim.keep)
            same_picture = np.array_equal(plot_area(frames[a]), plot_area(frames[b]))
            assert same_mask == same_picture, (a, b)


def test_without_dropout_every_frame_draws_the_same_network():
    _, fig = network(0.0, n_frames=4)
    frames = gif_frames(gif.animation_gif(fig, "p = 0"))
    assert len(frames) == 4 and all(np.array_equal(plot_area(frames[0]), plot_area(f)) for f in frames)
    assert not np.array_equal(frames[0][:TITLE_BAND], frames[1][:TITLE_BAND]), "each frame is titled"


def test_dropped_units_are_drawn_as_open_circles():
    """A kept unit is a filled blue disc, a dropped one a white disc with a grey ring: the frame's own marker
    colours reach the picture (the centre pixel of each unit)."""
    anim, fig = network(0.5, n_frames=2)
    frames = gif_frames(gif.animation_gif(fig, "c"))
    marker = gif.frames_of(fig)[1].traces[2]
    ranges = gif._ranges(fig, gif.frames_of(fig))
    height = min(int(fig.layout.height * gif.MAX_WIDTH / 1100), gif.MAX_HEIGHT)
    canvas = gif._Canvas(fig, gif.MAX_WIDTH, height, ranges)
    px, py = canvas.mapper(marker)(np.asarray(marker.x, float), np.asarray(marker.y, float))
    kept = np.concatenate([k[1] for k in anim.keep])
    for x, y, k in zip(px, py, kept, strict=True):
        r, g, b = frames[1][round(y), round(x)]
        assert (b > r + 60) == bool(k), (x, y, k, (r, g, b))


def test_image_gif_frames_follow_the_animation_frames():
    cat = images.cat()
    anim = conv_demo.animation(image=cat, p=0.3, seed=0, n_frames=3, device="cpu")
    fig = conv_figs.animation_figure(anim, cat.pixels)
    frames = gif_frames(gif.animation_gif(fig, "images · p = 0.3 · seed = 0"))
    assert len(frames) == 3
    assert not np.array_equal(plot_area(frames[0]), plot_area(frames[1])), "a fresh mask every iteration"


def test_frame_count_is_bounded_and_sampled_evenly():
    assert gif.sampled(5) == [0, 1, 2, 3, 4]
    s = gif.sampled(200)
    assert len(s) == gif.MAX_FRAMES and s[0] == 0 and s[-1] == 199
    assert np.ptp(np.diff(s)) <= 1


def test_gif_plays_at_the_figures_speed_and_loops():
    _, fig = network(0.4, n_frames=3)
    im = Image.open(io.BytesIO(gif.animation_gif(fig, "c")))
    assert im.info["duration"] == gif.frame_ms(fig) == 900
    assert im.info.get("loop") == 0


def test_a_frame_as_png_is_slide_wide_and_shows_that_frames_masks():
    anim, fig = network(0.4, n_frames=4)
    assert fig.layout.updatemenus, "the figure itself carries play controls"
    pics = [np.asarray(Image.open(io.BytesIO(gif.frame_png(fig, i, "DropViz · p = 0.4"))).convert("RGB"))
            for i in range(4)]
    assert all(p.shape[1] == gif.PNG_WIDTH == 1920 for p in pics)
    band = 2 * TITLE_BAND  # the title band grows with the picture (2× a GIF's width)
    for a in range(4):
        for b in range(a + 1, 4):
            same_mask = all(np.array_equal(k[a], k[b]) for k in anim.keep)
            assert same_mask == np.array_equal(pics[a][band:-2 * gif.CAPTION_PX], pics[b][band:-2 * gif.CAPTION_PX])
    # the bottom rows (where plotly.js draws the ▶ Play button and the frame slider) hold nothing but the caption
    # band's rule: the controls are the page's, not the picture's
    above_caption = pics[0][-2 * gif.CAPTION_PX - 12:-2 * gif.CAPTION_PX - 2]
    assert (above_caption > 240).all()
