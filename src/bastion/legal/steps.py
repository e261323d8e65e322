"""Each desk step as one call with plain values, shared by the API and the UI so both apply
the same rules and write the same audit records."""

from __future__ import annotations

from datetime import datetime

from bastion.audit import Actor
from bastion.legal import desk, package
from bastion.legal import requests as rq
from bastion.legal.policy import DisclosurePolicy
from bastion.legal.requests import LegalRequest, Scope
from bastion.store.db import Store
from bastion.store.types import utcnow


def verify(
    store: Store, request_id: int, checks: list[str], note: str, actor: Actor
) -> LegalRequest:
    return desk.apply(
        store,
        request_id,
        lambda r: rq.verify(r, tuple(checks), actor.name, utcnow(), note),
        actor,
        "legal.verify",
        {"checks": sorted(checks)},
    )


def review(
    store: Store,
    policy: DisclosurePolicy,
    request_id: int,
    decision: str,
    reasons: str,
    actor: Actor,
    accounts: list[str] | None = None,
    data_types: list[str] | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> LegalRequest:
    """Accounts, data types and dates left out default to what was requested."""

    def step(r: LegalRequest) -> LegalRequest:
        asked = r.intake.requested
        scope = Scope(
            asked.platform,
            tuple(accounts) if accounts else asked.accounts,
            tuple(data_types) if data_types else asked.data_types,
            date_from or asked.date_from,
            date_to or asked.date_to,
        )
        return rq.review(r, policy, decision, reasons, actor.name, utcnow(), scope)

    after = desk.apply(store, request_id, step, actor, "legal.review", {"decision": decision})
    return after


def approve(store: Store, request_id: int, note: str, actor: Actor) -> LegalRequest:
    return desk.apply(
        store,
        request_id,
        lambda r: rq.approve(r, actor.name, utcnow(), note),
        actor,
        "legal.approve",
    )


def produce(
    store: Store, policy: DisclosurePolicy, request_id: int, key_path, actor: Actor
) -> LegalRequest:
    return package.produce(store, request_id, policy, key_path, actor)


def deliver(
    store: Store, request_id: int, method: str, recipient: str, note: str, actor: Actor
) -> LegalRequest:
    return desk.apply(
        store,
        request_id,
        lambda r: rq.deliver(r, actor.name, utcnow(), method, recipient, note),
        actor,
        "legal.deliver",
        {"method": method},
    )


def reject(store: Store, request_id: int, reasons: str, actor: Actor) -> LegalRequest:
    return desk.apply(
        store,
        request_id,
        lambda r: rq.reject(r, reasons, actor.name, utcnow()),
        actor,
        "legal.reject",
    )
