"""Tests of dropviz.data.images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dropviz.data import images
from dropviz.data.images import ImageLoadError, load_upload


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def gradient(w: int = 120, h: int = 80) -> np.ndarray:
    """(h, w, 3) uint8: red grows to the right, green downwards, blue constant."""
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    return np.stack([x, y, np.full_like(x, 60)], -1).astype(np.uint8)


def check(img: images.WorkingImage) -> None:
    assert img.private and img.pixels.dtype == np.uint8 and img.pixels.ndim == 3 and img.pixels.shape[2] == 3
    assert max(img.size) <= images.WORKING_SIZE and min(img.size) >= images.MIN_SIDE
    assert not img.pixels.flags.writeable
    t = img.tensor()
    assert t.shape == (1, 3, *img.size) and float(t.max()) <= 1.0


RGB = Image.fromarray(gradient())


GOOD = {
    "png-rgb": lambda: encode(RGB, "PNG"),
    "jpeg": lambda: encode(RGB, "JPEG", quality=90),
    "webp": lambda: encode(RGB, "WEBP", quality=90),
    "webp-lossless-rgba": lambda: encode(RGB.convert("RGBA"), "WEBP", lossless=True),
    "png-rgba": lambda: encode(Image.merge("RGBA", (*RGB.split(), Image.new("L", RGB.size, 128))), "PNG"),
    "png-la": lambda: encode(RGB.convert("LA"), "PNG"),
    "png-l": lambda: encode(RGB.convert("L"), "PNG"),
    "png-1": lambda: encode(RGB.convert("1"), "PNG"),
    "png-p": lambda: encode(RGB.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
    "png-p-transparent": lambda: encode(RGB.convert("P"), "PNG", transparency=0),
    "jpeg-cmyk": lambda: encode(RGB.convert("CMYK"), "JPEG"),
    "jpeg-grey": lambda: encode(RGB.convert("L"), "JPEG"),
    "png-16bit": lambda: encode(Image.fromarray(gradient()[..., 0].astype(np.uint16) * 257), "PNG"),  # I;16
    "large-jpeg": lambda: encode(Image.fromarray(gradient(3000, 2000)), "JPEG"),
}


def _bomb(side: int) -> bytes:
    """A tiny PNG that declares side × side pixels."""
    return encode(Image.new("1", (side, side)), "PNG")


BAD = {
    "empty": (lambda: b"", "empty"),
    "text": (lambda: b"hello, this is not a picture\n" * 20, "not an image"),
    "random-bytes": (lambda: np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes(), "not an image"),
    "png-header-only": (lambda: encode(RGB, "PNG")[:40], "not an image"),
    "truncated-png": (lambda: encode(RGB, "PNG")[:-200], "corrupt or truncated"),
    "truncated-jpeg": (lambda: encode(RGB, "JPEG")[: len(encode(RGB, "JPEG")) // 2], "corrupt or truncated"),
    "gif": (lambda: encode(RGB, "GIF"), "GIF file"),
    "bmp": (lambda: encode(RGB, "BMP"), "BMP file"),
    "tiff": (lambda: encode(RGB, "TIFF"), "TIFF file"),
    "too-many-bytes": (lambda: b"\x89PNG" + bytes(images.MAX_BYTES), "the limit is 8 MB"),
    "too-many-pixels": (lambda: _bomb(7000), "megapixels"),
    # past Pillow's warning threshold: under pytest the warning is an error, which load_upload catches
    "decompression-bomb": (lambda: _bomb(10_000), "too many pixels"),
    "decompression-bomb-error": (lambda: _bomb(14_000), "too many pixels"),  # past Pillow's error threshold
    "tiny": (lambda: encode(Image.new("RGB", (4, 4)), "PNG"), "too small"),
    "too-narrow": (lambda: encode(Image.new("RGB", (2000, 20)), "PNG"), "too small or too narrow"),
}


@pytest.mark.parametrize("kind", list(GOOD))
def test_good_files_load_as_small_private_rgb(kind):
    img = load_upload(GOOD[kind](), f"photo.{kind}")
    check(img)


def test_sixteen_bit_is_rescaled_not_clipped_to_white():
    img = load_upload(GOOD["png-16bit"](), "deep.png")
    row = img.pixels[img.size[0] // 2, :, 0].astype(int)
    assert row[0] < 20 and row[-1] > 235 and np.all(np.diff(row) >= -2), "the ramp survives"
    assert "rescaled" in img.note


def test_float_and_int_modes_are_stretched():
    from dropviz.data.images import _to_rgb

    notes: list[str] = []
    f = Image.fromarray(np.linspace(-3.0, 5.0, 400, dtype=np.float32).reshape(20, 20))
    assert f.mode == "F"
    out = np.asarray(_to_rgb(f, notes))
    assert out.shape == (20, 20, 3) and out.min() == 0 and out.max() == 255
    i = Image.fromarray(np.arange(400, dtype=np.int32).reshape(20, 20) * 1000)
    assert i.mode == "I" and np.asarray(_to_rgb(i, notes)).max() == 255, "32-bit values stretched, not clipped"
    c = Image.fromarray(np.full((20, 20), 7, dtype=np.int32))
    assert np.asarray(_to_rgb(c, notes)).shape == (20, 20, 3), "a constant image does not divide by zero"


def test_transparency_is_composited_on_white():
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))  # fully transparent red
    img = load_upload(encode(rgba, "PNG"), "clear.png")
    assert (img.pixels == 255).all()


def test_downscaled_to_working_size_keeping_the_aspect_ratio():
    img = load_upload(GOOD["large-jpeg"](), "big.jpg")
    assert img.size == (171, 256) or img.size == (170, 256)
    assert "downscaled" in img.note


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    data = encode(Image.fromarray(gradient(120, 60)), "JPEG", exif=exif.tobytes())
    img = load_upload(data, "phone.jpg")
    assert img.size == (120, 60), "portrait after rotation: (height, width)"
    assert "EXIF" in img.note


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow warns, and in the app the image loads
def test_malformed_exif_is_ignored():
    data = encode(RGB, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage")
    check(load_upload(data, "odd-exif.jpg"))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animations_give_their_first_frame(fmt):
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, format=fmt, save_all=True, append_images=frames[1:], duration=100, loop=0,
                   **({"lossless": True} if fmt == "WEBP" else {}))
    img = load_upload(buf.getvalue(), f"anim.{fmt.lower()}")
    assert tuple(img.pixels[15, 20]) == (255, 0, 0)
    assert "first of 3 frames" in img.note


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_files_get_a_clear_message(kind):
    make, words = BAD[kind]
    with pytest.raises(ImageLoadError) as err:
        load_upload(make(), f"upload-{kind}")
    message = str(err.value)
    assert words in message, message
    assert f"upload-{kind}" in message and "Showing the cat instead" in message


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_bomb_is_refused_by_our_limit_when_pillow_only_warns():
    """In the app Pillow's DecompressionBombWarning is just a warning: our own pixel limit refuses the file."""
    with pytest.raises(ImageLoadError, match="megapixels"):
        load_upload(_bomb(10_000), "bomb.png")


def test_corrupt_bytes_inside_a_file_never_escape():
    good = encode(RGB, "PNG")
    rng = np.random.default_rng(1)
    for start in range(40, len(good) - 64, max(1, len(good) // 25)):
        bad = good[:start] + rng.integers(0, 256, 64, dtype=np.uint8).tobytes() + good[start + 64 :]
        try:
            check(load_upload(bad, "scrambled.png"))
        except ImageLoadError:
            pass


def test_no_truncation_of_a_jpeg_escapes_as_anything_but_image_load_error():
    data = encode(Image.fromarray(gradient(64, 48)), "JPEG")
    for cut in range(0, len(data), max(1, len(data) // 60)):
        try:
            check(load_upload(data[:cut], "cut.jpg"))
        except ImageLoadError:
            pass


def test_the_cat_is_public_and_cached():
    cat = images.cat()
    assert not cat.private and cat is images.cat()
    assert cat.size == (170, 256)
