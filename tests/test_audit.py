"""The hash-chained audit trail: `bastion audit verify` detects edits, deletions, reordering."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import text

from bastion import audit
from bastion.audit import Actor


def fill(store, n: int = 5) -> None:
    actor = Actor("tester", "admin", "127.0.0.1")
    for i in range(n):
        audit.record(store, actor.event("test.event", "thing", str(i), n=i))


def test_an_untouched_chain_verifies(store) -> None:
    fill(store)
    report = audit.verify(store)
    assert report.ok and report.checked == 5


def test_an_edited_record_is_detected(store) -> None:
    fill(store)
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE id = 3"))
    report = audit.verify(store)
    assert not report.ok and any("record 3: its content was changed" in p for p in report.problems)


def test_a_deleted_record_is_detected(store) -> None:
    fill(store)
    with store.engine.begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE id = 2"))
    problems = audit.verify(store).problems
    assert any("record 3" in p and ("missing" in p or "link" in p) for p in problems)


def test_deleting_the_newest_record_is_detected_through_the_head(store) -> None:
    fill(store)
    with store.engine.begin() as c:
        c.execute(text("DELETE FROM audit_log WHERE id = 5"))
    assert any("chain head names record 5" in p for p in audit.verify(store).problems)


def test_reordered_records_are_detected(store) -> None:
    fill(store)
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET id = 100 WHERE id = 2"))
        c.execute(text("UPDATE audit_log SET id = 2 WHERE id = 4"))
        c.execute(text("UPDATE audit_log SET id = 4 WHERE id = 100"))
    report = audit.verify(store)
    assert not report.ok and len(report.problems) >= 2


def test_concurrent_appends_form_one_chain(store) -> None:
    import threading

    actor = Actor("t", "admin")
    threads = [
        threading.Thread(
            target=lambda i=i: [audit.record(store, actor.event("c", n=i)) for _ in range(10)]
        )
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = audit.verify(store)
    assert report.ok and report.checked == 40


def test_cli_verify_exits_non_zero_on_tampering(tmp_path) -> None:
    from bastion.store import Store

    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(url)
    fill(store)
    env = {"BASTION_DATABASE_URL": url, "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [sys.executable, "-m", "bastion", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0 and "5 records verified" in ok.stdout
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_log SET details = '{}' WHERE id = 1"))
    bad = subprocess.run(
        [sys.executable, "-m", "bastion", "audit", "verify"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 1 and "record 1: its content was changed" in bad.stderr


def test_bank_changes_are_audited_in_the_same_transaction(store, tmp_path) -> None:
    from bastion.banks import formats
    from bastion.store.banks import BankStore

    banks = BankStore(store, Actor("importer", "admin"))
    banks.create("b", "iwf")
    path = tmp_path / "l.txt"
    path.write_text("0" * 31 + "1\n")
    banks.import_items("b", formats.read(path, "text"))
    actions = [r.action for r in reversed(audit.tail(store))]
    assert actions == ["bank.create", "bank.import"]
    assert audit.verify(store).ok


def test_tail_filters_by_action_prefix_actor_and_target(store) -> None:
    trail = audit
    rita, sam = Actor("user:rita", "reviewer"), Actor("user:sam", "admin")
    trail.record(store, rita.event("review.reveal", "sighting", "1"))
    trail.record(store, rita.event("review.confirm", "sighting", "1"))
    trail.record(store, sam.event("review_other.x", "sighting", "2"))
    trail.record(store, sam.event("key.create", "api_key", "bst_1"))
    assert [r.action for r in trail.tail(store, action="review.")] == [
        "review.confirm",
        "review.reveal",
    ]
    assert len(trail.tail(store, actor="user:sam")) == 2
    assert [r.action for r in trail.tail(store, target_type="sighting", target_id="2")] == [
        "review_other.x"
    ]
