"""SQLAlchemy tables. Every change to them comes with an Alembic migration in migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bastion.store.types import BigId, UTCDateTime


class Base(DeclarativeBase):
    pass


class BankRow(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    pdq_threshold: Mapped[int] = mapped_column(Integer)
    # vPDQ match rule: query % >= vpdq_query_percent and listed % >= vpdq_listed_percent.
    vpdq_query_percent: Mapped[float] = mapped_column(Float, default=80.0)
    vpdq_listed_percent: Mapped[float] = mapped_column(Float, default=0.0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class BankVersionRow(Base):
    """One change to a bank. Its id is a global, increasing change number: an index snapshot
    that has applied changes up to N catches up by reading entries changed after N."""

    __tablename__ = "bank_versions"
    __table_args__ = (UniqueConstraint("bank_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    version: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    source_file: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class BankEntryRow(Base):
    """A hash in a bank. Removal sets removed_change_id (a tombstone): rows are never deleted,
    so a past match can always be explained."""

    __tablename__ = "bank_entries"
    __table_args__ = (
        Index("ix_bank_entries_lookup", "signal_type", "value_key"),
        Index("ix_bank_entries_added", "added_change_id"),
        Index("ix_bank_entries_removed", "removed_change_id"),
        Index(
            "ux_bank_entries_live",
            "bank_id",
            "signal_type",
            "value_key",
            unique=True,
            sqlite_where=text("removed_change_id IS NULL"),
            postgresql_where=text("removed_change_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    signal_type: Mapped[str] = mapped_column(String(16))
    # value_key is the value itself for short signals and a SHA-256 of it for long ones
    # (vPDQ), so every index stays within PostgreSQL's B-tree row limit.
    value_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(8))
    source_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    added_change_id: Mapped[int] = mapped_column(ForeignKey("bank_versions.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("bank_versions.id"), nullable=True
    )
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ImportStagingRow(Base):
    """Rows of an import in progress: validated here, checked for duplicates and conflicts
    with SQL, and only then applied, so a bad file changes nothing and memory stays bounded."""

    __tablename__ = "import_staging"
    __table_args__ = (Index("ix_import_staging_key", "token", "signal_type", "value_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(32))
    line: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(8))
    signal_type: Mapped[str] = mapped_column(String(16))
    value_key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(8))
    source_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


# -- service (0002) ----------------------------------------------------------------------------


class ApiKeyRow(Base):
    """An API key: only a SHA-256 of its secret is kept (keys are 256-bit random, so a slow KDF
    adds nothing); the prefix identifies it in logs and the audit trail."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditRow(Base):
    """Append-only, hash-chained: record_hash = SHA-256(prev_hash + canonical record)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    target_id: Mapped[str | None] = mapped_column(Text, nullable=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the chain's tip. Appenders lock it, so concurrent processes chain in order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))


class ContentRow(Base):
    """A distinct piece of content (by SHA-256), whoever sent it and however often."""

    __tablename__ = "contents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    sha1: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The 8 dihedral variants, comma-separated, so a repeat of these bytes is answered exactly
    # as the first time without decoding them again.
    pdq_dihedral: Mapped[str | None] = mapped_column(Text, nullable=True)
    orientation: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A video's vPDQ (ThreatExchange text), for repeats and retroactive matching.
    vpdq: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size: Mapped[int | None] = mapped_column(BigId, nullable=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SightingRow(Base):
    """One upload or lookup as the platform reported it, with its decision."""

    __tablename__ = "sightings"
    __table_args__ = (
        UniqueConstraint("platform", "message_id"),
        Index("ix_sightings_received", "received_at"),
        Index("ix_sightings_chat", "chat_id"),
        Index("ix_sightings_sender", "sender_account_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chat_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chat_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    member_count: Mapped[int | None] = mapped_column(BigId, nullable=True)
    sender_account_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    sender_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    upload_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    chat_title: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender_username: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))
    signals: Mapped[dict[str, Any]] = mapped_column(JSON)
    verdict: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(64))
    api_key_prefix: Mapped[str | None] = mapped_column(String(24), nullable=True)


class MatchRow(Base):
    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("sighting_id", "entry_id"),
        Index("ix_matches_created", "created_at"),
        Index("ix_matches_bank", "bank_id"),
        Index("ix_matches_status", "status"),
        Index("ix_matches_content", "content_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("contents.id"), nullable=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"))
    signal_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    distance: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(16), nullable=True)
    category: Mapped[str] = mapped_column(String(8))
    source_label: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    retroactive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    progress: Mapped[int] = mapped_column(BigId, default=0)
    total: Mapped[int | None] = mapped_column(BigId, nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


# -- review, evidence, actions (0003) --------------------------------------------------------


class UserRow(Base):
    """A person who signs in to the web UI. Passwords are Argon2id hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    daily_reveal_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remote_addr: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RevealRow(Base):
    """A reviewer chose to see an item unblurred: counted per reviewer per day (wellness).

    The reveal is also the ticket for the unblurred rendering (0007): only a hash of the ticket
    is kept, it expires within seconds and is served at most once (`served_at`)."""

    __tablename__ = "reveals"
    __table_args__ = (
        Index("ix_reveals_user_at", "user_id", "at"),
        Index("ux_reveals_ticket", "ticket_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ticket_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ticket_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    colour: Mapped[bool] = mapped_column(default=False, server_default=text("false"))


class ReviewDecisionRow(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_match", "match_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(8), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class EvidenceRow(Base):
    """Encrypted bytes of matched media, in the vault folder; never in the database."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("contents.id"), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    md5: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(BigId)
    path: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retain_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    legal_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutboxRow(Base):
    """Follow-up work committed in the same transaction as the decision that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DeliveryRow(Base):
    """One attempt to deliver a webhook."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_outbox", "outbox_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    url: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)


class HotlineReportRow(Base):
    """A report to a hotline: drafted from confirmed matches, submitted at most once."""

    __tablename__ = "hotline_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hotline: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    sighting_id: Mapped[int] = mapped_column(ForeignKey("sightings.id"))
    match_ids: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    remote_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(Text)


# -- cases: scans of exports and folders (0004) ------------------------------------------------


class CaseRow(Base):
    """One investigation: a source scanned against named banks, with its chain of custody."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # running, interrupted, complete
    source_path: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(32))
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    banks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    tool_version: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    problems: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)


class CaseFileRow(Base):
    """A distinct file of a case's source (by the source's key), hashed once."""

    __tablename__ = "case_files"
    __table_args__ = (
        UniqueConstraint("case_id", "key"),
        Index("ix_case_files_sha256", "case_id", "sha256"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    key: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(
        String(16)
    )  # hashed, matched, undecodable, too_large, unreadable
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int | None] = mapped_column(BigId, nullable=True)
    md5: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sha1: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    media_format: Mapped[str | None] = mapped_column(String(16), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    moving: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str | None] = mapped_column(String(8), nullable=True)
    hashed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CaseItemRow(Base):
    """One reference to media (a message's photo, a file in a folder) with its context."""

    __tablename__ = "case_items"
    __table_args__ = (
        UniqueConstraint("case_id", "ref"),
        Index("ix_case_items_key", "case_id", "key"),
        Index("ix_case_items_chat", "case_id", "chat_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(BigId)
    ref: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    source_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_kind: Mapped[str] = mapped_column(String(16))
    mime_type: Mapped[str | None] = mapped_column(String(128), nullable=True)
    chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chat_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    chat_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    date_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    sender_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sender_is_owner: Mapped[bool | None] = mapped_column(nullable=True)
    forwarded_from: Mapped[str | None] = mapped_column(Text, nullable=True)
    edited: Mapped[bool] = mapped_column(default=False)
    is_thumbnail: Mapped[bool] = mapped_column(default=False)
    is_derived: Mapped[bool] = mapped_column(default=False)
    section: Mapped[str | None] = mapped_column(String(32), nullable=True)


class CaseMatchRow(Base):
    __tablename__ = "case_matches"
    __table_args__ = (
        UniqueConstraint("file_id", "entry_id"),
        Index("ix_case_matches_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("case_files.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"))
    bank: Mapped[str] = mapped_column(String(64))
    signal_type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    distance: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(16), nullable=True)
    category: Mapped[str] = mapped_column(String(8))
    source_label: Mapped[str | None] = mapped_column(Text, nullable=True)


# --- What people add to a case: answers, chat facts, production marks -----------------------
# Append-only: a later row for the same question (chat, mark) supersedes an earlier one, and the
# history stays, so a report can always say who said what and when. Every row is also written to
# the audit trail in the same transaction.


class CaseAnswerRow(Base):
    """A person's answer to a guideline question the evidence cannot answer."""

    __tablename__ = "case_answers"
    __table_args__ = (Index("ix_case_answers_case", "case_id", "question"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    question: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    given_by: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseChatFactRow(Base):
    """Facts about a chat that an export does not carry: its member count, and whether the
    account owner posts in it as the chat itself (a channel admin)."""

    __tablename__ = "case_chat_facts"
    __table_args__ = (Index("ix_case_chat_facts_case", "case_id", "chat_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    chat_key: Mapped[str] = mapped_column(String(300))
    chat_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    member_count: Mapped[int | None] = mapped_column(BigId, nullable=True)
    owner_posts: Mapped[bool | None] = mapped_column(nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    given_by: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseProductionMarkRow(Base):
    """A person's mark that images were produced (taken or made at source). Never inferred."""

    __tablename__ = "case_production_marks"
    __table_args__ = (Index("ix_case_production_marks_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    item_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    category: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    given_by: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(Text, nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str | None] = mapped_column(Text, nullable=True)


# -- the lawful-request desk (0009) ----------------------------------------------------------


class AccountIdentifierRow(Base):
    """An identifier the platform recorded for an account (the phone number), with when it was
    observed; kept only for the desk and purged after the retention period."""

    __tablename__ = "account_identifiers"
    __table_args__ = (Index("ix_account_identifiers_account", "platform", "account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    api_key_prefix: Mapped[str | None] = mapped_column(String(24), nullable=True)


class AccountIpEventRow(Base):
    """An IP address an account used, when, and for what (sign-up, login, upload)."""

    __tablename__ = "account_ip_events"
    __table_args__ = (Index("ix_account_ip_events_account", "platform", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(128))
    ip: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    api_key_prefix: Mapped[str | None] = mapped_column(String(24), nullable=True)


class LegalRequestRow(Base):
    """A lawful request and each step taken on it. The steps are JSON records written by the
    pure state machine in bastion.legal.requests; `version` makes concurrent steps conflict
    instead of overwriting each other (two approvals at once, say)."""

    __tablename__ = "legal_requests"
    __table_args__ = (
        Index("ix_legal_requests_state", "state"),
        Index("ix_legal_requests_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(128))
    authority: Mapped[str] = mapped_column(Text)
    country: Mapped[str] = mapped_column(String(2))
    officer: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(64))
    accounts: Mapped[list[str]] = mapped_column(JSON)
    data_types: Mapped[list[str]] = mapped_column(JSON)
    date_from: Mapped[datetime] = mapped_column(UTCDateTime())
    date_to: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    steps: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LegalDocumentRow(Base):
    """A file of a request: the request document as received, and the disclosure package."""

    __tablename__ = "legal_documents"
    __table_args__ = (UniqueConstraint("request_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("legal_requests.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigId)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
