"""Order counts by workflow and state, kept off the step's path, equal a count of the orders table.

Each phase moves orders (steps, automatic steps, parallel regions, timers' neighbours, a version
migration) and folds or does not; after each, the counts must be exactly what grouping every order
gives, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.reports import FOLD_INTERVAL, fold_order_counts, state_counts
from engine.store.store import Tx
from engine.store.tables import order_counts_folded, orders
from tests.engine.runtime.conftest import ACTIONS, ADMIN, AUDITOR, CLERK, FIXTURES, WAREHOUSE, bundle

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}
TRADER = Actor("tia", frozenset({"clerk"}), frozenset({"wholesale"}))
RETAIL_CLERK = Actor("rita", frozenset({"clerk"}), frozenset({"retail"}))


def truth(store: Store) -> dict[tuple[str, str, str], int]:
    query = select(orders.c.department, orders.c.workflow, orders.c.state, func.count()).group_by(
        orders.c.department, orders.c.workflow, orders.c.state
    )
    with store.read() as tx:
        return {(d, w, s): int(n) for d, w, s, n in tx.connection.execute(query)}


def write_a_self_loop(tx: Tx, order_id: int, clock: FrozenClock) -> None:
    """A step's audit event (pending_payment -> pending_payment: it moves no count), in ``tx``."""
    tx.insert_audit(
        order_id=order_id,
        seq=2,
        at=clock.now(),
        actor="ann",
        trigger="remark",
        from_state="pending_payment",
        to_state="pending_payment",
        data_changes={},
        guards=[],
        rules=None,
        reason=None,
    )


def fold(store: Store, clock: FrozenClock) -> int | None:
    return fold_order_counts(store, clock.now(), interval=None)


def test_counts_follow_every_move_with_and_without_folds(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    rng = random.Random(5)  # noqa: S311  # a repeatable walk, not a secret
    retail = [engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id for _ in range(12)]
    engine.create_order(
        CLERK, "retail", "retail-order", "web", {"customer": "李四", "total": 0}
    )  # paid at once
    wholesale = [engine.create_order(TRADER, "wholesale", "wholesale-order", None, {}).id for _ in range(4)]
    assert state_counts(store) == truth(store) != {}  # nothing folded yet: every event added on read
    assert fold(store, clock) == 12 + 2 + 4  # twelve creations, one creation and its automatic step, four
    assert state_counts(store) == truth(store)
    for order_id in retail[:8]:
        engine.fire(order_id, "pay", CLERK, PAYMENT)
    for order_id in retail[:6]:
        engine.fire(order_id, "approve", AUDITOR)
    engine.fire(retail[5], "remark", CLERK)  # pending_shipment -> paid
    engine.fire(retail[4], "remark", CLERK)  # and again: paid -> paid, a self-loop moves nothing
    engine.fire(retail[4], "remark", CLERK)
    for order_id in retail[:3]:
        engine.fire(order_id, "ship", WAREHOUSE)
    engine.fire(retail[0], "deliver", CLERK)
    engine.fire(retail[11], "cancel", CLERK)
    assert state_counts(store) == truth(store)
    for order_id in wholesale:  # parallel regions: the joined state is the counted one
        engine.fire(order_id, "start", TRADER)
    engine.fire(wholesale[0], "pay", TRADER)
    engine.fire(wholesale[1], "ship", TRADER)
    engine.fire(wholesale[2], "pay", TRADER)
    engine.fire(wholesale[2], "ship", TRADER)  # both regions done: closed automatically
    assert fold(store, clock) is not None
    assert fold(store, clock) == 0  # nothing new
    assert state_counts(store) == truth(store)
    engine.publish(bundle("versions/retail-order-no-paid"))
    engine.migrate("retail-order", 2, {"paid": "pending_shipment"}, dry_run=False, actor=ADMIN)
    assert state_counts(store) == truth(store)
    for _ in range(40):  # more of everything, folding now and then
        order_id = rng.choice(retail)
        for trigger in (info.trigger for info in engine.available_triggers(order_id, ADMIN)):
            if trigger in {"pay", "approve", "ship", "deliver", "remark"} and rng.random() < 0.5:
                actor = {"pay": CLERK, "approve": AUDITOR, "ship": WAREHOUSE}.get(trigger, CLERK)
                engine.fire(order_id, trigger, actor, PAYMENT if trigger == "pay" else None)
                break
        if rng.random() < 0.2:
            fold(store, clock)
        assert state_counts(store) == truth(store)


def test_the_counts_are_per_department(engine: Engine, store: Store) -> None:
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    engine.create_order(TRADER, "wholesale", "wholesale-order", None, {})
    assert state_counts(store, ["wholesale"]) == {("wholesale", "wholesale-order", "new"): 1}
    rows = {row.workflow: row for row in engine.home(RETAIL_CLERK)}
    assert set(rows) == {"retail-order", "audited-order"}  # the department's published workflows
    assert (rows["retail-order"].total, rows["retail-order"].by_state) == (1, (("pending_payment", 1),))
    assert (rows["audited-order"].total, rows["audited-order"].by_state) == (0, ())


def test_a_fold_waits_its_interval(engine: Engine, store: Store, clock: FrozenClock) -> None:
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, clock.now()) == 1
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, clock.now()) is None  # folded a moment ago
    clock.advance(seconds=FOLD_INTERVAL.total_seconds() + 1)
    assert fold_order_counts(store, clock.now()) == 1
    assert state_counts(store) == truth(store) == {("retail", "retail-order", "pending_payment"): 2}


