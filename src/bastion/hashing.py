"""Hash one media item: exact digests of its bytes and, for images, PDQ.

Bytes are read once: digests are computed over the same buffer the decoder reads. A file over
the size limit is digested in streamed chunks (never held in memory) and reported as too large
for perceptual hashing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bastion.media import DEFAULT_LIMITS, ImageInfo, Limits, MediaError, decode_luma, decode_rgb
from bastion.media.errors import MediaTooLarge, UnreadableMedia
from bastion.signals.exact import Digests, digests_of_bytes, digests_of_stream
from bastion.signals.pdq import PdqHash, pdq_exact, pdq_from_luma

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
    not be read at all; `pdq` is None when the item is not a decodable image."""

    source: str
    digests: Digests | None
    image: ImageInfo | None = None
    pdq: PdqHash | None = None
    failure: Failure | None = None

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


def hash_bytes(
    data: bytes, source: str, mode: PdqMode = "fast", limits: Limits = DEFAULT_LIMITS
) -> MediaHashes:
    digests = digests_of_bytes(data)
    try:
        pdq, info = compute_pdq(data, source, mode, limits)
    except MediaError as error:
        return MediaHashes(source=source, digests=digests, failure=Failure.of(error))
    return MediaHashes(source=source, digests=digests, image=info, pdq=pdq)


def hash_file(
    path: str | os.PathLike[str], mode: PdqMode = "fast", limits: Limits = DEFAULT_LIMITS
) -> MediaHashes:
    source = str(path)
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
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
    return hash_bytes(data, source, mode, limits)


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


def _hash_file_job(args: tuple[str, PdqMode, Limits]) -> MediaHashes:
    return hash_file(*args)


def hash_files(
    paths: Iterable[str],
    mode: PdqMode = "fast",
    limits: Limits = DEFAULT_LIMITS,
    workers: int = 1,
) -> Iterator[MediaHashes]:
    """Hash files in input order, on `workers` processes (1 = in this process)."""
    if workers <= 1:
        for path in paths:
            yield hash_file(path, mode, limits)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = ((path, mode, limits) for path in paths)
        yield from pool.map(_hash_file_job, jobs, chunksize=4)
