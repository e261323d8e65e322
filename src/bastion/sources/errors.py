"""Typed source failures. Messages name the input and say what to do; they never contain media
bytes or message text."""

from __future__ import annotations

from typing import ClassVar


class SourceError(Exception):
    """A source cannot be opened or enumerated at all."""

    reason: ClassVar[str] = "source_error"
    advice: ClassVar[str] = ""

    def __init__(self, location: str, detail: str) -> None:
        self.location = location
        self.detail = detail
        message = f"{location}: {detail}"
        if self.advice:
            message += f" ({self.advice})"
        super().__init__(message)


class SourceNotFound(SourceError):
    reason = "not_found"
    advice = "check the path"


class UnsupportedSource(SourceError):
    reason = "unsupported"
    advice = "give a folder, a .zip, .tar, .tar.gz or .tgz archive, or a Telegram Desktop export"


class ArchiveBombError(SourceError):
    reason = "archive_bomb"
    advice = "the archive exceeds the safety limits; raise them only for a trusted archive"


class CorruptArchive(SourceError):
    reason = "corrupt_archive"
    advice = "the archive cannot be read; re-acquire it or extract it with another tool"


class ExportFormatError(SourceError):
    reason = "export_format"
    advice = "this does not look like a Telegram Desktop export; scan it as a folder instead"


class ItemNotReadable(SourceError):
    """`Source.open` was asked for an item whose status is not AVAILABLE, or whose file changed
    between enumeration and reading (now missing, now a link out of the root)."""

    reason = "not_readable"
