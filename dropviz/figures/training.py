"""Figures for the training section. Each takes the dataclass a :mod:`dropviz.train.lab` or
:mod:`dropviz.demos.training` function returned, and draws only that; colours and labels come from the registry
(``"none"`` -- no dropout -- is :data:`dropviz.figures.palette.NO_DROPOUT`)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dropviz.demos.training import SHARING, Backprop, LstmMasks, MaskSharing, Minibatch, VarianceShift
from dropviz.figures import palette as pal
from dropviz.figures.theme import colour, heatmap, label, matrix_axes, style
from dropviz.i18n import _
from dropviz.train.lab import NONE, LabResult, Preview

# Exact zeros must read as zero, not as "small": white is reserved for 0 and the smallest nonzero value (in
# either direction) already starts from a visible tint, so a silenced gradient cannot pass for a weak one.
ZERO_EDGE = 1e-6  # fraction of the colour range that is still white: only exact zeros in practice
GRAD_SCALE = [[0.0, pal.VERMILION], [0.5 - ZERO_EDGE, "#F9D9C4"], [0.5, "#FFFFFF"], [0.5 + ZERO_EDGE, "#CFE3F2"],
              [1.0, pal.BLUE]]  # diverging, zmin = −zmax: negative red, exactly zero white, positive blue
CELL_GAP = "#BDBDBD"  # the plot background seen between heatmap cells
NORM_SCALE = [[0.0, "#FFFFFF"], [ZERO_EDGE, "#F8D9A8"], [0.45, pal.ORANGE], [1.0, "#7A2900"]]  # zmin = 0: norms
BOUNDARY_SCALE = [[0.0, "#F6C9A6"], [0.5, "#FFFFFF"], [1.0, "#A9CFEA"]]  # class 0 orange, class 1 blue


def curves_figure(result: LabResult) -> go.Figure:
    """Loss and accuracy per epoch: validation solid, training (dropout off) dotted, one colour per method."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=(_("Cross-entropy loss"), _("Accuracy")))
    fig.update_annotations(font_size=14)
    for i, (method, run) in enumerate(zip(result.config.methods, result.runs, strict=True)):
        epochs = np.arange(1, len(run.val_loss) + 1)
        # Later methods draw on top and thinner, so curves that coincide (a method that changes little) still
        # show every colour: a thin line inside a wider one.
        widths = {"solid": max(4.5 - 1.25 * i, 1.5), "dot": max(2.5 - 0.5 * i, 1.0)}
        for col, (tr, va) in enumerate(((run.train_loss, run.val_loss), (run.train_acc, run.val_acc)), start=1):
            for ys, what, dash in ((va, _("validation"), "solid"), (tr, _("training"), "dot")):
                name = f"{label(method)} · {what}"  # a legend entry: method · curve, no sentence
                fig.add_scatter(x=epochs, y=ys, mode="lines", name=name, legendgroup=method,
                                showlegend=col == 1, line=dict(color=colour(method), width=widths[dash], dash=dash),
                                hovertemplate=_("{name}: epoch {x}, {y}").format(name=name, x="%{x}", y="%{y:.3f}")
                                + "<extra></extra>", row=1, col=col)
    style(fig, height=420, legend_below=True)
    fig.update_xaxes(title_text=_("epoch"))
    fig.update_yaxes(rangemode="tozero", row=1, col=1)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(margin=dict(t=40, b=120), legend=dict(y=-0.25))
    return fig


