"""Readers and writers for hash-list formats. See each module for the format's rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from bastion.banks.formats.base import FormatError, Item, Notice, Row, RowError
from bastion.banks.formats.csv_generic import MappingError, parse_mapping, read_csv, read_iwf
from bastion.banks.formats.plain import read_text, read_threatexchange
from bastion.banks.formats.vics import read_vics

FORMATS = ("csv", "iwf", "vics", "threatexchange", "text")

# The source a new bank gets when created by importing a file of this format.
DEFAULT_SOURCE = {
    "csv": "local",
    "iwf": "iwf",
    "vics": "vics",
    "threatexchange": "threatexchange",
    "text": "local",
}


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "vics"
    if suffix in (".txt", ".lst"):
        return "text"
    return "csv"


def read(
    path: Path,
    fmt: str,
    *,
    mapping: Mapping[str, str] | None = None,
    signal_type: str | None = None,
) -> Iterator[Item]:
    """Stream the items of `path` read as `fmt`."""
    if fmt == "csv":
        return read_csv(path, mapping or None, name=path.name)
    if fmt == "iwf":
        return read_csv(path, mapping, name=path.name) if mapping else read_iwf(path, path.name)
    if fmt == "vics":
        return read_vics(path)
    if fmt == "threatexchange":
        return read_threatexchange(path)
    if fmt == "text":
        return read_text(path, signal_type)
    raise FormatError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = [
    "DEFAULT_SOURCE",
    "FORMATS",
    "FormatError",
    "Item",
    "MappingError",
    "Notice",
    "Row",
    "RowError",
    "guess_format",
    "parse_mapping",
    "read",
]
