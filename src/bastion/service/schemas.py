"""Request and response models of the API (they are its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 2**63 - 1
# Database ids are 64-bit: larger numbers are refused as invalid rather than overflowing.
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="A database id")]
OptionalRowId = Annotated[int | None, Query(ge=1, le=MAX_ID)]

HEX_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
HEX_PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


class MediaContext(BaseModel):
    """Where and how the platform received the media."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "platform": "examplegram",
                    "message_id": "chat-1001/msg-42",
                    "chat_id": "-1001234567890",
                    "chat_type": "public_channel",
                    "member_count": 5000,
                    "sender_account_id": "user-777",
                    "sender_ip": "192.0.2.10",
                    "upload_time": "2026-11-29T12:00:00Z",
                }
            ]
        },
    )

    platform: str = Field(..., min_length=1, max_length=64)
    message_id: str | None = Field(
        None, max_length=128, description="Idempotency key with platform"
    )
    chat_id: str | None = Field(None, max_length=128)
    chat_type: str | None = Field(None, max_length=32)
    member_count: int | None = Field(None, ge=0, le=MAX_ID)
    sender_account_id: str | None = Field(None, max_length=128)
    sender_ip: str | None = Field(None, max_length=64)
    upload_time: datetime | None = None
    chat_title: str | None = Field(None, max_length=256)
    sender_username: str | None = Field(None, max_length=64)


class Hashes(BaseModel):
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_usable: bool | None = None


class MatchOut(BaseModel):
    id: int | None = Field(None, description="Recorded match id (when the decision was recorded)")
    query_percent: float | None = Field(
        None, description="vPDQ: share of the upload's frames found"
    )
    listed_percent: float | None = Field(
        None, description="vPDQ: share of the listed video's frames found"
    )
    time_ranges: list[tuple[float, float]] = Field(
        [], description="Video: where the match is, in seconds"
    )
    bank: str
    bank_source: str
    bank_kind: str
    entry_id: int
    signal_type: str
    value: str
    distance: int
    threshold: int
    category: str
    source_label: str | None
    variant: str | None = None


class Verdict(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sighting_id": 17,
                    "duplicate": False,
                    "verdict": "block",
                    "rule": "hotline-exact",
                    "reason": "exact digest listed by a hotline or police database: md5 match in iwf (iwf, category A)",
                    "hashes": {
                        "md5": HEX_MD5,
                        "pdq": HEX_PDQ,
                        "pdq_quality": 100,
                        "pdq_usable": True,
                    },
                    "matches": [
                        {
                            "id": 3,
                            "bank": "iwf",
                            "bank_source": "iwf",
                            "bank_kind": "block",
                            "entry_id": 120,
                            "signal_type": "md5",
                            "value": HEX_MD5,
                            "distance": 0,
                            "threshold": 0,
                            "category": "A",
                            "source_label": "A",
                        }
                    ],
                    "allow_listed": False,
                    "notes": [],
                }
            ]
        }
    )

    sighting_id: int | None = None
    duplicate: bool = False
    verdict: Literal["allow", "review", "block"]
    rule: str
    reason: str
    hashes: Hashes
    matches: list[MatchOut]
    allow_listed: bool = False
    notes: list[str] = []


class LookupItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signals: dict[str, str] = Field(
        ...,
        description="Signal type -> value; several at once",
        examples=[{"md5": HEX_MD5, "pdq": HEX_PDQ}],
    )
    pdq_quality: int | None = Field(None, ge=0, le=100, description="Quality of the PDQ, if known")
    context: MediaContext | None = Field(None, description="Record the decision in this context")


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[LookupItem] = Field(..., min_length=1, max_length=1000)


class LookupResponse(BaseModel):
    results: list[Verdict]


class MatchDetail(MatchOut):
    status: str
    retroactive: bool
    created_at: datetime
    sighting: dict[str, object]
    content: dict[str, object] | None


class MatchPage(BaseModel):
    matches: list[MatchDetail]
    next_cursor: str | None


class BankIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    source: str
    kind: Literal["block", "allow"] = "block"
    pdq_threshold: int = Field(31, ge=0, le=63)
    vpdq_query_percent: float = Field(
        80.0, ge=0, le=100, description="vPDQ: share of the query's frames found"
    )
    vpdq_listed_percent: float = Field(
        0.0, ge=0, le=100, description="vPDQ: share of the listed video's frames found"
    )
    description: str = ""


class BankOut(BaseModel):
    name: str
    source: str
    kind: str
    pdq_threshold: int
    version: int
    live_entries: int
    description: str
    created_at: datetime
    updated_at: datetime


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal_type: str
    value: str
    category: str | None = Field(None, description="A, B, C (or the source's label)")
    source_id: str | None = None


class EntriesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[EntryIn] = Field(..., min_length=1, max_length=100_000)


class ChangeOut(BaseModel):
    bank: str
    version: int | None
    added: int
    removed: int
    unchanged: int
    rematch_job: int | None = None


class AllowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Allow-list the content of this match"
    )
    signals: dict[str, str] | None = Field(None, description="Or these hashes")
    bank: str = Field("allow-list", description="Allow bank to add to (created if missing)")
    note: str = ""


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    progress: int
    total: int | None
    message: str | None
    result: dict[str, object] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    name: str = Field(..., min_length=1, max_length=200)
    expires_at: datetime | None = None


class KeyOut(BaseModel):
    prefix: str
    role: str
    name: str
    status: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewKeyOut(KeyOut):
    key: str = Field(..., description="The secret: shown once, store it now")


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    target_type: str | None
    target_id: str | None
    remote_addr: str | None
    details: dict[str, object] | None
    record_hash: str


class AuditVerifyOut(BaseModel):
    ok: bool
    checked: int
    problems: list[str]
