"""Line formats: plain text (one hash per line) and ThreatExchange/HMA lists.

Plain text: the type comes from the length (32 hex = md5, 40 = sha1). 64 hex characters could
be SHA-256 or PDQ, so such a line is an error unless the user says `--type`. Blank lines and
lines starting with '#' are skipped.

ThreatExchange: python-threatexchange's local-file format (`<signal_type> <value>` per line,
threatexchange/exchanges/impl/file_api.py) and CSV `signal_type,value[,tags]` (with or without a
header); pytx names such as `video_md5` map to Bastion's types.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from bastion.banks.formats.base import Item, RowError, open_text, signal_name, value_row
from bastion.signals import UnknownSignalType

_BY_LENGTH = {32: "md5", 40: "sha1"}


def read_text(path: str | Path | BinaryIO, signal_type: str | None = None) -> Iterator[Item]:
    stream = open_text(path)
    try:
        for number, raw in enumerate(stream, start=1):
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            kind = signal_type or _BY_LENGTH.get(len(text))
            if kind is None:
                if len(text) == 64:
                    yield RowError(
                        number,
                        "64 hex characters could be sha256 or pdq; say which with --type",
                    )
                else:
                    yield RowError(
                        number,
                        f"cannot tell the hash type of a {len(text)}-character value "
                        "(md5 has 32, sha1 40, sha256 and pdq 64); use --type",
                    )
                continue
            yield value_row(number, kind, text)
    finally:
        if isinstance(path, (str, Path)):
            stream.close()


def read_threatexchange(path: str | Path | BinaryIO) -> Iterator[Item]:
    stream = open_text(path)
    try:
        lines = ((n, line) for n, line in enumerate(stream, start=1))
        for number, raw in lines:
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            if "," in text:
                cells = next(csv.reader([text]))
                kind_text, value = cells[0], cells[1] if len(cells) > 1 else ""
                tags = cells[2] if len(cells) > 2 else ""
            else:
                kind_text, _, value = text.partition(" ")
                tags = ""
            if kind_text.strip().lower() in ("signal_type", "type", "signal type"):
                continue  # a header row
            try:
                kind = signal_name(kind_text)
            except UnknownSignalType:
                yield RowError(
                    number,
                    f"signal type {kind_text.strip()!r} is not supported (md5, sha1, sha256, pdq "
                    "and their pytx names video_md5, video_sha256)",
                )
                continue
            extra = {"tags": [t for t in tags.replace(";", " ").split() if t]} if tags else None
            yield value_row(number, kind, value.strip(), extra=extra)
    finally:
        if isinstance(path, (str, Path)):
            stream.close()
