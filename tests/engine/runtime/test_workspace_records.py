"""My work counts the steps people take on an order's child records (engine/runtime/workspace.py): the
warehouse ships shipment records, the after-sales desk pays refund records, finance collects cash once
every shipment is out; on the shipped workflows, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import discover, load_bundle
from engine.errors import RefusalCode, TransitionRejected
from engine.runtime import Engine
from engine.runtime.workspace import MyWork, OrdersSection, WorkItem
from engine.store.statements import Statement
from engine.store.transaction import TxCore
from tests.test_departments import (
    APPROVER,
    FINANCE,
    INSPECTOR,
    REGISTRY,
    RETAIL,
    REVIEWER,
    ROOT,
    SALES,
    SERVICE,
    WAREHOUSE,
    delivered_retail_order,
    pay,
    request_data,
    retail_data,
    ship,
    stocked,
    wholesale_data,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, sqlite_url: str, clock: FrozenClock) -> Iterator[Engine]:
    """The shipped definitions on a stocked SQLite file, and on a PostgreSQL server."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = stocked(url)
    engine = Engine(store, REGISTRY, clock)
    for path in discover(ROOT).values():
        engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
    yield engine
    store.dispose()


def items(found: MyWork, department: str) -> dict[int, WorkItem]:
    sections = [s for s in found.sections if isinstance(s, OrdersSection) and s.department == department]
    return {item.order.id: item for section in sections for item in section.items}


def paid_retail_order(engine: Engine) -> int:
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    if pay(engine, order.id, 478) == "on_hold":
        engine.fire(order.id, "release", REVIEWER)
    assert engine.get_order(order.id, RETAIL).state == "pending_shipment"
    return order.id


def wholesale_order(engine: Engine, **changes: object) -> int:
    data = wholesale_data(**changes)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert engine.get_order(order.id, SALES).state.startswith("fulfilling"), order.state
    return order.id


def test_the_warehouse_has_a_retail_order_pending_shipment_and_a_wholesale_order_shipping(
    engine: Engine,
) -> None:
    retail, wholesale = paid_retail_order(engine), wholesale_order(engine)
    found = engine.my_work(WAREHOUSE)
    shown = items(found, "retail")[retail]
    assert [(o.kind, o.number, o.step.trigger) for o in shown.record_steps] == [("shipment", 1, "ship")]
    assert (shown.steps, shown.waiting) == ((), ())
    in_wholesale = items(found, "wholesale")[wholesale]
    assert {(o.kind, o.step.trigger) for o in in_wholesale.record_steps} == {("shipment", "ship")}
    assert len(in_wholesale.record_steps) == 2  # a shipment per warehouse
    # the shipments are not the retail clerk's (the order is, to cancel it), nor the wholesale sales'
    assert items(engine.my_work(RETAIL), "retail")[retail].record_steps == ()
    assert wholesale not in items(engine.my_work(SALES), "wholesale")
    # nor is an unpaid order the warehouse's
    unpaid = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    assert unpaid.id not in items(engine.my_work(WAREHOUSE), "retail")
    # and the warehouse may claim the order it ships
    assert engine.claim_view(retail, WAREHOUSE).may_claim


def test_an_order_whose_records_took_the_step_already_is_not_the_warehouses_any_more(
    engine: Engine,
) -> None:
    wholesale = wholesale_order(engine)
    assert wholesale in items(engine.my_work(WAREHOUSE), "wholesale")
    ship(engine, wholesale, "GZ-01")
    left = items(engine.my_work(WAREHOUSE), "wholesale")[wholesale]
    assert [o.step.trigger for o in left.record_steps] == ["ship"]  # the Shanghai one is still to go
    ship(engine, wholesale, "SH-01")
    assert wholesale not in items(engine.my_work(WAREHOUSE), "wholesale")  # all shipped: on its way


def test_finance_collects_cash_once_every_shipment_is_out_and_is_told_why_before(engine: Engine) -> None:
    cod = wholesale_order(engine, payment_method="cod")
    waiting = items(engine.my_work(FINANCE), "wholesale")[cod]
    assert waiting.steps == ()
    assert "Cash on delivery is collected once everything has shipped" in [r.en for r in waiting.waiting]
    ship(engine, cod, "GZ-01")
    ship(engine, cod, "SH-01")
    ready = items(engine.my_work(FINANCE), "wholesale")[cod]  # its guard reads the order's records
    assert ([s.trigger for s in ready.steps], ready.waiting) == (["collect_cod"], ())


