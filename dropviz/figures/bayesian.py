"""Figures for the "Beyond regularization" pages: pure Plotly builders over the dataclasses of
:mod:`dropviz.demos.bayesian` and :mod:`dropviz.train.bayesian` (no randomness, no computation beyond layout)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dropviz.demos.bayesian import (
    KLCurve,
    NormGrowth,
    Pruned,
    RegressionView,
    Reliability,
    Sweep,
    Uncertainty,
    WeightNormPicture,
)
from dropviz.figures import palette as pal
from dropviz.figures.theme import binned, style
from dropviz.i18n import N_, _, fmt
from dropviz.train import bayesian as tb

SET_COLOURS = (pal.BLUE, pal.ORANGE, pal.GREEN, pal.VERMILION)
# The trainings' English names (tb.OOD_KINDS, tb.WN_VARIANTS), marked here for the catalog and translated where
# they are drawn: the training code compares them as identifiers, so they stay English there.
SHOWN_NAMES = (N_("uniform noise"), N_("rotated digits"), N_("cat patches"), N_("plain"), N_("weight norm"),
               N_("weight norm + data-dependent init"))


def regression_figure(view: RegressionView, x_train: np.ndarray, y_train: np.ndarray) -> go.Figure:
    """The T passes (faint), the MC mean, ±2σ with and without the noise term, the true function, the data."""
    fig = go.Figure()
    g = view.grid
    fig.add_vrect(x0=tb.GAP[0], x1=tb.GAP[1], fillcolor=pal.LIGHT, opacity=0.5, line_width=0, layer="below",
                  annotation_text=_("no training data"), annotation_position="top")
    for band, name, colour in ((view.std_total, _("±2σ with observation noise"), "rgba(86,180,233,0.18)"),
                               (view.std_model, _("±2σ model only (dropout spread)"), "rgba(0,114,178,0.30)")):
        fig.add_scatter(x=np.concatenate([g, g[::-1]]), y=np.concatenate([view.mean + 2 * band,
                        (view.mean - 2 * band)[::-1]]), fill="toself", fillcolor=colour, line=dict(width=0),
                        name=name, hoverinfo="skip")
    for i, line in enumerate(view.lines):
        fig.add_scatter(x=g, y=line, mode="lines", line=dict(color=pal.GREY, width=1), opacity=0.5,
                        name=_("single passes (first {k} of T)").format(k=len(view.lines)), legendgroup="passes",
                        showlegend=i == 0, hoverinfo="skip")
    fig.add_scatter(x=g, y=tb.target(g), mode="lines", name=_("true function"), line=dict(color=pal.INK, dash="dot"))
    fig.add_scatter(x=g, y=view.mean, mode="lines", name=_("MC mean of T = {t}").format(t=view.passes),
                    line=dict(color=pal.BLUE, width=3))
    fig.add_scatter(x=x_train, y=y_train, mode="markers", name=_("training data"),
                    marker=dict(color=pal.VERMILION, size=7, line=dict(color="white", width=1)))
    style(fig, height=490, legend_below=True)
    fig.update_layout(margin=dict(b=140), legend=dict(y=-0.24))
    fig.update_xaxes(title_text="x", range=[g[0], g[-1]])
    fig.update_yaxes(title_text="y", range=[-4, 4])
    return fig


def uncertainty_figure(u: Uncertainty) -> go.Figure:
    """Histograms of the predictive entropy and of the mutual information per input set."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("Predictive entropy H[p̄] (nats)"),
                                                         _("Mutual information (BALD, nats)")), horizontal_spacing=0.1)
    fig.update_annotations(font_size=14)
    hi = float(np.log(10))
    for col, values in ((1, u.entropy), (2, u.mutual_info)):
        for name, v, colour in zip(map(_, u.names), values, SET_COLOURS, strict=True):
            x, y, w = binned(v, 30, (0.0, hi))
            fig.add_scatter(x=x, y=y / len(v), mode="lines", line=dict(color=colour, width=3, shape="hvh"), name=name,
                            legendgroup=name, showlegend=col == 1,
                            hovertemplate=_("{name}: {share} near {x}").format(
                                name=name, share="%{y:.0%}", x="%{x:.2f}") + "<extra></extra>", row=1, col=col)
    style(fig, height=400, legend_below=True)
    fig.update_layout(margin=dict(b=110), legend=dict(y=-0.22))
    fig.update_yaxes(title_text=_("fraction of inputs"), tickformat=".0%", row=1, col=1)
    fig.update_xaxes(range=[0, hi])
    return fig


