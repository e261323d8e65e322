"""Scenarios with known right answers for USSG §2G2.2 and the Sentencing Table."""

from __future__ import annotations

import pytest

from bastion.guidelines import (
    CaseFacts,
    EvidencedFeature,
    ImageCount,
    UsAssessment,
    UserAnswer,
    assess,
    load_framework,
)

US = load_framework("ussg-2g2-2")


def answer(question: str, value: str, by: str = "AUSA Example") -> UserAnswer:
    return UserAnswer(f"ussg.{question}", value, given_by=by)


def run(
    stills: int = 0,
    videos: int = 0,
    distributed: int = 0,
    answers: tuple[UserAnswer, ...] = (answer("base-possession-statute", "yes"),),
    features: tuple[EvidencedFeature, ...] = (),
) -> UsAssessment:
    counts = (
        ImageCount("C", "possession", moving=False, count=stills),
        ImageCount("C", "possession", moving=True, count=videos),
        ImageCount("C", "distribution", moving=False, count=distributed),
    )
    result = assess(CaseFacts(counts=counts, answers=answers, features=features), US)
    assert isinstance(result, UsAssessment)
    return result


def image_step(result: UsAssessment) -> tuple[str, int] | None:
    step = next((s for s in result.steps if s.id.startswith("b7")), None)
    return None if step is None else (step.id, step.levels)


@pytest.mark.parametrize(
    ("stills", "videos", "expected"),
    [
        (9, 0, None),
        (10, 0, ("b7A", 2)),
        (149, 0, ("b7A", 2)),
        (150, 0, ("b7B", 3)),
        (299, 0, ("b7B", 3)),
        (300, 0, ("b7C", 4)),
        (599, 0, ("b7C", 4)),
        (600, 0, ("b7D", 5)),
        (0, 1, ("b7A", 2)),  # 75
        (74, 1, ("b7A", 2)),  # 149
        (0, 2, ("b7B", 3)),  # 150
        (149, 2, ("b7B", 3)),  # 299
        (0, 4, ("b7C", 4)),  # 300
        (74, 7, ("b7C", 4)),  # 599
        (0, 8, ("b7D", 5)),  # 600
    ],
)
def test_image_count_tiers_at_their_boundaries_with_each_video_as_75_images(
    stills, videos, expected
):
    result = run(stills=stills, videos=videos)
    assert result.images.total == stills + 75 * videos
    assert image_step(result) == expected


def test_the_count_is_traced_with_the_video_rule():
    result = run(stills=40, videos=3)
    assert "40 still image(s) + 3 video(s) x 75 = 265 images" in result.images.reason
    assert result.step("b7B").reason == result.images.reason


def test_fewer_than_ten_images_is_recorded_as_not_applied():
    result = run(stills=9)
    assert any(n.id == "b7" and "Fewer than 10" in n.reason for n in result.not_applied)


def test_every_step_is_traced_with_a_running_total():
    answers = (
        answer("base-possession-statute", "no"),
        answer("b2", "yes", by="Case agent"),
        answer("criminal-history-category", "I"),
    )
    features = (EvidencedFeature("computer", ("device-1",)),)
    result = run(stills=700, answers=answers, features=features)
    assert [(s.id, s.levels, s.running_total) for s in result.steps] == [
        ("a2", 22, 22),
        ("b2", 2, 24),
        ("b6", 2, 26),
        ("b7D", 5, 31),
    ]
    assert result.offense_level == 31
    assert result.table_range.text == "108-135 months"
    assert result.step("b2").answer.given_by == "Case agent"
    assert result.step("b6").evidence_ids == ("device-1",)


def test_distribution_evidenced_adds_two_levels_and_no_higher_tier_without_confirmation():
    result = run(stills=5, distributed=5)
    assert result.step("b3F").levels == 2
    assert result.step("b3F").basis == "evidence"
    for tier in ("b3A", "b3B", "b3C", "b3D", "b3E"):
        assert result.step(tier) is None
        assert f"ussg.{tier}" in [q.id for q in result.questions]


