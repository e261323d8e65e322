"""Scenarios with known right answers for the England & Wales guideline. Category labels here
are labels on counts only: no media is involved."""

from __future__ import annotations

from datetime import date

import pytest

from bastion.guidelines import (
    CaseFacts,
    EvidencedFeature,
    EwAssessment,
    FactsError,
    ImageCount,
    Period,
    UserAnswer,
    assess,
    load_framework,
)

EW = load_framework("ew-iioc-2014")


def stills(category: str, n: int, activity: str = "possession") -> ImageCount:
    return ImageCount(category, activity, moving=False, count=n)


def videos(category: str, n: int, activity: str = "possession") -> ImageCount:
    return ImageCount(category, activity, moving=True, count=n)


def run(*counts: ImageCount, **kwargs) -> EwAssessment:
    result = assess(CaseFacts(counts=counts, **kwargs), EW)
    assert isinstance(result, EwAssessment)
    return result


def cells(result: EwAssessment) -> dict[str, tuple[str, str, str]]:
    return {
        c.activity.id: (c.category.id, c.cell.starting_point.text, c.cell.range_text)
        for c in result.cells
    }


def test_owner_who_only_possesses_category_c_stills():
    result = run(stills("C", 40))
    assert result.category.category.id == "C"
    assert cells(result) == {
        "possession": (
            "C",
            "high-level community order",
            "medium-level community order - 26 weeks' custody",
        )
    }
    assert result.finding("moving-images").status == "not_evidenced"


def test_one_category_a_image_among_many_c_decides_category_a():
    result = run(stills("C", 5000), stills("A", 1))
    assert result.category.category.id == "A"
    assert "1 of 5001" in result.category.reason
    assert "most serious images" in result.category.reason
    assert cells(result)["possession"] == (
        "A",
        "1 year's custody",
        "26 weeks' custody - 3 years' custody",
    )


def test_category_b_outranks_c_when_there_is_no_a():
    assert run(stills("C", 9), stills("B", 2)).category.category.id == "B"


def test_distribution_evidenced_opens_the_distribution_column_for_the_distributed_images():
    result = run(stills("A", 3), stills("C", 200), stills("C", 4, "distribution"))
    assert cells(result) == {
        "possession": ("A", "1 year's custody", "26 weeks' custody - 3 years' custody"),
        "distribution": (
            "C",
            "13 weeks' custody",
            "high-level community order - 26 weeks' custody",
        ),
    }
    assert "4 item(s) counted as distributed" in result.cells[1].reason


def test_only_distributed_images_give_only_the_distribution_column():
    result = run(stills("B", 7, "distribution"))
    assert cells(result) == {
        "distribution": ("B", "1 year's custody", "26 weeks' custody - 2 years' custody")
    }


def test_production_is_never_counted_from_matches():
    with pytest.raises(FactsError, match="production is marked by the user"):
        ImageCount("A", "production", moving=False, count=1)


def test_production_is_not_applied_until_the_user_marks_it():
    result = run(stills("A", 2))
    assert "production" not in cells(result)
    assert "ew.production" in [q.id for q in result.questions]
    assert any("never inferred" in m for m in result.messages)


def test_production_applies_when_the_user_marks_it_and_records_who():
    answer = UserAnswer("ew.production", "B", given_by="DC Example", detail="took the originals")
    result = run(stills("C", 3), answers=(answer,))
    assert cells(result)["production"] == (
        "B",
        "2 years' custody",
        "1 year's custody - 4 years' custody",
    )
    production = next(c for c in result.cells if c.activity.id == "production")
    assert "DC Example" in production.reason
    assert "ew.production" not in [q.id for q in result.questions]
    assert answer in result.answers


def test_production_answered_no_is_recorded_and_not_applied():
    result = run(stills("C", 3), answers=(UserAnswer("ew.production", "no", given_by="Counsel"),))
    assert "production" not in cells(result)
    assert any("Counsel answered 'no'" in m for m in result.messages)


def test_moving_images_present_evidence_the_moving_images_factor():
    result = run(stills("C", 10), videos("C", 2))
    finding = result.finding("moving-images")
    assert finding.status == "evidenced"
    assert "2 moving image(s)" in finding.reason


def test_empty_case_has_no_category_or_cell_but_keeps_the_framework_and_disclaimers():
    result = run()
    assert result.category is None
    assert result.cells == ()
    assert any("No images were counted" in m for m in result.messages)
    assert {d.id for d in result.disclaimers} >= {"decision-support", "known-material-only"}
    assert len(result.statutory_maxima) == 2
    assert result.notification.rows and result.guilty_plea.stages


