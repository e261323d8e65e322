"""The lawful-request desk without the web: the lifecycle's rules, the package's scope, its
signature, retention, reminders and the transparency report. Real database (SQLite; the scope
test also on PostgreSQL), real files, synthetic account data only."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bastion import audit
from bastion.legal import desk, package, records, signing, transparency
from bastion.legal import requests as rq
from bastion.legal.policy import DEFAULT_POLICY, DisclosurePolicy, PolicyError
from bastion.legal.reminders import reminders
from bastion.legal.verify import verify_package
from bastion.store import Store
from tests.legal_support import (
    ACCOUNTS,
    AFTER,
    BEFORE,
    END,
    INSIDE,
    LEGAL_1,
    LEGAL_2,
    NAMED,
    PLATFORM,
    START,
    intake,
    ip_for,
    phone_for,
    received,
    seed_accounts,
    seed_matched_upload,
)

T = datetime(2026, 8, 6, tzinfo=UTC)
CHECKS = tuple(rq.CHECKS)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """One migrated SQLite store for the module: the accounts and one matched upload."""
    s = Store.open(f"sqlite:///{tmp_path_factory.mktemp('legal') / 'legal.db'}")
    seed_accounts(s)
    seed_matched_upload(s, "acct-2", "192.0.2.200", "m-1")
    seed_matched_upload(s, "acct-4", "192.0.2.204", "m-4")
    yield s
    s.close()


@pytest.fixture(scope="module")
def key_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "legal.pem"
    signing.generate(path)
    return path


def pure(**kw) -> rq.LegalRequest:
    return rq.LegalRequest(1, intake(**kw), T, "user:lou")


def reviewed(scope: rq.Scope | None = None, **kw) -> rq.LegalRequest:
    r = rq.verify(pure(**kw), CHECKS, "user:lou", T)
    return rq.review(
        r, DEFAULT_POLICY, "approve", "valid order", "user:lou", T, scope or r.intake.requested
    )


def approved(scope: rq.Scope | None = None, **kw) -> rq.LegalRequest:
    r = rq.approve(reviewed(scope, **kw), "user:lou", T)
    return rq.approve(r, "user:max", T)


def run_flow(store, key_path, scope=None, **kw) -> rq.LegalRequest:
    """Intake to produced through the store, with two different officers approving."""
    r = received(store, **kw)
    r = desk.apply(
        store, r.id, lambda x: rq.verify(x, CHECKS, LEGAL_1.name, T), LEGAL_1, "legal.verify"
    )
    r = desk.apply(
        store,
        r.id,
        lambda x: rq.review(
            x, DEFAULT_POLICY, "approve", "valid", LEGAL_1.name, T, scope or x.intake.requested
        ),
        LEGAL_1,
        "legal.review",
    )
    for officer in (LEGAL_1, LEGAL_2):
        r = desk.apply(
            store, r.id, lambda x, o=officer: rq.approve(x, o.name, T), officer, "legal.approve"
        )
    return package.produce(store, r.id, DEFAULT_POLICY, key_path, LEGAL_2)


def records_in(zip_bytes: bytes) -> list[dict]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        return json.loads(z.read("data.json"))["records"]


# -- the lifecycle ---------------------------------------------------------------------------


def test_a_request_moves_from_received_to_approved_only_in_order() -> None:
    r = pure()
    assert r.state == "received"
    with pytest.raises(rq.StepRefused, match="received; legal review needs it to be verified"):
        rq.review(r, DEFAULT_POLICY, "approve", "ok", "user:lou", T, r.intake.requested)
    with pytest.raises(rq.StepRefused, match="approval needs it to be reviewed"):
        rq.approve(r, "user:lou", T)
    assert reviewed().state == "reviewed"
    assert approved().state == "approved"


def test_verification_needs_every_check_and_names_the_missing_ones() -> None:
    with pytest.raises(rq.StepRefused, match="missing: channel") as refused:
        rq.verify(pure(), ("identity", "document"), "user:lou", T)
    assert refused.value.field == "checks"


def test_one_person_cannot_approve_twice() -> None:
    once = rq.approve(reviewed(), "user:lou", T)
    with pytest.raises(rq.StepRefused, match="already approved") as refused:
        rq.approve(once, "user:lou", T + timedelta(minutes=5))
    assert refused.value.conflict
    assert once.state == "reviewed"  # one approval is not enough


def test_an_unapproved_request_produces_nothing(db, key_path) -> None:
    r = received(db)
    r = desk.apply(
        db, r.id, lambda x: rq.verify(x, CHECKS, LEGAL_1.name, T), LEGAL_1, "legal.verify"
    )
    r = desk.apply(
        db,
        r.id,
        lambda x: rq.review(
            x, DEFAULT_POLICY, "approve", "ok", LEGAL_1.name, T, x.intake.requested
        ),
        LEGAL_1,
        "legal.review",
    )
    r = desk.apply(db, r.id, lambda x: rq.approve(x, LEGAL_1.name, T), LEGAL_1, "legal.approve")
    with pytest.raises(rq.StepRefused, match="nothing may be produced"):
        package.produce(db, r.id, DEFAULT_POLICY, key_path, LEGAL_1)
    with pytest.raises(desk.NotFound):
        desk.document(db, r.id, "package")
    assert desk.get(db, r.id).production is None


def test_the_review_refuses_data_types_the_policy_does_not_allow() -> None:
    r = rq.verify(pure(data_types=("ip_addresses", "messages")), CHECKS, "user:lou", T)
    with pytest.raises(rq.StepRefused, match="messages may not be disclosed") as refused:
        rq.review(r, DEFAULT_POLICY, "approve", "ok", "user:lou", T, r.intake.requested)
    assert refused.value.field == "data_types"
    partial = replace(r.intake.requested, data_types=("ip_addresses",))
    done = rq.review(
        r, DEFAULT_POLICY, "approve", "messages are not disclosable", "user:lou", T, partial
    )
    assert done.review.scope.data_types == ("ip_addresses",)


def test_the_review_refuses_a_basis_the_country_does_not_accept_and_too_long_a_period() -> None:
    r = rq.verify(pure(country="US", basis="production_order"), CHECKS, "user:lou", T)
    with pytest.raises(rq.StepRefused, match="production_order is not accepted from US"):
        rq.review(r, DEFAULT_POLICY, "approve", "ok", "user:lou", T, r.intake.requested)
    short = DisclosurePolicy(max_range_days=7)
    r = rq.verify(pure(), CHECKS, "user:lou", T)
    with pytest.raises(rq.StepRefused, match="longer than the policy's 7 days"):
        rq.review(r, short, "approve", "ok", "user:lou", T, r.intake.requested)


def test_the_approved_scope_cannot_reach_beyond_what_was_requested() -> None:
    r = rq.verify(pure(), CHECKS, "user:lou", T)
    wider = replace(r.intake.requested, accounts=ACCOUNTS)
    with pytest.raises(rq.StepRefused, match="within what was requested"):
        rq.review(r, DEFAULT_POLICY, "approve", "ok", "user:lou", T, wider)


def test_a_rejection_needs_reasons_and_closes_the_request() -> None:
    with pytest.raises(rq.StepRefused, match="reasons"):
        rq.reject(pure(), " ", "user:lou", T)
    done = rq.reject(pure(), "not a judicial order", "user:lou", T)
    assert done.state == "rejected" and done.outcome == "rejected"
    with pytest.raises(rq.StepRefused, match="rejected"):
        rq.verify(done, CHECKS, "user:lou", T)


def test_the_emergency_path_discloses_first_and_requires_review_within_72_hours() -> None:
    r = rq.verify(pure(basis="emergency", data_types=("ip_addresses", "messages")), CHECKS, "a", T)
    scope = rq.disclosure_scope(r, DEFAULT_POLICY)
    assert scope.data_types == ("ip_addresses",)  # still only what the policy allows
    produced = rq.produce(r, DEFAULT_POLICY, "a", T, "0" * 64, 3)
    assert produced.review_pending and produced.review_due == T + timedelta(hours=72)
    due = reminders([produced], T + timedelta(hours=71))
    assert [m.what for m in due] == ["emergency review"] and not due[0].overdue
    assert reminders([produced], T + timedelta(hours=73))[0].overdue
    later = rq.review(produced, DEFAULT_POLICY, "approve", "justified", "a", T, scope)
    later = rq.approve(rq.approve(later, "a", T), "b", T)
    assert not later.review_pending and later.review.retrospective
    unjustified = rq.review(produced, DEFAULT_POLICY, "reject", "no threat to life", "a", T)
    assert not unjustified.review_pending and unjustified.state == "produced"


def test_intake_names_the_field_at_fault() -> None:
    for bad, field in (
        (replace(intake(), country="Britain"), "country"),
        (replace(intake(), basis="letter"), "basis"),
        (replace(intake(), requested=replace(intake().requested, accounts=())), "accounts"),
        (replace(intake(), requested=replace(intake().requested, date_to=START)), "date_to"),
    ):
        with pytest.raises(rq.StepRefused) as refused:
            rq.check_intake(bad)
        assert refused.value.field == field


# -- the package -----------------------------------------------------------------------------


def test_a_request_for_three_accounts_never_discloses_a_fourth(db, key_path) -> None:
    done = run_flow(db, key_path)
    found = records_in(desk.document(db, done.id, "package").content)
    assert {r["account_id"] for r in found} == set(NAMED)
    assert "acct-4" not in json.dumps(found) and ip_for("acct-4", "inside") not in json.dumps(found)
    assert "192.0.2.204" not in json.dumps(found)  # acct-4's matched upload


def test_data_outside_the_date_range_or_of_another_type_never_appears(db, key_path) -> None:
    scope = rq.Scope(PLATFORM, NAMED, ("ip_addresses",), START, END)
    done = run_flow(db, key_path, scope=scope)
    found = records_in(desk.document(db, done.id, "package").content)
    assert {r["data_type"] for r in found} == {"ip_addresses"}
    values = {r["value"] for r in found}
    for a in NAMED:
        assert ip_for(a, "inside") in values
        assert ip_for(a, "before") not in values and ip_for(a, "after") not in values
        assert phone_for(a, "inside") not in values
    assert "192.0.2.200" in values  # acct-2's matched upload, inside the period
    assert all(START <= datetime.fromisoformat(r["observed_at_utc"]) < END for r in found)
    assert done.outcome == "pending"  # produced, not yet delivered


def test_the_package_builder_drops_rows_outside_the_scope_whatever_it_is_given(key_path) -> None:
    r = approved()
    smuggled = [
        records.Disclosed("acct-4", "ip_addresses", "192.0.2.4", INSIDE, "login"),
        records.Disclosed("acct-1", "phone_number", "+447700900301", AFTER, "account"),
        records.Disclosed("acct-1", "ip_addresses", "198.51.100.1", BEFORE, "login"),
        records.Disclosed("acct-1", "messages", "hello", INSIDE, "login"),
        records.Disclosed("acct-1", "ip_addresses", "192.0.2.1", INSIDE, "login"),
    ]
    data, count = package.build(r, r.review.scope, smuggled, signing.load_private(key_path), T, "a")
    assert count == 1 and [x["value"] for x in records_in(data)] == ["192.0.2.1"]


def test_a_signed_package_verifies_and_any_change_is_caught(db, key_path, tmp_path) -> None:
    done = run_flow(db, key_path)
    path = tmp_path / "p.zip"
    path.write_bytes(desk.document(db, done.id, "package").content)
    verdict = verify_package(path, key_path.with_suffix(".pub.pem"))
    assert verdict.ok, verdict.problems
    assert verdict.manifest["approved_by"] == [LEGAL_1.name, LEGAL_2.name]
    assert {f["name"] for f in verdict.manifest["files"]} == set(package.DATA_FILES)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    assert files["cover-letter.pdf"].startswith(b"%PDF")
    files["data.csv"] += b"acct-4,ip_addresses,192.0.2.4,2026-07-15T12:00:00+00:00,login\n"
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(tampered, "w") as z:
        for n, d in files.items():
            z.writestr(n, d)
    assert "data.csv: SHA-256 differs" in " ".join(verify_package(tampered).problems)
    other = tmp_path / "other.pem"
    signing.generate(other)
    assert not verify_package(path, other.with_suffix(".pub.pem")).ok


def test_producing_without_a_signing_key_says_how_to_make_one(db) -> None:
    r = received(db)
    for step in (
        lambda x: rq.verify(x, CHECKS, "a", T),
        lambda x: rq.review(x, DEFAULT_POLICY, "approve", "ok", "a", T, x.intake.requested),
        lambda x: rq.approve(x, "a", T),
        lambda x: rq.approve(x, "b", T),
    ):
        desk.apply(db, r.id, step, LEGAL_1, "legal.step")
    with pytest.raises(package.PackageError, match="bastion legal keygen"):
        package.produce(db, r.id, DEFAULT_POLICY, None, LEGAL_1)


def test_every_step_is_in_the_audit_trail_and_the_chain_holds(db, key_path) -> None:
    done = run_flow(db, key_path)
    trail = [
        (a.action, a.actor)
        for a in reversed(audit.tail(db, 50, target_id=str(done.id), target_type="legal_request"))
    ]
    assert trail == [
        ("legal.receive", LEGAL_1.name),
        ("legal.verify", LEGAL_1.name),
        ("legal.review", LEGAL_1.name),
        ("legal.approve", LEGAL_1.name),
        ("legal.approve", LEGAL_2.name),
        ("legal.produce", LEGAL_2.name),
    ]
    assert audit.verify(db).ok


def test_a_concurrent_step_conflicts_instead_of_overwriting(db) -> None:
    r = received(db)

    def verify_while_another_officer_verifies(current: rq.LegalRequest) -> rq.LegalRequest:
        desk.apply(db, r.id, lambda x: rq.verify(x, CHECKS, "b", T), LEGAL_2, "legal.verify")
        return rq.verify(current, CHECKS, "a", T)

    with pytest.raises(rq.StepRefused, match="changed by someone else"):
        desk.apply(db, r.id, verify_while_another_officer_verifies, LEGAL_1, "legal.verify")
    assert desk.get(db, r.id).verification.by == "b"


# -- retention, transparency, policy ---------------------------------------------------------


def test_purge_deletes_old_account_data_but_keeps_accounts_an_open_request_names(tmp_path) -> None:
    s = Store.open(f"sqlite:///{tmp_path / 'purge.db'}")
    seed_accounts(s)
    seed_matched_upload(s, "acct-1", "192.0.2.100", "m-p")
    now = datetime(2026, 9, 1, tzinfo=UTC)
    done = records.purge(s, 60, LEGAL_1, preserved={(PLATFORM, "acct-1")}, now=now)
    # Before 3 July 2026 is older than 60 days: the June login of acct-2..4 goes, acct-1's stays.
    assert (done.ip_events, done.identifiers) == (3, 0)
    kept = records.select_in_scope(s, rq.Scope(PLATFORM, ACCOUNTS, ("ip_addresses",), BEFORE, END))
    assert {d.value for d in kept if d.at == BEFORE} == {ip_for("acct-1", "before")}
    assert any(d.source == "matched_upload" for d in kept)  # a match's IP stays with it
    with pytest.raises(records.RecordError, match="at least 1 day"):
        records.purge(s, 0, LEGAL_1)
    s.close()


def test_the_transparency_report_counts_outcomes_and_accounts_per_country() -> None:
    delivered = rq.deliver(
        rq.produce(approved(), DEFAULT_POLICY, "a", T, "0" * 64, 5), "a", T, "portal", "DC Example"
    )
    narrowed = rq.Scope(PLATFORM, NAMED[:2], ("ip_addresses",), START, END)
    partial = rq.deliver(
        rq.produce(
            approved(narrowed, country="US", basis="warrant"), DEFAULT_POLICY, "a", T, "0" * 64, 2
        ),
        "a",
        T,
        "portal",
        "SA Example",
    )
    rejected = rq.reject(pure(country="US"), "no judicial order", "a", T)
    rep = transparency.report(
        transparency.Quarter.parse("2026Q3"), [delivered, partial, rejected, pure()]
    )
    gb, us = rep.countries
    assert (gb.country, gb.received, gb.fulfilled, gb.pending, gb.accounts_affected) == (
        "GB",
        2,
        1,
        1,
        3,
    )
    assert (us.received, us.partial, us.rejected, us.accounts_affected) == (2, 1, 1, 2)
    assert rep.total.accounts_affected == 3  # acct-1 and acct-2 counted once
    assert transparency.as_csv(rep).splitlines()[1] == "2026Q3,GB,2,1,0,0,1,3"
    assert json.loads(transparency.as_json(rep))["total"]["received"] == 4
    html = transparency.as_html(rep)
    assert "<svg" in html and "partly fulfilled" in html


def test_quarters_parse_and_bound_correctly() -> None:
    q = transparency.Quarter.parse("2026Q4")
    assert (q.start, q.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(transparency.QuarterError, match="2026Q3"):
        transparency.Quarter.parse("Q3 2026")
    with pytest.raises(transparency.QuarterError, match="between 1970 and 9998"):
        transparency.Quarter.parse("0000Q1")  # found by the API fuzz test: was a 500


def test_a_policy_file_cannot_allow_data_the_desk_does_not_hold() -> None:
    with pytest.raises(PolicyError, match="messages"):
        DisclosurePolicy.from_dict({"data_types": ["ip_addresses", "messages"]})
    p = DisclosurePolicy.from_dict(
        {"max_range_days": 90, "bases_by_country": {"fr": ["court_order"]}}
    )
    assert p.bases_for("FR") == frozenset({"court_order"}) and p.max_range_days == 90


def test_bad_account_data_is_refused_with_the_field_named(db) -> None:
    with pytest.raises(records.RecordError) as refused:
        records.record_ip_events(
            db, [records.IpEvent(PLATFORM, "a", "999.1.1.1", "login", T)], LEGAL_1
        )
    assert refused.value.field == "events.0.ip"
    with pytest.raises(records.RecordError, match="E.164"):
        records.record_phone(db, records.PhoneNumber(PLATFORM, "a", "07700 900123", T), LEGAL_1)


def test_the_scope_holds_on_sqlite_and_postgresql(store, key_path) -> None:
    seed_accounts(store)
    seed_matched_upload(store, "acct-4", "192.0.2.204", "pg-4")
    done = run_flow(store, key_path, scope=rq.Scope(PLATFORM, NAMED, ("phone_number",), START, END))
    found = records_in(desk.document(store, done.id, "package").content)
    assert sorted(r["value"] for r in found) == sorted(phone_for(a, "inside") for a in NAMED)


def test_migration_0009_follows_0008_and_downgrades_cleanly(store) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from bastion.store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        assert "legal_requests" not in inspect(connection).get_table_names()
        command.upgrade(config, "head")
        assert {"legal_requests", "legal_documents", "account_ip_events"} <= set(
            inspect(connection).get_table_names()
        )
