"""Outbox messages back off when they fail, end as dead letters, and say whose they are.

Before, a failed message went straight back to the front of the queue (oldest first): a few hundred
messages nobody could deliver were claimed again every round and starved every newer one. Now:

* ``status``: ``pending`` (to deliver), ``sent``, ``dead`` (given up after too many attempts, or
  undeliverable; an operator replays it) or ``internal`` (an event written for the correlation feed
  alone: nothing outside the database needs it, so nothing delivers it);
* ``next_attempt_at``: a pending message is not tried before it; a failed attempt puts it off, longer
  each time up to a cap; ``dead_at``: when it was given up on;
* ``department``: the order's department, so a department's admin sees that department's messages;
* ``replayed_by`` / ``replayed_at``: the operator who last sent it back to be delivered.

``ix_outbox_pending`` now holds ``(next_attempt_at, id)`` of the pending messages only, the order in
which the worker takes them, and ``ix_outbox_dead`` the ids of the dead letters.

Existing rows: a sent one is ``sent``; an unsent one of the three topics the built-in actions write for
the correlation feed (``account_created``, ``payment_failed``, ``stock_changed``) is ``internal``; any
other unsent one is ``pending``, due at once. The department is read from the payload where it has one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")
DEAD = sa.text("status = 'dead'")
UNSENT = sa.text("sent_at IS NULL")
# The topics the built-in actions wrote for the correlation feed when this revision was made.
INTERNAL_TOPICS = ("account_created", "payment_failed", "stock_changed")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:  # SQLite adds a CHECK only by copying the table
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("department", sa.String(100), nullable=True))
        batch.add_column(sa.Column("replayed_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(
            "ck_outbox_status", "status IN ('pending', 'sent', 'dead', 'internal')"
        )
    internal = ", ".join(f"'{topic}'" for topic in INTERNAL_TOPICS)
    op.execute("UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.execute(f"UPDATE outbox SET status = 'internal' WHERE sent_at IS NULL AND topic IN ({internal})")
    op.execute("UPDATE outbox SET next_attempt_at = created_at WHERE status = 'pending'")
    if op.get_bind().dialect.name == "postgresql":
        department = "payload ->> 'department'"
        is_text = "json_typeof(payload -> 'department') = 'string'"
    else:
        department = "json_extract(payload, '$.department')"
        is_text = "json_type(payload, '$.department') = 'text'"
    op.execute(f"UPDATE outbox SET department = {department} WHERE {is_text}")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["next_attempt_at", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_outbox_dead", "outbox", ["id"], sqlite_where=DEAD, postgresql_where=DEAD)


def downgrade() -> None:
    op.drop_index("ix_outbox_dead", table_name="outbox")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("ck_outbox_status", type_="check")
        batch.drop_column("replayed_at")
        batch.drop_column("replayed_by")
        batch.drop_column("department")
        batch.drop_column("dead_at")
        batch.drop_column("next_attempt_at")
        batch.drop_column("status")
    op.create_index("ix_outbox_pending", "outbox", ["id"], sqlite_where=UNSENT, postgresql_where=UNSENT)
