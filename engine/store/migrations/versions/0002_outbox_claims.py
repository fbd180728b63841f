"""Outbox rows are claimed by a worker and keep their delivery attempts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(200)))
        batch.add_column(sa.Column("claimed_at", Time))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("last_attempt_at", Time))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        for column in ("last_attempt_at", "last_error", "attempts", "claimed_at", "claimed_by"):
            batch.drop_column(column)
