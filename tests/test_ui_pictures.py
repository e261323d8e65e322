"""What a reviewer's browser is sent: a blurred greyscale preview, or on reveal an upright,
size-limited, metadata-free rendering. Benign synthetic pictures only."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from bastion.service.ui import pictures
from bastion.synthetic import photo_like


def jpeg_with_exif(width: int = 800, height: int = 600, orientation: int = 1) -> bytes:
    image = photo_like(5, width, height)
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "ExampleCam"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90, exif=exif)
    return out.getvalue()


def detail(data: bytes) -> float:
    grey = Image.open(io.BytesIO(data)).convert("L")
    sharp = np.asarray(grey, dtype=np.float64)
    soft = np.asarray(grey.filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
    return float(np.abs(sharp - soft)[4:-4, 4:-4].mean())


def test_the_preview_is_greyscale_and_keeps_almost_none_of_the_detail() -> None:
    original = jpeg_with_exif()
    preview = pictures.preview(original)
    image = Image.open(io.BytesIO(preview))
    assert image.mode == "L" and max(image.size) == pictures.PREVIEW_SIDE
    assert detail(preview) < detail(original) / 10


def test_a_reveal_is_greyscale_unless_colour_is_asked_for_and_carries_no_metadata() -> None:
    original = jpeg_with_exif()
    grey = Image.open(io.BytesIO(pictures.revealed(original, colour=False)))
    colour = Image.open(io.BytesIO(pictures.revealed(original, colour=True)))
    assert grey.mode == "L" and colour.mode == "RGB"
    assert not grey.getexif() and not colour.getexif()


def test_a_reveal_is_upright_and_no_larger_than_the_limit() -> None:
    rotated = jpeg_with_exif(2400, 1200, orientation=6)  # shown rotated 90 degrees
    image = Image.open(io.BytesIO(pictures.revealed(rotated, colour=False)))
    assert image.size == (pictures.REVEAL_SIDE // 2, pictures.REVEAL_SIDE)


def test_bytes_that_are_not_a_picture_are_refused_with_a_reason() -> None:
    with pytest.raises(pictures.RenderingError, match="unsupported"):
        pictures.preview(b"%PDF-1.7 not a picture")
