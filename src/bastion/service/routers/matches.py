"""GET /v1/matches and /v1/matches/{id}: every read is audited."""

from __future__ import annotations

import base64
from datetime import datetime

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from bastion import audit
from bastion.keys import Role
from bastion.service.answers import recorded_match_fields
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.schemas import MatchDetail, MatchPage, RowId
from bastion.store.models import BankRow, ContentRow, MatchRow, SightingRow

router = APIRouter(prefix="/v1", tags=["matches"])
READERS = (Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN)
STATUSES = ("open", "confirmed", "false_positive", "escalated")


def _cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"m{last_id}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("m"):
            raise ValueError
        return int(text[1:])
    except ValueError:
        raise ApiError(
            422, "invalid_cursor", "cursor is not one this API returned", "cursor"
        ) from None


def _detail(m: MatchRow, b: BankRow, s: SightingRow, c: ContentRow | None) -> MatchDetail:
    return MatchDetail(
        **recorded_match_fields(m, b),
        status=m.status,
        retroactive=m.retroactive,
        created_at=m.created_at,
        sighting={
            "id": s.id,
            "platform": s.platform,
            "message_id": s.message_id,
            "chat_id": s.chat_id,
            "chat_type": s.chat_type,
            "member_count": s.member_count,
            "sender_account_id": s.sender_account_id,
            "sender_ip": s.sender_ip,
            "sender_username": s.sender_username,
            "chat_title": s.chat_title,
            "upload_time": s.upload_time.isoformat() if s.upload_time else None,
            "received_at": s.received_at.isoformat(),
            "verdict": s.verdict,
            "rule": s.rule,
        },
        content=None
        if c is None
        else {
            "id": c.id,
            "sha256": c.sha256,
            "md5": c.md5,
            "pdq": c.pdq,
            "pdq_quality": c.pdq_quality,
            "format": c.format,
            "width": c.width,
            "height": c.height,
        },
    )


def _query():
    return (
        select(MatchRow, BankRow, SightingRow, ContentRow)
        .join(BankRow, BankRow.id == MatchRow.bank_id)
        .join(SightingRow, SightingRow.id == MatchRow.sighting_id)
        .outerjoin(ContentRow, ContentRow.id == MatchRow.content_id)
    )


@router.get(
    "/matches",
    response_model=MatchPage,
    summary="List matches, newest first",
    openapi_extra=roles_extra(*READERS),
)
def list_matches(
    request: Request,
    bank: str | None = Query(None, description="Bank name"),
    category: str | None = Query(None, pattern="^(A|B|C|unknown)$"),
    status: str | None = Query(None, description=f"One of {', '.join(STATUSES)}"),
    chat: str | None = Query(None, description="Chat id"),
    since: datetime | None = Query(None, description="Created at or after (ISO 8601)"),
    until: datetime | None = Query(None, description="Created before (ISO 8601)"),
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    principal: Principal = require(*READERS),
) -> MatchPage:
    if status is not None and status not in STATUSES:
        raise ApiError(
            422, "invalid_request", f"status must be one of {', '.join(STATUSES)}", "status"
        )
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ApiError(
                422, "invalid_request", "give a timezone, e.g. 2026-11-29T12:00:00Z", name
            )
    runtime = request.app.state.runtime
    query = _query().order_by(MatchRow.id.desc()).limit(limit + 1)
    after = _after(cursor)
    if after is not None:
        query = query.where(MatchRow.id < after)
    if bank:
        query = query.where(BankRow.name == bank)
    if category:
        query = query.where(MatchRow.category == category)
    if status:
        query = query.where(MatchRow.status == status)
    if chat:
        query = query.where(SightingRow.chat_id == chat)
    if since:
        query = query.where(MatchRow.created_at >= since)
    if until:
        query = query.where(MatchRow.created_at < until)
    with runtime.store.session() as s:
        rows = s.execute(query).all()
        page = [_detail(*r) for r in rows[:limit]]
        audit.append(
            s,
            audit.AuditEvent(
                actor=principal.actor,
                role=principal.role,
                action="matches.list",
                remote_addr=principal.remote_addr,
                details={
                    "filters": {
                        k: v
                        for k, v in {
                            "bank": bank,
                            "category": category,
                            "status": status,
                            "chat": chat,
                            "since": since,
                            "until": until,
                        }.items()
                        if v is not None
                    },
                    "ids": [m.id for m in page],
                },
            ),
        )
    next_cursor = _cursor(page[-1].id) if len(rows) > limit and page else None
    return MatchPage(matches=page, next_cursor=next_cursor)


@router.get(
    "/matches/{match_id}",
    response_model=MatchDetail,
    summary="One match with its context",
    openapi_extra=roles_extra(*READERS),
)
def get_match(
    request: Request, match_id: RowId, principal: Principal = require(*READERS)
) -> MatchDetail:
    runtime = request.app.state.runtime
    with runtime.store.session() as s:
        row = s.execute(_query().where(MatchRow.id == match_id)).first()
        if row is None:
            raise ApiError(404, "not_found", f"no match {match_id}", "match_id")
        audit.append(
            s,
            audit.AuditEvent(
                actor=principal.actor,
                role=principal.role,
                action="matches.read",
                target_type="match",
                target_id=str(match_id),
                remote_addr=principal.remote_addr,
            ),
        )
        return _detail(*row)
