"""Benign synthetic pictures for demos, tests and benchmarks.

Smooth colour fields, geometric shapes and sensor-like noise: photo-like statistics for a
perceptual hash (high PDQ quality, unrelated seeds about 128 bits apart) and nothing else.
Deterministic: the same seed and size always give the same pixels.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo_like(seed: int, width: int = 640, height: int = 480) -> Image.Image:
    """A deterministic benign RGB picture of the given size."""
    rng = np.random.default_rng(seed)
    grid = rng.integers(0, 256, size=(rng.integers(3, 7), rng.integers(3, 7), 3), dtype=np.uint8)
    image = Image.fromarray(grid, "RGB").resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    scale = min(width, height)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        w, h = rng.integers(scale // 12, scale // 2, size=2)
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        box = (int(x0), int(y0), int(x0 + w), int(y0 + h))
        shape = rng.integers(0, 3)
        if shape == 0:
            draw.ellipse(box, fill=colour)
        elif shape == 1:
            draw.rectangle(box, fill=colour)
        else:
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(3)]
            draw.polygon(points, fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1.0, scale / 400)))
    pixels = np.asarray(image, dtype=np.int16)
    noise = rng.integers(-12, 13, size=pixels.shape, dtype=np.int16)
    return Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG", "WEBP"):
        image.save(buffer, format=fmt, quality=quality)
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def photo_like_jpeg(seed: int, width: int = 640, height: int = 480, quality: int = 90) -> bytes:
    return encode(photo_like(seed, width, height), "JPEG", quality)
