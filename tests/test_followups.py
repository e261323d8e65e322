"""Outbox jobs with their delivery attempts, and hotline reports, listed with filters."""

from __future__ import annotations

from bastion import followups, outbox, people, review
from bastion.actions import handlers
from tests.review_support import listed_picture, sight


def test_jobs_and_reports_are_listed_newest_first_and_filtered(store) -> None:
    reviewer = people.create_user(store, "rita", "reviewer", "correct horse battery")
    first = sight(store, listed_picture(store, 1), "m1")
    second = sight(store, listed_picture(store, 2), "m2", sender="u2")
    review.decide(store, reviewer, first, "confirm", "A")
    review.decide(store, reviewer, second, "confirm", "C")
    outbox.Worker(store, handlers(None), name="w").run_once(20)  # no receiver: webhooks dead
    jobs = followups.jobs(store)
    assert [j.id for j in jobs] == sorted((j.id for j in jobs), reverse=True)
    dead = followups.jobs(store, status="dead")
    assert {j.what for j in dead} == {"content.block", "account.suspend"}
    assert all("no webhook receiver configured" in j.last_error for j in dead)
    assert {j.sighting_id for j in followups.jobs(store, kind="report.draft")} == {first, second}
    older = followups.jobs(store, before=jobs[0].id, limit=2)
    assert [j.id for j in older] == [jobs[1].id, jobs[2].id]
    reports = followups.reports(store)
    assert [(r.sighting_id, r.status, r.hotline) for r in reports] == [
        (second, "draft", "ncmec"),
        (first, "draft", "ncmec"),
    ]
    assert followups.reports(store, status="submitted") == ()
