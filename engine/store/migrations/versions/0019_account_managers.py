"""Account managers (客户经理): ``customer_accounts.account_manager``, the login name of the user who
looks after the account. ``customers.load_account`` copies it onto a wholesale order
(``account.manager``), and the approval a sales manager gives is then the account manager's
(workflows/wholesale/order.yaml, ``pending_approval``). Nullable: an account without one has its
approvals signed by the sales managers' role.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer_accounts") as batch:
        batch.add_column(sa.Column("account_manager", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("customer_accounts") as batch:
        batch.drop_column("account_manager")
