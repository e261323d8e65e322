"""Reveal tickets: a reveal is also a single-use, short-lived ticket for the unblurred rendering.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import bastion.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "ticket_expires_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("served_at", bastion.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("colour", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ux_reveals_ticket", ["ticket_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("reveals", schema=None) as batch_op:
        batch_op.drop_index("ux_reveals_ticket")
        batch_op.drop_column("colour")
        batch_op.drop_column("served_at")
        batch_op.drop_column("ticket_expires_at")
        batch_op.drop_column("ticket_hash")
