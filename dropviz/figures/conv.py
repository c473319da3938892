"""Figures and pictures for the convolutional pages. Each takes what a :mod:`dropviz.conv` function returned.

Pictures are small uint8 arrays (the page sends them as PNGs); Plotly figures carry images as data URIs.
"""

from __future__ import annotations

import re

import numpy as np
import plotly.graph_objects as go
from babel.lists import format_list
from plotly.subplots import make_subplots

from dropviz import i18n, methods
from dropviz.demos.conv import Animation, DropBlockDemo, ImageDemo, InfoRemoved, MaxDropDemo, MaxPoolDemo, MethodView
from dropviz.figures import palette as pal
from dropviz.figures.theme import add_play_controls, colour_levels, data_uri, heatmap, label, matrix_axes, style
from dropviz.i18n import N_, _, ngettext


def percent(x: float) -> str:
    """0.3 -> '30%', 0.0012 -> '0.12%': small fractions keep their digits."""
    return f"{x:.0%}" if x >= 0.1 or x == 0 else f"{x * 100:.2g}%" if x < 0.01 else f"{x:.1%}"


def map_tiles(levels: np.ndarray, dropped: np.ndarray | None = None) -> list[np.ndarray]:
    """(C, h, w) uint8 levels (+ dropped mask) -> C small RGB tiles: Viridis, dropped cells light grey."""
    return [colour_levels(levels[c], None if dropped is None else dropped[c]) for c in range(levels.shape[0])]


COLOUR_CHANNELS = ("red", "green", "blue")  # (R, G, B) as the captions name them (English: the code's names)
_CHANNEL_NAMES = {"red": N_("red"), "green": N_("green"), "blue": N_("blue")}

# The filter bank's names and what each detects (dropviz.imaging, English) as shown on these pages; the four
# edge filters are "edge {deg}°" and are translated with their angle as a placeholder.
_FILTER_NAMES = {"blur": N_("blur"), "red − green": N_("red − green"), "yellow − blue": N_("yellow − blue"),
                 "centre − surround": N_("centre − surround")}
_FILTER_DETECTS = {"blur": N_("local brightness (Gaussian σ = 1)"),
                   "red − green": N_("reddish regions (colour opponent)"),
                   "yellow − blue": N_("yellow / orange regions (colour opponent)"),
                   "centre − surround": N_("small bright spots and thin light lines")}
_EDGE = re.compile(r"edge (\d+)°")


def filter_name(name: str) -> str:
    """A feature map's filter name (``Filter.name``) in the current language."""
    edge = _EDGE.fullmatch(name)
    if edge:
        return _("edge {deg}°").format(deg=edge[1])
    return _(_FILTER_NAMES[name]) if name in _FILTER_NAMES else name


def filter_detects(name: str, detects: str) -> str:
    """What a bright pixel in filter ``name``'s map means (``Filter.detects``), in the current language."""
    edge = _EDGE.fullmatch(name)
    if edge:
        return _("brightness rising towards {deg}°").format(deg=edge[1])
    return _(_FILTER_DETECTS[name]) if name in _FILTER_DETECTS else detects


def filters_legend(filters) -> str:
    """"**edge 0°**: brightness rising towards 0° · ..." for a caption under the feature maps."""
    return " · ".join(f"**{filter_name(f.name)}**: {filter_detects(f.name, f.detects)}" for f in filters)


# The choices of the images page's selectors as displayed; their values (the URL's) stay English. The page's URL-
# bound selector (ui.bound_select) has no format_func yet, so the page cannot show these there (see option_label).
_OPTION_LABELS = {"square": N_("square"), "rectangle": N_("rectangle"), "circle": N_("circle"),
                  "all (the paper)": N_("all (the paper)"), "one": N_("one"), "two": N_("two"),
                  "the picture": N_("the picture")}


def option_label(value: str) -> str:
    """A selector choice of the conv pages (a Cutout shape, channels per hole, what to animate: the picture or a
    filter's name) as displayed in the current language; ``value`` itself is what the URL holds."""
    return _(_OPTION_LABELS[value]) if value in _OPTION_LABELS else filter_name(value)


def _channels(names: list[str]) -> str:
    """["red", "green"] -> "red and green" in the current language (Babel's list patterns)."""
    return format_list([_(_CHANNEL_NAMES[n]) for n in names], locale=i18n.LOCALES[i18n.language()])


