"""Everything seen about a match, a content or an account, and what followed from it.

Read-side queries for the review UI (and anyone else who needs the whole story of an item):
the sightings in their context, the matches with their banks, the reviewers' decisions, the
outbox jobs a decision caused with every webhook delivery attempt, and the hotline reports.
Plain frozen dataclasses out; nothing here writes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from bastion import followups
from bastion.followups import JobView, ReportView
from bastion.store.db import Store
from bastion.store.models import (
    BankRow,
    ContentRow,
    HotlineReportRow,
    MatchRow,
    OutboxRow,
    RevealRow,
    ReviewDecisionRow,
    SightingRow,
)
from bastion.vault import Evidence, evidence_for


class NotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class MatchView:
    id: int
    sighting_id: int
    content_id: int | None
    bank: str
    bank_source: str
    bank_kind: str
    signal_type: str
    value: str
    distance: int
    threshold: int
    variant: str | None
    category: str
    source_label: str | None
    status: str
    retroactive: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SightingView:
    id: int
    platform: str
    message_id: str | None
    chat_id: str | None
    chat_type: str | None
    member_count: int | None
    sender_account_id: str | None
    received_at: datetime
    upload_time: datetime | None
    kind: str
    verdict: str
    rule: str
    content_id: int | None
    matches: tuple[MatchView, ...]


@dataclass(frozen=True, slots=True)
class ContentView:
    id: int
    sha256: str
    md5: str | None
    sha1: str | None
    pdq: str | None
    pdq_quality: int | None
    media_kind: str
    format: str | None
    width: int | None
    height: int | None
    size: int | None
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class DecisionView:
    match_id: int
    actor: str
    decision: str
    category: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class SightingTrail:
    """What followed a sighting: decisions, the jobs they caused, the reports drafted."""

    decisions: tuple[DecisionView, ...]
    jobs: tuple[JobView, ...]
    reports: tuple[ReportView, ...]


@dataclass(frozen=True, slots=True)
class MatchRecord:
    match: MatchView
    sighting: SightingView
    content: ContentView | None
    evidence: Evidence | None
    trail: SightingTrail
    reveals: int
    other_sightings: int


@dataclass(frozen=True, slots=True)
class ContentRecord:
    content: ContentView
    evidence: Evidence | None
    sightings: tuple[SightingView, ...]
    decisions: tuple[DecisionView, ...]


@dataclass(frozen=True, slots=True)
class AccountRecord:
    platform: str
    account_id: str
    sightings: tuple[SightingView, ...]
    categories: dict[str, int]
    chats: dict[str, int]
    statuses: dict[str, int]
    suspensions: tuple[JobView, ...]  # account.suspend webhooks asked of the platform


def _match(m: MatchRow, b: BankRow) -> MatchView:
    return MatchView(
        m.id,
        m.sighting_id,
        m.content_id,
        b.name,
        b.source,
        b.kind,
        m.signal_type,
        m.value,
        m.distance,
        b.pdq_threshold if m.signal_type == "pdq" else 0,
        m.variant,
        m.category,
        m.source_label,
        m.status,
        m.retroactive,
        m.created_at,
    )


def _content(c: ContentRow) -> ContentView:
    return ContentView(
        c.id,
        c.sha256,
        c.md5,
        c.sha1,
        c.pdq,
        c.pdq_quality,
        c.media_kind,
        c.format,
        c.width,
        c.height,
        c.size,
        c.first_seen,
        c.last_seen,
    )


def _sightings(s, where, limit: int) -> tuple[SightingView, ...]:
    rows = s.scalars(
        select(SightingRow).where(where).order_by(SightingRow.id.desc()).limit(limit)
    ).all()
    by_sighting: dict[int, list[MatchView]] = {r.id: [] for r in rows}
    if by_sighting:
        for m, b in s.execute(
            select(MatchRow, BankRow)
            .join(BankRow, BankRow.id == MatchRow.bank_id)
            .where(MatchRow.sighting_id.in_(by_sighting))
            .order_by(MatchRow.id)
        ):
            by_sighting[m.sighting_id].append(_match(m, b))
    return tuple(
        SightingView(
            r.id,
            r.platform,
            r.message_id,
            r.chat_id,
            r.chat_type,
            r.member_count,
            r.sender_account_id,
            r.received_at,
            r.upload_time,
            r.kind,
            r.verdict,
            r.rule,
            r.content_id,
            tuple(by_sighting[r.id]),
        )
        for r in rows
    )


def _decisions(s, match_ids) -> tuple[DecisionView, ...]:
    if not match_ids:
        return ()
    rows = s.scalars(
        select(ReviewDecisionRow)
        .where(ReviewDecisionRow.match_id.in_(list(match_ids)))
        .order_by(ReviewDecisionRow.at, ReviewDecisionRow.id)
    )
    return tuple(
        DecisionView(r.match_id, r.actor, r.decision, r.category, r.note, r.at) for r in rows
    )


def _trail(s, sighting_id: int, match_ids) -> SightingTrail:
    reports = list(
        s.scalars(
            select(HotlineReportRow)
            .where(HotlineReportRow.sighting_id == sighting_id)
            .order_by(HotlineReportRow.id)
        )
    )
    # The outbox dedupe keys say whose job it is, which finds the jobs without reading JSON
    # payloads: "content.block:<sighting>", "account.suspend:<platform>:<account>:<sighting>",
    # "report.draft:<hotline>:<sighting>" (review._enqueue_actions) and
    # "report.submit:<report>:<attempt>" (reports.filing.request_submission).
    key = OutboxRow.dedupe_key
    mine = (key == f"content.block:{sighting_id}") | (
        (key.startswith("account.suspend:") | key.startswith("report.draft:"))
        & key.endswith(f":{sighting_id}")
    )
    for report in reports:
        mine |= key.startswith(f"report.submit:{report.id}:")
    jobs = followups.jobs_where(s, mine, 100)
    return SightingTrail(
        _decisions(s, match_ids),
        tuple(reversed(jobs)),
        tuple(followups.report_view(r) for r in reports),
    )


def sighting_trail(store: Store, sighting_id: int) -> SightingTrail:
    with store.session() as s:
        ids = list(s.scalars(select(MatchRow.id).where(MatchRow.sighting_id == sighting_id)))
        return _trail(s, sighting_id, ids)


def match_record(store: Store, match_id: int) -> MatchRecord:
    with store.session() as s:
        row = s.execute(
            select(MatchRow, BankRow)
            .join(BankRow, BankRow.id == MatchRow.bank_id)
            .where(MatchRow.id == match_id)
        ).first()
        if row is None:
            raise NotFound(f"no match {match_id}")
        match = _match(*row)
        (sighting,) = _sightings(s, SightingRow.id == match.sighting_id, 1)
        content = s.get(ContentRow, match.content_id) if match.content_id else None
        others = 0
        if content is not None:
            others = s.scalar(
                select(func.count())
                .select_from(SightingRow)
                .where(SightingRow.content_id == content.id, SightingRow.id != sighting.id)
            )
        reveals = s.scalar(
            select(func.count())
            .select_from(RevealRow)
            .where(RevealRow.match_id.in_([m.id for m in sighting.matches]))
        )
        trail = _trail(s, sighting.id, [m.id for m in sighting.matches])
        content_view = _content(content) if content is not None else None
    evidence = evidence_for(store, match.content_id) if match.content_id else None
    return MatchRecord(match, sighting, content_view, evidence, trail, reveals or 0, others or 0)


def content_record(store: Store, content_id: int, limit: int = 200) -> ContentRecord:
    with store.session() as s:
        row = s.get(ContentRow, content_id)
        if row is None:
            raise NotFound(f"no content {content_id}")
        sightings = _sightings(s, SightingRow.content_id == content_id, limit)
        decisions = _decisions(s, [m.id for v in sightings for m in v.matches])
        content = _content(row)
    return ContentRecord(content, evidence_for(store, content_id), sightings, decisions)


def account_record(store: Store, platform: str, account_id: str, limit: int = 200) -> AccountRecord:
    with store.session() as s:
        sightings = _sightings(
            s,
            (SightingRow.platform == platform) & (SightingRow.sender_account_id == account_id),
            limit,
        )
        # review._enqueue_actions keys them "account.suspend:<platform>:<account>:<sighting>"
        suspensions = followups.jobs_where(
            s,
            OutboxRow.dedupe_key.startswith(
                f"account.suspend:{platform}:{account_id}:", autoescape=True
            ),
            50,
        )
    if not sightings:
        raise NotFound(f"nothing seen from account {account_id!r} on {platform!r}")
    matches = [m for v in sightings for m in v.matches]
    return AccountRecord(
        platform,
        account_id,
        sightings,
        dict(Counter(m.category for m in matches)),
        dict(Counter(v.chat_id or "(no chat)" for v in sightings)),
        dict(Counter(m.status for m in matches)),
        suspensions,
    )


@dataclass(frozen=True, slots=True)
class MatchListing:
    match: MatchView
    platform: str
    chat_id: str | None
    chat_type: str | None
    sender_account_id: str | None
    verdict: str


def matches(
    store: Store,
    category: str | None = None,
    status: str | None = None,
    bank: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> tuple[MatchListing, ...]:
    """Matches newest first, each with the context it was seen in."""
    query = (
        select(MatchRow, BankRow, SightingRow)
        .join(BankRow, BankRow.id == MatchRow.bank_id)
        .join(SightingRow, SightingRow.id == MatchRow.sighting_id)
        .order_by(MatchRow.id.desc())
        .limit(limit)
    )
    if category:
        query = query.where(MatchRow.category == category)
    if status:
        query = query.where(MatchRow.status == status)
    if bank:
        query = query.where(BankRow.name == bank)
    if before:
        query = query.where(MatchRow.id < before)
    with store.session() as s:
        return tuple(
            MatchListing(
                _match(m, b), v.platform, v.chat_id, v.chat_type, v.sender_account_id, v.verdict
            )
            for m, b, v in s.execute(query)
        )


def find(store: Store, text: str) -> str | None:
    """Where a pasted identifier leads: a hash to its content, an account id to its account."""
    text = text.strip()
    if not text:
        return None
    digest = text.lower()
    with store.session() as s:
        content = s.scalar(
            select(ContentRow.id).where(
                or_(
                    ContentRow.sha256 == digest, ContentRow.md5 == digest, ContentRow.sha1 == digest
                )
            )
        )
        if content is not None:
            return f"content:{content}"
        sender = s.execute(
            select(SightingRow.platform, SightingRow.sender_account_id)
            .where(SightingRow.sender_account_id == text)
            .limit(1)
        ).first()
        if sender is not None:
            return f"account:{sender[0]}:{sender[1]}"
    return None
