"""0022 adds the managed lists' tables and the orders' customer key, what each still owes and when a
return was asked for, backfilled from the orders there were, with the index the facts read; and takes
them away again."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import inspect, select

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import orders
from tests.engine.store.support import table_columns

VERSIONS = Path(__file__).resolve().parents[3] / "engine/store/migrations/versions"
AT = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _before() -> str:
    """The revision 0022 follows (its ``down_revision``)."""
    path = next(VERSIONS.glob("0022_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0022", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.down_revision)


def test_0022_backfills_the_customer_facts_and_takes_them_away_again(db_url: str) -> None:
    store = Store(db_url)
    before = _before()
    upgrade(db_url, before)
    assert "customer_key" not in table_columns(store, "orders")
    when = sa.DateTime(timezone=True)
    old = sa.table(
        "orders",
        *(
            sa.column(n)
            for n in ("department", "workflow", "version", "state", "schema_version", "lock_version")
        ),
        sa.column("data", sa.JSON),
        sa.column("created_at", when),
        sa.column("updated_at", when),
        sa.column("final", sa.Boolean),
        sa.column("total", sa.Numeric(16, 2)),
    )
    rows = [
        {"account": {"account_no": "w100231"}, "total": 1000, "paid_amount": 400},
        {"customer": {"mobile": "+86 138 0000 0000"}, "total": 50, "refund_amount": 50},
        {"total": 7},
    ]
    with store.transaction() as tx:
        for data in rows:
            tx.connection.execute(
                old.insert().values(
                    department="retail",
                    workflow="w",
                    version=1,
                    state="s",
                    data=data,
                    schema_version=1,
                    lock_version=1,
                    created_at=AT,
                    updated_at=AT,
                    final=False,
                    total=data["total"],
                )
            )
    upgrade(db_url)
    assert {"customer_key", "due", "returned_at"} <= table_columns(store, "orders")
    assert {"named_lists", "named_list_entries", "named_list_changes"} <= _tables(store)
    with store.read() as tx:
        found = tx.connection.execute(
            select(orders.c.customer_key, orders.c.due, orders.c.returned_at).order_by(orders.c.id)
        ).all()
        indexes = {i["name"] for i in inspect(tx.connection).get_indexes("orders")}
    assert [(key, due) for key, due, _ in found] == [
        ("account:W100231", 600),
        ("mobile:13800000000", 50),
        (None, 7),
    ]
    assert [returned is not None for _, _, returned in found] == [False, True, False]
    assert "ix_orders_department_customer_key_created_at" in indexes
    downgrade(db_url, before)
    assert not {"customer_key", "due", "returned_at"} & table_columns(store, "orders")
    assert not {"named_lists", "named_list_entries", "named_list_changes"} & _tables(store)
    upgrade(db_url)
    store.dispose()


def _tables(store: Store) -> set[str]:
    with store.read() as tx:
        return set(inspect(tx.connection).get_table_names())
