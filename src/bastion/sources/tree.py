"""A tree of files to read safely: a folder on disk, or an archive read in place.

Folder, zip and tar all answer the same three questions (what is here, is this name here and
safe, give me its bytes), so the Telegram readers run unchanged over an export in a folder or in
an archive.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from bastion.sources.errors import ItemNotReadable, SourceNotFound
from bastion.sources.model import ItemStatus, RejectReason, SourceProblem
from bastion.sources.paths import shorten


@dataclass(frozen=True, slots=True)
class Entry:
    """One file-like thing in a tree. `key` is unique in the tree; `path` is the clean relative
    path when the name is safe (None when the name itself was refused)."""

    key: str
    path: str | None
    status: ItemStatus
    size: int | None = None
    reason: RejectReason | None = None
    detail: str | None = None


class Tree(Protocol):
    location: str
    problems: list[SourceProblem]

    def entries(self) -> Iterator[Entry]:
        """Every file-like entry, in a deterministic order; directories are not entries."""
        ...

    def lookup(self, path: str) -> Entry:
        """The entry for a clean relative path (from `paths.normalise`), MISSING if absent."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A stream over an AVAILABLE entry's bytes; raises ItemNotReadable otherwise."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The real file behind an entry, when the tree is a folder on disk."""
        ...

    def close(self) -> None: ...


_SPECIAL = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class FolderTree:
    """A folder on disk. Symbolic links are followed only while they stay inside the root;
    devices, FIFOs and sockets are refused and never opened (opening a FIFO would block)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.location = str(root)
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceNotFound(self.location, "no such folder")
        self._real_root = os.path.realpath(self.root)
        self._real_folders: dict[str, str] = {}
        self.problems: list[SourceProblem] = []

    def entries(self) -> Iterator[Entry]:
        def on_error(error: OSError) -> None:
            self.problems.append(
                SourceProblem(str(error.filename), f"cannot list folder: {error.strerror}")
            )

        for folder, dirs, files in os.walk(self.root, onerror=on_error):
            dirs.sort()
            relative = os.path.relpath(folder, self.root)
            prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            for name in list(dirs):
                if os.path.islink(os.path.join(folder, name)):
                    dirs.remove(name)
                    yield self._linked_folder(prefix + name)
            for name in sorted(files):
                yield self._classify(prefix + name)

    def lookup(self, path: str) -> Entry:
        return self._classify(path)

    def open(self, key: str) -> BinaryIO:
        entry = self._classify(key)
        if entry.status is not ItemStatus.AVAILABLE:
            raise ItemNotReadable(self._display(key), entry.detail or entry.status.value)
        real = os.path.realpath(self.root / key)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(real, flags | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise ItemNotReadable(self._display(key), exc.strerror or type(exc).__name__) from exc
        # Checked again on the open descriptor: the file may have been swapped since listing.
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ItemNotReadable(self._display(key), "no longer a regular file")
        return os.fdopen(fd, "rb")

    def local_path(self, key: str) -> Path | None:
        if self._classify(key).status is not ItemStatus.AVAILABLE:
            return None
        return Path(os.path.realpath(self.root / key))

    def close(self) -> None:
        pass

    def _display(self, key: str) -> str:
        return str(self.root / key)

    def _inside(self, real: str) -> bool:
        return real == self._real_root or real.startswith(self._real_root.rstrip(os.sep) + os.sep)

    def _linked_folder(self, path: str) -> Entry:
        real = os.path.realpath(self.root / path)
        if not self._inside(real):
            return Entry(
                path,
                None,
                ItemStatus.REJECTED,
                reason=RejectReason.SYMLINK_OUTSIDE,
                detail=f"{shorten(path)!r} is a symbolic link to a folder outside the root",
            )
        return Entry(
            path,
            None,
            ItemStatus.REJECTED,
            reason=RejectReason.NOT_A_FILE,
            detail=f"{shorten(path)!r} links to a folder inside the root; its files are "
            "listed under their own paths",
        )

    def _realpath(self, full: Path, lstat: os.stat_result) -> str:
        """`os.path.realpath(full)`, resolving each folder once per scan: an export holds
        thousands of files in a handful of folders, and realpath walks every component of
        every path (9% of a scan's main process). A leaf that is itself a link, or a `.` or
        `..`, takes the full walk."""
        name = full.name
        if stat.S_ISLNK(lstat.st_mode) or name in ("", ".", ".."):
            return os.path.realpath(full)
        parent = str(full.parent)
        real_parent = self._real_folders.get(parent)
        if real_parent is None:
            if len(self._real_folders) > 4096:
                self._real_folders.clear()
            real_parent = self._real_folders[parent] = os.path.realpath(parent)
        return os.path.join(real_parent, name)

    def _classify(self, path: str) -> Entry:
        full = self.root / path
        try:
            lstat = os.lstat(full)
        except FileNotFoundError:
            return Entry(path, path, ItemStatus.MISSING, detail="no such file")
        except OSError as exc:
            return Entry(path, path, ItemStatus.MISSING, detail=exc.strerror or "unreadable")
        real = self._realpath(full, lstat)
        if not self._inside(real):
            return Entry(
                path,
                None,
                ItemStatus.REJECTED,
                reason=RejectReason.SYMLINK_OUTSIDE,
                detail=f"{shorten(path)!r} resolves outside the root",
            )
        try:
            target = os.stat(real) if stat.S_ISLNK(lstat.st_mode) else lstat
        except OSError:
            return Entry(path, path, ItemStatus.MISSING, detail="broken symbolic link")
        mode = stat.S_IFMT(target.st_mode)
        if mode == stat.S_IFREG:
            return Entry(path, path, ItemStatus.AVAILABLE, size=target.st_size)
        if mode == stat.S_IFDIR:
            return Entry(
                path,
                None,
                ItemStatus.REJECTED,
                reason=RejectReason.NOT_A_FILE,
                detail=f"{shorten(path)!r} is a folder",
            )
        return Entry(
            path,
            None,
            ItemStatus.REJECTED,
            reason=RejectReason.SPECIAL_FILE,
            detail=f"{shorten(path)!r} is {_SPECIAL.get(mode, 'not a regular file')}",
        )
