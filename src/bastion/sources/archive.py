"""Zip and tar archives read in place: members are streamed, never extracted to disk.

Safety rules, checked before any member's bytes are decompressed:
- entry names with "..", absolute names and links leaving the archive are refused (per entry);
- devices, FIFOs and sparse entries are refused (per entry);
- an entry declaring more than `max_entry_bytes`, or a zip entry that expands more than
  `max_ratio` times (above `ratio_min_bytes`), is refused as a bomb (per entry);
- more than `max_entries` entries, more than `max_total_bytes` declared in all, or a compressed
  tar that expands more than `max_ratio` times overall, refuses the whole archive;
- reading stops with ArchiveBombError if a member yields more bytes than it declared.
"""

from __future__ import annotations

import io
import os
import struct
import tarfile
import threading
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bastion.sources.errors import (
    ArchiveBombError,
    CorruptArchive,
    ItemNotReadable,
    SourceNotFound,
)
from bastion.sources.model import ItemStatus, RejectReason, SourceProblem
from bastion.sources.paths import Refusal, normalise, resolve_link, shorten
from bastion.sources.tree import Entry


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_entries: int = 1_000_000
    max_entry_bytes: int = 16 * 1024**3
    max_total_bytes: int = 1024**4
    # Photos and videos barely compress; JSON and HTML compress about 5-20 times. 42.zip-style
    # bombs expand about a thousand times per layer, overlapping-entry bombs far more.
    max_ratio: float = 200.0
    ratio_min_bytes: int = 1024 * 1024


DEFAULT_ARCHIVE_LIMITS = ArchiveLimits()
_LINK_TARGET_MAX = 4096


