"""Child records: an order's payments, each a record with its own small state machine, fired by its own
triggers, in the order's audit trail, read by the order's conditions in aggregate.

``fixtures/records/workflows/paid-order.yaml`` runs with the registered payment actions on a real
database: the order is paid by itself once its payment records captured the total.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.dsl.spec import RecordKindSpec
from engine.errors import ConflictError, EngineError, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine, FireResult, OrderView
from engine.store import Store
from engine.store.tables import order_records, outbox, stock
from tests.engine.runtime.test_races import together
from tests.test_departments import delivered_retail_order, returned_and_inspected

ROOT = Path(__file__).resolve().parent / "fixtures" / "records"
REGISTRY = PluginRegistry.from_entry_points()
CLERK = Actor("ann", frozenset({"clerk"}), frozenset({"retail"}))
SERVICE = Actor("sam", frozenset({"service"}), frozenset({"retail"}))
WAREHOUSE = Actor("wes", frozenset({"warehouse"}), frozenset({"retail"}))
CARD = {"method": "card", "transaction_ref": "TX-000001"}


def records_engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, REGISTRY, clock)
    path = ROOT / "workflows" / "paid-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names, workflows={}))
    return engine


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Engine:
    return records_engine(store, clock)


def new_order(engine: Engine, total: float = 300) -> OrderView:
    return engine.create_order(CLERK, department="retail", workflow="paid-order", data={"total": total})


def pay(engine: Engine, order_id: int, amount: float, *, authorize_only: bool = False) -> FireResult:
    data: dict[str, Any] = {**CARD, "amount": amount}
    if authorize_only:
        data["authorize_only"] = True
    return engine.fire(order_id, "pay", CLERK, data)


def payments(engine: Engine, order_id: int) -> list[tuple[int, str, Any, Any]]:
    return [
        (r.number, r.state, r.data.get("captured"), r.data.get("refunded"))
        for r in engine.records(order_id, CLERK)
        if r.kind == "payment"
    ]


def refused(call: Callable[[], Any]) -> list[Any]:
    with pytest.raises(TransitionRejected) as error:
        call()
    return error.value.refusals


def test_the_record_kinds_compile_to_frozen_specs(engine: Engine) -> None:
    spec = engine.spec("paid-order")
    kind = spec.records["payment"]
    assert isinstance(kind, RecordKindSpec)
    assert (kind.initial, kind.form) == ("authorized", "forms/payment-record.json")
    assert [s.name for s in kind.states] == ["authorized", "captured", "refunded", "voided"]
    assert kind.final_states == {"refunded", "voided"}
    assert [(t.trigger, t.sources, t.dest) for t in kind.transitions][:2] == [
        ("capture", ("authorized",), "captured"),
        ("void", ("authorized",), "voided"),
    ]
    with pytest.raises(AttributeError):
        kind.initial = "captured"  # type: ignore[misc]


def test_an_authorized_payment_captured_on_its_record_moves_the_order_to_paid_by_itself(
    engine: Engine,
) -> None:
    order = new_order(engine)
    assert pay(engine, order.id, 300, authorize_only=True).to_state == "pending_payment"
    assert payments(engine, order.id) == [(1, "authorized", 0, 0)]
    [view] = engine.records(order.id, CLERK)
    assert [(s.trigger, s.allowed) for s in view.steps] == [("capture", True), ("void", True)]
    assert view.kind_label.en == "Payment" and view.state_label.zh == "已授权"

    result = engine.fire_record(order.id, "payment", 1, "capture", CLERK)
    assert (result.trigger, result.to_state, result.auto) == ("payment.capture", "paid", ("settle",))
    assert payments(engine, order.id) == [(1, "captured", 300, 0)]
    assert engine.get_order(order.id, CLERK).data["paid_amount"] == 300
    history = engine.history(order.id, CLERK)
    assert [e.trigger for e in history] == ["create", "pay", "payment.add", "payment.capture", "settle"]
    capture = history[3]
    assert (capture.actor, capture.from_state, capture.to_state) == (
        "ann",
        "pending_payment",
        "pending_payment",
    )
    assert capture.data_changes["payment#1.state"] == ["authorized", "captured"]
    assert capture.data_changes["payment#1.captured"] == [0, 300]
    assert capture.data_changes["paid_amount"] == [None, 300]
    assert history[2].data_changes["payment#1.amount"] == [None, 300]


def test_two_payments_pay_one_order_and_an_overpayment_is_refused_never_taken(
    engine: Engine, store: Store
) -> None:
    order = new_order(engine)
    assert pay(engine, order.id, 120).to_state == "pending_payment"  # 180 still due
    assert pay(engine, order.id, 100, authorize_only=True).to_state == "pending_payment"  # 80 left
    [over] = refused(lambda: pay(engine, order.id, 80.01))
    assert (over.code, over.details["due"], over.details["amount"]) == ("overpayment", "80.00", "80.01")
    assert "超过应付金额 80.00 元" in over.zh
    assert len(payments(engine, order.id)) == 2  # nothing of the refused payment was written
    engine.fire_record(order.id, "payment", 2, "void", SERVICE)  # the held 100 is let go: 180 due again
    assert pay(engine, order.id, 180).to_state == "paid"
    assert payments(engine, order.id) == [
        (1, "captured", 120, 0),
        (2, "voided", 0, 0),
        (3, "captured", 180, 0),
    ]
    with store.read() as tx:
        captured = [
            p["amount"]
            for t, p in tx.connection.execute(select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id))
            if t == "payments.captured"
        ]
    assert captured == ["120.00", "180.00"]


def test_partial_refunds_while_the_order_is_open_never_more_than_the_payment_captured(engine: Engine) -> None:
    order = new_order(engine)
    pay(engine, order.id, 200)
    pay(engine, order.id, 100)
    assert engine.get_order(order.id, CLERK).state == "paid"
    reason = {"refund_reason": "少发一件"}
    result = engine.fire_record(order.id, "payment", 1, "refund", SERVICE, {"refund_amount": 50, **reason})
    assert result.to_state == "paid"
    assert payments(engine, order.id) == [(1, "captured", 200, 50), (2, "captured", 100, 0)]
    # per record: 150 is left of payment 1, though the order holds 250
    [over] = refused(
        lambda: engine.fire_record(
            order.id, "payment", 1, "refund", SERVICE, {"refund_amount": 150.01, **reason}
        )
    )
    assert (over.code, over.details["refundable"], over.details["payment"]) == ("over-refund", "150.00", 1)
    assert over.en.endswith(
        "exceeds the 150.00 CNY payment #1 can refund (200.00 CNY in all, 50.00 CNY refunded)"
    )
    assert "超过支付 #1 可退的 150.00 元（共 200.00 元，已退 50.00 元）" in over.zh
    engine.fire_record(order.id, "payment", 1, "refund", SERVICE, {"refund_amount": 150, **reason})
    assert payments(engine, order.id)[0] == (1, "refunded", 200, 200)  # all of it: the record is done
    [done] = refused(
        lambda: engine.fire_record(order.id, "payment", 1, "refund", SERVICE, {"refund_amount": 1, **reason})
    )
    assert (done.code, done.details["available"]) == ("state", [])
    assert engine.get_order(order.id, CLERK).data["refunded_amount"] == 200


def test_a_record_step_checks_its_role_its_form_and_names_what_is_unknown(engine: Engine) -> None:
    order = new_order(engine)
    pay(engine, order.id, 300, authorize_only=True)
    [role] = refused(lambda: engine.fire_record(order.id, "payment", 1, "capture", WAREHOUSE))
    assert (role.code, role.en) == ("role", "requires role clerk")
    [state] = refused(
        lambda: engine.fire_record(order.id, "payment", 1, "refund", CLERK, {"refund_amount": 1})
    )
    assert (state.code, state.details["available"]) == ("state", ["capture", "void"])
    [typo] = refused(lambda: engine.fire_record(order.id, "payment", 1, "captur", CLERK))
    assert typo.code == "unknown-trigger" and "did you mean 'capture'?" in typo.en
    [kind] = refused(lambda: engine.fire_record(order.id, "payments", 1, "capture", CLERK))
    assert kind.code == "unknown-trigger" and "did you mean 'payment'?" in kind.en
    [missing] = refused(lambda: engine.fire_record(order.id, "payment", 7, "capture", CLERK))
    assert (missing.code, missing.en) == ("not-found", "order #1 has no payment #7")
    [data] = refused(lambda: engine.fire_record(order.id, "payment", 1, "capture", CLERK, {"amount": 5}))
    assert data.code == "form" and "takes no data" in data.en
    engine.fire_record(order.id, "payment", 1, "capture", CLERK)
    [form] = refused(
        lambda: engine.fire_record(order.id, "payment", 1, "refund", CLERK, {"refund_amount": 5})
    )
    assert form.code == "form" and form.details["field"] == "refund_reason"


def test_cancelling_voids_what_is_authorized_and_refunds_what_is_captured(engine: Engine) -> None:
    order = new_order(engine)
    pay(engine, order.id, 100)
    pay(engine, order.id, 150, authorize_only=True)
    assert engine.fire(order.id, "cancel", SERVICE).to_state == "cancelled"
    assert payments(engine, order.id) == [(1, "refunded", 100, 100), (2, "voided", 0, 0)]
    triggers = [e.trigger for e in engine.history(order.id, CLERK)]
    assert triggers[-3:] == ["cancel", "payment.void", "payment.refund"]  # newest payment first
    # the order is closed: its payments no longer change, and none offers a step
    assert all(r.steps == () for r in engine.records(order.id, CLERK))
    [closed] = refused(lambda: engine.fire_record(order.id, "payment", 2, "capture", CLERK))
    assert closed.code == "state" and "closed" in closed.en


def test_a_record_step_is_replayed_by_its_idempotency_key(engine: Engine) -> None:
    order = new_order(engine)
    pay(engine, order.id, 300)
    refund = {"refund_amount": 10, "refund_reason": "运费补偿"}
    first = engine.fire_record(order.id, "payment", 1, "refund", CLERK, refund, idempotency_key="r-1")
    again = engine.fire_record(order.id, "payment", 1, "refund", CLERK, refund, idempotency_key="r-1")
    assert again == first
    assert payments(engine, order.id) == [(1, "captured", 300, 10)]


def test_a_stale_order_version_is_a_conflict(engine: Engine) -> None:
    order = new_order(engine)
    pay(engine, order.id, 300, authorize_only=True)
    with pytest.raises(ConflictError):
        engine.fire_record(order.id, "payment", 1, "capture", CLERK, expected_lock_version=1)


def test_records_are_stored_with_their_number_state_and_data(engine: Engine, store: Store) -> None:
    order = new_order(engine)
    pay(engine, order.id, 100)
    pay(engine, order.id, 50, authorize_only=True)
    with store.read() as tx:
        rows = tx.order_records(order.id)
    assert [(r.kind, r.number, r.state, r.lock_version) for r in rows] == [
        ("payment", 1, "captured", 1),  # added and captured in one step: written once
        ("payment", 2, "authorized", 1),
    ]
    assert rows[0].data["transaction_ref"] == "TX-000001"


def one_of_two_wins(fire: Callable[[], FireResult]) -> None:
    """``fire`` twice at once: one is taken, the other refused (or told of a conflict)."""

    def one() -> Any:
        try:
            return fire()
        except EngineError as error:
            return error

    results = together([one, one])
    won = [r for r in results if isinstance(r, FireResult)]
    lost = [r for r in results if not isinstance(r, FireResult)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], TransitionRejected | ConflictError)


def refund_race(store: Store, clock: FrozenClock) -> None:
    """Two refunds of the whole captured amount of one payment at once: one wins, the other is refused
    (the payment is refunded by then), and no more than was captured goes back."""
    engine = records_engine(store, clock)
    order = new_order(engine)
    pay(engine, order.id, 300)
    refund = {"refund_amount": 300, "refund_reason": "客户取消"}
    one_of_two_wins(lambda: engine.fire_record(order.id, "payment", 1, "refund", SERVICE, refund))
    assert payments(engine, order.id) == [(1, "refunded", 300, 300)]
    assert engine.get_order(order.id, CLERK).data["refunded_amount"] == 300
    with store.read() as tx:
        topics = list(tx.connection.execute(select(outbox.c.topic)).scalars())
        stored = tx.connection.execute(select(order_records.c.lock_version)).scalar_one()
    assert topics.count("payments.refunded") == 1
    assert stored == 2


def test_two_refunds_of_one_captured_amount_only_one_wins(store: Store, clock: FrozenClock) -> None:
    """On SQLite and on PostgreSQL (the ``store`` fixture runs on both)."""
    refund_race(store, clock)


# -- shipments: one record per warehouse of routing's split


def shipping_engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, REGISTRY, clock)
    path = ROOT / "workflows" / "shipped-order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names, workflows={}))
    with store.transaction() as tx:
        rows = [("A", "SH-01", 1), ("A", "BJ-01", 1), ("B", "BJ-01", 4)]
        tx.connection.execute(
            insert(stock), [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in rows]
        )
    return engine


def on_hand(store: Store) -> dict[tuple[str, str], tuple[int, int]]:
    with store.read() as tx:
        rows = tx.connection.execute(
            select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved)
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_a_split_order_has_one_shipment_per_warehouse_and_is_shipped_once_all_are(
    store: Store, clock: FrozenClock
) -> None:
    engine = shipping_engine(store, clock)
    lines = [{"sku": "A", "qty": 2}, {"sku": "B", "qty": 1}]
    order = engine.create_order(
        CLERK, "retail", "shipped-order", None, {"address": {"province": "上海"}, "lines": lines}
    )
    assert order.state == "pending_shipment" and len(order.data["split"]) == 2
    shipments = {r.data["warehouse"]: r for r in engine.records(order.id, WAREHOUSE)}
    assert sorted(shipments) == ["BJ-01", "SH-01"]
    assert shipments["SH-01"].data["lines"] == [{"sku": "A", "qty": 1}]
    assert sorted(shipments["BJ-01"].data["lines"], key=lambda line: line["sku"]) == [
        {"sku": "A", "qty": 1},
        {"sku": "B", "qty": 1},
    ]
    first, second = shipments["SH-01"].number, shipments["BJ-01"].number
    # a parcel is shipped on one shipment: only its warehouse's stock leaves the shelf
    result = engine.fire_record(order.id, "shipment", first, "ship", WAREHOUSE)
    assert (result.to_state, result.auto) == ("pending_shipment", ())
    assert on_hand(store)[("A", "SH-01")] == (0, 0)
    assert on_hand(store)[("A", "BJ-01")] == (1, 1) and on_hand(store)[("B", "BJ-01")] == (4, 1)
    [role] = refused(lambda: engine.fire_record(order.id, "shipment", second, "ship", CLERK))
    assert role.code == "role"
    result = engine.fire_record(order.id, "shipment", second, "ship", WAREHOUSE)
    assert (result.to_state, result.auto) == ("shipped", ("all_shipped",))
    assert on_hand(store)[("A", "BJ-01")] == (0, 0) and on_hand(store)[("B", "BJ-01")] == (3, 0)
    assert engine.get_order(order.id, CLERK).data["stock_reserved"] == []
    delivered = {"delivered_at": "2026-03-03T10:00:00+08:00"}
    assert (
        engine.fire_record(order.id, "shipment", first, "deliver", WAREHOUSE, delivered).to_state == "shipped"
    )
    done = engine.fire_record(order.id, "shipment", second, "deliver", WAREHOUSE, delivered)
    assert (done.to_state, done.auto) == ("delivered", ("all_delivered",))
    [again] = refused(lambda: engine.fire_record(order.id, "shipment", first, "ship", WAREHOUSE))
    assert again.code == "state"


def test_an_order_from_one_warehouse_has_one_shipment(store: Store, clock: FrozenClock) -> None:
    engine = shipping_engine(store, clock)
    order = engine.create_order(
        CLERK,
        "retail",
        "shipped-order",
        None,
        {"address": {"province": "北京"}, "lines": [{"sku": "B", "qty": 2}]},
    )
    [shipment] = engine.records(order.id, WAREHOUSE)
    assert (shipment.kind, shipment.state, shipment.data) == (
        "shipment",
        "pending",
        {"warehouse": "BJ-01", "lines": [{"sku": "B", "qty": 2}]},
    )
    assert [s.trigger for s in shipment.steps] == ["ship"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(asked=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=5))
def test_refunds_in_any_amounts_never_pay_back_more_than_was_captured(
    engine: Engine, asked: list[int]
) -> None:
    """Whatever refunds are asked, in whatever amounts: what a payment refunded never passes what it
    captured, it is ``refunded`` exactly when nothing is left, and the order's total refunded is its."""
    order = new_order(engine)
    pay(engine, order.id, 300)
    accepted = 0
    for amount in asked:
        try:
            engine.fire_record(
                order.id,
                "payment",
                1,
                "refund",
                SERVICE,
                {"refund_amount": amount, "refund_reason": "退差价"},
            )
            accepted += amount
        except TransitionRejected as error:
            assert accepted + amount > 300 or accepted == 300, error.refusals
    [(_, state, captured, refunded)] = payments(engine, order.id)
    assert refunded == accepted <= captured == 300
    assert (state == "refunded") == (refunded == 300)
    assert engine.get_order(order.id, CLERK).data.get("refunded_amount", 0) == accepted