def overfit_summary(result: LabResult) -> list[str]:
    """Per model, read off its curves: the epoch of its lowest validation loss and how far the loss climbed after
    it (overfitting: the training loss kept falling while the validation loss rose), or that it was still falling
    at the end (nothing to tame within these epochs); then, per method, its lowest validation loss against the
    model without dropout's."""
    lines = []
    runs = dict(zip(result.config.methods, result.runs, strict=True))
    for method, run in runs.items():
        best = int(np.argmin(run.val_loss))
        low, end, last = float(run.val_loss[best]), float(run.val_loss[-1]), len(run.val_loss)
        train = f"{float(run.train_loss[-1]):.4f}"
        if best == last - 1:
            lines.append(_("**{method}**: validation loss still falling at the last epoch ({low}): no overfitting "
                           "within {last} epochs; training loss (dropout off) {train}.").format(
                method=label(method), low=f"{low:.3f}", last=last, train=train))
        else:
            lines.append(_("**{method}**: validation loss lowest at epoch {epoch} ({low}), {end} after epoch {last} "
                           "({rise}); training loss (dropout off) {train} at the end.").format(
                method=label(method), epoch=best + 1, low=f"{low:.3f}", end=f"{end:.3f}", last=last,
                rise=f"{(end - low) / low:+.0%}" if low > 0 else "—", train=train))
    if NONE in runs:
        base = float(runs[NONE].val_loss.min())
        for method, run in runs.items():
            if method == NONE:
                continue
            diff = base - float(run.val_loss.min())
            lines.append((_("{method}: lowest validation loss {d} below no dropout's.") if diff > 0 else
                          _("{method}: lowest validation loss not below no dropout's ({d} above): here it does not "
                            "help.")).format(method=label(method), d=f"{abs(diff):.3f}"))
    return lines


def boundaries_figure(result: LabResult) -> go.Figure:
    """Each model's P(class 1) over the plane (orange: class 0, blue: class 1) with the training points."""
    runs = [(m, r) for m, r in zip(result.config.methods, result.runs, strict=True) if r.boundary is not None]
    fig = make_subplots(rows=1, cols=len(runs), horizontal_spacing=0.04,
                        subplot_titles=[_("{method}: validation accuracy {acc} (last epoch)").format(
                                            method=label(m), acc=f"{r.val_acc[-1]:.2f}") for m, r in runs])
    fig.update_annotations(font_size=14)
    for i, (_m, r) in enumerate(runs, start=1):
        b = r.boundary
        fig.add_trace(go.Contour(x=b.axis, y=b.axis, z=b.prob.astype(np.float32), zmin=0, zmax=1,
                                 colorscale=BOUNDARY_SCALE, showscale=False, contours=dict(start=0.5, end=0.5, size=1,
                                 coloring="heatmap", showlines=True), line=dict(color=pal.INK, width=2),
                                 hovertemplate=_("P(class 1) = {z}").format(z="%{z:.2f}") + "<extra></extra>"),
                      row=1, col=i)
        for cls, col in ((0, pal.ORANGE), (1, pal.BLUE)):
            pts = b.x_train[b.y_train == cls]
            fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=_("class {k}").format(k=cls),
                            showlegend=i == 1,
                            marker=dict(color=col, size=7, line=dict(color="white", width=1)), row=1, col=i)
    style(fig, height=380, legend_below=True)
    fig.update_xaxes(range=[runs[0][1].boundary.axis[0], runs[0][1].boundary.axis[-1]], showticklabels=False)
    fig.update_yaxes(range=[runs[0][1].boundary.axis[0], runs[0][1].boundary.axis[-1]], showticklabels=False)
    fig.update_layout(margin=dict(t=40, b=60), legend=dict(y=-0.05))
    return fig


def _kept_hover() -> str:
    """A mask heatmap's hover (examples × units), in the reader's language."""
    return _("example {y}, unit {x}: kept = {z}").format(y="%{y}", x="%{x}", z="%{z:.0f}") + "<extra></extra>"


def _sym(a: np.ndarray) -> float:
    return float(np.abs(a).max()) or 1.0


def _cell_text(a: np.ndarray) -> np.ndarray:
    """Cell labels with one decimal, so that 16 cells fit across the panel: "0" only for an exact zero (a
    dropped unit), a nonzero value that rounds to zero keeps its "0.0" (never "-0.0")."""
    return np.where(a == 0, "0", np.vectorize(lambda v: f"{v:.1f}".replace("-0.0", "0.0"))(a))


