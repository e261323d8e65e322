"""vPDQ hash files, ThreatExchange's text format: one video per file, one line per sampled
frame (`frame_number,quality,pdq_hex,timestamp_s`). A folder is read file by file (*.txt, in
sorted order); each file is one entry whose source id is its name without the extension."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from bastion.banks.formats.base import FormatError, Item, Row, RowError
from bastion.signals.vpdq import VpdqParseError, parse_vpdq


def read_vpdq(path: Path, label: str | None = None) -> Iterator[Item]:
    files = sorted(p for p in path.rglob("*.txt") if p.is_file()) if path.is_dir() else [path]
    if not files:
        raise FormatError(f"{path}: no .txt vPDQ files in this folder")
    for number, file in enumerate(files, start=1):
        try:
            text = file.read_text(encoding="utf-8-sig", errors="replace")
            value = parse_vpdq(text).to_text()
        except VpdqParseError as exc:
            yield RowError(number, f"{file.name}: {exc.reason}", "file")
            continue
        except OSError as exc:
            yield RowError(number, f"{file.name}: cannot read ({exc.strerror})", "file")
            continue
        if not value:
            yield RowError(number, f"{file.name}: no frames", "file")
            continue
        yield Row(number, "vpdq", value, label=label, source_id=file.stem)


def write_vpdq(entries, folder: Path) -> int:
    """One file per vPDQ entry, named after its source id (or entry id)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for entry in entries:
        if entry.signal_type != "vpdq":
            continue
        name = (entry.source_id or f"entry-{entry.id}").replace("/", "_")
        (folder / f"{name}.txt").write_text(entry.value + "\n")
        n += 1
    return n
