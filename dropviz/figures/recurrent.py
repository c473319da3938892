"""Figures for the recurrent-layer pages. Each takes the dataclass a :mod:`dropviz.rnn` or
:mod:`dropviz.train` function returned, and draws only that."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dropviz.demos.recurrent import EmbeddingDemo, MaskMovie
from dropviz.figures import palette as pal
from dropviz.figures.theme import add_play_controls, colour, heatmap, label, style
from dropviz.i18n import N_, _, ngettext
from dropviz.methods import and_list
from dropviz.train import Experiment, TaskPreview

UNIT_COLORS = (pal.BLUE, pal.VERMILION, pal.GREEN, pal.PURPLE, pal.SKY, "#E69F00")
MARKER = ("circle", "square", "diamond", "circle")  # memory chart, in trace order (drawn largest first)
WIRE_LABEL = {"x": N_("input x_t"), "h": N_("recurrent input h_{t−1}"), "c": N_("cell state c_t"),
              "g": N_("candidate g_t"), "y": N_("output h_t to the next layer")}  # English; wire_label translates
MASK_SCALE = [[0.0, "#D9D9D9"], [0.001, "#D9D9D9"], [0.001, "#1F4E79"], [1.0, "#1F4E79"]]  # dropped grey, kept dark


def wire_label(method: str, wire: str) -> str:
    if method == "naive":  # the state mask: a dropped unit's h_t is 0 and its cell is zeroed
        return _("state h_t and c_t")
    return _(WIRE_LABEL[wire])


def shown_label(method_id: str) -> str:
    """A method's short label (theme.label) in the current language ("none": the no-dropout baseline)."""
    return _("no dropout") if method_id == "none" else _(label(method_id))


def _schedule_word(movie: MaskMovie) -> str:
    return _("one mask per sequence") if movie.per_sequence else _("a fresh mask every step")


# TRANSLATORS: the embedding demo's vocabulary: exactly ten short words separated by single spaces, in this order
VOCABULARY = N_("the cat sat on a mat and dog ran to")


def vocabulary(words: tuple[str, ...]) -> tuple[str, ...]:
    """The demo's words (dropviz.demos.recurrent.WORDS, English) in the current language: the cached demo holds
    token ids and English words, the figure shows them translated (the English ones when a translation does not
    give exactly as many words)."""
    shown = tuple(_(VOCABULARY).split())
    return shown if " ".join(words) == VOCABULARY and len(shown) == len(words) else tuple(words)


def _hover_mask() -> str:
    return _("unit %{y}, step %{x}: mask %{z:.2f}") + "<extra></extra>"


# --------------------------------------------------------------------------------------------------
# The LSTM cell diagram (axis coordinates 0…10 × 0…7)

_BOXES = {"f": (2.4, 3.0), "i": (4.0, 3.0), "g": (5.6, 3.0), "o": (7.2, 3.0)}  # gate centres
_HALF_W, _HALF_H = 0.6, 0.6  # gate boxes: big enough for "tanh" over the gate's letter at a readable size
_TOP, _BOTTOM = 3.0 + _HALF_H, 3.0 - _HALF_H
_WIRES = {  # polylines of each wire a method can mask
    "x": [(1.4, 0.0), (1.4, 1.4)],
    "h": [(0.2, 1.4), (1.4, 1.4)],
    "c": [(5.0, 6.0), (9.8, 6.0), None, (8.6, 6.0), (8.6, 5.1)],
    "g": [(5.6, _TOP), (5.6, 4.6), (5.25, 4.6)],
    "h_out": [(8.6, 3.9), (8.6, 3.4), (9.8, 3.4)],
    "y": [(9.0, 3.4), (9.8, 3.4)],  # the output on its way to the next layer (Zaremba's output mask)
}
_PLAIN = [  # every other wire of the cell, drawn thin
    [(0.2, 6.0), (2.15, 6.0)], [(2.65, 6.0), (4.75, 6.0)],  # c_{t-1} through ×f to +
    [(1.4, 1.4), (7.2, 1.4)],  # the input bus: [h_{t-1}, x_t] to every gate
    *[[(x, 1.4), (x, _BOTTOM)] for x, _ in _BOXES.values()],
    [(2.4, _TOP), (2.4, 5.75)],  # f up to ×
    [(4.0, _TOP), (4.0, 4.6), (4.75, 4.6)],  # i to ×
    [(5.0, 4.85), (5.0, 5.75)],  # i⊙g up to +
    [(7.2, _TOP), (7.2, 3.65), (8.35, 3.65)],  # o to ×
    [(8.6, 4.65), (8.6, 3.9)],  # tanh(c) down to ×
]


