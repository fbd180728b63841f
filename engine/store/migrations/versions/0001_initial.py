"""The first tables: versions, orders, audit trail, timers, outbox, idempotency, stock.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workflow_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("bundle", sa.JSON, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("published_at", Time, nullable=False),
        sa.Column("published_by", sa.String(200)),
        sa.UniqueConstraint("workflow", "version", name="uq_workflow_versions_workflow_version"),
        sa.UniqueConstraint("workflow", "content_hash", name="uq_workflow_versions_workflow_content_hash"),
    )
    op.create_table(
        "orders",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(100)),
        sa.Column("state", sa.String(1000), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("lock_version", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("final", sa.Boolean, nullable=False),
    )
    op.create_index("ix_orders_department_state", "orders", ["department", "state"])
    op.create_index("ix_orders_workflow_version", "orders", ["workflow", "version"])
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("order_id", Id, sa.ForeignKey("orders.id", name="fk_audit_events_order_id_orders"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("from_state", sa.String(1000)),
        sa.Column("to_state", sa.String(1000), nullable=False),
        sa.Column("data_changes", sa.JSON, nullable=False),
        sa.Column("guards", sa.JSON, nullable=False),
        sa.Column("rules", sa.JSON),
        sa.Column("reason", sa.Text),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("order_id", "seq", name="uq_audit_events_order_id_seq"),
    )
    op.create_table(
        "timers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("order_id", Id, sa.ForeignKey("orders.id", name="fk_timers_order_id_orders"), nullable=False),
        sa.Column("state", sa.String(1000), nullable=False),
        sa.Column("trigger", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("due_at", Time, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("claimed_by", sa.String(200)),
        sa.Column("claimed_at", Time),
        sa.CheckConstraint("status IN ('scheduled', 'fired', 'cancelled')", name="ck_timers_status"),
    )
    op.create_index("ix_timers_status_due_at", "timers", ["status", "due_at"])
    op.create_index("ix_timers_order_id_status", "timers", ["order_id", "status"])
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("sent_at", Time),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.create_table(
        "idempotency",
        sa.Column("actor", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("order_id", Id, sa.ForeignKey("orders.id", name="fk_idempotency_order_id_orders"), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "stock",
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("warehouse", sa.String(100), primary_key=True),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="ck_stock_reserved_not_negative"),
    )
    _audit_append_only()


def _audit_append_only() -> None:
    """The audit trail refuses UPDATE and DELETE in the database itself, not only in our code."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {verb} refused'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    for table in ("stock", "idempotency", "outbox", "timers", "audit_events", "orders", "workflow_versions"):
        op.drop_table(table)
