"""Images for the convolutional pages: the bundled cat, and robust loading of a user's upload.

An upload is untrusted bytes. :func:`load_upload` either returns a small RGB :class:`WorkingImage` or raises
:class:`ImageLoadError` with a message a person can act on; it never lets Pillow's own exceptions (or its
decompression-bomb warning) escape. What it handles: a size limit in bytes and in pixels (checked from the
header, before anything is decoded), PNG / JPEG / WebP only, EXIF orientation, every colour mode (RGBA, LA,
L, 1, P, CMYK, 16-bit and 32-bit integer, float) converted to 8-bit RGB, animations reduced to their first
frame, and a downscale to the working size the pages compute at.

A ``WorkingImage`` made from an upload is marked ``private``: :mod:`dropviz.ui` keeps it, and everything
computed from it, in the uploader's own session and never in the cross-session cache.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from dropviz.i18n import N_, _

CAT = "cat.png"  # package data of dropviz.data (see CREDITS.md beside it)
CAT_CREDIT = N_('"Chelsea the cat" by Stefan van der Walt, CC0 (the picture scikit-image ships)')  # shown translated

WORKING_SIZE = 256  # longest side, in pixels, of the image every page computes on
MIN_SIDE = 16  # shortest side after downscaling (a 7×7 DropBlock and 2×2 pooling need room)
MAX_BYTES = 8 * 1024 * 1024  # same as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # width × height read from the header; above this we refuse to decode
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP"}  # MPO: JPEG from phone cameras


class ImageLoadError(ValueError):
    """An upload that cannot be used. ``str(error)``: the message in English; :meth:`shown`: the message in the
    page's language (the template is marked for translation with ``N_``, its values filled in after)."""

    def __init__(self, template: str, **values):
        super().__init__(template.format(**values))
        self.template, self.values = template, values

    def shown(self) -> str:
        return _(self.template).format(**self.values)


Note = tuple[str, tuple[tuple[str, object], ...]]  # (English template marked with N_, its values)


def _note(template: str, **values) -> Note:
    return template, tuple(values.items())


def _note_text(notes, translate=lambda t: t) -> str:
    return "; ".join(translate(t).format(**dict(v)) for t, v in notes)


