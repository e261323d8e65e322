"""What decisions caused: outbox jobs with every webhook delivery attempt, and hotline reports.

Read side for the review UI's deliveries and reports pages and the trail under each match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bastion.store.db import Store
from bastion.store.models import DeliveryRow, HotlineReportRow, OutboxRow


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: int
    outbox_id: int
    url: str
    event: str
    attempt: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None


@dataclass(frozen=True, slots=True)
class JobView:
    id: int
    kind: str
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    what: str  # the webhook event or the hotline
    sighting_id: int | None
    deliveries: tuple[DeliveryView, ...]


@dataclass(frozen=True, slots=True)
class ReportView:
    id: int
    hotline: str
    status: str
    sighting_id: int
    match_ids: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    remote_id: str | None
    error: str | None
    created_by: str


def _what(kind: str, payload: dict[str, Any]) -> str:
    if kind == "report.submit":
        return f"report {payload.get('report_id')}"
    return str(payload.get("event") or payload.get("hotline") or kind)


def _job(row: OutboxRow, deliveries: list[DeliveryView]) -> JobView:
    payload: dict[str, Any] = row.payload or {}
    data = payload.get("data") or {}
    sighting = payload.get("sighting_id", data.get("sighting_id"))
    return JobView(
        row.id,
        row.kind,
        row.status,
        row.attempts,
        row.created_at,
        row.updated_at,
        row.next_attempt_at,
        row.last_error,
        _what(row.kind, payload),
        int(sighting) if isinstance(sighting, int) else None,
        tuple(deliveries),
    )


def jobs_where(s, where, limit: int) -> tuple[JobView, ...]:
    rows = s.scalars(
        select(OutboxRow).where(where).order_by(OutboxRow.id.desc()).limit(limit)
    ).all()
    attempts: dict[int, list[DeliveryView]] = {r.id: [] for r in rows}
    if attempts:
        for d in s.scalars(
            select(DeliveryRow).where(DeliveryRow.outbox_id.in_(attempts)).order_by(DeliveryRow.id)
        ):
            attempts[d.outbox_id].append(
                DeliveryView(
                    d.id,
                    d.outbox_id,
                    d.url,
                    d.event,
                    d.attempt,
                    d.at,
                    d.status_code,
                    d.error,
                    d.duration_ms,
                )
            )
    return tuple(_job(r, attempts[r.id]) for r in rows)


def report_view(r: HotlineReportRow) -> ReportView:
    return ReportView(
        r.id,
        r.hotline,
        r.status,
        r.sighting_id,
        tuple(r.match_ids or ()),
        r.created_at,
        r.updated_at,
        r.submitted_at,
        r.remote_id,
        r.error,
        r.created_by,
    )


def jobs(
    store: Store,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> tuple[JobView, ...]:
    """Outbox jobs, newest first, with every delivery attempt."""
    where = OutboxRow.id > 0
    if status:
        where &= OutboxRow.status == status
    if kind:
        where &= OutboxRow.kind == kind
    if before:
        where &= OutboxRow.id < before
    with store.session() as s:
        return jobs_where(s, where, limit)


def reports(
    store: Store,
    status: str | None = None,
    hotline: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> tuple[ReportView, ...]:
    query = select(HotlineReportRow).order_by(HotlineReportRow.id.desc()).limit(limit)
    if status:
        query = query.where(HotlineReportRow.status == status)
    if hotline:
        query = query.where(HotlineReportRow.hotline == hotline)
    if before:
        query = query.where(HotlineReportRow.id < before)
    with store.session() as s:
        return tuple(report_view(r) for r in s.scalars(query))
