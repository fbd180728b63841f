"""The stock ledger (库存台账), stock transfers (库存调拨) and stock-takes (库存盘点).

Every stock row a database holds gets one ``opening`` entry of its ``on_hand``, so that per (sku,
warehouse) the ledger adds up to the stock on hand from the start. The ledger is append-only: a trigger
refuses every UPDATE and DELETE of its rows, on SQLite and on PostgreSQL.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_REFUSED = "stock_ledger is append-only: its rows are never changed or deleted"
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER stock_ledger_no_update BEFORE UPDATE ON stock_ledger "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END",
    f"CREATE TRIGGER stock_ledger_no_delete BEFORE DELETE ON stock_ledger "
    f"BEGIN SELECT RAISE(ABORT, '{_REFUSED}'); END",
)
_POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION stock_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{_REFUSED}'; END $$",
    "CREATE TRIGGER stock_ledger_no_change BEFORE UPDATE OR DELETE ON stock_ledger "
    "FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only()",
    "CREATE TRIGGER stock_ledger_no_truncate BEFORE TRUNCATE ON stock_ledger "
    "FOR EACH STATEMENT EXECUTE FUNCTION stock_ledger_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "stock_ledger",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("warehouse", sa.String(100), nullable=False),
        sa.Column("change", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_stock_ledger_sku_warehouse", "sku", "warehouse", "id"),
        sa.Index("ix_stock_ledger_kind_at", "kind", "at"),
    )
    op.create_table(
        "stock_transfers",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("from_warehouse", sa.String(100), nullable=False),
        sa.Column("to_warehouse", sa.String(100), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("sent_by", sa.String(200), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.CheckConstraint("qty > 0", name="ck_stock_transfers_qty_positive"),
        sa.CheckConstraint(
            "received >= 0 AND received <= qty", name="ck_stock_transfers_received_within_qty"
        ),
        sa.CheckConstraint("from_warehouse <> to_warehouse", name="ck_stock_transfers_two_warehouses"),
    )
    op.create_table(
        "stock_takes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("warehouse", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_by", sa.String(200)),
        sa.Column("posted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "stock_take_counts",
        sa.Column(
            "take_id",
            Id,
            sa.ForeignKey("stock_takes.id", name="fk_stock_take_counts_take_id_stock_takes"),
            primary_key=True,
        ),
        sa.Column("sku", sa.String(100), primary_key=True),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("counted_by", sa.String(200), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        # the book and the reserved units when the take was posted (NULL while it is open)
        sa.Column("posted_book", sa.Integer()),
        sa.Column("posted_reserved", sa.Integer()),
        sa.CheckConstraint("counted >= 0", name="ck_stock_take_counts_counted_not_negative"),
    )
    # The opening entries: what each stock row holds now, so the ledger adds up from the start.
    op.execute(
        "INSERT INTO stock_ledger (sku, warehouse, change, kind, actor, note, at) "
        "SELECT sku, warehouse, on_hand, 'opening', 'system', NULL, CURRENT_TIMESTAMP "
        "FROM stock WHERE on_hand <> 0 ORDER BY sku, warehouse"
    )
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRESQL_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("stock_take_counts")
    op.drop_table("stock_takes")
    op.drop_table("stock_transfers")
    op.drop_table("stock_ledger")  # its triggers go with it
    if dialect == "postgresql":
        op.execute("DROP FUNCTION stock_ledger_append_only()")
