"""vPDQ: Meta's video hash, a set of PDQ hashes of frames sampled over time.

Each frame hash records the frame's number, its PDQ quality (0-100), its PDQ hash and its
timestamp in seconds. The text form is ThreatExchange's hash file (vpdq/cpp/vpdq/cpp/io/
vpdqio.cpp): one frame per line, `frame_number,quality,pdq_hex,timestamp_s`, the timestamp with
exactly three decimals (`0,100,e271...055c,0.000`). A whole vPDQ hash is stored as one value:
those lines joined by newlines, so a reference hash file is a valid value as it stands.

Distance (for the signal registry): 100 - floor(max(query %, listed %)) where the percentages
are the shares of each video's usable unique frame hashes found in the other
(`bastion.signals.vpdq_score`). 0 means every usable frame of one video is in the other; 100
means nothing matched. It is symmetric. A distance <= 20 is python-threatexchange's
`VideoVPDQSignal.compare_hash` rule (max of the two percentages >= 80).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bastion.media.errors import TruncatedMedia
from bastion.signals.base import SignalParseError, SignalType
from bastion.signals.pdq import QUALITY_THRESHOLD, pdq_from_luma

VPDQ_MAX_DISTANCE = 100
VPDQ_DEFAULT_THRESHOLD = 20  # max(query %, listed %) >= 80: python-threatexchange video_vpdq.py
_HEX = frozenset("0123456789abcdef")

if TYPE_CHECKING:  # the decoder (and FFmpeg) load only when a video is hashed
    from bastion.media.video import Video, VideoLimits, VideoSource


class VpdqParseError(SignalParseError):
    """A vPDQ text that does not parse; names the line (1-based) and the reason."""

    def __init__(self, text: str, line: int, reason: str) -> None:
        self.line = line
        super().__init__("vpdq", text, f"line {line}: {reason}")


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    number: int
    quality: int
    pdq: str  # 64 lower-case hex characters
    timestamp: float  # seconds

    @property
    def usable(self) -> bool:
        return self.quality >= QUALITY_THRESHOLD

    def line(self) -> str:
        return f"{self.number},{self.quality},{self.pdq},{self.timestamp:.3f}"


@dataclass(frozen=True, slots=True)
class VpdqHash:
    """A video's vPDQ hash: its sampled frames' PDQ hashes, in frame order."""

    frames: tuple[VpdqFrame, ...]

    def __len__(self) -> int:
        return len(self.frames)

    def to_text(self) -> str:
        """ThreatExchange's hash-file lines joined by newlines (no trailing newline)."""
        return "\n".join(frame.line() for frame in self.frames)

    @classmethod
    def from_text(cls, text: str) -> VpdqHash:
        return parse_vpdq(text)

    @property
    def usable_hashes(self) -> frozenset[str]:
        """Unique PDQ hashes of frames with quality >= 50: what matching compares."""
        return frozenset(f.pdq for f in self.frames if f.usable)


def _parse_line(text: str, number: int, line: str) -> VpdqFrame:
    parts = line.split(",")
    if len(parts) != 4:
        raise VpdqParseError(
            text, number, f"expected 4 comma-separated fields, got {len(parts)}: {line[:100]!r}"
        )
    frame_s, quality_s, pdq, timestamp_s = (p.strip() for p in parts)
    try:
        frame = int(frame_s)
    except ValueError:
        raise VpdqParseError(
            text, number, f"frame number {frame_s[:20]!r} is not an integer"
        ) from None
    if frame < 0:
        raise VpdqParseError(text, number, f"frame number {frame} is negative")
    try:
        quality = int(quality_s)
    except ValueError:
        raise VpdqParseError(
            text, number, f"quality {quality_s[:20]!r} is not an integer"
        ) from None
    if not 0 <= quality <= 100:
        raise VpdqParseError(text, number, f"quality {quality} is not between 0 and 100")
    pdq = pdq.lower()
    if len(pdq) != 64 or not _HEX.issuperset(pdq):
        raise VpdqParseError(text, number, "PDQ hash must be 64 hexadecimal characters")
    try:
        timestamp = float(timestamp_s)
    except ValueError:
        raise VpdqParseError(
            text, number, f"timestamp {timestamp_s[:20]!r} is not a number"
        ) from None
    if not math.isfinite(timestamp) or timestamp < 0:
        raise VpdqParseError(text, number, f"timestamp {timestamp_s[:20]!r} is not a time >= 0")
    return VpdqFrame(frame, quality, pdq, round(timestamp, 3))


