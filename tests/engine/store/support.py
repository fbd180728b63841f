"""What the store's tests share: a moment, order rows with nothing behind them, a stocked PostgreSQL store,
a table's columns, users who sign in with nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, inspect

from engine.store import Store
from engine.store.store import Tx
from engine.store.tables import orders, stock
from engine.store.users import add_user

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
# A customer_accounts row with the columns of its first revision (0014).
ACCOUNT_ROW: dict[str, Any] = {
    "department": "wholesale",
    "account_no": "W100231",
    "company": "上海鑫达商贸有限公司",
    "credit_limit": 500000.5,
    "outstanding": 80000,
    "overdue_days": 0,
    "status": "active",
    "updated_at": NOW,
}


def bare_order(
    tx: Tx,
    state: str = "created",
    *,
    department: str = "retail",
    workflow: str = "w",
    channel: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """An order row as a migration or a store test needs one: version 1, no workflow published, no audit
    event; its id. Written with the columns of the first schema only, so a migration's test can insert
    one before the migrations that add columns to orders (0016: ``total``) have run."""
    row = tx.connection.execute(
        insert(orders)
        .values(
            department=department,
            workflow=workflow,
            version=1,
            channel=channel,
            state=state,
            data=data or {},
            schema_version=1,
            lock_version=1,
            created_at=NOW,
            updated_at=NOW,
            final=False,
        )
        .returning(orders.c.id)
    ).one()
    return int(row[0])


def retail_order(store: Store) -> int:
    """A retail order row (web, a total, a Chinese key in its data), in a transaction of its own; its id."""
    with store.transaction() as tx:
        return bare_order(
            tx, "pending_payment", workflow="retail-order", channel="web", data={"total": 12, "名字": "张三"}
        )


def stocked_store(pg_url: str, **options: Any) -> Store:
    """A migrated store on ``pg_url`` with 10 units of skus A and B in warehouses W1 and W2."""
    store = Store(pg_url, **options)
    store.upgrade()
    with store.transaction() as tx:
        rows = [{"sku": s, "warehouse": w, "on_hand": 10, "reserved": 0} for s in "AB" for w in ("W1", "W2")]
        tx.connection.execute(insert(stock), rows)
    return store


def table_columns(store: Store, table: str) -> set[str]:
    """The names of ``table``'s columns as the database has them now (a migration's test reads them)."""
    with store.read() as tx:
        return {c["name"] for c in inspect(tx.connection).get_columns(table)}


def add_people(
    store: Store, people: Sequence[tuple[str, Sequence[str], bool]], roles: Sequence[str], at: datetime = NOW
) -> None:
    """Users (name, departments, active) holding ``roles``, with no password that could sign them in."""
    for name, departments, active in people:
        add_user(
            store,
            name=name,
            display_name=name.title(),
            password_hash="x",
            roles=roles,
            departments=departments,
            at=at,
            active=active,
        )


def query_plan(tx: Tx, statement: Any) -> str:
    """The database's own plan of ``statement``, as text (on PostgreSQL with sequential scans made dear:
    the tables here are small enough to read whole, and the plan should show the index it can use)."""
    connection = tx.connection
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    if connection.dialect.name == "sqlite":
        params = tuple(compiled.params[name] for name in compiled.positiontup)
        found = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).fetchall()
        return "\n".join(str(row[-1]) for row in found)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    found = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).fetchall()
    return "\n".join(str(row[0]) for row in found)
