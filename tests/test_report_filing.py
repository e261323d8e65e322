"""Filing hotline reports from confirmed reviews: NCMEC through the CyberTipline API (a fake
server on 127.0.0.1), NCA and IWF as referral documents; never twice; evidence kept a year."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from bastion import audit, outbox, people, review
from bastion.actions import handlers
from bastion.audit import Actor
from bastion.decisions import Context, Signals, record
from bastion.hashing import hash_bytes
from bastion.matching import Matcher, Query
from bastion.policy import DEFAULT_POLICY
from bastion.reports import filing
from bastion.store.banks import BankStore
from bastion.store.types import utcnow
from bastion.synthetic import photo_like_jpeg
from bastion.vault import Vault
from tests.fake_cybertip import FakeCyberTipline


@pytest.fixture
def env(monkeypatch, tmp_path):
    import base64

    monkeypatch.setenv("BASTION_HOME", str(tmp_path))
    monkeypatch.setenv("BASTION_VAULT_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.setenv("BASTION_REPORTER_ORGANISATION", "Examplegram Ltd")
    monkeypatch.setenv("BASTION_REPORTER_EMAIL", "safety@example.org")
    monkeypatch.setenv("BASTION_REPORTER_FIRST_NAME", "Robin")
    monkeypatch.setenv("BASTION_REPORTER_LAST_NAME", "Lee")
    fake = FakeCyberTipline(username="esp", password="pw").start()
    monkeypatch.setenv("BASTION_CYBERTIP_URL", fake.url)
    monkeypatch.setenv("BASTION_CYBERTIP_USERNAME", "esp")
    monkeypatch.setenv("BASTION_CYBERTIP_PASSWORD", "pw")
    monkeypatch.setenv("BASTION_CYBERTIP_BACKOFF_SECONDS", "0.01")
    yield fake
    fake.stop()


def confirmed_sighting(store, hotlines=("ncmec",)) -> int:
    data = photo_like_jpeg(4711)
    hashed = hash_bytes(data, "upload.jpg")
    banks = BankStore(store)
    banks.create("iwf", "iwf")
    from bastion.banks.formats.base import Row

    banks.import_items("iwf", [Row(1, "md5", hashed.digests.md5, "A")])
    result = Matcher(store).match(Query.of(hashed))
    recorded = record(
        store,
        Context(
            "examplegram",
            "m1",
            "c1",
            "public_channel",
            5000,
            "u1",
            "192.0.2.7",
            utcnow() - timedelta(minutes=5),
        ),
        Signals.of(hashed),
        result,
        DEFAULT_POLICY.decide(result),
        kind="media",
        hashed=hashed,
    )
    Vault.from_environment(store).put(recorded.content_id, data, Actor("svc", "platform"))
    reviewer = people.create_user(store, "rev", "reviewer", "correct horse battery")
    review.reveal(store, reviewer, recorded.sighting_id)
    review.decide(store, reviewer, recorded.sighting_id, "confirm", "A", hotlines=hotlines)
    return recorded.sighting_id


def drain(store) -> None:
    worker = outbox.Worker(store, handlers(None), name="w")
    while worker.run_once():
        pass


def test_a_confirmed_report_is_filed_with_ncmec_once_and_evidence_kept_a_year(store, env) -> None:
    confirmed_sighting(store)
    drain(store)
    (draft,) = filing.list_reports(store)
    assert draft.status == "draft" and draft.hotline == "ncmec"
    filing.request_submission(store, draft.id, Actor("admin", "admin"))
    with pytest.raises(filing.FilingError, match="queued"):
        filing.request_submission(store, draft.id, Actor("admin", "admin"))
    drain(store)
    (filed,) = filing.list_reports(store)
    assert filed.status == "acknowledged" and filed.remote_id
    (at_ncmec,) = env.finished_reports()
    assert str(at_ncmec.report_id) == filed.remote_id and len(at_ncmec.files) == 1
    actions = [r.action for r in audit.tail(store, 30)]
    assert "report.acknowledged" in actions and "evidence.read" in actions
    from sqlalchemy import select

    from bastion.store.models import EvidenceRow

    with store.session() as s:
        retain = s.scalar(select(EvidenceRow.retain_until))
    assert retain > utcnow() + timedelta(days=364)


def test_a_transient_ncmec_failure_is_retried_without_filing_twice(store, env) -> None:
    confirmed_sighting(store)
    drain(store)
    (draft,) = filing.list_reports(store)
    filing.request_submission(store, draft.id, Actor("admin", "admin"))
    env.fail_next("/finish", status=503, times=4)  # every attempt of one run
    drain(store)
    assert filing.list_reports(store)[0].status == "queued"
    from sqlalchemy import update

    from bastion.store.models import OutboxRow

    with store.session() as s:
        s.execute(update(OutboxRow).values(next_attempt_at=utcnow()))
    drain(store)
    assert filing.list_reports(store)[0].status == "acknowledged"
    assert len(env.calls("/submit")) == 1


def test_nca_and_iwf_referrals_are_written_as_json_and_pdf(store, env, tmp_path) -> None:
    confirmed_sighting(store, hotlines=("nca", "iwf"))
    drain(store)
    drafts = filing.list_reports(store)
    assert {d.hotline for d in drafts} == {"nca", "iwf"}
    for d in drafts:
        filing.request_submission(store, d.id, Actor("admin", "admin"))
    drain(store)
    for d in filing.list_reports(store):
        assert d.status == "exported"
        folder = tmp_path / "reports" / f"report-{d.id}-{d.hotline}"
        text = (folder / "referral.json").read_text()
        assert "known material" in text and "5000" in text
        assert (folder / "referral.pdf").exists() or (folder / "PDF-NOT-RENDERED.txt").exists()


def test_missing_reporter_configuration_fails_the_report_with_what_to_set(
    store, env, monkeypatch
) -> None:
    confirmed_sighting(store)
    drain(store)
    monkeypatch.delenv("BASTION_REPORTER_EMAIL")
    (draft,) = filing.list_reports(store)
    filing.request_submission(store, draft.id, Actor("admin", "admin"))
    drain(store)
    (failed,) = filing.list_reports(store)
    assert failed.status == "failed" and "BASTION_REPORTER_EMAIL" in failed.error
