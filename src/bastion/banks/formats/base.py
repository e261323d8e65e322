"""What every hash-list reader yields, and the shared text-file plumbing.

Readers are pure and streaming: they turn a file into `Row`s (one hash each), `RowError`s (a
bad line, with where and why) and `Notice`s (something the user must be told once, such as
PhotoDNA being kept as metadata only). They never touch the database and never hold the
whole file in memory.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from bastion import signals
from bastion.signals import SignalParseError, UnknownSignalType

Action = Literal["add", "remove"]


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    signal_type: str
    value: str
    label: str | None = None
    source_id: str | None = None
    extra: dict[str, object] | None = None
    action: Action = "add"
    # Text to normalise into a category when it differs from the verbatim label (an exported
    # file carries both the normalised category and the source's label).
    category: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        return f"{self.unit} {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Notice:
    message: str


Item = Row | RowError | Notice


class FormatError(ValueError):
    """The file as a whole cannot be read in this format (not one bad row)."""


# Names other tools use for Bastion's signal types (python-threatexchange, HMA, NCMEC).
SIGNAL_ALIASES = {
    "md5": "md5",
    "video_md5": "md5",
    "photo_md5": "md5",
    "sha1": "sha1",
    "sha-1": "sha1",
    "sha256": "sha256",
    "sha-256": "sha256",
    "video_sha256": "sha256",
    "pdq": "pdq",
}


def signal_name(text: str) -> str:
    name = SIGNAL_ALIASES.get(text.strip().lower())
    if name is None:
        raise UnknownSignalType(text.strip())
    return name


def parse_value(signal_type: str, text: str) -> str:
    return signals.parse(signal_type, text)


def value_row(
    line: int,
    signal_type: str,
    text: str,
    *,
    label: str | None = None,
    source_id: str | None = None,
    extra: dict[str, object] | None = None,
    action: Action = "add",
    unit: str = "line",
    column: str | None = None,
    category: str | None = None,
) -> Row | RowError:
    """A Row when `text` parses as `signal_type`, else a RowError saying why."""
    try:
        value = parse_value(signal_type, text)
    except SignalParseError as exc:
        where = f"column {column!r}: " if column else ""
        return RowError(line, f"{where}{exc}", unit)
    return Row(line, signal_type, value, label, source_id, extra, action, category)


def open_text(path: str | Path | BinaryIO) -> io.TextIOBase:
    """Text stream that drops a UTF-8 byte-order mark and keeps CRLF for the csv module.

    Undecodable bytes become U+FFFD so that the bad line, not the whole file, is reported.
    """
    raw = open(path, "rb") if isinstance(path, (str, Path)) else path  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def strip_bom_bytes(stream: BinaryIO) -> BinaryIO:
    head = stream.read(len(codecs.BOM_UTF8))
    if head != codecs.BOM_UTF8:
        return _Prepend(head, stream)
    return stream


class _Prepend(io.RawIOBase):
    """A binary stream with some bytes pushed back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def count_items(items: Iterator[Item]) -> tuple[int, int]:
    rows = errors = 0
    for item in items:
        if isinstance(item, Row):
            rows += 1
        elif isinstance(item, RowError):
            errors += 1
    return rows, errors