def backprop_figure(b: Backprop) -> go.Figure:
    """Left: per unit, the forward mask m = 1[kept]/(1−p), the upstream gradient u, autograd's ∂L/∂z and m ⊙ u.
    Right: the weight gradient ∂L/∂W drawn with one column per hidden unit (W is units × inputs, so the picture is
    its transpose, units along x as on the left): a dropped unit's column is exactly zero (white)."""
    rows = np.stack([b.mask, b.upstream, b.grad_z, b.mask * b.upstream])  # (4, units); mask already ÷(1−p)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.64, 0.36], horizontal_spacing=0.1,
                        subplot_titles=(_("Per unit: forward mask and gradients"),
                                        _("∂L/∂W, one column per hidden unit")))
    fig.update_annotations(font_size=14)
    # short row labels (the caption above names them; the hover gives the long name), so that the cells, and
    # their one-decimal labels, get the panel's width
    names = [_("mask m (0 or 1/(1−p))"), _("upstream u = ∂L/∂y"), _("autograd ∂L/∂z"), "m ⊙ u"]
    h = heatmap(rows, zmin=-_sym(rows), zmax=_sym(rows), colorscale=GRAD_SCALE, showscale=False,
                hover=_("{row}, unit {x}: {z}").format(row="%{customdata}", x="%{x}", z="%{z:.3f}")
                + "<extra></extra>")
    # cell labels only while they fit (screenshots: "-0.3" needs ~24 px at 12 px text, ~20 px at 10 px; a cell
    # is ~30 px at 10 units, ~18 px at 16): above 12 units the colours and the hover carry the values
    units = rows.shape[1]
    h.update(y=["m", "u", "∂L/∂z", "m ⊙ u"], customdata=np.broadcast_to(np.array(names)[:, None], rows.shape),
             text=_cell_text(rows), texttemplate="%{text}" if units <= 12 else "",
             textfont=dict(size=12 if units <= 10 else 10))
    fig.add_trace(h, row=1, col=1)
    gw = b.grad_w.T  # (inputs, units)
    g = heatmap(gw, zmin=-_sym(gw), zmax=_sym(gw), colorscale=GRAD_SCALE,
                colorbar_title=_("gradient (white: exactly 0)"),
                hover=_("input {y}, unit {x}: {z}").format(y="%{y}", x="%{x}", z="%{z:.3f}") + "<extra></extra>")
    fig.add_trace(g, row=1, col=2)
    for unit in np.flatnonzero(b.mask == 0):
        fig.add_vrect(x0=unit - 0.5, x1=unit + 0.5, line=dict(color=pal.INK, width=1, dash="dot"), row=1, col=2)
    style(fig, height=340, legend=False)
    fig.update_yaxes(autorange="reversed")
    matrix_axes(fig, row=1, col=2, x_title=_("hidden unit (dotted: dropped)"), y_title=_("input"))
    fig.update_xaxes(title_text=_("hidden unit"), row=1, col=1)
    fig.update_layout(plot_bgcolor=CELL_GAP)  # white cells (exact zeros) stay visible as cells, even all of them
    return fig


