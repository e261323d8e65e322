"""Hash one media item: exact digests of its bytes, PDQ for images, vPDQ for videos.

Bytes are read once: digests are computed over the same buffer the decoder reads. A file over
the size limit is digested in streamed chunks (never held in memory) and reported as too large
for perceptual hashing. Videos are the exception: a file sniffed as video is digested in
streamed chunks and decoded from its path (FFmpeg seeks; a 4 GB video is never held in
memory), so its bytes are read twice, the second time usually from the page cache. Animated
GIF and WebP get both PDQ (first frame) and vPDQ (every sampled frame).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from bastion.media import DEFAULT_LIMITS, ImageInfo, Limits, MediaError, decode_luma, decode_rgb
from bastion.media.errors import MediaTooLarge, TruncatedMedia, UnreadableMedia
from bastion.media.sniff import SNIFF_BYTES, sniff
from bastion.signals.exact import Digests, digests_of_bytes, digests_of_stream
from bastion.signals.pdq import PdqHash, pdq_exact, pdq_from_luma
from bastion.signals.pdq_views import PdqView, views_of_luma
from bastion.signals.vpdq import VpdqHash, vpdq_of_video

if TYPE_CHECKING:
    from bastion.media.video import VideoInfo, VideoLimits, VideoSource

PdqMode = Literal["fast", "exact"]
PDQ_MODES: tuple[str, ...] = ("fast", "exact")


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an item could not be (fully) hashed: a stable reason code and a message."""

    reason: str
    message: str

    @classmethod
    def of(cls, error: MediaError) -> Failure:
        return cls(reason=error.reason, message=str(error))