def test_a_higher_distribution_tier_applies_only_when_the_user_confirms_and_replaces_b3f():
    confirmed = (answer("base-possession-statute", "no"), answer("b3B", "yes", by="Prosecutor"))
    result = run(stills=5, distributed=5, answers=confirmed)
    assert result.step("b3B").levels == 5
    assert result.step("b3F") is None
    assert any(n.id == "b3F" and "apply the greatest" in n.reason for n in result.not_applied)
    assert result.offense_level == 22 + 5 + 2  # 10 images: (b)(7)(A)


def test_the_greatest_confirmed_distribution_tier_wins():
    confirmed = (
        answer("base-possession-statute", "no"),
        answer("b3C", "yes"),
        answer("b3E", "yes"),
    )
    result = run(stills=1, answers=confirmed)
    assert result.step("b3E").levels == 7
    assert result.step("b3C") is None


def test_pecuniary_gain_is_applied_at_its_floor_and_says_so():
    result = run(stills=1, answers=(answer("base-possession-statute", "no"), answer("b3A", "yes")))
    assert result.step("b3A").levels == 5
    assert "at least" in result.step("b3A").reason


def test_the_user_can_answer_no_to_evidenced_distribution():
    no = (answer("base-possession-statute", "yes"), answer("b3F", "no", by="Defence"))
    result = run(stills=1, distributed=3, answers=no)
    assert result.step("b3F") is None
    refused = next(n for n in result.not_applied if n.id == "b3F")
    assert "Defence answered 'no'" in refused.reason
    assert refused.answer.given_by == "Defence"


def test_computer_use_needs_evidence_or_an_answer():
    assert run(stills=1).step("b6") is None
    assert (
        run(stills=1, features=(EvidencedFeature("computer", ("export-1",)),)).step("b6").levels
        == 2
    )


def test_without_the_base_answer_no_offense_level_is_computed():
    result = run(stills=700, answers=())
    assert result.offense_level is None
    assert result.table_range is None
    assert all(s.running_total is None for s in result.steps)
    assert "ussg.base-possession-statute" in [q.id for q in result.questions]
    assert image_step(result) == ("b7D", 5)


def test_receipt_only_reduction_needs_base_22():
    result = run(stills=1, answers=(answer("base-possession-statute", "yes"), answer("b1", "yes")))
    assert result.step("b1") is None
    assert any(n.id == "b1" and "base level a2" in n.reason for n in result.not_applied)
    reduced = run(stills=1, answers=(answer("base-possession-statute", "no"), answer("b1", "yes")))
    assert reduced.step("b1").levels == -2
    assert reduced.offense_level == 20


def test_receipt_only_answer_contradicted_by_distribution_is_flagged():
    result = run(
        stills=1,
        distributed=1,
        answers=(answer("base-possession-statute", "no"), answer("b1", "yes")),
    )
    assert any("check the answer" in m for m in result.messages)


def test_no_table_range_without_a_criminal_history_category():
    result = run(stills=20)
    assert result.offense_level == 18 + 2
    assert result.table_range is None
    assert "ussg.criminal-history-category" in [q.id for q in result.questions]


def test_table_range_for_the_base_level_alone():
    result = run(
        stills=1,
        answers=(
            answer("base-possession-statute", "yes"),
            answer("criminal-history-category", "I"),
        ),
    )
    assert result.offense_level == 18
    assert result.table_range.text == "27-33 months"
    assert result.table_citation.source.url


def test_every_assessment_carries_the_disclaimers_and_its_scope_note():
    result = run()
    assert {d.id for d in result.disclaimers} >= {"decision-support", "known-material-only"}
    assert any(n.id == "not-applied" for n in result.notes)
    assert any(d.label == "sentencing table" for d in result.unverified)
