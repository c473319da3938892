"""Figures for the dense-layer pages. Each takes the dataclass a :mod:`dropviz.dense` function returned."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dropviz.demos.dense import DropConnectDemo, MaskPair, NetworkAnimation, StandoutDemo, TrainTest, UnitOutput
from dropviz.figures import palette as pal
from dropviz.figures.theme import add_play_controls, binned, heatmap, matrix_axes, style
from dropviz.i18n import LOCALES, _, fmt, language, ngettext

# --------------------------------------------------------------------------------------------------
# Numbers in the dense pages' sentences, legends and metrics


def num(x: float, spec: str) -> str:
    """``x`` formatted by a Python format ``spec`` (".3f", "+.3f", ".1%", "g": the digits the page shows) with
    the current language's decimal separator (es, ro: a comma). No grouping: these values are small."""
    from babel.numbers import get_decimal_symbol

    text = format(x, spec)
    sep = get_decimal_symbol(LOCALES[language()])
    return text.replace(".", sep) if sep != "." else text


# --------------------------------------------------------------------------------------------------
# Standard dropout


def _node_positions(layer_sizes: tuple[int, ...]) -> list[np.ndarray]:
    """(size, 2) x/y per layer; layers centred vertically."""
    return [
        np.stack([np.full(n, i, float), np.arange(n, dtype=float) - (n - 1) / 2], 1)
        for i, n in enumerate(layer_sizes)
    ]


