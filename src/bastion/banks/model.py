"""Banks: named, versioned hash lists from one source, and their entries.

A *block* bank lists known material. An *allow* bank lists known false positives: an allow
entry within its bank's threshold suppresses block matches for the same item.

Categories are normalised to the England & Wales grading (A, B, C) or `unknown`. The source's
own label is always kept verbatim beside the normalised category: a source's labels mean what
that source says they mean (Project VIC integer codes differ by national profile; NCMEC's
industry classification A1/A2/B1/B2 is not the UK scale), so Bastion only normalises labels
that are plainly A/B/C or that the user maps explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bastion.signals.pdq import MATCH_THRESHOLD, MAX_THRESHOLD


class Source(StrEnum):
    IWF = "iwf"
    NCMEC = "ncmec"
    CAID = "caid"
    VICS = "vics"
    THREATEXCHANGE = "threatexchange"
    LOCAL = "local"

    @property
    def is_hotline(self) -> bool:
        """Lists graded by a hotline or police database (three-analyst or equivalent review)."""
        return self in (Source.IWF, Source.NCMEC, Source.CAID)


class Kind(StrEnum):
    BLOCK = "block"
    ALLOW = "allow"


class Category(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    UNKNOWN = "unknown"

    @property
    def severity(self) -> int:
        """Higher is more serious; unknown sorts after C (it is not evidence of a grade)."""
        return {"A": 3, "B": 2, "C": 1, "unknown": 0}[self.value]


_PLAIN_CATEGORY = re.compile(r"^\s*(?:cat(?:egory)?[\s._-]*)?([abc])\s*$", re.IGNORECASE)


class CategoryMapError(ValueError):
    pass


def parse_category_map(text: str) -> dict[str, Category]:
    """`1=A,2=B,3=C` -> {'1': A, '2': B, '3': C}; labels compare verbatim after stripping."""
    mapping: dict[str, Category] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        label, sep, target = part.partition("=")
        if not sep or not label.strip():
            raise CategoryMapError(f"category map entry {part!r} must look like LABEL=A")
        try:
            mapping[label.strip()] = Category(
                target.strip().upper() if target.strip().lower() != "unknown" else "unknown"
            )
        except ValueError:
            raise CategoryMapError(
                f"category map entry {part!r}: {target.strip()!r} is not A, B, C or unknown"
            ) from None
    if not mapping:
        raise CategoryMapError("category map is empty; expected e.g. 1=A,2=B,3=C")
    return mapping


def normalise_category(
    label: str | None, mapping: Mapping[str, Category] | None = None
) -> Category:
    """The normalised category of a source label: the user's mapping first, then plain A/B/C
    ('A', 'cat b', 'Category C'), else unknown."""
    if label is None:
        return Category.UNKNOWN
    text = str(label).strip()
    if mapping is not None:
        return mapping.get(text, Category.UNKNOWN)
    match = _PLAIN_CATEGORY.match(text)
    return Category(match.group(1).upper()) if match else Category.UNKNOWN


class BankSettingsError(ValueError):
    pass


def check_threshold(pdq_threshold: int) -> int:
    if not 0 <= pdq_threshold <= MAX_THRESHOLD:
        raise BankSettingsError(
            f"PDQ threshold {pdq_threshold} is outside 0..{MAX_THRESHOLD} "
            f"(Meta's recommended value is {MATCH_THRESHOLD})"
        )
    return pdq_threshold


def check_percent(name: str, value: float) -> float:
    if not 0.0 <= value <= 100.0:
        raise BankSettingsError(f"{name} {value} is outside 0..100")
    return value


_BANK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_bank_name(name: str) -> str:
    if not _BANK_NAME.match(name or ""):
        raise BankSettingsError(
            f"bank name {name!r} must be 1-64 letters, digits, '.', '_' or '-' "
            "and start with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    source: Source
    kind: Kind
    pdq_threshold: int
    version: int
    description: str
    created_at: datetime
    updated_at: datetime
    retired_at: datetime | None = None
    live_entries: int = 0
    vpdq_query_percent: float = 80.0
    vpdq_listed_percent: float = 0.0

    @property
    def active(self) -> bool:
        return self.retired_at is None


@dataclass(frozen=True, slots=True)
class BankEntry:
    id: int
    bank_id: int
    signal_type: str
    value: str
    category: Category
    source_label: str | None
    source_id: str | None
    added_at: datetime
    added_version: int
    removed_at: datetime | None = None
    removed_version: int | None = None
    metadata: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BankVersion:
    bank_id: int
    version: int
    created_at: datetime
    operation: str
    added: int
    removed: int
    skipped: int
    source_file: str | None
    source_sha256: str | None
    note: str | None
