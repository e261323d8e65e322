"""Everything seen about a match, a content and an account, and what followed a decision."""

from __future__ import annotations

import pytest

from bastion import history, outbox, people, review
from bastion.actions import handlers
from bastion.webhooks import WebhookConfig
from tests.review_support import listed_picture, sight
from tests.test_outbox import SECRET, Receiver


@pytest.fixture
def reviewer(store):
    return people.create_user(store, "rita", "reviewer", "correct horse battery")


def test_a_match_record_links_its_sighting_content_and_other_sightings(store) -> None:
    data = listed_picture(store, 1, "B")
    first = sight(store, data, "m1")
    sight(store, data, "m2", sender="u2")
    match_id = review.item(store, first).matches[0].id
    record = history.match_record(store, match_id)
    assert record.match.category == "B" and record.match.bank == "iwf"
    assert record.sighting.id == first and record.sighting.chat_type == "public_channel"
    assert record.content is not None and record.content.format == "JPEG"
    assert record.other_sightings == 1
    assert record.evidence is None  # nothing was put in the vault here


def test_the_trail_shows_the_decision_its_jobs_every_delivery_and_the_report(
    store, reviewer
) -> None:
    sid = sight(store, listed_picture(store, 2), "m1")
    review.decide(store, reviewer, sid, "confirm", "A", "listed")
    receiver = Receiver(fail_first=1)
    try:
        worker = outbox.Worker(store, handlers(WebhookConfig(receiver.url, SECRET)), name="w")
        worker.run_once()
        from sqlalchemy import update

        from bastion.store.models import OutboxRow
        from bastion.store.types import utcnow

        with store.session() as s:  # skip the backoff wait
            s.execute(update(OutboxRow).values(next_attempt_at=utcnow()))
        worker.run_once()
    finally:
        receiver.close()
    trail = history.sighting_trail(store, sid)
    assert [(d.decision, d.category, d.actor) for d in trail.decisions] == [
        ("confirm", "A", "user:rita")
    ]
    assert {j.what for j in trail.jobs} == {"content.block", "account.suspend", "ncmec"}
    webhook = next(j for j in trail.jobs if j.what == "content.block")
    assert [d.ok for d in webhook.deliveries] == [False, True]
    assert [(r.hotline, r.status, r.sighting_id) for r in trail.reports] == [
        ("ncmec", "draft", sid)
    ]


def test_a_content_record_lists_every_sighting_of_the_same_bytes(store) -> None:
    data = listed_picture(store, 3)
    ids = {sight(store, data, f"m{i}", sender=f"u{i}") for i in range(3)}
    content_id = review.item(store, min(ids)).content_id
    record = history.content_record(store, content_id)
    assert {v.id for v in record.sightings} == ids
    assert all(v.matches for v in record.sightings)


def test_an_account_record_counts_its_categories_chats_and_suspension_requests(
    store, reviewer
) -> None:
    a, b = listed_picture(store, 4, "A"), listed_picture(store, 5, "C", bank="local")
    first = sight(store, a, "m1", sender="acct", chat="c1")
    sight(store, b, "m2", sender="acct", chat="c2")
    sight(store, a, "m3", sender="acct-2", chat="c1")
    review.decide(store, reviewer, first, "confirm", "A")
    record = history.account_record(store, "examplegram", "acct")
    assert len(record.sightings) == 2
    assert record.categories == {"A": 1, "C": 1}
    assert record.chats == {"c1": 1, "c2": 1}
    assert [(j.what, j.sighting_id) for j in record.suspensions] == [("account.suspend", first)]
    assert history.account_record(store, "examplegram", "acct-2").suspensions == ()
    with pytest.raises(history.NotFound, match="nothing seen"):
        history.account_record(store, "examplegram", "nobody")


def test_find_leads_from_a_hash_or_an_account_id(store) -> None:
    from bastion.hashing import hash_bytes

    data = listed_picture(store, 6)
    sid = sight(store, data, "m1", sender="Acct-7")
    content_id = review.item(store, sid).content_id
    assert history.find(store, hash_bytes(data, "x").digests.md5.upper()) == f"content:{content_id}"
    assert history.find(store, "Acct-7") == "account:examplegram:Acct-7"
    assert history.find(store, "nothing-like-this") is None


def test_matches_are_listed_newest_first_with_their_context_and_filters(store) -> None:
    a, c = listed_picture(store, 7, "A"), listed_picture(store, 8, "C", bank="local")
    sight(store, a, "m1", chat="c1")
    sight(store, c, "m2", chat="c2")
    listed = history.matches(store)
    assert [(x.match.category, x.chat_id) for x in listed] == [("C", "c2"), ("A", "c1")]
    assert [x.match.bank for x in history.matches(store, category="A")] == ["iwf"]
    assert history.matches(store, status="confirmed") == ()
