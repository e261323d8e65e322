"""Banks, their versions and entries, and the import staging table.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from bastion.store.types import BigId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("pdq_threshold", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "bank_versions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("removed", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("source_file", sa.Text, nullable=True),
        sa.Column("source_sha256", sa.String(64), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("bank_id", "version"),
    )
    op.create_table(
        "bank_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("bank_id", BigId, sa.ForeignKey("banks.id"), nullable=False),
        sa.Column("signal_type", sa.String(16), nullable=False),
        sa.Column("value_key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.String(8), nullable=False),
        sa.Column("source_label", sa.Text, nullable=True),
        sa.Column("source_id", sa.Text, nullable=True),
        sa.Column("extra", sa.JSON, nullable=True),
        sa.Column("added_change_id", BigId, sa.ForeignKey("bank_versions.id"), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("removed_change_id", BigId, sa.ForeignKey("bank_versions.id"), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_bank_entries_lookup", "bank_entries", ["signal_type", "value_key"])
    op.create_index("ix_bank_entries_added", "bank_entries", ["added_change_id"])
    op.create_index("ix_bank_entries_removed", "bank_entries", ["removed_change_id"])
    op.create_index(
        "ux_bank_entries_live",
        "bank_entries",
        ["bank_id", "signal_type", "value_key"],
        unique=True,
        sqlite_where=sa.text("removed_change_id IS NULL"),
        postgresql_where=sa.text("removed_change_id IS NULL"),
    )
    op.create_table(
        "import_staging",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("signal_type", sa.String(16), nullable=False),
        sa.Column("value_key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("category", sa.String(8), nullable=False),
        sa.Column("source_label", sa.Text, nullable=True),
        sa.Column("source_id", sa.Text, nullable=True),
        sa.Column("extra", sa.JSON, nullable=True),
    )
    op.create_index(
        "ix_import_staging_key", "import_staging", ["token", "signal_type", "value_key"]
    )


def downgrade() -> None:
    op.drop_table("import_staging")
    op.drop_table("bank_entries")
    op.drop_table("bank_versions")
    op.drop_table("banks")