@dataclass(frozen=True, eq=False)
class WorkingImage:
    """An RGB picture at working size. ``pixels``: (H, W, 3) uint8, read-only."""

    pixels: np.ndarray = field(repr=False)
    name: str
    private: bool  # True for a user's upload: never cached across sessions
    digest: str  # sha256 of the pixels: identifies the picture in cache keys
    note: str = ""  # what loading did, in English, e.g. "downscaled from 4032 × 3024; EXIF rotation applied"
    note_parts: tuple[Note, ...] = ()  # the same, as templates: :meth:`note_shown` translates them

    def note_shown(self) -> str:
        """:attr:`note` in the page's language."""
        return _note_text(self.note_parts, _)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)"""
        return self.pixels.shape[0], self.pixels.shape[1]

    def tensor(self):
        """(1, 3, H, W) float32 in [0, 1], on CPU."""
        import torch

        return torch.from_numpy(self.pixels.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous()


def _working(img: Image.Image, name: str, private: bool, notes: list[Note],
             source: tuple[int, int] | None = None) -> WorkingImage:
    """Downscale to the working size and freeze the pixels; refuse a picture too small to compute on.
    ``source``: the (width, height) the file declared, when decoding already reduced it (JPEG draft mode)."""
    w, h = source or img.size
    if max(img.size) > WORKING_SIZE:
        scale = WORKING_SIZE / max(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
        notes.append(_note(N_("downscaled from {w} × {h} to {w2} × {h2}"), w=w, h=h, w2=img.size[0],
                           h2=img.size[1]))
    elif source is not None and source != img.size:
        notes.append(_note(N_("downscaled from {w} × {h} to {w2} × {h2}"), w=w, h=h, w2=img.size[0],
                           h2=img.size[1]))
    if min(img.size) < MIN_SIDE:
        raise ImageLoadError(N_(
            "“{name}” is too small or too narrow: {w} × {h} pixels at working size, and DropViz needs at least "
            "{min_side} pixels on each side (an aspect ratio up to {ratio}:1). Showing the cat instead."),
            name=name, w=img.size[0], h=img.size[1], min_side=MIN_SIDE, ratio=WORKING_SIZE // MIN_SIDE)
    pixels = np.asarray(img, dtype=np.uint8).copy()
    pixels.setflags(write=False)
    digest = hashlib.sha256(pixels.tobytes() + repr(pixels.shape).encode()).hexdigest()
    return WorkingImage(pixels, name, private, digest, _note_text(notes), tuple(notes))


@lru_cache(maxsize=1)
def cat() -> WorkingImage:
    """The bundled cat (CC0, see dropviz/data/CREDITS.md) at working size, read from the package's own data with
    importlib.resources (so it is found wherever dropviz is installed). Loaded once per process."""
    with resources.files("dropviz.data").joinpath(CAT).open("rb") as f, Image.open(f) as im:
        return _working(im.convert("RGB"), "the cat", private=False, notes=[])


def _to_rgb(im: Image.Image, notes: list[Note]) -> Image.Image:
    """Any Pillow mode to 8-bit RGB. Transparency is composited on white; high bit depths are rescaled
    (``convert`` alone would clip 16-bit values above 255 to white)."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode == "P":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        notes.append(_note(N_("transparency composited on white")))
        return Image.alpha_composite(white, im).convert("RGB")
    if mode.startswith("I") or mode == "F":  # I;16, I;16B, I;16L, I (32-bit), F (32-bit float)
        a = np.asarray(im, dtype=np.float64)
        if mode.startswith("I;16"):
            a = a / 65535.0
        else:  # unknown range: stretch what is there
            finite = a[np.isfinite(a)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            a = (np.nan_to_num(a, nan=lo, posinf=hi, neginf=lo) - lo) / (hi - lo if hi > lo else 1.0)
        notes.append(_note(N_("{mode} image rescaled to 8 bits"), mode=mode))
        g = np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(g, "L").convert("RGB")
    notes.append(_note(N_("{mode} converted to RGB"), mode=mode))
    return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def load_upload(data: bytes, name: str = "your image") -> WorkingImage:
    """Decode an uploaded PNG / JPEG / WebP into a private :class:`WorkingImage`, or raise
    :class:`ImageLoadError` saying what is wrong. Nothing else escapes."""
    label = os.path.basename(str(name))[:80] or "your image"
    if not data:
        raise ImageLoadError(N_("“{label}” is empty (0 bytes). Showing the cat instead."), label=label)
    if len(data) > MAX_BYTES:
        raise ImageLoadError(N_("“{label}” is {mb} MB; the limit is {limit} MB. Showing the cat instead."),
                             label=label, mb=f"{len(data) / 2**20:.1f}", limit=f"{MAX_BYTES / 2**20:.0f}")
    notes: list[Note] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            kind = FORMATS.get(im.format or "")
            if kind is None:
                raise ImageLoadError(N_("“{label}” is a {format} file; DropViz takes PNG, JPEG or WebP. Showing the "
                                        "cat instead."), label=label, format=im.format or "?")
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageLoadError(N_("“{label}” is {w} × {h} = {mp} megapixels; the limit is {limit}. Showing "
                                        "the cat instead."), label=label, w=w, h=h, mp=f"{w * h / 1e6:.0f}",
                                     limit=f"{MAX_PIXELS / 1e6:.0f}")
            if getattr(im, "n_frames", 1) > 1:
                notes.append(_note(N_("first of {n} frames"), n=im.n_frames))
                im.seek(0)
            if kind == "JPEG":
                im.draft("RGB", (WORKING_SIZE, WORKING_SIZE))  # decode a big JPEG at a reduced size
            im.load()
            rgb = _to_rgb(_upright(im, notes), notes)
            source = (w, h) if (w >= h) == (rgb.width >= rgb.height) else (h, w)  # as displayed (EXIF)
            return _working(rgb, label, private=True, notes=[_note("{kind}", kind=kind), *notes], source=source)
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(N_("“{label}” declares too many pixels to decode safely (a decompression bomb?). "
                                "Showing the cat instead."), label=label) from None
    except UnidentifiedImageError:
        raise ImageLoadError(N_("“{label}” is not an image DropViz can read (PNG, JPEG or WebP). Showing the cat "
                                "instead."), label=label) from None
    except Exception as e:  # the decoders raise many types (OSError, SyntaxError, struct.error, ...)
        raise ImageLoadError(N_("“{label}” could not be decoded: the file is corrupt or truncated ({error}). "
                                "Showing the cat instead."), label=label, error=type(e).__name__) from None


def _upright(im: Image.Image, notes: list[Note]) -> Image.Image:
    """Apply the EXIF orientation tag (phones store portrait photos sideways). A malformed EXIF block is
    ignored: the pixels are kept as stored."""
    try:
        orientation = int(im.getexif().get(0x0112, 1))
        if orientation in (0, 1):
            return im
        upright = ImageOps.exif_transpose(im)
    except Exception:
        return im
    notes.append(_note(N_("EXIF orientation applied")))
    return upright
