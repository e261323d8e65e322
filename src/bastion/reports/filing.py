"""Filing hotline reports from the store: draft -> submitting -> acknowledged (or failed).

A report is built from what was recorded (the sighting's context, the confirmed matches, the
content's hashes, whether a reviewer revealed it) and the reporter's details from
configuration. NCMEC reports go through the CyberTipline API with the resumable state saved in
the report row after every step, so a worker that dies mid-way resumes without filing twice.
NCA and IWF take no public API: their referral (JSON and PDF) is written for the platform to
send through its agreed channel, and the report is marked `exported`.

Configuration (environment): BASTION_REPORTER_ORGANISATION, BASTION_REPORTER_PLATFORM,
BASTION_REPORTER_FIRST_NAME, BASTION_REPORTER_LAST_NAME, BASTION_REPORTER_EMAIL; NCMEC's
endpoint and credentials as in docs/reports.md (BASTION_CYBERTIP_*).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bastion import audit, outbox
from bastion.audit import Actor
from bastion.config import bastion_home
from bastion.outbox import GiveUp, Job
from bastion.reports.hotline import (
    CaptureEvent,
    Chat,
    HotlineReport,
    Incident,
    IncidentType,
    IpCapture,
    ListMatch,
    Person,
    ReportedFile,
    ReportedUser,
    Reporter,
)
from bastion.store.db import Store
from bastion.store.models import (
    BankRow,
    ContentRow,
    HotlineReportRow,
    MatchRow,
    RevealRow,
    SightingRow,
)
from bastion.store.types import utcnow

PUBLIC_CHATS = ("public_channel", "public_supergroup")
SYSTEM = Actor("worker", "system")


class FilingError(Exception):
    pass


def reporter_from_environment() -> Reporter:
    env = os.environ
    missing = [
        k for k in ("BASTION_REPORTER_ORGANISATION", "BASTION_REPORTER_EMAIL") if not env.get(k)
    ]
    if missing:
        raise FilingError(
            f"set {', '.join(missing)} (who files the report; NCMEC requires an email)"
        )
    return Reporter(
        organisation=env["BASTION_REPORTER_ORGANISATION"],
        platform=env.get("BASTION_REPORTER_PLATFORM", env["BASTION_REPORTER_ORGANISATION"]),
        reporting_person=Person(
            first_name=env.get("BASTION_REPORTER_FIRST_NAME"),
            last_name=env.get("BASTION_REPORTER_LAST_NAME"),
            emails=(env["BASTION_REPORTER_EMAIL"],),
        ),
    )


@dataclass(frozen=True, slots=True)
class Draft:
    report: HotlineReport
    content_id: int | None


def build(store: Store, report_id: int, reporter: Reporter) -> Draft:
    """The hotline report for a report row, from recorded facts only."""
    with store.session() as s:
        row = s.get(HotlineReportRow, report_id)
        if row is None:
            raise FilingError(f"no hotline report {report_id}")
        sighting = s.get(SightingRow, row.sighting_id)
        content = s.get(ContentRow, sighting.content_id) if sighting.content_id else None
        matches = s.execute(
            select(MatchRow, BankRow)
            .join(BankRow, BankRow.id == MatchRow.bank_id)
            .where(MatchRow.id.in_(row.match_ids))
        ).all()
        viewed = (
            s.scalar(
                select(func.count())
                .select_from(RevealRow)
                .where(RevealRow.match_id.in_(row.match_ids))
            )
            or 0
        ) > 0
    if content is None:
        raise FilingError(
            f"report {report_id}: the sighting has no recorded content (a lookup without bytes); file it by hand"
        )
    occurred = sighting.upload_time or sighting.received_at
    public = sighting.chat_type in PUBLIC_CHATS
    upload_ip = (
        IpCapture(ip=sighting.sender_ip, at=occurred, event=CaptureEvent.UPLOAD)
        if sighting.sender_ip
        else None
    )
    listed = tuple(
        ListMatch(
            bank=b.name,
            source=b.source,
            category=m.category,
            signal_type=m.signal_type,
            distance=m.distance,
            source_label=m.source_label,
            source_id=str(m.entry_id),
        )
        for m, b in matches
    )
    file = ReportedFile(
        file_name=f"{content.sha256}.{(content.format or 'bin').lower()}",
        size=content.size or 0,
        md5=content.md5,
        sha1=content.sha1,
        sha256=content.sha256,
        viewed_by_platform=viewed,
        publicly_available=public,
        matches=listed,
        pdq=content.pdq,
        uploaded_at=occurred,
        upload_ip=upload_ip,
    )
    chat = (
        Chat(
            kind=sighting.chat_type or "unknown",
            public=public,
            chat_id=sighting.chat_id,
            member_count=sighting.member_count,
        )
        if sighting.chat_id or sighting.chat_type
        else None
    )
    summary = (
        f"A file shared on {sighting.platform} matched {len(listed)} entr{'y' if len(listed) == 1 else 'ies'} "
        f"of known child sexual abuse material hash lists; a reviewer confirmed the match. "
        f"Hash matching identifies only known material."
    )
    report = HotlineReport(
        reference=f"bastion-report-{report_id}",
        reporter=reporter,
        incident=Incident(
            type=IncidentType.CHILD_PORNOGRAPHY, occurred_at=occurred, summary=summary, chat=chat
        ),
        files=(file,),
        reported_user=ReportedUser(
            account_id=sighting.sender_account_id, ip_captures=(upload_ip,) if upload_ip else ()
        ),
    )
    return Draft(report, content.id)


def request_submission(store: Store, report_id: int, actor: Actor) -> None:
    """Queue a report for filing (once: a report already queued or filed is not queued again)."""
    with store.session() as s:
        row = s.get(HotlineReportRow, report_id)
        if row is None:
            raise FilingError(f"no hotline report {report_id}")
        if row.status not in ("draft", "failed"):
            raise FilingError(
                f"report {report_id} is {row.status}; only a draft or a failed report can be submitted"
            )
        attempt = (row.state or {}).get("attempt", 0) + 1 if row.status == "failed" else 1
        row.status = "queued"
        row.error = None
        row.updated_at = utcnow()
        row.state = {**(row.state or {}), "attempt": attempt}
        outbox.enqueue(
            s, "report.submit", {"report_id": report_id}, f"report.submit:{report_id}:{attempt}"
        )
        audit.append(
            s,
            actor.event(
                "report.submit_requested", "hotline_report", str(report_id), hotline=row.hotline
            ),
        )


def _set(store: Store, report_id: int, **values: Any) -> None:
    with store.session() as s:
        row = s.get(HotlineReportRow, report_id)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()


def submit_handler(store: Store, job: Job) -> dict[str, Any]:
    """The worker's `report.submit` job."""
    report_id = job.payload["report_id"]
    with store.session() as s:
        row = s.get(HotlineReportRow, report_id)
        if row is None:
            raise GiveUp(f"no hotline report {report_id}")
        hotline, saved = row.hotline, dict(row.state or {})
        if row.status in ("acknowledged", "exported"):
            return {"status": row.status, "remote_id": row.remote_id}
    try:
        draft = build(store, report_id, reporter_from_environment())
    except FilingError as exc:
        _set(store, report_id, status="failed", error=str(exc))
        raise GiveUp(str(exc)) from None
    _set(store, report_id, status="submitting")
    if hotline == "ncmec":
        return _file_ncmec(store, job, report_id, draft, saved)
    return _export_referral(store, report_id, draft, hotline)