def minibatch_figure(m: Minibatch) -> go.Figure:
    """Left: the minibatch's mask (examples × units). Middle: each example's gradient norm for each unit's weights
    (exactly zero, white, where dropped). Right: the averaged gradient, the update, nonzero wherever any example
    kept the unit. Middle and right share one fixed scale from 0 (so an all-zero panel, at p = 1, is all white)."""
    fig = make_subplots(rows=1, cols=3, column_widths=[0.36, 0.36, 0.28], horizontal_spacing=0.08,
                        subplot_titles=(_("Mask (grey: dropped)"), _("‖∂L_b/∂w_unit‖ per example"),
                                        _("Update: ‖mean_b ∂L_b/∂w_unit‖")))
    fig.update_annotations(font_size=14)
    kept = (m.mask != 0).astype(np.float32)
    fig.add_trace(heatmap(kept, zmin=0, zmax=1, colorscale=[[0, pal.LIGHT], [1, pal.BLUE]], showscale=False,
                          hover=_kept_hover()), row=1, col=1)
    # one scale for both, from the float32 values the heatmaps carry (so the largest is the darkest colour); 1 when
    # every gradient is zero, so an all-zero panel is all white rather than mid-scale
    top = float(max(m.per_example.astype(np.float32).max(), m.averaged.astype(np.float32).max())) or 1.0
    fig.add_trace(heatmap(m.per_example, zmin=0, zmax=top, colorscale=NORM_SCALE, showscale=False,
                          hover=_("example {y}, unit {x}: {z}").format(y="%{y}", x="%{x}", z="%{z:.3g}")
                          + "<extra></extra>"), row=1, col=2)
    fig.add_trace(heatmap(m.averaged[:, None].T, zmin=0, zmax=top, colorscale=NORM_SCALE,
                          colorbar_title=_("gradient norm (white: exactly 0)"),
                          hover=_("unit {x}: {z}").format(x="%{x}", z="%{z:.3g}") + "<extra></extra>"), row=1, col=3)
    fig.update_traces(colorbar=dict(title_side="right", len=1.0), row=1, col=3)
    style(fig, height=330, legend=False)
    fig.update_yaxes(autorange="reversed")
    for col in (1, 2):
        matrix_axes(fig, row=1, col=col, x_title=_("hidden unit"), y_title=_("example"))
    matrix_axes(fig, row=1, col=3, x_title=_("hidden unit"), y_title=_("mean over the batch"))
    fig.update_yaxes(showticklabels=False, ticks="", row=1, col=3)  # one row: its title says what it is
    # grey gaps between cells, so a white (exactly zero) cell reads as a cell even when a whole panel is zero
    fig.update_layout(plot_bgcolor=CELL_GAP)
    return fig


def preview_figure(pv: Preview) -> go.Figure:
    """Digits: one training image per class, side by side. 2-D tasks: the training points by class."""
    if pv.task == "digits":
        strip = np.concatenate([np.pad(im, ((0, 0), (0, 1)), constant_values=np.nan) for im in pv.x], axis=1)
        fig = go.Figure(heatmap(strip, colorscale="Greys", showscale=False, hover="%{z:.2f}<extra></extra>"))
        style(fig, title=_("Digits: one of each class from the {n} training images ({held} held out)").format(
              n=pv.n_train, held=pv.n_val),
              height=190, legend=False)
        fig.update_yaxes(autorange="reversed", visible=False, scaleanchor="x")
        fig.update_xaxes(visible=False)
        return fig
    fig = go.Figure()
    for cls, col in ((0, pal.ORANGE), (1, pal.BLUE)):
        pts = pv.x[pv.y == cls]
        fig.add_scatter(x=pts[:, 0], y=pts[:, 1], mode="markers", name=_("class {k}").format(k=cls),
                        marker=dict(color=col, size=7, line=dict(color="white", width=1)))
    style(fig, title=_("{task}: the {n} training points").format(task=pv.task, n=pv.n_train), height=380,
          legend_below=True)
    fig.update_yaxes(scaleanchor="x")
    fig.update_xaxes(constrain="domain")  # equal scales by narrowing the plot, not by widening x's range
    return fig


def sharing_figure(ms: MaskSharing, across: MaskSharing | None = None) -> go.Figure:
    """Left, middle: the first minibatch's masks (examples × units) per sample and per batch. Right: the gradient
    variance of each, on one minibatch (masks only) and across minibatches."""
    fig = make_subplots(rows=1, cols=3, column_widths=[0.36, 0.36, 0.28], horizontal_spacing=0.07,
                        subplot_titles=(_("One mask per example"), _("One mask per batch"), _("Gradient variance")))
    fig.update_annotations(font_size=14)
    for col, mode in enumerate(SHARING, start=1):
        fig.add_trace(heatmap(ms.masks[mode], zmin=0, zmax=1, colorscale=[[0, pal.LIGHT], [1, pal.BLUE]],
                              showscale=False, hover=_kept_hover()), row=1, col=col)
        matrix_axes(fig, row=1, col=col, x_title=_("hidden unit"), y_title=_("example") if col == 1 else "")
    groups = [(_("one minibatch"), ms)] + ([(_("across minibatches"), across)] if across is not None else [])
    for mode, col in zip(SHARING, (pal.BLUE, pal.VERMILION), strict=True):
        fig.add_bar(x=[g for g, _m in groups], y=[m.variance[mode] for _g, m in groups],
                    name=_("mask {mode}").format(mode=_(mode)),
                    marker_color=col, error_y=dict(type="data", array=[2 * m.se[mode] for _g, m in groups]),
                    row=1, col=3)
    style(fig, height=360, legend_below=True)
    fig.update_yaxes(autorange="reversed", row=1, col=1)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_yaxes(title_text="E‖g − ḡ‖²", title_standoff=4, row=1, col=3)
    fig.update_layout(barmode="group", margin=dict(b=110, l=50), legend=dict(y=-0.32))
    return fig


