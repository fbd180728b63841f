"""Timers keep a note saying why they were cancelled (a `when` that could not be evaluated).

Revision ID: 0004
Revises: 0003
Create Date: 2026-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: timers fired, or cancelled for leaving their state, have nothing to note.
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("note", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("note")
