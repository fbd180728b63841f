"""One step on many orders (engine/runtime/batch.py), on SQLite and PostgreSQL: the page reads each
order's step once; each order is its own transaction; a refusal or a change made meanwhile touches that
order alone; the same key takes each order's step once; another department's orders are not found."""

from __future__ import annotations

from sqlalchemy import func, select, update

from engine.errors import RefusalCode
from engine.runtime import Engine
from engine.runtime.batch import MAX_BATCH, Selected
from engine.store import Store
from engine.store.tables import audit_events, orders
from tests.engine.runtime.conftest import AUDITOR, CLERK, OUTSIDER

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def audit_rows(store: Store) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(audit_events)).scalar_one())


def paid_orders(engine: Engine, n: int) -> list[int]:
    ids = []
    for _ in range(n):
        order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
        engine.fire(order.id, "pay", CLERK, PAYMENT)
        ids.append(order.id)
    return ids


def test_the_batch_page_reads_each_orders_step(engine: Engine) -> None:
    ids = paid_orders(engine, 2)
    unpaid = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    page = engine.batch_page([*ids, unpaid, ids[0], 10**9], "approve", AUDITOR)
    assert [step.order.id for step in page.steps] == [*ids, unpaid]  # each once, in the order selected
    assert page.missing == (10**9,)
    allowed = [step.info is not None and step.info.allowed for step in page.steps]
    assert allowed == [True, True, False]  # ``approve`` does not leave pending payment


def test_each_order_is_its_own_transaction(engine: Engine, store: Store) -> None:
    ids = paid_orders(engine, 3)
    with store.transaction() as tx:  # another person's change to the second order
        tx.connection.execute(
            update(orders).where(orders.c.id == ids[1]).values(lock_version=orders.c.lock_version + 1)
        )
    selected = [
        Selected(order.id, order.lock_version) for order in (engine.get_order(i, AUDITOR) for i in ids)
    ]
    selected[1] = Selected(ids[1], selected[1].lock_version - 1)  # as the page saw it, before the change
    before = audit_rows(store)
    outcomes = list(engine.take_batch(selected, "approve", AUDITOR, {}, "key-1"))
    assert [o.done for o in outcomes] == [True, False, True]
    assert outcomes[1].refusals[0].code == RefusalCode.CONFLICT
    assert audit_rows(store) - before == 2
    assert [engine.get_order(i, AUDITOR).state for i in ids] == [
        "pending_shipment",
        "paid",
        "pending_shipment",
    ]


def test_a_refused_order_says_why_and_the_others_go_on(engine: Engine) -> None:
    ids = paid_orders(engine, 2)
    selected = [Selected(i, engine.get_order(i, AUDITOR).lock_version) for i in ids]
    outcomes = list(engine.take_batch(selected, "approve", CLERK, {}, "key-2"))  # a clerk is no auditor
    assert not any(o.done for o in outcomes)
    assert {r.code for o in outcomes for r in o.refusals} == {RefusalCode.ROLE}
    assert all(engine.get_order(i, AUDITOR).state == "paid" for i in ids)


def test_the_same_key_takes_each_orders_step_once(engine: Engine, store: Store) -> None:
    ids = paid_orders(engine, 2)
    selected = [Selected(i, engine.get_order(i, AUDITOR).lock_version) for i in ids]
    first = list(engine.take_batch(selected, "approve", AUDITOR, {}, "key-3"))
    before = audit_rows(store)
    again = list(engine.take_batch(selected, "approve", AUDITOR, {}, "key-3"))
    assert audit_rows(store) == before
    assert [o.result for o in again] == [o.result for o in first]


def test_another_departments_orders_are_not_found(engine: Engine) -> None:
    ids = paid_orders(engine, 2)
    page = engine.batch_page(ids, "approve", OUTSIDER)
    assert page.steps == () and page.missing == tuple(ids)
    outcomes = list(engine.take_batch([Selected(i, 1) for i in ids], "approve", OUTSIDER, {}, "key-4"))
    assert {r.code for o in outcomes for r in o.refusals} == {RefusalCode.NOT_FOUND}


def test_a_batch_takes_at_most_max_batch_orders(engine: Engine) -> None:
    ids = paid_orders(engine, 1)
    page = engine.batch_page(ids * 2 + list(range(10**6, 10**6 + MAX_BATCH)), "approve", AUDITOR)
    assert len(page.steps) + len(page.missing) == MAX_BATCH
