"""The Store: kept connections between SQLite writes, and transactions PostgreSQL rolled back run again
whole."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, insert, select, text, update

from engine.errors import ContentionError
from engine.store import INTEGRITY_ERRORS, Store
from engine.store.connection import IDLE_CONNECTIONS
from engine.store.tables import stock
from tests.engine.store.support import stocked_store


def test_sqlite_write_transactions_reuse_a_kept_connection_but_never_a_failed_one(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kept.db'}")
    with store.transaction() as tx:
        tx.connection.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
        first = tx.connection
    with store.transaction() as tx:
        assert tx.connection is first  # kept open between transactions, not checked in and out
        tx.connection.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(Exception, match="UNIQUE"), store.transaction() as tx:
        tx.connection.execute(text("INSERT INTO t VALUES (1)"))
    assert first.closed  # a rolled-back connection goes back to the pool, not to the next writer
    # writers racing each hold a connection of their own; at most IDLE_CONNECTIONS are kept after
    held: set[int] = set()
    clashes: list[int] = []

    def write(n: int) -> None:
        for _ in range(30):
            with store.transaction() as tx:
                mine = id(tx.connection)
                if mine in held:
                    clashes.append(n)
                held.add(mine)
                tx.connection.execute(text("SELECT :n"), {"n": n})
                held.discard(mine)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert clashes == []
    assert store._idle is not None and 1 <= len(store._idle) <= IDLE_CONNECTIONS
    kept = list(store._idle)
    store.dispose()
    assert all(connection.closed for connection in kept) and not store._idle


def _work_that_meets_a_concurrent_update(store: Store, pg_url: str, collide: int) -> Callable[[], int]:
    """A repeatable-read transaction that reads a stock row, then changes it; on its first ``collide``
    tries another client changes the row in between, so PostgreSQL rolls it back (SQLSTATE 40001)."""
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    tries: list[int] = []
    row = (stock.c.sku == "A", stock.c.warehouse == "W1")

    def work() -> int:
        tries.append(1)
        with store.transaction() as tx:
            tx.connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            tx.connection.execute(select(stock.c.on_hand).where(*row)).scalar_one()
            if len(tries) <= collide:
                with psycopg.connect(plain, autocommit=True) as other:
                    other.execute(
                        "UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'A' AND warehouse = 'W1'"
                    )
            tx.connection.execute(update(stock).where(*row).values(reserved=stock.c.reserved + 1))
        return len(tries)

    return work


@pytest.mark.postgres
def test_a_transaction_rolled_back_for_a_serialization_failure_runs_again_whole(pg_url: str) -> None:
    store = stocked_store(pg_url)
    assert store.retrying(_work_that_meets_a_concurrent_update(store, pg_url, collide=2)) == 3
    with store.read() as tx:
        row = tx.connection.execute(
            select(stock.c.on_hand, stock.c.reserved).where(stock.c.sku == "A", stock.c.warehouse == "W1")
        ).one()
    assert tuple(row) == (12, 1)  # the other client's two changes, and this one once
    store.dispose()


@pytest.mark.postgres
def test_retries_are_bounded_then_refused_in_both_languages(pg_url: str) -> None:
    store = stocked_store(pg_url, transaction_attempts=2)
    with pytest.raises(ContentionError) as caught:
        store.retrying(_work_that_meets_a_concurrent_update(store, pg_url, collide=99))
    refused = caught.value
    assert (refused.sqlstate, refused.attempts) == ("40001", 2)
    assert refused.message("en") == (
        "concurrent changes to the same rows kept colliding with this one (serialization failure; tried "
        "2 times); nothing was written, try again"
    )
    assert refused.message("zh") == (
        "与同时进行的其他修改反复冲突（串行化冲突；已尝试 2 次），本次操作未写入任何内容，请重试"
    )
    with store.read() as tx:
        reserved = tx.connection.execute(select(func.sum(stock.c.reserved))).scalar_one()
    assert reserved == 0  # neither try left anything
    store.dispose()


def test_other_errors_are_not_retried(store: Store) -> None:
    tries: list[int] = []

    def work() -> None:
        tries.append(1)
        with store.transaction() as tx:
            tx.connection.execute(insert(stock).values(sku="A", warehouse="W1", on_hand=-1, reserved=0))

    with pytest.raises(INTEGRITY_ERRORS):
        store.retrying(work)
    assert tries == [1]


def test_a_store_tries_a_transaction_at_least_once(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="transaction_attempts must be at least 1"):
        Store(sqlite_url, transaction_attempts=0)
