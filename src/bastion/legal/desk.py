"""Legal requests in the store: intake, each step (applied by the pure functions in
`requests`, saved with its audit record in one transaction), listing, and documents.

A step reads the request, applies the step and saves it only if nobody saved it in between
(`version`); a concurrent step gets StepRefused(conflict=True) rather than being overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bastion import audit
from bastion.audit import Actor
from bastion.legal import requests as rq
from bastion.legal.requests import LegalRequest, Scope, StepRefused
from bastion.store.db import Store
from bastion.store.models import LegalDocumentRow, LegalRequestRow
from bastion.store.types import utcnow

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


class NotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    media_type: str
    sha256: str
    size: int
    content: bytes


# -- JSON <-> dataclasses --------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def scope_from(raw: dict[str, Any]) -> Scope:
    return Scope(
        raw["platform"],
        tuple(raw["accounts"]),
        tuple(raw["data_types"]),
        _when(raw["date_from"]),
        _when(raw["date_to"]),
    )


def steps_json(request: LegalRequest) -> dict[str, Any]:
    return _plain(
        {
            "verification": asdict(request.verification) if request.verification else None,
            "review": asdict(request.review) if request.review else None,
            "approvals": [asdict(a) for a in request.approvals],
            "production": asdict(request.production) if request.production else None,
            "delivery": asdict(request.delivery) if request.delivery else None,
            "rejection": asdict(request.rejection) if request.rejection else None,
        }
    )


def _step(raw: dict[str, Any] | None, cls: type, **extra: Any) -> Any:
    if raw is None:
        return None
    values = {k: v for k, v in raw.items() if k not in extra}
    values["at"] = _when(values["at"])
    if "checks" in values:
        values["checks"] = tuple(values["checks"])
    return cls(**values, **extra)


def _request(row: LegalRequestRow) -> LegalRequest:
    steps = row.steps or {}
    review = steps.get("review")
    production = steps.get("production")
    return LegalRequest(
        id=row.id,
        intake=rq.Intake(
            reference=row.reference,
            authority=row.authority,
            country=row.country,
            officer=row.officer,
            contact=row.contact,
            basis=row.basis,
            requested=Scope(
                row.platform,
                tuple(row.accounts),
                tuple(row.data_types),
                row.date_from,
                row.date_to,
            ),
            deadline=row.deadline,
            document_sha256=row.document_sha256,
        ),
        received_at=row.received_at,
        created_by=row.created_by,
        verification=_step(steps.get("verification"), rq.Verification),
        review=_step(
            review,
            rq.Review,
            scope=scope_from(review["scope"]) if review and review.get("scope") else None,
        ),
        approvals=tuple(_step(a, rq.Approval) for a in steps.get("approvals", [])),
        production=_step(
            production,
            rq.Production,
            scope=scope_from(production["scope"]) if production else None,
        ),
        delivery=_step(steps.get("delivery"), rq.Delivery),
        rejection=_step(steps.get("rejection"), rq.Rejection),
        version=row.version,
    )


# -- intake and reads ------------------------------------------------------------------------


def receive(
    store: Store,
    intake: rq.Intake,
    document: Document,
    actor: Actor,
    received_at: datetime | None = None,
) -> LegalRequest:
    """Record a new request and its document (hashed here, kept as received)."""
    if not document.content:
        raise StepRefused("the request document is empty; upload the order itself", "document")
    if len(document.content) > MAX_DOCUMENT_BYTES:
        raise StepRefused(
            f"the request document is over {MAX_DOCUMENT_BYTES // 2**20} MiB", "document"
        )
    rq.check_intake(intake)
    intake = replace(intake, document_sha256=document.sha256)
    now = utcnow()
    scope = intake.requested
    with store.session() as s:
        row = LegalRequestRow(
            reference=intake.reference.strip(),
            authority=intake.authority.strip(),
            country=intake.country,
            officer=intake.officer.strip(),
            contact=intake.contact.strip(),
            basis=intake.basis,
            platform=scope.platform,
            accounts=list(scope.accounts),
            data_types=list(scope.data_types),
            date_from=scope.date_from,
            date_to=scope.date_to,
            deadline=intake.deadline,
            received_at=received_at or now,
            created_by=actor.name,
            document_sha256=document.sha256,
            state="received",
            steps=steps_json(LegalRequest(0, intake, now, actor.name)),
            version=1,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        _put_document(s, row.id, "request", document)
        audit.append(
            s,
            actor.event(
                "legal.receive",
                "legal_request",
                str(row.id),
                reference=row.reference,
                country=row.country,
                basis=row.basis,
                accounts=len(scope.accounts),
                data_types=list(scope.data_types),
                document_sha256=document.sha256,
            ),
        )
        return _request(row)


def document_of(name: str, media_type: str, content: bytes) -> Document:
    return Document(
        name or "request",
        media_type or "application/octet-stream",
        hashlib.sha256(content).hexdigest(),
        len(content),
        content,
    )


def _put_document(s, request_id: int, kind: str, document: Document) -> None:
    s.add(
        LegalDocumentRow(
            request_id=request_id,
            kind=kind,
            name=document.name,
            media_type=document.media_type,
            sha256=document.sha256,
            size=document.size,
            content=document.content,
            created_at=utcnow(),
        )
    )


def get(store: Store, request_id: int) -> LegalRequest:
    with store.session() as s:
        row = s.get(LegalRequestRow, request_id)
        if row is None:
            raise NotFound(f"no legal request {request_id}")
        return _request(row)


def all_requests(store: Store, limit: int = 500) -> list[LegalRequest]:
    """Open requests first, each group by deadline (the soonest first)."""
    with store.session() as s:
        rows = s.scalars(
            select(LegalRequestRow).order_by(LegalRequestRow.id.desc()).limit(limit)
        ).all()
        found = [_request(r) for r in rows]
    return sorted(found, key=lambda r: (r.closed, r.intake.deadline))


def received_between(store: Store, start: datetime, end: datetime) -> list[LegalRequest]:
    with store.session() as s:
        rows = s.scalars(
            select(LegalRequestRow).where(
                LegalRequestRow.received_at >= start, LegalRequestRow.received_at < end
            )
        ).all()
        return [_request(r) for r in rows]


def open_accounts(store: Store) -> set[tuple[str, str]]:
    """(platform, account) named by any request not yet closed: their data is preserved."""
    with store.session() as s:
        rows = s.scalars(
            select(LegalRequestRow).where(LegalRequestRow.state.not_in(("rejected", "delivered")))
        ).all()
        return {(r.platform, a) for r in rows for a in r.accounts}


def document(store: Store, request_id: int, kind: str) -> Document:
    with store.session() as s:
        row = s.scalar(
            select(LegalDocumentRow).where(
                LegalDocumentRow.request_id == request_id, LegalDocumentRow.kind == kind
            )
        )
        if row is None:
            raise NotFound(f"request {request_id} has no {kind} document")
        return Document(row.name, row.media_type, row.sha256, row.size, row.content)


# -- steps -----------------------------------------------------------------------------------


def apply(
    store: Store,
    request_id: int,
    step: Callable[[LegalRequest], LegalRequest],
    actor: Actor,
    action: str,
    details: dict[str, Any] | None = None,
    package: Document | None = None,
) -> LegalRequest:
    """Apply `step` and save the result with its audit record (and the package, if one was
    produced) in one transaction; a request changed meanwhile is a conflict, not a merge."""
    current = get(store, request_id)
    after = step(current)
    with store.session() as s:
        saved = s.execute(
            update(LegalRequestRow)
            .where(LegalRequestRow.id == request_id, LegalRequestRow.version == current.version)
            .values(
                steps=steps_json(after),
                state=after.state,
                version=current.version + 1,
                updated_at=utcnow(),
            )
        ).rowcount
        if not saved:
            raise StepRefused(
                f"request {request_id} was changed by someone else meanwhile; reload it and "
                "try again",
                conflict=True,
            )
        if package is not None:
            _put_document(s, request_id, "package", package)
        audit.append(
            s,
            actor.event(
                action, "legal_request", str(request_id), state=after.state, **(details or {})
            ),
        )
    return get(store, request_id)
