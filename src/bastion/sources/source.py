"""The interface every source offers the scan pipeline, and the plain source over a tree."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol, Self

from bastion.sources.kinds import kind_from_name
from bastion.sources.model import MediaItem, SourceProblem
from bastion.sources.tree import Tree


class Source(Protocol):
    """Enumerate media with context; open an item's bytes as a stream.

    `items()` yields every item exactly once per reference, each with a status, in a
    deterministic order; it never opens media bytes. `open(item)` streams one AVAILABLE item
    (memory stays bounded whatever the size) and raises ItemNotReadable otherwise. Problems with
    the source as a whole (a truncated result.json) land in `problems` while enumeration goes on.
    """

    kind: str  # "folder" | "zip" | "tar" | "telegram_json" | "telegram_html"
    location: str
    problems: list[SourceProblem]

    def items(self) -> Iterator[MediaItem]: ...

    def open(self, item: MediaItem) -> BinaryIO: ...

    def local_path(self, item: MediaItem) -> Path | None:
        """The checked real file behind an item when the source is a folder on disk (workers in
        other processes may open it themselves), else None."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> Source: ...

    def __exit__(self, *exc: object) -> None: ...


class OnTree:
    """What every source reads from a folder or an archive (`self.tree`) shares: opening an
    item, its path on disk, and closing the tree, also as a context manager."""

    tree: Tree

    def open(self, item: MediaItem) -> BinaryIO:
        return self.tree.open(item.key)

    def local_path(self, item: MediaItem) -> Path | None:
        return self.tree.local_path(item.key)

    def close(self) -> None:
        self.tree.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class TreeSource(OnTree):
    """Every file of a folder or an archive, as one item each (no Telegram context)."""

    def __init__(self, tree: Tree, kind: str) -> None:
        self.tree = tree
        self.kind = kind
        self.location = tree.location

    @property
    def problems(self) -> list[SourceProblem]:
        return self.tree.problems

    def items(self) -> Iterator[MediaItem]:
        for entry in self.tree.entries():
            yield MediaItem(
                key=entry.key,
                ref=entry.key,
                path=entry.path,
                status=entry.status,
                kind=kind_from_name(entry.path or entry.key),
                size=entry.size,
                reason=entry.reason,
                detail=entry.detail,
            )
