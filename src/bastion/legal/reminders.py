"""Which requests need attention now: deadlines near or past, and emergency disclosures whose
72-hour review is near or past."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bastion.legal.requests import LegalRequest

DEFAULT_WARNING = timedelta(hours=48)


@dataclass(frozen=True, slots=True)
class Reminder:
    request_id: int
    reference: str
    state: str
    due: datetime
    what: str  # "deadline" or "emergency review"
    overdue: bool

    @property
    def message(self) -> str:
        when = self.due.strftime("%Y-%m-%d %H:%M UTC")
        verb = "was due" if self.overdue else "is due"
        return (
            f"request {self.request_id} ({self.reference}, {self.state}): {self.what} {verb} {when}"
        )


def reminders(
    requests: Sequence[LegalRequest], now: datetime, warning: timedelta = DEFAULT_WARNING
) -> list[Reminder]:
    """Overdue first, then the soonest."""
    found = []
    for r in requests:
        if r.review_due is not None and r.review_due - now <= warning:
            found.append(
                Reminder(
                    r.id,
                    r.intake.reference,
                    r.state,
                    r.review_due,
                    "emergency review",
                    r.review_due <= now,
                )
            )
        if r.state not in ("delivered", "rejected") and r.intake.deadline - now <= warning:
            found.append(
                Reminder(
                    r.id,
                    r.intake.reference,
                    r.state,
                    r.intake.deadline,
                    "deadline",
                    r.intake.deadline <= now,
                )
            )
    return sorted(found, key=lambda m: (not m.overdue, m.due))
