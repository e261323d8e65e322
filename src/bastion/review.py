"""Human review of matches: the queue, deliberate reveals with a daily limit, and decisions.

A decision applies to a sighting (one upload) and all its open matches:
- confirm (with the reviewer's category A/B/C): matches confirmed; in the same transaction the
  outbox gets the platform webhooks (block the content, suspend the account) and a hotline
  report draft;
- false positive: matches closed, and the content's hashes go into an allow-list bank so the
  same item is not matched again;
- escalate: matches stay in the queue, marked for a senior reviewer.
Every reveal and decision is audited.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bastion import audit, outbox
from bastion.banks.formats.base import Row
from bastion.people import User
from bastion.store.banks import BankStore
from bastion.store.db import Store
from bastion.store.models import (
    BankRow,
    ContentRow,
    EvidenceRow,
    MatchRow,
    RevealRow,
    ReviewDecisionRow,
    SightingRow,
)
from bastion.store.types import utcnow

DECISIONS = ("confirm", "false_positive", "escalate")
OPEN = ("open", "escalated")
DEFAULT_REVEAL_LIMIT = int(os.environ.get("BASTION_REVEAL_LIMIT", "50"))
BREAK_EVERY = 10  # suggest a break after every 10 reveals in a day
# A reveal's ticket only has to live from the reveal response to the browser's image request.
TICKET_LIFETIME = timedelta(seconds=30)
ALLOW_BANK = "allow-list"


class ReviewError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class QueueMatch:
    id: int
    bank: str
    bank_source: str
    category: str
    source_label: str | None
    signal_type: str
    distance: int
    retroactive: bool
    status: str


@dataclass(frozen=True, slots=True)
class QueueItem:
    sighting_id: int
    content_id: int | None
    platform: str
    message_id: str | None
    chat_id: str | None
    chat_type: str | None
    member_count: int | None
    sender_account_id: str | None
    received_at: datetime
    verdict: str
    matches: tuple[QueueMatch, ...]
    other_sightings: int
    has_evidence: bool
    escalated: bool

    @property
    def category(self) -> str:
        order = {"A": 3, "B": 2, "C": 1}
        return max(
            (m.category for m in self.matches), key=lambda c: order.get(c, 0), default="unknown"
        )


def queue(store: Store, limit: int = 50, sighting_id: int | None = None) -> list[QueueItem]:
    """Sightings with open or escalated matches, oldest first (first in, first reviewed)."""
    with store.session() as s:
        ids_query = (
            select(MatchRow.sighting_id, func.min(MatchRow.created_at).label("first"))
            .where(MatchRow.status.in_(OPEN))
            .group_by(MatchRow.sighting_id)
            .order_by("first", MatchRow.sighting_id)
            .limit(limit)
        )
        if sighting_id is not None:
            ids_query = ids_query.where(MatchRow.sighting_id == sighting_id)
        ids = [r[0] for r in s.execute(ids_query)]
        return [_item(s, i) for i in ids]


def queue_ids(store: Store, limit: int = 1000, escalated_only: bool = False) -> list[int]:
    """Sighting ids in queue order (oldest first), without loading each item."""
    with store.session() as s:
        query = (
            select(MatchRow.sighting_id, func.min(MatchRow.created_at).label("first"))
            .where(MatchRow.status.in_(("escalated",) if escalated_only else OPEN))
            .group_by(MatchRow.sighting_id)
            .order_by("first", MatchRow.sighting_id)
            .limit(limit)
        )
        return [r[0] for r in s.execute(query)]


def item(store: Store, sighting_id: int) -> QueueItem:
    with store.session() as s:
        if s.get(SightingRow, sighting_id) is None:
            raise ReviewError(f"no sighting {sighting_id}")
        return _item(s, sighting_id)


def _item(s, sighting_id: int) -> QueueItem:
    sighting = s.get(SightingRow, sighting_id)
    rows = s.execute(
        select(MatchRow, BankRow)
        .join(BankRow, BankRow.id == MatchRow.bank_id)
        .where(MatchRow.sighting_id == sighting_id)
        .order_by(MatchRow.id)
    ).all()
    others = 0
    evidence = False
    if sighting.content_id is not None:
        others = (
            s.scalar(
                select(func.count())
                .select_from(SightingRow)
                .where(SightingRow.content_id == sighting.content_id, SightingRow.id != sighting_id)
            )
            or 0
        )
        evidence = (
            s.scalar(
                select(func.count())
                .select_from(EvidenceRow)
                .where(
                    EvidenceRow.content_id == sighting.content_id, EvidenceRow.purged_at.is_(None)
                )
            )
            > 0
        )
    matches = tuple(
        QueueMatch(
            m.id,
            b.name,
            b.source,
            m.category,
            m.source_label,
            m.signal_type,
            m.distance,
            m.retroactive,
            m.status,
        )
        for m, b in rows
    )
    return QueueItem(
        sighting.id,
        sighting.content_id,
        sighting.platform,
        sighting.message_id,
        sighting.chat_id,
        sighting.chat_type,
        sighting.member_count,
        sighting.sender_account_id,
        sighting.received_at,
        sighting.verdict,
        matches,
        others,
        evidence,
        any(m.status == "escalated" for m in matches),
    )


@dataclass(frozen=True, slots=True)
class RevealResult:
    allowed: bool
    used_today: int
    limit: int
    suggest_break: bool
    message: str
    # Single-use, short-lived: exchange it once with `redeem` for the content to render.
    ticket: str | None = None


@dataclass(frozen=True, slots=True)
class Redeemed:
    sighting_id: int
    content_id: int
    colour: bool


def reveal_limit(user: User) -> int:
    """The reviewer's own limit if one is set (0 allows none), else BASTION_REVEAL_LIMIT."""
    return DEFAULT_REVEAL_LIMIT if user.daily_reveal_limit is None else user.daily_reveal_limit


