"""SQLAlchemy tables. Every change to them comes with an Alembic migration in migrations/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
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