class _MemberStream(io.RawIOBase):
    """A member's bytes, counted against what it declared; read errors become typed errors."""

    def __init__(
        self, inner: BinaryIO, name: str, declared: int, lock: threading.Lock | None = None
    ) -> None:
        super().__init__()
        self._inner, self._name, self._declared, self._lock = inner, name, declared, lock
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        try:
            if self._lock is None:
                data = self._inner.read(len(buffer))
            else:
                with self._lock:
                    data = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, tarfile.TarError) as exc:
            raise ItemNotReadable(self._name, f"archive member cannot be read: {exc}") from exc
        self._count += len(data)
        if self._count > self._declared:
            raise ArchiveBombError(
                self._name, f"yields more than its declared {self._declared:,} bytes"
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


class _ArchiveTree:
    """What zip and tar share: the entry list, the name index, link resolution."""

    def __init__(self, path: str | os.PathLike[str], limits: ArchiveLimits) -> None:
        self.location = str(path)
        self.limits = limits
        self.problems: list[SourceProblem] = []
        if not Path(path).is_file():
            raise SourceNotFound(self.location, "no such archive")
        self._entries: list[Entry] = []
        self._by_path: dict[str, str] = {}  # clean path -> key of its first entry
        self._members: dict[str, object] = {}  # key -> ZipInfo / TarInfo to read
        self._entry_by_key: dict[str, Entry] = {}
        self._link_keys: set[str] = set()
        # (key, clean path, resolved target or why refused) of link entries, resolved last
        self._links: list[tuple[str, str, str | Refusal]] = []

    def entries(self) -> Iterator[Entry]:
        yield from self._entries

    def lookup(self, path: str) -> Entry:
        key = self._by_path.get(path)
        if key is None:
            return Entry(path, path, ItemStatus.MISSING, detail="no such entry in the archive")
        return self._entry_by_key[key]

    def local_path(self, key: str) -> Path | None:
        return None

    def _display(self, key: str) -> str:
        return f"{self.location}!{key}"

    def _refused(self, key: str, refusal: Refusal) -> Entry:
        return Entry(key, None, ItemStatus.REJECTED, reason=refusal.reason, detail=refusal.detail)

    def _add(self, entry: Entry, member: object | None) -> None:
        self._entries.append(entry)
        if member is not None:
            self._members[entry.key] = member
        if entry.path is not None and entry.path not in self._by_path:
            self._by_path[entry.path] = entry.key

    def _unique_key(self, path: str) -> str:
        if path not in self._by_path:
            return path
        n = 2
        while f"{path}#{n}" in self._members:
            n += 1
        return f"{path}#{n}"

    def _size_refusal(self, name: str, size: int) -> Refusal | None:
        if size > self.limits.max_entry_bytes:
            return Refusal(
                RejectReason.ARCHIVE_BOMB,
                f"{shorten(name)!r} declares {size:,} bytes, over the "
                f"{self.limits.max_entry_bytes:,}-byte entry limit",
            )
        return None

    def _finish(self) -> None:
        """Resolve link entries once every member is indexed. A link reads its target's bytes;
        a target that is itself a link, or absent, is not followed."""
        self._entry_by_key = {entry.key: entry for entry in self._entries}
        for key, path, target in self._links:
            if isinstance(target, Refusal):
                self._add(self._refused(key, target), None)
                continue
            target_key = self._by_path.get(target)
            member = self._members.get(target_key) if target_key else None
            if member is None or target_key in self._link_keys:
                detail = f"link target {shorten(target)!r} is not a file in the archive"
                self._add(Entry(key, path, ItemStatus.MISSING, detail=detail), None)
                continue
            found = self._entry_by_key[target_key]  # type: ignore[index]
            self._add(
                Entry(key, path, found.status, found.size, found.reason, found.detail), member
            )
        self._entry_by_key = {entry.key: entry for entry in self._entries}

    def _check_total(self, declared_total: int) -> None:
        if declared_total > self.limits.max_total_bytes:
            raise ArchiveBombError(
                self.location,
                f"entries declare more than {self.limits.max_total_bytes:,} bytes in all",
            )


class ZipTree(_ArchiveTree):
    def __init__(
        self, path: str | os.PathLike[str], limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
    ) -> None:
        super().__init__(path, limits)
        with open(path, "rb") as raw:
            declared = _declared_zip_entries(raw)
        if declared is not None and declared > limits.max_entries:
            raise ArchiveBombError(
                self.location,
                f"declares {declared:,} entries, over the {limits.max_entries:,} limit",
            )
        try:
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise CorruptArchive(self.location, f"not a readable zip archive: {exc}") from exc
        if len(infos) > limits.max_entries:
            raise ArchiveBombError(
                self.location,
                f"holds {len(infos):,} entries, over the {limits.max_entries:,} limit",
            )
        self._check_total(sum(info.file_size for info in infos))
        for index, info in enumerate(infos):
            if info.is_dir():
                continue
            clean = normalise(info.filename, RejectReason.ARCHIVE_TRAVERSAL)
            if isinstance(clean, Refusal):
                self._add(self._refused(info.filename or f"#{index}", clean), None)
                continue
            key = self._unique_key(clean)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                self._link_keys.add(key)
                self._links.append((key, clean, self._zip_link_target(info, clean)))
                continue
            refusal = self._zip_refusal(info, clean, mode)
            if refusal is not None:
                self._add(self._refused(key, refusal), None)
            else:
                self._add(Entry(key, clean, ItemStatus.AVAILABLE, size=info.file_size), info)
        self._finish()
        # The central directory allows any order: list by name, as a folder is listed.
        self._entries.sort(key=lambda entry: entry.key)

    def open(self, key: str) -> BinaryIO:
        info = self._members.get(key)
        entry = self._entry_by_key.get(key)
        if info is None or entry is None or entry.status is not ItemStatus.AVAILABLE:
            raise ItemNotReadable(self._display(key), "not a readable entry")
        assert isinstance(info, zipfile.ZipInfo)
        try:
            inner = self._zip.open(info)
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            raise ItemNotReadable(self._display(key), f"cannot open entry: {exc}") from exc
        return _MemberStream(inner, self._display(key), info.file_size)  # type: ignore[return-value]

    def close(self) -> None:
        self._zip.close()

    def _zip_refusal(self, info: zipfile.ZipInfo, clean: str, mode: int) -> Refusal | None:
        if mode not in (0, 0o100000):
            return Refusal(RejectReason.SPECIAL_FILE, f"{shorten(clean)!r} is not a regular file")
        if info.flag_bits & 0x1:
            return Refusal(RejectReason.ENCRYPTED, f"{shorten(clean)!r} is encrypted")
        refusal = self._size_refusal(clean, info.file_size)
        if refusal is not None:
            return refusal
        limits = self.limits
        if info.file_size > limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            return Refusal(
                RejectReason.ARCHIVE_BOMB,
                f"{shorten(clean)!r} expands {info.file_size / max(info.compress_size, 1):,.0f} "
                f"times, over the {limits.max_ratio:g}x limit",
            )
        return None

    def _zip_link_target(self, info: zipfile.ZipInfo, clean: str) -> str | Refusal:
        if info.file_size > _LINK_TARGET_MAX:
            return Refusal(RejectReason.LINK_OUTSIDE, f"link {shorten(clean)!r} is too long")
        try:
            target = self._zip.read(info).decode("utf-8", "replace")
        except (zipfile.BadZipFile, zlib.error, OSError, NotImplementedError) as exc:
            return Refusal(RejectReason.LINK_OUTSIDE, f"link {shorten(clean)!r}: {exc}")
        return resolve_link(clean, target)


class TarTree(_ArchiveTree):
    """.tar, .tar.gz/.tgz, .tar.bz2, .tar.xz. Members are read through tarfile's own index; a
    compressed tar is re-decompressed from the start when read backwards, so read its items in
    enumeration order (archive order) for speed."""

    def __init__(
        self, path: str | os.PathLike[str], limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS
    ) -> None:
        super().__init__(path, limits)
        self._lock = threading.Lock()
        try:
            self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed by close())
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise CorruptArchive(self.location, f"not a readable tar archive: {exc}") from exc
        compressed = os.path.getsize(path)
        is_compressed = not isinstance(self._tar.fileobj, io.BufferedReader | io.FileIO)
        count = declared_total = 0
        while True:
            try:
                member = self._tar.next()
            except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
                self.problems.append(
                    SourceProblem(self.location, f"archive ends early or is damaged: {exc}")
                )
                break
            if member is None:
                break
            count += 1
            declared_total += member.size
            if count > limits.max_entries:
                raise ArchiveBombError(
                    self.location, f"holds more than {limits.max_entries:,} entries"
                )
            self._check_total(declared_total)
            expanded = member.offset_data + member.size
            if (
                is_compressed
                and expanded > limits.ratio_min_bytes
                and expanded > limits.max_ratio * compressed
            ):
                raise ArchiveBombError(
                    self.location,
                    f"expands more than {limits.max_ratio:g} times its compressed size",
                )
            self._index_member(member)
        self._finish()

    def _index_member(self, member: tarfile.TarInfo) -> None:
        if member.isdir():
            return
        clean = normalise(member.name, RejectReason.ARCHIVE_TRAVERSAL)
        if isinstance(clean, Refusal):
            self._add(self._refused(member.name or "#entry", clean), None)
            return
        key = self._unique_key(clean)
        if member.issym() or member.islnk():
            self._link_keys.add(key)
            # A hard link names its target from the archive root, a symbolic link from its
            # own folder.
            target = (
                normalise(member.linkname, RejectReason.LINK_OUTSIDE)
                if member.islnk()
                else resolve_link(clean, member.linkname)
            )
            if isinstance(target, Refusal):
                target = Refusal(RejectReason.LINK_OUTSIDE, target.detail)
            self._links.append((key, clean, target))
            return
        if not member.isreg() or member.issparse():
            kind = "a sparse entry" if member.issparse() else "not a regular file"
            refusal = Refusal(RejectReason.SPECIAL_FILE, f"{shorten(clean)!r} is {kind}")
            self._add(self._refused(key, refusal), None)
            return
        refusal = self._size_refusal(clean, member.size)
        if refusal is not None:
            self._add(self._refused(key, refusal), None)
            return
        self._add(Entry(key, clean, ItemStatus.AVAILABLE, size=member.size), member)

    def open(self, key: str) -> BinaryIO:
        member = self._members.get(key)
        entry = self._entry_by_key.get(key)
        if member is None or entry is None or entry.status is not ItemStatus.AVAILABLE:
            raise ItemNotReadable(self._display(key), "not a readable entry")
        assert isinstance(member, tarfile.TarInfo)
        with self._lock:
            try:
                inner = self._tar.extractfile(member)
            except (tarfile.TarError, OSError, KeyError) as exc:
                raise ItemNotReadable(self._display(key), f"cannot open entry: {exc}") from exc
        if inner is None:
            raise ItemNotReadable(self._display(key), "not a regular file")
        return _MemberStream(inner, self._display(key), member.size, self._lock)  # type: ignore[return-value]

    def close(self) -> None:
        self._tar.close()


def _declared_zip_entries(raw: BinaryIO) -> int | None:
    """The entry count in the end-of-central-directory record (zip64 aware), read before
    zipfile builds one object per entry: a crafted directory cannot exhaust memory first."""
    raw.seek(0, os.SEEK_END)
    size = raw.tell()
    tail_length = min(size, 22 + 65535)
    raw.seek(size - tail_length)
    tail = raw.read(tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries != 0xFFFF:
        return int(entries)
    locator = at - 20
    if locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        raw.seek(offset)
        record = raw.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            return int(struct.unpack_from("<Q", record, 32)[0])
    return None
