"""Account data for the lawful-request desk: the platform records phone numbers and IP events
(sign-up, login, upload); an admin purges what is older than the retention period. Nothing
here reads the data back: only a legal request's package discloses it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bastion.audit import Actor
from bastion.keys import Role
from bastion.legal import desk, records
from bastion.service.auth import Principal, require, roles_extra
from bastion.service.errors import ApiError
from bastion.store.types import utcnow

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])
RECORDERS = (Role.PLATFORM,)
PURGERS = (Role.ADMIN,)


class IpEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: str = Field(..., min_length=1, max_length=64)
    account_id: str = Field(..., min_length=1, max_length=128)
    ip: str = Field(..., min_length=2, max_length=64, examples=["192.0.2.10"])
    action: str = Field(..., pattern="^(signup|login|upload)$")
    at: AwareDatetime = Field(..., description="When, with a timezone (e.g. ...Z)")


class IpEventsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[IpEventIn] = Field(..., min_length=1, max_length=1000)


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    platform: str = Field(..., min_length=1, max_length=64)
    account_id: str = Field(..., min_length=1, max_length=128)
    phone_number: str = Field(..., max_length=32, examples=["+447700900123"])
    observed_at: AwareDatetime | None = Field(None, description="Default: now")


class Recorded(BaseModel):
    recorded: int


class PurgedOut(BaseModel):
    retention_days: int
    ip_events: int
    identifiers: int
    sighting_ips: int
    preserved_accounts: int


def _actor(p: Principal) -> Actor:
    return Actor(p.actor, p.role, p.remote_addr)


@router.post(
    "/ip-events",
    response_model=Recorded,
    status_code=201,
    summary="Record IP events (sign-up, login, upload) of accounts",
    openapi_extra=roles_extra(*RECORDERS),
)
def record_ip_events(
    request: Request, body: IpEventsIn, principal: Principal = require(*RECORDERS)
) -> Recorded:
    events = [records.IpEvent(e.platform, e.account_id, e.ip, e.action, e.at) for e in body.events]
    try:
        n = records.record_ip_events(
            request.app.state.runtime.store, events, _actor(principal), principal.key.prefix
        )
    except records.RecordError as exc:
        raise ApiError(422, "invalid_record", str(exc), exc.field) from None
    return Recorded(recorded=n)


@router.post(
    "/phone-numbers",
    response_model=Recorded,
    status_code=201,
    summary="Record an account's phone number (E.164)",
    openapi_extra=roles_extra(*RECORDERS),
)
def record_phone(
    request: Request, body: PhoneIn, principal: Principal = require(*RECORDERS)
) -> Recorded:
    phone = records.PhoneNumber(
        body.platform, body.account_id, body.phone_number, body.observed_at or utcnow()
    )
    try:
        records.record_phone(
            request.app.state.runtime.store, phone, _actor(principal), principal.key.prefix
        )
    except records.RecordError as exc:
        raise ApiError(422, "invalid_record", str(exc), exc.field) from None
    return Recorded(recorded=1)


@router.post(
    "/purge",
    response_model=PurgedOut,
    summary="Delete account data older than the retention period (open requests' accounts kept)",
    openapi_extra=roles_extra(*PURGERS),
)
def purge(request: Request, principal: Principal = require(*PURGERS)) -> PurgedOut:
    runtime = request.app.state.runtime
    days = runtime.settings.account_retention_days
    done = records.purge(runtime.store, days, _actor(principal), desk.open_accounts(runtime.store))
    return PurgedOut(retention_days=days, **{f: getattr(done, f) for f in done.__slots__})
