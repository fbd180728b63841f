"""My work (我的工作): when an order entered the state it is in, and who has claimed it.

``orders.state_since`` is set on every change of the order's state (a step that stays where it is keeps
it): the review queues show the age of their oldest order from it, and my work lists the orders of a
state oldest first by it. Existing orders take the time of the newest audit event that moved them into
the state they hold (their ``updated_at`` when none did). ``orders.assignee`` and ``assigned_at`` are
the user who claimed the order (处理人) and since when; a change of state lets the claim go.

Indexes: ``(department, workflow, state, state_since, id)`` reads a state's orders oldest first a page at
a time (keyset) and its oldest order in one look-up; ``(assignee, state_since, id)``, only where an
order is claimed, the orders of one assignee.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_CLAIMED = sa.text("assignee IS NOT NULL")


def upgrade() -> None:
    op.add_column("orders", sa.Column("state_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("assignee", sa.String(200), nullable=True))
    op.add_column("orders", sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    # The newest event that brought the order into the state it holds: one that came from elsewhere (a
    # creation has no from_state); a self-loop since then left the time as it was.
    op.execute(
        "UPDATE orders SET state_since = coalesce(("
        " SELECT max(a.at) FROM audit_events a"
        " WHERE a.order_id = orders.id AND a.to_state = orders.state"
        " AND (a.from_state IS NULL OR a.from_state <> a.to_state)), updated_at)"
    )
    op.create_index(
        "ix_orders_department_workflow_state_state_since_id",
        "orders",
        ["department", "workflow", "state", "state_since", "id"],
    )
    op.create_index(
        "ix_orders_assignee",
        "orders",
        ["assignee", "state_since", "id"],
        sqlite_where=_CLAIMED,
        postgresql_where=_CLAIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_assignee", table_name="orders")
    op.drop_index("ix_orders_department_workflow_state_state_since_id", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("assigned_at")
        batch.drop_column("assignee")
        batch.drop_column("state_since")
