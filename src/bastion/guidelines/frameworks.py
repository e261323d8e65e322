"""Guideline frameworks as plain, frozen data: what the loader builds from the data files and
what the assess functions read. Nothing here computes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Literal

from bastion.guidelines.citation import Citation, Datum, Document
from bastion.guidelines.sentences import Sentence

YES_NO_UNKNOWN: tuple[str, ...] = ("yes", "no", "unknown")
FactorKind = Literal["statutory_aggravating", "aggravating", "mitigating"]
Basis = Literal["evidence", "user"]


@dataclass(frozen=True, slots=True)
class FrameworkInfo:
    """Identity and version of one framework."""

    id: str
    kind: str
    question_prefix: str
    jurisdiction: str
    title: str
    issuer: str
    edition: str
    in_force: date
    citation: Citation
    documents: tuple[Document, ...]


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    text: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class Question:
    """Something the evidence cannot show: the user answers it, and who answered is recorded.
    `id` is namespaced by the framework ("ew.remorse", "ussg.b2")."""

    id: str
    text: str
    values: tuple[str, ...]
    citation: Citation


# --- England & Wales -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceScale:
    community_order_levels: tuple[str, ...]
    citation: Citation


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    rank: int  # 1 is the most serious
    definition: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class Activity:
    id: str
    rank: int  # 1 is the least serious
    label: str
    includes: tuple[Note, ...]
    citation: Citation


@dataclass(frozen=True, slots=True)
class Cell:
    """One starting point and category range of the step 2 table."""

    category: str
    activity: str
    starting_point: Sentence
    range_low: Sentence
    range_high: Sentence
    citation: Citation

    @property
    def range_text(self) -> str:
        return f"{self.range_low.text} - {self.range_high.text}"


@dataclass(frozen=True, slots=True)
class Factor:
    id: str
    kind: FactorKind
    basis: Basis
    text: str
    evidenced_by: tuple[str, ...]
    question_id: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class StatutoryMaximum:
    id: str
    offence: str
    provision: str
    applies_to: tuple[str, ...]
    on_indictment: Sentence
    summary: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class PleaStage:
    id: str
    stage: str
    max_reduction: Fraction
    citation: Citation


@dataclass(frozen=True, slots=True)
class GuiltyPlea:
    applicability: str
    citation: Citation
    stages: tuple[PleaStage, ...]


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: str
    description: str
    period: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class Notification:
    applicability: str
    citation: Citation
    rows: tuple[NotificationRow, ...]


@dataclass(frozen=True, slots=True)
class EwFramework:
    """England & Wales offence guideline: step 1 categories and activities, the step 2 table,
    factors, statutory maxima, guilty plea stages and notification periods."""

    info: FrameworkInfo
    scale: SentenceScale
    categories: tuple[Category, ...]
    activities: tuple[Activity, ...]
    step1_notes: tuple[Note, ...]
    cells: tuple[Cell, ...]
    factors: tuple[Factor, ...]
    questions: tuple[Question, ...]
    statutory_maxima: tuple[StatutoryMaximum, ...]
    guilty_plea: GuiltyPlea
    notification: Notification
    disclaimers: tuple[Note, ...]

    def category(self, category_id: str) -> Category:
        return next(c for c in self.categories if c.id == category_id)

    def activity(self, activity_id: str) -> Activity:
        return next(a for a in self.activities if a.id == activity_id)

    def cell(self, category_id: str, activity_id: str) -> Cell:
        return next(
            c for c in self.cells if c.category == category_id and c.activity == activity_id
        )

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def data(self) -> Iterator[Datum]:
        """Every cited datum, labelled: for consistency checks and 'unverified' listings."""
        yield Datum(f"framework {self.info.id}", self.info.citation)
        yield Datum("sentence scale", self.scale.citation)
        for c in self.categories:
            yield Datum(f"category {c.id}", c.citation)
        for a in self.activities:
            yield Datum(f"activity {a.id}", a.citation)
            for note in a.includes:
                yield Datum(f"activity {a.id}: {note.id}", note.citation)
        for note in self.step1_notes:
            yield Datum(f"step 1 note {note.id}", note.citation)
        for cell in self.cells:
            yield Datum(f"cell {cell.category} x {cell.activity}", cell.citation)
        for f in self.factors:
            yield Datum(f"factor {f.id}", f.citation)
        derived = {f.question_id for f in self.factors}
        for q in self.questions:
            if q.id not in derived:  # a factor's own question is cited by the factor
                yield Datum(f"question {q.id}", q.citation)
        for m in self.statutory_maxima:
            yield Datum(f"statutory maximum {m.id}", m.citation)
        yield Datum("guilty plea applicability", self.guilty_plea.citation)
        for s in self.guilty_plea.stages:
            yield Datum(f"guilty plea stage {s.id}", s.citation)
        yield Datum("notification applicability", self.notification.citation)
        for r in self.notification.rows:
            yield Datum(f"notification {r.id}", r.citation)
        for d in self.disclaimers:
            yield Datum(f"disclaimer {d.id}", d.citation)


# --- United States federal -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaseLevel:
    id: str
    level: int
    when_answer: str
    text: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One specific offense characteristic. Characteristics sharing a `group` are
    alternatives: only the greatest applies."""

    id: str
    levels: int
    basis: Basis
    text: str
    group: str
    minimum: bool
    requires_base: str
    evidenced_by: tuple[str, ...]
    question_id: str
    citation: Citation


