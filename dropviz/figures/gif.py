"""An animated figure as a GIF for slides, drawn from the SAME frames the figure plays (no screen capture).

:func:`frames_of` merges each Plotly frame into the figure's base traces exactly as plotly.js does when it
animates (a frame's ``traces`` say which base traces it replaces); :func:`render` rasterises one merged frame with
Pillow: images (``go.Image`` data URIs), heatmaps (their colour scale) and scatter lines, fills and markers, in each
trace's subplot (axis domains and ranges), plus the frame's title and paper annotations (subplot titles); axes
ticks are left out. :func:`animation_gif` bounds the frame count (:data:`MAX_FRAMES`, evenly sampled) and the size
(:data:`MAX_WIDTH` × :data:`MAX_HEIGHT`) and writes a caption (method, p, seed...) under every frame.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import os
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageColor, ImageDraw, ImageFont

from dropviz.figures.theme import colour_levels, frame_traces

MAX_FRAMES = 40
MAX_WIDTH = 960
MAX_HEIGHT = 900
CAPTION_PX = 34


@dataclass(frozen=True)
class Frame:
    title: str
    traces: tuple  # plotly trace objects, the figure's base traces with the frame's replacements


def _plain(text: str | None) -> str:
    """Plotly's HTML-ish text as one plain line (``<br>`` -> " · ", other tags dropped)."""
    if not text:
        return ""
    return re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", " · ", str(text)))


def frames_of(fig: go.Figure) -> list[Frame]:
    """Each frame of ``fig`` merged into its base traces (what the figure shows at that frame)."""
    out = []
    for k, fr in enumerate(fig.frames):
        data = frame_traces(fig, k)
        title = fr.layout.title.text if fr.layout and fr.layout.title and fr.layout.title.text else None
        out.append(Frame(_plain(title or fig.layout.title.text), tuple(data)))
    return out


def frame_ms(fig: go.Figure, default: int = 700) -> int:
    """The figure's own playing speed: the ▶ Play button's frame duration."""
    try:
        return int(fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["duration"])
    except (IndexError, KeyError, TypeError, AttributeError):
        return default


# -- colours, fonts -----------------------------------------------------------------------------------------


def _rgba(colour, default=(68, 68, 68, 255)) -> tuple[int, int, int, int]:
    if colour is None:
        return default
    s = str(colour).strip()
    m = re.fullmatch(r"rgba?\(([^)]*)\)", s)
    if m:
        parts = [float(v) for v in m.group(1).split(",")]
        a = parts[3] if len(parts) > 3 else 1.0
        return int(parts[0]), int(parts[1]), int(parts[2]), int(round(a * 255))
    try:
        rgb = ImageColor.getrgb(s)
    except ValueError:
        return default
    return (*rgb[:3], 255) if len(rgb) == 3 else tuple(rgb)  # type: ignore[return-value]


# Fonts that draw every language DropViz speaks (titles and captions in Chinese, ș ț in Romanian): Noto Sans CJK
# (Debian/Ubuntu fonts-noto-cjk, which .ci/run installs) covers Latin and CJK; DejaVu Sans at least Latin with
# diacritics; Pillow's own font only Latin (Chinese would be drawn as empty boxes).
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@functools.lru_cache(maxsize=8)
def _font(size: int):
    for path in FONT_FILES:
        if os.path.exists(path):
            try:
                return ImageFont.truetype(path, size)
            except OSError:  # unreadable, or a Pillow without FreeType
                continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # a Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


# -- axes ---------------------------------------------------------------------------------------------------


def _axis_name(ref: str | None, letter: str) -> str:
    ref = ref or letter
    return f"{letter}axis{ref[1:]}"


