"""The product catalogue (商品目录): one row per SKU with its names in zh and en, its price in yuan, its
weight in kilograms and volume in litres, and whether it is shipped or virtual (a gift card, an extended
warranty: no warehouse and no carrier). Until now the order forms' product pickers listed the SKUs of the
``stock`` table, with neither a name nor a price, and an order's prices were whatever the page sent.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("price", sa.Numeric(16, 2, asdecimal=True), nullable=False),
        sa.Column("weight_kg", sa.Numeric(12, 3, asdecimal=True)),
        sa.Column("volume_l", sa.Numeric(12, 3, asdecimal=True)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("sku", name="pk_products"),
        sa.CheckConstraint("price >= 0", name="ck_products_price_not_negative"),
        sa.CheckConstraint("weight_kg >= 0", name="ck_products_weight_not_negative"),
        sa.CheckConstraint("volume_l >= 0", name="ck_products_volume_not_negative"),
        sa.CheckConstraint("kind IN ('shipped', 'virtual')", name="ck_products_kind_known"),
    )


def downgrade() -> None:
    op.drop_table("products")