def _polyline(points) -> tuple[list, list]:
    xs, ys = [], []
    for pt in points:
        xs.append(None if pt is None else pt[0])
        ys.append(None if pt is None else pt[1])
    return xs, ys


def _diagram(fig: go.Figure, movie: MaskMovie, row: int, col: int) -> None:
    """The cell, every wire thin grey, the masked wires thick vermilion with their ⊙ m labels."""
    for pts in _PLAIN:
        xs, ys = _polyline(pts)
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=pal.GREY, width=2), hoverinfo="skip",
                        showlegend=False, row=row, col=col)
    masked = set(movie.wires)
    if movie.method == "naive":
        masked |= {"h_out"}
    for name, pts in _WIRES.items():
        on = name in masked
        xs, ys = _polyline(pts)
        fig.add_scatter(x=xs, y=ys, mode="lines",
                        line=dict(color=pal.VERMILION if on else pal.GREY, width=6 if on else 2),
                        hoverinfo="skip", showlegend=False, row=row, col=col)
    for gate, (x, y) in _BOXES.items():
        fig.add_shape(type="rect", x0=x - _HALF_W, x1=x + _HALF_W, y0=y - _HALF_H, y1=y + _HALF_H,
                      line=dict(color=pal.INK, width=1.5), fillcolor="white", row=row, col=col)
        fig.add_annotation(x=x, y=y, text=("tanh" if gate == "g" else "σ") + f"<br><i>{gate}</i>", showarrow=False,
                           font=dict(size=14), row=row, col=col)
    for x, y, op in ((2.4, 6.0, "×"), (5.0, 6.0, "+"), (5.0, 4.6, "×"), (8.6, 3.65, "×")):
        fig.add_shape(type="circle", x0=x - 0.25, x1=x + 0.25, y0=y - 0.25, y1=y + 0.25, fillcolor="white",
                      line=dict(color=pal.INK, width=1.5), row=row, col=col)
        fig.add_annotation(x=x, y=y, text=op, showarrow=False, font=dict(size=14), row=row, col=col)
    fig.add_shape(type="rect", x0=8.15, x1=9.05, y0=4.65, y1=5.1, fillcolor="white",
                  line=dict(color=pal.INK, width=1.5), row=row, col=col)
    fig.add_annotation(x=8.6, y=4.87, text="tanh", showarrow=False, font=dict(size=12), row=row, col=col)
    labels = [(0.2, 6.35, "c<sub>t−1</sub>"), (9.8, 6.35, "c<sub>t</sub>"), (0.25, 1.0, "h<sub>t−1</sub>"),
              (1.0, 0.15, "x<sub>t</sub>"), (9.8, 3.75, "h<sub>t</sub>")]
    for x, y, text in labels:
        fig.add_annotation(x=x, y=y, text=text, showarrow=False, font=dict(size=14), row=row, col=col)
    where = {"x": (2.05, 0.55), "h": (0.75, 1.85), "c": (7.0, 6.0), "g": (5.6, 4.1),
             "y": (9.4, 2.9)}  # label beside each wire
    for wire in movie.wires:
        x, y = where[wire]
        fig.add_annotation(x=x, y=y, text=f"<b>⊙ m<sub>{wire}</sub></b>", showarrow=False, bgcolor="white",
                           font=dict(size=14, color=pal.VERMILION), bordercolor=pal.VERMILION, borderpad=2,
                           row=row, col=col)
    fig.update_xaxes(range=[-0.2, 10.2], visible=False, row=row, col=col)
    anchor = fig.get_subplot(row, col).xaxis.plotly_name.replace("axis", "")  # "x" for the first subplot
    fig.update_yaxes(range=[-2.5, 7.0], visible=False, scaleanchor=anchor, scaleratio=1, row=row, col=col)