def _edges(pos: list[np.ndarray], keep: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """Line segments between consecutive layers (NaN-separated), only between kept units if ``keep``."""
    xs, ys = [], []
    for i, (a, b) in enumerate(zip(pos[:-1], pos[1:], strict=True)):
        for s in range(len(a)):
            for t in range(len(b)):
                if keep is None or (keep[i][s] and keep[i + 1][t]):
                    xs += [a[s, 0], b[t, 0], np.nan]
                    ys += [a[s, 1], b[t, 1], np.nan]
    return np.array(xs, np.float32), np.array(ys, np.float32)


def _frame_traces(pos, keep_f: list[np.ndarray]) -> list[go.Scatter]:
    ex, ey = _edges(pos, keep_f)
    allpos = np.concatenate(pos)
    kept = np.concatenate(keep_f)
    return [
        go.Scatter(x=ex, y=ey, mode="lines", line=dict(color=pal.BLUE, width=1.6), hoverinfo="skip",
                   name=_("active connection")),
        go.Scatter(
            x=allpos[:, 0].astype(np.float32),
            y=allpos[:, 1].astype(np.float32),
            mode="markers",
            marker=dict(  # open symbols draw their outline in marker.color
                size=26,
                color=[pal.BLUE if k else pal.GREY for k in kept],
                symbol=["circle" if k else "circle-x-open" for k in kept],
                line=dict(color=pal.INK, width=2),
            ),
            hoverinfo="skip",
            name=_("unit (open ✕ = dropped)"),
        ),
    ]


def network_figure(anim: NetworkAnimation, *, frame_ms: int = 900) -> go.Figure:
    """An animated MLP: every frame is one training iteration with a fresh mask. Dropped units are open
    circles with a cross, and their connections fall back to the grey background."""
    pos = _node_positions(anim.layer_sizes)
    n_frames = anim.keep[0].shape[0]
    hidden_total = sum(anim.layer_sizes[1:-1])

    def keep_at(f: int) -> list[np.ndarray]:
        return [k[f] for k in anim.keep]

    def caption(f: int) -> str:
        hidden_kept = int(sum(k[f].sum() for k in anim.keep[1:-1]))
        input_kept = int(anim.keep[0][f].sum())
        return _("Iteration {i}: {inputs}/{n_inputs} inputs, {hidden}/{n_hidden} hidden units kept").format(
            i=f + 1, inputs=input_kept, n_inputs=anim.layer_sizes[0], hidden=hidden_kept, n_hidden=hidden_total)

    bx, by = _edges(pos, None)
    background = go.Scatter(
        x=bx, y=by, mode="lines", line=dict(color=pal.LIGHT, width=1), hoverinfo="skip", name=_("dropped connection")
    )
    fig = go.Figure(data=[background, *_frame_traces(pos, keep_at(0))])
    fig.frames = [
        go.Frame(data=_frame_traces(pos, keep_at(f)), traces=[1, 2], name=str(f), layout=dict(title_text=caption(f)))
        for f in range(n_frames)
    ]
    names = ([_("input")] + [_("hidden {i}").format(i=i) for i in range(1, len(anim.layer_sizes) - 1)]
             + [_("output")])
    style(fig, title=caption(0), height=500, legend=False)
    fig.update_xaxes(
        tickvals=list(range(len(names))), ticktext=names, showgrid=False, zeroline=False, showline=False,
        range=[-0.4, len(names) - 0.6],
    )
    fig.update_yaxes(visible=False)
    # redraw: without it plotly.js moves the markers but leaves the title of frame 1 on screen (the frames'
    # layout reaches fig.layout, not the drawn SVG), so the title would contradict the picture.
    # TRANSLATORS: the animation slider's prefix before the iteration number (keep the trailing space)
    add_play_controls(fig, n_frames, frame_ms=frame_ms, redraw=True, prefix=_("iteration "))
    fig.update_layout(margin=dict(b=110))
    return fig


SPIKE_CAP = 2.5  # the y-axis shows up to this many times the largest activation, mean or test output


def train_test_figure(tt: TrainTest) -> go.Figure:
    """Classic beside inverted: one training pass, the mean of many passes, and the test-time output, on ONE
    y-scale so the two forms compare at a glance. At large p an inverted training pass holds a/(1−p), up to
    1/(1−p) times the rest: the axis stops at SPIKE_CAP times the other bars and each cut bar is labelled
    with its value, so those spikes do not flatten everything else."""
    units = [f"u{i}" for i in range(tt.a.size)]
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
        # two short lines each: on one line the two titles run into each other on narrow screens (150% zoom)
        subplot_titles=(_("<b>Classic</b><br>train: no scaling · test: ×(1−p)"),
                        _("<b>Inverted</b><br>train: ÷(1−p) · test: identity")),
    )
    series = [
        ((tt.classic_train, tt.classic_mean, tt.classic_test), 1),
        ((tt.inverted_train, tt.inverted_mean, tt.inverted_test), 2),
    ]
    mean_name = ngettext("mean of {n} training pass", "mean of {n} training passes", tt.n_masks).format(
        n=fmt(tt.n_masks, 0))
    for (one, mean, test), col in series:
        first = col == 1
        fig.add_bar(x=units, y=one, name=_("one training pass"), marker_color=pal.SKY, col=col, row=1,
                    showlegend=first, legendgroup="one")
        fig.add_bar(x=units, y=mean, name=mean_name, marker_color=pal.BLUE, col=col, row=1, showlegend=first,
                    legendgroup="mean")
        fig.add_bar(x=units, y=test, name=_("test-time output"), marker_color=pal.ORANGE, col=col, row=1,
                    showlegend=first, legendgroup="test")
    for col in (1, 2):  # open symbols draw in marker.color
        fig.add_scatter(x=units, y=tt.a, mode="markers", name=_("activation without dropout"), showlegend=col == 1,
                        marker=dict(symbol="line-ew-open", size=30, color=pal.INK, line=dict(width=3)), row=1, col=col)
    style(fig, height=430, legend_below=True)
    fig.update_layout(barmode="group", bargap=0.25, margin=dict(t=60, b=80))
    fig.update_annotations(font_size=14)
    rest = max(float(np.max(v)) for v in (tt.a, tt.classic_train, tt.classic_mean, tt.inverted_mean,
                                           tt.classic_test, tt.inverted_test))
    cap = SPIKE_CAP * rest
    top = max(float(tt.inverted_train.max()), rest)
    if top > cap:
        for i, v in enumerate(tt.inverted_train):  # the one-pass bar sits left in its group of three
            if v > cap:
                fig.add_annotation(x=i - 0.25, y=cap, text=f"↑{v:.1f}", showarrow=False, yanchor="bottom",
                                   font=dict(size=12, color=pal.INK), bgcolor="white", xref="x2", yref="y2")
        top = cap
    fig.update_yaxes(range=[0, 1.08 * top if top > 0 else 1], matches="y")
    return fig