@dataclass(frozen=True, slots=True)
class MediaHashes:
    """Everything hashing learnt about one item. `digests` is None only when the bytes could
    not be read at all; `pdq` is None when the item is not a decodable image; `vpdq` is None
    when it is not a decodable video or animation (a cut video keeps the vPDQ of the frames
    before the cut, with a `truncated` failure). `pdq_views` are the query-side views of an
    image (dihedral variants, trimmed, zoom-out; `bastion.signals.pdq_views`): matching may
    search them, nothing stores them."""

    source: str
    digests: Digests | None
    image: ImageInfo | None = None
    pdq: PdqHash | None = None
    failure: Failure | None = None
    video: VideoInfo | None = None
    vpdq: VpdqHash | None = None
    pdq_views: tuple[PdqView, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failure is None


def compute_pdq(
    data: bytes, source: str, mode: PdqMode = "fast", limits: Limits = DEFAULT_LIMITS
) -> tuple[PdqHash, ImageInfo]:
    """PDQ of an encoded image. Raises MediaError subclasses on bad input."""
    if mode == "exact":
        rgb, info = decode_rgb(data, source, limits)
        return pdq_exact(rgb), info
    if mode == "fast":
        luma, scale, info = decode_luma(data, source, limits)
        return pdq_from_luma(luma, (info.width, info.height), scale), info
    raise ValueError(f"unknown PDQ mode {mode!r}; expected one of {', '.join(PDQ_MODES)}")


def compute_pdq_views(
    data: bytes, source: str, mode: PdqMode = "fast", limits: Limits = DEFAULT_LIMITS
) -> tuple[PdqHash, tuple[PdqView, ...], ImageInfo]:
    """PDQ of an encoded image and its query-side views, from one decode. The plain hash is
    exactly `compute_pdq`'s; the extra views cost about one more 64x64 reduction each."""
    if mode == "exact":
        rgb, info = decode_rgb(data, source, limits)
        plain = pdq_exact(rgb)
        luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return plain, views_of_luma(luma, plain), info
    if mode == "fast":
        luma, scale, info = decode_luma(data, source, limits)
        plain = pdq_from_luma(luma, (info.width, info.height), scale)
        return plain, views_of_luma(luma, plain, scale), info
    raise ValueError(f"unknown PDQ mode {mode!r}; expected one of {', '.join(PDQ_MODES)}")


@dataclass(frozen=True, slots=True)
class VideoOptions:
    """How videos (and animations) are hashed: vPDQ sampling, limits, FFmpeg threads
    (0 = one per core; hash_files uses 1 per worker process when it runs several)."""

    seconds_per_hash: float = 1.0
    limits: VideoLimits | None = None  # None: bastion.media.video.DEFAULT_VIDEO_LIMITS
    threads: int = 0


DEFAULT_VIDEO_OPTIONS = VideoOptions()


def compute_vpdq(
    source: VideoSource, name: str, options: VideoOptions = DEFAULT_VIDEO_OPTIONS
) -> tuple[VpdqHash, VideoInfo]:
    """vPDQ of a video or animation (bytes, path or stream). Raises MediaError subclasses; a
    cut file raises TruncatedMedia with `partial` set to the hash of the frames before the cut."""
    from bastion.media.video import DEFAULT_VIDEO_LIMITS, open_video

    limits = options.limits or DEFAULT_VIDEO_LIMITS
    with open_video(source, name, limits, options.threads) as video:
        return vpdq_of_video(video, options.seconds_per_hash), video.info


def _hash_video(
    source: VideoSource, name: str, digests: Digests, options: VideoOptions, **image: object
) -> MediaHashes:
    try:
        vpdq, info = compute_vpdq(source, name, options)
    except TruncatedMedia as error:
        partial = error.partial if isinstance(error.partial, VpdqHash) else None
        return MediaHashes(
            source=name, digests=digests, vpdq=partial, failure=Failure.of(error), **image
        )
    except MediaError as error:
        return MediaHashes(source=name, digests=digests, failure=Failure.of(error), **image)
    return MediaHashes(source=name, digests=digests, video=info, vpdq=vpdq, **image)


def hash_bytes(
    data: bytes,
    source: str,
    mode: PdqMode = "fast",
    limits: Limits = DEFAULT_LIMITS,
    video: VideoOptions = DEFAULT_VIDEO_OPTIONS,
    views: bool = True,
) -> MediaHashes:
    """Digests, and PDQ (with its query-side views unless `views` is False: a caller that
    matches plain PDQ saves their cost, about as much again as the plain hash) or vPDQ."""
    digests = digests_of_bytes(data)
    if sniff(data[:SNIFF_BYTES]).kind == "video":
        return _hash_video(data, source, digests, video)
    try:
        if views:
            pdq, pdq_views, info = compute_pdq_views(data, source, mode, limits)
        else:
            (pdq, info), pdq_views = compute_pdq(data, source, mode, limits), ()
    except MediaError as error:
        return MediaHashes(source=source, digests=digests, failure=Failure.of(error))
    if info.animated and info.format in ("GIF", "WEBP"):
        return _hash_video(data, source, digests, video, image=info, pdq=pdq, pdq_views=pdq_views)
    return MediaHashes(source=source, digests=digests, image=info, pdq=pdq, pdq_views=pdq_views)


def hash_file(
    path: str | os.PathLike[str],
    mode: PdqMode = "fast",
    limits: Limits = DEFAULT_LIMITS,
    video: VideoOptions = DEFAULT_VIDEO_OPTIONS,
    views: bool = True,
) -> MediaHashes:
    source = str(path)
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            head = stream.read(SNIFF_BYTES)
            stream.seek(0)
            if size and sniff(head).kind == "video":
                digests = digests_of_stream(stream)
                return _hash_video(path, source, digests, video)
            if size > limits.max_file_bytes:
                digests = digests_of_stream(stream)
                error: MediaError = MediaTooLarge(
                    source,
                    f"{size:,} bytes exceeds the {limits.max_file_bytes:,}-byte limit for decoding",
                )
                return MediaHashes(source=source, digests=digests, failure=Failure.of(error))
            data = stream.read()
    except IsADirectoryError:
        return _unreadable(source, "is a directory")
    except FileNotFoundError:
        return _unreadable(source, "no such file")
    except PermissionError:
        return _unreadable(source, "permission denied")
    except OSError as exc:
        return _unreadable(source, exc.strerror or type(exc).__name__)
    return hash_bytes(data, source, mode, limits, video, views)


def _unreadable(source: str, detail: str) -> MediaHashes:
    return MediaHashes(
        source=source, digests=None, failure=Failure.of(UnreadableMedia(source, detail))
    )


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[str]:
    """Files named, and files below folders named, in sorted order. A path that does not
    exist is yielded as is so that hashing reports it rather than it vanishing."""
    for path in paths:
        p = Path(path)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    yield os.path.join(root, name)
        else:
            yield str(p)


_BLAS_LIMIT = None


def limit_blas_threads() -> None:
    """In a worker process of a pool that already fills every core: one BLAS thread. OpenBLAS
    threads spin while they wait, and several per process only fight each other and the
    decoders (measured several times slower on a loaded 2-core machine)."""
    global _BLAS_LIMIT
    if _BLAS_LIMIT is None:
        from threadpoolctl import threadpool_limits

        _BLAS_LIMIT = threadpool_limits(1, user_api="blas")


def _hash_file_job(args: tuple[str, PdqMode, Limits, VideoOptions]) -> MediaHashes:
    limit_blas_threads()
    return hash_file(*args)


def hash_files(
    paths: Iterable[str],
    mode: PdqMode = "fast",
    limits: Limits = DEFAULT_LIMITS,
    workers: int = 1,
    video: VideoOptions = DEFAULT_VIDEO_OPTIONS,
) -> Iterator[MediaHashes]:
    """Hash files in input order, on `workers` processes (1 = in this process)."""
    if workers <= 1:
        for path in paths:
            yield hash_file(path, mode, limits, video)
        return
    if video.threads == 0:  # the processes already use every core
        video = VideoOptions(video.seconds_per_hash, video.limits, threads=1)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = ((path, mode, limits, video) for path in paths)
        yield from pool.map(_hash_file_job, jobs, chunksize=4)
