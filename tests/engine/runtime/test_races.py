"""Concurrent publishes and concurrent creates with one idempotency key, on SQLite and PostgreSQL.

Each test starts its threads together at a barrier; whatever order the database lets them in, every
thread gets an answer (never an IntegrityError) and the tables hold what one caller alone would leave.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import ConflictError, ContentionError
from engine.plugins import PluginRegistry
from engine.runtime import Engine, FireResult
from engine.store import Store
from engine.store.codec import loads
from engine.store.tables import audit_events, idempotency, orders, stock, workflow_versions
from plugins.inventory import deduct, release, reserve
from tests.deadlocks import WAIT, collide
from tests.engine.runtime.conftest import CLERK, bundle, make_engine

THREADS = 8
ORDER = {"customer": "张三", "total": 120}


def together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at once; their results, or the first error raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as error:  # handed to the test thread, which raises it
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def count(store: Store, table: Any) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_the_same_bundle_published_at_once_is_one_version(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    same = bundle("retail-order")
    published = together([lambda: engine.publish(same) for _ in range(THREADS)])
    assert {(p.workflow, p.version, p.content_hash) for p in published} == {
        ("retail-order", 1, same.content_hash)
    }
    assert sorted(p.created for p in published) == [False] * (THREADS - 1) + [True]
    assert count(store, workflow_versions) == 1


def test_different_bundles_published_at_once_take_the_next_numbers(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    bundles = [
        bundle(name)
        for name in (
            "retail-order",
            "versions/retail-order-gift",
            "versions/retail-order-no-paid",
            "versions/retail-order-no-paid-email",
        )
    ]
    published = together([lambda b=b: engine.publish(b) for b in bundles for _ in range(2)])
    # The content the newest version holds keeps its number; any other content, an older version's
    # too (a rollback), takes the next one. So how many versions there are depends on the order the
    # database let the publishes in, but never a gap, a number twice, or a version repeating the one
    # before it, and each publish answers with a version that holds its content.
    stored = engine.versions("retail-order")
    assert [v.version for v in stored] == list(range(1, len(stored) + 1))
    hashes = [v.content_hash for v in stored]
    assert all(before != after for before, after in pairwise(hashes))
    assert set(hashes) == {b.content_hash for b in bundles}
    holds = {v.version: v.content_hash for v in stored}
    assert all(holds[p.version] == p.content_hash for p in published)
    assert sum(p.created for p in published) == len(stored) <= len(published)


def test_one_idempotency_key_sent_at_once_creates_one_order(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    engine.publish(bundle("retail-order"))

    def create() -> int:
        return engine.create_order(CLERK, "retail", "retail-order", "web", ORDER, idempotency_key="k-1").id

    ids = together([create for _ in range(THREADS)])
    assert len(set(ids)) == 1
    assert (count(store, orders), count(store, audit_events), count(store, idempotency)) == (1, 1, 1)


def test_without_a_key_orders_sent_at_once_are_all_created(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    engine.publish(bundle("retail-order"))
    ids = together([lambda: engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id] * THREADS)
    assert len(set(ids)) == THREADS == count(store, orders)


# -- stock raced for by processes ------------------------------------------------------------------

STOCK_ROOT = Path(__file__).resolve().parent / "fixtures" / "stock"
STOCK_ACTIONS = {"inventory.reserve": reserve, "inventory.release": release, "inventory.deduct": deduct}
BUYERS = 16  # processes, each placing one order a round
ROUNDS = 4
SKU = "XM-BAND8"
RESTOCK = {"SH-01": 3, "BJ-01": 2}  # five units free at the start of every round, in two warehouses


def stock_engine(store: Store) -> Engine:
    engine = Engine(store, PluginRegistry(STOCK_ACTIONS), FrozenClock())
    for name in ("routed-stock", "held-stock"):
        path = STOCK_ROOT / "workflows" / f"{name}.yaml"
        engine.publish(load_bundle(path, STOCK_ROOT, action_names=STOCK_ACTIONS, workflows={}))
    return engine


def stock_levels(store: Store) -> dict[tuple[str, str], tuple[int, int]]:
    with store.read() as tx:
        rows = tx.connection.execute(
            select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved)
        )
        return {(r.sku, r.warehouse): (r.on_hand, r.reserved) for r in rows}


def _buyer(url: str, barrier: Any, results: Any) -> None:
    """One process: an order for one unit as each round starts, its state (or error) reported. Its
    transactions are not retried: none may need it."""
    store = Store(url, transaction_attempts=1)
    engine = Engine(store, PluginRegistry(STOCK_ACTIONS), FrozenClock())
    order = {"address": {"province": "上海"}, "lines": [{"sku": SKU, "qty": 1}]}
    try:
        for _ in range(ROUNDS):
            barrier.wait(WAIT)
            try:
                results.put(engine.create_order(CLERK, "retail", "routed-stock", None, order).state)
            except Exception as error:  # reported to the test, which fails on it
                results.put(f"error: {type(error).__name__}: {error}")
            barrier.wait(WAIT)
    finally:
        store.dispose()


def test_buyers_racing_for_the_last_units_sell_each_once_and_the_rest_wait_out_of_stock(db_url: str) -> None:
    store = Store(db_url)
    store.upgrade()
    stock_engine(store)
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock), [{"sku": SKU, "warehouse": w, "on_hand": 0, "reserved": 0} for w in RESTOCK]
        )
    # No thread of this process (the store's WAL checkpointer) may be inside SQLite as the buyers are
    # forked: a child would inherit its lock held, and wait on it for good.
    store.dispose()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(BUYERS + 1)
    results = context.Queue()
    buyers = [context.Process(target=_buyer, args=(db_url, barrier, results)) for _ in range(BUYERS)]
    for buyer in buyers:
        buyer.start()
    store = Store(db_url)
    try:
        for round_ in range(1, ROUNDS + 1):
            with store.transaction() as tx:
                for warehouse, units in RESTOCK.items():
                    tx.connection.execute(
                        update(stock)
                        .where(stock.c.sku == SKU, stock.c.warehouse == warehouse)
                        .values(on_hand=stock.c.on_hand + units)
                    )
            barrier.wait(WAIT)  # the buyers place their orders
            barrier.wait(WAIT)
            states = sorted(results.get(timeout=WAIT) for _ in range(BUYERS))
            free = sum(RESTOCK.values())
            # Every unit sold, none twice; the orders that found none wait for stock, on both databases.
            assert states == ["out_of_stock"] * (BUYERS - free) + ["pending_payment"] * free
            assert stock_levels(store) == {
                (SKU, w): (units * round_, units * round_) for w, units in RESTOCK.items()
            }
    except BaseException:
        barrier.abort()  # the buyers stop waiting for a round that will not come
        raise
    finally:
        for buyer in buyers:
            buyer.join(WAIT)
    assert [buyer.exitcode for buyer in buyers] == [0] * BUYERS
    with store.read() as tx:
        held = tx.connection.execute(select(orders.c.state, orders.c.data)).fetchall()
    assert len(held) == BUYERS * ROUNDS
    holdings = [h for _, data in held for h in _document(data).get("stock_reserved", [])]
    assert sorted((h["warehouse"], h["qty"]) for h in holdings) == sorted(
        (w, 1) for w, units in RESTOCK.items() for _ in range(units * ROUNDS)
    )
    store.dispose()


WORKERS = 4  # processes, each driving its own lifecycles
LIFECYCLES = 24
ITEMS = ("HR-BCD470", "SP-TRIAL", "XM-BAND8", "YL-MILK24")
ON_HAND = 1000


def _lifecycles(url: str, index: int, barrier: Any, results: Any) -> None:
    """One process: orders of every item, their lines in another order each time, then each cancelled
    (stock released) or shipped (stock taken off the shelf); what was refused is reported. Its
    transactions are not retried: locked in one order, none deadlocks."""
    store = Store(url, transaction_attempts=1)
    engine = Engine(store, PluginRegistry(STOCK_ACTIONS), FrozenClock())
    failures: list[str] = []
    try:
        barrier.wait(WAIT)
        for i in range(LIFECYCLES):
            turn = (index + i) % len(ITEMS)
            items = ITEMS[turn:] + ITEMS[:turn]
            if i % 2:
                items = items[::-1]
            lines = [{"sku": sku, "qty": 1, "warehouse": "SH-01"} for sku in items]
            try:
                order = engine.create_order(
                    CLERK, "retail", "held-stock", None, {"address": {}, "lines": lines}
                )
                engine.fire(order.id, "ship" if i % 2 else "cancel", CLERK)
            except Exception as error:  # reported to the test, which fails on it
                failures.append(f"{type(error).__name__}: {error}")
    finally:
        results.put(failures)
        store.dispose()


def test_lifecycles_changing_the_same_stock_in_other_orders_all_complete(db_url: str) -> None:
    store = Store(db_url)
    store.upgrade()
    stock_engine(store)
    with store.transaction() as tx:
        rows = [{"sku": sku, "warehouse": "SH-01", "on_hand": ON_HAND, "reserved": 0} for sku in ITEMS]
        tx.connection.execute(insert(stock), rows)
    store.dispose()  # nothing of it inside SQLite as the workers are forked (see above)
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    results = context.Queue()
    workers = [
        context.Process(target=_lifecycles, args=(db_url, i, barrier, results)) for i in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    store = Store(db_url)
    failures = [failure for _ in workers for failure in results.get(timeout=WAIT * 5)]
    for worker in workers:
        worker.join(WAIT)
    # No step stopped by a deadlock: every transaction locks the stock rows in the same order.
    assert failures == []
    assert [worker.exitcode for worker in workers] == [0] * WORKERS
    shipped = WORKERS * (LIFECYCLES // 2)
    assert stock_levels(store) == {(sku, "SH-01"): (ON_HAND - shipped, 0) for sku in ITEMS}
    with store.read() as tx:
        states = tx.connection.execute(
            select(orders.c.state, func.count()).group_by(orders.c.state)
        ).fetchall()
    assert dict(states) == {"shipped": shipped, "cancelled": WORKERS * LIFECYCLES - shipped}
    store.dispose()


# -- a deadlock the engine is part of --------------------------------------------------------------


def _held_order(store: Store) -> tuple[Engine, int]:
    engine = stock_engine(store)
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock), [{"sku": sku, "warehouse": "SH-01", "on_hand": 10, "reserved": 0} for sku in "AB"]
        )
    lines = [{"sku": sku, "qty": 1, "warehouse": "SH-01"} for sku in "AB"]
    order = engine.create_order(CLERK, "retail", "held-stock", None, {"address": {}, "lines": lines})
    assert order.state == "pending_payment"
    return engine, order.id


@pytest.mark.postgres
def test_a_step_rolled_back_by_a_deadlock_runs_again_whole_keeping_its_idempotency_key(pg_url: str) -> None:
    store = Store(pg_url)
    store.upgrade()
    engine, order_id = _held_order(store)
    result = collide(pg_url, lambda: engine.fire(order_id, "cancel", CLERK, idempotency_key="cancel-1"))
    assert isinstance(result, FireResult), result
    assert (result.from_state, result.to_state) == ("pending_payment", "cancelled")
    assert stock_levels(store) == {("A", "SH-01"): (10, 0), ("B", "SH-01"): (10, 0)}  # released once
    assert [e.trigger for e in engine.history(order_id, CLERK)] == ["create", "place", "cancel"]
    # The key was stored by the try that committed, and answers as that try did.
    assert engine.fire(order_id, "cancel", CLERK, idempotency_key="cancel-1") == result
    assert count(store, idempotency) == 1 and count(store, audit_events) == 3
    store.dispose()


@pytest.mark.postgres
def test_a_step_deadlocked_on_every_try_is_refused_in_both_languages_with_nothing_written(
    pg_url: str,
) -> None:
    store = Store(pg_url, transaction_attempts=1)
    store.upgrade()
    engine, order_id = _held_order(store)
    refused = collide(pg_url, lambda: engine.fire(order_id, "cancel", CLERK, idempotency_key="cancel-1"))
    assert isinstance(refused, ContentionError), refused
    assert isinstance(refused, ConflictError)  # what callers already catch for a change that lost
    assert (refused.sqlstate, refused.attempts, refused.relation) == ("40P01", 1, "stock")
    assert refused.message("en") == (
        "concurrent changes to the same rows kept colliding with this one (deadlock detected on stock; "
        "tried 1 time); nothing was written, try again"
    )
    assert refused.message("zh") == (
        "与同时进行的其他修改反复冲突（检测到死锁，表 stock；已尝试 1 次），本次操作未写入任何内容，请重试"
    )
    assert engine.get_order(order_id, CLERK).state == "pending_payment"
    assert stock_levels(store) == {("A", "SH-01"): (10, 1), ("B", "SH-01"): (10, 1)}
    assert (count(store, idempotency), count(store, audit_events)) == (0, 2)
    # Once the other client is gone the same request goes through.
    assert engine.fire(order_id, "cancel", CLERK, idempotency_key="cancel-1").to_state == "cancelled"
    store.dispose()


def _document(value: Any) -> Any:
    """A JSON column as read: text on SQLite, already decoded on PostgreSQL."""
    return loads(value) if isinstance(value, str) else value