def unit_output_figure(uo: UnitOutput) -> go.Figure:
    """Histogram of one next-layer unit's pre-activation over many masks, no-dropout value marked."""
    c, n, w = binned(uo.samples, 50)
    fig = go.Figure(go.Bar(x=c, y=n, width=w, marker_color=pal.SKY,
                           name=ngettext("{n} mask", "{n} masks", uo.samples.size).format(n=fmt(uo.samples.size, 0)),
                           hovertemplate=_("z ≈ %{x:.3f}: %{y} masks") + "<extra></extra>"))
    top = float(n.max()) * 1.05
    fig.add_scatter(x=[uo.no_dropout] * 2, y=[0, top], mode="lines", line=dict(color=pal.VERMILION, width=4),
                    name=_("no dropout: {value}").format(value=num(uo.no_dropout, ".3f")))
    fig.add_scatter(x=[uo.mean] * 2, y=[0, top], mode="lines", line=dict(color=pal.INK, width=2, dash="dash"),
                    name=_("mean over masks: {value}").format(value=num(uo.mean, ".3f")))
    style(fig, height=340)
    fig.update_xaxes(title_text="z = w · (a ⊙ m) / (1−p)")
    fig.update_yaxes(title_text=_("masks"))
    return fig


# --------------------------------------------------------------------------------------------------
# Bernoulli vs Gaussian


def mask_pair_figure(mp: MaskPair) -> go.Figure:
    """One row per mask, read as an equation: the input x, the mask, and x ⊙ mask. The masks share one
    diverging scale (below 0 = red), the products another (below 0 = orange): a Gaussian mask value below 0
    flips the sign of x. x has its own scale (it is all positive), so that it is not washed out."""
    neg = int((mp.gaussian < 0).sum())
    fig = make_subplots(
        rows=2, cols=3, vertical_spacing=0.2, horizontal_spacing=0.05,
        subplot_titles=(_("input x (own scale, all positive)"), _("Bernoulli mask<br>0 or 1/(1−p)"),
                        _("x ⊙ Bernoulli mask"), _("input x (the same)"),
                        _("Gaussian mask N(1, p/(1−p))<br>{neg} of {n} below 0 (red)").format(
                            neg=neg, n=mp.gaussian.size),
                        _("x ⊙ Gaussian mask<br>orange: sign flipped") if neg else _("x ⊙ Gaussian mask")),
    )
    hi = max(2.0, float(np.percentile(np.abs(mp.gaussian), 99)), float(mp.bernoulli.max()))
    mask_hover = _("row %{y}, col %{x}: mask %{z:.3f}") + "<extra></extra>"
    fig.add_trace(heatmap(mp.bernoulli, zmin=-hi, zmax=hi, colorscale="RdBu", colorbar_title=_("mask"),
                          showscale=True, hover=mask_hover), row=1, col=2)
    fig.add_trace(heatmap(mp.gaussian, zmin=-hi, zmax=hi, colorscale="RdBu", showscale=False,
                          hover=mask_hover), row=2, col=2)
    xb, xg = mp.x * mp.bernoulli, mp.x * mp.gaussian
    hx = max(float(np.abs(xb).max()), float(np.abs(xg).max()), 1e-6)
    for row, z in ((1, xb), (2, xg)):
        tr = heatmap(z, zmin=-hx, zmax=hx, colorscale="PuOr", showscale=row == 1, colorbar_title=_("value"),
                     hover=_("row %{y}, col %{x}: x ⊙ mask = %{z:.3f}") + "<extra></extra>")
        fig.add_trace(tr, row=row, col=3)
    x_top = max(float(np.abs(mp.x).max()), 1e-6)
    for row in (1, 2):
        fig.add_trace(heatmap(mp.x, zmin=-x_top, zmax=x_top, colorscale="PuOr", showscale=False,
                              hover=_("row %{y}, col %{x}: x = %{z:.3f}") + "<extra></extra>"), row=row, col=1)
    fig.data[0].colorbar.update(x=1.0, y=0.78, len=0.42)
    fig.data[2].colorbar.update(x=1.07, y=0.78, len=0.42)
    for r in (1, 2):
        for c in (1, 2, 3):
            matrix_axes(fig, row=r, col=c, x_title=_("unit") if r == 2 else "",
                        y_title=_("example") if c == 1 else "")
    style(fig, height=600, legend=False)
    fig.update_annotations(font_size=14)
    fig.update_layout(margin=dict(t=60))
    return fig


