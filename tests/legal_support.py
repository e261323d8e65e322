"""Benign synthetic account data for the lawful-request desk: four accounts with IP events and
phone numbers inside and outside a period, and one matched upload with its sender IP. Every
address is from the documentation ranges (RFC 5737, RFC 3849) and every phone number from
Ofcom's drama range (+44 7700 900xxx)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bastion.audit import Actor
from bastion.banks.formats.base import Row
from bastion.legal import desk, records
from bastion.legal import requests as rq
from bastion.store.banks import BankStore
from bastion.store.models import BankEntryRow, MatchRow, SightingRow

PLATFORM = "examplegram"
ACCOUNTS = ("acct-1", "acct-2", "acct-3", "acct-4")
NAMED = ACCOUNTS[:3]  # the request names three; acct-4 must never be disclosed
START = datetime(2026, 7, 1, tzinfo=UTC)
END = datetime(2026, 8, 1, tzinfo=UTC)
INSIDE = datetime(2026, 7, 15, 12, tzinfo=UTC)
BEFORE = datetime(2026, 6, 20, tzinfo=UTC)
AFTER = datetime(2026, 8, 10, tzinfo=UTC)
PLATFORM_ACTOR = Actor("key:platform", "platform")
LEGAL_1 = Actor("user:lou", "legal")
LEGAL_2 = Actor("user:max", "legal")


def ip_for(account: str, when: str) -> str:
    n = ACCOUNTS.index(account) + 1
    return {"inside": f"192.0.2.{n}", "before": f"198.51.100.{n}", "after": f"203.0.113.{n}"}[when]


def phone_for(account: str, when: str) -> str:
    n = ACCOUNTS.index(account) + 1
    return f"+447700900{({'inside': 1, 'before': 2, 'after': 3})[when]}{n:02d}"


def seed_accounts(store) -> None:
    """Every account: a login inside the period and one before and after it; a phone number
    observed inside and one observed after."""
    events = []
    for a in ACCOUNTS:
        for when, at in (("inside", INSIDE), ("before", BEFORE), ("after", AFTER)):
            events.append(records.IpEvent(PLATFORM, a, ip_for(a, when), "login", at))
        for when, at in (("inside", INSIDE), ("after", AFTER)):
            records.record_phone(
                store, records.PhoneNumber(PLATFORM, a, phone_for(a, when), at), PLATFORM_ACTOR
            )
    records.record_ip_events(store, events, PLATFORM_ACTOR)


def seed_matched_upload(store, account: str, ip: str, message: str) -> int:
    """A sighting from `account` with a match, as the service records it (a benign label)."""
    with store.session() as s:
        entry = s.scalar(select(BankEntryRow).limit(1))
    if entry is None:
        banks = BankStore(store)
        banks.create("legal-iwf", "iwf")
        banks.import_items("legal-iwf", [Row(1, "md5", "0" * 31 + "1", "A")])
        with store.session() as s:
            entry = s.scalar(select(BankEntryRow).limit(1))
    with store.session() as s:
        sighting = SightingRow(
            platform=PLATFORM,
            message_id=message,
            sender_account_id=account,
            sender_ip=ip,
            received_at=INSIDE + timedelta(hours=1),
            kind="media",
            signals={},
            verdict="block",
            rule="test",
        )
        s.add(sighting)
        s.flush()
        s.add(
            MatchRow(
                sighting_id=sighting.id,
                bank_id=entry.bank_id,
                entry_id=entry.id,
                signal_type="md5",
                value=entry.value,
                distance=0,
                category="A",
                status="open",
                created_at=INSIDE + timedelta(hours=1),
            )
        )
        return sighting.id


def intake(
    accounts=NAMED,
    data_types=("ip_addresses", "phone_number"),
    basis="court_order",
    country="GB",
    deadline: datetime | None = None,
) -> rq.Intake:
    return rq.Intake(
        reference="CO/2026/0042",
        authority="Example Constabulary",
        country=country,
        officer="DC Example",
        contact="dc.example@police.example",
        basis=basis,
        requested=rq.Scope(PLATFORM, tuple(accounts), tuple(data_types), START, END),
        deadline=deadline or datetime(2026, 9, 30, tzinfo=UTC),
        document_sha256="",
    )


def received(store, **kw) -> rq.LegalRequest:
    """A request for the three named accounts, received in August 2026 (2026Q3)."""
    doc = desk.document_of("order.pdf", "application/pdf", b"%PDF-1.4 synthetic court order")
    return desk.receive(
        store, intake(**kw), doc, LEGAL_1, received_at=datetime(2026, 8, 5, tzinfo=UTC)
    )


def post_account_data(post, windows=("inside", "before", "after")) -> None:
    """Record through the API, as a platform would: a login in each window for each account
    and a phone number observed inside the period. `post(path, json)` returns a response."""
    when = {
        "inside": "2026-07-15T12:00:00Z",
        "before": "2026-06-20T00:00:00Z",
        "after": "2026-08-10T00:00:00Z",
    }
    events = [
        {
            "platform": PLATFORM,
            "account_id": a,
            "ip": ip_for(a, w),
            "action": "login",
            "at": when[w],
        }
        for a in ACCOUNTS
        for w in windows
    ]
    r = post("/v1/accounts/ip-events", json={"events": events})
    assert r.status_code == 201 and r.json() == {"recorded": len(events)}, r.text
    for a in ACCOUNTS:
        r = post(
            "/v1/accounts/phone-numbers",
            json={
                "platform": PLATFORM,
                "account_id": a,
                "phone_number": phone_for(a, "inside"),
                "observed_at": when["inside"],
            },
        )
        assert r.status_code == 201, r.text
