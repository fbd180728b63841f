"""Indexes that hold only what a worker still has to do: scheduled timers and unsent outbox messages.

The worker looks for due timers and pending messages; their old indexes held every timer and message
ever written (``(status, due_at)``, ``(sent_at)``), so at a million orders they held millions of
entries the worker never wants, and every cancelled, fired or sent row moved its entry inside them
(and inside ``(order_id, status)``): two index pages more in the transaction that cancels a timer.

Now ``ix_timers_due`` holds ``(due_at, id)`` of the scheduled timers only and ``ix_outbox_pending`` the
ids of unsent messages only: a row leaves them when it is done, and nothing enters them again.
``ix_timers_order_id`` finds an order's timers (to cancel them, to show them) and no longer carries
the status, which changes. Both databases take partial indexes (``WHERE``); the queries name the same
conditions, so both use them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SCHEDULED = sa.text("status = 'scheduled'")
UNSENT = sa.text("sent_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_timers_due", "timers", ["due_at", "id"], sqlite_where=SCHEDULED, postgresql_where=SCHEDULED
    )
    op.create_index("ix_timers_order_id", "timers", ["order_id"])
    op.drop_index("ix_timers_status_due_at", table_name="timers")
    op.drop_index("ix_timers_order_id_status", table_name="timers")
    op.create_index(
        "ix_outbox_pending", "outbox", ["id"], sqlite_where=UNSENT, postgresql_where=UNSENT
    )
    op.drop_index("ix_outbox_sent_at", table_name="outbox")


def downgrade() -> None:
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.create_index("ix_timers_order_id_status", "timers", ["order_id", "status"])
    op.create_index("ix_timers_status_due_at", "timers", ["status", "due_at"])
    op.drop_index("ix_timers_order_id", table_name="timers")
    op.drop_index("ix_timers_due", table_name="timers")
