"""Readers and writers for hash-list formats. See each module for the format's rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path

from bastion.banks.formats.base import FormatError, Item, Notice, Row, RowError
from bastion.banks.formats.csv_generic import MappingError, parse_mapping, read_csv, read_iwf
from bastion.banks.formats.plain import read_text, read_threatexchange
from bastion.banks.formats.vics import read_vics
from bastion.banks.formats.video import read_vpdq

FORMATS = ("csv", "iwf", "vics", "threatexchange", "text", "vpdq")

# The source a new bank gets when created by importing a file of this format.
DEFAULT_SOURCE = {
    "csv": "local",
    "iwf": "iwf",
    "vics": "vics",
    "threatexchange": "threatexchange",
    "text": "local",
    "vpdq": "local",
}


def guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if path.is_dir():
        return "vpdq"
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
    label: str | None = None,
) -> Iterator[Item]:
    """Stream the items of `path` read as `fmt`; `label` is the source label of rows that carry
    none (a folder of vPDQ files, a plain list)."""
    items = _read(path, fmt, mapping=mapping, signal_type=signal_type, label=label)
    if label is None or fmt == "vpdq":
        return items
    return (replace(i, label=label) if isinstance(i, Row) and i.label is None else i for i in items)


def _read(
    path: Path,
    fmt: str,
    *,
    mapping: Mapping[str, str] | None,
    signal_type: str | None,
    label: str | None,
) -> Iterator[Item]:
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
    if fmt == "vpdq":
        return read_vpdq(path, label)
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
