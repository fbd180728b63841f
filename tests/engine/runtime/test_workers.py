"""The workers (engine/runtime/workers.py): due timers fired, each once, by whichever worker claims it
(a crashed worker's after the lease), cancelled when their state is left or their ``when`` no longer
holds or cannot be evaluated; the outbox handed to its sender and marked sent only after it returned."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import update

from engine.clock import FrozenClock
from engine.errors import StoredDocumentError
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import orders
from tests.engine.runtime.conftest import CLERK, bundle, make_engine

# -- timers


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
    # No thread of this process (the store's WAL checkpointer) may be inside SQLite as the workers are
    # forked: a child would inherit its lock held, and wait on it for good.
    store.dispose()
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[int] = context.Queue()
    workers = [
        context.Process(target=_worker, args=(db_url, f"w{i}", clock.now().isoformat(), queue))
        for i in range(2)
    ]
    for worker in workers:
        worker.start()
    store = Store(db_url)
    engine = make_engine(store, clock)
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0, 0]
    assert queue.get() + queue.get() == 40
    for order_id in ids:
        events = engine.history(order_id, CLERK)
        assert [e.trigger for e in events] == ["create", "cancel"]
    store.dispose()


def test_timer_of_a_crashed_worker_is_taken_over_after_the_lease(
    engine: Engine, clock: FrozenClock, store: Store
) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    clock.advance(minutes=30)
    with store.transaction() as tx:  # a worker claims the timer, then dies before firing it
        [timer_id] = tx.claim_due_timers("crashed", clock.now(), 10)
    clock.advance(minutes=4, seconds=59)
    assert engine.run_due_timers("w2") == 0
    clock.advance(seconds=1)
    assert engine.run_due_timers("w2") == 1
    assert engine.get_order(order_id, CLERK).state == "cancelled"
    with store.read() as tx:
        timer = tx.timer(timer_id)
        assert timer is not None and (timer.status, timer.claimed_by) == ("fired", "w2")
    # Were the first worker only stalled, its late attempt finds the timer no longer its own.
    assert not engine.workers.fire_timer(timer_id, "crashed", clock.now())
    assert engine.run_due_timers("w3") == 0
    assert [e.trigger for e in engine.history(order_id, CLERK)] == ["create", "cancel"]


def test_lease_is_configurable_on_the_engine_and_per_run(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock, lease=timedelta(minutes=1))
    engine.publish(bundle("retail-order"))
    first = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    second = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    clock.advance(minutes=30)
    with store.transaction() as tx:
        assert len(tx.claim_due_timers("crashed", clock.now(), 10)) == 2
    clock.advance(seconds=30)
    assert engine.run_due_timers("w2", limit=1, lease=timedelta(seconds=30)) == 1
    assert engine.run_due_timers("w2") == 0  # the engine's one minute has not passed
    clock.advance(seconds=30)
    assert engine.run_due_timers("w2") == 1
    assert {engine.get_order(i, CLERK).state for i in (first, second)} == {"cancelled"}


def test_dispatch_outbox_marks_sent_only_after_send_returned(engine: Engine, clock: FrozenClock) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, {"amount": 88, "method": "card"})
    delivered: list[tuple[str, object]] = []

    def down(topic: str, payload: object) -> None:
        raise ConnectionError("mail server refused the connection")

    assert engine.dispatch_outbox("d1", down).sent == 0
    with engine.store.read() as tx:
        [(outbox_id, _, _)] = tx.pending_outbox()
        message = tx.outbox_message(outbox_id)
    assert message is not None and message.sent_at is None and message.attempts == 1
    assert message.last_error == "ConnectionError: mail server refused the connection"
    assert message.claimed_by is None  # released for a later run

    def deliver(topic: str, payload: object) -> None:
        delivered.append((topic, payload))

    assert engine.dispatch_outbox("d1", deliver).claimed == 0  # put off: not tried again at once
    clock.advance(seconds=30)
    assert engine.dispatch_outbox("d1", deliver).sent == 1
    assert delivered == [("mail", {"order": order_id, "to": "paid"})]
    with engine.store.read() as tx:
        assert tx.pending_outbox() == []
        sent = tx.outbox_message(outbox_id)
    assert sent is not None and sent.sent_at == clock.now() and sent.attempts == 2 and sent.last_error is None
    assert engine.dispatch_outbox("d1", deliver).sent == 0
    assert len(delivered) == 1


def test_outbox_message_of_a_crashed_dispatcher_is_sent_after_the_lease(
    engine: Engine, clock: FrozenClock
) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, {"amount": 88, "method": "card"})
    with engine.store.transaction() as tx:
        assert len(tx.claim_outbox("crashed", clock.now(), 10)) == 1
    delivered: list[str] = []
    assert engine.dispatch_outbox("d2", lambda topic, payload: delivered.append(topic)).sent == 0
    clock.advance(minutes=5)
    assert engine.dispatch_outbox("d2", lambda topic, payload: delivered.append(topic)).sent == 1
    assert delivered == ["mail"]


def test_a_timer_whose_order_cannot_be_read_stays_scheduled_with_a_note_and_the_others_fire(
    engine: Engine, clock: FrozenClock, store: Store
) -> None:
    newer = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    other = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    with store.transaction() as tx:  # as a newer OrderLoom would store its data
        tx.connection.execute(update(orders).where(orders.c.id == newer).values(schema_version=2))
    clock.advance(minutes=30)

    assert engine.run_due_timers("w1") == 1  # the other order's timer: one bad order stops no run
    assert engine.get_order(other, CLERK).state == "cancelled"
    with store.read() as tx:
        [timer] = tx.order_timers(newer)
    why = f"the data of order {newer} has schema_version 2, newer than this OrderLoom reads (up to 1)"
    assert (timer.status, timer.claimed_by) == ("scheduled", "w1")  # kept for a worker that reads it
    assert timer.note is not None and timer.note.startswith(f"not fired: {why}")
    with store.read() as tx:
        assert tx.history(newer)[-1].trigger == "create"  # nothing of the fire was written

    clock.advance(minutes=5)  # the claim's lease lapses: tried again, and said again
    report = engine.fire_due_timers("w2")
    assert report.fired == 0
    [unfired] = report.unfired
    assert unfired.timer_id == timer.id and isinstance(unfired.error, StoredDocumentError)
    assert str(unfired.error).startswith(why)
    assert unfired.error.message("zh").startswith(f"订单 {newer} 的数据的 schema_version 为 2")
    assert engine.fire_due_timers("w2").unfired == []  # held by w2 for its lease: not tried each round

    with store.transaction() as tx:  # read by an OrderLoom that knows the version: it fires
        tx.connection.execute(update(orders).where(orders.c.id == newer).values(schema_version=1))
    clock.advance(minutes=5)
    assert engine.fire_due_timers("w3").fired == 1
    with store.read() as tx:
        fired = tx.timer(timer.id)
    assert fired is not None and (fired.status, fired.note) == ("fired", None)
    assert engine.get_order(newer, CLERK).state == "cancelled"


# -- timer conditions
# A due timer whose ``when`` cannot be evaluated is cancelled with a note; the other timers still run.


@pytest.fixture
def dated(engine: Engine) -> Engine:
    engine.publish(bundle("dated-order"))
    return engine


def order(engine: Engine, delivered_at: str) -> int:
    data = {"customer": "王五", "delivered_at": delivered_at}
    return engine.create_order(CLERK, "retail", "dated-order", None, data).id


def timers(store: Store, order_id: int) -> list[tuple[str, str | None]]:
    with store.read() as tx:
        return [(t.status, t.note) for t in tx.order_timers(order_id)]


def test_an_unparsable_date_cancels_its_timer_with_a_note_and_the_others_fire(
    dated: Engine, clock: FrozenClock, store: Store
) -> None:
    before = order(dated, "2025-12-31T09:00:00+08:00")
    broken = order(dated, "last tuesday")
    after = order(dated, "2025-12-31T09:00:00Z")
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 2
    assert dated.get_order(before, CLERK).state == "closed"
    assert dated.get_order(after, CLERK).state == "closed"
    assert dated.get_order(broken, CLERK).state == "delivered"
    [(status, note)] = timers(store, broken)
    assert status == "cancelled"
    assert note is not None and note.startswith("condition could not be evaluated: ")
    assert "days_since() needs an ISO-8601 date" in note and "'last tuesday'" in note
    assert timers(store, before) == [("fired", None)]
    assert [e.trigger for e in dated.history(broken, CLERK)] == ["create"]  # nothing fired, no event
    clock.advance(days=1)
    assert dated.run_due_timers("w1") == 0  # cancelled for good, not retried


def test_a_condition_that_does_not_hold_is_cancelled_without_a_note(
    dated: Engine, clock: FrozenClock, store: Store
) -> None:
    late = order(dated, "2026-01-05T09:00:00+00:00")  # delivered after the order was created
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 0
    assert timers(store, late) == [("cancelled", None)]


@pytest.mark.parametrize(
    "moment",
    [
        "2025-12-31t09:00:00z",
        "2025-12-31T09:00:00z",
        "2025-12-31t09:00:00+08:00",
        "2025-12-31T09:00:00.123456789-05:30",
        "2025-12-31T09:00:00-00:00",
    ],
)
def test_every_rfc3339_form_of_a_date_counts(
    dated: Engine, clock: FrozenClock, store: Store, moment: str
) -> None:
    order_id = order(dated, moment)
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 1
    assert timers(store, order_id) == [("fired", None)]