def mask_histogram_figure(mp: MaskPair) -> go.Figure:
    """Distribution of mask values: two spikes (Bernoulli) vs a bell (Gaussian), same mean and variance."""
    fig = go.Figure()
    lo = float(min(mp.gaussian_sample.min(), 0.0))
    hi = float(max(mp.gaussian_sample.max(), mp.bernoulli_sample.max()))
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi + 1e-9, 61)
    for name, s, color in (("Bernoulli", mp.bernoulli_sample, pal.BLUE),
                           (_("Gaussian"), mp.gaussian_sample, pal.ORANGE)):
        c, n, w = binned(s, edges)
        # .replace, not .format: str.format would read plotly's %{y:.3f} as a field of its own
        fig.add_bar(x=c, y=n / s.size, width=w, name=name, marker_color=color, opacity=0.75,
                    hovertemplate=_("{name}: %{y:.3f} of draws near %{x:.2f}").replace("{name}", name)
                    + "<extra></extra>")
    fig.add_vline(x=1.0, line=dict(color=pal.INK, dash="dash"), annotation_text=_("mean 1"))
    if lo < 0:  # Gaussian draws below 0 turn a positive activation negative
        fig.add_vrect(x0=lo, x1=0, fillcolor=pal.LIGHT, opacity=0.6, line_width=0, layer="below",
                      annotation_text=_("below 0: flips the sign"), annotation_position="top left")
    style(fig, height=330)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=_("mask value"))
    fig.update_yaxes(title_text=_("fraction of draws"))
    return fig


# --------------------------------------------------------------------------------------------------
# DropConnect


def dropconnect_masks_figure(d: DropConnectDemo, examples: int = 2) -> go.Figure:
    """Top: DropConnect, a different (out × in) weight mask for each example. Bottom: dropout on the
    layer's outputs, which is the same as masking whole rows of W."""
    k = min(examples, d.dc_mask.shape[0])
    titles = [_("DropConnect, example {i}").format(i=i + 1) for i in range(k)]
    titles += [_("Dropout (rows), example {i}").format(i=i + 1) for i in range(k)]
    fig = make_subplots(rows=2, cols=k, subplot_titles=titles, vertical_spacing=0.16, horizontal_spacing=0.05)
    hi = float(max(d.dc_mask.max(), d.dropout_mask.max(), 1e-6))
    hover = _("output %{y}, input %{x}: mask %{z:.3f}") + "<extra></extra>"
    for i in range(k):
        fig.add_trace(heatmap(d.dc_mask[i], zmin=0, zmax=hi, showscale=i == 0, colorbar_title=_("mask"),
                              hover=hover),
                      row=1, col=i + 1)
        fig.add_trace(heatmap(d.dropout_mask[i], zmin=0, zmax=hi, showscale=False, hover=hover), row=2, col=i + 1)
        for r in (1, 2):
            matrix_axes(fig, row=r, col=i + 1, x_title=_("input j") if r == 2 else "",
                        y_title=_("output i") if i == 0 else "")
    style(fig, height=520, legend=False)
    fig.update_annotations(font_size=14)
    return fig


