"""The order list's filters and sorts, and the search box's index (订单列表与搜索).

* ``orders.total``: the order's total beside its data, written on every write, for the amount filter and
  sort (0 where the data has none); backfilled from the data of every order.
* Indexes ``(department, created_at, id)``, ``(department, updated_at, id)``, ``(department, total, id)``:
  each sort of a department's orders read a page at a time from a keyset cursor, never by OFFSET.
* ``order_search_terms``: the terms the search box finds an order by (mobile, its last four digits,
  name, waybill, payment reference), kept in the transaction of every order write
  (``engine.store.search``). Backfilled for the orders whose workflow version declares ``search:``.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.store.codec import loads
from engine.store.orders import order_total
from engine.store.search import terms_of

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(16, 2, asdecimal=False)
BATCH = 5000


def _json(value: Any) -> Any:
    return loads(value) if isinstance(value, str | bytes) else value


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("total", Money, nullable=False, server_default="0"))
    op.create_table(
        "order_search_terms",
        sa.Column("term", sa.String(200), nullable=False),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("order_id", Id, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_order_search_terms_order_id_orders"),
        sa.PrimaryKeyConstraint("term", "department", "order_id", "kind", name="pk_order_search_terms"),
    )
    op.create_index("ix_order_search_terms_order_id", "order_search_terms", ["order_id"])
    bind = op.get_bind()
    # What each published version searches by (its workflow's ``search:``, none before it existed).
    config: dict[tuple[str, int], dict[str, list[str]]] = {}
    for workflow, version, bundle in bind.execute(
        sa.text("SELECT workflow, version, bundle FROM workflow_versions")
    ):
        tree = _json(bundle).get("workflow") or {}
        search = tree.get("search") if isinstance(tree, dict) else None
        if isinstance(search, dict):
            config[(workflow, version)] = {k: list(v) for k, v in search.items() if isinstance(v, list)}
    orders = sa.table(
        "orders",
        sa.column("id", Id),
        sa.column("department"),
        sa.column("workflow"),
        sa.column("version"),
        sa.column("data"),
        sa.column("total", Money),
    )
    terms = sa.table(
        "order_search_terms", sa.column("term"), sa.column("department"), sa.column("order_id"), sa.column("kind")
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.department, orders.c.workflow, orders.c.version, orders.c.data)
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(BATCH)
        ).fetchall()
        if not rows:
            break
        totals = []
        found = []
        for order_id, department, workflow, version, data in rows:
            read = _json(data)
            read = read if isinstance(read, dict) else {}
            total = order_total(read)
            if total:
                totals.append({"order_id": order_id, "total": total})
            for kind, term in sorted(terms_of(read, config.get((workflow, version), {}))):
                found.append({"term": term, "department": department, "order_id": order_id, "kind": kind})
        if totals:
            bind.execute(
                orders.update().where(orders.c.id == sa.bindparam("order_id")).values(total=sa.bindparam("total")),
                totals,
            )
        if found:
            bind.execute(terms.insert(), found)
        last = rows[-1][0]
    op.create_index("ix_orders_department_created_at_id", "orders", ["department", "created_at", "id"])
    op.create_index("ix_orders_department_updated_at_id", "orders", ["department", "updated_at", "id"])
    op.create_index("ix_orders_department_total_id", "orders", ["department", "total", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_department_total_id", table_name="orders")
    op.drop_index("ix_orders_department_updated_at_id", table_name="orders")
    op.drop_index("ix_orders_department_created_at_id", table_name="orders")
    op.drop_table("order_search_terms")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("total")
