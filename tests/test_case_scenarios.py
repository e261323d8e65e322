"""Scenario cases from synthetic exports with known right answers: the count table, the
features with their evidence, and the guideline cells (issue 12, part 7)."""

from __future__ import annotations

import pytest

from bastion.cases.activities import Activity
from bastion.cases.assessment import CaseAssessment, assess_case
from bastion.cases.evidence import build_evidence
from bastion.cases.summary import references
from tests.case_scenarios import ALICE, CHANNEL_ID, GIVEN_BY, SUPERGROUP_ID, built_scenarios


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return built_scenarios(tmp_path_factory)


def assessed(cases, name: str) -> CaseAssessment:
    store, _ = cases
    return assess_case(store, name, "tester")


def cell(a: CaseAssessment, row: str, category: str) -> tuple[int, int, int, int]:
    c = a.table.cell(row, category)
    return (c.still_images, c.still_copies, c.moving_images, c.moving_copies)


def cells(a: CaseAssessment) -> list[tuple[str, str]]:
    return [(c.activity.id, c.category.id) for c in a.guideline.cells]


def found(a: CaseAssessment) -> set[str]:
    return {f.id for f in a.features if f.found}


# -- the owner only receives -------------------------------------------------------------------


def test_owner_who_only_receives_has_possession_counts_and_no_distribution(cases) -> None:
    a = assessed(cases, "receives-only")
    assert cell(a, "possession", "B") == (1, 1, 0, 0)
    assert cell(a, "possession", "C") == (2, 3, 0, 0)  # one C reached two chats: 2 copies
    assert cell(a, "possession", "A") == (0, 0, 0, 0)
    assert a.table.images("received") == 3 and a.table.copies("received") == 4
    assert a.table.images("distribution") == 0


def test_owner_who_only_receives_shows_making_by_downloading_for_every_reference(cases) -> None:
    a = assessed(cases, "receives-only")
    assert {r.activity for r in a.evidence.refs} == {Activity.RECEIVED}
    assert all("not the account owner" in r.basis for r in a.evidence.refs)


def test_owner_who_only_receives_opens_only_the_possession_cell(cases) -> None:
    a = assessed(cases, "receives-only")
    assert cells(a) == [("possession", "B")]
    assert a.guideline.category.category.id == "B"
    assert found(a) == {"volume", "period"}
    assert a.guideline.finding("high-volume-of-viewers").status == "not_evidenced"


def test_first_and_last_dates_of_a_cell_are_its_references_dates(cases) -> None:
    a = assessed(cases, "receives-only")
    c = a.table.cell("possession", "C")
    assert (c.first.day, c.last.day) == (1, 10)  # 1 March (Alice) to 10 March (the group)
    assert a.period.first.isoformat() == "2024-03-01" and a.period.days == 10


# -- forwarding into a 5,000-member channel ----------------------------------------------------


def test_channel_posts_without_a_person_saying_who_posts_are_not_distribution(cases) -> None:
    a = assessed(cases, "forwards-to-channel")
    channel = [r for r in a.evidence.refs if r.chat_key == str(CHANNEL_ID)]
    assert len(channel) == 3 and {r.activity for r in channel} == {Activity.CHANNEL_POST}
    assert a.table.images("distribution") == 0
    assert cells(a) == [("possession", "B")]
    assert any("posted as a channel" in line for line in a.limitations)


def test_owner_forwarding_into_a_channel_is_distribution_with_its_member_count(cases) -> None:
    a = assessed(cases, "channel-with-facts")
    assert cell(a, "distribution", "B") == (1, 2, 0, 0)  # forwarded twice
    assert cell(a, "distribution", "C") == (1, 1, 0, 0)
    assert cell(a, "received", "B") == (1, 1, 0, 0)
    forwarded = [r for r in a.evidence.refs if r.activity is Activity.FORWARDED]
    assert {r.message_id for r in forwarded} == {41, 43}
    assert all(GIVEN_BY in r.basis for r in forwarded)


def test_placing_images_in_a_channel_is_evidenced_by_its_messages_and_members(cases) -> None:
    a = assessed(cases, "channel-with-facts")
    feature = a.feature("groups_or_channels")
    channel_refs = {r.id for r in a.evidence.refs if r.chat_key == str(CHANNEL_ID)}
    assert feature.found and set(feature.ref_ids) == channel_refs
    assert "5,000 members" in feature.details[0] and GIVEN_BY in feature.details[0]
    finding = a.guideline.finding("high-volume-of-viewers")
    assert finding.status == "evidenced" and channel_refs <= set(finding.evidence_ids)


def test_forwarding_into_a_channel_opens_the_distribution_cell_by_its_most_serious_image(
    cases,
) -> None:
    a = assessed(cases, "channel-with-facts")
    assert cells(a) == [("distribution", "B")]  # every image was distributed
    assert [(c.category, c.activity, c.count) for c in a.counts] == [
        ("B", "distribution", 1),
        ("C", "distribution", 1),
    ]


def test_network_indicators_name_repeated_sharing_and_onward_sharing(cases) -> None:
    a = assessed(cases, "channel-with-facts")
    net = a.feature("network")
    assert net.found
    assert any(d.startswith("Repeated sharing: 3 messages") for d in net.details)
    assert any(d.startswith("Onward sharing: 1 image") for d in net.details)
    received = next(r for r in a.evidence.refs if r.activity is Activity.RECEIVED)
    assert received.id in net.ref_ids  # the receipt that was passed on
    assert a.guideline.finding("network-involvement").status == "evidenced"


