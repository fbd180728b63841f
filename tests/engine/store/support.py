"""What the store's tests share: a moment, order rows with nothing behind them, a stocked PostgreSQL store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from engine.store import Store
from engine.store.store import Tx
from engine.store.tables import orders, stock

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


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
    event; its id. Written with the columns every revision has, so the tests of a migration can write
    one before it (``Tx.insert_order`` writes the newest revision's)."""
    result = tx.connection.execute(
        insert(orders).values(
            department=department,
            workflow=workflow,
            version=1,
            channel=channel,
            state=state,
            data=data or {},
            lock_version=1,
            created_at=NOW,
            updated_at=NOW,
            final=False,
        )
    )
    return int(result.inserted_primary_key[0])


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
