"""Hotline reports over HTTP: list them, and queue one for filing."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from bastion.audit import Actor
from bastion.keys import Role
from bastion.reports import filing
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.schemas import RowId

router = APIRouter(prefix="/v1", tags=["reports"])
READERS = (Role.ADMIN, Role.REVIEWER, Role.INVESTIGATOR, Role.AUDITOR)
SUBMITTERS = (Role.ADMIN, Role.REVIEWER)


class ReportOut(BaseModel):
    id: int
    hotline: str
    status: str
    sighting_id: int
    match_ids: list[int]
    created_at: datetime
    submitted_at: datetime | None
    remote_id: str | None
    error: str | None


def _out(r: filing.ReportSummary) -> ReportOut:
    return ReportOut(**{f: getattr(r, f) for f in ReportOut.model_fields})


@router.get(
    "/reports",
    response_model=list[ReportOut],
    summary="Hotline reports, newest first",
    openapi_extra=roles_extra(*READERS),
)
def list_reports(
    request: Request,
    status: str | None = Query(
        None, pattern="^(draft|queued|submitting|acknowledged|exported|failed)$"
    ),
    principal: Principal = require(*READERS),
) -> list[ReportOut]:
    return [_out(r) for r in filing.list_reports(request.app.state.runtime.store, status)]


@router.post(
    "/reports/{report_id}/submit",
    response_model=ReportOut,
    status_code=202,
    summary="Queue a draft (or failed) report for filing",
    openapi_extra=roles_extra(*SUBMITTERS),
)
def submit_report(
    request: Request, report_id: RowId, principal: Principal = require(*SUBMITTERS)
) -> ReportOut:
    store = request.app.state.runtime.store
    try:
        filing.request_submission(
            store, report_id, Actor(principal.actor, principal.role, principal.remote_addr)
        )
    except filing.FilingError as exc:
        status = 404 if "no hotline report" in str(exc) else 409
        raise ApiError(
            status,
            "report_not_submittable" if status == 409 else "not_found",
            str(exc),
            "report_id",
        ) from None
    return _out(next(r for r in filing.list_reports(store) if r.id == report_id))
