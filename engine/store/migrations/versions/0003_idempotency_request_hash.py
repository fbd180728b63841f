"""Idempotency keys keep a fingerprint of the request they were first used for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: keys stored before this revision have no fingerprint and keep replaying their result.
    with op.batch_alter_table("idempotency") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("idempotency") as batch:
        batch.drop_column("request_hash")
