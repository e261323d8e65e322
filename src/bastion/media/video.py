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

import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import av

from bastion.media.errors import (
    CorruptMedia,
    DecompressionBomb,
    EmptyMedia,
    MediaError,
    MediaTooLarge,
    TruncatedMedia,
    UnreadableMedia,
    UnsupportedMedia,
)
from bastion.media.sniff import SNIFF_BYTES, sniff
from bastion.media.video_decoder import Decoder, Restart
from bastion.media.video_types import (
    DEFAULT_VIDEO_LIMITS,
    DecodeStats,
    Video,
    VideoFrame,
    VideoInfo,
    VideoLimits,
    VideoSource,
    frame_step,
)

__all__ = [
    "DEFAULT_VIDEO_LIMITS",
    "DecodeStats",
    "Video",
    "VideoFrame",
    "VideoInfo",
    "VideoLimits",
    "VideoSource",
    "frame_step",
    "mp4_truncated",
    "open_video",
]

# Containers whose every packet carries a presentation timestamp, so frames can be numbered
# without decoding them (FFmpeg's demuxer names).
_TIMESTAMPED = ("mov", "mp4", "matroska", "webm")


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
    video = FFmpegVideo(opener, kind.format, limits, threads)
    try:
        yield video
    finally:
        video.close()


def _classify(label: str, exc: BaseException, truncated: bool) -> MediaError:
    if truncated:
        return TruncatedMedia(label, "the file ends before the video does")
    detail = getattr(exc, "strerror", None) or type(exc).__name__
    return CorruptMedia(label, f"FFmpeg cannot read it as video ({detail})")


class FFmpegVideo:
    def __init__(self, opener: _Opener, sniffed: str, limits: VideoLimits, threads: int) -> None:
        self.opener = opener
        self.limits = limits
        self.threads = threads
        self._sniffed = sniffed
        self.container: av.container.InputContainer | None = None
        self.stats = DecodeStats()
        label = opener.name
        try:
            container = opener.open()
        except av.error.FFmpegError as exc:
            raise _classify(label, exc, self.truncated()) from None
        self.container = container
        try:
            self._describe(container, label)
        except BaseException:
            self.close()
            raise

    def _describe(self, container: av.container.InputContainer, label: str) -> None:
        limits = self.limits
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
        self.stream = stream
        self.info = VideoInfo(
            container=container.format.name,
            codec=stream.codec_context.name,
            width=width,
            height=height,
            fps=fps,
            duration_s=duration,
        )

    def close(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None

    def truncated(self) -> bool:
        if self._sniffed not in ("mp4", "mov"):
            return False
        return mp4_truncated(self.opener.read_at, self.opener.size)

    def frames(self, seconds_per_hash: float = 1.0) -> Iterator[VideoFrame]:
        step = frame_step(seconds_per_hash, self.info.fps)
        timestamped = step > 1 and any(n in self.info.container for n in _TIMESTAMPED)
        threaded = self.threads != 1
        decoder = Decoder(self, step, threaded=threaded)
        while True:
            try:
                if timestamped:
                    yield from decoder.timestamped()
                else:
                    yield from decoder.every_frame()
                return
            except Restart as restart:
                # Start again and hand on only frames not already handed on.
                timestamped = timestamped and not restart.count_frames
                threaded = threaded and not restart.single_thread
                self.close()
                self.container = self.opener.open()
                self.stream = self.container.streams.video[0]
                self.stats.packets_damaged = 0
                decoder = Decoder(self, step, after=decoder.last_number, threaded=threaded)
            except av.error.FFmpegError as exc:
                raise _classify(self.opener.name, exc, self.truncated()) from None