# -- mixed categories: one category A image decides the category -------------------------------


def test_one_category_a_image_decides_the_category(cases) -> None:
    a = assessed(cases, "mixed-one-a")
    assert [cell(a, "possession", c)[0] for c in "ABC"] == [1, 2, 7]
    assert a.guideline.category.category.id == "A"
    assert "(1 of 10; A: 1, B: 2, C: 7)" in a.guideline.category.reason


def test_each_column_takes_the_most_serious_image_in_it(cases) -> None:
    a = assessed(cases, "mixed-one-a")
    assert cells(a) == [("possession", "A"), ("distribution", "C")]
    posted = [r for r in a.evidence.refs if r.distributed]
    assert [(r.chat_key, r.message_id, r.activity) for r in posted] == [
        (str(SUPERGROUP_ID), 501, Activity.POSTED)
    ]
    assert a.feature("groups_or_channels").found
    assert "member count not known" in a.feature("groups_or_channels").details[0]


# -- videos ----------------------------------------------------------------------------------


def test_a_video_and_its_thumbnail_are_one_moving_image(cases) -> None:
    a = assessed(cases, "videos")
    assert cell(a, "possession", "B") == (0, 0, 1, 1)
    video = next(i for i in a.evidence.items if i.category == "B")
    assert video.moving and video.matched_via == "file"
    assert sorted(p.role for p in video.refs[0].parts) == ["file", "thumbnail"]


def test_a_video_matched_only_by_its_thumbnail_counts_once_as_a_still(cases) -> None:
    a = assessed(cases, "videos")
    thumb_only = [r for r in a.evidence.refs if r.matched_via == "thumbnail"]
    assert [(r.message_id, r.moving) for r in thumb_only] == [(63, False)]
    assert cell(a, "possession", "C") == (2, 2, 1, 1)  # thumbnail-only video + photo; animation
    assert any("thumbnail or preview" in line for line in a.limitations)


def test_moving_images_are_a_feature_with_their_items(cases) -> None:
    a = assessed(cases, "videos")
    moving = {i.id for i in a.evidence.items if i.moving}
    assert len(moving) == 2 and set(a.feature("moving_images").item_ids) == moving
    assert a.guideline.finding("moving-images").status == "evidenced"
    assert cell(a, "distribution", "C") == (0, 0, 1, 1)  # the owner posted the animation


# -- an empty case ---------------------------------------------------------------------------


def test_a_case_with_no_match_has_zero_counts_no_category_and_no_cells(cases) -> None:
    a = assessed(cases, "empty")
    assert a.evidence.items == () and all(c.images == 0 for c in a.table.cells)
    assert a.guideline.category is None and a.guideline.cells == ()
    assert found(a) == set()
    assert a.counts == ()


# -- an export that does not identify its owner ----------------------------------------------


def test_html_export_says_plainly_that_the_owner_is_not_identifiable(cases) -> None:
    a = assessed(cases, "html-receives-only")
    assert not a.evidence.owner_known
    assert {r.activity for r in a.evidence.refs} == {Activity.UNKNOWN_OWNER}
    assert cell(a, "possession", "C") == (2, 3, 0, 0)
    assert a.table.images("not_identifiable") == 3 and a.table.images("distribution") == 0
    assert "distribution cannot be shown" in a.feature("distribution").summary
    assert any("does not say which account is the owner" in line for line in a.limitations)


def test_the_same_export_as_json_and_html_matches_the_same_images(cases) -> None:
    json_items = assessed(cases, "receives-only").evidence.items
    html_items = assessed(cases, "html-receives-only").evidence.items
    assert {i.sha256 for i in json_items} == {i.sha256 for i in html_items}


# -- evidence model invariants ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["receives-only", "channel-with-facts", "mixed-one-a", "videos", "html-receives-only"]
)
def test_guideline_counts_add_up_to_the_graded_images(cases, name) -> None:
    a = assessed(cases, name)
    assert sum(c.count for c in a.counts) == len(a.evidence.items)
    assert a.table.images("possession") == len(a.evidence.items)


def test_every_feature_and_factor_points_only_at_evidence_that_exists(cases) -> None:
    a = assessed(cases, "channel-with-facts")
    ids = {i.id for i in a.evidence.items} | {r.id for r in a.evidence.refs}
    for feature in a.features:
        assert set(feature.item_ids + feature.ref_ids) <= ids
    for finding in a.guideline.factors:
        assert set(finding.evidence_ids) <= ids


def test_reference_ids_are_stable_across_readings(cases) -> None:
    store, ids = cases
    first = [r.id for r in build_evidence(references(store, ids["videos"])).refs]
    again = [r.id for r in build_evidence(references(store, ids["videos"])).refs]
    assert first == again and len(set(first)) == len(first)


def test_alice_is_named_as_the_sender_of_what_the_owner_received(cases) -> None:
    a = assessed(cases, "receives-only")
    personal = [r for r in a.evidence.refs if r.chat_key == str(ALICE.user_id)]
    assert {r.sender_name for r in personal} == {"Alice Chen"}
