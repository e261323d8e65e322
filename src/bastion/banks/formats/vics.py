"""Project VIC / VICS JSON hash sets (the OData-style export CAID and forensic tools use).

Both shapes are read: a hash set (`value[]` is a flat list of Media records) and a case export
(`value[]` of Cases, each with `Media[]`). Records are streamed one at a time.

The integer `Category` means different things in different national profiles (US, Canada,
UK/CAID), and no public primary source defines them (research/anchors-legal.md section 3.4).
Bastion therefore keeps it verbatim as the source label and normalises it only through a
mapping the user supplies (`--category-map 1=A,2=B,3=C`); without one, entries are `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import ijson

from bastion.banks.formats.base import (
    FormatError,
    Item,
    Notice,
    RowError,
    strip_bom_bytes,
    value_row,
)
from bastion.banks.formats.csv_generic import PHOTODNA_NOTICE

_HASH_FIELDS = (("MD5", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"))
_KEPT = ("Series", "MimeType", "MediaSize", "IsDistributed", "VictimIdentified", "DateUpdated")


def read_vics(path: str | Path | BinaryIO) -> Iterator[Item]:
    raw = open(path, "rb") if isinstance(path, (str, Path)) else path  # noqa: SIM115
    try:
        stream = strip_bom_bytes(raw)
        record = 0
        told_photodna = False
        try:
            for item in ijson.items(stream, "value.item", use_float=True):
                if not isinstance(item, dict):
                    record += 1
                    yield RowError(record, "is not a JSON object", "record")
                    continue
                media = item.get("Media")
                records = media if isinstance(media, list) else [item]
                for medium in records:
                    record += 1
                    if not isinstance(medium, dict):
                        yield RowError(record, "Media entry is not a JSON object", "record")
                        continue
                    if not told_photodna and _photodna(medium):
                        told_photodna = True
                        yield Notice(PHOTODNA_NOTICE)
                    yield from _rows_of(record, medium)
        except ijson.JSONError as exc:
            raise FormatError(f"not valid VICS JSON after record {record}: {exc}") from None
        if record == 0:
            raise FormatError("no Media records found under 'value' (is this a VICS JSON export?)")
    finally:
        if isinstance(path, (str, Path)):
            raw.close()


def _photodna(medium: dict) -> str | None:
    if medium.get("PhotoDNA"):
        return str(medium["PhotoDNA"])
    for alt in medium.get("AlternativeHashes") or []:
        if isinstance(alt, dict) and str(alt.get("HashName", "")).lower() == "photodna":
            return str(alt.get("HashValue") or "") or None
    return None


def _rows_of(record: int, medium: dict) -> Iterator[Item]:
    category = medium.get("Category")
    label = None if category is None else str(category).strip()
    source_id = None if medium.get("MediaID") is None else str(medium["MediaID"])
    extra: dict[str, object] = {k: medium[k] for k in _KEPT if medium.get(k) is not None}
    photodna = _photodna(medium)
    if photodna:
        extra["photodna"] = photodna
    found = False
    for field, signal_type in _HASH_FIELDS:
        text = medium.get(field)
        if text in (None, ""):
            continue
        found = True
        yield value_row(
            record,
            signal_type,
            str(text),
            label=label,
            source_id=source_id,
            extra=extra or None,
            unit="record",
            column=field,
        )
    if not found:
        yield RowError(record, "has no MD5, SHA1 or SHA256", "record")
