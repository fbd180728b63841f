"""A business customer's account keeps its contact and delivery address (联系人、手机号、收货地址): the
wholesale intake's account picker fills them in, editable, instead of a clerk typing them each order.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# the column and its length; every one may be empty: a record kept holds none of them yet
_COLUMNS = (
    ("contact_name", 50),
    ("contact_mobile", 11),
    ("address_province", 20),
    ("address_city", 30),
    ("address_district", 30),
    ("address_detail", 200),
    ("address_postcode", 6),
)


def upgrade() -> None:
    with op.batch_alter_table("customer_accounts") as batch:
        for name, length in _COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length)))


def downgrade() -> None:
    with op.batch_alter_table("customer_accounts") as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
