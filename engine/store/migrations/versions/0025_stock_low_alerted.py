"""A stock row remembers that the purchasers were told it is below its safety stock (``low_alerted``): one
low-stock mail per row until its units free are back above the safety stock, not one at each crossing.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # False for every row kept: a row below its safety stock now is told at its next change downwards.
    with op.batch_alter_table("stock") as batch:
        batch.add_column(sa.Column("low_alerted", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("stock") as batch:
        batch.drop_column("low_alerted")