def _mask_markers(movie: MaskMovie, t: int) -> go.Scatter:
    """The mask of each tracked unit on the main masked wire at step t, drawn under the diagram."""
    main = movie.masks[-1]  # the last wire (h for variational, the only one otherwise); rows = units (gate 0 first)
    kept = main[movie.track, t] > 0
    xs = 3.2 + np.arange(len(movie.track)) * 1.4
    return go.Scatter(
        x=xs, y=np.full(len(xs), -1.45), mode="markers+text",
        marker=dict(size=20, symbol=["square" if k else "square-x-open" for k in kept],
                    color=[UNIT_COLORS[i % len(UNIT_COLORS)] for i in range(len(kept))], line=dict(width=2)),
        text=[_("unit<br>{u}").format(u=u) for u in movie.track], textposition="bottom center", textfont=dict(size=12),
        hoverinfo="skip", showlegend=False,
    )


# --------------------------------------------------------------------------------------------------
# Masks through time: the animation


def movie_figure(movie: MaskMovie, *, frame_ms: int = 350) -> go.Figure:
    """Left: the LSTM cell with the masked wire(s) highlighted and the tracked units' mask at step t.
    Right: units × time heatmaps of every mask in play (future steps veiled), and the tracked units' cell
    state with the mask (solid, growing with t) and without it (dashed)."""
    T = movie.c_clean.shape[1]
    n_wires = len(movie.wires)
    rows = n_wires + 1
    specs = [[{"rowspan": rows}, {}]] + [[None, {}] for _ in range(rows - 1)]
    titles = [""] + [f"m<sub>{w}</sub>: " + (_("{wire} (4 gates: i, f, g, o)") if g == 4 else "{wire}").format(
        wire=wire_label(movie.method, w)) for w, g in zip(movie.wires, movie.gates, strict=True)]
    titles += [_("tracked cells: with the mask (solid), without (dashed)")]
    heights = [1.0 if g == 1 else 1.6 for g in movie.gates] + [1.4]
    fig = make_subplots(rows=rows, cols=2, specs=specs, column_widths=[0.45, 0.55], row_heights=heights,
                        horizontal_spacing=0.07, vertical_spacing=0.1, subplot_titles=titles)
    fig.update_annotations(font_size=14)  # the subplot titles
    _diagram(fig, movie, 1, 1)
    hi = max(float(max(m.max() for m in movie.masks)), 1e-6)
    for k, m in enumerate(movie.masks):
        tr = heatmap(m, zmin=0, zmax=hi, colorscale=MASK_SCALE, showscale=False, hover=_hover_mask())
        fig.add_trace(tr, row=k + 1, col=2)
        fig.update_yaxes(autorange="reversed", showgrid=False, row=k + 1, col=2,
                         title_text=_("input") if movie.wires[k] == "x" else _("unit"))
        fig.update_xaxes(showgrid=False, row=k + 1, col=2)
        if movie.gates[k] == 4:
            n = m.shape[0] // 4
            fig.update_yaxes(tickvals=[n * j + n / 2 - 0.5 for j in range(4)], ticktext=["i", "f", "g", "o"],
                             title_text=_("gate"), row=k + 1, col=2)
    traj_row = rows
    for i in range(len(movie.track)):
        fig.add_scatter(x=np.arange(T), y=movie.c_clean[i], mode="lines", showlegend=False,
                        line=dict(color=UNIT_COLORS[i % len(UNIT_COLORS)], width=1.5, dash="dash"),
                        name=_("unit {u}, no dropout").format(u=movie.track[i]), row=traj_row, col=2)
    lo = float(min(movie.c_clean.min(), movie.c_masked.min(), 0.0))
    top = float(max(movie.c_clean.max(), movie.c_masked.max(), 0.0))
    pad = 0.08 * (top - lo or 1.0)
    fig.update_yaxes(range=[lo - pad, top + pad], title_text=_("cell state (as read)"), row=traj_row, col=2)
    fig.update_xaxes(range=[-0.5, T - 0.5], title_text=_("time step t"), row=traj_row, col=2)
    for r in range(1, rows):
        fig.update_xaxes(range=[-0.5, T - 0.5], row=r, col=2)

    # The animated traces, in a fixed order so every frame can replace them: per heatmap a veil over the
    # future and a cursor on column t; per tracked unit its masked trajectory up to t; the diagram's markers.
    def animated(t: int) -> list[go.Scatter]:
        out = []
        for m in movie.masks:
            box = [-0.5, -0.5, m.shape[0] - 0.5, m.shape[0] - 0.5, -0.5]  # a rectangle's y, all rows
            out.append(go.Scatter(x=[t + 0.5, T - 0.5, T - 0.5, t + 0.5, t + 0.5], y=box, fill="toself",
                                  fillcolor="rgba(255,255,255,0.72)", line=dict(width=0), mode="lines",
                                  hoverinfo="skip", showlegend=False))
            out.append(go.Scatter(x=[t - 0.5, t + 0.5, t + 0.5, t - 0.5, t - 0.5], y=box, mode="lines",
                                  line=dict(color=pal.VERMILION, width=2.5), hoverinfo="skip", showlegend=False))
        for i in range(len(movie.track)):
            out.append(go.Scatter(x=np.arange(t + 1), y=movie.c_masked[i, : t + 1], mode="lines+markers",
                                  line=dict(color=UNIT_COLORS[i % len(UNIT_COLORS)], width=3), marker=dict(size=5),
                                  hoverinfo="skip", showlegend=False))
        out.append(_mask_markers(movie, t))
        return out

    first = len(fig.data)
    places = [(k + 1, 2) for k in range(n_wires) for _ in range(2)] + [(traj_row, 2)] * len(movie.track) + [(1, 1)]
    for tr, (r, c) in zip(animated(0), places, strict=True):
        fig.add_trace(tr, row=r, col=c)
    idx = list(range(first, len(fig.data)))

    def caption(t: int) -> str:
        # memory_* is a cosine similarity (−1…1): named as such, since a negative "memory kept" reads as nonsense
        return (f"{shown_label(movie.method)} · p = {movie.p:g} · {_schedule_word(movie)}<br>"  # two lines: narrow
                + _("t = {t}: cos(c_t, c_0) = {masked}, no dropout {clean}").format(  # screens
                    t=t, masked=f"{movie.memory_masked[t]:.2f}", clean=f"{movie.memory_clean[t]:.2f}"))

    fig.frames = [go.Frame(data=animated(t), traces=idx, name=str(t), layout=dict(title_text=caption(t)))
                  for t in range(T)]
    style(fig, title=caption(0), height=int(240 * sum(heights) + 170), legend=False)
    # two short lines centred under the cell, so that at narrow widths they stay inside its column
    fig.add_annotation(text=_("tracked units' mask at t<br>(open ✕ = dropped)"), x=5.0, y=-0.75, xref="x",
                       yref="y", showarrow=False, xanchor="center", yanchor="bottom", font=dict(size=12, color=pal.INK))
    add_play_controls(fig, T, frame_ms=frame_ms, redraw=True, prefix=_("time step t = "), y=-0.04, first_label=0)
    fig.update_layout(margin=dict(t=90, b=110, l=10, r=10))
    return fig