def dropconnect_inference_figure(d: DropConnectDemo) -> go.Figure:
    """Per output unit: the Monte Carlo expectation (truth), weight scaling and Gaussian moment matching."""
    units = np.arange(d.mc_reference.size)
    fig = go.Figure()
    reference = ngettext("Monte Carlo reference ({n} mask)", "Monte Carlo reference ({n} masks)", d.n_mc)
    fig.add_bar(x=units, y=d.mc_reference, name=reference.format(n=fmt(d.n_mc, 0)),
                marker_color=pal.LIGHT, marker_line=dict(color=pal.GREY, width=1))
    fig.add_scatter(x=units, y=d.weight_scaling, mode="markers",
                    name=_("weight scaling (error {err})").format(err=num(d.err_weight_scaling, ".4f")),
                    marker=dict(symbol="x", size=12, color=pal.VERMILION))
    fig.add_scatter(x=units, y=d.gaussian, mode="markers",
                    name=_("Gaussian moment matching (error {err})").format(err=num(d.err_gaussian, ".4f")),
                    marker=dict(symbol="circle", size=10, color=pal.GREEN))
    style(fig, height=380)
    fig.update_xaxes(title_text=_("output unit"), dtick=1)
    fig.update_yaxes(title_text=_("E[relu(u)] at test time"))
    return fig


# --------------------------------------------------------------------------------------------------
# Standout


def standout_curves_figure(d: StandoutDemo) -> go.Figure:
    """Left: P(keep) vs drive, with the measured keep rate per bin. Right: the test-time output."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(_("Keep probability σ(α·z+β·Σa)"),
                                        _("Test-time output σ(α·z+β·Σa)·relu(z)")))
    fig.add_scatter(x=d.z_grid, y=d.keep_curve, mode="lines", line=dict(color=pal.BLUE, width=3), name="σ(α·z+β·Σa)",
                    row=1, col=1)
    fig.add_scatter(x=d.bin_centers, y=d.bin_rate, mode="markers", marker=dict(color=pal.ORANGE, size=9),
                    name=ngettext("measured keep rate ({n} unit)", "measured keep rate ({n} units)",
                                 int(d.bin_count.sum())).format(n=fmt(int(d.bin_count.sum()), 0)), row=1, col=1)
    fig.add_scatter(x=d.z_grid, y=d.relu_curve, mode="lines", line=dict(color=pal.GREY, width=2, dash="dash"),
                    name="relu(z)", row=1, col=2)
    fig.add_scatter(x=d.z_grid, y=d.test_curve, mode="lines", line=dict(color=pal.PURPLE, width=3),
                    name="σ(α·z+β·Σa)·relu(z)", row=1, col=2)
    style(fig, height=440, legend_below=True)
    fig.update_xaxes(title_text=_("drive z"))
    fig.update_yaxes(range=[-0.03, 1.03], row=1, col=1)
    fig.update_annotations(font_size=14)
    fig.update_layout(margin=dict(t=40, b=120))
    return fig


def standout_batch_figure(d: StandoutDemo) -> go.Figure:
    """A batch's keep probabilities (colour) with the sampled dropped units crossed out."""
    fig = go.Figure(heatmap(d.keep_prob, zmin=0, zmax=1, colorscale="Blues", colorbar_title=_("P(keep)"),
                            hover=_("example %{y}, unit %{x}: P(keep) = %{z:.2f}") + "<extra></extra>"))
    ys, xs = np.nonzero(d.mask == 0)
    fig.add_scatter(x=xs, y=ys, mode="markers",
                    marker=dict(symbol="x-thin", size=16, line=dict(width=3, color=pal.VERMILION)),
                    name=_("dropped in this draw"), hoverinfo="skip")
    style(fig, height=340)
    matrix_axes(fig, x_title=_("unit"), y_title=_("example"))
    return fig

