"""Benign bytes for each kind of attachment: generated pictures (bastion.synthetic) in the
containers Telegram uses, or a close stand-in where making the real one needs a codec library
(videos are Motion-JPEG AVI; audio is PCM WAV; voice messages can only be placeholders)."""

from __future__ import annotations

import io
import math
import struct
import wave

from PIL import Image

from bastion.synthetic import encode, photo_like

# kind -> (mime type, extension tdesktop derives from it)
MIME: dict[str, tuple[str | None, str]] = {
    "photo": (None, ".jpg"),
    "video": ("video/x-msvideo", ".avi"),
    "video_message": ("video/x-msvideo", ".avi"),
    "animation": ("image/gif", ".gif"),
    "sticker": ("image/webp", ".webp"),
    "audio": ("audio/x-wav", ".wav"),
    "document": ("image/png", ".png"),
    "voice": ("audio/ogg", ".ogg"),
}


def media_bytes(kind: str, seed: int, pixels: tuple[int, int], duration: int) -> bytes:
    width, height = pixels
    if kind == "photo":
        return encode(photo_like(seed, width, height), "JPEG", 88)
    if kind == "document":
        return encode(photo_like(seed, width, height), "PNG")
    if kind == "sticker":
        return encode(photo_like(seed, 512, 512), "WEBP", 80)
    if kind == "animation":
        return _gif(seed, width, height)
    if kind in ("video", "video_message"):
        return mjpeg_avi(seed, width, height, frames=max(2, duration * 2), fps=2)
    if kind == "audio":
        return _wav(duration)
    raise ValueError(f"synthetic exports cannot contain a downloaded {kind}: use a placeholder")


def thumbnail_bytes(seed: int, pixels: tuple[int, int]) -> tuple[bytes, tuple[int, int]]:
    """A server-side thumbnail of a document: the first frame, 320 pixels on the long side."""
    width, height = pixels
    scale = 320 / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return encode(photo_like(seed, width, height).resize(size), "JPEG", 80), size


def preview_bytes(
    data: bytes, box: tuple[int, int], fmt: str = "JPEG"
) -> tuple[bytes, tuple[int, int]]:
    """What tdesktop's HTML writer makes from a downloaded picture (WriteImageThumb): scaled to
    fit `box`, in `fmt`."""
    with Image.open(io.BytesIO(data)) as image:
        picture = image.convert("RGB")
    picture.thumbnail(box)
    return encode(picture, fmt, 80), picture.size


def _gif(seed: int, width: int, height: int) -> bytes:
    frames = [photo_like(seed + n, width, height).convert("P") for n in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    return buffer.getvalue()


def _wav(seconds: int) -> bytes:
    rate = 8000
    samples = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(rate * seconds)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()


def mjpeg_avi(seed: int, width: int, height: int, frames: int, fps: int) -> bytes:
    """A Motion-JPEG AVI (RIFF 'AVI ', one video stream, idx1 index) of benign frames that drift
    slowly: a real, decodable video without a codec library."""
    base = photo_like(seed, width + frames * 4, height)
    jpegs = [
        encode(base.crop((n * 4, 0, n * 4 + width, height)), "JPEG", 85) for n in range(frames)
    ]

    def chunk(fourcc: bytes, payload: bytes) -> bytes:
        return (
            fourcc
            + struct.pack("<I", len(payload))
            + payload
            + (b"\0" if len(payload) % 2 else b"")
        )

    def riff_list(kind: bytes, payload: bytes) -> bytes:
        return b"LIST" + struct.pack("<I", len(payload) + 4) + kind + payload

    largest = max(len(j) for j in jpegs)
    avih = struct.pack(
        "<10I16x", 1_000_000 // fps, largest * fps, 0, 0x10, frames, 0, 1, largest, width, height
    )
    strh = b"vidsMJPG" + struct.pack(
        "<IHHIIIIIIiI4h", 0, 0, 0, 0, 1, fps, 0, frames, largest, -1, 0, 0, 0, width, height
    )
    strf = struct.pack(
        "<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0
    )
    header = riff_list(
        b"hdrl",
        chunk(b"avih", avih) + riff_list(b"strl", chunk(b"strh", strh) + chunk(b"strf", strf)),
    )
    movi_chunks = [chunk(b"00dc", j) for j in jpegs]
    index, offset = [], 4  # idx1 offsets count from the 'movi' fourcc
    for j, data in zip(jpegs, movi_chunks, strict=True):
        index.append(b"00dc" + struct.pack("<III", 0x10, offset, len(j)))
        offset += len(data)
    body = riff_list(b"movi", b"".join(movi_chunks)) + chunk(b"idx1", b"".join(index))
    payload = b"AVI " + header + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload
