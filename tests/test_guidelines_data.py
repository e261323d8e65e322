"""The shipped guideline data is internally consistent and every datum is cited."""

from __future__ import annotations

from itertools import pairwise

import pytest

from bastion.guidelines import EwFramework, UsFramework, framework_ids, load_framework
from bastion.guidelines.frameworks import Cell

EW = load_framework("ew-iioc-2014")
US = load_framework("ussg-2g2-2")
assert isinstance(EW, EwFramework) and isinstance(US, UsFramework)
FRAMEWORKS = [EW, US]


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.info.id)
def test_every_datum_has_a_source_with_url_place_and_date(framework):
    data = list(framework.data())
    assert len(data) > 20
    for datum in data:
        source = datum.citation.source
        assert source.url.strip(), datum.label
        assert source.at.strip(), datum.label
        assert source.document.consulted.year >= 2024, datum.label
        assert source.document.version.strip(), datum.label


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.info.id)
def test_every_datum_says_how_it_was_verified_or_what_was_found(framework):
    for datum in framework.data():
        assert isinstance(datum.citation.verified, bool), datum.label
        assert len(datum.citation.note) > 10, datum.label


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.info.id)
def test_datum_labels_and_question_ids_are_unique(framework):
    labels = [d.label for d in framework.data()]
    assert len(labels) == len(set(labels))
    question_ids = [q.id for q in framework.questions]
    assert len(question_ids) == len(set(question_ids))
    assert all(q.startswith(framework.info.question_prefix + ".") for q in question_ids)


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.info.id)
def test_framework_is_versioned(framework):
    info = framework.info
    assert info.id and info.title and info.edition and info.issuer
    assert info.in_force.year in (2014, 2016)


def test_shipped_ids_are_listed():
    assert framework_ids() == ("ew-iioc-2014", "ussg-2g2-2")


@pytest.mark.parametrize("framework", FRAMEWORKS, ids=lambda f: f.info.id)
def test_disclaimers_say_decision_support_and_known_material_only(framework):
    texts = {d.id: d.text for d in framework.disclaimers}
    assert "not legal advice" in texts["decision-support"]
    assert "never states a sentence" in texts["decision-support"]
    assert "only known material" in texts["known-material-only"]


# --- England & Wales -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", EW.cells, ids=lambda c: f"{c.category}-{c.activity}")
def test_every_range_contains_its_starting_point(cell: Cell):
    assert cell.range_low <= cell.starting_point <= cell.range_high


def test_table_has_one_cell_for_each_category_and_activity():
    pairs = [(c.category, c.activity) for c in EW.cells]
    assert len(pairs) == len(set(pairs)) == len(EW.categories) * len(EW.activities) == 9


def test_starting_points_rise_with_seriousness_of_category_and_of_activity():
    for activity in EW.activities:
        column = [EW.cell(c.id, activity.id) for c in reversed(EW.categories)]  # C, B, A
        for less, more in pairwise(column):
            assert less.starting_point < more.starting_point, activity.id
            assert less.range_high <= more.range_high, activity.id
    for category in EW.categories:
        row = [EW.cell(category.id, a.id) for a in EW.activities]  # possession..production
        for less, more in pairwise(row):
            assert less.starting_point < more.starting_point, category.id


def test_sentence_scale_orders_community_orders_below_custody():
    levels = EW.scale.community_order_levels
    assert levels == ("low", "medium", "high")
    sentences = [s for c in EW.cells for s in (c.starting_point, c.range_low, c.range_high)]
    community = sorted(
        {s for s in sentences if s.kind == "community_order"}, key=lambda s: s.level_rank
    )
    custody = [s for s in sentences if s.kind == "custody"]
    assert all(s.level in levels and levels.index(s.level) == s.level_rank for s in community)
    assert max(community) < min(custody)


def test_no_range_exceeds_the_statutory_maximum_of_an_offence_covering_its_column():
    for cell in EW.cells:
        for maximum in EW.statutory_maxima:
            if cell.activity in maximum.applies_to:
                assert cell.range_high <= maximum.on_indictment, (cell, maximum.id)


def test_statutory_maxima_are_ten_and_five_years():
    maxima = {m.id: m.on_indictment.text for m in EW.statutory_maxima}
    assert maxima == {"pca-1978-s1": "10 years' custody", "cja-1988-s160": "5 years' custody"}


def test_guilty_plea_reductions_fall_from_one_third():
    stages = [s.max_reduction for s in EW.guilty_plea.stages]
    assert stages[0] == pytest.approx(1 / 3)
    assert all(a >= b for a, b in pairwise(stages))
    assert stages[-1] == pytest.approx(1 / 10)


