"""Crafted benign files for decoder tests: every one is generated, none is a real photo."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

from bastion.synthetic import encode, photo_like


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width x height (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def jpeg(seed: int = 1, size: tuple[int, int] = (640, 480), quality: int = 90) -> bytes:
    return encode(photo_like(seed, *size), "JPEG", quality)


def cmyk_jpeg(seed: int = 1) -> bytes:
    buf = io.BytesIO()
    photo_like(seed).convert("CMYK").save(buf, "JPEG", quality=95)
    return buf.getvalue()


def grey16_png(seed: int = 1) -> tuple[bytes, bytes]:
    """(16-bit grey PNG, the same picture as 8-bit grey PNG)."""
    grey8 = np.asarray(photo_like(seed).convert("L"), dtype=np.uint16)
    grey16 = Image.fromarray((grey8 * 257).astype(np.uint16))
    a, b = io.BytesIO(), io.BytesIO()
    grey16.save(a, "PNG")
    Image.fromarray(grey8.astype(np.uint8)).save(b, "PNG")
    return a.getvalue(), b.getvalue()


def palette_with_transparency() -> bytes:
    """A 2-colour palette PNG, left half index 0 (red, transparent), right half index 1 (blue)."""
    im = Image.new("P", (64, 32), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)
    im.paste(1, (32, 0, 64, 32))
    buf = io.BytesIO()
    im.save(buf, "PNG", transparency=0)
    return buf.getvalue()


def animated_gif(seed: int = 1) -> tuple[bytes, Image.Image]:
    first = photo_like(seed, 320, 240).convert("P", palette=Image.Palette.ADAPTIVE)
    second = photo_like(seed + 100, 320, 240).convert("P", palette=Image.Palette.ADAPTIVE)
    buf = io.BytesIO()
    first.save(buf, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    return buf.getvalue(), first.convert("RGB")
