"""Benign generated videos and animations for tests: panning synthetic scenes and moving
blocks, small and short. Every one is made here; none is a real recording."""

from __future__ import annotations

import io
import os
import tempfile

import av
import numpy as np
from PIL import Image

from bastion.synthetic import photo_like


def scenes(count: int, size: tuple[int, int], seed: int = 0, pan: int = 0) -> list[np.ndarray]:
    width, height = size
    return [np.asarray(photo_like(seed + i, width + pan, height)) for i in range(count)]


def video(
    seconds: float = 4.0,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    *,
    codec: str = "libx264",
    container: str = "mp4",
    options: dict[str, str] | None = None,
    seed: int = 0,
    still: np.ndarray | None = None,
    still_between: tuple[float, float] = (0.0, 0.0),
    faststart: bool = False,
) -> bytes:
    """A panning benign scene (a new one each second) with a moving block. Between the
    `still_between` seconds every frame is exactly `still` (an RGB array of `size`). `faststart` puts the MP4 index first, as phones and
    messaging apps do, so that a cut file still has it."""
    backgrounds = scenes(max(1, int(seconds) + 1), size, seed, pan=fps * 2)
    if faststart:  # the muxer re-reads its output to move the index: needs a real file
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, f"clip.{container}")
            _encode(
                path,
                seconds,
                fps,
                size,
                codec,
                container,
                options,
                backgrounds,
                still,
                still_between,
                {"movflags": "faststart"},
            )
            with open(path, "rb") as f:
                return f.read()
    buffer = io.BytesIO()
    _encode(
        buffer, seconds, fps, size, codec, container, options, backgrounds, still, still_between, {}
    )
    return buffer.getvalue()


def _encode(
    target, seconds, fps, size, codec, container, options, backgrounds, still, still_between, muxer
) -> None:
    width, height = size
    with av.open(target, "w", format=container, options=muxer) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast"} if codec == "libx264" else {}
        stream.options.update(options or {})
        for k in range(int(seconds * fps)):
            t = k / fps
            if still is not None and still_between[0] <= t < still_between[1]:
                picture = still
            else:
                offset = 2 * (k % fps)
                picture = backgrounds[k // fps][:, offset : offset + width].copy()
                x = (k * 7) % (width - 30)
                picture[20:50, x : x + 30] = (250, 220, 30)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def animation(fmt: str, frames: int = 6, size: tuple[int, int] = (120, 90)) -> bytes:
    """An animated GIF or WebP of benign pictures, 200 ms per frame."""
    pictures = [photo_like(50 + i, *size) for i in range(frames)]
    buffer = io.BytesIO()
    if fmt == "GIF":
        pictures = [p.convert("P", palette=Image.Palette.ADAPTIVE) for p in pictures]
    pictures[0].save(buffer, fmt, save_all=True, append_images=pictures[1:], duration=200, loop=0)
    return buffer.getvalue()
