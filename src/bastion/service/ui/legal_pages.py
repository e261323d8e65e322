"""The lawful-request desk in the web UI (`legal` role): the list with deadlines and states at a
glance, intake, a request's page with the form for its next step, the package; and the
quarterly transparency page (legal, auditors, admins). Every step goes through
bastion.legal.steps, as the API's do, so both write the same audit records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from bastion import audit
from bastion.legal import desk, steps, transparency
from bastion.legal import requests as rq
from bastion.legal.package import PackageError
from bastion.legal.policy import BASES, DATA_TYPES
from bastion.legal.reminders import reminders
from bastion.service.ui.rendering import render
from bastion.service.ui.session import LEGAL_DESK as LEGAL
from bastion.service.ui.session import TRANSPARENCY, Viewer, page
from bastion.store.types import utcnow

router = APIRouter(include_in_schema=False)
STEPS = ("verify", "review", "approve", "produce", "deliver", "reject")
FAILURES = (desk.NotFound, rq.StepRefused, PackageError, ValueError)


class FormError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _text(form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _day(form, name: str, required: bool = True) -> datetime | None:
    """A date from an <input type=date> (midnight UTC) or an ISO timestamp."""
    raw = _text(form, name)
    if not raw:
        if required:
            raise FormError("is required", name)
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise FormError("should be a date such as 2026-07-01", name) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _list(form, name: str) -> list[str]:
    values = form.getlist(name)
    if len(values) == 1 and isinstance(values[0], str):
        values = values[0].replace(",", "\n").splitlines()
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _summary(r: rq.LegalRequest, now: datetime) -> dict[str, Any]:
    due = r.review_due if r.review_pending else r.intake.deadline
    return {
        "r": r,
        "due": due,
        "late": not r.closed and due <= now,
        "soon": not r.closed and now < due <= now + timedelta(hours=48),
    }


@router.get("/ui/legal")
def legal_list(request: Request, viewer: Viewer = page(*LEGAL)) -> Response:
    store = request.app.state.runtime.store
    found = desk.all_requests(store)
    now = utcnow()
    audit.record(store, viewer.actor.event("legal.list", ids=[r.id for r in found], via="ui"))
    return render(
        request,
        "legal_list.html",
        viewer,
        rows=[_summary(r, now) for r in found],
        reminders=reminders(found, now),
    )


@router.get("/ui/legal/new")
def intake_form(request: Request, viewer: Viewer = page(*LEGAL)) -> Response:
    return _intake_page(request, viewer, {}, None)


def _intake_page(request, viewer, values, error, status: int = 200) -> Response:
    return render(
        request,
        "legal_new.html",
        viewer,
        status_code=status,
        values=values,
        error=error,
        bases=BASES,
        data_types=DATA_TYPES,
    )


@router.post("/ui/legal/new")
async def intake(request: Request, viewer: Viewer = page(*LEGAL)) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        upload = form.get("document")
        if not isinstance(upload, UploadFile):
            raise FormError("attach the order or request as received", "document")
        content = await upload.read(desk.MAX_DOCUMENT_BYTES + 1)
        document = desk.document_of(
            (upload.filename or "request")[:200], upload.content_type or "", content
        )
        intake_ = rq.Intake(
            reference=_text(form, "reference"),
            authority=_text(form, "authority"),
            country=_text(form, "country").upper(),
            officer=_text(form, "officer"),
            contact=_text(form, "contact"),
            basis=_text(form, "basis"),
            requested=rq.Scope(
                _text(form, "platform"),
                tuple(_list(form, "accounts")),
                tuple(_list(form, "data_types")),
                _day(form, "date_from"),
                _day(form, "date_to"),
            ),
            deadline=_day(form, "deadline"),
            document_sha256="",
        )
        made = await run_in_threadpool(
            desk.receive, request.app.state.runtime.store, intake_, document, viewer.actor
        )
    except FAILURES as exc:
        return _intake_page(request, viewer, values, str(exc), 422)
    return RedirectResponse(f"/ui/legal/{made.id}?done=received", 303)


@router.get("/ui/transparency")
def transparency_page(
    request: Request, quarter: str | None = None, viewer: Viewer = page(*TRANSPARENCY)
) -> Response:
    store = request.app.state.runtime.store
    error = None
    try:
        q = transparency.Quarter.parse(quarter) if quarter else transparency.Quarter.of(utcnow())
    except transparency.QuarterError as exc:
        error, q = str(exc), transparency.Quarter.of(utcnow())
    rep = transparency.report(q, desk.received_between(store, q.start, q.end))
    return render(
        request,
        "legal_transparency.html",
        viewer,
        status_code=422 if error else 200,
        error=error,
        report=rep,
        figure=transparency.chart(rep),
        labels=transparency.LABELS,
        outcomes=transparency.OUTCOMES,
    )


@router.get("/ui/transparency/export")
def transparency_export(
    request: Request, quarter: str = "", format: str = "csv", viewer: Viewer = page(*TRANSPARENCY)
) -> Response:
    store = request.app.state.runtime.store
    try:
        q = transparency.Quarter.parse(quarter)
        rep = transparency.report(q, desk.received_between(store, q.start, q.end))
        text = transparency.render(rep, format)
    except transparency.QuarterError as exc:
        return Response(str(exc), 422, media_type="text/plain")
    media = {"json": "application/json", "csv": "text/csv", "html": "text/html"}[format]
    return Response(
        text,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="transparency-{q}.{format}"'},
    )


def _request_page(
    request: Request,
    viewer: Viewer,
    request_id: int,
    error: str | None = None,
    status: int = 200,
    done: str | None = None,
) -> Response:
    store = request.app.state.runtime.store
    try:
        r = desk.get(store, request_id)
    except desk.NotFound:
        return render(
            request, "not_found.html", viewer, status_code=404, what=f"legal request {request_id}"
        )
    audit.record(
        store, viewer.actor.event("legal.read", "legal_request", str(request_id), via="ui")
    )
    trail = audit.tail(store, 100, target_type="legal_request", target_id=str(request_id))
    policy = request.app.state.runtime.disclosure_policy
    return render(
        request,
        "legal_request.html",
        viewer,
        status_code=status,
        r=r,
        error=error,
        done=done,
        checks=rq.CHECKS,
        policy=policy,
        trail=list(reversed(trail)),
        approved_by_me=any(a.by == viewer.actor.name for a in r.approvals),
        summary=_summary(r, utcnow()),
    )


@router.get("/ui/legal/{request_id}")
def request_page(
    request: Request, request_id: int, done: str | None = None, viewer: Viewer = page(*LEGAL)
) -> Response:
    return _request_page(
        request, viewer, request_id, done=done if done in (*STEPS, "received") else None
    )


@router.get("/ui/legal/{request_id}/{kind}.file")
def request_file(
    request: Request, request_id: int, kind: str, viewer: Viewer = page(*LEGAL)
) -> Response:
    store = request.app.state.runtime.store
    if kind not in ("request", "package"):
        return render(request, "not_found.html", viewer, status_code=404, what=kind)
    try:
        doc = desk.document(store, request_id, kind)
    except desk.NotFound as exc:
        return render(request, "not_found.html", viewer, status_code=404, what=str(exc)[3:])
    audit.record(
        store,
        viewer.actor.event(
            f"legal.{kind}.read", "legal_request", str(request_id), sha256=doc.sha256, via="ui"
        ),
    )
    safe = "".join(c for c in doc.name if c.isalnum() or c in "._-") or kind
    return Response(
        doc.content,
        media_type=doc.media_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )


@router.post("/ui/legal/{request_id}/{step}")
async def request_step(
    request: Request, request_id: int, step: str, viewer: Viewer = page(*LEGAL)
) -> Response:
    if step not in STEPS:
        return render(request, "not_found.html", viewer, status_code=404, what=f"step {step}")
    form = await request.form()
    runtime = request.app.state.runtime
    try:
        await run_in_threadpool(_apply, runtime, request_id, step, form, viewer)
    except desk.NotFound:
        return render(
            request, "not_found.html", viewer, status_code=404, what=f"legal request {request_id}"
        )
    except FAILURES as exc:
        status = 409 if getattr(exc, "conflict", False) or isinstance(exc, PackageError) else 422
        return _request_page(request, viewer, request_id, str(exc), status)
    return RedirectResponse(f"/ui/legal/{request_id}?done={step}", 303)


def _apply(runtime, request_id: int, step: str, form, viewer: Viewer) -> None:
    store, actor = runtime.store, viewer.actor
    if step == "verify":
        steps.verify(store, request_id, _list(form, "checks"), _text(form, "note"), actor)
    elif step == "review":
        steps.review(
            store,
            runtime.disclosure_policy,
            request_id,
            _text(form, "decision"),
            _text(form, "reasons"),
            actor,
            _list(form, "accounts") or None,
            _list(form, "data_types") or None,
            _day(form, "date_from", False),
            _day(form, "date_to", False),
        )
    elif step == "approve":
        steps.approve(store, request_id, _text(form, "note"), actor)
    elif step == "produce":
        steps.produce(
            store, runtime.disclosure_policy, request_id, runtime.settings.legal_signing_key, actor
        )
    elif step == "deliver":
        steps.deliver(
            store,
            request_id,
            _text(form, "method"),
            _text(form, "recipient"),
            _text(form, "note"),
            actor,
        )
    else:
        steps.reject(store, request_id, _text(form, "reasons"), actor)