def reveals_today(store: Store, user: User) -> int:
    start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    with store.session() as s:
        return (
            s.scalar(
                select(func.count())
                .select_from(RevealRow)
                .where(RevealRow.user_id == user.id, RevealRow.at >= start)
            )
            or 0
        )


def reveal(store: Store, user: User, sighting_id: int, colour: bool = False) -> RevealResult:
    """Record a deliberate reveal, unless the reviewer's daily limit is reached.

    An allowed reveal carries a ticket for one rendering of the item (greyscale unless `colour`)
    within TICKET_LIFETIME; only the ticket's hash is stored."""
    limit = reveal_limit(user)
    used = reveals_today(store, user)
    if used >= limit:
        return RevealResult(
            False,
            used,
            limit,
            True,
            f"daily reveal limit reached ({limit}); please take a break and continue tomorrow, or ask a lead",
        )
    ticket = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as s:
        match_id = s.scalar(
            select(func.min(MatchRow.id)).where(MatchRow.sighting_id == sighting_id)
        )
        if match_id is None:
            raise ReviewError(f"no matches for sighting {sighting_id}")
        s.add(
            RevealRow(
                user_id=user.id,
                match_id=match_id,
                at=now,
                ticket_hash=_ticket_hash(ticket),
                ticket_expires_at=now + TICKET_LIFETIME,
                colour=colour,
            )
        )
        audit.append(
            s,
            user.actor.event(
                "review.reveal",
                "sighting",
                str(sighting_id),
                used_today=used + 1,
                limit=limit,
                colour=colour,
            ),
        )
    used += 1
    suggest = used % BREAK_EVERY == 0
    message = f"{used} of {limit} reveals today"
    if suggest:
        message += f". You have viewed {used} items today: consider a short break."
    return RevealResult(True, used, limit, suggest, message, ticket)


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def redeem(store: Store, user: User, ticket: str) -> Redeemed:
    """The item a reveal ticket shows, once: a second use, another reviewer's ticket or an
    expired one is refused. Atomic, so two processes cannot both serve the same ticket."""
    now = utcnow()
    digest = _ticket_hash(ticket)
    with store.session() as s:
        claimed = s.execute(
            update(RevealRow)
            .where(
                RevealRow.ticket_hash == digest,
                RevealRow.user_id == user.id,
                RevealRow.served_at.is_(None),
                RevealRow.ticket_expires_at > now,
            )
            .values(served_at=now)
        ).rowcount
        if claimed != 1:
            raise ReviewError("this reveal link was already used or has expired; reveal again")
        row = s.execute(
            select(RevealRow.colour, MatchRow.sighting_id, MatchRow.content_id)
            .join(MatchRow, MatchRow.id == RevealRow.match_id)
            .where(RevealRow.ticket_hash == digest)
        ).one()
    if row.content_id is None:
        raise ReviewError(f"sighting {row.sighting_id} has no content to show")
    return Redeemed(row.sighting_id, row.content_id, row.colour)


