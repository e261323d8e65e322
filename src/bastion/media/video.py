"""Video decoding for vPDQ: sampled frames as PDQ luminance, one at a time, within limits.

The rules follow Meta's reference vPDQ hasher (facebook/ThreatExchange,
vpdq/cpp/vpdq/cpp/hashing/filehasher.cpp and ffmpegwrapper.cpp):

1. The first video stream is decoded. Its frame rate is the stream's average frame rate, or its
   real base rate (r_frame_rate) when that is zero; a video with no frame rate is corrupt.
2. Frames are numbered 0, 1, 2... in presentation order, counting every frame the decoder
   shows. Frame k is hashed iff k % max(1, int(seconds_per_hash * fps)) == 0
   (seconds_per_hash 0 means every frame); its timestamp is k / fps seconds.
3. The reference converts each hashed frame to RGB24 with swscale (BT.601 matrix unless the
   pixel format says otherwise) and PDQ takes luma 0.299 R + 0.587 G + 0.114 B. For YUV video
   that luma is the Y plane itself, stretched from video range (16-235) to 0-255, so Bastion
   reads the Y plane and skips colour conversion entirely (tests/test_vpdq_reference.py:
   closer to the reference hashes than converting to RGB first).

Speed without changing the result: a frame that is not hashed is never converted, and in MP4,
MOV, Matroska and WebM (whose packets all carry presentation timestamps) frames are numbered
from those timestamps, so the decoder may skip work that cannot affect a hashed frame:
non-reference frames that are not hashed (FFmpeg's skip_frame=nonref), and the tail of a
group of pictures after its last hashed frame, up to the next keyframe, is not decoded at all.
Other containers, and every-frame hashing, decode every frame and count them as the reference
does.

Memory stays bounded: one decoded frame at a time, plus a window of compressed packets reaching
to the next keyframe (capped in bytes and packets; past the cap the decoder just decodes more).
Limits (file size, duration, pixels per frame, decode wall time) are checked before decoding
from the container's declarations and again as frames arrive, since declarations can lie.
Animated WebP, which FFmpeg cannot decode, comes through Pillow behind the same interface
(`bastion.media.animation`).
"""

from __future__ import annotations

import bisect
import io
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

import av
import numpy as np

from bastion.media.errors import (
    CorruptMedia,
    DecodeTimeout,
    DecompressionBomb,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    TruncatedMedia,
    UnreadableMedia,
    UnsupportedMedia,
)
from bastion.media.sniff import SNIFF_BYTES, sniff

VideoSource = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO

# Containers whose every packet carries a presentation timestamp, so frames can be numbered
# without decoding them (FFmpeg's demuxer names).
_TIMESTAMPED = ("mov", "mp4", "matroska", "webm")
# H.264 allows at most 16 frames of reordering; packets this far ahead are read before a
# packet's presentation rank is trusted.
_REORDER_LOOKAHEAD = 32
_WINDOW_MAX_PACKETS = 1200
_WINDOW_MAX_BYTES = 64 * 1024 * 1024


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


class _Opener:
    """Opens the same input again (bytes, path or seekable stream) and reads its head."""

    def __init__(self, source: VideoSource, name: str) -> None:
        self.source = source
        self.name = name
        if isinstance(source, (bytes, bytearray, memoryview)):
            self.size = len(source)
        elif isinstance(source, (str, os.PathLike)):
            try:
                if os.path.isdir(source):
                    raise UnreadableMedia(name, "is a directory")
                with open(source, "rb") as f:
                    self.size = os.fstat(f.fileno()).st_size
            except FileNotFoundError:
                raise UnreadableMedia(name, "no such file") from None
            except PermissionError:
                raise UnreadableMedia(name, "permission denied") from None
            except OSError as exc:
                raise UnreadableMedia(name, exc.strerror or type(exc).__name__) from None
        else:
            try:
                start = source.tell()
                self.size = source.seek(0, io.SEEK_END) - start
                source.seek(start)
            except (OSError, AttributeError, ValueError):
                raise UnreadableMedia(
                    name, "the stream is not seekable; pass bytes or a path instead"
                ) from None
            self._start = start

    def read_at(self, offset: int, length: int) -> bytes:
        src = self.source
        if isinstance(src, (bytes, bytearray, memoryview)):
            return bytes(src[offset : offset + length])
        if isinstance(src, (str, os.PathLike)):
            with open(src, "rb") as f:
                f.seek(offset)
                return f.read(length)
        src.seek(self._start + offset)
        data = src.read(length)
        src.seek(self._start)
        return data

    def open(self) -> av.container.InputContainer:
        src = self.source
        if isinstance(src, (bytes, bytearray, memoryview)):
            file: object = io.BytesIO(src)
        elif isinstance(src, (str, os.PathLike)):
            file = os.fspath(src)
        else:
            src.seek(self._start)
            file = src
        return av.open(file, mode="r", metadata_errors="ignore")


