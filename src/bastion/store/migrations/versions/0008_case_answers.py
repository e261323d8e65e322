"""Case answers: people's answers to guideline questions, chat facts the export lacks, and
production marks, each with who gave it and when.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 13:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = bastion.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_answers",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("given_by", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_answers", schema=None) as batch_op:
        batch_op.create_index("ix_case_answers_case", ["case_id", "question"], unique=False)

    op.create_table(
        "case_chat_facts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("chat_key", sa.String(length=300), nullable=False),
        sa.Column("chat_name", sa.Text(), nullable=True),
        sa.Column("member_count", BIG_ID, nullable=True),
        sa.Column("owner_posts", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("given_by", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_chat_facts", schema=None) as batch_op:
        batch_op.create_index("ix_case_chat_facts_case", ["case_id", "chat_key"], unique=False)

    op.create_table(
        "case_production_marks",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("case_id", BIG_ID, nullable=False),
        sa.Column("item_id", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("given_by", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.Column("withdrawn_at", WHEN, nullable=True),
        sa.Column("withdrawn_by", sa.Text(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_production_marks", schema=None) as batch_op:
        batch_op.create_index("ix_case_production_marks_case", ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_production_marks", schema=None) as batch_op:
        batch_op.drop_index("ix_case_production_marks_case")
    op.drop_table("case_production_marks")
    with op.batch_alter_table("case_chat_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_case_chat_facts_case")
    op.drop_table("case_chat_facts")
    with op.batch_alter_table("case_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_case_answers_case")
    op.drop_table("case_answers")
