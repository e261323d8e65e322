"""Counts over time for the dashboard: matches, verdicts, the review queue, reports, the outbox.

Every count is grouped in the database (per UTC day where it is a series), so the dashboard
costs a handful of aggregate queries whatever the volume.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, literal_column, select

from bastion import review
from bastion.store.db import Store
from bastion.store.models import (
    BankRow,
    DeliveryRow,
    HotlineReportRow,
    MatchRow,
    OutboxRow,
    ReviewDecisionRow,
    SightingRow,
)
from bastion.store.types import utcnow

# Buckets for waiting times: (upper bound in seconds, label).
AGE_BUCKETS = (
    (3600, "< 1 h"),
    (4 * 3600, "1-4 h"),
    (24 * 3600, "4-24 h"),
    (3 * 86400, "1-3 d"),
    (float("inf"), "> 3 d"),
)


@dataclass(frozen=True, slots=True)
class Series:
    """Counts per UTC day for each key, every day of the window present (zeros included)."""

    days: tuple[date, ...]
    keys: tuple[str, ...]
    counts: dict[date, dict[str, int]]

    def total(self) -> int:
        return sum(sum(v.values()) for v in self.counts.values())


@dataclass(frozen=True, slots=True)
class Overview:
    since: datetime
    matches_by_day: Series  # by category
    matches_by_bank: tuple[tuple[str, dict[str, int]], ...]  # bank -> category counts
    verdicts_by_day: Series  # allow / review / block of every recorded sighting
    decisions: dict[str, int]
    queue_size: int
    oldest_age_seconds: float | None
    queue_ages: tuple[tuple[str, int], ...]
    median_review_seconds: float | None
    review_times: tuple[tuple[str, int], ...]
    reports: tuple[tuple[str, dict[str, int]], ...]  # hotline -> status counts
    outbox: dict[str, int]
    deliveries_by_day: Series  # delivered / failed attempts


def _day(store: Store, column):
    if store.dialect == "postgresql":
        # A literal, not a bound parameter: GROUP BY must repeat the SELECT expression exactly.
        return func.date(func.timezone(literal_column("'UTC'"), column))
    return func.date(column)  # SQLite keeps UTC text: 'YYYY-MM-DD HH:MM:SS'


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _series(days: tuple[date, ...], keys: tuple[str, ...], rows) -> Series:
    counts: dict[date, dict[str, int]] = {d: dict.fromkeys(keys, 0) for d in days}
    extra: list[str] = []
    for day, key, n in rows:
        d = _as_date(day)
        if d not in counts:
            continue
        key = str(key)
        if key not in keys and key not in extra:
            extra.append(key)
        counts[d][key] = counts[d].get(key, 0) + int(n)
    all_keys = keys + tuple(extra)
    for d in days:
        for k in all_keys:
            counts[d].setdefault(k, 0)
    return Series(days, all_keys, counts)


def buckets(seconds: list[float]) -> tuple[tuple[str, int], ...]:
    counts = dict.fromkeys((label for _, label in AGE_BUCKETS), 0)
    for value in seconds:
        for bound, label in AGE_BUCKETS:
            if value < bound:
                counts[label] += 1
                break
    return tuple(counts.items())


def overview(store: Store, days: int = 30, now: datetime | None = None) -> Overview:
    now = now or utcnow()
    first = (now - timedelta(days=days - 1)).date()
    since = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    window = tuple(first + timedelta(days=i) for i in range(days))
    with store.session() as s:
        day = _day(store, MatchRow.created_at)
        matches = s.execute(
            select(day, MatchRow.category, func.count())
            .where(MatchRow.created_at >= since)
            .group_by(day, MatchRow.category)
        ).all()
        by_bank: dict[str, dict[str, int]] = defaultdict(dict)
        for bank, category, n in s.execute(
            select(BankRow.name, MatchRow.category, func.count())
            .join(BankRow, BankRow.id == MatchRow.bank_id)
            .where(MatchRow.created_at >= since)
            .group_by(BankRow.name, MatchRow.category)
        ):
            by_bank[bank][category] = int(n)
        day = _day(store, SightingRow.received_at)
        verdicts = s.execute(
            select(day, SightingRow.verdict, func.count())
            .where(SightingRow.received_at >= since)
            .group_by(day, SightingRow.verdict)
        ).all()
        decisions = dict(
            s.execute(
                select(ReviewDecisionRow.decision, func.count())
                .where(ReviewDecisionRow.at >= since)
                .group_by(ReviewDecisionRow.decision)
            ).all()
        )
        by_hotline: dict[str, dict[str, int]] = defaultdict(dict)
        for hotline, status, n in s.execute(
            select(HotlineReportRow.hotline, HotlineReportRow.status, func.count()).group_by(
                HotlineReportRow.hotline, HotlineReportRow.status
            )
        ):
            by_hotline[hotline][status] = int(n)
        outbox = dict(
            s.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all()
        )
        day = _day(store, DeliveryRow.at)
        ok = DeliveryRow.error.is_(None)
        deliveries = [
            (d, "delivered" if delivered else "failed", n)
            for d, delivered, n in s.execute(
                select(day, ok, func.count()).where(DeliveryRow.at >= since).group_by(day, ok)
            )
        ]
    opened = review.open_since(store)
    waits = review.review_waits(store, now - since)
    oldest = min(opened, default=None)
    return Overview(
        since=since,
        matches_by_day=_series(window, ("A", "B", "C", "unknown"), matches),
        matches_by_bank=tuple(
            sorted(by_bank.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        ),
        verdicts_by_day=_series(window, ("block", "review", "allow"), verdicts),
        decisions={k: int(v) for k, v in decisions.items()},
        queue_size=len(opened),
        oldest_age_seconds=(now - oldest).total_seconds() if oldest else None,
        queue_ages=buckets([(now - t).total_seconds() for t in opened]),
        median_review_seconds=waits[len(waits) // 2] if waits else None,
        review_times=buckets(waits),
        reports=tuple(sorted(by_hotline.items())),
        outbox={k: int(v) for k, v in outbox.items()},
        deliveries_by_day=_series(window, ("delivered", "failed"), deliveries),
    )
