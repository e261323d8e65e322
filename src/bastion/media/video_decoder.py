"""From packets to sampled frames: counting frames as the reference does, or numbering them from
presentation timestamps so that frames no hashed frame depends on are never decoded.

See `bastion.media.video` for the rules; this module is the machinery.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import av

from bastion.media.errors import (
    CorruptMedia,
    DecodeTimeout,
    DecompressionBomb,
    MediaTooLarge,
    TruncatedMedia,
)
from bastion.media.video_luma import pdq_luma
from bastion.media.video_types import VideoFrame

if TYPE_CHECKING:
    from bastion.media.video import FFmpegVideo

# H.264 allows at most 16 frames of reordering; packets this far ahead are read before a
# packet's presentation rank is trusted.
_REORDER_LOOKAHEAD = 32
_WINDOW_MAX_PACKETS = 1200
_WINDOW_MAX_BYTES = 64 * 1024 * 1024


class Restart(Exception):
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
class Decoder:
    video: FFmpegVideo
    step: int
    after: int = -1  # hand on only frames numbered above this (after a restart)
    threaded: bool = True
    last_number: int = -1
    _started: float = field(default_factory=time.monotonic)

    def _codec(self) -> av.codec.context.CodecContext:
        stream = self.video.stream
        cc = stream.codec_context
        stream.thread_type = "AUTO" if self.threaded else "SLICE"
        cc.thread_count = self.video.threads if self.threaded else 1
        # FFmpeg itself refuses frames over the pixel limit, should the size change mid-stream.
        cc.options = {"max_pixels": str(self.video.limits.max_pixels)}
        return cc

    def _check(self, number: int) -> None:
        limits, label = self.video.limits, self.video.opener.name
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
        container = self.video.container
        assert container is not None
        try:
            for packet in container.demux(self.video.stream):
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
                raise Restart(single_thread=True) from None
            self.video.stats.packets_damaged += 1
            return []

    def _emit(self, number: int, frame: av.VideoFrame) -> VideoFrame:
        limits, label = self.video.limits, self.video.opener.name
        if frame.width * frame.height > limits.max_pixels:
            raise DecompressionBomb(
                label, f"frame {number} is {frame.width}x{frame.height}, over the pixel limit"
            )
        self.video.stats.frames_sampled += 1
        self.last_number = number
        return VideoFrame(number, number / self.video.info.fps, pdq_luma(frame))

    def _finish(self) -> None:
        stats, label = self.video.stats, self.video.opener.name
        if stats.frames_sampled == 0 and self.after < 0:
            if self.video.truncated():
                raise TruncatedMedia(label, "the file ends before any frame could be decoded")
            raise CorruptMedia(label, "no frame could be decoded")
        if self.video.truncated():
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
            raise Restart(count_frames=True)
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
