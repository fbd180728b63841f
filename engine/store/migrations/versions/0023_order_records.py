"""Child records (子记录): an order's payments and shipments, each with a small state machine of its own
declared under the workflow's ``records:``; one row per record, numbered within its order and kind.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "order_records",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "order_id", Id, sa.ForeignKey("orders.id", name="fk_order_records_order_id_orders"), nullable=False
        ),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id", "kind", "number", name="uq_order_records_order_id_kind_number"),
    )


def downgrade() -> None:
    op.drop_table("order_records")