def reliability_figure(single: Reliability, mc: Reliability) -> go.Figure:
    """Accuracy against confidence per bin, for one deterministic pass and for the MC average."""
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=pal.GREY, dash="dash"),
                    name=_("perfect calibration"))
    for r, name, colour in ((single, _("one deterministic pass"), pal.ORANGE), (mc, _("MC average"), pal.BLUE)):
        ok = r.count > 0
        fig.add_scatter(x=r.confidence[ok], y=r.accuracy[ok], mode="lines+markers", line=dict(color=colour, width=3),
                        marker=dict(size=4 + 14 * np.sqrt(r.count[ok] / r.count.sum())),
                        name=_("{name}: ECE {ece}").format(name=name, ece=fmt(r.ece, 4)), customdata=r.count[ok],
                        hovertemplate=_("confidence {x}, accuracy {y} ({n} digits)").format(
                            x="%{x:.2f}", y="%{y:.2f}", n="%{customdata:.0f}") + "<extra></extra>")
    style(fig, height=440, legend_below=True)
    fig.update_layout(margin=dict(b=110), legend=dict(y=-0.3))
    fig.update_xaxes(title_text=_("confidence (max class probability; marker area ∝ digits in the bin)"),
                     range=[0, 1.02])
    fig.update_yaxes(title_text=_("accuracy"), range=[0, 1.02])
    return fig


