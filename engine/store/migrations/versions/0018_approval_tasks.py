"""Approval steps (审批): a task per approver of an approval state, and the e-mail address a user's
tasks and reminders are mailed to.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(320)))
    op.create_table(
        "approval_tasks",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "order_id", Id, sa.ForeignKey("orders.id", name="fk_approval_tasks_order_id_orders"), nullable=False
        ),
        sa.Column("state", sa.String(1000), nullable=False),
        sa.Column("entered_seq", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("approver_kind", sa.String(10), nullable=False),
        sa.Column("approver", sa.String(200), nullable=False),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("blocks", Id),
        sa.Column("added_by", sa.String(200)),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("comment", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("deadline", sa.DateTime(timezone=True)),
        sa.Index("ix_approval_tasks_order_id", "order_id", "id"),
        sa.Index("ix_approval_tasks_approver_status", "approver", "status"),
    )


def downgrade() -> None:
    op.drop_table("approval_tasks")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
