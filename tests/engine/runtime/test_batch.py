"""One step on many orders (engine/runtime/batch.py), on SQLite and PostgreSQL: the page reads each
order's step once; each order is its own transaction; a refusal or a change made meanwhile touches that
order alone; the same key takes each order's step once; another department's orders are not found."""

from __future__ import annotations

from sqlalchemy import func, select, update

from engine.clock import FrozenClock
from engine.common.text import Text
from engine.errors import RefusalCode
from engine.runtime import Engine
from engine.runtime.batch import MAX_BATCH, Selected
from engine.runtime.finding import ListQuery
from engine.store import Store
from engine.store.tables import audit_events, orders, stock
from tests.engine.runtime.conftest import AUDITOR, CLERK, OUTSIDER, WAREHOUSE
from tests.engine.runtime.test_records import on_hand, shipping_engine

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


# -- a record kind's step on many orders: each order's shipments that may take it, in its transaction


def shipping_orders(engine: Engine, store: Store) -> list[int]:
    """Three orders pending shipment: one from SH-01, one split between SH-01 and BJ-01 (two units of A,
    one left in SH-01), one from BJ-01."""
    with store.transaction() as tx:
        tx.connection.execute(update(stock).where(stock.c.warehouse == "SH-01").values(on_hand=2))
    shipping = [
        [{"sku": "A", "qty": 1}],
        [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}],
        [{"sku": "B", "qty": 2}],
    ]
    ids = []
    for province, lines in zip(("上海", "上海", "北京"), shipping, strict=True):
        data = {"address": {"province": province}, "lines": lines}
        ids.append(engine.create_order(CLERK, "retail", "shipped-order", None, data).id)
    return ids


def shipment_states(engine: Engine, order_id: int) -> list[str]:
    return [r.state for r in engine.records(order_id, WAREHOUSE)]


def test_a_batch_ships_every_pending_shipment_of_each_order(store: Store, clock: FrozenClock) -> None:
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    assert [len(shipment_states(engine, i)) for i in ids] == [1, 2, 1]  # the second is split
    page = engine.batch_page(ids, "shipment.ship", WAREHOUSE)
    assert [(s.info.allowed, s.info.label) for s in page.steps if s.info is not None] == [
        (True, Text("发货：ship", "Shipment: ship"))
    ] * 3
    selected = [Selected(i, engine.get_order(i, WAREHOUSE).lock_version) for i in ids]
    before = audit_rows(store)
    outcomes = list(engine.take_batch(selected, "shipment.ship", WAREHOUSE, {}, "ship-1"))
    assert [o.done for o in outcomes] == [True, True, True]
    assert [o.result.auto for o in outcomes if o.result is not None] == [("all_shipped",)] * 3
    assert [shipment_states(engine, i) for i in ids] == [["shipped"], ["shipped", "shipped"], ["shipped"]]
    assert [engine.get_order(i, WAREHOUSE).state for i in ids] == ["shipped"] * 3
    assert audit_rows(store) - before == 4 + 3  # a shipment's ship each, and each order's all_shipped
    assert on_hand(store) == {("A", "SH-01"): (0, 0), ("A", "BJ-01"): (0, 0), ("B", "BJ-01"): (1, 0)}
    again = list(engine.take_batch(selected, "shipment.ship", WAREHOUSE, {}, "ship-1"))
    assert [o.result for o in again] == [o.result for o in outcomes]  # the same key: each order once


def test_an_order_already_shipped_is_refused_with_its_state_and_the_others_go_on(
    store: Store, clock: FrozenClock
) -> None:
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    engine.fire_record(ids[0], "shipment", 1, "ship", WAREHOUSE)  # shipped on its record already
    page = engine.batch_page(ids, "shipment.ship", WAREHOUSE)
    first = page.steps[0].info
    assert first is not None and not first.allowed
    assert [r.en for r in first.why_not] == [
        "the order is Shipped: ship on a shipment is taken when the order is Pending shipment"
    ]
    assert [r.zh for r in first.why_not] == ["订单处于「已发货」：发货的「ship」须在订单处于「待发货」时执行"]
    selected = [Selected(i, engine.get_order(i, WAREHOUSE).lock_version) for i in ids]
    outcomes = list(engine.take_batch(selected, "shipment.ship", WAREHOUSE, {}, "ship-2"))
    assert [o.done for o in outcomes] == [False, True, True]
    assert [r.code for r in outcomes[0].refusals] == [RefusalCode.STATE]
    assert [engine.get_order(i, WAREHOUSE).state for i in ids] == ["shipped"] * 3


