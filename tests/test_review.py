"""Review decisions, reveals with a daily limit, and sign-in with lockout."""

from __future__ import annotations

import pytest

from bastion import audit, outbox, people, review
from bastion.decisions import Context, Signals, record
from bastion.matching import Matcher, Query
from bastion.policy import DEFAULT_POLICY
from bastion.store.banks import BankStore


def sighting_with_match(store, md5: str, sender: str = "u1", message: str = "m1") -> int:
    banks = BankStore(store)
    if not banks.exists("iwf"):
        banks.create("iwf", "iwf")
        from bastion.banks.formats.base import Row

        banks.import_items("iwf", [Row(1, "md5", md5, "B")])
    result = Matcher(store).match(Query(exact={"md5": md5}))
    decision = DEFAULT_POLICY.decide(result)
    return record(
        store,
        Context("examplegram", message, "chat1", "public_channel", 5000, sender),
        Signals({"md5": md5}),
        result,
        decision,
        kind="lookup",
    ).sighting_id


@pytest.fixture
def reviewer(store):
    return people.create_user(store, "rita", "reviewer", "correct horse battery", "Rita")


def test_confirm_updates_matches_and_enqueues_webhooks_and_report_drafts_atomically(
    store, reviewer
) -> None:
    sid = sighting_with_match(store, "a" * 32)
    item = review.decide(store, reviewer, sid, "confirm", "A", "clearly listed")
    assert {m.status for m in item.matches} == {"confirmed"}
    assert outbox.counts(store) == {"pending": 3}  # content.block, account.suspend, report.draft
    assert review.queue(store) == []
    assert [r.action for r in audit.tail(store, 1)] == ["review.confirm"]


def test_confirm_needs_a_category_and_a_decided_item_cannot_be_decided_again(
    store, reviewer
) -> None:
    sid = sighting_with_match(store, "b" * 32)
    with pytest.raises(review.ReviewError, match="category"):
        review.decide(store, reviewer, sid, "confirm", None)
    review.decide(store, reviewer, sid, "escalate")
    assert review.queue(store)[0].escalated
    review.decide(store, reviewer, sid, "confirm", "C")
    with pytest.raises(review.ReviewError, match="no open matches"):
        review.decide(store, reviewer, sid, "confirm", "C")


def test_false_positive_adds_the_item_to_an_allow_list(store, reviewer) -> None:
    md5 = "c" * 32
    sid = sighting_with_match(store, md5)
    review.decide(store, reviewer, sid, "false_positive", note="benign")
    assert BankStore(store).get("allow-list").kind.value == "allow"
    assert not Matcher(store).match(Query(exact={"md5": md5})).matched


def test_reveals_are_counted_limited_and_suggest_breaks(store) -> None:
    user = people.create_user(store, "limited", "reviewer", "correct horse battery")
    from sqlalchemy import update

    from bastion.store.models import UserRow

    with store.session() as s:
        s.execute(update(UserRow).values(daily_reveal_limit=10))
    user = people.get_user(store, "limited")
    sid = sighting_with_match(store, "d" * 32)
    results = [review.reveal(store, user, sid) for _ in range(11)]
    assert all(r.allowed for r in results[:10]) and not results[10].allowed
    assert results[9].suggest_break and "break" in results[9].message
    assert "limit reached" in results[10].message


def test_wrong_passwords_lock_the_account(store) -> None:
    people.create_user(store, "alex", "reviewer", "correct horse battery")
    for _ in range(people.MAX_FAILURES):
        with pytest.raises(people.LoginFailed):
            people.sign_in(store, "alex", "wrong password!!")
    with pytest.raises(people.AccountLocked):
        people.sign_in(store, "alex", "correct horse battery")
    with pytest.raises(people.LoginFailed, match="wrong username or password"):
        people.sign_in(store, "nobody", "whatever password")


def test_sign_in_gives_a_session_with_its_own_csrf_token(store) -> None:
    people.create_user(store, "sam", "admin", "correct horse battery")
    user, token, csrf = people.sign_in(store, "sam", "correct horse battery")
    assert people.session_user(store, token) == (user, csrf)
    people.sign_out(store, token)
    assert people.session_user(store, token) is None


def test_passwords_are_stored_as_argon2id(store) -> None:
    from sqlalchemy import select

    from bastion.store.models import UserRow

    people.create_user(store, "kim", "reviewer", "correct horse battery")
    with store.session() as s:
        stored = s.scalar(select(UserRow.password_hash).where(UserRow.username == "kim"))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    with pytest.raises(people.PeopleError, match="12 characters"):
        people.create_user(store, "short", "reviewer", "tooshort")


def test_a_reveal_ticket_is_served_once_and_only_to_its_reviewer(store, reviewer) -> None:
    sid = sighting_with_match(store, "e" * 32)
    other = people.create_user(store, "otto", "reviewer", "correct horse battery")
    result = review.reveal(store, reviewer, sid, colour=True)
    assert result.allowed and result.ticket
    with pytest.raises(review.ReviewError, match="already used or has expired"):
        review.redeem(store, other, result.ticket)
    with pytest.raises(review.ReviewError, match="no content"):
        review.redeem(store, reviewer, result.ticket)  # a lookup: nothing to show, ticket spent
    with pytest.raises(review.ReviewError, match="already used"):
        review.redeem(store, reviewer, result.ticket)


def test_an_expired_reveal_ticket_is_refused(store, reviewer) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bastion.store.models import RevealRow
    from bastion.store.types import utcnow

    sid = sighting_with_match(store, "f" * 32)
    ticket = review.reveal(store, reviewer, sid).ticket
    with store.session() as s:
        s.execute(update(RevealRow).values(ticket_expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(review.ReviewError, match="expired"):
        review.redeem(store, reviewer, ticket)


def test_queue_ids_are_in_queue_order_and_can_be_limited_to_escalations(store, reviewer) -> None:
    first = sighting_with_match(store, "1" * 32, message="m1")
    second = sighting_with_match(store, "1" * 32, message="m2")
    assert review.queue_ids(store) == [first, second]
    review.decide(store, reviewer, second, "escalate")
    assert review.queue_ids(store, escalated_only=True) == [second]
    assert [i.sighting_id for i in review.queue(store)] == review.queue_ids(store)