def sharing_accuracy_figure(rows: list[dict[str, object]]) -> go.Figure:
    """Final validation accuracy per mask sharing: the mean over seeds, the min–max range as an error bar, on an
    axis from 0 (a cut axis would make a small difference look large)."""
    fig = go.Figure()
    mean = [float(r["final val. accuracy (mean)"]) for r in rows]
    up = [float(r["final val. accuracy (max)"]) - m for r, m in zip(rows, mean, strict=True)]
    down = [m - float(r["final val. accuracy (min)"]) for r, m in zip(rows, mean, strict=True)]
    fig.add_bar(x=[_(str(r["mask"])) for r in rows], y=mean, marker_color=[pal.BLUE, pal.VERMILION][:len(rows)],
                error_y=dict(type="data", symmetric=False, array=up, arrayminus=down),
                hovertemplate=_("mask {x}: {y}").format(x="%{x}", y="%{y:.3f}") + "<extra></extra>")
    style(fig, title=_("Final validation accuracy, mean and range over {n} seeds").format(n=rows[0]["seeds"]),
          height=300, legend=False)
    fig.update_yaxes(title_text=_("validation accuracy"), range=[0.0, 1.02])
    return fig


def ratio_text(ratio: float) -> str:
    """A variance ratio as a metric shows it: "1.23×", or "—" when it is 0/0 (NaN)."""
    return f"{ratio:.2f}×" if np.isfinite(ratio) else "—"


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether two seeds' (min, max) ranges overlap: then their difference is within the seed-to-seed spread."""
    return a[0] <= b[1] and b[0] <= a[1]


def sharing_summary(rows: list[dict[str, object]]) -> str:
    """One line read off the sharing table: which mask reached the higher mean final validation accuracy, and
    whether the difference is larger than the seeds' spread (their min–max ranges do not overlap)."""
    by = {str(r["mask"]): r for r in rows}
    a, b = (float(by[m]["final val. accuracy (mean)"]) for m in SHARING)
    n = rows[0]["seeds"]
    if a == b:
        return _("Both masks reached the same mean final validation accuracy ({acc}) over {n} seeds: here sharing "
                 "the mask made no difference.").format(acc=f"{a:.3f}", n=n)
    win, lose = (by[SHARING[0]], by[SHARING[1]]) if a > b else (by[SHARING[1]], by[SHARING[0]])

    def span(r):
        return float(r["final val. accuracy (min)"]), float(r["final val. accuracy (max)"])

    # the difference of the means as shown (3 decimals), so a reader subtracting the two gets the same number
    acc, other = (round(float(r["final val. accuracy (mean)"]), 3) for r in (win, lose))
    values = dict(winner=_(str(win["mask"])), loser=_(str(lose["mask"])), n=n, acc=f"{acc:.3f}",
                  other=f"{other:.3f}", diff=f"{acc - other:.3f}", range=f"{span(win)[0]:.3f}–{span(win)[1]:.3f}",
                  other_range=f"{span(lose)[0]:.3f}–{span(lose)[1]:.3f}")
    if _overlap(span(win), span(lose)):
        return _("**Takeaway:** a mask {winner} reached the higher mean final validation accuracy ({acc} vs {other} "
                 "over {n} seeds), but the difference ({diff}) is within the seeds' spread (ranges {range} and "
                 "{other_range} overlap): at these settings neither way is clearly better.").format(**values)
    return _("**Takeaway:** a mask {winner} reached the higher mean final validation accuracy ({acc} vs {other} over "
             "{n} seeds), and the difference ({diff}) is larger than the seeds' spread (ranges {range} and "
             "{other_range} do not overlap): at these settings a mask {winner} learned better.").format(**values)


