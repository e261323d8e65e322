"""Animated WebP through Pillow, behind the video interface (FFmpeg cannot decode it).

Frames are numbered and sampled exactly as video frames are (`frame_step`): the frame rate is
the number of frames over the total display time, as FFmpeg's average frame rate would be.
Each frame is the fully composited canvas (Pillow applies WebP's blending and disposal) made
RGB by the image decoder's rules (transparency over black), so frame 0 hashes as the still
image hasher hashes the file.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PIL import Image

from bastion.media.errors import (
    CorruptMedia,
    DecodeTimeout,
    DecompressionBomb,
    MediaError,
    MediaTooLarge,
    TruncatedMedia,
)
from bastion.media.image import to_rgb
from bastion.media.video_types import DecodeStats, VideoFrame, VideoInfo, VideoLimits, frame_step

_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # pdqhashing.cpp
# Browsers show a frame declaring no duration for 100 ms (the same convention as for GIF).
_DEFAULT_FRAME_MS = 100


def webp_frame_durations(data: bytes) -> list[int]:
    """Display time in ms of each frame of an animated WebP, from its ANMF chunk headers."""
    durations = []
    offset = 12
    while offset + 8 <= len(data):
        kind = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        if kind == b"ANMF" and size >= 16:
            ms = int.from_bytes(data[offset + 20 : offset + 23], "little")
            durations.append(ms or _DEFAULT_FRAME_MS)
        offset += 8 + size + (size & 1)
    return durations


class PillowAnimation:
    def __init__(self, image: Image.Image, data: bytes, label: str, limits: VideoLimits) -> None:
        self._image = image
        self._label = label
        self._limits = limits
        self.stats = DecodeStats(mode="every-frame")
        durations = webp_frame_durations(data)
        count = int(getattr(image, "n_frames", 1))
        total_s = (sum(durations) or _DEFAULT_FRAME_MS * count) / 1000
        if total_s > limits.max_duration_s:
            raise MediaTooLarge(
                label, f"lasts {total_s:,.0f} s, over the {limits.max_duration_s:,.0f}-second limit"
            )
        self.info = VideoInfo(
            container="webp",
            codec="webp",
            width=image.width,
            height=image.height,
            fps=count / total_s,
            duration_s=total_s,
        )
        self._count = count

    def frames(self, seconds_per_hash: float = 1.0) -> Iterator[VideoFrame]:
        step = frame_step(seconds_per_hash, self.info.fps)
        started = time.monotonic()
        for number in range(0, self._count, step):
            if time.monotonic() - started > self._limits.max_decode_s:
                raise DecodeTimeout(
                    self._label,
                    f"decoding passed the {self._limits.max_decode_s:,.0f}-second limit",
                )
            try:
                self._image.seek(number)
                rgb = np.asarray(to_rgb(self._image), dtype=np.float32)
            except MediaError:
                raise
            except EOFError:
                raise TruncatedMedia(self._label, f"the animation ends at frame {number}") from None
            except Exception as exc:
                raise CorruptMedia(self._label, f"cannot decode frame {number}: {exc}") from None
            self.stats.frames_seen = number + 1
            self.stats.frames_sampled += 1
            yield VideoFrame(number, number / self.info.fps, rgb @ _LUMA_WEIGHTS)


@contextmanager
def open_animation(data: bytes, label: str, limits: VideoLimits) -> Iterator[PillowAnimation]:
    try:
        image = Image.open(io.BytesIO(data), formats=["WEBP"])
    except Exception as exc:
        raise CorruptMedia(label, f"cannot decode: {str(exc)[:160]}") from None
    try:
        if image.width * image.height > limits.max_pixels:
            raise DecompressionBomb(
                label,
                f"declares {image.width}x{image.height} pixels per frame, over the "
                f"{limits.max_pixels:,}-pixel limit",
            )
        yield PillowAnimation(image, data, label, limits)
    finally:
        image.close()
