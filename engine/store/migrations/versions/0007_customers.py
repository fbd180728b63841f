"""The customer store (客户): one row per mobile number in a department, inserted by the
``customers.register`` action when an order first names the mobile, which then writes
``account_created`` to the outbox (watched by the correlation patterns of rules/retail/fraud.yaml).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("mobile", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200)),
        # engine.rules.correlation.address_key of the first order's delivery address
        sa.Column("address_key", sa.String(1000)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department", "mobile", name="uq_customers_department_mobile"),
    )
    op.create_index("ix_customers_address_key", "customers", ["address_key"])


def downgrade() -> None:
    op.drop_index("ix_customers_address_key", table_name="customers")
    op.drop_table("customers")