def _caption(view: MethodView) -> str:
    """The masked picture's caption: how much it lost and, for the methods whose unit is a whole channel or a
    channel's maximum, why this draw's dropped fraction is far from p, read from the draw itself (which colour
    channels lost values)."""
    method = label(view.method)
    if not methods.get(view.method).keeps_resolution:
        return _("{method}: pooled output, half size").format(method=method)
    hit = [name for name, f in zip(COLOUR_CHANNELS, view.image_channel_dropped, strict=False) if f > 0]
    n, k = len(view.image_channel_dropped), len(hit)
    values = dict(method=method, pct=percent(view.image_dropped), channels=_channels(hit), k=k, n=n)
    if view.method == "spatial":
        steps = ", ".join(percent(j / n) for j in range(n))
        what = (ngettext("{method}: {pct} of values dropped: this draw dropped the {channels} channel ({k} of {n}).",
                         "{method}: {pct} of values dropped: this draw dropped the {channels} channels ({k} of {n}).",
                         k) if hit else
                _("{method}: {pct} of values dropped: this draw dropped no channel ({k} of {n}).")).format(**values)
        return what + " " + _("Each colour channel is one draw with probability p, so one picture can only lose "
                              "{steps} or {all} of its values; p is the average over draws").format(
            steps=steps, all=percent(1.0))
    if view.method == "maxdrop":
        return (ngettext("{method}: {pct} of values dropped: it removes only each channel's maximum (and the window "
                         "around it), each with probability p; in this draw the {channels} channel lost its "
                         "maximum, and every other value is kept",
                         "{method}: {pct} of values dropped: it removes only each channel's maximum (and the window "
                         "around it), each with probability p; in this draw the {channels} channels lost their "
                         "maxima, and every other value is kept", k) if hit else
                _("{method}: {pct} of values dropped: it removes only each channel's maximum (and the window around "
                  "it), each with probability p; in this draw no channel lost its maximum, and every other value "
                  "is kept")).format(**values)
    return _("{method}: {pct} of values dropped").format(**values)


def method_row(view: MethodView, filters) -> tuple[list[np.ndarray], list[str]]:
    """One row of the side-by-side grid: the masked image, then its masked feature maps, with captions."""
    pooled = not methods.get(view.method).keeps_resolution
    tiles = [view.image, *map_tiles(view.maps, None if pooled else view.maps_dropped_at)]
    return tiles, [_caption(view), *(filter_name(f.name) for f in filters)]


def clean_row(demo: ImageDemo) -> tuple[list[np.ndarray], list[str]]:
    return [demo.original, *map_tiles(demo.maps)], [_("No dropout"), *(filter_name(f.name) for f in demo.filters)]


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
        return _("Iteration {i} of {n}: a fresh mask for every method").format(i=f + 1, n=n_frames)

    n = n_methods + 1
    rows = -(-n // cols)
    titles = [_("No dropout")] + [f"{label(m)}" for m in anim.methods]
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
    return add_play_controls(fig, n_frames, frame_ms=frame_ms, redraw=True, y=-0.02,
                             prefix=_("iteration") + " ")  # the slider reads "iteration 3"


def information_figure(info: InfoRemoved) -> go.Figure:
    """PSNR after inpainting, per method at the same p; beside it pixel dropout removing as many values as
    that method actually removed."""
    names = [label(m) for m in info.methods]
    cap = 60.0  # a perfect reconstruction (nothing dropped) would be infinite
    y = np.minimum(info.psnr_inpainted, cap)
    fig = go.Figure()
    fig.add_bar(x=names, y=y, name=_("after inpainting, same p = {p}").format(p=f"{info.p:g}"), marker_color=pal.BLUE,
                text=[("∞" if not np.isfinite(v) else f"{v:.1f} dB") for v in info.psnr_inpainted],
                textposition="outside", hovertemplate="%{x}: %{text}<extra></extra>")
    matched = np.where(np.array(info.methods) == "pixel", np.nan, np.minimum(info.psnr_matched_pixel, cap))
    fig.add_bar(x=names, y=matched, name=_("pixel dropout removing the same fraction of values"),
                marker_color=pal.SKY,
                hovertemplate=_("pixel dropout at the same actual fraction: {value} dB").format(value="%{y:.1f}")
                + "<extra></extra>")
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
                        subplot_titles=(_("Activations ({map} map), {k}×{k} windows").format(
                                            map=filter_name(d.filter), k=d.pool),
                                        _("Pooled output of this training pass")))
    vmax = float(max(d.x.max(), 1e-6))
    fig.add_trace(heatmap(d.x, zmin=0, zmax=vmax, colorscale="Blues", colorbar_title=_("activation"),
                          hover=_("row {row}, col {col}: {value}").format(row="%{y}", col="%{x}", value="%{z:.3f}")
                          + "<extra></extra>"), row=1, col=1)
    fig.data[-1].update(text=np.round(d.x, 2).astype(str), texttemplate="%{text}", textfont=dict(size=12))
    ys, xs = np.nonzero(~d.keep)
    # a small cross in the top-right corner of each dropped cell, clear of the number in its centre
    fig.add_scatter(x=xs + 0.3, y=ys - 0.3, mode="markers", name=_("dropped in this pass (✕ in the cell's corner)"),
                    hoverinfo="skip", marker=dict(symbol="x-thin", size=10, line=dict(width=3, color=pal.VERMILION)),
                    row=1, col=1)
    fig.add_trace(heatmap(d.train_out, zmin=0, zmax=vmax, colorscale="Blues", showscale=False,
                          hover=_("window ({row}, {col}): {value}").format(row="%{y}", col="%{x}", value="%{z:.3f}")
                          + "<extra></extra>"), row=1, col=2)
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
    fig.add_bar(x=units, y=d.mc_mean.ravel(), name=_("mean of {n} training outputs").format(n=i18n.fmt(d.n_mc, 0)),
                marker_color=pal.LIGHT,
                marker_line=dict(color=pal.GREY, width=1),
                error_y=dict(type="data", array=2 * d.mc_se.ravel(), color=pal.GREY, thickness=1.5))
    for rule, name, symbol, colour in (
        (d.max_out, _("max pooling"), "triangle-up", pal.VERMILION),
        (d.scaled_out, _("scaled max (1−p)·max"), "triangle-down", pal.ORANGE),
        (d.pwp_out, _("probabilistic weighted pooling"), "circle", pal.GREEN),
    ):
        fig.add_scatter(x=units, y=rule.ravel(), mode="markers",
                        name=_("{rule} (error {error})").format(rule=name, error=f"{d.error(rule):.4f}"),
                        marker=dict(symbol=symbol, size=12, color=colour, line=dict(color=pal.INK, width=1)))
    style(fig, height=430)
    fig.update_xaxes(title_text=_("pooled unit (row, col)"), type="category")
    fig.update_yaxes(title_text=_("output at test time"), rangemode="tozero")
    fig.update_layout(margin=dict(t=90))
    return fig


