"""Case facts reject what cannot be assessed, with the field named."""

from __future__ import annotations

from datetime import date

import pytest

from bastion.guidelines import (
    CaseFacts,
    EvidencedFeature,
    FactsError,
    ImageCount,
    Period,
    UserAnswer,
)


def test_a_negative_count_is_rejected():
    with pytest.raises(FactsError, match=r"counts\.count"):
        ImageCount("C", "possession", moving=False, count=-1)


def test_a_feature_without_evidence_ids_is_rejected():
    with pytest.raises(FactsError, match="needs the ids of the evidence items"):
        EvidencedFeature("network", ())


def test_an_unknown_feature_is_rejected_with_the_known_ones():
    with pytest.raises(FactsError, match="groups_or_channels"):
        EvidencedFeature("vibes", ("x",))


def test_an_answer_must_say_who_gave_it():
    with pytest.raises(FactsError, match="who gave it"):
        UserAnswer("ew.remorse", "yes", given_by=" ")


def test_two_different_answers_to_one_question_are_rejected():
    answers = (UserAnswer("ew.remorse", "yes", "A"), UserAnswer("ew.remorse", "no", "B"))
    with pytest.raises(FactsError, match="answered twice"):
        CaseFacts(answers=answers)


def test_a_period_that_ends_before_it_starts_is_rejected():
    with pytest.raises(FactsError, match="period"):
        Period(date(2025, 1, 2), date(2025, 1, 1))


def test_lists_are_accepted_and_stored_as_tuples():
    facts = CaseFacts(counts=[ImageCount("A", "possession", False, 1)])
    assert facts.counts == (ImageCount("A", "possession", False, 1),)
    assert hash(facts)


def test_counts_add_up_by_category_activity_and_kind():
    facts = CaseFacts(
        counts=(
            ImageCount("A", "possession", False, 2),
            ImageCount("A", "distribution", True, 3),
            ImageCount("C", "possession", False, 5),
        )
    )
    assert facts.count() == 10
    assert facts.count(category="A") == 5
    assert facts.count(moving=True) == 3
    assert facts.categories("distribution") == {"A"}