def test_the_engine_folds_on_its_own_clock_as_a_worker_asks_it_to(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert engine.fold_order_counts() == 1
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert engine.fold_order_counts() is None  # folded a moment ago by the engine's clock
    clock.advance(seconds=FOLD_INTERVAL.total_seconds() + 1)
    assert engine.fold_order_counts() == 1
    assert state_counts(store) == truth(store) == {("retail", "retail-order", "pending_payment"): 2}


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_fold_never_passes_an_event_still_being_written(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """PostgreSQL numbers audit events before their transactions commit: an event written by an open
    transaction may have a smaller id than one already committed. The fold waits for the writers (and
    gives up after its lock timeout) rather than fold past the open one and never count it."""
    first = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    with store.transaction() as open_tx:  # a step in flight: its audit row is written, not committed
        write_a_self_loop(open_tx, first.id, clock)
        engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)  # committed, a larger id
        assert fold(store, clock) is None  # the audit trail is being written: not now
    assert fold(store, clock) == 3
    assert state_counts(store) == truth(store) == {("retail", "retail-order", "pending_payment"): 2}


def test_a_backlog_is_folded_in_short_transactions(engine: Engine, store: Store, clock: FrozenClock) -> None:
    for _ in range(7):
        engine.fire(
            engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id, "pay", CLERK, PAYMENT
        )
    assert fold_order_counts(store, clock.now(), interval=None, chunk=3) == 14
    with store.read() as tx:
        assert tx.connection.execute(select(order_counts_folded.c.last_audit_id)).scalar_one() == 14
    assert state_counts(store) == truth(store) == {("retail", "retail-order", "paid"): 7}


def test_the_interval_is_kept_whatever_the_clocks_zone(engine: Engine, store: Store) -> None:
    """SQLite keeps no zone: a fold at 17:00+08:00 is stored as 09:00 UTC, not as 17:00."""
    beijing = timezone(timedelta(hours=8))
    at = datetime(2026, 11, 30, 17, 0, tzinfo=beijing)
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, at) == 1
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, at + timedelta(seconds=5)) is None
    assert fold_order_counts(store, at + timedelta(minutes=5)) == 1


def test_a_workflow_moved_to_another_department_counts_each_state_once(
    engine: Engine, store: Store, tmp_path: Path
) -> None:
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    text = (FIXTURES / "workflows" / "retail-order.yaml").read_text(encoding="utf-8")
    moved = tmp_path / "retail-order.yaml"
    moved.write_text(text.replace("department: retail", "department: wholesale"), encoding="utf-8")
    engine.publish(load_bundle(moved, FIXTURES, action_names=ACTIONS, workflows={}))
    engine.create_order(CLERK, "wholesale", "retail-order", "web", ORDER)
    assert state_counts(store)[("retail", "retail-order", "pending_payment")] == 1
    rows = {row.workflow: row for row in engine.home(ADMIN)}
    assert (rows["retail-order"].total, rows["retail-order"].by_state) == (2, (("pending_payment", 2),))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reads_take_no_write_lock_and_a_fold_does_not_wait_for_one(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """SQLite: while another connection holds the write lock, the counts are read at once, and the fold
    gives up after its short lock timeout instead of the store's 30 s (it could not even note the
    attempt: that is a write too), then folds once the lock is free."""
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    writer = sqlite3.connect(store.engine.url.database, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert state_counts(store) == truth(store)
        assert fold_order_counts(store, clock.now()) is None  # gave up: the lock is held
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert fold_order_counts(store, clock.now()) == 1


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_fold_that_gave_up_waits_for_the_next_interval(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """PostgreSQL: a fold that could not lock the audit trail is not tried again by the next page,
    which would queue the steps behind its lock request once more."""
    first = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    with store.transaction() as open_tx:
        write_a_self_loop(open_tx, first.id, clock)
        assert fold_order_counts(store, clock.now()) is None  # gave up on the lock
    assert fold_order_counts(store, clock.now()) is None  # this interval's fold was that one
    clock.advance(seconds=FOLD_INTERVAL.total_seconds() + 1)
    assert fold_order_counts(store, clock.now()) == 2
    assert state_counts(store) == truth(store)
