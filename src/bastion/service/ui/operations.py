"""What happened after decisions: webhook deliveries, hotline reports, and the audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion import audit, followups, outbox
from bastion.service.ui.rendering import render
from bastion.service.ui.session import AUDITORS, DELIVERIES, REPORTS, Viewer, page

router = APIRouter(include_in_schema=False)

JOB_STATUSES = ("pending", "running", "done", "dead")
JOB_KINDS = ("webhook", "report.draft")
REPORT_STATUSES = ("draft", "ready", "submitting", "submitted", "failed")
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
    store = request.app.state.runtime.store
    reports = followups.reports(store, status or None, hotline or None, PAGE, before)
    return render(
        request,
        "reports.html",
        viewer,
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
