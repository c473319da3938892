"""One theme for every figure: projector-friendly fonts, colour-blind-safe colours, small payloads.

Figure builders draw arrays they are given; they never draw random numbers themselves.
"""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.colors import sample_colorscale

from dropviz import methods
from dropviz.figures import palette as c
from dropviz.figures.palette import BLUE, GREY, INK, LIGHT  # noqa: F401  (theme defaults below)
from dropviz.i18n import N_, _

KEPT, DROPPED = BLUE, GREY
MASK_SCALE = "Viridis"  # sequential: masked values; 0 (dropped) is the darkest colour
FONT = dict(size=15, color=INK)


def style(
    fig: go.Figure, *, title: str | None = None, height: int = 360, legend: bool = True, legend_below: bool = False
) -> go.Figure:
    """Apply the shared layout: readable fonts, margins that fit the tick labels, legend on top (or below)."""
    where = dict(yanchor="top", y=-0.3) if legend_below else dict(yanchor="bottom", y=1.02)
    fig.update_layout(
        font=FONT,
        height=height,
        margin=dict(l=10, r=10, t=60 if title else 30, b=10),
        title=dict(text=title, x=0, xanchor="left", font=dict(size=17)) if title else None,
        showlegend=legend,
        legend=dict(orientation="h", x=0, xanchor="left", **where),
        template="none",  # our own styling; the default template alone would add ~8 kB to every chart
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    axes = dict(showline=True, linecolor=GREY, gridcolor=LIGHT, zerolinecolor=GREY, automargin=True)
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


HOVER = N_("row %{y}, col %{x}: %{z:.3f}<extra></extra>")


def heatmap(
    z: np.ndarray,
    *,
    zmin: float | None = None,
    zmax: float | None = None,
    colorscale: str = MASK_SCALE,
    colorbar_title: str | None = None,
    showscale: bool = True,
    hover: str | None = None,
) -> go.Heatmap:
    """A heatmap trace with rows top-to-bottom (row 0 at the top), as matrices are read. ``hover``: plotly's
    hovertemplate (default: row, column and value, in the current language)."""
    if hover is None:
        hover = _(HOVER)
    return go.Heatmap(
        z=np.asarray(z, dtype=np.float32),
        zmin=zmin,
        zmax=zmax,
        colorscale=colorscale,
        showscale=showscale,
        colorbar=dict(title=dict(text=colorbar_title or ""), thickness=12, len=0.9),
        hovertemplate=hover,
        xgap=1,
        ygap=1,
    )


def matrix_axes(fig: go.Figure, *, row: int | None = None, col: int | None = None, x_title="", y_title=""):
    """Square cells, y reversed (row 0 on top), no grid."""
    kw = dict(row=row, col=col) if row is not None else {}
    fig.update_yaxes(autorange="reversed", showgrid=False, title_text=y_title, scaleanchor=None, **kw)
    fig.update_xaxes(showgrid=False, title_text=x_title, constrain="domain", **kw)


def binned(samples: np.ndarray, bins: int | np.ndarray = 40, range_: tuple[float, float] | None = None):
    """Histogram counts computed here so the figure ships ~bins numbers, not every sample."""
    counts, edges = np.histogram(np.asarray(samples, dtype=np.float64), bins=bins, range=range_)
    centers = (edges[:-1] + edges[1:]) / 2
    return centers, counts, edges[1:] - edges[:-1]


def to_image(
    values: np.ndarray, *, vmin: float = 0.0, vmax: float | None = None, cell: int = 16, zero: str | None = LIGHT
) -> Image.Image:
    """A small PNG-ready picture of a 2-D array: Viridis colours, each cell ``cell`` pixels. Exact zeros
    (dropped cells) get the colour ``zero`` (light grey) so they cannot be mistaken for small values."""
    a = np.asarray(values, dtype=np.float64)
    vmax = float(a.max()) if vmax is None else vmax
    t = np.clip((a - vmin) / (vmax - vmin if vmax > vmin else 1.0), 0, 1)
    rgb = colour_levels(np.round(t * 255).astype(np.uint8), a == 0 if zero is not None else None, zero or LIGHT)
    rgb = rgb.repeat(cell, axis=0).repeat(cell, axis=1)
    return Image.fromarray(rgb, "RGB")


def thumbnail_image(values: np.ndarray) -> Image.Image:
    """A gallery thumbnail as a picture: a 2-D masked input as :func:`to_image` (dropped cells light grey), or an
    (h, w, 3) colour picture in [0, 1] as it is (a dropped value is a colour channel at 0), enlarged ×3."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim == 2:
        return to_image(a, vmax=3.5, cell=14)
    rgb = np.round(np.clip(a, 0, 1) * 255).astype(np.uint8).repeat(3, axis=0).repeat(3, axis=1)
    return Image.fromarray(rgb, "RGB")


@lru_cache(maxsize=1)
def _lut() -> np.ndarray:
    """(256, 3) uint8: the MASK_SCALE (Viridis) colours."""
    return np.array(
        [[int(c) for c in s[s.index("(") + 1 : -1].split(",")] for s in sample_colorscale(MASK_SCALE, 256)],
        dtype=np.uint8,
    )


def rgb_of(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def colour_levels(levels: np.ndarray, dropped: np.ndarray | None = None, dropped_colour: str = LIGHT) -> np.ndarray:
    """uint8 levels (0 = lowest) -> (…, 3) uint8 Viridis colours; ``dropped`` cells get ``dropped_colour``
    (light grey), so a dropped value cannot be mistaken for a small one."""
    rgb = _lut()[np.asarray(levels, dtype=np.uint8)]
    if dropped is not None:
        rgb[np.asarray(dropped, dtype=bool)] = rgb_of(dropped_colour)
    return rgb


def data_uri(rgb: np.ndarray, fmt: str = "PNG") -> str:
    """A (H, W, 3) uint8 picture as a data URI for ``go.Image(source=...)``: a few kB instead of a JSON
    array of every pixel. JPEG for photographs, PNG for flat colours."""
    buf = io.BytesIO()
    options = {"quality": 75} if fmt == "JPEG" else {}
    Image.fromarray(np.asarray(rgb, dtype=np.uint8), "RGB").save(buf, format=fmt, **options)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buf.getvalue()).decode()}"


ITERATION = N_("iteration ")  # the frame slider's default prefix ("iteration 3")
LOOPS = 30  # how many times ⟳ Loop plays the animation before it stops (❚❚ Pause stops it sooner)


def add_play_controls(fig: go.Figure, n_frames: int, *, frame_ms: int = 900, redraw: bool = False,
                      prefix: str = ITERATION, y: float = -0.1, first_label: int = 1) -> go.Figure:
    """▶ Play / ❚❚ Pause / ½× (slow) / 3× (fast) / ⟳ Loop buttons and a slider (click a step: one frame) for a
    figure whose frames are named "0", "1", …; the slider's
    labels count from ``first_label`` (1 for iterations, 0 for time steps). ``redraw=True`` is needed when
    frames carry heatmaps or images (plotly.js drops them from a frame drawn without a full redraw) or their
    own title (without a redraw the screen keeps the first frame's title). The buttons and ``prefix`` are
    shown translated (the figure is built per language)."""
    prefix = _(prefix)
    play = dict(frame=dict(duration=frame_ms, redraw=redraw), fromcurrent=True, transition=dict(duration=0))
    fast = dict(play, frame=dict(duration=max(frame_ms // 3, 50), redraw=redraw))
    slow = dict(play, frame=dict(duration=frame_ms * 2, redraw=redraw))
    names = [str(f) for f in range(n_frames)]
    looped = dict(play, fromcurrent=False)  # plotly.js has no loop flag: the frame list, LOOPS times over
    fig.update_layout(
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=y,
                xanchor="left",
                yanchor="top",
                pad=dict(t=6, r=6),
                buttons=[
                    dict(label=_("▶ Play"), method="animate", args=[None, play]),
                    dict(label=_("❚❚ Pause"), method="animate",
                         args=[[None], dict(frame=dict(duration=0, redraw=redraw), mode="immediate")]),
                    dict(label="½×", method="animate", args=[None, slow]),
                    dict(label="3×", method="animate", args=[None, fast]),
                    dict(label=_("⟳ Loop"), method="animate", args=[names * LOOPS, looped]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                x=0.42,
                len=0.58,
                y=y,
                yanchor="top",
                currentvalue=dict(prefix=prefix, font=dict(size=14)),
                steps=[
                    dict(label=str(f + first_label), method="animate",
                         args=[[str(f)], dict(mode="immediate", frame=dict(duration=0, redraw=redraw))])
                    for f in range(n_frames)
                ],
            )
        ],
    )
    return fig


def frame_traces(fig: go.Figure, k: int) -> list:
    """The traces ``fig`` shows at frame ``k``: its base traces with frame k's merged in, as plotly.js animates
    (the frame's ``traces`` name the base traces it updates; axes and styles it does not set stay)."""
    data = list(fig.data)
    fr = fig.frames[k]
    idx = list(fr.traces) if fr.traces is not None else list(range(len(fr.data)))
    for i, tr in zip(idx, fr.data, strict=False):
        if i < len(data):
            merged = type(data[i])(data[i])
            merged.update(tr.to_plotly_json())
            data[i] = merged
    return data


def show_frame(fig: go.Figure, k: int) -> go.Figure:
    """``fig`` (in place) opened at frame ``k``: its traces, its title and the frame slider there, so ▶ Play
    goes on from k. Frame 0 is how every animated figure opens."""
    k = min(max(int(k), 0), len(fig.frames) - 1)
    fr = fig.frames[k]
    with fig.batch_update():
        for i, tr in enumerate(frame_traces(fig, k)):
            fig.data[i].update(tr.to_plotly_json())
        if fr.layout and fr.layout.title and fr.layout.title.text:
            fig.layout.title.text = fr.layout.title.text
        if fig.layout.sliders:
            fig.layout.sliders[0].active = k
    return fig


def label(method_id: str) -> str:
    """A method's short label from the registry ("none": the no-dropout baseline)."""
    return _("no dropout") if method_id == "none" else _(methods.get(method_id).label)


def colour(method_id: str) -> str:
    """A method's colour from the registry ("none": the no-dropout baseline)."""
    return c.NO_DROPOUT if method_id == "none" else methods.get(method_id).colour
