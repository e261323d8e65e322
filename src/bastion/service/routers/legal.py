"""The lawful-request desk over HTTP (`legal` role): intake with the request document, the
verification checklist, legal review, two approvals, the signed package, delivery, rejection,
reminders; and the quarterly transparency report (also for auditors and admins)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from bastion import audit
from bastion.audit import Actor
from bastion.keys import Role
from bastion.legal import desk, steps, transparency
from bastion.legal import requests as rq
from bastion.legal.package import PackageError
from bastion.legal.policy import BASES, DATA_TYPES
from bastion.legal.reminders import reminders
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.schemas import RowId
from bastion.store.types import utcnow

router = APIRouter(prefix="/v1/legal", tags=["legal"])
LEGAL = (Role.LEGAL,)
REPORT_READERS = (Role.LEGAL, Role.AUDITOR, Role.ADMIN)
BASIS = "^(" + "|".join(BASES) + ")$"


class IntakeIn(BaseModel):
    """The request as received. `data_types` records what was asked for; the review decides
    what may be disclosed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reference": "CO/2026/0042",
                    "authority": "Example Constabulary",
                    "country": "GB",
                    "officer": "DC Example",
                    "contact": "dc.example@police.example",
                    "basis": "court_order",
                    "platform": "examplegram",
                    "accounts": ["acct-1", "acct-2", "acct-3"],
                    "data_types": ["ip_addresses", "phone_number"],
                    "date_from": "2026-07-01T00:00:00Z",
                    "date_to": "2026-08-01T00:00:00Z",
                    "deadline": "2026-09-30T00:00:00Z",
                }
            ]
        },
    )
    reference: str = Field(..., min_length=1, max_length=128)
    authority: str = Field(..., min_length=1, max_length=256)
    country: str = Field(..., pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    officer: str = Field(..., min_length=1, max_length=256)
    contact: str = Field(..., min_length=1, max_length=256)
    basis: str = Field(..., pattern=BASIS)
    platform: str = Field(..., min_length=1, max_length=64)
    accounts: list[str] = Field(..., min_length=1, max_length=rq.MAX_ACCOUNTS)
    data_types: list[str] = Field(..., min_length=1, max_length=len(DATA_TYPES))
    date_from: AwareDatetime
    date_to: AwareDatetime
    deadline: AwareDatetime


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: list[str] = Field(..., max_length=10, examples=[list(rq.CHECKS)])
    note: str = Field("", max_length=2000)


class ReviewIn(BaseModel):
    """Approve all or part of what was asked (fields left out mean: as requested), or reject."""

    model_config = ConfigDict(extra="forbid")
    decision: str = Field(..., pattern="^(approve|reject)$")
    reasons: str = Field(..., max_length=4000)
    accounts: list[str] | None = Field(None, max_length=rq.MAX_ACCOUNTS)
    data_types: list[str] | None = Field(None, max_length=len(DATA_TYPES))
    date_from: AwareDatetime | None = None
    date_to: AwareDatetime | None = None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


class DeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(..., max_length=256, examples=["authority's disclosure portal"])
    recipient: str = Field(..., max_length=256)
    note: str = Field("", max_length=2000)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: str = Field(..., max_length=4000)


class RequestOut(BaseModel):
    id: int
    reference: str
    authority: str
    country: str
    officer: str
    contact: str
    basis: str
    emergency: bool
    platform: str
    accounts: list[str]
    data_types: list[str]
    date_from: datetime
    date_to: datetime
    deadline: datetime
    received_at: datetime
    document_sha256: str
    state: str
    outcome: str
    review_due: datetime | None
    steps: dict[str, Any]


class ReminderOut(BaseModel):
    request_id: int
    reference: str
    state: str
    what: str
    due: datetime
    overdue: bool
    message: str


def out(r: rq.LegalRequest) -> RequestOut:
    i, s = r.intake, r.intake.requested
    return RequestOut(
        id=r.id,
        reference=i.reference,
        authority=i.authority,
        country=i.country,
        officer=i.officer,
        contact=i.contact,
        basis=i.basis,
        emergency=i.emergency,
        platform=s.platform,
        accounts=list(s.accounts),
        data_types=list(s.data_types),
        date_from=s.date_from,
        date_to=s.date_to,
        deadline=i.deadline,
        received_at=r.received_at,
        document_sha256=i.document_sha256,
        state=r.state,
        outcome=r.outcome,
        review_due=r.review_due,
        steps=desk.steps_json(r),
    )


def actor_of(p: Principal) -> Actor:
    return Actor(p.actor, p.role, p.remote_addr)


def refused(exc: Exception) -> ApiError:
    """The desk's errors as the service's JSON errors: 404, 409 (state), 422 (input)."""
    if isinstance(exc, desk.NotFound):
        return ApiError(404, "not_found", str(exc), "request_id")
    if isinstance(exc, PackageError):
        return ApiError(409, "package_unavailable", str(exc))
    assert isinstance(exc, rq.StepRefused)
    if exc.conflict:
        return ApiError(409, "step_refused", str(exc), exc.field)
    return ApiError(422, "invalid_step", str(exc), exc.field)


DESK_ERRORS = (desk.NotFound, rq.StepRefused, PackageError)


@router.post(
    "/requests",
    response_model=RequestOut,
    status_code=201,
    summary="Record a request received, with its document (hashed and kept as received)",
    openapi_extra=roles_extra(*LEGAL),
)
def receive(
    request: Request,
    document: UploadFile = File(..., description="The order or request as received"),
    intake: str = Form(..., description="IntakeIn as JSON"),
    principal: Principal = require(*LEGAL),
) -> RequestOut:
    try:
        body = IntakeIn.model_validate_json(intake)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in ("intake", *first["loc"]))
        raise ApiError(422, "invalid_intake", f"intake: {first['msg']}", field) from None
    content = document.file.read(desk.MAX_DOCUMENT_BYTES + 1)
    doc = desk.document_of(
        (document.filename or "request")[:200], document.content_type or "", content
    )
    try:
        made = desk.receive(
            request.app.state.runtime.store, intake_of(body), doc, actor_of(principal)
        )
    except DESK_ERRORS as exc:
        raise refused(exc) from None
    return out(made)


