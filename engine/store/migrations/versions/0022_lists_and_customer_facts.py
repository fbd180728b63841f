"""Managed lists (名单) and facts across a customer's orders (客户事实).

* ``named_lists``, ``named_list_entries``, ``named_list_changes``: a department's lists (blocked
  addresses, blocked mobiles, VIP customers, restricted SKUs …), their entries (the value as typed and its
  normalised key, unique within the list) and every change to them, who made it and when.
* ``orders.customer_key`` (``account:<no>`` / ``mobile:<digits>``), ``orders.due`` (the total less what
  was paid) and ``orders.returned_at`` (when a return was first asked for), with the index
  ``(department, customer_key, created_at)`` the facts read. Backfilled from every order's data; an
  order that already asks for a return takes its ``updated_at`` as the moment it did (the closest the
  rows hold).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.common.list_keys import customer_key
from engine.store.codec import loads
from engine.store.orders import asks_return, order_due

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(16, 2, asdecimal=False)
BATCH = 5000


def _json(value: Any) -> Any:
    return loads(value) if isinstance(value, str | bytes) else value


def upgrade() -> None:
    op.create_table(
        "named_lists",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label_zh", sa.String(200), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_named_lists"),
        sa.UniqueConstraint("department", "name", name="uq_named_lists_department_name"),
    )
    op.create_table(
        "named_list_entries",
        sa.Column("list_id", Id, nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["named_lists.id"], name="fk_named_list_entries_list_id_named_lists"
        ),
        sa.PrimaryKeyConstraint("list_id", "key", name="pk_named_list_entries"),
    )
    op.create_table(
        "named_list_changes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("list_id", Id, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("value", sa.String(500)),
        sa.Column("key", sa.String(500)),
        sa.Column("note", sa.String(500)),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["named_lists.id"], name="fk_named_list_changes_list_id_named_lists"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_named_list_changes"),
    )
    op.create_index("ix_named_list_changes_list_id_id", "named_list_changes", ["list_id", "id"])
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("customer_key", sa.String(200)))
        batch.add_column(sa.Column("due", Money, nullable=False, server_default="0"))
        batch.add_column(sa.Column("returned_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    orders = sa.table(
        "orders",
        sa.column("id", Id),
        sa.column("data"),
        sa.column("updated_at"),
        sa.column("customer_key"),
        sa.column("due", Money),
        sa.column("returned_at"),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.data, orders.c.updated_at)
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(BATCH)
        ).fetchall()
        if not rows:
            break
        changes = []
        for order_id, data, updated_at in rows:
            read = _json(data)
            read = read if isinstance(read, dict) else {}
            key, due = customer_key(read), order_due(read)
            if key is not None or due or asks_return(read):
                changes.append(
                    {
                        "order_id": order_id,
                        "key": key,
                        "due": due,
                        "returned": updated_at if asks_return(read) else None,
                    }
                )
        if changes:
            bind.execute(
                orders.update()
                .where(orders.c.id == sa.bindparam("order_id"))
                .values(
                    customer_key=sa.bindparam("key"),
                    due=sa.bindparam("due"),
                    returned_at=sa.bindparam("returned"),
                ),
                changes,
            )
        last = rows[-1][0]
    op.create_index(
        "ix_orders_department_customer_key_created_at", "orders", ["department", "customer_key", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_orders_department_customer_key_created_at", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("returned_at")
        batch.drop_column("due")
        batch.drop_column("customer_key")
    op.drop_index("ix_named_list_changes_list_id_id", table_name="named_list_changes")
    op.drop_table("named_list_changes")
    op.drop_table("named_list_entries")
    op.drop_table("named_lists")