def test_features_found_in_the_evidence_mark_their_factors_with_the_evidence_ids():
    features = (
        EvidencedFeature("groups_or_channels", ("msg-17", "msg-18"), "posted to a channel"),
        EvidencedFeature("network", ("msg-40",)),
    )
    result = run(stills("C", 10, "distribution"), features=features)
    viewers = result.finding("high-volume-of-viewers")
    assert viewers.status == "evidenced"
    assert viewers.evidence_ids == ("msg-17", "msg-18")
    assert result.finding("network-involvement").evidence_ids == ("msg-40",)
    assert result.finding("high-volume").status == "not_evidenced"


def test_period_and_volume_are_shown_as_context_not_judged():
    period = Period(date(2024, 1, 1), date(2024, 12, 31))
    result = run(stills("C", 10), period=period, features=(EvidencedFeature("period", ("log-1",)),))
    finding = result.finding("period")
    assert finding.status == "evidenced"
    assert "2024-01-01 to 2024-12-31 (366 days)" in finding.reason
    assert "for the court" in finding.reason
    assert "counted: 10 item(s)" in result.finding("high-volume").reason


def test_factors_the_evidence_cannot_show_are_asked_never_guessed():
    result = run(stills("A", 1))
    for factor_id in (
        "age-vulnerability-of-child",
        "pain-or-distress",
        "abuse-of-trust",
        "previous-convictions",
        "remorse",
    ):
        finding = result.finding(factor_id)
        assert finding.status == "needs_answer"
        assert f"ew.{factor_id}" in [q.id for q in result.questions]


def test_user_answers_are_recorded_with_who_gave_them():
    answers = (
        UserAnswer(
            "ew.previous-convictions",
            "no",
            given_by="Defence counsel",
            given_at="2026-11-29T10:00:00Z",
        ),
        UserAnswer("ew.remorse", "yes", given_by="Probation officer", detail="pre-sentence report"),
    )
    result = run(stills("C", 1), answers=answers)
    previous = result.finding("previous-convictions")
    assert previous.status == "answered"
    assert previous.answer.given_by == "Defence counsel"
    assert previous.answer.given_at == "2026-11-29T10:00:00Z"
    assert (
        "Probation officer answered 'yes' (pre-sentence report)" in result.finding("remorse").reason
    )
    assert "ew.remorse" not in [q.id for q in result.questions]


def test_a_user_can_answer_an_evidence_factor_and_the_answer_is_what_stands():
    answer = UserAnswer(
        "ew.high-volume-of-viewers", "no", given_by="Counsel", detail="private chat of two"
    )
    features = (EvidencedFeature("groups_or_channels", ("msg-1",)),)
    finding = run(stills("C", 1), features=features, answers=(answer,)).finding(
        "high-volume-of-viewers"
    )
    assert finding.status == "answered"
    assert finding.answer is answer
    assert finding.evidence_ids == ("msg-1",)


def test_an_answer_to_an_unknown_question_is_an_error_naming_it():
    with pytest.raises(FactsError, match="ew.remorce"):
        run(answers=(UserAnswer("ew.remorce", "yes", given_by="X"),))


def test_an_answer_outside_the_questions_values_is_an_error():
    with pytest.raises(FactsError, match="expected one of yes, no, unknown"):
        run(answers=(UserAnswer("ew.remorse", "maybe", given_by="X"),))


def test_answers_for_another_framework_are_left_alone():
    result = run(answers=(UserAnswer("ussg.b2", "yes", given_by="X"),))
    assert result.answers == ()


def test_a_category_the_guideline_does_not_have_is_an_error():
    with pytest.raises(FactsError, match="'D' is not a category"):
        run(stills("D", 1))


def test_unverified_data_shown_is_listed_and_unused_cells_are_not():
    result = run(stills("C", 1))
    labels = {d.label for d in result.unverified}
    assert "cell C x possession" in labels
    assert "cell A x distribution" not in labels
    assert "step 1 note most-serious-images" in labels
    assert all(not d.citation.verified for d in result.unverified)


def test_every_cell_shown_carries_its_source():
    result = run(stills("A", 1), stills("B", 1, "distribution"))
    for finding in result.cells:
        assert finding.cell.citation.source.url.startswith("https://www.sentencingcouncil.org.uk/")
        assert finding.cell.citation.note
