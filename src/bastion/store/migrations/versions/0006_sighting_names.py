"""Sightings keep the chat's title and the sender's username when the platform gives them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sightings") as batch:
        batch.add_column(sa.Column("chat_title", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sender_username", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sightings") as batch:
        batch.drop_column("sender_username")
        batch.drop_column("chat_title")
