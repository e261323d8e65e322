"""Keys, the audit trail, the policy, health and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from bastion import audit, keys
from bastion.audit import Actor
from bastion.keys import KeyError_, Role
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.service.metrics import CONTENT_TYPE
from bastion.service.schemas import (
    AuditOut,
    AuditVerifyOut,
    KeyIn,
    KeyOut,
    NewKeyOut,
    OptionalRowId,
)

router = APIRouter(tags=["admin"])
ADMIN = (Role.ADMIN,)
AUDITORS = (Role.AUDITOR,)
POLICY_READERS = tuple(Role)
METRICS_READERS = (Role.ADMIN, Role.AUDITOR)


def _key_out(k: keys.ApiKey) -> KeyOut:
    return KeyOut(
        prefix=k.prefix,
        role=k.role.value,
        name=k.name,
        status=k.status,
        created_at=k.created_at,
        expires_at=k.expires_at,
        last_used_at=k.last_used_at,
    )


@router.post(
    "/v1/keys",
    response_model=NewKeyOut,
    status_code=201,
    summary="Create an API key (shown once)",
    openapi_extra=roles_extra(*ADMIN),
)
def create_key(request: Request, body: KeyIn, principal: Principal = require(*ADMIN)) -> NewKeyOut:
    runtime = request.app.state.runtime
    try:
        key, secret = keys.create_key(
            runtime.store, body.role, body.name, principal.actor, body.expires_at
        )
    except KeyError_ as exc:
        raise ApiError(422, "invalid_key", str(exc), "role") from None
    actor = Actor(principal.actor, principal.role, principal.remote_addr)
    audit.record(
        runtime.store,
        actor.event("key.create", "api_key", key.prefix, role=key.role.value, name=key.name),
    )
    return NewKeyOut(**_key_out(key).model_dump(), key=secret)


@router.get(
    "/v1/keys",
    response_model=list[KeyOut],
    summary="API keys (never their secrets)",
    openapi_extra=roles_extra(*ADMIN),
)
def list_keys(request: Request, principal: Principal = require(*ADMIN)) -> list[KeyOut]:
    return [_key_out(k) for k in keys.list_keys(request.app.state.runtime.store)]


@router.delete(
    "/v1/keys/{prefix}",
    response_model=KeyOut,
    summary="Revoke an API key",
    openapi_extra=roles_extra(*ADMIN),
)
def revoke_key(request: Request, prefix: str, principal: Principal = require(*ADMIN)) -> KeyOut:
    runtime = request.app.state.runtime
    try:
        key = keys.revoke_key(runtime.store, prefix)
    except KeyError_ as exc:
        raise ApiError(404, "not_found", str(exc), "prefix") from None
    actor = Actor(principal.actor, principal.role, principal.remote_addr)
    audit.record(runtime.store, actor.event("key.revoke", "api_key", prefix))
    return _key_out(key)


@router.get(
    "/v1/audit",
    response_model=list[AuditOut],
    summary="The audit trail, newest first",
    openapi_extra=roles_extra(*AUDITORS),
)
def list_audit(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    before: OptionalRowId = None,
    principal: Principal = require(*AUDITORS),
) -> list[AuditOut]:
    rows = audit.tail(request.app.state.runtime.store, limit, before)
    return [
        AuditOut(
            id=r.id,
            at=r.at,
            actor=r.actor,
            role=r.role,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            remote_addr=r.remote_addr,
            details=r.details,
            record_hash=r.record_hash,
        )
        for r in rows
    ]


@router.get(
    "/v1/audit/verify",
    response_model=AuditVerifyOut,
    summary="Recompute the hash chain",
    openapi_extra=roles_extra(*AUDITORS),
)
def verify_audit(request: Request, principal: Principal = require(*AUDITORS)) -> AuditVerifyOut:
    report = audit.verify(request.app.state.runtime.store)
    return AuditVerifyOut(ok=report.ok, checked=report.checked, problems=report.problems)


@router.get(
    "/v1/policy", summary="The verdict policy in force", openapi_extra=roles_extra(*POLICY_READERS)
)
def get_policy(request: Request, principal: Principal = require(*POLICY_READERS)) -> dict:
    return request.app.state.runtime.policy.as_dict()


@router.get("/healthz", summary="The process is up (open)", openapi_extra={"x-bastion-roles": []})
def healthz() -> dict:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The index is loaded and current (open)",
    openapi_extra={"x-bastion-roles": []},
)
def readyz(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    age = runtime.index_age()
    stale = age > max(5.0, 3 * runtime.settings.index_refresh_seconds)
    body = {
        "status": "ready" if not stale and runtime.refresh_error is None else "not_ready",
        "index_age_seconds": round(age, 3),
        "pdq_entries": runtime.matcher.pdq_entries,
        "error": runtime.refresh_error,
    }
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics of this process",
    openapi_extra=roles_extra(*METRICS_READERS),
)
def metrics(request: Request, principal: Principal = require(*METRICS_READERS)) -> Response:
    runtime = request.app.state.runtime
    runtime.metrics.index_age.set(runtime.index_age())
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)