def test_factor_ids_are_unique_and_evidence_factors_name_their_features():
    ids = [f.id for f in EW.factors]
    assert len(ids) == len(set(ids))
    kinds = {f.kind for f in EW.factors}
    assert kinds == {"statutory_aggravating", "aggravating", "mitigating"}
    evidence = {f.id for f in EW.factors if f.basis == "evidence"}
    assert evidence == {
        "period",
        "high-volume",
        "high-volume-of-viewers",
        "moving-images",
        "network-involvement",
    }
    assert all(f.evidenced_by for f in EW.factors if f.basis == "evidence")


def test_unverified_data_is_marked_and_the_checked_statute_text_is_verified():
    unverified = {d.label for d in EW.data() if not d.citation.verified}
    assert "cell A x distribution" in unverified
    assert "step 1 note most-serious-images" in unverified
    assert "statutory maximum cja-1988-s160" not in unverified
    assert "notification ten-years" not in unverified


# --- USSG ------------------------------------------------------------------------------------


def test_image_tiers_are_contiguous_from_ten_and_open_ended():
    tiers = US.image_tiers
    assert [(t.min_images, t.max_images, t.levels) for t in tiers] == [
        (10, 149, 2),
        (150, 299, 3),
        (300, 599, 4),
        (600, None, 5),
    ]
    assert US.image_counting.images_per_video == 75


def test_sentencing_table_covers_every_level_and_category():
    assert [level for level, _ in US.table.rows] == list(range(1, 44))
    assert all(len(ranges) == 6 for _, ranges in US.table.rows)
    assert US.table.categories == ("I", "II", "III", "IV", "V", "VI")


def _no_lower(a, b) -> bool:
    """b is nowhere lower than a: neither its bottom nor its top (life counts as infinite)."""
    return a.bounds()[0] <= b.bounds()[0] and a.bounds()[1] <= b.bounds()[1]


def test_sentencing_table_is_monotone_down_columns_and_across_rows():
    rows = [ranges for _, ranges in US.table.rows]
    for level, row in enumerate(rows, start=1):
        for left, right in pairwise(row):
            assert _no_lower(left, right), (level, left, right)
    for level, (upper, lower) in enumerate(pairwise(rows), start=1):
        for a, b in zip(upper, lower, strict=True):
            assert _no_lower(a, b), (level, a, b)


def test_every_table_range_keeps_within_25_percent_or_6_months():
    # 28 U.S.C. § 994(b)(2): the top of a range may not exceed the bottom by more than the
    # greater of 25 percent or 6 months. Catches transcription slips.
    for level, ranges in US.table.rows:
        for r in ranges:
            if r.low_months is None or r.high_months is None:
                continue
            assert r.low_months <= r.high_months
            assert r.high_months - r.low_months <= max(6, r.low_months / 4), (level, r)


@pytest.mark.parametrize(
    ("level", "category", "text"),
    [
        (18, "I", "27-33 months"),
        (22, "I", "41-51 months"),
        (15, "III", "24-30 months"),
        (20, "VI", "70-87 months"),
        (23, "I", "46-57 months"),
        (37, "VI", "360 months-life"),
        (43, "I", "life"),
    ],
)
def test_known_table_cells(level, category, text):
    assert US.table.lookup(level, category).text == text


def test_levels_outside_the_table_are_clamped_as_its_commentary_directs():
    assert US.table.lookup(50, "I").text == "life"
    assert US.table.lookup(-3, "VI").text == "0-6 months"


def test_characteristics_are_unique_and_b3_alternatives_share_a_group():
    ids = [c.id for c in US.characteristics]
    assert len(ids) == len(set(ids))
    assert {c.id for c in US.characteristics if c.group == "b3"} == {f"b3{x}" for x in "ABCDEF"}
    assert {c.id for c in US.characteristics if c.basis == "evidence"} == {"b3F", "b6"}


def test_every_table_top_follows_the_tables_own_rule():
    # Every finite range in the table has top = max(floor(1.25 x bottom), bottom + 6): the
    # Commission's construction within § 994(b)(2). Holds for the transcribed rows 1-20 and
    # pins the tops of rows 21-43, which rest on recollection.
    for level, ranges in US.table.rows:
        for r in ranges:
            if r.low_months is not None and r.high_months is not None:
                assert r.high_months == max(r.low_months * 5 // 4, r.low_months + 6), (level, r)