# -- refunds: the shipped after-sales request pays back what it agreed through refund records

REPO = Path(__file__).resolve().parents[3]
AFTER_SALES = frozenset({"after_sales"})
DESK = Actor("huang.fang", frozenset({"service"}), AFTER_SALES)


def after_sales_engine(store: Store, clock: FrozenClock) -> Engine:
    """The shipped retail order and after-sales request published, with bands on hand in SH-01, where
    the retail orders ship from and the returns come back."""
    engine = Engine(store, REGISTRY, clock)
    for path in ("retail/order.yaml", "after-sales/request.yaml"):
        engine.publish(load_bundle(REPO / "workflows" / path, REPO, action_names=REGISTRY.action_names))
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=500, reserved=0)
        )
    return engine


def refunding_request(engine: Engine, clock: FrozenClock) -> int:
    """Two bands returned for 478 (of a retail order that paid 478 for them), back and passed: the
    request refunding, its refund record pending."""
    two = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}]
    original = delivered_retail_order(engine, clock)
    return returned_and_inspected(engine, clock, original_order_no=original, lines=two, refund_amount=478)


def refunded_topics(store: Store) -> int:
    with store.read() as tx:
        return list(tx.connection.execute(select(outbox.c.topic)).scalars()).count("payments.refunded")


