"""NCMEC CyberTipline documents: the <report> opened by POST /submit and the <fileDetails> sent
by POST /fileinfo for each uploaded file, built from a `HotlineReport` and checked against the
schema Bastion ships (`schemas/cybertipline.xsd`).

NCMEC's schema uses sequences: an element out of order is rejected (response code 4100), so the
builders append children in exactly the schema's order, and every document is validated before
it is returned. The documents carry hashes, names, ids and flags; they never carry media bytes.

Where the model's facts go (NCMEC element <- model field):
  incidentSummary/incidentType, platform, escalateToHighPriority, incidentDateTime,
      incidentDateTimeDescription <- incident.type, reporter.platform, incident.escalation,
      incident.occurred_at (UTC), incident.time_note
  internetDetails/chatImIncident <- incident.chat (chatClient = platform, chatRoomName = name,
      additionalInfo = kind, id, member count, public or not, link)
  reporter/reportingPerson, contactPerson, companyTemplate, legalURL <- reporter.*
  personOrUserReported <- reported_user (espIdentifier = account_id, screenName = username,
      displayName, profileUrl, person/email and phone, ipCaptureEvent, accountPermanentlyDisabled)
  report/additionalInfo <- incident.summary, the reference, and the known-material notice
  fileDetails <- one ReportedFile (hashes as originalFileHash MD5/SHA1/SHA256; PDQ as a HASH
      detail; matched list entries and EXIF presence as additionalInfo lines)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources

from lxml import etree

from bastion.reports.hotline.errors import ReportInputError, SchemaViolation
from bastion.reports.hotline.model import (
    HotlineReport,
    IpCapture,
    Person,
    ReportedFile,
    ReportedUser,
)

# Written into every report: a hash match says the file equals (or, for PDQ, closely resembles)
# an item a hotline graded, nothing about material no list holds.
KNOWN_MATERIAL_NOTICE = (
    "Detected by hash matching against hotline hash lists. Hash matching identifies only known, "
    "previously graded material; it says nothing about material that no list holds."
)


@cache
def _schema() -> etree.XMLSchema:
    source = resources.files("bastion.reports.hotline").joinpath("schemas/cybertipline.xsd")
    with resources.as_file(source) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def schema_path() -> str:
    """Where the shipped XSD is, for tools that want to read it (e.g. the fake server)."""
    source = resources.files("bastion.reports.hotline").joinpath("schemas/cybertipline.xsd")
    return str(source)


def utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, whole seconds: the shape NCMEC's examples use."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _person(parent: etree._Element, tag: str, person: Person) -> None:
    element = _sub(parent, tag)
    if person.first_name:
        _sub(element, "firstName", person.first_name)
    if person.last_name:
        _sub(element, "lastName", person.last_name)
    for phone in person.phones:
        _sub(element, "phone", phone)
    for email in person.emails:
        _sub(element, "email", email)


def _ip_capture(parent: etree._Element, capture: IpCapture) -> None:
    element = _sub(parent, "ipCaptureEvent")
    _sub(element, "ipAddress", capture.ip)
    _sub(element, "eventName", capture.event.value)
    if capture.at is not None:
        _sub(element, "dateTime", utc(capture.at))
    if capture.possible_proxy is not None:
        _sub(element, "possibleProxy", _flag(capture.possible_proxy))
    if capture.port is not None:
        _sub(element, "port", str(capture.port))


def _reported_user(parent: etree._Element, user: ReportedUser, platform: str) -> None:
    element = _sub(parent, "personOrUserReported")
    if user.emails or user.phones:
        _person(
            element, "personOrUserReportedPerson", Person(emails=user.emails, phones=user.phones)
        )
    if user.account_id:
        _sub(element, "espIdentifier", user.account_id)
    _sub(element, "espService", platform)
    if user.username:
        _sub(element, "screenName", user.username)
    for name in user.display_names:
        _sub(element, "displayName", name)
    for url in user.profile_urls:
        _sub(element, "profileUrl", url)
    for capture in user.ip_captures:
        _ip_capture(element, capture)
    if user.disabled_at is not None:
        _sub(element, "accountPermanentlyDisabled", "true", disabledDate=utc(user.disabled_at))


def _chat_info(report: HotlineReport) -> str:
    chat = report.incident.chat
    assert chat is not None
    lines = [f"Chat type: {chat.kind}", f"Publicly visible: {'yes' if chat.public else 'no'}"]
    if chat.chat_id:
        lines.append(f"Chat id: {chat.chat_id}")
    if chat.member_count is not None:
        lines.append(f"Members at the time: {chat.member_count}")
    if chat.url:
        lines.append(f"Link: {chat.url}")
    return "\n".join(lines)


def _check_past(field: str, moment: datetime | None, now: datetime) -> None:
    # NCMEC: every reported date-time "must be in the past" (documentation, Appendices A to C).
    if moment is not None and moment > now:
        raise ReportInputError(field, f"{utc(moment)} is in the future (now {utc(now)})")


def _check_times(report: HotlineReport, now: datetime) -> None:
    _check_past("incident.occurred_at", report.incident.occurred_at, now)
    user = report.reported_user
    if user is not None:
        _check_past("reported_user.disabled_at", user.disabled_at, now)
        for i, capture in enumerate(user.ip_captures):
            _check_past(f"reported_user.ip_captures[{i}].at", capture.at, now)
    for i, item in enumerate(report.files):
        _check_past(f"files[{i}].uploaded_at", item.uploaded_at, now)
        if item.upload_ip is not None:
            _check_past(f"files[{i}].upload_ip.at", item.upload_ip.at, now)


def build_report_xml(report: HotlineReport, *, now: datetime | None = None) -> bytes:
    """The <report> document for POST /submit, validated; UTF-8 bytes with an XML declaration.

    Pure: the same report always gives the same bytes (keep them: 18 U.S.C. 2258A(h) asks the
    provider to preserve what it reported for one year). Raises ReportInputError for a time in
    the future and SchemaViolation if a value breaks the schema (a name too long, say)."""
    _check_times(report, now or datetime.now(UTC))
    root = etree.Element("report")
    summary = _sub(root, "incidentSummary")
    _sub(summary, "incidentType", report.incident.type.value)
    _sub(summary, "platform", report.reporter.platform)
    if report.incident.escalation:
        _sub(summary, "escalateToHighPriority", report.incident.escalation)
    _sub(summary, "incidentDateTime", utc(report.incident.occurred_at))
    if report.incident.time_note:
        _sub(summary, "incidentDateTimeDescription", report.incident.time_note)

    if report.incident.chat is not None:
        chat = _sub(_sub(root, "internetDetails"), "chatImIncident")
        _sub(chat, "chatClient", report.reporter.platform)
        if report.incident.chat.name:
            _sub(chat, "chatRoomName", report.incident.chat.name)
        _sub(chat, "additionalInfo", _chat_info(report))

    reporter = _sub(root, "reporter")
    _person(reporter, "reportingPerson", report.reporter.reporting_person)
    if report.reporter.contact_person is not None:
        _person(reporter, "contactPerson", report.reporter.contact_person)
    if report.reporter.company_template:
        _sub(reporter, "companyTemplate", report.reporter.company_template)
    if report.reporter.legal_url:
        _sub(reporter, "legalURL", report.reporter.legal_url)

    if report.reported_user is not None:
        _reported_user(root, report.reported_user, report.reporter.platform)

    _sub(
        root,
        "additionalInfo",
        f"{report.incident.summary}\n\nReference: {report.reference}\n{KNOWN_MATERIAL_NOTICE}",
    )
    return _finish("report", root)


def _match_lines(item: ReportedFile) -> list[str]:
    lines = []
    for match in item.matches:
        label = f", source label {match.source_label!r}" if match.source_label else ""
        entry = f", entry {match.source_id}" if match.source_id else ""
        lines.append(
            f"Matched hash list entry: bank {match.bank} (source {match.source}), category "
            f"{match.category}{label}{entry}, by {match.how}"
        )
    return lines


def build_file_details_xml(
    report_id: int, file_id: str, item: ReportedFile, *, now: datetime | None = None
) -> bytes:
    """The <fileDetails> document for POST /fileinfo about one uploaded file, validated."""
    if isinstance(report_id, bool) or not isinstance(report_id, int) or report_id < 0:
        raise ReportInputError(
            "report_id", f"expected NCMEC's numeric report id, got {report_id!r}"
        )
    if not isinstance(file_id, str) or not file_id.strip():
        raise ReportInputError("file_id", f"expected NCMEC's file id, got {file_id!r}")
    current = now or datetime.now(UTC)
    _check_past("file.uploaded_at", item.uploaded_at, current)
    if item.upload_ip is not None:
        _check_past("file.upload_ip.at", item.upload_ip.at, current)

    root = etree.Element("fileDetails")
    _sub(root, "reportId", str(report_id))
    _sub(root, "fileId", file_id)
    _sub(root, "fileName", item.file_name)
    if item.original_file_name:
        _sub(root, "originalFileName", item.original_file_name)
    if item.uploaded_at is not None:
        _sub(root, "uploadedToEspTimestamp", utc(item.uploaded_at))
    if item.location_url:
        _sub(root, "locationOfFile", item.location_url)
    _sub(root, "fileViewedByEsp", _flag(item.viewed_by_platform))
    _sub(root, "exifViewedByEsp", _flag(item.exif_viewed))
    _sub(root, "publiclyAvailable", _flag(item.publicly_available))
    _sub(root, "fileRelevance", "Reported")
    if item.industry_classification:
        _sub(root, "industryClassification", item.industry_classification)
    for hash_type, value in (("MD5", item.md5), ("SHA1", item.sha1), ("SHA256", item.sha256)):
        _sub(root, "originalFileHash", value, hashType=hash_type)
    if item.upload_ip is not None:
        _ip_capture(root, item.upload_ip)
    if item.pdq:
        details = _sub(root, "details", type="HASH")
        pair = _sub(details, "nameValuePair")
        _sub(pair, "name", "PDQ")
        _sub(pair, "value", item.pdq)
    exif = {True: "yes", False: "no", None: "unknown"}[item.exif_present]
    for line in [*_match_lines(item), f"EXIF metadata present in the original: {exif}"]:
        _sub(root, "additionalInfo", line)
    return _finish("fileDetails", root)


def _finish(document: str, root: etree._Element) -> bytes:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(data, document)
    return data


def validate(data: bytes, document: str | None = None) -> etree._Element:
    """Parse and validate a CyberTipline XML document against the shipped schema; return its root.

    `document` ("report", "fileDetails", ...) also checks the root element. Raises
    SchemaViolation listing every problem with its line, or for XML that does not parse."""
    try:
        tree = etree.fromstring(
            data, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as exc:
        raise SchemaViolation(
            document or "CyberTipline", ((exc.lineno or 0, "", str(exc.msg)),)
        ) from None
    if document is not None and tree.tag != document:
        raise SchemaViolation(
            document,
            ((tree.sourceline or 1, "/", f"root element is <{tree.tag}>, expected <{document}>"),),
        )
    schema = _schema()
    if not schema.validate(tree):
        problems = tuple((e.line, e.path or "", e.message) for e in schema.error_log)
        raise SchemaViolation(document or tree.tag, problems)
    return tree


def validate_report_xml(data: bytes) -> None:
    validate(data, "report")


def validate_file_details_xml(data: bytes) -> None:
    validate(data, "fileDetails")
