"""Exporters: the generic CSV (re-importable without a mapping) and plain text."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from bastion.banks.model import BankEntry

CSV_COLUMNS = ("md5", "sha1", "sha256", "pdq", "vpdq", "category", "label", "id", "added_at")


def write_csv(entries: Iterable[BankEntry], out: TextIO) -> int:
    """One row per entry, its hash in the column named after its signal type."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for entry in entries:
        row = dict.fromkeys(CSV_COLUMNS, "")
        row[entry.signal_type] = entry.value
        row["category"] = entry.category.value
        row["label"] = entry.source_label or ""
        row["id"] = entry.source_id or ""
        row["added_at"] = entry.added_at.isoformat()
        writer.writerow(row[c] for c in CSV_COLUMNS)
        n += 1
    return n


def write_text(entries: Iterable[BankEntry], out: TextIO) -> int:
    n = 0
    for entry in entries:
        out.write(entry.value + "\n")
        n += 1
    return n
