"""Banks over HTTP: list, create, import (a background job), add/remove entries, allow-list."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select

from bastion.audit import Actor
from bastion.banks import formats
from bastion.banks.formats import FormatError, Row, RowError
from bastion.banks.model import BankSettingsError, CategoryMapError, parse_category_map
from bastion.config import bastion_home
from bastion.decisions import rematch
from bastion.keys import Role
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.schemas import AllowIn, BankIn, BankOut, ChangeOut, EntriesIn, JobOut
from bastion.signals import SignalParseError, UnknownSignalType
from bastion.signals import get as signal_type
from bastion.store.banks import (
    BankExists,
    BankNotFound,
    BankStore,
    ImportRejected,
    ImportReport,
    VersionConflict,
)
from bastion.store.models import BankVersionRow, ContentRow, MatchRow

router = APIRouter(prefix="/v1", tags=["banks"])
READERS = (Role.PLATFORM, Role.REVIEWER, Role.INVESTIGATOR, Role.ADMIN, Role.AUDITOR)
WRITERS = (Role.ADMIN,)
ALLOWERS = (Role.ADMIN, Role.REVIEWER)


def _actor(p: Principal) -> Actor:
    return Actor(name=p.actor, role=p.role, remote_addr=p.remote_addr)


def _out(bank) -> BankOut:
    return BankOut(
        name=bank.name,
        source=bank.source.value,
        kind=bank.kind.value,
        pdq_threshold=bank.pdq_threshold,
        version=bank.version,
        live_entries=bank.live_entries,
        description=bank.description,
        created_at=bank.created_at,
        updated_at=bank.updated_at,
    )


def _bank_or_404(store: BankStore, name: str):
    try:
        return store.get(name)
    except BankNotFound as exc:
        raise ApiError(404, "bank_not_found", str(exc), "name") from None


@router.get(
    "/banks",
    response_model=list[BankOut],
    summary="Active banks",
    openapi_extra=roles_extra(*READERS),
)
def list_banks(request: Request, principal: Principal = require(*READERS)) -> list[BankOut]:
    return [_out(b) for b in BankStore(request.app.state.runtime.store).list()]


@router.post(
    "/banks",
    response_model=BankOut,
    status_code=201,
    summary="Create a bank",
    openapi_extra=roles_extra(*WRITERS),
)
def create_bank(
    request: Request, body: BankIn, principal: Principal = require(*WRITERS)
) -> BankOut:
    store = BankStore(request.app.state.runtime.store, _actor(principal))
    try:
        bank = store.create(
            body.name,
            body.source,
            body.kind,
            body.pdq_threshold,
            body.description,
            body.vpdq_query_percent,
            body.vpdq_listed_percent,
        )
    except BankExists as exc:
        raise ApiError(409, "bank_exists", str(exc), "name") from None
    except BankSettingsError as exc:
        raise ApiError(422, "invalid_bank", str(exc), "name") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_bank", str(exc), "source") from None
    return _out(bank)


@router.get(
    "/banks/{name}", response_model=BankOut, summary="One bank", openapi_extra=roles_extra(*READERS)
)
def get_bank(request: Request, name: str, principal: Principal = require(*READERS)) -> BankOut:
    return _out(_bank_or_404(BankStore(request.app.state.runtime.store), name))


def _change_id(runtime, bank: str, version: int | None) -> int | None:
    if version is None:
        return None
    with runtime.store.session() as s:
        from bastion.store.models import BankRow

        return s.scalar(
            select(BankVersionRow.id)
            .join(BankRow, BankRow.id == BankVersionRow.bank_id)
            .where(BankRow.name == bank, BankVersionRow.version == version)
        )


def start_rematch(runtime, principal_actor: str, bank: str, report: ImportReport) -> int | None:
    """Retroactive matching of recorded sightings against what an import added."""
    if report.dry_run or (not report.added and not report.regraded):
        return None
    change_id = _change_id(runtime, bank, report.version)
    if change_id is None:
        return None
    days = runtime.settings.lookback_days
    return runtime.jobs.submit(
        "rematch",
        {"bank": bank, "change_id": change_id, "lookback_days": days},
        principal_actor,
        lambda ctx: rematch(
            runtime.store, change_id, days, progress=lambda d, t: ctx.progress(d, t)
        ),
    )


@router.post(
    "/banks/{name}/import",
    response_model=JobOut,
    status_code=202,
    summary="Import a hash-list file as a background job",
    openapi_extra=roles_extra(*WRITERS),
)
def import_file(
    request: Request,
    name: str,
    file: UploadFile = File(...),
    format: str = Form(..., description=f"One of {', '.join(formats.FORMATS)}"),
    mapping: str = Form("", description="CSV mapping, comma-separated FIELD=COLUMN"),
    category_map: str = Form("", description="e.g. 1=A,2=B,3=C"),
    signal: str = Form("", description="Signal type of every line of a plain-text list"),
    skip_invalid: bool = Form(False),
    replace: bool = Form(False),
    remove: bool = Form(False),
    principal: Principal = require(*WRITERS),
) -> JobOut:
    runtime = request.app.state.runtime
    _bank_or_404(BankStore(runtime.store), name)
    if format not in formats.FORMATS:
        raise ApiError(
            422, "invalid_request", f"format must be one of {', '.join(formats.FORMATS)}", "format"
        )
    try:
        cmap = parse_category_map(category_map) if category_map else None
        col_map = (
            formats.parse_mapping([p for p in mapping.split(",") if p.strip()]) if mapping else None
        )
        kind = signal_type(signal).name if signal else None
    except (CategoryMapError, FormatError, UnknownSignalType) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    uploads = bastion_home() / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    saved = uploads / f"{uuid.uuid4().hex}-{Path(file.filename or 'list').name}"
    with open(saved, "wb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
    actor = _actor(principal)

    def work(ctx) -> dict:
        store = BankStore(runtime.store, actor)
        seen = 0

        def counted(items):
            nonlocal seen
            for item in items:
                if isinstance(item, (Row, RowError)):
                    seen += 1
                    if seen % 5000 == 0:
                        ctx.progress(seen)
                yield item

        try:
            report = store.import_items(
                name,
                counted(formats.read(saved, format, mapping=col_map, signal_type=kind)),
                replace=replace,
                remove=remove,
                category_map=cmap,
                skip_invalid=skip_invalid,
                source_file=file.filename,
            )
        except ImportRejected as exc:
            raise RuntimeError(
                f"{exc}; first errors: " + "; ".join(str(e) for e in exc.report.errors[:20])
            ) from None
        finally:
            saved.unlink(missing_ok=True)
        ctx.progress(seen, seen, force=True)
        rematch_job = start_rematch(runtime, principal.actor, name, report)
        return _report_dict(report) | {"rematch_job": rematch_job}

    job_id = runtime.jobs.submit(
        "bank_import",
        {"bank": name, "file": file.filename, "format": format},
        principal.actor,
        work,
    )
    from bastion.service.routers.jobs import job_out

    return job_out(runtime, job_id)


def _report_dict(report: ImportReport) -> dict:
    return {
        "bank": report.bank,
        "version": report.version,
        "rows_read": report.rows_read,
        "added": report.added,
        "removed": report.removed,
        "regraded": report.regraded,
        "unchanged": report.unchanged,
        "duplicates": report.duplicates,
        "skipped": [str(e) for e in report.skipped[:1000]],
        "notices": report.notices,
        "categories": dict(report.categories),
    }


def _rows(body: EntriesIn) -> list[Row | RowError]:
    items: list[Row | RowError] = []
    for i, entry in enumerate(body.entries):
        try:
            kind = signal_type(entry.signal_type).name
            value = signal_type(kind).parse(entry.value)
        except (UnknownSignalType, SignalParseError) as exc:
            raise ApiError(422, "invalid_signal", str(exc), f"entries.{i}") from None
        items.append(Row(i + 1, kind, value, entry.category, entry.source_id))
    return items


def _apply(
    request: Request, name: str, body: EntriesIn, principal: Principal, remove: bool
) -> ChangeOut:
    runtime = request.app.state.runtime
    store = BankStore(runtime.store, _actor(principal))
    try:
        report = store.import_items(name, _rows(body), remove=remove, source_file="(api)")
    except BankNotFound as exc:
        raise ApiError(404, "bank_not_found", str(exc), "name") from None
    except ImportRejected as exc:
        raise ApiError(
            422, "invalid_entries", f"{exc}: {exc.report.errors[0]}", "entries"
        ) from None
    except VersionConflict as exc:
        raise ApiError(409, "bank_conflict", str(exc), "name") from None
    job = start_rematch(runtime, principal.actor, name, report)
    return ChangeOut(
        bank=name,
        version=report.version,
        added=report.added,
        removed=report.removed,
        unchanged=report.unchanged,
        rematch_job=job,
    )


@router.post(
    "/banks/{name}/entries",
    response_model=ChangeOut,
    summary="Add entries",
    openapi_extra=roles_extra(*WRITERS),
)
def add_entries(
    request: Request, name: str, body: EntriesIn, principal: Principal = require(*WRITERS)
) -> ChangeOut:
    return _apply(request, name, body, principal, remove=False)


@router.post(
    "/banks/{name}/remove",
    response_model=ChangeOut,
    summary="Remove entries (tombstones)",
    openapi_extra=roles_extra(*WRITERS),
)
def remove_entries(
    request: Request, name: str, body: EntriesIn, principal: Principal = require(*WRITERS)
) -> ChangeOut:
    return _apply(request, name, body, principal, remove=True)


@router.post(
    "/allow-list",
    response_model=ChangeOut,
    summary="Allow-list an item (a known false positive)",
    openapi_extra=roles_extra(*ALLOWERS),
)
def allow_list(
    request: Request, body: AllowIn, principal: Principal = require(*ALLOWERS)
) -> ChangeOut:
    runtime = request.app.state.runtime
    signals: dict[str, str] = dict(body.signals or {})
    if body.match_id is not None:
        with runtime.store.session() as s:
            match = s.get(MatchRow, body.match_id)
            if match is None:
                raise ApiError(404, "not_found", f"no match {body.match_id}", "match_id")
            content = s.get(ContentRow, match.content_id) if match.content_id else None
            if content is not None:
                signals.setdefault("sha256", content.sha256)
                if content.pdq:
                    signals.setdefault("pdq", content.pdq)
            else:
                signals.setdefault(match.signal_type, match.value)
    if not signals:
        raise ApiError(422, "invalid_request", "give match_id or signals", "signals")
    store = BankStore(runtime.store, _actor(principal))
    if not store.exists(body.bank):
        try:
            store.create(
                body.bank, "local", "allow", description="False positives confirmed by reviewers"
            )
        except (BankExists, BankSettingsError) as exc:
            raise ApiError(422, "invalid_bank", str(exc), "bank") from None
    elif store.get(body.bank).kind.value != "allow":
        raise ApiError(409, "not_an_allow_bank", f"bank {body.bank!r} is a block bank", "bank")
    entries = EntriesIn(
        entries=[
            {"signal_type": k, "value": v, "source_id": body.note or None}
            for k, v in signals.items()
        ]
    )
    return _apply(request, body.bank, entries, principal, remove=False)