def digits_strip(images: np.ndarray) -> go.Figure:
    """A few raw 8 × 8 inputs of each OOD kind, side by side."""
    kinds, per = images.shape[:2]
    fig = make_subplots(rows=1, cols=kinds * per, horizontal_spacing=0.01,
                        subplot_titles=[_(tb.OOD_KINDS[i // per]) if i % per == 0 else "" for i in range(kinds * per)])
    fig.update_annotations(font_size=13, xanchor="left")
    for i in range(kinds * per):
        fig.add_heatmap(z=images[i // per, i % per], colorscale="Greys", zmin=0, zmax=16, showscale=False,
                        hoverinfo="skip", row=1, col=i + 1)
    style(fig, height=150, legend=False)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


# -- Sparse VD --------------------------------------------------------------------------------------------------


def log_alpha_figure(log_alphas: tuple[np.ndarray, ...], threshold: float) -> go.Figure:
    fig = go.Figure()
    for i, (la, colour) in enumerate(zip(log_alphas, SET_COLOURS, strict=False)):
        x, y, w = binned(la.ravel(), 64, (-8.0, 8.0))
        fig.add_bar(x=x, y=y, width=w, marker_color=colour, opacity=0.6,
                    name=_("layer {i} ({n_in} → {n_out})").format(i=i + 1, n_in=la.shape[1], n_out=la.shape[0]))
    fig.add_vline(x=threshold, line=dict(color=pal.INK, dash="dash"),
                  annotation_text=_("threshold {t}").format(t=fmt(threshold, 2)))
    fig.update_layout(barmode="overlay")
    style(fig, height=360, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.25))
    fig.update_xaxes(title_text=_("log α per weight (right of the line: pruned)"))
    fig.update_yaxes(title_text=_("weights"), type="log")
    return fig


def weights_figure(thetas: tuple[np.ndarray, ...], log_alphas: tuple[np.ndarray, ...], threshold: float) -> go.Figure:
    """Each layer's θ (rows: output units) with the pruned weights blank."""
    n = len(thetas)
    fig = make_subplots(rows=1, cols=n, horizontal_spacing=0.06, column_widths=[t.shape[1] for t in thetas],
                        subplot_titles=[_("layer {i}: {kept} of {total} kept").format(
                            i=i + 1, kept=fmt(int((la <= threshold).sum()), 0), total=fmt(la.size, 0))
                                        for i, la in enumerate(log_alphas)])
    fig.update_annotations(font_size=13)
    for i, (t, la) in enumerate(zip(thetas, log_alphas, strict=True)):
        z = np.where(la <= threshold, t, np.nan).astype(np.float32)
        m = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
        fig.add_heatmap(z=z, zmin=-m, zmax=m, colorscale="RdBu", showscale=False,
                        hovertemplate=_("output {out}, input {inp}: θ = {theta}").format(
                            out="%{y}", inp="%{x}", theta="%{z:.3f}") + "<extra></extra>", row=1, col=i + 1)
    style(fig, height=520, legend=False)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    fig.update_xaxes(showgrid=False)
    return fig


def input_pixels_figure(log_alphas: tuple[np.ndarray, ...], threshold: float) -> go.Figure:
    """Layer 1's kept weights per input pixel, as the 8 × 8 picture they come from (a pixel with none is ignored
    by the pruned net: the digits' border pixels go first)."""
    kept = (log_alphas[0] <= threshold).sum(0).reshape(8, 8)  # (in=64,) -> (8, 8)
    fig = go.Figure(go.Heatmap(z=kept, colorscale="Viridis", zmin=0, colorbar=dict(title=dict(text=_("kept")),
                                                                                   thickness=12),
                               hovertemplate=_("pixel ({row}, {col}): {n} weights kept").format(
                                   row="%{y}", col="%{x}", n="%{z}") + "<extra></extra>", xgap=1, ygap=1))
    style(fig, height=330, legend=False, title=_("Layer 1: weights kept per input pixel"))
    fig.update_yaxes(autorange="reversed", scaleanchor="x", showgrid=False)
    fig.update_xaxes(showgrid=False, constrain="domain")
    return fig


def sweep_figure(s: Sweep, current: Pruned) -> go.Figure:
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=s.thresholds, y=s.accuracy, mode="lines", name=_("Sparse VD accuracy (pruned)"),
                    line=dict(color=pal.BLUE, width=3))
    fig.add_scatter(x=s.thresholds, y=[s.dense_accuracy] * len(s.thresholds), mode="lines",
                    name=_("dense baseline accuracy"), line=dict(color=pal.NO_DROPOUT, dash="dash", width=3))
    fig.add_scatter(x=s.thresholds, y=s.sparsity, mode="lines", name=_("fraction of weights removed"),
                    line=dict(color=pal.ORANGE, width=3), secondary_y=True)
    fig.add_vline(x=current.threshold, line=dict(color=pal.INK, dash="dot"),
                  annotation_text=_("{pct}% removed, accuracy {acc}").format(
                      pct=fmt(100 * current.sparsity, 1), acc=fmt(current.accuracy, 3)))
    style(fig, height=400, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.25))
    fig.update_xaxes(title_text=_("prune where log α > threshold"))
    fig.update_yaxes(title_text=_("validation accuracy"), secondary_y=False)
    fig.update_yaxes(title_text=_("removed"), tickformat=".0%", range=[0, 1.02], secondary_y=True)
    return fig


def history_figure(history: np.ndarray) -> go.Figure:
    ep = np.arange(1, len(history) + 1)
    fig = go.Figure()
    for col, name, colour in ((0, _("KL weight β (warm-up)"), pal.GREY),
                              (1, _("validation accuracy (pruned)"), pal.BLUE),
                              (2, _("fraction removed (log α > 3)"), pal.ORANGE)):
        fig.add_scatter(x=ep, y=history[:, col], mode="lines", name=name, line=dict(color=colour, width=3))
    style(fig, height=340, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.3))
    fig.update_xaxes(title_text=_("Sparse VD epoch"))
    fig.update_yaxes(range=[0, 1.02])
    return fig


# -- Weight normalization ---------------------------------------------------------------------------------------


def weight_norm_figure(pic: WeightNormPicture) -> go.Figure:
    """v, the unit direction, w = g·v/‖v‖, −∇_w L and −∇_v L as arrows in the plane."""
    fig = go.Figure()
    lim = float(max(np.abs(np.concatenate([pic.v, pic.w, pic.target, pic.w - pic.grad_w])).max(), 1.0)) * 1.2
    t = np.linspace(0, 2 * np.pi, 200)
    fig.add_scatter(x=pic.g * np.cos(t), y=pic.g * np.sin(t), mode="lines", line=dict(color=pal.LIGHT, width=2),
                    name=_("every w with length g = {g}").format(g=fmt(pic.g, 2)), hoverinfo="skip")

    def arrow(start, vec, colour, name):
        end = np.asarray(start) + np.asarray(vec)
        fig.add_scatter(x=[start[0], end[0]], y=[start[1], end[1]], mode="lines+markers", name=name,
                        line=dict(color=colour, width=4), marker=dict(symbol="arrow", angleref="previous", size=14,
                                                                        color=colour))

    arrow((0, 0), pic.v, pal.GREY, _("v (direction only)"))
    arrow((0, 0), pic.w, pal.BLUE, "w = g·v/‖v‖")
    arrow(pic.v, -pic.grad_v, pal.VERMILION, _("−∇_v L (drawn at the tip of v: ⟂ v)"))
    arrow(pic.w, -pic.grad_w, pal.GREEN, "−∇_w L")
    fig.add_scatter(x=[pic.target[0]], y=[pic.target[1]], mode="markers", name=_("target w*"),
                    marker=dict(symbol="x", size=14, color=pal.INK))
    style(fig, height=520, legend_below=True)
    fig.update_layout(margin=dict(b=130), legend=dict(y=-0.12))
    fig.update_xaxes(range=[-lim, lim], zeroline=True)
    fig.update_yaxes(range=[-lim, lim], scaleanchor="x", zeroline=True)
    return fig


def norm_growth_figure(n: NormGrowth) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=(_("mean ‖v‖ before each SGD step"), _("loss")),
                        horizontal_spacing=0.12)
    fig.update_annotations(font_size=14)
    fig.add_scatter(x=np.arange(len(n.norms)), y=n.norms, mode="lines+markers", line=dict(color=pal.BLUE, width=3),
                    name="‖v‖", row=1, col=1)
    fig.add_scatter(x=np.arange(1, len(n.losses) + 1), y=n.losses, mode="lines", line=dict(color=pal.ORANGE, width=3),
                    name=_("loss"), row=1, col=2)
    style(fig, height=320, legend=False)
    fig.update_xaxes(title_text=_("SGD step"))
    fig.update_yaxes(type="log", row=1, col=2)
    return fig


