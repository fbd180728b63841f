"""Stock rows may carry a safety stock (安全库存): a reservation that takes the units free to reserve
below it tells the outbox (``stock_changed``), which the low-stock patterns of correlation rule sets watch.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a stock row without a safety stock is never reported as low.
    with op.batch_alter_table("stock") as batch:
        batch.add_column(sa.Column("safety_stock", sa.Integer()))
        batch.create_check_constraint("safety_stock_not_negative", "safety_stock >= 0")


def downgrade() -> None:
    with op.batch_alter_table("stock") as batch:
        batch.drop_constraint(op.f("ck_stock_safety_stock_not_negative"), type_="check")
        batch.drop_column("safety_stock")
