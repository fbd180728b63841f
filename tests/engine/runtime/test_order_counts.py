"""Order counts by workflow and state, kept off the step's path, equal a count of the orders table.

Each phase moves orders (steps, automatic steps, parallel regions, timers' neighbours, a version
migration) and folds or does not; after each, the counts must be exactly what grouping every order
gives, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.reports import FOLD_INTERVAL, fold_order_counts, order_counts, state_counts
from engine.store.tables import orders
from tests.engine.runtime.conftest import ADMIN, AUDITOR, CLERK, WAREHOUSE, bundle

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}
TRADER = Actor("tia", frozenset({"clerk"}), frozenset({"wholesale"}))


def truth(store: Store) -> dict[tuple[str, str, str], int]:
    query = select(orders.c.department, orders.c.workflow, orders.c.state, func.count()).group_by(
        orders.c.department, orders.c.workflow, orders.c.state
    )
    with store.engine.connect() as connection:
        return {(d, w, s): int(n) for d, w, s, n in connection.execute(query)}


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
    rows = {row.workflow: row for row in order_counts(store, ["retail"])}
    assert set(rows) == {"retail-order", "audited-order"}  # the department's published workflows
    assert (rows["retail-order"].total, rows["retail-order"].by_state) == (1, [("pending_payment", 1)])
    assert (rows["audited-order"].total, rows["audited-order"].by_state) == (0, [])


def test_a_fold_waits_its_interval(engine: Engine, store: Store, clock: FrozenClock) -> None:
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, clock.now()) == 1
    engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert fold_order_counts(store, clock.now()) is None  # folded a moment ago
    clock.advance(seconds=FOLD_INTERVAL.total_seconds() + 1)
    assert fold_order_counts(store, clock.now()) == 1
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
        open_tx.insert_audit(
            order_id=first.id,
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
        engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)  # committed, a larger id
        assert fold(store, clock) is None  # the audit trail is being written: not now
    assert fold(store, clock) == 3
    assert state_counts(store) == truth(store) == {("retail", "retail-order", "pending_payment"): 2}
