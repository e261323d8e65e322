"""The count table that indictments and forensic reports use, and the counts a guideline takes.

Count table: per activity x category, distinct images (by content) and copies (message
references), still and moving separately, with the first and last date of each cell. An image
appears in every activity row its references show: one received and later forwarded is in
both Possession and Distribution. Possession holds every matched image, because every one of
them is in the export.

Guideline counts: each image once, under the most serious activity evidenced for it
(bastion.guidelines.facts), graded categories only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bastion.cases.activities import Activity
from bastion.cases.evidence import GRADED, Evidence, EvidenceItem, EvidenceRef
from bastion.guidelines import ImageCount


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    label: str
    sub: bool  # a breakdown of the row above it
    takes: Callable[[EvidenceRef], bool]


ROWS: tuple[Row, ...] = (
    Row("possession", "Possession", False, lambda r: True),
    Row(
        "received",
        "of which received (making by downloading)",
        True,
        lambda r: r.activity is Activity.RECEIVED,
    ),
    Row(
        "not_identifiable",
        "of which sender not identifiable",
        True,
        lambda r: r.activity in (Activity.UNKNOWN_OWNER, Activity.CHANNEL_POST),
    ),
    Row("distribution", "Distribution", False, lambda r: r.distributed),
)


@dataclass(frozen=True, slots=True)
class CountCell:
    row: str
    category: str
    still_images: int
    still_copies: int
    moving_images: int
    moving_copies: int
    first: datetime | None
    last: datetime | None
    undated_copies: int
    item_ids: tuple[str, ...]
    ref_ids: tuple[str, ...]

    @property
    def images(self) -> int:
        return self.still_images + self.moving_images

    @property
    def copies(self) -> int:
        return self.still_copies + self.moving_copies


@dataclass(frozen=True, slots=True)
class CountTable:
    categories: tuple[str, ...]
    cells: tuple[CountCell, ...]

    def cell(self, row: str, category: str) -> CountCell:
        return next(c for c in self.cells if c.row == row and c.category == category)

    def row(self, row: str) -> tuple[CountCell, ...]:
        return tuple(c for c in self.cells if c.row == row)

    def images(self, row: str) -> int:
        return sum(c.images for c in self.row(row))

    def copies(self, row: str) -> int:
        return sum(c.copies for c in self.row(row))


def _cell(row: Row, category: str, items: list[EvidenceItem]) -> CountCell:
    still_images = moving_images = still_copies = moving_copies = undated = 0
    dates: list[datetime] = []
    item_ids: list[str] = []
    ref_ids: list[str] = []
    for item in items:
        if item.category != category:
            continue
        taken = [r for r in item.refs if row.takes(r)]
        if not taken:
            continue
        item_ids.append(item.id)
        if any(r.moving for r in taken):
            moving_images += 1
        else:
            still_images += 1
        for r in taken:
            ref_ids.append(r.id)
            if r.moving:
                moving_copies += 1
            else:
                still_copies += 1
            if r.date is None:
                undated += 1
            else:
                dates.append(r.date)
    return CountCell(
        row=row.id,
        category=category,
        still_images=still_images,
        still_copies=still_copies,
        moving_images=moving_images,
        moving_copies=moving_copies,
        first=min(dates) if dates else None,
        last=max(dates) if dates else None,
        undated_copies=undated,
        item_ids=tuple(item_ids),
        ref_ids=tuple(ref_ids),
    )


def count_table(evidence: Evidence) -> CountTable:
    categories = GRADED + (
        ("unknown",) if any(i.category == "unknown" for i in evidence.items) else ()
    )
    items = list(evidence.items)
    return CountTable(
        categories=categories,
        cells=tuple(_cell(row, c, items) for row in ROWS for c in categories),
    )


def guideline_counts(evidence: Evidence) -> tuple[ImageCount, ...]:
    """Each graded image once, under its most serious activity, still or moving."""
    tally: dict[tuple[str, str, bool], int] = {}
    for item in evidence.items:
        if item.category not in GRADED:
            continue
        key = (item.category, item.guideline_activity, item.moving)
        tally[key] = tally.get(key, 0) + 1
    order = {"possession": 0, "distribution": 1}
    return tuple(
        ImageCount(category, activity, moving=moving, count=n)
        for (category, activity, moving), n in sorted(
            tally.items(), key=lambda kv: (order[kv[0][1]], kv[0][0], kv[0][2])
        )
    )