def overview_figure(movies: tuple[MaskMovie, ...]) -> go.Figure:
    """The main mask of every method, units × time of one sequence, side by side: stripes vs noise."""
    fig = make_subplots(rows=1, cols=len(movies), horizontal_spacing=0.04,
                        subplot_titles=[f"<b>{shown_label(m.method)}</b><br>m<sub>{m.wires[-1]}</sub>: "
                                        f"{wire_label(m.method, m.wires[-1])}" for m in movies])
    for j, m in enumerate(movies):
        z = m.masks[-1][: m.masks[-1].shape[0] // m.gates[-1]]  # untied: the input gate's block
        fig.add_trace(heatmap(z, zmin=0, zmax=max(float(z.max()), 1e-6), colorscale=MASK_SCALE, showscale=False,
                              hover=_hover_mask()), row=1, col=j + 1)
        fig.update_yaxes(autorange="reversed", showgrid=False, title_text=_("unit") if j == 0 else "", row=1,
                         col=j + 1)
        fig.update_xaxes(showgrid=False, title_text=_("time step →"), row=1, col=j + 1)
    style(fig, height=330, legend=False)
    fig.update_layout(margin=dict(t=70, b=10))
    fig.update_annotations(font_size=14)
    return fig


def embedding_figure(demo: EmbeddingDemo) -> go.Figure:
    """Sequences × tokens, each cell the word; dropped word types greyed out wherever they occur."""
    words = np.array(vocabulary(demo.vocab), dtype=object)[demo.tokens]  # (B, T)
    kept = (demo.token_mask > 0).astype(float)
    fig = go.Figure(go.Heatmap(
        z=kept, zmin=0, zmax=1, colorscale=[[0, pal.LIGHT], [0.5, pal.LIGHT], [0.5, pal.SKY], [1, pal.SKY]],
        showscale=False,
        text=words, texttemplate="%{text}", textfont=dict(size=14),
        customdata=np.where(kept > 0, _("kept"), _("dropped")), xgap=2, ygap=2,
        hovertemplate=_("sequence %{y}, token %{x}: “%{text}” %{customdata}") + "<extra></extra>",
    ))
    style(fig, height=90 + 46 * words.shape[0], legend=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, title_text=_("sequence"), dtick=1)
    fig.update_xaxes(showgrid=False, title_text=_("position in the sequence"), dtick=1)
    fig.update_layout(margin=dict(t=20, b=10))
    return fig


# --------------------------------------------------------------------------------------------------
# Does it remember?


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def memory_figure(exp: Experiment, window: np.ndarray | None = None, control: np.ndarray | None = None) -> go.Figure:
    """Left: test accuracy (no dropout) against lag, one line per method (the no-dropout baseline included) at the
    mean over seeds, with a band from the worst to the best seed; chance dashed, the claim's lags shaded (long) and
    hatched grey (the short-lag control). Middle: the same test set with each method's training masks on. Right:
    the training loss, mean over seeds (block means, so the chart ships a few hundred numbers)."""
    cfg = exp.config
    fig = make_subplots(rows=1, cols=3, column_widths=[0.38, 0.38, 0.24], horizontal_spacing=0.06,
                        subplot_titles=(ngettext("At test time (no dropout), mean and range of {n} seed",
                                                 "At test time (no dropout), mean and range of {n} seeds",
                                                 cfg.seeds).format(n=cfg.seeds),
                                        _("With the training masks on"), _("Training loss")))
    fig.update_annotations(font_size=14)
    lags = exp.lags
    symbols = exp.histories[0].config.symbols
    chance = 1.0 / symbols
    for col in (1, 2):
        fig.add_scatter(x=[lags[0], lags[-1]], y=[chance, chance], mode="lines", line=dict(color=pal.GREY, dash="dash"),
                        name=_("chance (1/{n})").format(n=symbols), legendgroup="chance", showlegend=col == 1,
                        row=1, col=col)
    n_methods = len(cfg.methods)
    for k, m in enumerate(cfg.methods):
        # Where methods score the same (often 1.0) their lines coincide: each is drawn wider and with bigger
        # markers than the ones drawn after it, so a shared stretch shows as nested stripes, every colour visible.
        width, size = 2 + 1.5 * (n_methods - 1 - k), 5 + 3 * (n_methods - 1 - k)
        for col, masked in ((1, False), (2, True)):
            acc = exp.accuracies(m, masked)  # (seeds, lags)
            lo, hi, mean = acc.min(0), acc.max(0), acc.mean(0)
            fig.add_scatter(x=np.concatenate([lags, lags[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                            mode="lines", line=dict(width=0), fillcolor=_rgba(colour(m), 0.18), hoverinfo="skip",
                            name=_("{method} seed range").format(method=shown_label(m)), legendgroup=m,
                            showlegend=False, row=1, col=col)
            fig.add_scatter(x=lags, y=mean, mode="lines+markers", name=shown_label(m), legendgroup=m,
                            showlegend=col == 1,
                            line=dict(color=colour(m), width=width, dash="dot" if m == "none" else "solid"),
                            marker=dict(size=size, symbol=MARKER[k % len(MARKER)], line=dict(color="white", width=1)),
                            customdata=np.stack([lo, hi], -1),
                            hovertemplate=shown_label(m) + ": " + _("lag %{x}, accuracy %{y:.2f} (seeds "
                                                                    "%{customdata[0]:.2f}–%{customdata[1]:.2f})")
                            + "<extra></extra>",
                            row=1, col=col)
        loss = np.stack([h.loss for h in exp.runs_of(m)]).mean(0)
        block = max(1, len(loss) // 60)
        n = len(loss) // block * block
        steps = np.arange(n).reshape(-1, block).mean(1) + 1
        fig.add_scatter(x=steps, y=loss[:n].reshape(-1, block).mean(1), mode="lines", name=shown_label(m),
                        legendgroup=m, showlegend=False, line=dict(color=colour(m), width=2), row=1, col=3)
    for col in (1, 2):  # after the traces: plotly skips shapes on empty subplots
        if window is not None and len(window):
            fig.add_vrect(x0=window[0] - 0.5, x1=window[-1] + 0.5, fillcolor=pal.LIGHT, opacity=0.7, line_width=0,
                          layer="below", row=1, col=col)
            fig.add_annotation(x=(window[0] + window[-1]) / 2, y=0.05, text=_("longest<br>lags"), showarrow=False,
                               font=dict(size=12), row=1, col=col)
        if control is not None and len(control):
            fig.add_vrect(x0=control[0] - 0.5, x1=control[-1] + 0.5, fillcolor=pal.LIGHT, opacity=0.4, line_width=0,
                          layer="below", row=1, col=col)
            fig.add_annotation(x=(control[0] + control[-1]) / 2, y=0.05, text=_("short<br>lags"), showarrow=False,
                               font=dict(size=12), row=1, col=col)
        fig.update_yaxes(range=[0, 1.08], row=1, col=col)
        fig.update_xaxes(title_text=_("lag (steps)"), row=1, col=col)
    style(fig, height=460, legend_below=True)
    fig.update_yaxes(title_text=_("accuracy"), row=1, col=1)
    fig.update_xaxes(title_text=_("training step"), row=1, col=3)
    fig.update_yaxes(title_text=_("loss"), rangemode="tozero", row=1, col=3)
    fig.update_layout(margin=dict(t=40, b=110), legend=dict(y=-0.27))
    return fig


def coinciding(exp: Experiment) -> str:
    """Where the accuracy lines lie on top of each other: the methods that score exactly the same at the most
    lags, and at how many ("" if no two ever do). For the note under the memory chart."""
    methods = exp.config.methods
    names = [shown_label(m) for m in methods]
    mean = [exp.accuracy(m) for m in methods]  # (lags,) each: the lines the chart draws (mean over seeds)
    best: tuple[int, tuple[int, ...]] = (0, ())
    groups: dict[tuple[int, ...], int] = {}
    for j in range(len(exp.lags)):
        values = [float(a[j]) for a in mean]
        for v in set(values):
            group = tuple(i for i, w in enumerate(values) if w == v)
            if len(group) > 1:
                groups[group] = groups.get(group, 0) + 1
    for group, count in groups.items():
        if (count, len(group)) > (best[0], len(best[1])):
            best = (count, group)
    count, group = best
    if not count:
        return ""
    who = and_list([names[i] for i in group])
    return _("{methods} score exactly the same at {count} of {lags} lags: there their lines coincide, drawn as "
             "nested stripes (the earlier in the legend, the wider), so every colour stays visible.").format(
        methods=who, count=count, lags=len(exp.lags))


def task_figure(task: TaskPreview) -> go.Figure:
    """Example sequences: symbols (letters, coloured) among distractors (grey digits); the answer is read at
    the last step."""
    n, T = task.tokens.shape
    is_symbol = task.tokens < task.symbols
    text = np.where(is_symbol, np.array(list("ABCDEFGHIJKLMNOP"), dtype=object)[np.minimum(task.tokens, 15)],
                    (task.tokens - task.symbols).astype(str).astype(object))
    fig = go.Figure(go.Heatmap(
        z=is_symbol.astype(float), zmin=0, zmax=1, showscale=False,
        colorscale=[[0, "#F2F2F2"], [0.5, "#F2F2F2"], [0.5, pal.ORANGE], [1, pal.ORANGE]],
        text=text, texttemplate="%{text}", textfont=dict(size=13), xgap=2, ygap=2,
        hovertemplate=_("sequence %{y}, step %{x}: %{text}") + "<extra></extra>",
    ))
    for i in range(n):
        # in the right margin (paper coordinates), so the label never shrinks or overflows with T
        fig.add_annotation(x=1.0, xref="paper", xshift=6, y=i, xanchor="left", showarrow=False, font=dict(size=13),
                           text=_("→ answer {symbol} (lag {lag})").format(symbol="ABCDEFGHIJKLMNOP"[task.target[i]],
                                                                           lag=task.lag[i]))
    style(fig, height=80 + 38 * n, legend=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, showticklabels=False, title_text=_("sequence"))
    fig.update_xaxes(showgrid=False, title_text=_("time step"), range=[-0.5, T - 0.5])
    fig.update_layout(margin=dict(t=10, b=10, r=170))
    return fig
