"""Figures and pictures for the convolutional pages. Each takes what a :mod:`dropviz.conv` function returned.

Pictures are small uint8 arrays (the page sends them as PNGs); Plotly figures carry images as data URIs.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dropviz import methods
from dropviz.demos.conv import Animation, DropBlockDemo, ImageDemo, InfoRemoved, MaxDropDemo, MaxPoolDemo, MethodView
from dropviz.figures import palette as pal
from dropviz.figures.theme import add_play_controls, colour_levels, data_uri, heatmap, label, matrix_axes, style


def percent(x: float) -> str:
    """0.3 -> '30%', 0.0012 -> '0.12%': small fractions keep their digits."""
    return f"{x:.0%}" if x >= 0.1 or x == 0 else f"{x * 100:.2g}%" if x < 0.01 else f"{x:.1%}"


def map_tiles(levels: np.ndarray, dropped: np.ndarray | None = None) -> list[np.ndarray]:
    """(C, h, w) uint8 levels (+ dropped mask) -> C small RGB tiles: Viridis, dropped cells light grey."""
    return [colour_levels(levels[c], None if dropped is None else dropped[c]) for c in range(levels.shape[0])]


COLOUR_CHANNELS = ("red", "green", "blue")


def _and(words: list[str]) -> str:
    return " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]


def _why(view: MethodView) -> str:
    """Why this draw's dropped fraction is far from p, for the methods whose unit is a whole channel or a
    channel's maximum; read from the draw itself (which colour channels lost values)."""
    hit = [name for name, f in zip(COLOUR_CHANNELS, view.image_channel_dropped, strict=False) if f > 0]
    n = len(view.image_channel_dropped)
    if view.method == "spatial":
        which = f"the {_and(hit)} channel{'s' if len(hit) > 1 else ''}" if hit else "no channel"
        steps = ", ".join(percent(k / n) for k in range(n)) + f" or {percent(1.0)}"
        return (f": this draw dropped {which} ({len(hit)} of {n}). Each colour channel is one draw with "
                f"probability p, so one picture can only lose {steps} of its values; p is the average over draws")
    if view.method == "maxdrop":
        which = f"the {_and(hit)} channel{'s' if len(hit) > 1 else ''}" if hit else "no channel"
        return (f": it removes only each channel's maximum (and the window around it), each with probability p; "
                f"in this draw {which} lost {'their maxima' if len(hit) > 1 else 'its maximum'}, "
                "and every other value is kept")
    return ""


def method_row(view: MethodView, filters) -> tuple[list[np.ndarray], list[str]]:
    """One row of the side-by-side grid: the masked image, then its masked feature maps, with captions."""
    pooled = not methods.get(view.method).keeps_resolution
    tiles = [view.image, *map_tiles(view.maps, None if pooled else view.maps_dropped_at)]
    what = "pooled output, half size" if pooled else f"{percent(view.image_dropped)} of values dropped{_why(view)}"
    captions = [f"{label(view.method)}: {what}", *(f.name for f in filters)]
    return tiles, captions


def clean_row(demo: ImageDemo) -> tuple[list[np.ndarray], list[str]]:
    return [demo.original, *map_tiles(demo.maps)], ["No dropout", *(f.name for f in demo.filters)]


