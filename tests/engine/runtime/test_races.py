"""Concurrent publishes and concurrent creates with one idempotency key, on SQLite and PostgreSQL.

Each test starts its threads together at a barrier; whatever order the database lets them in, every
thread gets an answer (never an IntegrityError) and the tables hold what one caller alone would leave.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.store import Store
from engine.store.tables import audit_events, idempotency, orders, workflow_versions
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
    numbers = {p.content_hash: p.version for p in published if p.created}
    assert sorted(numbers.values()) == [1, 2, 3, 4]
    assert len(numbers) == 4 and sum(p.created for p in published) == 4
    assert all(p.version == numbers[p.content_hash] for p in published)
    assert [v.version for v in engine.versions("retail-order")] == [1, 2, 3, 4]


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
