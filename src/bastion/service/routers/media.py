"""POST /v1/media and POST /v1/lookup: the calls a platform makes on every upload."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bastion import decisions
from bastion.audit import Actor
from bastion.decisions import Context, Signals
from bastion.hashing import MediaHashes, hash_bytes
from bastion.keys import Role
from bastion.matching import Query
from bastion.media.sniff import SNIFF_BYTES, sniff
from bastion.service import answers
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ERROR_SCHEMA, ApiError
from bastion.service.schemas import (
    Hashes,
    LookupRequest,
    LookupResponse,
    MediaContext,
    Verdict,
)
from bastion.signals import SignalParseError, UnknownSignalType
from bastion.signals import get as signal_type
from bastion.signals.pdq import PdqHash
from bastion.store.models import ContentRow

router = APIRouter(prefix="/v1", tags=["matching"])

PLATFORM = (Role.PLATFORM, Role.ADMIN)
ERRORS = {
    code: {"model": None, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for code in (401, 403, 413, 415, 422)
}

EVIDENCE_VERDICTS = ("block", "review")
# Batches up to this size are matched on the event loop (about 0.2 ms a hash at 1M entries).
INLINE_LOOKUPS = 16
INLINE_LOCK_MS = 100  # longest a recording on the event loop may wait for a lock
ANIMATED = ("GIF", "WEBP")  # may be animations, which are hashed as videos (vPDQ)
# A malformed upload is a 4xx naming the problem, unless its exact digests matched a list.
MALFORMED = {"empty": 422, "truncated": 422, "corrupt": 422, "bomb": 413, "too_large": 413}


def _context(raw: str) -> MediaContext:
    try:
        return MediaContext.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in ("context", *first["loc"]))
        raise ApiError(422, "invalid_context", f"context: {first['msg']}", field) from None


def _hashes(h: MediaHashes) -> Hashes:
    d = h.digests
    return Hashes(
        md5=d.md5 if d else None,
        sha1=d.sha1 if d else None,
        sha256=d.sha256 if d else None,
        pdq=h.pdq.hex if h.pdq else None,
        pdq_quality=h.pdq.quality if h.pdq else None,
        pdq_usable=h.pdq.usable if h.pdq else None,
    )


def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ApiError(
            413, "upload_too_large", f"the upload exceeds the {limit:,}-byte limit", "file"
        )
    return data


@router.post(
    "/media",
    response_model=Verdict,
    summary="Hash and match an uploaded file, and record the decision",
    openapi_extra=roles_extra(*PLATFORM),
    responses=ERRORS,
)
def post_media(
    request: Request,
    file: UploadFile = File(..., description="The media file"),
    context: str = Form(
        ...,
        description="JSON object: see MediaContext",
        examples=['{"platform":"examplegram","message_id":"m-1"}'],
    ),
    principal: Principal = require(*PLATFORM),
) -> Verdict:
    runtime = request.app.state.runtime
    started = time.perf_counter()
    ctx = _context(context)
    data = _read_limited(file, runtime.settings.max_upload_bytes)
    kind = sniff(data[:SNIFF_BYTES])
    still = kind.is_image and kind.format not in ANIMATED
    if not still:
        # A retry of a video is answered before decoding it again. A still picture costs less
        # to hash again than a look-up costs every new upload: its retry is found on recording.
        existing = _existing(runtime, ctx)
        if existing is not None:
            return existing
    sha256 = hashlib.sha256(data).hexdigest()
    hashed = runtime.content_cache.get(sha256)
    if hashed is not None:
        runtime.metrics.cache_hits.labels("memory").inc()
    else:
        # The store keeps plain PDQ only: with the views on, a still picture is hashed again
        # (its views need the pixels), or another process would answer the same bytes without
        # them (docs/robustness.md). Videos and animations are worth the look-up.
        if runtime.settings.pdq_views and still:
            hashed = None
        else:
            hashed = _from_store(runtime, sha256, file.filename or "upload")
        if hashed is not None and hashed.pdq is not None and runtime.settings.pdq_views:
            hashed = None
        if hashed is None:
            hashed = hash_bytes(
                data,
                file.filename or "upload",
                runtime.settings.pdq_mode,
                runtime.limits,
                views=runtime.settings.pdq_views,
            )
        else:
            runtime.metrics.cache_hits.labels("database").inc()
        if hashed.failure is None or hashed.digests is not None:
            runtime.content_cache.put(sha256, hashed)
    (result,) = runtime.match(
        [Query.of(hashed, dihedral=runtime.settings.dihedral, views=runtime.settings.pdq_views)]
    )
    if hashed.failure is not None and not result.matches and not result.suppressed:
        status = MALFORMED.get(hashed.failure.reason)
        if status is not None:
            raise ApiError(status, f"media_{hashed.failure.reason}", hashed.failure.message, "file")
    if hashed.failure is not None:
        note = f"perceptual hashing skipped: {hashed.failure.message}"
        result = replace(result, notes=(*result.notes, note))
    decision = runtime.policy.decide(result)
    recorded = decisions.record(
        runtime.store,
        Context(**ctx.model_dump()),
        Signals.of(hashed),
        result,
        decision,
        kind="media",
        hashed=hashed,
        api_key_prefix=principal.key.prefix,
        actor=principal.actor,
    )
    if recorded.duplicate:
        return answers.replay(runtime.store, recorded.sighting_id)
    answer = answers.fresh(result, decision, _hashes(hashed), recorded)
    if decision.verdict in EVIDENCE_VERDICTS and recorded.content_id is not None:
        # Preserve what a person must review or a hotline may ask for (18 U.S.C. 2258A(h)).
        actor = Actor(principal.actor, principal.role, principal.remote_addr)
        runtime.vault.put(recorded.content_id, data, actor)
        answer.notes.append("evidence preserved in the encrypted vault")
    runtime.metrics.verdicts.labels(decision.verdict, decision.rule).inc()
    runtime.metrics.latency.labels("media").observe(time.perf_counter() - started)
    return answer


def _existing(runtime, ctx: MediaContext) -> Verdict | None:
    if ctx.message_id is None:
        return None
    with runtime.store.session() as s:
        sighting = decisions.find_sighting(s, ctx.platform, ctx.message_id)
        sighting_id = sighting.id if sighting is not None else None
    return answers.replay(runtime.store, sighting_id) if sighting_id is not None else None


def _from_store(runtime, sha256: str, source: str) -> MediaHashes | None:
    from sqlalchemy import select

    with runtime.store.session() as s:
        row = s.scalar(select(ContentRow).where(ContentRow.sha256 == sha256))
        return decisions.hashes_of_content(row, source) if row is not None else None


@router.post(
    "/lookup",
    response_model=LookupResponse,
    summary="Match hashes the platform computed itself",
    openapi_extra=roles_extra(*PLATFORM),
    responses=ERRORS,
)
async def post_lookup(
    request: Request, body: LookupRequest, principal: Principal = require(*PLATFORM)
) -> LookupResponse:
    """Async on purpose: the common case (a few hashes, nothing listed, no context) is pure
    computation of well under a millisecond, so it runs on the event loop; big batches go to
    the thread pool, and so do records, but for a single one on PostgreSQL (below)."""
    return await lookup(request.app.state.runtime, body, principal)


def lookup_queries(body: LookupRequest) -> list[Query]:
    """The items' signals as queries; raises ApiError naming the first bad one (before
    anything is matched or written)."""
    return [_lookup_query(i, item) for i, item in enumerate(body.items)]


async def lookup(
    runtime, body: LookupRequest, principal: Principal, queries: list[Query] | None = None
) -> LookupResponse:
    """A lookup from parsed request to answer: the route above and the fast path
    (service/fastpath.py) both answer through here."""
    started = time.perf_counter()
    if queries is None:
        queries = lookup_queries(body)
    if len(queries) > INLINE_LOOKUPS:
        results = await run_in_threadpool(runtime.match, queries)
    else:
        results = runtime.match(queries)
    records = sum(
        1
        for item, result in zip(body.items, results, strict=True)
        if item.context is not None or result.matches
    )
    if records == 1 and runtime.store.dialect == "postgresql":
        # A single item to record (a match, or a context) is recorded right here: a trip to
        # the thread pool costs a matched lookup two turns of a busy event loop (tens of ms at
        # concurrency 32), more than the few milliseconds this blocks the loop. Its lock wait
        # is bounded, so a long transaction elsewhere cannot stall the loop: past the bound,
        # nothing was written and the thread pool records it instead.
        try:
            out = _lookup_answers(runtime, body, queries, results, principal, INLINE_LOCK_MS)
        except decisions.LockBusy:
            out = await run_in_threadpool(
                _lookup_answers, runtime, body, queries, results, principal
            )
    elif records:
        out = await run_in_threadpool(_lookup_answers, runtime, body, queries, results, principal)
    else:
        out = _lookup_answers(runtime, body, queries, results, principal)
    runtime.metrics.latency.labels("lookup").observe(time.perf_counter() - started)
    return LookupResponse(results=out)


def _lookup_query(i: int, item) -> Query:
    exact: dict[str, str] = {}
    pdq = None
    for name, value in item.signals.items():
        field = f"items.{i}.signals.{name}"
        try:
            kind = signal_type(name).name
            parsed = signal_type(kind).parse(value)
        except UnknownSignalType as exc:
            raise ApiError(422, "unknown_signal_type", str(exc), field) from None
        except SignalParseError as exc:
            raise ApiError(422, "invalid_signal", str(exc), field) from None
        if kind == "pdq":
            pdq = PdqHash.parse(parsed, item.pdq_quality if item.pdq_quality is not None else 100)
        else:
            exact[kind] = parsed
    return Query(exact=exact, pdq=pdq)


def _lookup_answers(
    runtime, body: LookupRequest, queries, results, principal, lock_timeout_ms: int | None = None
) -> list[Verdict]:
    """Decide each item; record those with a context or a match (this part may write).
    Verdicts are counted once all are recorded: a LockBusy part-way means a second call."""
    out = []
    counted = []
    for item, query, result in zip(body.items, queries, results, strict=True):
        decision = runtime.policy.decide(result)
        hashes = Hashes(
            **query.exact,
            pdq=query.pdq.hex if query.pdq else None,
            pdq_quality=query.pdq.quality if query.pdq else None,
            pdq_usable=query.pdq.usable if query.pdq else None,
        )
        recorded = None
        if item.context is not None or result.matches:
            ctx = item.context or MediaContext(platform=principal.key.name[:64])
            signals = Signals(
                dict(query.exact) | ({"pdq": query.pdq.hex} if query.pdq else {}),
                query.pdq.quality if query.pdq else None,
            )
            recorded = decisions.record(
                runtime.store,
                Context(**ctx.model_dump()),
                signals,
                result,
                decision,
                kind="lookup",
                api_key_prefix=principal.key.prefix,
                actor=principal.actor,
                lock_timeout_ms=lock_timeout_ms,
            )
            if recorded.duplicate:
                out.append(answers.replay(runtime.store, recorded.sighting_id))
                continue
        counted.append(decision)
        out.append(answers.fresh(result, decision, hashes, recorded))
    for decision in counted:
        runtime.metrics.verdicts.labels(decision.verdict, decision.rule).inc()
    return out