def convergence_figure(r: tb.WeightNormResult) -> go.Figure:
    fig = go.Figure()
    for row, name, colour in zip(r.losses, tb.WN_VARIANTS, (pal.GREY, pal.SKY, pal.BLUE), strict=True):
        smooth = np.convolve(row, np.ones(20) / 20, mode="valid")
        fig.add_scatter(x=np.arange(20, len(row) + 1), y=smooth, mode="lines", name=_(name),
                        line=dict(color=colour, width=3))
    fig.add_hline(y=r.config.target, line=dict(color=pal.INK, dash="dot"), annotation_text=_("target"))
    style(fig, height=380, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.25))
    fig.update_xaxes(title_text=_("SGD step"))
    fig.update_yaxes(title_text=_("training loss (mean of 20 steps)"), type="log")
    return fig


def kl_figure(c: KLCurve) -> go.Figure:
    """The paper's approximation of −KL against the quadrature (shifted by the constant)."""
    fig = go.Figure()
    fig.add_scatter(x=c.log_alpha, y=c.exact, mode="markers", name=_("quadrature of the exact −KL (+ constant)"),
                    marker=dict(color=pal.INK, size=7))
    fig.add_scatter(x=c.log_alpha, y=c.approx, mode="lines", name="k1·σ(k2 + k3·log α) − 0.5·log(1 + 1/α) − k1",
                    line=dict(color=pal.VERMILION, width=3))
    style(fig, height=340, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.3))
    fig.update_xaxes(title_text="log α")
    fig.update_yaxes(title_text=_("−KL per weight (nats)"))
    return fig


def data_figure(x: np.ndarray, y: np.ndarray) -> go.Figure:
    """The regression's training data and the true function, before any training."""
    g = np.linspace(-6, 6, 241)
    fig = go.Figure()
    fig.add_vrect(x0=tb.GAP[0], x1=tb.GAP[1], fillcolor=pal.LIGHT, opacity=0.5, line_width=0, layer="below",
                  annotation_text=_("no training data"), annotation_position="top")
    fig.add_scatter(x=g, y=tb.target(g), mode="lines", name=_("true function"), line=dict(color=pal.INK, dash="dot"))
    fig.add_scatter(x=x, y=y, mode="markers", name=_("training data"),
                    marker=dict(color=pal.VERMILION, size=7, line=dict(color="white", width=1)))
    style(fig, height=360, legend_below=True)
    fig.update_layout(margin=dict(b=100), legend=dict(y=-0.25))
    fig.update_xaxes(title_text="x", range=[-6, 6])
    fig.update_yaxes(title_text="y", range=[-4, 4])
    return fig