def animation_figure(anim: Animation, original: np.ndarray, *, frame_ms: int = 700, cols: int = 3) -> go.Figure:
    """Successive training iterations, one fresh mask per method per frame, beside the unmasked ``original``
    (the picture (H, W, 3) uint8, or the map's levels (h, w)) in a grid. ▶ Play / ❚❚ Pause and a slider."""
    n_frames, n_methods = anim.frames.shape[:2]
    is_map = anim.dropped_at is not None

    def picture(f: int, m: int) -> str:
        if not is_map:
            return data_uri(anim.frames[f, m], "JPEG")
        return data_uri(colour_levels(anim.frames[f, m], anim.dropped_at[f, m]))

    def images(f: int) -> list[go.Image]:
        return [go.Image(source=picture(f, m), hoverinfo="skip") for m in range(n_methods)]

    def caption(f: int) -> str:
        return f"Iteration {f + 1} of {n_frames}: a fresh mask for every method"

    n = n_methods + 1
    rows = -(-n // cols)
    titles = ["No dropout"] + [f"{label(m)}" for m in anim.methods]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.01, vertical_spacing=0.06)
    ref = data_uri(original, "JPEG") if not is_map else data_uri(colour_levels(original))
    fig.add_trace(go.Image(source=ref, hoverinfo="skip"), row=1, col=1)
    for m, trace in enumerate(images(0)):
        fig.add_trace(trace, row=(m + 1) // cols + 1, col=(m + 1) % cols + 1)
    fig.frames = [go.Frame(data=images(f), traces=list(range(1, n)), name=str(f), layout=dict(title_text=caption(f)))
                  for f in range(n_frames)]
    h, w = anim.frames.shape[2:4]
    style(fig, title=caption(0), height=int(rows * (930 / cols) * h / w + 170), legend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(margin=dict(l=10, r=10, t=80, b=90))
    fig.update_annotations(font_size=14)
    return add_play_controls(fig, n_frames, frame_ms=frame_ms, redraw=True, y=-0.02)


def information_figure(info: InfoRemoved) -> go.Figure:
    """PSNR after inpainting, per method at the same p; beside it pixel dropout removing as many values as
    that method actually removed."""
    names = [label(m) for m in info.methods]
    cap = 60.0  # a perfect reconstruction (nothing dropped) would be infinite
    y = np.minimum(info.psnr_inpainted, cap)
    fig = go.Figure()
    fig.add_bar(x=names, y=y, name=f"after inpainting, same p = {info.p:g}", marker_color=pal.BLUE,
                text=[("∞" if not np.isfinite(v) else f"{v:.1f} dB") for v in info.psnr_inpainted],
                textposition="outside", hovertemplate="%{x}: %{text}<extra></extra>")
    matched = np.where(np.array(info.methods) == "pixel", np.nan, np.minimum(info.psnr_matched_pixel, cap))
    fig.add_bar(x=names, y=matched, name="pixel dropout removing the same fraction of values", marker_color=pal.SKY,
                hovertemplate="pixel dropout at the same actual fraction: %{y:.1f} dB<extra></extra>")
    style(fig, height=380)
    fig.update_layout(barmode="group", bargap=0.3)
    fig.update_yaxes(title_text="PSNR (dB)", rangemode="tozero")
    return fig


# -- max-pooling dropout ---------------------------------------------------------------------------


def _window_shapes(fig: go.Figure, side: int, pool: int, *, xref: str, yref: str) -> None:
    for k in range(0, side + 1, pool):
        fig.add_shape(type="line", x0=k - 0.5, x1=k - 0.5, y0=-0.5, y1=side - 0.5, xref=xref, yref=yref,
                      line=dict(color=pal.INK, width=3))
        fig.add_shape(type="line", y0=k - 0.5, y1=k - 0.5, x0=-0.5, x1=side - 0.5, xref=xref, yref=yref,
                      line=dict(color=pal.INK, width=3))


def maxpool_grid_figure(d: MaxPoolDemo) -> go.Figure:
    """Left: the activations, thick lines around each pooling window, dropped cells crossed out. Right: the
    pooled output of this training pass (the max of each window's kept values)."""
    side = d.x.shape[0]
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.08,
                        subplot_titles=(f"Activations ({d.filter} map), {d.pool}×{d.pool} windows",
                                        "Pooled output of this training pass"))
    vmax = float(max(d.x.max(), 1e-6))
    fig.add_trace(heatmap(d.x, zmin=0, zmax=vmax, colorscale="Blues", colorbar_title="activation",
                          hover="row %{y}, col %{x}: %{z:.3f}<extra></extra>"), row=1, col=1)
    fig.data[-1].update(text=np.round(d.x, 2).astype(str), texttemplate="%{text}", textfont=dict(size=12))
    ys, xs = np.nonzero(~d.keep)
    # a small cross in the top-right corner of each dropped cell, clear of the number in its centre
    fig.add_scatter(x=xs + 0.3, y=ys - 0.3, mode="markers", name="dropped in this pass (✕ in the cell's corner)",
                    hoverinfo="skip", marker=dict(symbol="x-thin", size=10, line=dict(width=3, color=pal.VERMILION)),
                    row=1, col=1)
    fig.add_trace(heatmap(d.train_out, zmin=0, zmax=vmax, colorscale="Blues", showscale=False,
                          hover="window (%{y}, %{x}): %{z:.3f}<extra></extra>"), row=1, col=2)
    fig.data[-1].update(text=np.round(d.train_out, 2).astype(str), texttemplate="%{text}", textfont=dict(size=14))
    _window_shapes(fig, side, d.pool, xref="x", yref="y")
    matrix_axes(fig, row=1, col=1)
    matrix_axes(fig, row=1, col=2)
    fig.update_xaxes(dtick=1, range=[-0.5, side - 0.5], row=1, col=1)
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(dtick=1)
    fig.update_yaxes(scaleanchor="x", constrain="domain", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", constrain="domain", row=1, col=2)  # square cells, no empty rows added
    style(fig, height=560, legend_below=True)
    fig.update_annotations(font_size=14)
    fig.update_layout(margin=dict(b=60))
    return fig


def maxpool_rules_figure(d: MaxPoolDemo) -> go.Figure:
    """Per pooled unit: the Monte Carlo mean of the training outputs (bars, ±2 standard errors) against the
    three test-time rules."""
    units = [f"{i // d.mc_mean.shape[1]},{i % d.mc_mean.shape[1]}" for i in range(d.mc_mean.size)]
    fig = go.Figure()
    fig.add_bar(x=units, y=d.mc_mean.ravel(), name=f"mean of {d.n_mc:,} training outputs", marker_color=pal.LIGHT,
                marker_line=dict(color=pal.GREY, width=1),
                error_y=dict(type="data", array=2 * d.mc_se.ravel(), color=pal.GREY, thickness=1.5))
    for rule, name, symbol, colour in (
        (d.max_out, "max pooling", "triangle-up", pal.VERMILION),
        (d.scaled_out, "scaled max (1−p)·max", "triangle-down", pal.ORANGE),
        (d.pwp_out, "probabilistic weighted pooling", "circle", pal.GREEN),
    ):
        fig.add_scatter(x=units, y=rule.ravel(), mode="markers", name=f"{name} (error {d.error(rule):.4f})",
                        marker=dict(symbol=symbol, size=12, color=colour, line=dict(color=pal.INK, width=1)))
    style(fig, height=430)
    fig.update_xaxes(title_text="pooled unit (row, col)", type="category")
    fig.update_yaxes(title_text="output at test time", rangemode="tozero")
    fig.update_layout(margin=dict(t=90))
    return fig


def window_distribution_figure(d: MaxPoolDemo) -> go.Figure:
    """One window's training output is a random draw: its i-th smallest activation a_(i) with probability
    q(1−q)^(n−i), or 0 if all are dropped (equal values pool their probabilities). Theory beside the
    measured frequencies."""
    labels = [f"{v:.3g}" + (" (incl. all dropped)" if v == 0 else "") for v in d.window_outcomes]
    fig = go.Figure()
    fig.add_bar(x=labels, y=d.window_theory, name="theory: Σ q(1−q)^(n−i) over the a_(i) with that value",
                marker_color=pal.PURPLE)
    fig.add_bar(x=labels, y=d.window_freq, name=f"measured over {d.n_mc:,} passes", marker_color=pal.SKY)
    style(fig, height=330)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=f"output of the window at {d.window_at} (its activations: "
                     + ", ".join(f"{v:.2f}" for v in d.window_values) + ")", type="category")
    fig.update_yaxes(title_text="probability", rangemode="tozero")
    return fig


# -- DropBlock and Max-Drop ------------------------------------------------------------------------


def dropblock_rate_figure(d: DropBlockDemo) -> go.Figure:
    """Nominal p against the fraction of positions actually dropped: overlapping blocks drop less."""
    fig = go.Figure()
    fig.add_scatter(x=d.p_grid, y=d.p_grid, mode="lines", line=dict(color=pal.GREY, dash="dash", width=2),
                    name="nominal: dropped fraction = p")
    fig.add_scatter(x=d.p_grid, y=d.expected_grid, mode="lines", line=dict(color=pal.BLUE, width=3),
                    name="expected: mean of 1 − (1−γ)^(seeds covering a position)")
    fig.add_scatter(x=d.p_grid, y=d.actual_grid, mode="markers", marker=dict(color=pal.ORANGE, size=9),
                    name="measured")
    fig.add_scatter(x=[d.p], y=[d.actual], mode="markers", name=f"this draw at p = {d.p:g}",
                    marker=dict(symbol="star", size=16, color=pal.VERMILION, line=dict(color=pal.INK, width=1)))
    style(fig, height=440)
    fig.update_xaxes(title_text="nominal drop probability p", range=[-0.02, 1.02])
    fig.update_yaxes(title_text="fraction actually dropped", range=[-0.02, 1.02])
    fig.update_layout(margin=dict(t=90))
    return fig


def maxdrop_figure(d: MaxDropDemo, filters, cols: int = 4) -> go.Figure:
    """The feature maps after Max-Drop: each map's maximum is ringed; a dropped one is crossed out (with its
    window outlined when the window is larger than one activation)."""
    n = d.maps.shape[0]
    rows = -(-n // cols)
    titles = [f"{f.name}: {'max dropped' if d.hit[i] else 'kept'}" for i, f in enumerate(filters)]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.015, vertical_spacing=0.08)
    r = d.window // 2
    for i in range(n):
        row, col = i // cols + 1, i % cols + 1
        fig.add_trace(go.Image(source=data_uri(colour_levels(d.maps[i], d.dropped_at[i])), hoverinfo="skip"),
                      row=row, col=col)
        y, x = (int(v) for v in d.argmax[i])
        hit = bool(d.hit[i])
        fig.add_scatter(x=[x], y=[y], mode="markers", showlegend=False,
                        marker=dict(symbol="x-thin-open" if hit else "circle-open", size=18,
                                    line=dict(width=3, color=pal.VERMILION if hit else pal.ORANGE),
                                    color=pal.VERMILION if hit else pal.ORANGE),
                        hovertemplate=f"maximum {d.max_level[i]:.2f} at row {y}, col {x}: "
                                      f"{'dropped' if hit else 'kept'}<extra></extra>", row=row, col=col)
        if hit and d.window > 1:
            fig.add_shape(type="rect", x0=x - r - 0.5, x1=x + r + 0.5, y0=y - r - 0.5, y1=y + r + 0.5,
                          line=dict(color=pal.VERMILION, width=2), row=row, col=col)
    h, w = d.maps.shape[1:]
    fig.update_xaxes(visible=False, range=[-0.5, w - 0.5])
    fig.update_yaxes(visible=False, range=[h - 0.5, -0.5])
    style(fig, height=int(rows * (1300 / cols) * h / w + 80), legend=False)
    fig.update_annotations(font_size=13)
    return fig

