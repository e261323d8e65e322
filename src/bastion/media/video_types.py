"""Plain data of video decoding: limits, what a stream declares, sampled frames, and the
interface every video (FFmpeg or Pillow animation) offers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np

VideoSource = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True, slots=True)
class VideoLimits:
    """Decoder limits. Defaults admit Telegram's largest uploads (4 GB) and 8K frames."""

    max_file_bytes: int = 4 * 1024**3
    max_duration_s: float = 4 * 3600.0
    max_pixels: int = 7680 * 4320
    max_decode_s: float = 1800.0

    def __post_init__(self) -> None:
        if (
            min(self.max_file_bytes, self.max_pixels) <= 0
            or min(self.max_duration_s, self.max_decode_s) <= 0
        ):
            raise ValueError("video limits must be positive")


DEFAULT_VIDEO_LIMITS = VideoLimits()


@dataclass(frozen=True, slots=True)
class VideoInfo:
    container: str
    codec: str
    width: int
    height: int
    fps: float
    duration_s: float | None  # as declared by the container; None when it does not say


@dataclass(frozen=True, slots=True)
class VideoFrame:
    """One sampled frame: its number, timestamp (number / fps) and PDQ luminance plane
    (float32, 0-255, height x width)."""

    number: int
    timestamp: float
    luma: np.ndarray


@dataclass(slots=True)
class DecodeStats:
    """What decoding did, for reports and benchmarks (filled in as frames are read)."""

    frames_seen: int = 0  # frames in the stream up to where decoding stopped
    frames_sampled: int = 0
    packets_dropped: int = 0  # never sent to the decoder: cannot affect a hashed frame
    packets_damaged: int = 0  # rejected by the decoder and skipped
    mode: str = "every-frame"  # or "timestamped" (frames numbered from timestamps)


class Video(Protocol):
    info: VideoInfo
    stats: DecodeStats

    def frames(self, seconds_per_hash: float = 1.0) -> Iterator[VideoFrame]: ...


def frame_step(seconds_per_hash: float, fps: float) -> int:
    """filehasher.cpp: hash frame k iff k % step == 0, step = int(seconds_per_hash * fps) >= 1."""
    if seconds_per_hash < 0:
        raise ValueError("seconds_per_hash must be >= 0 (0 hashes every frame)")
    return max(1, int(seconds_per_hash * fps))
