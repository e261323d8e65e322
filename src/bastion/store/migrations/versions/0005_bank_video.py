"""Video: per-bank vPDQ match rule (minimum query and listed shares); contents keep their vPDQ.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("banks") as batch:
        # python-threatexchange's defaults (query >= 80 %, listed >= 0 %): see signals/vpdq_score.
        batch.add_column(
            sa.Column("vpdq_query_percent", sa.Float(), nullable=False, server_default="80")
        )
        batch.add_column(
            sa.Column("vpdq_listed_percent", sa.Float(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("contents") as batch:
        batch.add_column(sa.Column("vpdq", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contents") as batch:
        batch.drop_column("vpdq")
    with op.batch_alter_table("banks") as batch:
        batch.drop_column("vpdq_listed_percent")
        batch.drop_column("vpdq_query_percent")