def test_a_person_without_the_shipments_role_ships_nothing(store: Store, clock: FrozenClock) -> None:
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    page = engine.batch_page(ids, "shipment.ship", CLERK)
    assert [s.info.allowed for s in page.steps if s.info is not None] == [False] * 3
    selected = [Selected(i, engine.get_order(i, CLERK).lock_version) for i in ids]
    outcomes = list(engine.take_batch(selected, "shipment.ship", CLERK, {}, "ship-3"))
    assert {r.code for o in outcomes for r in o.refusals} == {RefusalCode.ROLE}
    assert [shipment_states(engine, i) for i in ids] == [["pending"], ["pending", "pending"], ["pending"]]


def test_a_split_order_one_of_whose_shipments_is_refused_is_left_as_it_was(
    store: Store, clock: FrozenClock
) -> None:
    """BJ-01's units of B were taken off its shelf meanwhile: the split order's BJ-01 shipment cannot
    ship, so its SH-01 shipment is not shipped either (one transaction for the order)."""
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    with store.transaction() as tx:
        tx.connection.execute(update(stock).where(stock.c.sku == "B").values(on_hand=0, reserved=0))
    before = on_hand(store)
    split = ids[1]
    lock = engine.get_order(split, WAREHOUSE).lock_version
    [outcome] = engine.take_batch([Selected(split, lock)], "shipment.ship", WAREHOUSE, {}, "ship-4")
    assert not outcome.done and outcome.refusals[0].code == "stock-mismatch"
    assert shipment_states(engine, split) == ["pending", "pending"]
    assert on_hand(store) == before
    assert engine.get_order(split, WAREHOUSE).lock_version == lock


def test_the_list_of_orders_pending_shipment_offers_the_shipments_steps_to_the_warehouse(
    store: Store, clock: FrozenClock
) -> None:
    engine = shipping_engine(store, clock)
    query = ListQuery(workflow="shipped-order", state="pending_shipment")
    steps = dict(engine.order_list(WAREHOUSE, query).steps)
    # ship names the state (order_states:); deliver names none: taken on each record, not in a batch
    assert steps == {"shipment.ship": Text("发货：ship", "Shipment: ship")}
    assert dict(engine.order_list(CLERK, query).steps) == {}
    created = ListQuery(workflow="shipped-order", state="created")  # nothing waits on shipments there
    assert dict(engine.order_list(WAREHOUSE, created).steps) == {}


def test_the_list_of_shipped_orders_offers_no_shipments_step(store: Store, clock: FrozenClock) -> None:
    """The order waits there on its shipments' delivery (all_delivered reads records.shipment), but no
    step of a shipment names the state shipped: nothing is offered, as my work counts nothing there."""
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    selected = [Selected(i, engine.get_order(i, WAREHOUSE).lock_version) for i in ids]
    assert all(o.done for o in engine.take_batch(selected, "shipment.ship", WAREHOUSE, {}, "ship-5"))
    shipped = ListQuery(workflow="shipped-order", state="shipped")
    assert dict(engine.order_list(WAREHOUSE, shipped).steps) == {}
    assert engine.my_work(WAREHOUSE).sections[1:-1] == ()  # no department section: nothing is theirs


def test_a_kinds_step_naming_no_order_state_is_refused_on_every_order(
    store: Store, clock: FrozenClock
) -> None:
    engine = shipping_engine(store, clock)
    ids = shipping_orders(engine, store)
    selected = [Selected(i, engine.get_order(i, WAREHOUSE).lock_version) for i in ids]
    assert all(o.done for o in engine.take_batch(selected, "shipment.ship", WAREHOUSE, {}, "ship-6"))
    page = engine.batch_page(ids, "shipment.deliver", WAREHOUSE)
    infos = [step.info for step in page.steps if step.info is not None]
    assert len(infos) == 3 and not any(info.allowed for info in infos)
    assert [r.en for r in infos[0].why_not] == [
        "deliver on a shipment is not taken on many orders: it names no order states (order_states); "
        "take it on each record from the order's page"
    ]
    delivered = {"delivered_at": clock.now().isoformat()}
    outcomes = list(engine.take_batch(selected, "shipment.deliver", WAREHOUSE, delivered, "deliver-1"))
    assert [o.done for o in outcomes] == [False] * 3
    assert [shipment_states(engine, i) for i in ids] == [["shipped"], ["shipped", "shipped"], ["shipped"]]
