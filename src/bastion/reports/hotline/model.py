"""The facts of one hotline report, as plain data the caller fills from its own records.

One model feeds every format: the NCMEC CyberTipline XML (`cybertip_xml`) and the UK referral
for the NCA or the IWF (`referral`). It carries hashes, ids and references only. Media bytes
never enter it: the CyberTipline client uploads files from bytes the caller hands it at upload
time, and checks them against the MD5 recorded here.

Field names follow the field's own words where the two hotlines agree; where NCMEC's element
names differ, `cybertip_xml` documents the mapping and docs/reports.md lists it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bastion.reports.hotline.errors import ReportInputError

# NCMEC's documented rule for every email element: well formed, at most 255 characters, local
# part at most 64 (CyberTipline Reporting API documentation, Appendix A, <email>).
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_HEX = re.compile(r"^[0-9a-f]+$")


class IncidentType(StrEnum):
    """NCMEC's incidentType values (schema enumeration, read 2025-11 documentation)."""

    CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
    CHILD_SEX_TRAFFICKING = "Child Sex Trafficking"
    CHILD_SEX_TOURISM = "Child Sex Tourism"
    CHILD_SEXUAL_MOLESTATION = "Child Sexual Molestation"
    MISLEADING_DOMAIN_NAME = "Misleading Domain Name"
    MISLEADING_WORDS_OR_IMAGES = "Misleading Words or Digital Images on the Internet"
    ONLINE_ENTICEMENT = "Online Enticement of Children for Sexual Acts"
    UNSOLICITED_OBSCENE_MATERIAL = "Unsolicited Obscene Material Sent to a Child"


class CaptureEvent(StrEnum):
    """What the user was doing when the platform recorded an IP address (NCMEC's eventName)."""

    LOGIN = "Login"
    REGISTRATION = "Registration"
    PURCHASE = "Purchase"
    UPLOAD = "Upload"
    OTHER = "Other"
    UNKNOWN = "Unknown"


