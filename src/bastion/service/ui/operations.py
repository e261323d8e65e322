"""What happened after decisions: webhook deliveries, hotline reports, and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bastion import audit, followups, outbox
from bastion.service.ui.rendering import render
from bastion.service.ui.session import AUDITORS, DELIVERIES, REPORTS, REVIEWERS, Viewer, page

router = APIRouter(include_in_schema=False)

JOB_STATUSES = ("pending", "running", "done", "dead")
JOB_KINDS = ("webhook", "report.draft", "report.submit")
# bastion.reports.filing: draft -> queued -> submitting -> acknowledged (NCMEC) or exported
# (NCA/IWF referrals), or failed.
REPORT_STATUSES = ("draft", "queued", "submitting", "acknowledged", "exported", "failed")
PAGE = 50


@router.get("/ui/deliveries")
def deliveries_page(
    request: Request,
    status: str | None = None,
    kind: str | None = None,
    before: int | None = None,
    viewer: Viewer = page(*DELIVERIES),
) -> Response:
    store = request.app.state.runtime.store
    status = status if status in JOB_STATUSES else None
    kind = kind if kind in JOB_KINDS else None
    jobs = followups.jobs(store, status, kind, PAGE, before)
    return render(
        request,
        "deliveries.html",
        viewer,
        jobs=jobs,
        counts=outbox.counts(store),
        status=status,
        kind=kind,
        statuses=JOB_STATUSES,
        kinds=JOB_KINDS,
        older=jobs[-1].id if len(jobs) == PAGE else None,
    )


@router.get("/ui/reports")
def reports_page(
    request: Request,
    status: str | None = None,
    hotline: str | None = None,
    before: int | None = None,
    viewer: Viewer = page(*REPORTS),
) -> Response:
    return _reports(request, viewer, status, hotline, before)


@router.post("/ui/reports/{report_id}/submit")
def submit_report(request: Request, report_id: int, viewer: Viewer = page(*REVIEWERS)) -> Response:
    """Queue a draft (or failed) report for filing by the worker, as POST /v1/reports/{id}/submit."""
    from bastion.reports.filing import FilingError, request_submission

    try:
        request_submission(request.app.state.runtime.store, report_id, viewer.actor)
    except FilingError as exc:
        return _reports(request, viewer, None, None, None, error=str(exc).capitalize() + ".")
    return RedirectResponse(f"/ui/reports?queued={report_id}#report-{report_id}", 303)


def _reports(
    request: Request,
    viewer: Viewer,
    status: str | None,
    hotline: str | None,
    before: int | None,
    error: str | None = None,
) -> Response:
    store = request.app.state.runtime.store
    reports = followups.reports(store, status or None, hotline or None, PAGE, before)
    queued = request.query_params.get("queued", "")
    return render(
        request,
        "reports.html",
        viewer,
        error=error,
        queued=int(queued) if queued.isdigit() else None,
        can_submit=viewer.may(REVIEWERS),
        reports=reports,
        status=status or "",
        hotline=hotline or "",
        statuses=REPORT_STATUSES,
        older=reports[-1].id if len(reports) == PAGE else None,
    )


@router.get("/ui/audit")
def audit_page(
    request: Request,
    action: str | None = None,
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    before: int | None = None,
    verify: bool = False,
    viewer: Viewer = page(*AUDITORS),
) -> Response:
    store = request.app.state.runtime.store
    records = audit.tail(
        store,
        100,
        before,
        action=action or None,
        actor=actor or None,
        target_type=target_type or None,
        target_id=target_id or None,
    )
    verified = audit.verify(store) if verify else None
    if verify:
        audit.record(
            store,
            viewer.actor.event(
                "audit.verify", checked=verified.checked, problems=len(verified.problems)
            ),
        )
    return render(
        request,
        "audit.html",
        viewer,
        records=records,
        filters={
            "action": action or "",
            "actor": actor or "",
            "target_type": target_type or "",
            "target_id": target_id or "",
        },
        verified=verified,
        older=records[-1].id if len(records) == 100 else None,
    )