def window_distribution_figure(d: MaxPoolDemo) -> go.Figure:
    """One window's training output is a random draw: its i-th smallest activation a_(i) with probability
    q(1−q)^(n−i), or 0 if all are dropped (equal values pool their probabilities). Theory beside the
    measured frequencies."""
    labels = [_("{value} (incl. all dropped)").format(value=f"{v:.3g}") if v == 0 else f"{v:.3g}"
              for v in d.window_outcomes]
    fig = go.Figure()
    fig.add_bar(x=labels, y=d.window_theory, name=_("theory: Σ q(1−q)^(n−i) over the a_(i) with that value"),
                marker_color=pal.PURPLE)
    fig.add_bar(x=labels, y=d.window_freq, name=_("measured over {n} passes").format(n=i18n.fmt(d.n_mc, 0)),
                marker_color=pal.SKY)
    style(fig, height=330)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=_("output of the window at {where} (its activations: {values})").format(
        where=str(d.window_at), values=", ".join(f"{v:.2f}" for v in d.window_values)), type="category")
    fig.update_yaxes(title_text=_("probability"), rangemode="tozero")
    return fig


# -- DropBlock and Max-Drop ------------------------------------------------------------------------


def dropblock_rate_figure(d: DropBlockDemo) -> go.Figure:
    """Nominal p against the fraction of positions actually dropped: overlapping blocks drop less."""
    fig = go.Figure()
    fig.add_scatter(x=d.p_grid, y=d.p_grid, mode="lines", line=dict(color=pal.GREY, dash="dash", width=2),
                    name=_("nominal: dropped fraction = p"))
    fig.add_scatter(x=d.p_grid, y=d.expected_grid, mode="lines", line=dict(color=pal.BLUE, width=3),
                    name=_("expected: mean of 1 − (1−γ)^(seeds covering a position)"))
    fig.add_scatter(x=d.p_grid, y=d.actual_grid, mode="markers", marker=dict(color=pal.ORANGE, size=9),
                    name=_("measured"))
    fig.add_scatter(x=[d.p], y=[d.actual], mode="markers", name=_("this draw at p = {p}").format(p=f"{d.p:g}"),
                    marker=dict(symbol="star", size=16, color=pal.VERMILION, line=dict(color=pal.INK, width=1)))
    style(fig, height=440)
    fig.update_xaxes(title_text=_("nominal drop probability p"), range=[-0.02, 1.02])
    fig.update_yaxes(title_text=_("fraction actually dropped"), range=[-0.02, 1.02])
    fig.update_layout(margin=dict(t=90))
    return fig


def maxdrop_figure(d: MaxDropDemo, filters, cols: int = 4) -> go.Figure:
    """The feature maps after Max-Drop: each map's maximum is ringed; a dropped one is crossed out (with its
    window outlined when the window is larger than one activation)."""
    n = d.maps.shape[0]
    rows = -(-n // cols)
    titles = [(_("{map}: max dropped") if d.hit[i] else _("{map}: kept")).format(map=filter_name(f.name))
              for i, f in enumerate(filters)]
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
                        hovertemplate=(_("maximum {value} at row {row}, col {col}: dropped") if hit else
                                       _("maximum {value} at row {row}, col {col}: kept")).format(
                                           value=f"{d.max_level[i]:.2f}", row=y, col=x) + "<extra></extra>",
                        row=row, col=col)
        if hit and d.window > 1:
            fig.add_shape(type="rect", x0=x - r - 0.5, x1=x + r + 0.5, y0=y - r - 0.5, y1=y + r + 0.5,
                          line=dict(color=pal.VERMILION, width=2), row=row, col=col)
    h, w = d.maps.shape[1:]
    fig.update_xaxes(visible=False, range=[-0.5, w - 0.5])
    fig.update_yaxes(visible=False, range=[h - 0.5, -0.5])
    style(fig, height=int(rows * (1300 / cols) * h / w + 80), legend=False)
    fig.update_annotations(font_size=13)
    return fig