def _require_text(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise ReportInputError(field, f"expected non-empty text, got {value!r}")


def _require_aware(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, datetime):
        raise ReportInputError(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ReportInputError(
            field, f"{value.isoformat()} has no time zone; give times in UTC (tzinfo=UTC)"
        )


def _require_emails(field: str, values: tuple[str, ...]) -> None:
    for i, email in enumerate(values):
        if not isinstance(email, str) or len(email) > 255 or not _EMAIL.match(email):
            raise ReportInputError(f"{field}[{i}]", f"{email!r} is not a well-formed email address")


def _require_hex(field: str, value: str | None, length: int, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) != length or not _HEX.match(value):
        raise ReportInputError(
            field, f"expected {length} lowercase hexadecimal characters, got {value!r}"
        )


def _require_tuple(field: str, value: object) -> None:
    if not isinstance(value, tuple):
        raise ReportInputError(field, f"expected a tuple, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Person:
    """A named person with ways to reach them (the reporting person, a contact)."""

    first_name: str | None = None
    last_name: str | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_text("person.first_name", self.first_name, optional=True)
        _require_text("person.last_name", self.last_name, optional=True)
        _require_tuple("person.emails", self.emails)
        _require_tuple("person.phones", self.phones)
        _require_emails("person.emails", self.emails)
        for i, phone in enumerate(self.phones):
            _require_text(f"person.phones[{i}]", phone)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True, slots=True)
class Reporter:
    """The platform making the report and the people law enforcement can contact about it.

    `reporting_person` needs at least one email address: NCMEC requires it, and its receipt is
    the provider's notification under 18 U.S.C. 2258A(h)(1) (documentation, B.4 Reporter)."""

    organisation: str
    platform: str
    reporting_person: Person
    contact_person: Person | None = None
    company_template: str | None = None
    legal_url: str | None = None

    def __post_init__(self) -> None:
        _require_text("reporter.organisation", self.organisation)
        _require_text("reporter.platform", self.platform)
        if not isinstance(self.reporting_person, Person):
            raise ReportInputError("reporter.reporting_person", "expected a Person")
        if not self.reporting_person.emails:
            raise ReportInputError(
                "reporter.reporting_person.emails",
                "at least one email address is required (NCMEC rejects a report without one)",
            )
        _require_text("reporter.company_template", self.company_template, optional=True)
        _require_text("reporter.legal_url", self.legal_url, optional=True)


@dataclass(frozen=True, slots=True)
class Chat:
    """Where the content was shared: the chat's kind (for example `public_channel`), its name
    and id on the platform, how many members could see it, and whether it was public."""

    kind: str
    public: bool
    name: str | None = None
    chat_id: str | None = None
    member_count: int | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        _require_text("incident.chat.kind", self.kind)
        if not isinstance(self.public, bool):
            raise ReportInputError(
                "incident.chat.public", f"expected True or False, got {self.public!r}"
            )
        _require_text("incident.chat.name", self.name, optional=True)
        _require_text("incident.chat.chat_id", self.chat_id, optional=True)
        _require_text("incident.chat.url", self.url, optional=True)
        if self.member_count is not None and (
            isinstance(self.member_count, bool)
            or not isinstance(self.member_count, int)
            or self.member_count < 0
        ):
            raise ReportInputError(
                "incident.chat.member_count", f"expected a whole number, got {self.member_count!r}"
            )


@dataclass(frozen=True, slots=True)
class Incident:
    """What happened, when (timezone-aware; written in UTC) and where.

    `summary` is the platform's own account in a few sentences. `escalation` is only for an
    immediate risk to a child: any text there escalates the report at NCMEC."""

    type: IncidentType
    occurred_at: datetime
    summary: str
    chat: Chat | None = None
    time_note: str | None = None
    escalation: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.type, IncidentType):
            raise ReportInputError("incident.type", f"expected an IncidentType, got {self.type!r}")
        _require_aware("incident.occurred_at", self.occurred_at)
        _require_text("incident.summary", self.summary)
        if self.chat is not None and not isinstance(self.chat, Chat):
            raise ReportInputError("incident.chat", "expected a Chat")
        _require_text("incident.time_note", self.time_note, optional=True)
        _require_text("incident.escalation", self.escalation, optional=True)


@dataclass(frozen=True, slots=True)
class IpCapture:
    """An IP address the platform recorded for the user, when, and during which event."""

    ip: str
    at: datetime | None = None
    event: CaptureEvent = CaptureEvent.UNKNOWN
    port: int | None = None
    possible_proxy: bool | None = None

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.ip)
        except (ValueError, TypeError):
            raise ReportInputError(
                "ip_capture.ip", f"{self.ip!r} is not an IPv4 or IPv6 address"
            ) from None
        _require_aware("ip_capture.at", self.at, optional=True)
        if not isinstance(self.event, CaptureEvent):
            raise ReportInputError(
                "ip_capture.event", f"expected a CaptureEvent, got {self.event!r}"
            )
        if self.port is not None and (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 1 <= self.port <= 65535
        ):
            raise ReportInputError("ip_capture.port", f"expected 1..65535, got {self.port!r}")


@dataclass(frozen=True, slots=True)
class ReportedUser:
    """The account that shared the content, as the platform knows it."""

    account_id: str | None = None
    username: str | None = None
    display_names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    profile_urls: tuple[str, ...] = ()
    ip_captures: tuple[IpCapture, ...] = ()
    disabled_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_text("reported_user.account_id", self.account_id, optional=True)
        _require_text("reported_user.username", self.username, optional=True)
        for name in ("display_names", "emails", "phones", "profile_urls", "ip_captures"):
            _require_tuple(f"reported_user.{name}", getattr(self, name))
        _require_emails("reported_user.emails", self.emails)
        for i, capture in enumerate(self.ip_captures):
            if not isinstance(capture, IpCapture):
                raise ReportInputError(f"reported_user.ip_captures[{i}]", "expected an IpCapture")
        _require_aware("reported_user.disabled_at", self.disabled_at, optional=True)
        if not (
            self.account_id or self.username or self.display_names or self.emails or self.phones
        ):
            raise ReportInputError(
                "reported_user",
                "give at least one identifier (account_id, username, display name, email or phone)",
            )