def placement_figure(rows: list[dict[str, object]]) -> go.Figure:
    """Best validation loss (left: the mean over seeds, the seeds' min–max as an error bar) and the validation −
    training loss gap (right) per placement."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=(_("Best validation loss (lower is better)"), _("Validation − training loss")))
    fig.update_annotations(font_size=14)
    names = [_(str(r["placement"])) for r in rows]  # the rows keep the English names; shown translated
    colours = [pal.NO_DROPOUT if r["placement"] == "none" else pal.BLUE for r in rows]
    loss = [float(r["best val. loss"]) for r in rows]
    spread = dict(type="data", symmetric=False, array=[float(r["best val. loss (max)"]) - m for r, m in
                                                       zip(rows, loss, strict=True)],
                  arrayminus=[m - float(r["best val. loss (min)"]) for r, m in zip(rows, loss, strict=True)])
    for col, key in ((1, "best val. loss"), (2, "val. − train loss")):
        fig.add_bar(y=names, x=[r[key] for r in rows], orientation="h", marker_color=colours, showlegend=False,
                    error_x=spread if col == 1 else None,
                    hovertemplate="%{y}: %{x:.4f}<extra></extra>", row=1, col=col)
    style(fig, height=340, legend=False)
    fig.update_yaxes(autorange="reversed")
    fig.update_yaxes(showticklabels=False, row=1, col=2)
    return fig


def placement_summary(rows: list[dict[str, object]]) -> str:
    """A few sentences read off a placement table, about validation LOSS first: which placement reached the lowest
    mean best validation loss, by how much it beat no dropout, and whether that is more than the seeds' spread
    (their min–max ranges do not overlap); which other placements are clearly better or worse than no dropout by
    the same rule; then which reached the highest best validation accuracy."""

    def span(r):
        return float(r["best val. loss (min)"]), float(r["best val. loss (max)"])

    def name(r):
        return _("no dropout") if r["placement"] == "none" else _(str(r["placement"]))

    best = min(rows, key=lambda r: float(r["best val. loss"]))
    base = next(r for r in rows if r["placement"] == "none")
    n = base["seeds"]
    lo, hi = span(base)
    if best is base:
        best = min((r for r in rows if r is not base), key=lambda r: float(r["best val. loss"]))  # the runner-up
        out = [_("Validation loss: no placement of dropout beat the model without it ({loss}, mean of {n} seeds, "
                 "seeds {lo}–{hi}); the closest was {placement}, {other} (seeds {other_lo}–{other_hi}).").format(
            loss=f"{float(base['best val. loss']):.4f}", n=n, lo=f"{lo:.4f}", hi=f"{hi:.4f}", placement=name(best),
            other=f"{float(best['best val. loss']):.4f}", other_lo=f"{span(best)[0]:.4f}",
            other_hi=f"{span(best)[1]:.4f}")]
    else:
        out = [_("Lowest best validation loss (mean of {n} seeds): {placement}, {loss} (seeds {lo}–{hi}), {diff} "
                 "below no dropout ({base_loss}, seeds {base_lo}–{base_hi}).").format(
            n=n, placement=name(best), loss=f"{float(best['best val. loss']):.4f}", lo=f"{span(best)[0]:.4f}",
            hi=f"{span(best)[1]:.4f}", diff=f"{float(base['best val. loss']) - float(best['best val. loss']):.4f}",
            base_loss=f"{float(base['best val. loss']):.4f}", base_lo=f"{lo:.4f}", base_hi=f"{hi:.4f}")]
    out.append(_("The seeds' ranges overlap: the difference is within the seed-to-seed spread, no clear winner.")
               if _overlap(span(best), span(base)) else
               _("The seeds' ranges do not overlap: more than the seed-to-seed spread."))
    # every other placement whose seeds' range lies wholly above (worse) or below (better) no dropout's
    worse = [name(r) for r in rows if r is not base and span(r)[0] > hi]
    better = [name(r) for r in rows if r is not base and r is not best and span(r)[1] < lo]
    if better:
        out.append(_("Also clearly better than no dropout (every seed's best validation loss below {lo}): "
                     "{placements}.").format(lo=f"{lo:.4f}", placements=", ".join(better)))
    if worse:
        out.append(_("Clearly worse than no dropout (every seed's best validation loss above {hi}): "
                     "{placements}.").format(hi=f"{hi:.4f}", placements=", ".join(worse)))
    top = max(rows, key=lambda r: float(r["best val. accuracy"]))
    out.append(_("Highest best validation accuracy: {acc}, {placement}; no dropout: {base_acc}.").format(
        placement=name(top), acc=f"{float(top['best val. accuracy']):.1%}",
        base_acc=f"{float(base['best val. accuracy']):.1%}"))
    return " ".join(out)


def variance_shift_figure(v: VarianceShift) -> go.Figure:
    """The BN input's variance in training and at test, beside the naive prediction (1−p) × training variance
    (what the test variance would be if dropout only rescaled it)."""
    fig = go.Figure()
    fig.add_bar(x=[_("training (dropout on)"), _("test (dropout off)"),
                   _("naive prediction:<br>(1−p) × training variance")],
                y=[v.train_var, v.test_var, (1 - v.p) * v.train_var],
                marker_color=[pal.BLUE, pal.VERMILION, pal.GREY], hovertemplate="%{x}: %{y:.4f}<extra></extra>")
    style(fig, title=_("Variance of BatchNorm's input, p = {p}").format(p=f"{v.p:g}"), height=320, legend=False)
    fig.update_yaxes(title_text=_("mean variance per unit"), rangemode="tozero")
    return fig


def variance_shift_summary(v: VarianceShift) -> str:
    """The measured test ÷ training variance beside (1−p)σ²/(σ² + pμ²) and the naive 1−p."""
    return _("Test ÷ training variance: measured {ratio}; (1−p)σ²/(σ² + pμ²) = {pred} with σ² = {var} and μ² = "
             "{mean_sq} (means over units); the naive 1−p = {q}.").format(
        ratio=f"{v.ratio:.3f}" if np.isfinite(v.ratio) else "—", pred=f"{v.predicted_ratio:.3f}",
        var=f"{v.var:.3g}", mean_sq=f"{v.mean_sq:.3g}",
        q=f"{1 - v.p:g}")


def lstm_masks_figure(m: LstmMasks, sequence: int = 0) -> go.Figure:
    """One sequence's between-layer keep mask as units × time: torch's nn.LSTM(dropout=p), recovered from its
    outputs (a fresh pattern every step: noise), beside DropViz's variational schedule (stripes: one mask per
    sequence). The rates, over the whole run, with one decimal as the page's metrics."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=(_("nn.LSTM(dropout={p}), recovered: changes {rate} of units per step").format(
                                            p=f"{m.p:g}", rate=f"{m.change_rate(m.torch_mask):.1%}"),
                                        _("Variational (Gal): changes {rate} per step").format(
                                            rate=f"{m.change_rate(m.variational):.1%}")))
    fig.update_annotations(font_size=14)
    for col, mask in ((1, m.torch_mask), (2, m.variational)):
        fig.add_trace(heatmap(mask[:, sequence].T, zmin=0, zmax=1, colorscale=[[0, pal.LIGHT], [1, pal.BLUE]],
                              showscale=False, hover=_("unit {y}, step {x}: kept = {z}").format(
                                  y="%{y}", x="%{x}", z="%{z:.0f}") + "<extra></extra>"), row=1, col=col)
        matrix_axes(fig, row=1, col=col, x_title=_("time step"), y_title=_("unit") if col == 1 else "")
    style(fig, height=300, legend=False)
    return fig
