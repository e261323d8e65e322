"""Service: API keys, the audit chain, contents, sightings, matches, jobs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 12:52:19.037169
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("prefix", sa.String(length=24), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("expires_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=True),
        sa.Column("target_id", sa.Text(), nullable=True),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "contents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.Column("sha1", sa.String(length=40), nullable=True),
        sa.Column("pdq", sa.String(length=64), nullable=True),
        sa.Column("pdq_quality", sa.Integer(), nullable=True),
        sa.Column("pdq_dihedral", sa.Text(), nullable=True),
        sa.Column("orientation", sa.Integer(), nullable=True),
        sa.Column("media_kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("first_seen", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("contents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contents_first_seen"), ["first_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_contents_last_seen"), ["last_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_contents_md5"), ["md5"], unique=False)
        batch_op.create_index(batch_op.f("ix_contents_sha1"), ["sha1"], unique=False)

    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("started_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("total", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sightings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("chat_id", sa.String(length=128), nullable=True),
        sa.Column("chat_type", sa.String(length=32), nullable=True),
        sa.Column(
            "member_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("sender_account_id", sa.String(length=128), nullable=True),
        sa.Column("sender_ip", sa.String(length=64), nullable=True),
        sa.Column("upload_time", bastion.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("received_at", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "content_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("api_key_prefix", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["contents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "message_id"),
    )
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.create_index("ix_sightings_chat", ["chat_id"], unique=False)
        batch_op.create_index("ix_sightings_received", ["received_at"], unique=False)
        batch_op.create_index("ix_sightings_sender", ["sender_account_id"], unique=False)

    op.create_table(
        "matches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "sighting_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "content_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("bank_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("signal_type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("source_label", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("retroactive", sa.Boolean(), nullable=False),
        sa.Column("created_at", bastion.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["contents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["bank_entries.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sighting_id"],
            ["sightings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sighting_id", "entry_id"),
    )
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.create_index("ix_matches_bank", ["bank_id"], unique=False)
        batch_op.create_index("ix_matches_content", ["content_id"], unique=False)
        batch_op.create_index("ix_matches_created", ["created_at"], unique=False)
        batch_op.create_index("ix_matches_status", ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ix_matches_status")
        batch_op.drop_index("ix_matches_created")
        batch_op.drop_index("ix_matches_content")
        batch_op.drop_index("ix_matches_bank")

    op.drop_table("matches")
    with op.batch_alter_table("sightings", schema=None) as batch_op:
        batch_op.drop_index("ix_sightings_sender")
        batch_op.drop_index("ix_sightings_received")
        batch_op.drop_index("ix_sightings_chat")

    op.drop_table("sightings")
    op.drop_table("jobs")
    with op.batch_alter_table("contents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contents_sha1"))
        batch_op.drop_index(batch_op.f("ix_contents_md5"))
        batch_op.drop_index(batch_op.f("ix_contents_last_seen"))
        batch_op.drop_index(batch_op.f("ix_contents_first_seen"))

    op.drop_table("contents")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
    op.drop_table("api_keys")
