"""Business customers' accounts (客户账户): one row per account number in a department, holding what a
wholesale order takes from it when it is placed (``customers.load_account``): the company, the credit
limit, the balance outstanding, the days overdue, the standing and the tier. Until now the order page
asked the clerk for them, read-only and required, so no order could be placed, and anything the
browser sent was believed.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(16, 2, asdecimal=False)


def upgrade() -> None:
    op.create_table(
        "customer_accounts",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("account_no", sa.String(40), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("tax_id", sa.String(40)),
        sa.Column("tier", sa.String(40)),
        sa.Column("credit_limit", Money, nullable=False),
        sa.Column("outstanding", Money, nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("department", "account_no", name="uq_customer_accounts_department_account_no"),
        sa.CheckConstraint("credit_limit >= 0", name="ck_customer_accounts_credit_limit_not_negative"),
        sa.CheckConstraint("outstanding >= 0", name="ck_customer_accounts_outstanding_not_negative"),
        sa.CheckConstraint("overdue_days >= 0", name="ck_customer_accounts_overdue_days_not_negative"),
    )


def downgrade() -> None:
    op.drop_table("customer_accounts")
