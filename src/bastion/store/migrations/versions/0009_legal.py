"""The lawful-request desk: account identifiers and IP events the platform records for it,
legal requests with their steps, and their documents (the request and the package).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = bastion.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_identifiers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("observed_at", WHEN, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("api_key_prefix", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_account_identifiers_account", "account_identifiers", ["platform", "account_id"]
    )
    op.create_index("ix_account_identifiers_observed_at", "account_identifiers", ["observed_at"])
    op.create_table(
        "account_ip_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("api_key_prefix", sa.String(length=24), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_account_ip_events_account", "account_ip_events", ["platform", "account_id", "at"]
    )
    op.create_index("ix_account_ip_events_at", "account_ip_events", ["at"])
    op.create_table(
        "legal_requests",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("officer", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("data_types", sa.JSON(), nullable=False),
        sa.Column("date_from", WHEN, nullable=False),
        sa.Column("date_to", WHEN, nullable=False),
        sa.Column("deadline", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_requests_state", "legal_requests", ["state"])
    op.create_index("ix_legal_requests_received", "legal_requests", ["received_at"])
    op.create_table(
        "legal_documents",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("request_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=128), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", BIG_ID, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["legal_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("legal_documents")
    op.drop_index("ix_legal_requests_received", table_name="legal_requests")
    op.drop_index("ix_legal_requests_state", table_name="legal_requests")
    op.drop_table("legal_requests")
    op.drop_index("ix_account_ip_events_at", table_name="account_ip_events")
    op.drop_index("ix_account_ip_events_account", table_name="account_ip_events")
    op.drop_table("account_ip_events")
    op.drop_index("ix_account_identifiers_observed_at", table_name="account_identifiers")
    op.drop_index("ix_account_identifiers_account", table_name="account_identifiers")
    op.drop_table("account_identifiers")