def mp4_truncated(read_at: Callable[[int, int], bytes], size: int) -> bool:
    """True when an ISO media file's top-level boxes run past its end (a cut download)."""
    offset = 0
    while offset + 8 <= size:
        header = read_at(offset, 16)
        box = int.from_bytes(header[:4], "big")
        if box == 1 and len(header) >= 16:
            box = int.from_bytes(header[8:16], "big")
        elif box == 0:  # "extends to the end of the file"
            return False
        if box < 8:
            return False
        offset += box
    return offset > size


@contextmanager
def open_video(
    source: VideoSource,
    name: str | None = None,
    limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
    threads: int = 0,
) -> Iterator[Video]:
    """Open a video (bytes, a path, or a seekable binary stream) after the format and limit
    checks. `threads` is FFmpeg's decoding thread count (0 = one per core)."""
    label = name or (os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<video>")
    opener = _Opener(source, label)
    if opener.size == 0:
        raise EmptyMedia(label, "file is empty (0 bytes)")
    if opener.size > limits.max_file_bytes:
        raise MediaTooLarge(
            label, f"{opener.size:,} bytes exceeds the {limits.max_file_bytes:,}-byte limit"
        )
    kind = sniff(opener.read_at(0, SNIFF_BYTES))
    if kind.format == "WEBP":
        from bastion.media.animation import open_animation

        with open_animation(opener.read_at(0, opener.size), label, limits) as animation:
            yield animation
        return
    if kind.is_image and kind.format != "GIF":
        raise UnsupportedMedia(label, f"a still {kind.format} image: use the image hasher")
    if kind.kind == "unknown":
        raise UnsupportedMedia(label, "not a recognised video format (checked by content)")
    video = _FFmpegVideo(opener, kind.format, limits, threads)
    try:
        yield video
    finally:
        video.close()


def _classify(label: str, exc: BaseException, truncated: bool) -> MediaError:
    if truncated:
        return TruncatedMedia(label, "the file ends before the video does")
    detail = getattr(exc, "strerror", None) or type(exc).__name__
    return CorruptMedia(label, f"FFmpeg cannot read it as video ({detail})")


class _FFmpegVideo:
    def __init__(self, opener: _Opener, sniffed: str, limits: VideoLimits, threads: int) -> None:
        self._opener = opener
        self._limits = limits
        self._threads = threads
        self._sniffed = sniffed
        self._container: av.container.InputContainer | None = None
        self.stats = DecodeStats()
        label = opener.name
        try:
            container = opener.open()
        except av.error.FFmpegError as exc:
            raise _classify(label, exc, self._truncated()) from None
        self._container = container
        try:
            self._describe(container, label)
        except BaseException:
            self.close()
            raise

    def _describe(self, container: av.container.InputContainer, label: str) -> None:
        limits = self._limits
        if not container.streams.video:
            raise UnsupportedMedia(label, "has no video stream")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            raise CorruptMedia(label, f"declares an empty picture ({width}x{height})")
        if width * height > limits.max_pixels:
            raise DecompressionBomb(
                label,
                f"declares {width}x{height} = {width * height:,} pixels per frame, over the "
                f"{limits.max_pixels:,}-pixel limit",
            )
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        if fps <= 0:
            raise CorruptMedia(label, "declares no frame rate")
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        if duration is not None and duration > limits.max_duration_s:
            raise MediaTooLarge(
                label,
                f"lasts {duration:,.0f} s, over the {limits.max_duration_s:,.0f}-second limit",
            )
        self._stream = stream
        self.info = VideoInfo(
            container=container.format.name,
            codec=stream.codec_context.name,
            width=width,
            height=height,
            fps=fps,
            duration_s=duration,
        )

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _truncated(self) -> bool:
        if self._sniffed not in ("mp4", "mov"):
            return False
        return mp4_truncated(self._opener.read_at, self._opener.size)

    def frames(self, seconds_per_hash: float = 1.0) -> Iterator[VideoFrame]:
        step = frame_step(seconds_per_hash, self.info.fps)
        timestamped = step > 1 and any(n in self.info.container for n in _TIMESTAMPED)
        threaded = self._threads != 1
        decoder = _Decoder(self, step, threaded=threaded)
        while True:
            try:
                if timestamped:
                    yield from decoder.timestamped()
                else:
                    yield from decoder.every_frame()
                return
            except _Restart as restart:
                # Start again and hand on only frames not already handed on.
                timestamped = timestamped and not restart.count_frames
                threaded = threaded and not restart.single_thread
                self.close()
                self._container = self._opener.open()
                self._stream = self._container.streams.video[0]
                self.stats.packets_damaged = 0
                decoder = _Decoder(self, step, after=decoder.last_number, threaded=threaded)
            except av.error.FFmpegError as exc:
                raise _classify(self._opener.name, exc, self._truncated()) from None


class _Restart(Exception):
    """Decode again from the start: counting frames (a packet had no timestamp), or on one
    thread (with frame threading FFmpeg reports a damaged packet only when frames are
    received, and PyAV then drops the good frames received in the same call)."""

    def __init__(self, count_frames: bool = False, single_thread: bool = False) -> None:
        self.count_frames = count_frames
        self.single_thread = single_thread


class _Ranks:
    """Presentation index of a packet: how many packets seen so far show before it."""

    def __init__(self) -> None:
        self._folded = 0
        self._recent: list[int] = []

    def add(self, pts: int) -> None:
        bisect.insort(self._recent, pts)

    def rank(self, pts: int) -> int:
        return self._folded + bisect.bisect_left(self._recent, pts)

    @property
    def crowded(self) -> bool:
        return len(self._recent) > 4096

    def fold_below(self, pts: int) -> None:
        """Forget individual timestamps below `pts` (no packet still to rank shows earlier)."""
        cut = bisect.bisect_left(self._recent, pts)
        self._folded += cut
        del self._recent[:cut]


@dataclass(slots=True)
class _Decoder:
    video: _FFmpegVideo
    step: int
    after: int = -1  # hand on only frames numbered above this (after a restart)
    threaded: bool = True
    last_number: int = -1
    _started: float = field(default_factory=time.monotonic)

    def _codec(self) -> av.codec.context.CodecContext:
        stream = self.video._stream
        cc = stream.codec_context
        stream.thread_type = "AUTO" if self.threaded else "SLICE"
        cc.thread_count = self.video._threads if self.threaded else 1
        # FFmpeg itself refuses frames over the pixel limit, should the size change mid-stream.
        cc.options = {"max_pixels": str(self.video._limits.max_pixels)}
        return cc

    def _check(self, number: int) -> None:
        limits, label = self.video._limits, self.video._opener.name
        if time.monotonic() - self._started > limits.max_decode_s:
            raise DecodeTimeout(
                label, f"decoding passed the {limits.max_decode_s:,.0f}-second limit"
            )
        seconds = number / self.video.info.fps
        if seconds > limits.max_duration_s:
            raise MediaTooLarge(
                label,
                f"runs past {limits.max_duration_s:,.0f} s (the duration limit), longer than "
                "it declares",
            )

    def _packets(self) -> Iterator[av.Packet]:
        container = self.video._container
        assert container is not None
        try:
            for packet in container.demux(self.video._stream):
                if packet.size:
                    yield packet
        except av.error.FFmpegError:
            # A damaged or cut container ends the stream where it breaks; what was read is kept.
            self.video.stats.packets_damaged += 1

    def _decode(self, cc: av.codec.context.CodecContext, packet: av.Packet | None) -> list:
        try:
            return cc.decode(packet)
        except av.error.FFmpegError:
            if self.threaded:
                raise _Restart(single_thread=True) from None
            self.video.stats.packets_damaged += 1
            return []

    def _emit(self, number: int, frame: av.VideoFrame) -> VideoFrame:
        limits, label = self.video._limits, self.video._opener.name
        if frame.width * frame.height > limits.max_pixels:
            raise DecompressionBomb(
                label, f"frame {number} is {frame.width}x{frame.height}, over the pixel limit"
            )
        self.video.stats.frames_sampled += 1
        self.last_number = number
        return VideoFrame(number, number / self.video.info.fps, pdq_luma(frame))

    def _finish(self) -> None:
        stats, label = self.video.stats, self.video._opener.name
        if stats.frames_sampled == 0 and self.after < 0:
            if self.video._truncated():
                raise TruncatedMedia(label, "the file ends before any frame could be decoded")
            raise CorruptMedia(label, "no frame could be decoded")
        if self.video._truncated():
            raise TruncatedMedia(
                label,
                f"the video stops at frame {stats.frames_seen}; the frames before were hashed",
            )

    def every_frame(self) -> Iterator[VideoFrame]:
        """Decode everything; number frames as the decoder shows them (the reference's way)."""
        cc = self._codec()
        stats = self.video.stats
        stats.mode = "every-frame"
        number = 0

        def shown(packet: av.Packet | None) -> Iterator[VideoFrame]:
            nonlocal number
            for frame in self._decode(cc, packet):
                self._check(number)
                if number % self.step == 0 and number > self.after:
                    yield self._emit(number, frame)
                number += 1
                stats.frames_seen = number

        for packet in self._packets():
            self._check(number)
            yield from shown(packet)
        yield from shown(None)
        self._finish()

    def timestamped(self) -> Iterator[VideoFrame]:
        """Number frames by presentation timestamp and decode only what hashed frames need."""
        cc = self._codec()
        stats = self.video.stats
        stats.mode = "timestamped"
        window = _Window(self._packets())
        pending: dict[int, int] = {}  # pts of a hashed frame sent to the decoder -> number
        last_needed = -1
        planned = False
        skip = "DEFAULT"
        while window.top_up():
            if window.head_is_keyframe() or not planned:
                last_needed = window.plan_group(self.step)
                planned = True
            seq, packet = window.pop()
            number = window.number_of(packet)
            if number is not None:
                self._check(number)
                stats.frames_seen = max(stats.frames_seen, number + 1)
            if seq > last_needed:
                stats.packets_dropped += 1
                continue
            hashed = number is not None and number % self.step == 0 and number > self.after
            wanted = "DEFAULT" if hashed else "NONREF"
            if wanted != skip:
                cc.skip_frame = skip = wanted
            if hashed:
                pending[packet.pts] = number
            yield from self._take(cc, packet, pending)
        yield from self._take(cc, None, pending)
        self._finish()

    def _take(
        self, cc: av.codec.context.CodecContext, packet: av.Packet | None, pending: dict[int, int]
    ) -> Iterator[VideoFrame]:
        for frame in self._decode(cc, packet):
            number = pending.pop(frame.pts, None) if frame.pts is not None else None
            if number is not None:
                yield self._emit(number, frame)


class _Window:
    """Compressed packets read ahead of the decoder, in decode order, with their sequence
    numbers, so that a packet's presentation rank is known before it is decoded and a group
    of pictures can be planned up to its next keyframe."""

    def __init__(self, packets: Iterator[av.Packet]) -> None:
        self._source = packets
        self._items: deque[tuple[int, av.Packet]] = deque()
        self._bytes = 0
        self._sequence = 0
        self._ranks = _Ranks()
        self.exhausted = False

    def _read(self) -> bool:
        packet = next(self._source, None)
        if packet is None:
            self.exhausted = True
            return False
        if packet.pts is None:
            raise _Restart(count_frames=True)
        self._items.append((self._sequence, packet))
        self._sequence += 1
        self._bytes += packet.size
        if not packet.is_discard:
            self._ranks.add(packet.pts)
        return True

    def top_up(self) -> bool:
        """Keep the reordering look-ahead filled; False once nothing is left."""
        while len(self._items) <= _REORDER_LOOKAHEAD and not self.exhausted:
            self._read()
        return bool(self._items)

    def head_is_keyframe(self) -> bool:
        return self._items[0][1].is_keyframe

    def pop(self) -> tuple[int, av.Packet]:
        seq, packet = self._items.popleft()
        self._bytes -= packet.size
        if self._ranks.crowded and self._items:
            self._ranks.fold_below(min(p.pts for _, p in self._items))
        return seq, packet

    def number_of(self, packet: av.Packet) -> int | None:
        """The frame's number: how many frames seen so far show before it."""
        return None if packet.is_discard else self._ranks.rank(packet.pts)

    def _next_key(self) -> int | None:
        return next((i for i in range(1, len(self._items)) if self._items[i][1].is_keyframe), None)

    def plan_group(self, step: int) -> int:
        """Sequence number of the last packet of the head's group of pictures (up to the next
        keyframe) that a hashed frame can depend on; later ones need not be decoded."""
        key = self._next_key()
        while not self.exhausted and (key is None or len(self._items) <= key + _REORDER_LOOKAHEAD):
            if key is None and (
                len(self._items) >= _WINDOW_MAX_PACKETS or self._bytes >= _WINDOW_MAX_BYTES
            ):
                return 1 << 62  # over the caps: decode this group up to its next keyframe
            self._read()
            if key is None:
                key = self._next_key()
        items = list(self._items)
        if key is None:
            key = len(items)  # the last group
        elif any(p.pts < items[key][1].pts for _, p in items[key + 1 :]):
            # An open GOP: the next group's leading frames refer back into this one.
            return items[key - 1][0]
        last = -1
        for seq, packet in items[:key]:
            number = self.number_of(packet)
            if number is not None and number % step == 0:
                last = seq
        return last


# swscale's video-range YUV -> RGB -> PDQ luma, per 8-bit Y value: (Y - 16) * 255 / 219,
# clipped as the RGB channels are.
_VIDEO_RANGE = np.clip((np.arange(256, dtype=np.float32) - 16) * (255 / 219), 0, 255).astype(
    np.float32
)
_FULL_RANGE = np.arange(256, dtype=np.float32)
_LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # pdqhashing.cpp
_JPEG_RANGE = 2  # AVCOL_RANGE_JPEG


def pdq_luma(frame: av.VideoFrame) -> np.ndarray:
    """PDQ's luminance (0.299 R + 0.587 G + 0.114 B of the frame as RGB24) as float32."""
    fmt = frame.format
    name = fmt.name
    planar_yuv = name.startswith(("yuv", "nv12", "nv21")) and not fmt.is_rgb
    full = name.startswith("yuvj") or frame.color_range == _JPEG_RANGE
    if planar_yuv or name == "gray":
        plane = frame.planes[0]
        bits = fmt.components[0].bits
        if bits == 8:
            y = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
            table = _FULL_RANGE if (full or name == "gray") else _VIDEO_RANGE
            return table[y[:, : frame.width]]
        if name.endswith("le") and bits <= 16:
            y16 = np.frombuffer(plane, "<u2").reshape(frame.height, plane.line_size // 2)
            y = y16[:, : frame.width].astype(np.float32) / (1 << (bits - 8))
            if not full:
                y = (y - 16) * (255 / 219)
            return np.clip(y, 0, 255)
    rgb = frame.to_ndarray(format="rgb24")
    return rgb.astype(np.float32) @ _LUMA_WEIGHTS