@dataclass(frozen=True, slots=True)
class ImageTier:
    id: str
    min_images: int
    max_images: int | None  # None: no upper bound
    levels: int
    text: str
    citation: Citation

    def contains(self, images: int) -> bool:
        return images >= self.min_images and (self.max_images is None or images <= self.max_images)


@dataclass(frozen=True, slots=True)
class ImageCounting:
    still_text: str
    video_text: str
    images_per_video: int
    citation: Citation


@dataclass(frozen=True, slots=True)
class TableRange:
    """A Sentencing Table cell in months of imprisonment; None stands for life."""

    low_months: int | None
    high_months: int | None

    @property
    def text(self) -> str:
        if self.low_months is None:
            return "life"
        if self.high_months is None:
            return f"{self.low_months} months-life"
        return f"{self.low_months}-{self.high_months} months"

    def bounds(self) -> tuple[float, float]:
        inf = float("inf")
        return (
            inf if self.low_months is None else float(self.low_months),
            inf if self.high_months is None else float(self.high_months),
        )


@dataclass(frozen=True, slots=True)
class SentencingTable:
    categories: tuple[str, ...]
    min_level: int
    max_level: int
    clamp_note: str
    rows: tuple[tuple[int, tuple[TableRange, ...]], ...]
    citation: Citation

    def clamp(self, level: int) -> int:
        return min(max(level, self.min_level), self.max_level)

    def lookup(self, level: int, category: str) -> TableRange:
        """The cell for an offense level (clamped to the table, as its commentary directs)."""
        column = self.categories.index(category)
        wanted = self.clamp(level)
        return next(ranges[column] for row_level, ranges in self.rows if row_level == wanted)


@dataclass(frozen=True, slots=True)
class UsFramework:
    """USSG §2G2.2 with its image counting rule and the Sentencing Table."""

    info: FrameworkInfo
    base_levels: tuple[BaseLevel, ...]
    characteristics: tuple[Characteristic, ...]
    image_tiers: tuple[ImageTier, ...]
    image_counting: ImageCounting
    questions: tuple[Question, ...]
    table: SentencingTable
    notes: tuple[Note, ...]
    disclaimers: tuple[Note, ...]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    def data(self) -> Iterator[Datum]:
        yield Datum(f"framework {self.info.id}", self.info.citation)
        for b in self.base_levels:
            yield Datum(f"base offense level {b.id}", b.citation)
        for c in self.characteristics:
            yield Datum(f"characteristic {c.id}", c.citation)
        for t in self.image_tiers:
            yield Datum(f"image tier {t.id}", t.citation)
        yield Datum("image counting", self.image_counting.citation)
        derived = {c.question_id for c in self.characteristics}
        for q in self.questions:
            if q.id not in derived:  # a characteristic's own question is cited by it
                yield Datum(f"question {q.id}", q.citation)
        yield Datum("sentencing table", self.table.citation)
        for n in self.notes:
            yield Datum(f"note {n.id}", n.citation)
        for d in self.disclaimers:
            yield Datum(f"disclaimer {d.id}", d.citation)


Framework = EwFramework | UsFramework
