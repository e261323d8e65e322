"""Hashing on worker processes: small batches of files in, MediaHashes out.

Folder-backed files are read by the workers themselves (parallel I/O); archive members are
read by the main process and their bytes sent over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bastion.hashing import (
    MediaHashes,
    PdqMode,
    VideoOptions,
    hash_bytes,
    hash_file,
    limit_blas_threads,
)
from bastion.media import Limits


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    path: str | None = None
    data: bytes | None = None


# Each worker process decodes video on one thread: the pool already uses every core.
ONE_THREAD = VideoOptions(threads=1)


def hash_batch(
    tasks: list[Task], mode: PdqMode, limits: Limits, views: bool = True
) -> list[tuple[str, MediaHashes]]:
    limit_blas_threads()
    out = []
    for task in tasks:
        if task.path is not None:
            hashed = hash_file(task.path, mode, limits, video=ONE_THREAD, views=views)
            hashed = replace(hashed, source=task.key)
        else:
            hashed = hash_bytes(
                task.data or b"", task.key, mode, limits, video=ONE_THREAD, views=views
            )
        out.append((task.key, hashed))
    return out