@dataclass(frozen=True, slots=True)
class ListMatch:
    """One hash-list entry the file matched: which bank (and the source that graded it), the
    category and the source's own label, the entry's id at the source, and how it matched."""

    bank: str
    source: str
    category: str
    signal_type: str
    distance: int = 0
    source_label: str | None = None
    source_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("bank", "source", "category", "signal_type"):
            _require_text(f"match.{name}", getattr(self, name))
        if (
            isinstance(self.distance, bool)
            or not isinstance(self.distance, int)
            or self.distance < 0
        ):
            raise ReportInputError(
                "match.distance", f"expected a whole number, got {self.distance!r}"
            )

    @property
    def how(self) -> str:
        return (
            f"{self.signal_type} exact"
            if self.distance == 0
            else f"{self.signal_type} distance {self.distance}"
        )


@dataclass(frozen=True, slots=True)
class ReportedFile:
    """One file in the report: its name, size and hashes, what the platform did with it, and the
    list entries it matched.

    `viewed_by_platform` is true only when a person at the platform looked at the whole file (a
    reviewer revealed it); a hash match alone is not viewing. `exif_viewed` says whether a person
    looked at its EXIF metadata; NCMEC requires the file itself to have been viewed then.
    `exif_present` is whether the original carried EXIF metadata, if known."""

    file_name: str
    size: int
    md5: str
    sha1: str
    sha256: str
    viewed_by_platform: bool
    publicly_available: bool
    matches: tuple[ListMatch, ...] = ()
    pdq: str | None = None
    original_file_name: str | None = None
    uploaded_at: datetime | None = None
    upload_ip: IpCapture | None = None
    location_url: str | None = None
    exif_present: bool | None = None
    exif_viewed: bool = False
    industry_classification: str | None = None

    def __post_init__(self) -> None:
        _require_text("file.file_name", self.file_name)
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ReportInputError("file.size", f"expected a size in bytes, got {self.size!r}")
        _require_hex("file.md5", self.md5, 32)
        _require_hex("file.sha1", self.sha1, 40)
        _require_hex("file.sha256", self.sha256, 64)
        _require_hex("file.pdq", self.pdq, 64, optional=True)
        for name in ("viewed_by_platform", "publicly_available", "exif_viewed"):
            if not isinstance(getattr(self, name), bool):
                raise ReportInputError(
                    f"file.{name}", f"expected True or False, got {getattr(self, name)!r}"
                )
        if self.exif_viewed and not self.viewed_by_platform:
            raise ReportInputError(
                "file.exif_viewed",
                "NCMEC requires fileViewedByEsp to be true when exifViewedByEsp is true",
            )
        _require_tuple("file.matches", self.matches)
        for i, match in enumerate(self.matches):
            if not isinstance(match, ListMatch):
                raise ReportInputError(f"file.matches[{i}]", "expected a ListMatch")
        _require_text("file.original_file_name", self.original_file_name, optional=True)
        _require_aware("file.uploaded_at", self.uploaded_at, optional=True)
        if self.upload_ip is not None and not isinstance(self.upload_ip, IpCapture):
            raise ReportInputError("file.upload_ip", "expected an IpCapture")
        _require_text("file.location_url", self.location_url, optional=True)
        # Only for ESPs that signed NCMEC's Industry Hash Sharing MOU; it is not the UK A/B/C
        # scale (documentation, Appendix C, <industryClassification>).
        if self.industry_classification not in (None, "A1", "A2", "B1", "B2"):
            raise ReportInputError(
                "file.industry_classification",
                f"{self.industry_classification!r}: only A1, A2, B1 or B2 (NCMEC's industry scale)",
            )


@dataclass(frozen=True, slots=True)
class HotlineReport:
    """Everything one report says. `reference` is the caller's own id for it (a case or review
    id), written into every format so a hotline's questions can be traced back."""

    reference: str
    reporter: Reporter
    incident: Incident
    files: tuple[ReportedFile, ...]
    reported_user: ReportedUser | None = None

    def __post_init__(self) -> None:
        _require_text("reference", self.reference)
        if not isinstance(self.reporter, Reporter):
            raise ReportInputError("reporter", "expected a Reporter")
        if not isinstance(self.incident, Incident):
            raise ReportInputError("incident", "expected an Incident")
        _require_tuple("files", self.files)
        for i, item in enumerate(self.files):
            if not isinstance(item, ReportedFile):
                raise ReportInputError(f"files[{i}]", "expected a ReportedFile")
        if self.reported_user is not None and not isinstance(self.reported_user, ReportedUser):
            raise ReportInputError("reported_user", "expected a ReportedUser")
