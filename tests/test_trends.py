"""Dashboard counts: per-day series with every day present, queue ages, outbox states."""

from __future__ import annotations

from datetime import timedelta

from bastion import outbox, people, review, trends
from bastion.actions import handlers
from bastion.store.types import utcnow
from tests.review_support import listed_picture, sight


def test_matches_and_verdicts_are_counted_per_day_by_category(store) -> None:
    a, c = listed_picture(store, 1, "A"), listed_picture(store, 2, "C", bank="local")
    sight(store, a, "m1")
    sight(store, a, "m2")
    sight(store, c, "m3")
    view = trends.overview(store, days=7)
    today = utcnow().date()
    assert len(view.matches_by_day.days) == 7 and view.matches_by_day.days[-1] == today
    assert view.matches_by_day.counts[today]["A"] == 2
    assert view.matches_by_day.counts[today]["C"] == 1
    assert view.matches_by_day.counts[today - timedelta(days=3)] == {
        "A": 0,
        "B": 0,
        "C": 0,
        "unknown": 0,
    }
    assert dict(view.matches_by_bank) == {"iwf": {"A": 2}, "local": {"C": 1}}
    assert sum(view.verdicts_by_day.counts[today].values()) == 3


def test_queue_review_times_reports_and_outbox_states_are_counted(store) -> None:
    reviewer = people.create_user(store, "rita", "reviewer", "correct horse battery")
    data = listed_picture(store, 3)
    first = sight(store, data, "m1")
    sight(store, data, "m2")
    review.decide(store, reviewer, first, "confirm", "A")
    outbox.Worker(store, handlers(None), name="w").run_once()  # no receiver: webhooks dead
    view = trends.overview(store, days=30)
    assert view.queue_size == 1 and view.oldest_age_seconds is not None
    assert dict(view.queue_ages)["< 1 h"] == 1
    assert view.decisions == {"confirm": 1}
    assert view.median_review_seconds is not None and sum(n for _, n in view.review_times) == 1
    assert dict(view.reports) == {"ncmec": {"draft": 1}}
    assert view.outbox == {"dead": 2, "done": 1}


def test_waiting_times_fall_into_their_buckets() -> None:
    assert dict(trends.buckets([10, 7200, 90000, 4 * 86400, 5 * 86400])) == {
        "< 1 h": 1,
        "1-4 h": 1,
        "4-24 h": 0,
        "1-3 d": 1,
        "> 3 d": 2,
    }
