"""The plain facts an assessment is made from.

Counts come from the evidence (hash matches, graded by the lists that matched them). Evidence
features are what the evidence layer found, each with the opaque ids of the items that show it.
User answers cover what the evidence cannot show; each records who gave it. Nothing here knows
about media, files or the store.

Counting rule: each item is counted once, under the most serious activity evidenced for it. An
item that was distributed is counted under "distribution" only (distribution includes
possession), so counts add up to the number of items. Production is never counted from hash
matches (known material was, by definition, produced by someone else); the user marks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bastion.guidelines.errors import FactsError

COUNTED_ACTIVITIES: tuple[str, ...] = ("possession", "distribution")

# What the evidence layer can report. `distribution` and `moving_images` also follow from the
# counts; the others only from features passed in.
FEATURES: dict[str, str] = {
    "computer": "a computer or an interactive computer service was used (for example a messaging app)",
    "distribution": "items were sent, posted or offered to others",
    "groups_or_channels": "items were placed in groups or channels that others can view",
    "moving_images": "the collection includes moving images",
    "network": "indicators of involvement in a network that shares or commissions images",
    "period": "the period over which images were possessed or distributed",
    "volume": "the volume of images",
}


@dataclass(frozen=True, slots=True)
class ImageCount:
    """How many matched items of one category, activity and kind (still or moving)."""

    category: str
    activity: str
    moving: bool
    count: int

    def __post_init__(self) -> None:
        if not isinstance(self.category, str) or not self.category:
            raise FactsError(
                "counts.category", f"expected a category id such as 'A', got {self.category!r}"
            )
        if self.activity not in COUNTED_ACTIVITIES:
            raise FactsError(
                "counts.activity",
                f"{self.activity!r}: counts are 'possession' or 'distribution' (production is marked by the user, never counted)",
            )
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 0:
            raise FactsError(
                "counts.count", f"expected a whole number of items, got {self.count!r}"
            )


@dataclass(frozen=True, slots=True)
class Period:
    """First and last dates the evidence shows images held or sent."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise FactsError("period", f"ends ({self.last}) before it starts ({self.first})")

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True)
class EvidencedFeature:
    """A feature the evidence shows, with the opaque ids of the items that show it."""

    feature: str
    evidence_ids: tuple[str, ...]
    detail: str = ""

    def __post_init__(self) -> None:
        if self.feature not in FEATURES:
            raise FactsError(
                "features.feature", f"{self.feature!r} is not one of {', '.join(FEATURES)}"
            )
        object.__setattr__(self, "evidence_ids", tuple(self.evidence_ids))
        if not self.evidence_ids or not all(isinstance(e, str) and e for e in self.evidence_ids):
            raise FactsError(
                f"features[{self.feature}].evidence_ids",
                "a feature needs the ids of the evidence items that show it",
            )


@dataclass(frozen=True, slots=True)
class UserAnswer:
    """A user's answer to one question of a framework, with who gave it.

    `question` is the namespaced id ("ew.remorse", "ussg.b2", "ussg.criminal-history-category");
    `value` one of the question's values (usually "yes", "no" or "unknown")."""

    question: str
    value: str
    given_by: str
    detail: str = ""
    given_at: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.question, str) or "." not in self.question:
            raise FactsError(
                "answers.question",
                f"expected a namespaced question id such as 'ew.remorse', got {self.question!r}",
            )
        if not isinstance(self.value, str) or not self.value:
            raise FactsError(f"answers[{self.question}].value", "is empty")
        if not isinstance(self.given_by, str) or not self.given_by.strip():
            raise FactsError(
                f"answers[{self.question}].given_by", "every answer records who gave it"
            )

    @property
    def framework_prefix(self) -> str:
        return self.question.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    counts: tuple[ImageCount, ...] = ()
    period: Period | None = None
    features: tuple[EvidencedFeature, ...] = ()
    answers: tuple[UserAnswer, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("counts", "features", "answers"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        kinds = {"counts": ImageCount, "features": EvidencedFeature, "answers": UserAnswer}
        for name, kind in kinds.items():
            for item in getattr(self, name):
                if not isinstance(item, kind):
                    raise FactsError(
                        name, f"expected {kind.__name__} items, got {type(item).__name__}"
                    )
        by_question: dict[str, UserAnswer] = {}
        for answer in self.answers:
            earlier = by_question.setdefault(answer.question, answer)
            if earlier is not answer:
                raise FactsError(
                    f"answers[{answer.question}]",
                    f"answered twice ({earlier.value!r} by {earlier.given_by}, {answer.value!r} by {answer.given_by}): keep the one that stands",
                )

    def count(
        self,
        *,
        category: str | None = None,
        activity: str | None = None,
        moving: bool | None = None,
    ) -> int:
        return sum(
            c.count
            for c in self.counts
            if (category is None or c.category == category)
            and (activity is None or c.activity == activity)
            and (moving is None or c.moving == moving)
        )

    def categories(self, activity: str | None = None) -> set[str]:
        return {
            c.category
            for c in self.counts
            if c.count > 0 and (activity is None or c.activity == activity)
        }

    def evidence_for(self, features: tuple[str, ...]) -> tuple[str, ...]:
        """Evidence ids of every feature passed in under any of these names, first seen first."""
        ids: dict[str, None] = {}
        for f in self.features:
            if f.feature in features:
                ids.update(dict.fromkeys(f.evidence_ids))
        return tuple(ids)

    def answers_to(
        self, framework_id: str, prefix: str, questions: dict[str, tuple[str, ...]]
    ) -> tuple[UserAnswer, ...]:
        """The answers addressed to one framework (by question prefix), each checked against
        its question's values. Answers to other frameworks are left alone."""
        mine = tuple(a for a in self.answers if a.framework_prefix == prefix)
        for answer in mine:
            values = questions.get(answer.question)
            if values is None:
                raise FactsError(
                    f"answers[{answer.question}]",
                    f"not a question of {framework_id}; its questions are {', '.join(questions)}",
                )
            if answer.value not in values:
                raise FactsError(
                    f"answers[{answer.question}].value",
                    f"{answer.value!r}: expected one of {', '.join(values)}",
                )
        return mine

    def answer(self, question_id: str) -> UserAnswer | None:
        return next((a for a in self.answers if a.question == question_id), None)