def test_the_after_sales_desk_has_a_request_in_refunding(engine: Engine, clock: FrozenClock) -> None:
    delivered_retail_order(engine, clock)
    request = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request_data(clock))
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(request.id, "receive_goods", WAREHOUSE, receipt)
    assert request.id not in items(engine.my_work(SERVICE), "after_sales")  # inspected first
    inspection = {"inspection_result": "pass", "found_condition": "unopened"}
    assert engine.fire(request.id, "inspect", INSPECTOR, inspection).to_state == "refunding"
    shown = items(engine.my_work(SERVICE), "after_sales")[request.id]
    assert {(o.kind, o.number, o.step.trigger) for o in shown.record_steps} == {
        ("refund", 1, "pay"),
        ("refund", 1, "fail"),
    }
    assert request.id not in items(engine.my_work(INSPECTOR), "after_sales")
    assert request.id not in items(engine.my_work(WAREHOUSE), "after_sales")


def test_a_record_step_outside_its_order_states_is_refused_naming_the_state(engine: Engine) -> None:
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    with pytest.raises(TransitionRejected) as refused:
        engine.fire_record(order.id, "shipment", 1, "ship", WAREHOUSE, {"carrier": "sf"})
    [refusal] = refused.value.refusals
    assert refusal.code is RefusalCode.STATE
    assert refusal.details["state"] == "pending_payment"
    assert refusal.details["order_states"] == ["pending_shipment"]
    assert "「待支付」" in refusal.zh and "「待发货」" in refusal.zh
    assert "Pending payment" in refusal.en and "Pending shipment" in refusal.en
    # the order page offers it, refused with the same reason
    [shipment] = [r for r in engine.records(order.id, WAREHOUSE) if r.kind == "shipment"]
    [step] = [s for s in shipment.steps if s.trigger == "ship"]
    assert not step.allowed and [r.code for r in step.why_not] == [RefusalCode.STATE]


def test_the_order_page_names_the_warehouse_next_on_a_wholesale_order_paid_and_waiting_to_ship(
    engine: Engine,
) -> None:
    order = wholesale_order(engine)
    paid = {"method": "bank_transfer", "amount": 15350, "transaction_ref": "BT2026030200001"}
    assert engine.fire(order, "confirm_transfer", FINANCE, paid).auto == ("settle",)
    here = engine.order_page(order, FINANCE).here
    assert here is not None and not here.acts
    assert here.next[0].en == "Warehouse" and here.next[0].zh == "仓库"
    shipping = engine.order_page(order, WAREHOUSE).here
    assert shipping is not None and shipping.acts  # a shipment of its to ship: no one else named
    assert shipping.next == ()


def test_the_records_of_a_pages_orders_are_read_in_one_statement(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipping = [paid_retail_order(engine) for _ in range(3)]
    seen: list[str] = []
    run = TxCore.run

    def counted(self: TxCore, statement: Statement, params: Mapping[str, Any]) -> Any:
        seen.append(statement.name)
        return run(self, statement, params)

    monkeypatch.setattr(TxCore, "run", counted)
    found = items(engine.my_work(WAREHOUSE), "retail")
    assert sorted(found) == shipping
    assert [name for name in seen if name.startswith("order_records")] == ["order_records_of_orders(3)"]


def test_a_managers_row_offers_the_cancel_only_while_nothing_has_shipped(engine: Engine) -> None:
    """The manager's cancel of a fulfilling wholesale order (its guard: no goods shipped) is judged on
    each row as the order page judges it: offered before a shipment leaves, shown waiting with why
    after, and the batch page says the same."""
    untouched, shipped = wholesale_order(engine), wholesale_order(engine)
    ship(engine, shipped, "GZ-01")
    rows = items(engine.my_work(APPROVER), "wholesale")
    assert ([s.trigger for s in rows[untouched].steps], rows[untouched].waiting) == (["cancel"], ())
    assert rows[shipped].steps == ()
    why = "Goods have already shipped, so the order cannot be cancelled with a full refund"
    assert [r.en.startswith(why) for r in rows[shipped].waiting] == [True]
    page = engine.batch_page([untouched, shipped], "cancel", APPROVER)
    assert [step.info.allowed for step in page.steps if step.info is not None] == [True, False]
    offered = {t.trigger: t.allowed for t in engine.available_triggers(shipped, APPROVER)}
    assert offered["cancel"] is False
