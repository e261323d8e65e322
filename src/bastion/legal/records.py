"""The account data the desk may disclose, as the platform recorded it: phone numbers and IP
events (sign-up, login, upload), plus the sender IP of matched uploads the service already keeps
with each sighting. Nothing else about users is recorded for the desk, and all of it is purged
after the retention period unless an open request names the account.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update

from bastion import audit
from bastion.audit import Actor
from bastion.legal.requests import Scope
from bastion.store.db import Store
from bastion.store.models import (
    AccountIdentifierRow,
    AccountIpEventRow,
    MatchRow,
    SightingRow,
)
from bastion.store.types import utcnow

ACTIONS = ("signup", "login", "upload")
# Telegram's policy lets metadata be kept for up to 12 months [C] (research note §5.1).
DEFAULT_RETENTION_DAYS = 365


class RecordError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class IpEvent:
    platform: str
    account_id: str
    ip: str
    action: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    platform: str
    account_id: str
    phone_number: str
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class Disclosed:
    """One row of a disclosure: an account, a data type, a value and when it was seen."""

    account_id: str
    data_type: str  # "ip_addresses" or "phone_number"
    value: str
    at: datetime
    source: str  # "login", "signup", "upload", "matched_upload" or "account"


def check_ip(value: str, field: str = "ip") -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise RecordError(f"{value[:64]!r} is not an IPv4 or IPv6 address", field) from None


def check_phone(value: str, field: str = "phone_number") -> str:
    """E.164: a plus sign and 8 to 15 digits (ITU-T E.164 allows at most 15)."""
    digits = value.strip().replace(" ", "").replace("-", "")
    if not (digits.startswith("+") and digits[1:].isdigit() and 8 <= len(digits) - 1 <= 15):
        raise RecordError("phone_number must be in E.164 form, e.g. +447700900123", field)
    return digits


def record_ip_events(
    store: Store, events: Sequence[IpEvent], actor: Actor, key_prefix: str | None = None
) -> int:
    for i, e in enumerate(events):
        if e.action not in ACTIONS:
            raise RecordError(f"action must be one of {', '.join(ACTIONS)}", f"events.{i}.action")
        check_ip(e.ip, f"events.{i}.ip")
    now = utcnow()
    with store.session() as s:
        s.add_all(
            AccountIpEventRow(
                platform=e.platform,
                account_id=e.account_id,
                ip=check_ip(e.ip),
                action=e.action,
                at=e.at,
                recorded_at=now,
                api_key_prefix=key_prefix,
            )
            for e in events
        )
        audit.append(s, actor.event("accounts.ip_events", count=len(events)))
    return len(events)


def record_phone(
    store: Store, phone: PhoneNumber, actor: Actor, key_prefix: str | None = None
) -> None:
    value = check_phone(phone.phone_number)
    with store.session() as s:
        s.add(
            AccountIdentifierRow(
                platform=phone.platform,
                account_id=phone.account_id,
                kind="phone_number",
                value=value,
                observed_at=phone.observed_at,
                recorded_at=utcnow(),
                api_key_prefix=key_prefix,
            )
        )
        # Neither the number nor the account goes into the trail: auditors read it, and which
        # accounts the desk holds data on is for the legal role only.
        audit.append(s, actor.event("accounts.identifier", platform=phone.platform))


# -- what a scope selects --------------------------------------------------------------------


def select_in_scope(store: Store, scope: Scope) -> list[Disclosed]:
    """Every record `scope` covers, filtered by account, data type and period in the queries
    themselves; the package filters again before writing."""
    found: list[Disclosed] = []
    accounts = list(scope.accounts)
    with store.session() as s:
        if "ip_addresses" in scope.data_types:
            for e in s.scalars(
                select(AccountIpEventRow).where(
                    AccountIpEventRow.platform == scope.platform,
                    AccountIpEventRow.account_id.in_(accounts),
                    AccountIpEventRow.at >= scope.date_from,
                    AccountIpEventRow.at < scope.date_to,
                )
            ):
                found.append(Disclosed(e.account_id, "ip_addresses", e.ip, e.at, e.action))
            matched = exists().where(MatchRow.sighting_id == SightingRow.id)
            when = SightingRow.received_at
            for row in s.scalars(
                select(SightingRow).where(
                    SightingRow.platform == scope.platform,
                    SightingRow.sender_account_id.in_(accounts),
                    SightingRow.sender_ip.is_not(None),
                    when >= scope.date_from,
                    when < scope.date_to,
                    matched,
                )
            ):
                found.append(
                    Disclosed(
                        row.sender_account_id or "",
                        "ip_addresses",
                        row.sender_ip or "",
                        row.received_at,
                        "matched_upload",
                    )
                )
        if "phone_number" in scope.data_types:
            for p in s.scalars(
                select(AccountIdentifierRow).where(
                    AccountIdentifierRow.platform == scope.platform,
                    AccountIdentifierRow.account_id.in_(accounts),
                    AccountIdentifierRow.kind == "phone_number",
                    AccountIdentifierRow.observed_at >= scope.date_from,
                    AccountIdentifierRow.observed_at < scope.date_to,
                )
            ):
                found.append(
                    Disclosed(p.account_id, "phone_number", p.value, p.observed_at, "account")
                )
    return sorted(found, key=lambda d: (d.account_id, d.data_type, d.at, d.value))


# -- retention -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Purged:
    ip_events: int
    identifiers: int
    sighting_ips: int
    preserved_accounts: int


def purge(
    store: Store,
    retention_days: int,
    actor: Actor,
    preserved: Iterable[tuple[str, str]] = (),
    now: datetime | None = None,
) -> Purged:
    """Delete account data older than the retention period, except for accounts an open
    request names, and drop the sender IP of old sightings that never matched (a matched
    upload's IP stays with its match as evidence)."""
    if retention_days < 1:
        raise RecordError("the retention period must be at least 1 day", "retention_days")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    keep = set(preserved)
    with store.session() as s:
        ip_rows = s.execute(
            select(
                AccountIpEventRow.id, AccountIpEventRow.platform, AccountIpEventRow.account_id
            ).where(AccountIpEventRow.at < cutoff)
        ).all()
        ip_ids = [i for i, p, a in ip_rows if (p, a) not in keep]
        id_rows = s.execute(
            select(
                AccountIdentifierRow.id,
                AccountIdentifierRow.platform,
                AccountIdentifierRow.account_id,
            ).where(AccountIdentifierRow.observed_at < cutoff)
        ).all()
        ident_ids = [i for i, p, a in id_rows if (p, a) not in keep]
        for chunk in _chunks(ip_ids):
            s.execute(delete(AccountIpEventRow).where(AccountIpEventRow.id.in_(chunk)))
        for chunk in _chunks(ident_ids):
            s.execute(delete(AccountIdentifierRow).where(AccountIdentifierRow.id.in_(chunk)))
        unmatched = ~exists().where(MatchRow.sighting_id == SightingRow.id)
        cleared = s.execute(
            update(SightingRow)
            .where(SightingRow.received_at < cutoff, SightingRow.sender_ip.is_not(None), unmatched)
            .values(sender_ip=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        result = Purged(len(ip_ids), len(ident_ids), cleared, len(keep))
        audit.append(
            s,
            actor.event(
                "accounts.purge",
                retention_days=retention_days,
                cutoff=cutoff,
                ip_events=result.ip_events,
                identifiers=result.identifiers,
                sighting_ips=result.sighting_ips,
                preserved_accounts=result.preserved_accounts,
            ),
        )
    return result


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
