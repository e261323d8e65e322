"""The UK referral: the same facts as the CyberTipline report, as a JSON document for the National
Crime Agency or the Internet Watch Foundation (schema `bastion.referral/1`).

Why a document of Bastion's own: the NCA takes reports through its own portal or API under the
Online Safety (CSEA Content Reporting by Regulated User-to-User Service Providers) Regulations
2026 (SI 2026/268, made under Online Safety Act 2023 s.67 for the s.66 duty), and the IWF takes
referrals through its member channels; neither format is public. This document holds what those
Regulations name (hash values, EXIF data, IP addresses with ports, the user's identifiers and
the time of the content) in one validated record that staff file through the official channel
and keep as the record of what was reported. It carries hashes and references only, never images.

The schema is the pydantic model below; `referral_json_schema()` gives it as JSON Schema (the
same text ships as `schemas/referral-1.schema.json`).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bastion.reports.hotline.errors import ReferralError
from bastion.reports.hotline.model import HotlineReport, IpCapture, Person

SCHEMA_ID = "bastion.referral/1"

KNOWN_MATERIAL_NOTICE = (
    "Hash matching identifies only known material. Each match below means the file's hash equals "
    "(exact digests) or closely resembles (PDQ, with the distance shown) an entry that a hotline "
    "or police database graded. It says nothing about material that no list holds, and the "
    "category is the list's grading, not a new assessment by the provider."
)
NO_IMAGES_NOTICE = (
    "This document contains no images: hashes and references only. Ask the provider for the "
    "preserved files, quoting the reference."
)

LEGAL_BASIS = {
    "nca": (
        "Online Safety Act 2023, section 66 (reporting CSEA content to the National Crime "
        "Agency); the Online Safety (CSEA Content Reporting by Regulated User-to-User Service "
        "Providers) Regulations 2026 (SI 2026/268)"
    ),
    "iwf": (
        "Referral to the Internet Watch Foundation, the UK hotline for child sexual abuse "
        "imagery, by a platform that found known material on its service"
    ),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReferralPerson(_Model):
    name: str | None = None
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)


class ReferralProvider(_Model):
    organisation: str = Field(min_length=1)
    platform: str = Field(min_length=1)
    reporting_person: ReferralPerson
    contact_person: ReferralPerson | None = None


class ReferralChat(_Model):
    kind: str = Field(min_length=1)
    public: bool
    name: str | None = None
    chat_id: str | None = None
    member_count: int | None = Field(default=None, ge=0)
    url: str | None = None


class ReferralIncident(_Model):
    type: str = Field(min_length=1)
    occurred_at: datetime
    summary: str = Field(min_length=1)
    time_note: str | None = None
    chat: ReferralChat | None = None


class ReferralIpCapture(_Model):
    ip: str = Field(min_length=2)
    at: datetime | None = None
    event: str
    port: int | None = Field(default=None, ge=1, le=65535)
    possible_proxy: bool | None = None


class ReferralUser(_Model):
    account_id: str | None = None
    username: str | None = None
    display_names: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    profile_urls: list[str] = Field(default_factory=list)
    ip_captures: list[ReferralIpCapture] = Field(default_factory=list)
    disabled_at: datetime | None = None


class ReferralMatch(_Model):
    bank: str = Field(min_length=1)
    source: str = Field(min_length=1)
    category: str = Field(min_length=1)
    signal_type: str = Field(min_length=1)
    distance: int = Field(ge=0)
    source_label: str | None = None
    source_id: str | None = None


class ReferralItem(_Model):
    file_name: str = Field(min_length=1)
    original_file_name: str | None = None
    size: int = Field(ge=0)
    md5: str = Field(pattern=r"^[0-9a-f]{32}$")
    sha1: str = Field(pattern=r"^[0-9a-f]{40}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    pdq: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    viewed_by_platform: bool
    publicly_available: bool
    exif_present: bool | None = None
    uploaded_at: datetime | None = None
    upload_ip: ReferralIpCapture | None = None
    location_url: str | None = None
    matches: list[ReferralMatch] = Field(default_factory=list)


class Referral(_Model):
    """One referral. `schema` names the format and its version."""

    schema_id: Literal["bastion.referral/1"] = Field(SCHEMA_ID, alias="schema")
    recipient: Literal["nca", "iwf"]
    reference: str = Field(min_length=1)
    created_at: datetime
    legal_basis: str = Field(min_length=1)
    provider: ReferralProvider
    incident: ReferralIncident
    reported_user: ReferralUser | None = None
    items: list[ReferralItem]
    categories: dict[str, int] = Field(
        description="How many items matched at least one entry of each category (most serious per item)"
    )
    notices: list[str]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _person(person: Person | None) -> ReferralPerson | None:
    if person is None:
        return None
    return ReferralPerson(
        name=person.name or None, emails=list(person.emails), phones=list(person.phones)
    )


def _capture(capture: IpCapture | None) -> ReferralIpCapture | None:
    if capture is None:
        return None
    return ReferralIpCapture(
        ip=capture.ip,
        at=capture.at.astimezone(UTC) if capture.at else None,
        event=capture.event.value,
        port=capture.port,
        possible_proxy=capture.possible_proxy,
    )


# A/B/C first by seriousness (England & Wales grading), then any other label as given.
_ORDER = {"A": 0, "B": 1, "C": 2}


def _most_serious(categories: list[str]) -> str:
    return sorted(categories, key=lambda c: (_ORDER.get(c, 3), c))[0]


def build_referral(
    report: HotlineReport, recipient: Literal["nca", "iwf"], *, created_at: datetime | None = None
) -> Referral:
    """The referral for `recipient` ("nca" or "iwf") from the report's facts. Pure."""
    if recipient not in LEGAL_BASIS:
        raise ReferralError((("recipient", f"{recipient!r}: expected 'nca' or 'iwf'"),))
    incident = report.incident
    chat = incident.chat
    user = report.reported_user
    counts = Counter(
        _most_serious([m.category for m in item.matches]) for item in report.files if item.matches
    )
    return Referral(
        recipient=recipient,
        reference=report.reference,
        created_at=(created_at or datetime.now(UTC)).astimezone(UTC),
        legal_basis=LEGAL_BASIS[recipient],
        provider=ReferralProvider(
            organisation=report.reporter.organisation,
            platform=report.reporter.platform,
            reporting_person=_person(report.reporter.reporting_person),
            contact_person=_person(report.reporter.contact_person),
        ),
        incident=ReferralIncident(
            type=incident.type.value,
            occurred_at=incident.occurred_at.astimezone(UTC),
            summary=incident.summary,
            time_note=incident.time_note,
            chat=None
            if chat is None
            else ReferralChat(
                kind=chat.kind,
                public=chat.public,
                name=chat.name,
                chat_id=chat.chat_id,
                member_count=chat.member_count,
                url=chat.url,
            ),
        ),
        reported_user=None
        if user is None
        else ReferralUser(
            account_id=user.account_id,
            username=user.username,
            display_names=list(user.display_names),
            emails=list(user.emails),
            phones=list(user.phones),
            profile_urls=list(user.profile_urls),
            ip_captures=[_capture(c) for c in user.ip_captures],
            disabled_at=user.disabled_at.astimezone(UTC) if user.disabled_at else None,
        ),
        items=[
            ReferralItem(
                file_name=item.file_name,
                original_file_name=item.original_file_name,
                size=item.size,
                md5=item.md5,
                sha1=item.sha1,
                sha256=item.sha256,
                pdq=item.pdq,
                viewed_by_platform=item.viewed_by_platform,
                publicly_available=item.publicly_available,
                exif_present=item.exif_present,
                uploaded_at=item.uploaded_at.astimezone(UTC) if item.uploaded_at else None,
                upload_ip=_capture(item.upload_ip),
                location_url=item.location_url,
                matches=[
                    ReferralMatch(
                        bank=m.bank,
                        source=m.source,
                        category=m.category,
                        signal_type=m.signal_type,
                        distance=m.distance,
                        source_label=m.source_label,
                        source_id=m.source_id,
                    )
                    for m in item.matches
                ],
            )
            for item in report.files
        ],
        categories=dict(sorted(counts.items(), key=lambda kv: (_ORDER.get(kv[0], 3), kv[0]))),
        notices=[KNOWN_MATERIAL_NOTICE, NO_IMAGES_NOTICE],
    )


def referral_json(referral: Referral) -> str:
    """The referral as JSON text (UTF-8, indented, keys in schema order)."""
    return referral.model_dump_json(by_alias=True, indent=2)


def parse_referral(text: str | bytes) -> Referral:
    """Read and validate a referral document; raises ReferralError listing every problem with
    its path (for example `items.0.sha256`)."""
    try:
        return Referral.model_validate_json(text)
    except ValidationError as exc:
        raise ReferralError(
            tuple((".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors())
        ) from None


def referral_json_schema() -> dict:
    """The JSON Schema of `bastion.referral/1`."""
    schema = Referral.model_json_schema(by_alias=True)
    schema["$id"] = SCHEMA_ID
    return schema


def referral_json_schema_text() -> str:
    return json.dumps(referral_json_schema(), indent=2, sort_keys=True) + "\n"
