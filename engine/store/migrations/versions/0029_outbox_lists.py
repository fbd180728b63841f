"""The operators' outbox list reads a department's messages, or one topic's, newest first, through an
index each: ``(department, id)`` and ``(topic, id)``. Without them the list of every status (the page's
first tab) walked the whole table backwards for a department whose messages are few among millions.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_department", "outbox", ["department", "id"])
    op.create_index("ix_outbox_topic", "outbox", ["topic", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_topic", table_name="outbox")
    op.drop_index("ix_outbox_department", table_name="outbox")
