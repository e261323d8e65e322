"""CSV/TSV with a column mapping, and the IWF-style preset.

    bastion banks import grades.csv --bank local --map md5=MD5 --map category=Grade

Mapping keys are Bastion's fields: the signal types (md5, sha1, sha256, pdq), `category` (the
source's grade, normalised to A/B/C/unknown), `label` (the source's own label, kept verbatim;
defaults to the category column), `id` (the source's id), `action` (add/remove, for
delta files) and `tags`. Values are column names from the header (case-insensitive). A row with
several hash columns yields one entry per non-empty hash, sharing its category and id.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from bastion.banks.formats.base import (
    FormatError,
    Item,
    Notice,
    Row,
    RowError,
    open_text,
    value_row,
)

SIGNAL_FIELDS = ("md5", "sha1", "sha256", "pdq", "vpdq")
OTHER_FIELDS = ("category", "label", "id", "action", "tags", "photodna")
FIELDS = SIGNAL_FIELDS + OTHER_FIELDS

# Header names seen in IWF-style exports (no public schema exists: see research/anchors-legal.md
# section 2.2); matched case-insensitively, ignoring spaces, dashes and underscores.
IWF_COLUMNS: dict[str, tuple[str, ...]] = {
    "md5": ("md5",),
    "sha1": ("sha1",),
    "sha256": ("sha256",),
    "photodna": ("photodna", "pdna"),
    "category": ("category", "grade", "cat", "iwfcategory", "severity"),
    "id": ("id", "iwfid", "hashid", "reference", "ref"),
}

PHOTODNA_NOTICE = (
    "PhotoDNA values are kept as source metadata but not matched: PhotoDNA is proprietary "
    "(Microsoft licenses it; Bastion cannot compute it)"
)


class MappingError(FormatError):
    pass


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """['md5=MD5', 'category=Grade'] -> {'md5': 'MD5', 'category': 'Grade'}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise MappingError(f"--map {pair!r} must look like FIELD=COLUMN, e.g. md5=MD5")
        if field not in FIELDS:
            raise MappingError(
                f"--map {pair!r}: unknown field {field!r}; use one of {', '.join(FIELDS)}"
            )
        mapping[field] = column.strip()
    return mapping


def _norm(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _dialect(first_line: str, path_name: str) -> str:
    if path_name.lower().endswith((".tsv", ".tab")):
        return "\t"
    if "\t" in first_line and "," not in first_line:
        return "\t"
    if ";" in first_line and "," not in first_line:
        return ";"
    return ","


def read_csv(
    path: str | Path | BinaryIO,
    mapping: Mapping[str, str] | None = None,
    *,
    preset: Mapping[str, tuple[str, ...]] | None = None,
    name: str = "",
) -> Iterator[Item]:
    """Rows of a delimited file. `mapping` names columns explicitly; otherwise `preset` lists
    accepted header names per field; with neither, headers equal to field names are used."""
    stream = open_text(path)
    try:
        first = stream.readline()
        if not first.strip():
            raise FormatError("the file is empty or its first line (the header) is blank")
        delimiter = _dialect(first, name or str(path))
        header = next(csv.reader([first], delimiter=delimiter))
        columns = _resolve_columns(header, mapping, preset)
        if not any(f in columns for f in SIGNAL_FIELDS):
            raise MappingError(
                f"no hash column found in header {header!r}; map one with --map md5=COLUMN "
                "(or sha1/sha256/pdq)"
            )
        told_photodna = False
        reader = csv.reader(stream, delimiter=delimiter)
        for record in reader:
            line = reader.line_num + 1  # +1 for the header consumed above
            if not record or all(not cell.strip() for cell in record):
                continue
            if len(record) < len(header):
                record = record + [""] * (len(header) - len(record))
            cell = {f: record[i].strip() for f, i in columns.items()}
            if cell.get("photodna") and not told_photodna:
                told_photodna = True
                yield Notice(PHOTODNA_NOTICE)
            yield from _rows_of(line, cell, columns)
    finally:
        stream.detach() if not isinstance(path, (str, Path)) else stream.close()


def _resolve_columns(
    header: list[str],
    mapping: Mapping[str, str] | None,
    preset: Mapping[str, tuple[str, ...]] | None,
) -> dict[str, int]:
    by_norm = {}
    for i, name in enumerate(header):
        by_norm.setdefault(_norm(name), i)
    columns: dict[str, int] = {}
    if mapping:
        for field, column in mapping.items():
            index = by_norm.get(_norm(column))
            if index is None:
                raise MappingError(
                    f"--map {field}={column}: no column {column!r} in header {header!r}"
                )
            columns[field] = index
        return columns
    accepted = preset or {field: (field,) for field in FIELDS}
    for field, names in accepted.items():
        for candidate in names:
            if _norm(candidate) in by_norm:
                columns[field] = by_norm[_norm(candidate)]
                break
    return columns


def _rows_of(line: int, cell: dict[str, str], columns: Mapping[str, int]) -> Iterator[Item]:
    action = (cell.get("action") or "add").lower()
    if action in ("+", "add", "added", "insert"):
        action = "add"
    elif action in ("-", "remove", "removed", "delete", "deleted"):
        action = "remove"
    else:
        yield RowError(line, f"action {cell.get('action')!r} is not add or remove")
        return
    extra: dict[str, object] = {}
    if cell.get("photodna"):
        extra["photodna"] = cell["photodna"]
    if cell.get("tags"):
        extra["tags"] = [t for t in cell["tags"].replace(";", " ").split() if t]
    label = cell.get("label") or cell.get("category") or None
    category = cell.get("category") or None
    source_id = cell.get("id") or None
    present = [f for f in SIGNAL_FIELDS if f in columns and cell.get(f)]
    if not present:
        yield RowError(line, "no hash in this row")
        return
    for field in present:
        yield value_row(
            line,
            field,
            cell[field],
            label=label,
            source_id=source_id,
            extra=extra or None,
            action=action,  # type: ignore[arg-type]
            column=field,
            category=category,
        )


def read_iwf(path: str | Path | BinaryIO, name: str = "") -> Iterator[Item]:
    """IWF-style CSV: MD5, SHA1, SHA256, PhotoDNA, Category (A/B/C) and an id column."""
    return read_csv(path, preset=IWF_COLUMNS, name=name)


__all__ = ["Row", "RowError", "parse_mapping", "read_csv", "read_iwf"]