def _file_ncmec(
    store: Store, job: Job, report_id: int, draft: Draft, saved: dict
) -> dict[str, Any]:
    from bastion.reports.hotline import (
        CyberTiplineClient,
        CyberTiplineConfig,
        CyberTiplineError,
        SubmissionState,
    )
    from bastion.vault import Vault

    try:
        client = CyberTiplineClient(CyberTiplineConfig.from_env())
    except ValueError as exc:
        _set(store, report_id, status="failed", error=str(exc))
        raise GiveUp(str(exc)) from None
    state = SubmissionState.from_json(saved["submission"]) if saved.get("submission") else None

    def save(new_state) -> None:
        _set(store, report_id, state={**saved, "submission": new_state.to_json()})
        outbox.extend_lease(store, job.id)

    def media(index: int, file: ReportedFile):
        return Vault.from_environment(store).read(
            draft.content_id, SYSTEM, f"CyberTipline upload, report {report_id}"
        )

    try:
        finished = client.submit_all(draft.report, media, save, state)
    except CyberTiplineError as exc:
        if exc.transient:
            _set(store, report_id, status="queued", error=str(exc))
            raise
        _set(store, report_id, status="failed", error=str(exc))
        raise GiveUp(str(exc)) from None
    now = utcnow()
    _set(
        store,
        report_id,
        status="acknowledged",
        remote_id=str(finished.report_id),
        submitted_at=now,
        error=None,
    )
    audit.record(
        store,
        SYSTEM.event(
            "report.acknowledged",
            "hotline_report",
            str(report_id),
            hotline="ncmec",
            remote_id=str(finished.report_id),
        ),
    )
    _extend_retention(store, draft.content_id, report_id)
    return {"status": "acknowledged", "remote_id": str(finished.report_id)}


