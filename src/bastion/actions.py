"""What the worker does with each kind of outbox job."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bastion.outbox import GiveUp, Handler, Job
from bastion.store.db import Store
from bastion.store.models import HotlineReportRow
from bastion.store.types import utcnow
from bastion.webhooks import WebhookConfig, deliver

HOTLINES = ("ncmec", "nca", "iwf")


def webhook_handler(config: WebhookConfig | None) -> Handler:
    def handle(store: Store, job: Job) -> dict[str, Any]:
        if config is None:
            raise GiveUp(
                "no webhook receiver configured: set BASTION_WEBHOOK_URL and BASTION_WEBHOOK_SECRET"
            )
        return deliver(store, job, config)

    return handle


def draft_report(store: Store, job: Job) -> dict[str, Any]:
    """A draft hotline report for a confirmed sighting (one per hotline and sighting)."""
    hotline = job.payload["hotline"]
    if hotline not in HOTLINES:
        raise GiveUp(f"unknown hotline {hotline!r}")
    with store.session() as s:
        existing = s.scalar(
            select(HotlineReportRow).where(
                HotlineReportRow.hotline == hotline,
                HotlineReportRow.sighting_id == job.payload["sighting_id"],
            )
        )
        if existing is not None:
            return {"report_id": existing.id, "status": existing.status}
        now = utcnow()
        row = HotlineReportRow(
            hotline=hotline,
            status="draft",
            sighting_id=job.payload["sighting_id"],
            match_ids=job.payload["match_ids"],
            created_at=now,
            updated_at=now,
            created_by=f"outbox:{job.id}",
        )
        s.add(row)
        s.flush()
        return {"report_id": row.id, "status": "draft"}


def handlers(webhooks: WebhookConfig | None = None) -> dict[str, Handler]:
    from bastion.reports.filing import submit_handler

    return {
        "webhook": webhook_handler(webhooks),
        "report.draft": draft_report,
        "report.submit": submit_handler,
    }
