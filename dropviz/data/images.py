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

CAT = "cat.png"  # package data of dropviz.data (see CREDITS.md beside it)
CAT_CREDIT = '"Chelsea the cat" by Stefan van der Walt, CC0 (the picture scikit-image ships)'

WORKING_SIZE = 256  # longest side, in pixels, of the image every page computes on
MIN_SIDE = 16  # shortest side after downscaling (a 7×7 DropBlock and 2×2 pooling need room)
MAX_BYTES = 8 * 1024 * 1024  # same as server.maxUploadSize in .streamlit/config.toml
MAX_PIXELS = 40_000_000  # width × height read from the header; above this we refuse to decode
FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "WebP"}  # MPO: JPEG from phone cameras


class ImageLoadError(ValueError):
    """An upload that cannot be used; ``str(error)`` is the message shown to the user."""


@dataclass(frozen=True, eq=False)
class WorkingImage:
    """An RGB picture at working size. ``pixels``: (H, W, 3) uint8, read-only."""

    pixels: np.ndarray = field(repr=False)
    name: str
    private: bool  # True for a user's upload: never cached across sessions
    digest: str  # sha256 of the pixels: identifies the picture in cache keys
    note: str = ""  # what loading did, e.g. "downscaled from 4032 × 3024; EXIF rotation applied"

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)"""
        return self.pixels.shape[0], self.pixels.shape[1]

    def tensor(self):
        """(1, 3, H, W) float32 in [0, 1], on CPU."""
        import torch

        return torch.from_numpy(self.pixels.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0).contiguous()


def _working(img: Image.Image, name: str, private: bool, notes: list[str],
             source: tuple[int, int] | None = None) -> WorkingImage:
    """Downscale to the working size and freeze the pixels; refuse a picture too small to compute on.
    ``source``: the (width, height) the file declared, when decoding already reduced it (JPEG draft mode)."""
    w, h = source or img.size
    if max(img.size) > WORKING_SIZE:
        scale = WORKING_SIZE / max(w, h)
        img = img.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.LANCZOS)
        notes.append(f"downscaled from {w} × {h} to {img.size[0]} × {img.size[1]}")
    elif source is not None and source != img.size:
        notes.append(f"downscaled from {w} × {h} to {img.size[0]} × {img.size[1]}")
    if min(img.size) < MIN_SIDE:
        raise ImageLoadError(
            f"“{name}” is too small or too narrow: {img.size[0]} × {img.size[1]} pixels at working size, and "
            f"DropViz needs at least {MIN_SIDE} pixels on each side (an aspect ratio up to "
            f"{WORKING_SIZE // MIN_SIDE}:1). Showing the cat instead."
        )
    pixels = np.asarray(img, dtype=np.uint8).copy()
    pixels.setflags(write=False)
    digest = hashlib.sha256(pixels.tobytes() + repr(pixels.shape).encode()).hexdigest()
    return WorkingImage(pixels, name, private, digest, "; ".join(notes))


@lru_cache(maxsize=1)
def cat() -> WorkingImage:
    """The bundled cat (CC0, see dropviz/data/CREDITS.md) at working size, read from the package's own data with
    importlib.resources (so it is found wherever dropviz is installed). Loaded once per process."""
    with resources.files("dropviz.data").joinpath(CAT).open("rb") as f, Image.open(f) as im:
        return _working(im.convert("RGB"), "the cat", private=False, notes=[])


def _to_rgb(im: Image.Image, notes: list[str]) -> Image.Image:
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
        notes.append("transparency composited on white")
        return Image.alpha_composite(white, im).convert("RGB")
    if mode.startswith("I") or mode == "F":  # I;16, I;16B, I;16L, I (32-bit), F (32-bit float)
        a = np.asarray(im, dtype=np.float64)
        if mode.startswith("I;16"):
            a = a / 65535.0
        else:  # unknown range: stretch what is there
            finite = a[np.isfinite(a)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            a = (np.nan_to_num(a, nan=lo, posinf=hi, neginf=lo) - lo) / (hi - lo if hi > lo else 1.0)
        notes.append(f"{mode} image rescaled to 8 bits")
        g = np.clip(np.round(a * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(g, "L").convert("RGB")
    notes.append(f"{mode} converted to RGB")
    return im.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def load_upload(data: bytes, name: str = "your image") -> WorkingImage:
    """Decode an uploaded PNG / JPEG / WebP into a private :class:`WorkingImage`, or raise
    :class:`ImageLoadError` saying what is wrong. Nothing else escapes."""
    label = os.path.basename(str(name))[:80] or "your image"
    if not data:
        raise ImageLoadError(f"“{label}” is empty (0 bytes). Showing the cat instead.")
    if len(data) > MAX_BYTES:
        raise ImageLoadError(
            f"“{label}” is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES / 2**20:.0f} MB. "
            "Showing the cat instead."
        )
    notes: list[str] = []
    try:
        with Image.open(io.BytesIO(data)) as im:
            kind = FORMATS.get(im.format or "")
            if kind is None:
                raise ImageLoadError(
                    f"“{label}” is a {im.format or 'unknown'} file; DropViz takes PNG, JPEG or WebP. "
                    "Showing the cat instead."
                )
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageLoadError(
                    f"“{label}” is {w} × {h} = {w * h / 1e6:.0f} megapixels; the limit is "
                    f"{MAX_PIXELS / 1e6:.0f}. Showing the cat instead."
                )
            if getattr(im, "n_frames", 1) > 1:
                notes.append(f"first of {im.n_frames} frames")
                im.seek(0)
            if kind == "JPEG":
                im.draft("RGB", (WORKING_SIZE, WORKING_SIZE))  # decode a big JPEG at a reduced size
            im.load()
            rgb = _to_rgb(_upright(im, notes), notes)
            source = (w, h) if (w >= h) == (rgb.width >= rgb.height) else (h, w)  # as displayed (EXIF)
            return _working(rgb, label, private=True, notes=[kind, *notes], source=source)
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(
            f"“{label}” declares too many pixels to decode safely (a decompression bomb?). Showing the cat instead."
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(
            f"“{label}” is not an image DropViz can read (PNG, JPEG or WebP). Showing the cat instead."
        ) from None
    except Exception as e:  # the decoders raise many types (OSError, SyntaxError, struct.error, ...)
        raise ImageLoadError(
            f"“{label}” could not be decoded: the file is corrupt or truncated ({type(e).__name__}). "
            "Showing the cat instead."
        ) from None


def _upright(im: Image.Image, notes: list[str]) -> Image.Image:
    """Apply the EXIF orientation tag (phones store portrait photos sideways). A malformed EXIF block is
    ignored: the pixels are kept as stored."""
    try:
        orientation = int(im.getexif().get(0x0112, 1))
        if orientation in (0, 1):
            return im
        upright = ImageOps.exif_transpose(im)
    except Exception:
        return im
    notes.append("EXIF orientation applied")
    return upright
