"""A user may be an API login (接口登录, ``users.api``): a program such as the web shop or the app acting
through the API, not a person. Such a login is never offered as whom to assign an order to, nor to add
an approver or transfer an approval task to; it signs in and acts as before.

Every user kept is a person (false): ``orderloom users change NAME --api`` marks one, and ``orderloom
demo`` marks the demo's (``storefront``).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("api", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("api")