def decide(
    store: Store,
    user: User,
    sighting_id: int,
    decision: str,
    category: str | None = None,
    note: str = "",
    hotlines: tuple[str, ...] = ("ncmec",),
) -> QueueItem:
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}")
    if decision == "confirm" and category not in ("A", "B", "C"):
        raise ReviewError("confirming needs the category you see: A, B or C")
    now = utcnow()
    with store.session() as s:
        sighting = s.get(SightingRow, sighting_id)
        if sighting is None:
            raise ReviewError(f"no sighting {sighting_id}")
        matches = s.scalars(
            select(MatchRow).where(MatchRow.sighting_id == sighting_id, MatchRow.status.in_(OPEN))
        ).all()
        if not matches:
            raise ReviewError(f"sighting {sighting_id} has no open matches (already decided?)")
        status = {
            "confirm": "confirmed",
            "false_positive": "false_positive",
            "escalate": "escalated",
        }[decision]
        for m in matches:
            m.status = status
            s.add(
                ReviewDecisionRow(
                    match_id=m.id,
                    user_id=user.id,
                    actor=user.actor.name,
                    decision=decision,
                    category=category,
                    note=note or None,
                    at=now,
                )
            )
        ids = [m.id for m in matches]
        audit.append(
            s,
            user.actor.event(
                f"review.{decision}",
                "sighting",
                str(sighting_id),
                matches=ids,
                category=category,
                note=note,
            ),
        )
        if decision == "confirm":
            _enqueue_actions(s, sighting, ids, category, hotlines)
        content = s.get(ContentRow, sighting.content_id) if sighting.content_id else None
        allow = None
        if decision == "false_positive":
            allow = (
                [("sha256", content.sha256)]
                if content
                else [(m.signal_type, m.value) for m in matches if m.signal_type != "pdq"]
            )
            if content and content.pdq:
                allow.append(("pdq", content.pdq))
    if allow:
        banks = BankStore(store, user.actor)
        if not banks.exists(ALLOW_BANK):
            banks.create(
                ALLOW_BANK, "local", "allow", description="False positives confirmed by reviewers"
            )
        banks.import_items(
            ALLOW_BANK,
            [
                Row(i + 1, t, v, source_id=f"sighting:{sighting_id}")
                for i, (t, v) in enumerate(allow)
            ],
            source_file=f"(review of sighting {sighting_id})",
        )
    return item(store, sighting_id)


def _enqueue_actions(
    s, sighting: SightingRow, match_ids: list[int], category: str, hotlines: tuple[str, ...]
) -> None:
    data = {
        "platform": sighting.platform,
        "message_id": sighting.message_id,
        "chat_id": sighting.chat_id,
        "sighting_id": sighting.id,
        "match_ids": match_ids,
        "category": category,
    }
    outbox.enqueue(
        s, "webhook", {"event": "content.block", "data": data}, f"content.block:{sighting.id}"
    )
    if sighting.sender_account_id:
        outbox.enqueue(
            s,
            "webhook",
            {
                "event": "account.suspend",
                "data": {
                    "platform": sighting.platform,
                    "account_id": sighting.sender_account_id,
                    "reason": "confirmed known child sexual abuse material",
                    "sighting_id": sighting.id,
                },
            },
            f"account.suspend:{sighting.platform}:{sighting.sender_account_id}:{sighting.id}",
        )
    for hotline in hotlines:
        outbox.enqueue(
            s,
            "report.draft",
            {"hotline": hotline, "sighting_id": sighting.id, "match_ids": match_ids},
            f"report.draft:{hotline}:{sighting.id}",
        )


def open_since(store: Store) -> list[datetime]:
    """When each open or escalated sighting first entered the queue."""
    with store.session() as s:
        return [
            t
            for _, t in s.execute(
                select(MatchRow.sighting_id, func.min(MatchRow.created_at))
                .where(MatchRow.status.in_(OPEN))
                .group_by(MatchRow.sighting_id)
            )
        ]


def review_waits(store: Store, since: timedelta = timedelta(days=30)) -> list[float]:
    """Seconds from each match to its first decision, for decisions in the window, sorted."""
    now = utcnow()
    with store.session() as s:
        pairs = s.execute(
            select(MatchRow.created_at, func.min(ReviewDecisionRow.at))
            .join(ReviewDecisionRow, ReviewDecisionRow.match_id == MatchRow.id)
            .where(ReviewDecisionRow.at >= now - since)
            .group_by(MatchRow.id, MatchRow.created_at)
        ).all()
    return sorted((d - c).total_seconds() for c, d in pairs if d and c)


def stats(store: Store, since: timedelta = timedelta(days=30)) -> dict[str, object]:
    """Numbers for the dashboard: queue size and age, decisions, time to review."""
    now = utcnow()
    opened = open_since(store)
    oldest = min(opened, default=None)
    with store.session() as s:
        decided = s.execute(
            select(ReviewDecisionRow.decision, func.count())
            .where(ReviewDecisionRow.at >= now - since)
            .group_by(ReviewDecisionRow.decision)
        ).all()
    waits = review_waits(store, since)
    median = waits[len(waits) // 2] if waits else None
    return {
        "queue_size": len(opened),
        "oldest_age_seconds": (now - oldest).total_seconds() if oldest else None,
        "decisions": dict(decided),
        "median_time_to_review_seconds": median,
    }