def test_two_payments_of_one_refund_at_once_pay_it_back_once(store: Store, clock: FrozenClock) -> None:
    """The desk and the gateway's callback pay the same pending refund at once, on SQLite and on
    PostgreSQL: one wins, the other is refused, and the money goes back once."""
    engine = after_sales_engine(store, clock)
    request = refunding_request(engine, clock)
    one_of_two_wins(lambda: engine.fire_record(request, "refund", 1, "pay", DESK, {"pay_amount": 478}))
    [refund] = engine.records(request, DESK)
    assert (refund.state, refund.data["paid"]) == ("paid", 478)
    order = engine.get_order(request, DESK)
    assert (order.state, order.data["refunded_amount"]) == ("closed", 478)
    assert refunded_topics(store) == 1


@pytest.fixture
def after_sales(store: Store, clock: FrozenClock) -> Engine:
    return after_sales_engine(store, clock)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=5))
def test_refunds_paid_in_any_parts_never_pay_back_more_than_was_agreed(
    after_sales: Engine, store: Store, clock: FrozenClock, parts: list[int]
) -> None:
    """Whatever parts the desk pays: what is paid back never passes the 478 agreed, the refund is paid
    exactly when nothing is left, and the request closes by itself exactly then."""
    request = refunding_request(after_sales, clock)
    sent = refunded_topics(store)
    accepted = taken = 0
    for part in parts:
        try:
            after_sales.fire_record(request, "refund", 1, "pay", DESK, {"pay_amount": part})
            accepted += part
            taken += 1
        except TransitionRejected as error:
            assert accepted + part > 478 or accepted == 478, error.refusals
    [refund] = after_sales.records(request, DESK)
    order = after_sales.get_order(request, DESK)
    assert refund.data["paid"] == accepted <= 478
    assert (refund.state == "paid") == (accepted == 478) == (order.state == "closed")
    assert order.data.get("refunded_amount", 0) == accepted
    assert refunded_topics(store) - sent == taken  # one message to the gateway for each part paid
