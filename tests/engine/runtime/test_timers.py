from __future__ import annotations

import multiprocessing

from engine.clock import FrozenClock
from engine.runtime import Engine
from engine.store import Store
from tests.engine.runtime.conftest import CLERK, bundle, make_engine

ORDER = {"customer": "李四", "total": 88}


def test_unpaid_order_cancels_itself_after_30_minutes(
    engine: Engine, clock: FrozenClock, store: Store
) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    clock.advance(minutes=29)
    assert engine.run_due_timers("w1") == 0
    clock.advance(minutes=1)
    assert engine.run_due_timers("w1") == 1
    order = engine.get_order(order_id, CLERK)
    assert order.state == "cancelled" and order.final
    event = engine.history(order_id, CLERK)[-1]
    assert (event.trigger, event.actor, event.reason) == ("cancel", "system", "unpaid_timeout")
    assert engine.run_due_timers("w1") == 0
    with store.read() as tx:
        assert [t.status for t in tx.order_timers(order_id)] == ["fired"]


def test_timer_cancelled_when_state_left(engine: Engine, clock: FrozenClock, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, {"amount": 88, "method": "cash"})
    clock.advance(hours=1)
    assert engine.run_due_timers("w1") == 0
    assert engine.get_order(order_id, CLERK).state == "paid"
    with store.read() as tx:
        assert [t.status for t in tx.order_timers(order_id)] == ["cancelled"]


def test_timer_whose_condition_fails_is_cancelled_not_fired(engine: Engine, clock: FrozenClock) -> None:
    # The timer cancels only when order.total > 0; a zero-total order skips payment anyway, so
    # build one that stays: total is checked when the timer is due.
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "total": 0.0}).id
    assert engine.get_order(order_id, CLERK).state == "paid"
    clock.advance(hours=1)
    assert engine.run_due_timers("w1") == 0


def _worker(url: str, worker_id: str, start: str, queue: multiprocessing.Queue[int]) -> None:
    from datetime import datetime, timedelta

    store = Store(url)
    engine = make_engine(store, FrozenClock(datetime.fromisoformat(start) + timedelta(hours=1)))
    queue.put(engine.run_due_timers(worker_id, limit=1000))
    store.dispose()


def test_two_worker_processes_fire_each_timer_once(db_url: str, clock: FrozenClock) -> None:
    store = Store(db_url)
    store.upgrade()
    engine = make_engine(store, clock)
    engine.publish(bundle("retail-order"))
    ids = [engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id for _ in range(40)]
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[int] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(db_url, f"w{i}", clock.now().isoformat(), queue))
        for i in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0, 0]
    assert queue.get() + queue.get() == 40
    for order_id in ids:
        events = engine.history(order_id, CLERK)
        assert [e.trigger for e in events] == ["create", "cancel"]
    store.dispose()
