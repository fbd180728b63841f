"""Correlation rule sets: the worker's cursor over the audit trail and outbox, and a record of matches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    # One row per feed (``default`` for the worker): how far it has read, and which worker holds it.
    op.create_table(
        "correlation_cursor",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("last_audit_id", Id, nullable=False, server_default="0"),
        sa.Column("last_outbox_id", Id, nullable=False, server_default="0"),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_at", Time),
        sa.Column("updated_at", Time, nullable=False),
    )
    # Every match, with the rule set version that made it, the events it consumed and what was done.
    op.create_table(
        "correlation_matches",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("feed", sa.String(200), nullable=False),
        sa.Column("ruleset", sa.String(200), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("pattern", sa.String(200), nullable=False),
        sa.Column("match_key", sa.String(1000), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_correlation_matches_feed_at", "correlation_matches", ["feed", "at"])


def downgrade() -> None:
    op.drop_index("ix_correlation_matches_feed_at", table_name="correlation_matches")
    op.drop_table("correlation_matches")
    op.drop_table("correlation_cursor")
