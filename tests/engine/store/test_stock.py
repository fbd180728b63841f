"""Stock: never below zero, and locked in one order everywhere on PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import insert, select, update

from engine.store import Store, lock_stock
from engine.store.tables import stock
from tests.engine.store.support import retail_order, stocked_store


def test_stock_cannot_go_negative(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(stock).values(sku="A", warehouse="main", on_hand=1, reserved=0))
    with store.transaction() as tx:
        take = (
            update(stock).where(stock.c.sku == "A", stock.c.on_hand >= 1).values(on_hand=stock.c.on_hand - 1)
        )
        assert tx.connection.execute(take).rowcount == 1
        assert tx.connection.execute(take).rowcount == 0
    with pytest.raises(Exception, match=r"(?i)check"), store.engine.begin() as conn:
        conn.execute(update(stock).values(reserved=-1))
    with store.engine.connect() as conn:
        assert conn.execute(select(stock.c.on_hand)).scalar_one() == 0


def test_stock_received_adds_to_what_is_on_hand_and_creates_new_rows(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(stock).values(sku="A", warehouse="W1", on_hand=3, reserved=2))
    with store.transaction() as tx:
        tx.add_stock({("A", "W1"): 5, ("A", "W2"): 4, ("B", "W1"): 1})
    with store.transaction() as tx:
        tx.add_stock({("B", "W1"): 2})
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved).order_by(
                stock.c.sku, stock.c.warehouse
            )
        ).all()
    assert [tuple(row) for row in rows] == [("A", "W1", 8, 2), ("A", "W2", 4, 0), ("B", "W1", 3, 0)]


@pytest.mark.postgres
def test_a_write_transaction_locks_the_order_it_loads_and_the_stock_routing_reads(pg_url: str) -> None:
    store = stocked_store(pg_url)
    order_id = retail_order(store)
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as other:
        with store.read() as tx:  # reading locks nothing
            tx.load_order(order_id)
            tx.stock_available(["A"])
            assert not _taken(other, f"SELECT 1 FROM orders WHERE id = {order_id}")
            assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")
        with store.transaction() as tx:
            tx.load_order(order_id)
            assert _taken(other, f"SELECT 1 FROM orders WHERE id = {order_id}")
            assert tx.stock_available(["A"]) == {"A": {"W1": 10, "W2": 10}}
            assert _taken(other, "SELECT 1 FROM stock WHERE sku = 'A' AND warehouse = 'W2'")
            assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'B'")
        assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")  # until the transaction ends
    store.dispose()


@pytest.mark.postgres
def test_stock_rows_are_locked_by_sku_then_warehouse_whatever_order_they_are_named_in(pg_url: str) -> None:
    store = stocked_store(pg_url)
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as holder, psycopg.connect(plain) as other:
        holder.execute("SELECT 1 FROM stock WHERE sku = 'B' AND warehouse = 'W1' FOR UPDATE")
        done = threading.Event()

        def lock_b_then_a() -> None:
            with store.transaction() as tx:
                lock_stock(tx.connection, ["B", "A", "B"])
            done.set()

        thread = threading.Thread(target=lock_b_then_a)
        thread.start()
        # Named B first, the rows are still taken A first: A's rows are the thread's while it waits for B.
        for _ in range(10_000):  # a hang guard, not a time asserted
            if _taken(other, "SELECT 1 FROM stock WHERE sku = 'A' AND warehouse = 'W2'"):
                break
            time.sleep(0.01)
        assert not done.is_set()
        assert _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")
        holder.rollback()
        thread.join(30)
        assert done.is_set()
    store.dispose()


def _taken(client: psycopg.Connection[Any], query: str) -> bool:
    """Whether another transaction holds a row ``query`` locks (asked without waiting)."""
    try:
        client.execute(query + " FOR UPDATE NOWAIT")
    except psycopg.errors.LockNotAvailable:
        return True
    finally:
        client.rollback()
    return False