def intake_of(body: IntakeIn) -> rq.Intake:
    return rq.Intake(
        reference=body.reference,
        authority=body.authority,
        country=body.country,
        officer=body.officer,
        contact=body.contact,
        basis=body.basis,
        requested=rq.Scope(
            body.platform,
            tuple(body.accounts),
            tuple(body.data_types),
            body.date_from,
            body.date_to,
        ),
        deadline=body.deadline,
        document_sha256="",
    )


@router.get(
    "/requests",
    response_model=list[RequestOut],
    summary="Requests: open ones first, soonest deadline first",
    openapi_extra=roles_extra(*LEGAL),
)
def list_requests(request: Request, principal: Principal = require(*LEGAL)) -> list[RequestOut]:
    store = request.app.state.runtime.store
    found = desk.all_requests(store)
    audit.record(store, actor_of(principal).event("legal.list", ids=[r.id for r in found]))
    return [out(r) for r in found]


@router.get(
    "/requests/{request_id}",
    response_model=RequestOut,
    summary="One request with every step taken",
    openapi_extra=roles_extra(*LEGAL),
)
def get_request(
    request: Request, request_id: RowId, principal: Principal = require(*LEGAL)
) -> RequestOut:
    store = request.app.state.runtime.store
    try:
        found = desk.get(store, request_id)
    except DESK_ERRORS as exc:
        raise refused(exc) from None
    audit.record(store, actor_of(principal).event("legal.read", "legal_request", str(request_id)))
    return out(found)


def _file(request: Request, request_id: int, kind: str, principal: Principal) -> Response:
    store = request.app.state.runtime.store
    try:
        doc = desk.document(store, request_id, kind)
    except DESK_ERRORS as exc:
        raise refused(exc) from None
    audit.record(
        store,
        actor_of(principal).event(
            f"legal.{kind}.read", "legal_request", str(request_id), sha256=doc.sha256
        ),
    )
    safe = "".join(c for c in doc.name if c.isalnum() or c in "._-") or kind
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "X-Content-SHA256": doc.sha256,
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/requests/{request_id}/document",
    summary="The request document as received",
    openapi_extra=roles_extra(*LEGAL),
    response_class=Response,
)
def get_document(
    request: Request, request_id: RowId, principal: Principal = require(*LEGAL)
) -> Response:
    return _file(request, request_id, "request", principal)


@router.get(
    "/requests/{request_id}/package",
    summary="The signed disclosure package (zip)",
    openapi_extra=roles_extra(*LEGAL),
    response_class=Response,
)
def get_package(
    request: Request, request_id: RowId, principal: Principal = require(*LEGAL)
) -> Response:
    return _file(request, request_id, "package", principal)


def _step(call) -> RequestOut:
    try:
        return out(call())
    except DESK_ERRORS as exc:
        raise refused(exc) from None


