"""The loader accepts the shipped data and rejects malformed data with a message naming the
file and the field."""

from __future__ import annotations

from importlib.resources import files

import pytest

from bastion.guidelines import (
    GuidelineDataError,
    UnknownFramework,
    load_framework,
    load_framework_file,
    parse_framework,
)

EW_TEXT = (files("bastion.guidelines") / "data" / "ew_iioc_2014.toml").read_text(encoding="utf-8")
US_TEXT = (files("bastion.guidelines") / "data" / "ussg_2g2_2.toml").read_text(encoding="utf-8")


def broken(text: str, old: str, new: str) -> str:
    assert old in text, f"test setup: {old!r} not in the data file"
    return text.replace(old, new, 1)


def rejected(text: str) -> GuidelineDataError:
    with pytest.raises(GuidelineDataError) as caught:
        parse_framework(text, "draft.toml")
    assert str(caught.value).startswith("draft.toml: ")
    return caught.value


def test_shipped_frameworks_load_and_are_cached():
    assert load_framework("ew-iioc-2014") is load_framework("ew-iioc-2014")
    assert load_framework("ussg-2g2-2").info.kind == "ussg-2g2-2"


def test_unknown_framework_id_lists_the_known_ones():
    with pytest.raises(UnknownFramework, match="ew-iioc-2014, ussg-2g2-2"):
        load_framework("scotland-2026")


def test_a_misspelt_key_is_rejected_not_ignored():
    error = rejected(
        broken(
            EW_TEXT,
            'verified = false\nnote = "As widely quoted',
            'verifed = false\nnote = "As widely quoted',
        )
    )
    assert error.field.startswith("cells[")
    assert "verif" in error.field


def test_a_datum_without_a_source_is_rejected():
    text = broken(
        EW_TEXT, 'source = { doc = "sc-iioc", at = "Step 2, statutory aggravating factors" }\n', ""
    )
    assert "source" in rejected(text).field


def test_a_source_that_is_not_listed_is_rejected():
    error = rejected(broken(EW_TEXT, 'see_also = ["iis-2025"]', 'see_also = ["ringrose-2018"]'))
    assert "ringrose-2018" in error.problem


def test_a_range_that_does_not_contain_its_starting_point_is_rejected():
    text = broken(
        EW_TEXT,
        'starting_point = { kind = "custody", amount = 3, unit = "years" }',
        'starting_point = { kind = "custody", amount = 6, unit = "years" }',
    )
    error = rejected(text)
    assert "outside the range" in error.problem
    assert error.field.endswith("starting_point")


def test_a_community_order_level_off_the_scale_is_rejected():
    text = broken(
        EW_TEXT,
        'range_low = { kind = "community_order", level = "medium" }',
        'range_low = { kind = "community_order", level = "intensive" }',
    )
    assert "not on the scale" in rejected(text).problem


def test_a_duplicate_factor_id_is_rejected():
    text = broken(EW_TEXT, 'id = "offence-on-bail"', 'id = "previous-convictions"')
    assert "appears twice" in rejected(text).problem


def test_a_missing_cell_is_rejected():
    start = EW_TEXT.index('[[cells]]\ncategory = "C"\nactivity = "production"')
    end = EW_TEXT.index("# -----", start)
    assert (
        "no cell for category C x production" in rejected(EW_TEXT[:start] + EW_TEXT[end:]).problem
    )


def test_an_unknown_evidence_feature_is_rejected():
    text = broken(EW_TEXT, 'evidenced_by = ["network"]', 'evidenced_by = ["telepathy"]')
    assert "not an evidence feature" in rejected(text).problem


def test_image_tiers_with_a_gap_are_rejected():
    text = broken(US_TEXT, "min_images = 150", "min_images = 151")
    assert "not contiguous" in rejected(text).problem


def test_a_sentencing_table_row_with_a_missing_cell_is_rejected():
    text = broken(US_TEXT, '{ level = 7, ranges = ["0-6", ', "{ level = 7, ranges = [")
    assert "expected 6 ranges" in rejected(text).problem


def test_a_sentencing_table_cell_that_is_not_a_range_is_rejected():
    text = broken(US_TEXT, '"27-33"', '"27 to 33"')
    assert "27 to 33" in rejected(text).problem


def test_a_missing_sentencing_table_level_is_rejected():
    text = broken(
        US_TEXT,
        '  { level = 30, ranges = ["97-121", "108-135", "121-151", "135-168", "151-188", "168-210"] },\n',
        "",
    )
    assert "one row for each offense level" in rejected(text).problem


def test_invalid_toml_is_reported_with_the_file_name():
    assert "not valid TOML" in rejected("schema = = 1").problem


def test_an_unsupported_schema_version_is_rejected():
    assert "version 2" in rejected(broken(EW_TEXT, "schema = 1", "schema = 2")).problem


def test_an_unknown_framework_kind_is_rejected():
    assert (
        "not a known kind"
        in rejected(broken(EW_TEXT, 'kind = "ew-iioc"', 'kind = "ew-drugs"')).problem
    )


def test_a_draft_file_loads_from_disk(tmp_path):
    draft = tmp_path / "draft.toml"
    draft.write_text(
        broken(EW_TEXT, 'id = "ew-iioc-2014"', 'id = "ew-iioc-draft"'), encoding="utf-8"
    )
    assert load_framework_file(draft).info.id == "ew-iioc-draft"


def test_a_missing_file_is_a_data_error_naming_it(tmp_path):
    with pytest.raises(GuidelineDataError, match="cannot read it"):
        load_framework_file(tmp_path / "absent.toml")


def test_a_citation_pointing_at_an_unlisted_document_is_rejected():
    error = rejected(broken(EW_TEXT, 'doc = "sc-imposition"', 'doc = "sc-imposed"'))
    assert "'sc-imposed' is not in [sources]" in error.problem
    assert error.field == "sentence_scale.source.doc"