def _extent(tr) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """(x range, y range) the trace spans in data units, None if it spans nothing."""
    if tr.type == "image":
        w, h = _image(tr).size
        x0, y0 = tr.x0 or 0, tr.y0 or 0
        return (x0 - 0.5, x0 + w - 0.5), (y0 - 0.5, y0 + h - 0.5)
    if tr.type == "heatmap":
        z = np.asarray(tr.z, dtype=float)
        return (-0.5, z.shape[1] - 0.5), (-0.5, z.shape[0] - 0.5)
    if tr.type == "scatter" and tr.x is not None and tr.y is not None:
        x = np.asarray(tr.x, dtype=float)
        y = np.asarray(tr.y, dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            return None
        return (float(x[ok].min()), float(x[ok].max())), (float(y[ok].min()), float(y[ok].max()))
    return None


def _ranges(fig: go.Figure, frames: list[Frame]) -> dict[str, tuple[float, float]]:
    """Every axis's drawn range: the layout's, else the span of its traces over all frames (+5 %), reversed
    where the layout says so (images' y axes are reversed by plotly unless set)."""
    spans: dict[str, list[float]] = {}
    images: set[str] = set()
    for fr in frames:
        for tr in fr.traces:
            ext = _extent(tr)
            if ext is None:
                continue
            for letter, (lo, hi) in zip("xy", ext, strict=True):
                name = _axis_name(getattr(tr, f"{letter}axis"), letter)
                s = spans.setdefault(name, [math.inf, -math.inf])
                s[0], s[1] = min(s[0], lo), max(s[1], hi)
            if tr.type == "image":
                images.add(_axis_name(tr.yaxis, "y"))
    out = {}
    for name, (lo, hi) in spans.items():
        ax = fig.layout[name] if name in fig.layout else None
        if ax is not None and ax.range is not None:
            out[name] = (float(ax.range[0]), float(ax.range[1]))
            continue
        pad = 0.0 if name in images else 0.05 * ((hi - lo) or 1.0)
        lo, hi = lo - pad, hi + pad
        reversed_ = name in images or (ax is not None and ax.autorange == "reversed")
        out[name] = (hi, lo) if reversed_ else (lo, hi)
    return out


def _image(tr) -> Image.Image:
    src = str(tr.source)
    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")


# -- drawing ------------------------------------------------------------------------------------------------


class _Canvas:
    def __init__(self, fig: go.Figure, width: int, height: int, ranges: dict[str, tuple[float, float]]):
        self.fig, self.w, self.h, self.ranges = fig, width, height, ranges
        scale = width / 1100  # plotly's margins are in screen pixels of a ~1100 px wide chart
        m = fig.layout.margin
        self.left = int((m.l if m.l is not None else 80) * scale) + 6
        self.right = width - int((m.r if m.r is not None else 80) * scale) - 6
        self.top = int((m.t if m.t is not None else 100) * scale) + 8
        self.bottom = height - 10  # the play controls' margin is not drawn
        self.img = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.img, "RGBA")

    def box(self, tr) -> tuple[float, float, float, float, tuple, tuple]:
        """Pixel box (x0, y0, x1, y1) of the trace's subplot and its x and y data ranges; equal scales where the
        layout anchors y to x (images, diagrams)."""
        xn, yn = _axis_name(tr.xaxis, "x"), _axis_name(tr.yaxis, "y")
        xa = self.fig.layout[xn] if xn in self.fig.layout else None
        ya = self.fig.layout[yn] if yn in self.fig.layout else None
        xd = xa.domain if xa is not None and xa.domain is not None else (0, 1)
        yd = ya.domain if ya is not None and ya.domain is not None else (0, 1)
        pw, ph = self.right - self.left, self.bottom - self.top
        x0, x1 = self.left + xd[0] * pw, self.left + xd[1] * pw
        y0, y1 = self.bottom - yd[1] * ph, self.bottom - yd[0] * ph
        xr, yr = self.ranges.get(xn, (0, 1)), self.ranges.get(yn, (0, 1))
        if tr.type == "image" or (ya is not None and ya.scaleanchor):
            sx, sy = (x1 - x0) / abs(xr[1] - xr[0] or 1), (y1 - y0) / abs(yr[1] - yr[0] or 1)
            s = min(sx, sy)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            hw, hh = s * abs(xr[1] - xr[0]) / 2, s * abs(yr[1] - yr[0]) / 2
            x0, x1, y0, y1 = cx - hw, cx + hw, cy - hh, cy + hh
        return x0, y0, x1, y1, xr, yr

    def mapper(self, tr):
        x0, y0, x1, y1, xr, yr = self.box(tr)

        def to_px(x, y):
            px = x0 + (np.asarray(x, float) - xr[0]) / ((xr[1] - xr[0]) or 1) * (x1 - x0)
            py = y1 - (np.asarray(y, float) - yr[0]) / ((yr[1] - yr[0]) or 1) * (y1 - y0)
            return px, py

        return to_px

    def picture(self, tr, pic: Image.Image, x_lo: float, y_lo: float) -> None:
        """Paste ``pic`` so that its pixel (0, 0) is centred on data (x_lo + 0.5, y_lo + 0.5)."""
        to_px = self.mapper(tr)
        w, h = pic.size
        xs, ys = to_px([x_lo, x_lo + w], [y_lo, y_lo + h])
        left, right = sorted(xs)
        top, bottom = sorted(ys)
        size = (max(1, round(right - left)), max(1, round(bottom - top)))
        flip_y = ys[0] > ys[1]  # y grows upwards on screen: the picture's row 0 at the bottom
        pic = pic.resize(size, Image.NEAREST)
        if flip_y:
            pic = pic.transpose(Image.FLIP_TOP_BOTTOM)
        self.img.paste(pic, (round(left), round(top)))

    def trace(self, tr) -> None:
        if tr.visible is False:
            return
        if tr.type == "image":
            self.picture(tr, _image(tr), (tr.x0 or 0) - 0.5, (tr.y0 or 0) - 0.5)
        elif tr.type == "heatmap":
            self.heatmap(tr)
        elif tr.type == "scatter":
            self.scatter(tr)

    def heatmap(self, tr) -> None:
        z = np.asarray(tr.z, dtype=float)
        lo = float(np.nanmin(z)) if tr.zmin is None else float(tr.zmin)
        hi = float(np.nanmax(z)) if tr.zmax is None else float(tr.zmax)
        levels = np.round(np.clip((z - lo) / ((hi - lo) or 1.0), 0, 1) * 255).astype(np.uint8)
        self.picture(tr, Image.fromarray(colour_levels(levels), "RGB"), -0.5, -0.5)

    def scatter(self, tr) -> None:
        if tr.x is None or tr.y is None:
            return
        to_px = self.mapper(tr)
        px, py = to_px(np.asarray(tr.x, float), np.asarray(tr.y, float))
        mode = tr.mode or "lines+markers"
        ok = np.isfinite(px) & np.isfinite(py)
        runs = np.split(np.arange(len(px)), np.flatnonzero(~ok) + 1)
        if tr.fill == "toself":
            for run in runs:
                run = run[ok[run]]
                if len(run) > 2:
                    self.draw.polygon(list(zip(px[run], py[run], strict=True)), fill=_rgba(tr.fillcolor))
        if "lines" in mode and (tr.line.width is None or tr.line.width > 0):
            width = max(1, round(tr.line.width if tr.line.width is not None else 2))
            colour = _rgba(tr.line.color)
            for run in runs:
                run = run[ok[run]]
                if len(run) > 1:
                    self.draw.line(list(zip(px[run], py[run], strict=True)), fill=colour, width=width)
        if "markers" in mode:
            self.markers(tr, px, py, ok)

    def markers(self, tr, px, py, ok) -> None:
        n = len(px)

        def each(v, default):
            if v is None:
                return [default] * n
            return list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v] * n

        sizes = each(tr.marker.size, 6)
        colours = each(tr.marker.color, "#444444")
        symbols = each(tr.marker.symbol, "circle")
        edge = _rgba(tr.marker.line.color) if tr.marker.line and tr.marker.line.color else None
        edge_w = max(1, round(tr.marker.line.width or 1)) if edge else 1
        scale = self.w / 1100
        for i in np.flatnonzero(ok):
            r = float(sizes[i]) * scale / 2
            box = [px[i] - r, py[i] - r, px[i] + r, py[i] + r]
            sym, col = str(symbols[i]), _rgba(colours[i])
            shape = self.draw.rectangle if sym.startswith("square") else self.draw.ellipse
            if "open" in sym:
                shape(box, fill=(255, 255, 255, 255), outline=col, width=max(2, edge_w))
            else:
                shape(box, fill=col, outline=edge, width=edge_w)
            if "-x" in sym:
                d = r * 0.6
                self.draw.line([px[i] - d, py[i] - d, px[i] + d, py[i] + d], fill=col, width=2)
                self.draw.line([px[i] - d, py[i] + d, px[i] + d, py[i] - d], fill=col, width=2)

    def shapes(self) -> None:
        """Layout shapes drawn in data coordinates (a diagram's boxes and wires): rectangles, circles, lines."""
        for sh in self.fig.layout.shapes or ():
            if not (sh.xref or "x").startswith("x") or not (sh.yref or "y").startswith("y") or sh.x0 is None:
                continue
            to_px = self.mapper(go.Scatter(xaxis=sh.xref or "x", yaxis=sh.yref or "y"))
            xs, ys = to_px([sh.x0, sh.x1], [sh.y0, sh.y1])
            box = [min(xs), min(ys), max(xs), max(ys)]
            line = _rgba(sh.line.color) if sh.line and sh.line.color else (68, 68, 68, 255)
            width = max(1, round(sh.line.width or 1)) if sh.line else 1
            fill = _rgba(sh.fillcolor) if sh.fillcolor else None
            if sh.type == "line":
                self.draw.line([xs[0], ys[0], xs[1], ys[1]], fill=line, width=width)
            elif sh.type == "circle":
                self.draw.ellipse(box, fill=fill, outline=line, width=width)
            elif sh.type == "rect":
                self.draw.rectangle(box, fill=fill, outline=line, width=width)

    def annotations(self) -> None:
        font = _font(round(13 * self.w / MAX_WIDTH))  # type grows with the picture (a 1920 px PNG: ×2)
        for a in self.fig.layout.annotations or ():
            if a.xref != "paper" or a.yref != "paper" or not a.text:
                continue
            x = self.left + a.x * (self.right - self.left)
            y = self.bottom - a.y * (self.bottom - self.top)
            self.draw.text((x, y - 2), _plain(a.text), fill=(34, 34, 34, 255), font=font, anchor="md")