@router.post(
    "/requests/{request_id}/verify",
    response_model=RequestOut,
    summary="Confirm the checklist: identity, channel, document",
    openapi_extra=roles_extra(*LEGAL),
)
def verify(
    request: Request, request_id: RowId, body: VerifyIn, principal: Principal = require(*LEGAL)
) -> RequestOut:
    store = request.app.state.runtime.store
    return _step(
        lambda: steps.verify(store, request_id, body.checks, body.note, actor_of(principal))
    )


@router.post(
    "/requests/{request_id}/review",
    response_model=RequestOut,
    summary="Legal review against the disclosure policy, with reasons",
    openapi_extra=roles_extra(*LEGAL),
)
def review(
    request: Request, request_id: RowId, body: ReviewIn, principal: Principal = require(*LEGAL)
) -> RequestOut:
    runtime = request.app.state.runtime
    return _step(
        lambda: steps.review(
            runtime.store,
            runtime.disclosure_policy,
            request_id,
            body.decision,
            body.reasons,
            actor_of(principal),
            body.accounts,
            body.data_types,
            body.date_from,
            body.date_to,
        )
    )


@router.post(
    "/requests/{request_id}/approve",
    response_model=RequestOut,
    summary="Approve disclosure (two different legal officers must)",
    openapi_extra=roles_extra(*LEGAL),
)
def approve(
    request: Request,
    request_id: RowId,
    body: NoteIn | None = None,
    principal: Principal = require(*LEGAL),
) -> RequestOut:
    store = request.app.state.runtime.store
    note = body.note if body else ""
    return _step(lambda: steps.approve(store, request_id, note, actor_of(principal)))


@router.post(
    "/requests/{request_id}/produce",
    response_model=RequestOut,
    summary="Build and sign the package from exactly the approved scope",
    openapi_extra=roles_extra(*LEGAL),
)
def produce(
    request: Request, request_id: RowId, principal: Principal = require(*LEGAL)
) -> RequestOut:
    runtime = request.app.state.runtime
    return _step(
        lambda: steps.produce(
            runtime.store,
            runtime.disclosure_policy,
            request_id,
            runtime.settings.legal_signing_key,
            actor_of(principal),
        )
    )


@router.post(
    "/requests/{request_id}/deliver",
    response_model=RequestOut,
    summary="Record how and to whom the package was delivered",
    openapi_extra=roles_extra(*LEGAL),
)
def deliver(
    request: Request, request_id: RowId, body: DeliverIn, principal: Principal = require(*LEGAL)
) -> RequestOut:
    store = request.app.state.runtime.store
    return _step(
        lambda: steps.deliver(
            store, request_id, body.method, body.recipient, body.note, actor_of(principal)
        )
    )


@router.post(
    "/requests/{request_id}/reject",
    response_model=RequestOut,
    summary="Reject the request, with reasons",
    openapi_extra=roles_extra(*LEGAL),
)
def reject(
    request: Request, request_id: RowId, body: RejectIn, principal: Principal = require(*LEGAL)
) -> RequestOut:
    store = request.app.state.runtime.store
    return _step(lambda: steps.reject(store, request_id, body.reasons, actor_of(principal)))


@router.get(
    "/reminders",
    response_model=list[ReminderOut],
    summary="Requests near or past their deadline or emergency review",
    openapi_extra=roles_extra(*LEGAL),
)
def get_reminders(
    request: Request,
    hours: int = Query(48, ge=1, le=24 * 90),
    principal: Principal = require(*LEGAL),
) -> list[ReminderOut]:
    found = reminders(
        desk.all_requests(request.app.state.runtime.store), utcnow(), timedelta(hours=hours)
    )
    return [
        ReminderOut(
            request_id=m.request_id,
            reference=m.reference,
            state=m.state,
            what=m.what,
            due=m.due,
            overdue=m.overdue,
            message=m.message,
        )
        for m in found
    ]


@router.get(
    "/transparency",
    summary="The quarter's transparency report (JSON, CSV or HTML)",
    openapi_extra=roles_extra(*REPORT_READERS),
    response_class=Response,
)
def get_transparency(
    request: Request,
    quarter: str = Query(..., pattern=r"^\d{4}-?[Qq][1-4]$", examples=["2026Q3"]),
    format: str = Query("json", pattern="^(json|csv|html)$"),
    principal: Principal = require(*REPORT_READERS),
) -> Response:
    store = request.app.state.runtime.store
    try:
        q = transparency.Quarter.parse(quarter)
    except transparency.QuarterError as exc:
        raise ApiError(422, "invalid_request", str(exc), "quarter") from None
    rep = transparency.report(q, desk.received_between(store, q.start, q.end))
    media = {"json": "application/json", "csv": "text/csv", "html": "text/html"}[format]
    return Response(transparency.render(rep, format), media_type=f"{media}; charset=utf-8")