def _export_referral(store: Store, report_id: int, draft: Draft, hotline: str) -> dict[str, Any]:
    from bastion.reports.hotline import build_referral, referral_json
    from bastion.reports.hotline.errors import PdfUnavailable
    from bastion.reports.hotline.referral_pdf import render_referral_pdf

    folder = reports_folder() / f"report-{report_id}-{hotline}"
    folder.mkdir(parents=True, exist_ok=True)
    referral = build_referral(draft.report, hotline)
    (folder / "referral.json").write_text(referral_json(referral))
    files = ["referral.json"]
    try:
        (folder / "referral.pdf").write_bytes(render_referral_pdf(referral))
        files.append("referral.pdf")
    except PdfUnavailable as exc:
        (folder / "PDF-NOT-RENDERED.txt").write_text(str(exc) + "\n")
    _set(
        store,
        report_id,
        status="exported",
        submitted_at=utcnow(),
        error=None,
        state={"files": [str(folder / f) for f in files]},
    )
    audit.record(
        store,
        SYSTEM.event(
            "report.exported", "hotline_report", str(report_id), hotline=hotline, files=files
        ),
    )
    _extend_retention(store, draft.content_id, report_id)
    return {"status": "exported", "folder": str(folder)}


def _extend_retention(store: Store, content_id: int | None, report_id: int) -> None:
    """One year of preservation from the report (18 U.S.C. 2258A(h), REPORT Act 2024)."""
    from datetime import timedelta

    from bastion.vault import DEFAULT_RETENTION, EvidenceMissing, Vault

    if content_id is None:
        return
    with contextlib.suppress(EvidenceMissing):
        Vault.from_environment(store).extend(
            content_id,
            utcnow() + DEFAULT_RETENTION + timedelta(days=1),
            SYSTEM,
            f"reported: report {report_id}",
        )


def reports_folder() -> Path:
    return bastion_home() / "reports"


@dataclass(frozen=True, slots=True)
class ReportSummary:
    id: int
    hotline: str
    status: str
    sighting_id: int
    match_ids: list[int]
    created_at: Any
    submitted_at: Any
    remote_id: str | None
    error: str | None


def list_reports(store: Store, status: str | None = None) -> list[ReportSummary]:
    with store.session() as s:
        query = select(HotlineReportRow).order_by(HotlineReportRow.id.desc())
        if status:
            query = query.where(HotlineReportRow.status == status)
        return [
            ReportSummary(
                r.id,
                r.hotline,
                r.status,
                r.sighting_id,
                r.match_ids,
                r.created_at,
                r.submitted_at,
                r.remote_id,
                r.error,
            )
            for r in s.scalars(query)
        ]
