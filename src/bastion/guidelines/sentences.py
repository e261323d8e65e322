"""The ordered scale that England & Wales starting points and ranges are written in.

Community orders rank below any custodial term and among themselves by level (low, medium,
high: the framework's data gives the order); custodial terms rank by length. Lengths in weeks,
months and years are compared in days (a month as 365.25 / 12 days) only to order them: no
sentence is ever computed from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SentenceKind = Literal["community_order", "custody"]
CUSTODY_UNITS: dict[str, float] = {"weeks": 7.0, "months": 365.25 / 12, "years": 365.25}
_SINGULAR = {"weeks": "week", "months": "month", "years": "year"}


@dataclass(frozen=True, slots=True)
class Sentence:
    """A point on the scale: a community order level, or a custodial term."""

    kind: SentenceKind
    level: str = ""
    level_rank: int = 0
    amount: int = 0
    unit: str = ""

    @classmethod
    def community_order(cls, level: str, rank: int) -> Sentence:
        return cls(kind="community_order", level=level, level_rank=rank)

    @classmethod
    def custody(cls, amount: int, unit: str) -> Sentence:
        if unit not in CUSTODY_UNITS:
            raise ValueError(f"custody unit {unit!r}; expected one of {', '.join(CUSTODY_UNITS)}")
        if amount <= 0:
            raise ValueError(f"custody amount must be positive, got {amount}")
        return cls(kind="custody", amount=amount, unit=unit)

    @property
    def days(self) -> float:
        """Length of a custodial term in days (0 for a community order); for ordering only."""
        return self.amount * CUSTODY_UNITS[self.unit] if self.kind == "custody" else 0.0

    def sort_key(self) -> tuple[int, float]:
        if self.kind == "community_order":
            return (0, float(self.level_rank))
        return (1, self.days)

    def __lt__(self, other: Sentence) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Sentence) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: Sentence) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: Sentence) -> bool:
        return self.sort_key() >= other.sort_key()

    @property
    def text(self) -> str:
        """As the guideline writes it: "26 weeks' custody", "1 year's custody",
        "high-level community order"."""
        if self.kind == "community_order":
            return f"{self.level}-level community order"
        unit = _SINGULAR[self.unit] if self.amount == 1 else self.unit
        apostrophe = "'s" if self.amount == 1 else "'"
        return f"{self.amount} {unit}{apostrophe} custody"

    def __str__(self) -> str:
        return self.text