def render(fig: go.Figure, frame: Frame, ranges: dict, width: int, height: int, caption: str) -> Image.Image:
    """One frame as a picture: the plot, its title on top (with a margin) and ``caption`` in a band underneath.
    Type and margins are sized for a GIF :data:`MAX_WIDTH` wide and grow in proportion for a wider picture."""
    k = width / MAX_WIDTH
    band = round(CAPTION_PX * k)
    canvas = _Canvas(fig, width, height, ranges)
    canvas.shapes()
    for tr in frame.traces:
        canvas.trace(tr)
    canvas.annotations()
    canvas.draw.text((round(12 * k), round(10 * k)), frame.title, fill=(34, 34, 34, 255), font=_font(round(17 * k)))
    out = Image.new("RGB", (width, height + band), "white")
    out.paste(canvas.img, (0, 0))
    d = ImageDraw.Draw(out)
    d.line([(0, height), (width, height)], fill=(200, 200, 200), width=max(1, round(k)))
    d.text((round(10 * k), height + round(8 * k)), caption, fill=(80, 80, 80), font=_font(round(15 * k)))
    return out


PNG_WIDTH = 1920  # a frame for slides: full-HD wide


def frame_png(fig: go.Figure, index: int, caption: str, *, width: int = PNG_WIDTH) -> bytes:
    """Frame ``index`` of an animated figure as a PNG for slides (``width`` px wide, the play controls left out:
    they are the page's, not the picture's), captioned like the GIF."""
    frames = frames_of(fig)
    if not frames:
        raise ValueError("the figure has no frames")
    index = min(max(int(index), 0), len(frames) - 1)
    height = round((fig.layout.height or 450) * width / 1100)
    pic = render(fig, frames[index], _ranges(fig, frames), width, height, caption)
    buf = io.BytesIO()
    pic.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def sampled(n: int, limit: int = MAX_FRAMES) -> list[int]:
    """At most ``limit`` frame indices, evenly spread, first and last included."""
    if n <= limit:
        return list(range(n))
    return sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})


def animation_gif(fig: go.Figure, caption: str, *, width: int = MAX_WIDTH, loop: bool = True) -> bytes:
    """The figure's animation as GIF bytes: one GIF frame per figure frame (at most :data:`MAX_FRAMES`), at the
    figure's own speed, ``width`` × (its height scaled, at most :data:`MAX_HEIGHT`) + the caption band."""
    frames = frames_of(fig)
    if not frames:
        raise ValueError("the figure has no frames to animate")
    width = min(int(width), MAX_WIDTH)
    height = min(int((fig.layout.height or 450) * width / 1100), MAX_HEIGHT)
    ranges = _ranges(fig, frames)
    pics = [render(fig, frames[i], ranges, width, height, caption) for i in sampled(len(frames))]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:], duration=frame_ms(fig),
                 optimize=False, disposal=1, **({"loop": 0} if loop else {}))
    return buf.getvalue()
