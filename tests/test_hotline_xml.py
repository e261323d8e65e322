"""The CyberTipline <report> and <fileDetails> documents: built in schema order, validated against
the shipped XSD, refused with a clear message when incomplete or out of order, free of media."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree

from bastion.reports.hotline import (
    KNOWN_MATERIAL_NOTICE,
    ReportInputError,
    SchemaViolation,
    build_file_details_xml,
    build_report_xml,
    validate_file_details_xml,
    validate_report_xml,
)
from bastion.reports.hotline.model import Person, ReportedFile, Reporter
from tests.hotline_factory import WHEN, minimal, sample


def _children(xml: bytes) -> list[str]:
    return [child.tag for child in etree.fromstring(xml)]


def _move(xml: bytes, tag: str, before: str) -> bytes:
    root = etree.fromstring(xml)
    element = root.find(tag)
    root.remove(element)
    root.find(before).addprevious(element)
    return etree.tostring(root)


def test_full_report_validates_against_the_shipped_schema():
    report, _ = sample()
    validate_report_xml(build_report_xml(report))


def test_minimal_report_validates():
    validate_report_xml(build_report_xml(minimal()))


def test_report_children_come_in_schema_order():
    report, _ = sample()
    assert _children(build_report_xml(report)) == [
        "incidentSummary",
        "internetDetails",
        "reporter",
        "personOrUserReported",
        "additionalInfo",
    ]


def test_reported_user_children_come_in_schema_order():
    report, _ = sample()
    root = etree.fromstring(build_report_xml(report))
    assert [c.tag for c in root.find("personOrUserReported")] == [
        "personOrUserReportedPerson",
        "espIdentifier",
        "espService",
        "screenName",
        "displayName",
        "ipCaptureEvent",
    ]


def test_out_of_order_report_element_fails_naming_the_element():
    report, _ = sample()
    swapped = _move(build_report_xml(report), "reporter", before="internetDetails")
    with pytest.raises(SchemaViolation) as caught:
        validate_report_xml(swapped)
    assert "internetDetails" in str(caught.value)
    assert "not expected" in str(caught.value)


def test_out_of_order_file_details_element_fails():
    report, _ = sample()
    xml = build_file_details_xml(7000001, "f1", report.files[0])
    swapped = _move(xml, "publiclyAvailable", before="fileViewedByEsp")
    with pytest.raises(SchemaViolation, match="fileViewedByEsp"):
        validate_file_details_xml(swapped)


def test_missing_incident_type_fails_with_what_was_expected():
    report, _ = sample()
    root = etree.fromstring(build_report_xml(report))
    summary = root.find("incidentSummary")
    summary.remove(summary.find("incidentType"))
    with pytest.raises(SchemaViolation, match="incidentType"):
        validate_report_xml(etree.tostring(root))


def test_missing_reporting_person_email_fails():
    root = etree.fromstring(build_report_xml(minimal()))
    person = root.find("reporter/reportingPerson")
    person.remove(person.find("email"))
    with pytest.raises(SchemaViolation, match="email"):
        validate_report_xml(etree.tostring(root))


def test_missing_file_id_fails():
    report, _ = sample()
    root = etree.fromstring(build_file_details_xml(1, "f1", report.files[0]))
    root.remove(root.find("fileId"))
    with pytest.raises(SchemaViolation, match="fileId"):
        validate_file_details_xml(etree.tostring(root))


def test_every_problem_is_listed_with_its_line():
    root = etree.fromstring(build_report_xml(minimal()))
    summary = root.find("incidentSummary")
    summary.find("incidentDateTime").text = "yesterday"
    root.find("reporter/reportingPerson/email").text = "not-an-email"
    with pytest.raises(SchemaViolation) as caught:
        validate_report_xml(etree.tostring(root, pretty_print=True))
    assert len(caught.value.problems) == 2
    assert all(line > 0 for line, _, _ in caught.value.problems)


def test_date_time_without_zone_fails():
    root = etree.fromstring(build_report_xml(minimal()))
    root.find("incidentSummary/incidentDateTime").text = "2026-05-01T12:30:00"
    with pytest.raises(SchemaViolation, match="incidentDateTime"):
        validate_report_xml(etree.tostring(root))


def test_malformed_xml_is_a_schema_violation():
    with pytest.raises(SchemaViolation, match="line 1"):
        validate_report_xml(b"<report><incidentSummary></report>")


def test_wrong_root_element_is_refused():
    report, _ = sample()
    with pytest.raises(SchemaViolation, match="expected <report>"):
        validate_report_xml(build_file_details_xml(1, "f1", report.files[0]))


def test_overlong_screen_name_fails_the_documented_limit():
    report, _ = sample()
    root = etree.fromstring(build_report_xml(report))
    root.find("personOrUserReported/screenName").text = "x" * 257
    with pytest.raises(SchemaViolation, match="screenName"):
        validate_report_xml(etree.tostring(root))


def test_builder_refuses_a_value_the_schema_refuses():
    report = replace(minimal(), reporter=replace(minimal().reporter, platform="p" * 300))
    with pytest.raises(SchemaViolation, match="platform"):
        build_report_xml(report)


def test_times_are_written_in_utc():
    plus_two = timezone(timedelta(hours=2))
    report = minimal()
    report = replace(
        report,
        incident=replace(
            report.incident, occurred_at=datetime(2026, 5, 1, 14, 30, tzinfo=plus_two)
        ),
    )
    root = etree.fromstring(build_report_xml(report))
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-05-01T12:30:00Z"


def test_future_incident_time_is_refused():
    report = minimal()
    with pytest.raises(ReportInputError, match="incident.occurred_at"):
        build_report_xml(report, now=WHEN - timedelta(days=1))


def test_naive_time_is_refused_by_the_model():
    report = minimal()
    with pytest.raises(ReportInputError, match="time zone"):
        replace(report.incident, occurred_at=datetime(2026, 5, 1, 12, 30))


def test_reporter_without_email_is_refused_by_the_model():
    with pytest.raises(ReportInputError, match="email"):
        Reporter("Example Ltd", "Examplegram", Person("Alex"))


def test_exif_viewed_requires_the_file_to_have_been_viewed():
    report, _ = sample()
    with pytest.raises(ReportInputError, match="fileViewedByEsp"):
        replace(report.files[1], viewed_by_platform=False, exif_viewed=True)


def test_malformed_hash_is_refused_by_the_model():
    report, _ = sample()
    with pytest.raises(ReportInputError, match="file.sha256"):
        replace(report.files[0], sha256="ABC")


def test_report_bytes_are_the_same_every_time():
    report, _ = sample()
    assert build_report_xml(report) == build_report_xml(report)


def test_report_says_hash_matching_identifies_only_known_material():
    root = etree.fromstring(build_report_xml(minimal()))
    assert KNOWN_MATERIAL_NOTICE in root.findtext("additionalInfo")


def test_escalation_is_written_only_when_given():
    report = minimal()
    assert b"escalateToHighPriority" not in build_report_xml(report)
    urgent = replace(
        report, incident=replace(report.incident, escalation="Child at immediate risk")
    )
    assert etree.fromstring(build_report_xml(urgent)).findtext(
        "incidentSummary/escalateToHighPriority"
    )


def test_file_details_carry_hashes_flags_and_matches():
    report, _ = sample()
    item: ReportedFile = report.files[0]
    root = etree.fromstring(build_file_details_xml(7000001, "f1", item))
    hashes = {e.get("hashType"): e.text for e in root.iterfind("originalFileHash")}
    assert hashes == {"MD5": item.md5, "SHA1": item.sha1, "SHA256": item.sha256}
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.findtext("publiclyAvailable") == "true"
    assert root.findtext("originalFileName") == item.original_file_name
    assert root.findtext("details/nameValuePair/value") == item.pdq
    info = [e.text for e in root.iterfind("additionalInfo")]
    assert any("iwf-2026-11" in line and "category A" in line for line in info)
    assert "EXIF metadata present in the original: no" in info


def test_unviewed_file_is_marked_not_viewed():
    report, _ = sample()
    root = etree.fromstring(build_file_details_xml(1, "f2", report.files[1]))
    assert root.findtext("fileViewedByEsp") == "false"
    assert root.findtext("exifViewedByEsp") == "false"


def test_no_media_bytes_appear_in_any_document():
    report, media = sample()
    documents = [build_report_xml(report)] + [
        build_file_details_xml(1, f"f{i}", item) for i, item in enumerate(report.files)
    ]
    for data in media:
        fragments = [data[64:96], data[64:96].hex().encode(), base64.b64encode(data[60:120])[8:48]]
        for document in documents:
            assert not any(fragment in document for fragment in fragments)


def test_file_details_need_a_numeric_report_id():
    report, _ = sample()
    with pytest.raises(ReportInputError, match="report_id"):
        build_file_details_xml("7000001", "f1", report.files[0])  # type: ignore[arg-type]


def test_future_upload_time_is_refused():
    report, _ = sample()
    later = replace(report.files[0], uploaded_at=datetime.now(UTC) + timedelta(days=2))
    with pytest.raises(ReportInputError, match="uploaded_at"):
        build_file_details_xml(1, "f1", later)