def _parse_json(text: str) -> VpdqHash:
    """python-threatexchange's form: a JSON list of "pdq_hex,quality,timestamp" strings
    (it has no frame numbers: frames are numbered in list order)."""
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise VpdqParseError(text, getattr(exc, "lineno", 1), f"invalid JSON: {exc}") from None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise VpdqParseError(text, 1, "the JSON form is a list of 'pdq_hex,quality,timestamp'")
    frames = []
    for index, item in enumerate(items):
        fields = item.split(",")
        if len(fields) != 3:
            raise VpdqParseError(
                text, 1, f"item {index + 1} is not 'pdq_hex,quality,timestamp': {item[:100]!r}"
            )
        pdq, quality, timestamp = fields
        frames.append(_parse_line(text, 1, f"{index},{quality},{pdq},{timestamp}"))
    return VpdqHash(tuple(frames))


def parse_vpdq(text: str) -> VpdqHash:
    """Parse ThreatExchange's line format (lines separated by newlines or ';'; blank lines
    ignored) or python-threatexchange's JSON list. Frame numbers must increase."""
    if not isinstance(text, str):
        raise SignalParseError("vpdq", repr(text), f"expected text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise VpdqParseError(text, 1, "empty: a vPDQ hash has at least one frame")
    if stripped.startswith("["):
        parsed = _parse_json(stripped)
    else:
        lines = stripped.replace(";", "\n").splitlines()
        parsed = VpdqHash(
            tuple(_parse_line(text, i + 1, line) for i, line in enumerate(lines) if line.strip())
        )
    previous = -1
    for i, frame in enumerate(parsed.frames):
        if frame.number <= previous:
            raise VpdqParseError(
                text, i + 1, f"frame number {frame.number} does not follow {previous}"
            )
        previous = frame.number
    return parsed


class VPDQ(SignalType):
    name = "vpdq"
    description = (
        "vPDQ video hash: PDQ hashes of sampled frames (frame,quality,pdq,timestamp per line); "
        "distance 100 - max(query %, listed %) of unique usable frames matched at PDQ <= 31"
    )
    max_distance = VPDQ_MAX_DISTANCE
    default_threshold = VPDQ_DEFAULT_THRESHOLD

    def parse(self, text: str) -> str:
        return parse_vpdq(text).to_text()

    def distance(self, a: str, b: str) -> int:
        from bastion.signals.vpdq_score import score

        result = score(parse_vpdq(a), parse_vpdq(b))
        return VPDQ_MAX_DISTANCE - math.floor(max(result.query_percent, result.listed_percent))


def vpdq_of_video(video: Video, seconds_per_hash: float = 1.0) -> VpdqHash:
    """Hash the sampled frames of an open video. A cut file raises TruncatedMedia whose
    `partial` holds the hash of the frames decoded before the cut."""
    from threadpoolctl import threadpool_limits

    frames: list[VpdqFrame] = []
    try:
        # OpenBLAS's spinning worker threads fight FFmpeg's decoding threads for the cores:
        # measured 2x slower on the reference videos. PDQ's small products need one thread.
        with threadpool_limits(1, user_api="blas"):
            for frame in video.frames(seconds_per_hash):
                height, width = frame.luma.shape
                pdq = pdq_from_luma(frame.luma, (width, height))
                timestamp = round(frame.timestamp, 3)
                frames.append(VpdqFrame(frame.number, pdq.quality, pdq.hex, timestamp))
    except TruncatedMedia as error:
        error.partial = VpdqHash(tuple(frames)) if frames else None
        raise
    return VpdqHash(tuple(frames))


def hash_video(
    source: VideoSource,
    name: str | None = None,
    *,
    seconds_per_hash: float = 1.0,
    limits: VideoLimits | None = None,
    threads: int = 0,
) -> VpdqHash:
    """vPDQ of a video given as bytes, a path or a seekable binary stream. Raises MediaError
    subclasses (EmptyMedia, TruncatedMedia, CorruptMedia, UnsupportedMedia, MediaTooLarge,
    DecompressionBomb, DecodeTimeout, UnreadableMedia) with messages naming `name`."""
    from bastion.media.video import DEFAULT_VIDEO_LIMITS, open_video

    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else None)
    with open_video(source, label, limits or DEFAULT_VIDEO_LIMITS, threads) as video:
        return vpdq_of_video(video, seconds_per_hash)
