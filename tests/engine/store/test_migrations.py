"""Each migration upgrades and downgrades on both databases, keeping the rows it does not touch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import orders, stock, timers

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def timer_columns(store: Store) -> set[str]:
    with store.read() as tx:
        return {c["name"] for c in inspect(tx.connection).get_columns("timers")}


def test_0004_adds_the_timer_note_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0003")
    assert "note" not in timer_columns(store)
    with store.transaction() as tx:
        order_id = tx.insert_order(
            department="retail",
            workflow="w",
            version=1,
            channel=None,
            state="delivered",
            data={},
            final=False,
            at=NOW,
        )
        tx.connection.execute(
            insert(timers).values(
                order_id=order_id, state="delivered", trigger="close", due_at=NOW, status="scheduled"
            )
        )
    upgrade(db_url)
    assert "note" in timer_columns(store)
    with store.read() as tx:
        [timer] = tx.order_timers(order_id)
    assert (timer.status, timer.note) == ("scheduled", None)
    with store.transaction() as tx:
        tx.finish_timer(timer.id, "cancelled", "condition could not be evaluated: x")
    with store.read() as tx:
        assert tx.order_timers(order_id)[0].note == "condition could not be evaluated: x"
    downgrade(db_url, "0003")
    assert "note" not in timer_columns(store)
    with store.read() as tx:
        assert tx.connection.execute(select(orders.c.id)).scalars().all() == [order_id]
    upgrade(db_url)
    store.dispose()


def test_0006_adds_the_safety_stock_and_takes_it_away_again(db_url: str) -> None:
    def columns() -> set[str]:
        with store.read() as tx:
            return {c["name"] for c in inspect(tx.connection).get_columns("stock")}

    store = Store(db_url)
    upgrade(db_url, "0005")
    assert "safety_stock" not in columns()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=10, reserved=2))
    upgrade(db_url)
    assert "safety_stock" in columns()
    with store.read() as tx:
        row = tx.connection.execute(select(stock.c.on_hand, stock.c.safety_stock)).one()
    assert tuple(row) == (10, None)  # the rows kept, with no safety stock
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.connection.execute(update(stock).values(safety_stock=-1))
    downgrade(db_url, "0005")
    assert "safety_stock" not in columns()
    with store.read() as tx:
        assert tx.connection.execute(select(stock.c.on_hand)).scalars().all() == [10]
    upgrade(db_url)
    store.dispose()


def order_indexes(store: Store) -> set[str]:
    with store.read() as tx:
        return {str(i["name"]) for i in inspect(tx.connection).get_indexes("orders")}


def test_0009_indexes_a_departments_orders_newest_first_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0008")
    assert "ix_orders_department_id" not in order_indexes(store)
    upgrade(db_url)
    assert "ix_orders_department_id" in order_indexes(store)
    if store.is_sqlite:  # the newest-first list reads the index, not every order of the department
        with store.read() as tx:
            newest = "SELECT id FROM orders WHERE department = 'retail' ORDER BY id DESC LIMIT 50"
            plan = tx.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {newest}").all()
        assert any("ix_orders_department_id" in str(row) for row in plan), plan
        assert not any("TEMP B-TREE" in str(row) for row in plan), plan
    downgrade(db_url, "0008")
    assert "ix_orders_department_id" not in order_indexes(store)
    upgrade(db_url)
    store.dispose()
