"""A failed payment attempt recorded on a retail order waiting for payment, on the shipped retail workflow.

``record_payment_failure`` (workflows/retail/order.yaml) is a self-loop on pending_payment: the order keeps
waiting, the unpaid timer keeps running, and ``payment_failed`` goes to the fraud watch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.tables import outbox, stock

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = PluginRegistry.from_entry_points()
CLERK = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))
WAREHOUSE = Actor("zhao.lei", frozenset({"warehouse"}), frozenset({"retail"}))

DECLINED = {"method": "card", "failure_code": "DO_NOT_HONOR", "failure_message": "发卡行拒绝交易"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def engine(sqlite_url: str, clock: FrozenClock) -> Iterator[Engine]:
    store = Store(sqlite_url)
    store.upgrade()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0))
    engine = Engine(store, REGISTRY, clock)
    path = ROOT / "workflows" / "retail" / "order.yaml"
    engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
    yield engine
    store.dispose()


def place(engine: Engine) -> int:
    data = {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号",
        },
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}],
        "shipping_fee": 0,
        "discount": 0,
        "total": 239,
    }
    order = engine.create_order(CLERK, "retail", "retail-order", "web", data)
    assert order.state == "pending_payment"
    return order.id


def test_a_failed_attempt_is_recorded_and_the_order_keeps_waiting_for_payment(engine: Engine) -> None:
    order_id = place(engine)
    for _ in range(2):
        result = engine.fire(order_id, "record_payment_failure", CLERK, DECLINED)
        assert (result.from_state, result.to_state) == ("pending_payment", "pending_payment")
    order = engine.get_order(order_id, CLERK)
    assert (order.data["payment_failures"], order.data["failure_code"]) == (2, "DO_NOT_HONOR")
    last = engine.history(order_id, CLERK)[-1]
    assert (last.trigger, last.actor, last.data_changes["payment_failures"]) == (
        "record_payment_failure",
        "li.na",
        [1, 2],
    )
    with engine.store.read() as tx:
        rows = tx.connection.execute(select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id)).all()
    failed = [payload for topic, payload in rows if topic == "payment_failed"]
    assert [(p["customer_mobile"], p["code"], p["amount"], p["attempt"]) for p in failed] == [
        ("13812345678", "DO_NOT_HONOR", "239.00", 1),
        ("13812345678", "DO_NOT_HONOR", "239.00", 2),
    ]
    payment = {"method": "card", "amount": 239, "transaction_ref": "T0000001"}
    assert engine.fire(order_id, "pay", CLERK, payment).to_state == "pending_shipment"  # paid after all


def test_only_a_clerk_records_a_failure_and_only_with_the_form_filled(engine: Engine) -> None:
    order_id = place(engine)
    with pytest.raises(TransitionRejected, match="requires role clerk"):
        engine.fire(order_id, "record_payment_failure", WAREHOUSE, DECLINED)
    with pytest.raises(TransitionRejected, match="Provider's message: enter a value"):
        engine.fire(order_id, "record_payment_failure", CLERK, {"method": "card", "failure_code": "OTHER"})
    with pytest.raises(TransitionRejected, match="Reason: choose one of Insufficient funds"):
        engine.fire(order_id, "record_payment_failure", CLERK, {**DECLINED, "failure_code": "X"})
    with pytest.raises(TransitionRejected, match="Payment method: choose one of Bank card"):
        engine.fire(order_id, "record_payment_failure", CLERK, {**DECLINED, "method": "bitcoin"})
    assert "payment_failures" not in engine.get_order(order_id, CLERK).data


def test_a_failed_attempt_does_not_restart_the_unpaid_timer(engine: Engine, clock: FrozenClock) -> None:
    order_id = place(engine)
    clock.advance(minutes=20)
    engine.fire(order_id, "record_payment_failure", CLERK, DECLINED)
    clock.advance(minutes=11)  # 31 minutes after the order was placed
    assert engine.run_due_timers("timers") == 1
    # the order's own last step (the shipment records it cancelled with it come after it)
    last = [event for event in engine.history(order_id, CLERK) if "." not in event.trigger][-1]
    assert (last.trigger, last.reason) == ("cancel", "unpaid_timeout")
    assert engine.get_order(order_id, CLERK).state == "cancelled"


def test_an_order_paid_after_three_failed_attempts_waits_for_review(engine: Engine) -> None:
    order_id = place(engine)
    for _ in range(3):
        engine.fire(order_id, "record_payment_failure", CLERK, DECLINED)
    payment = {"method": "card", "amount": 239, "transaction_ref": "T0000002"}
    result = engine.fire(order_id, "pay", CLERK, payment)
    assert result.to_state == "on_hold"
    review = engine.history(order_id, CLERK)[-1]
    assert review.trigger == "review" and review.rules is not None
    assert [reason["rule"] for reason in review.rules["reasons"]] == ["repeated-payment-failures"]


def test_a_payment_of_ten_to_the_20_on_a_239_yuan_order_is_refused_by_the_form(engine: Engine) -> None:
    order_id = place(engine)
    placed = engine.get_order(order_id, CLERK).lock_version
    payment = {"method": "card", "amount": 10**20, "transaction_ref": "T0000003"}
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, "pay", CLERK, payment)
    [refusal] = caught.value.refusals
    assert (refusal.code, refusal.details["path"]) == ("form", "$.amount")
    assert refusal.en == (
        "Amount paid (CNY): out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY"
    )
    assert refusal.zh == "支付金额（元）超出范围：金额须小于 10,000,000,000,000 元（十万亿元）"
    order = engine.get_order(order_id, CLERK)
    assert (order.state, order.lock_version, "paid_amount" in order.data) == (
        "pending_payment",
        placed,
        False,
    )


def test_more_than_is_due_is_refused_naming_the_amount_due(engine: Engine) -> None:
    """More than the order's total is refused by the pay step's guard, beside the amount; after a part
    payment, more than is still due (within the total) by payments.capture, naming what is due."""
    order_id = place(engine)
    payment = {"method": "card", "amount": 23900, "transaction_ref": "T0000004"}  # 239 typed twice over
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, "pay", CLERK, payment)
    [refusal] = caught.value.refusals
    assert refusal.code == "guard"
    assert refusal.en == "The amount paid is more than the order total"
    engine.fire(order_id, "pay", CLERK, {**payment, "amount": 100})  # a part: it waits for the rest
    assert engine.get_order(order_id, CLERK).state == "pending_payment"
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, "pay", CLERK, {**payment, "amount": 239, "transaction_ref": "T0000005"})
    [refusal] = caught.value.refusals
    assert refusal.code == "overpayment"
    assert (refusal.details["amount"], refusal.details["due"]) == ("239.00", "139.00")
    assert refusal.en == "the amount of 239.00 CNY is more than the 139.00 CNY due; take the amount due"
    assert refusal.zh == "收款金额 239.00 元超过应付金额 139.00 元；请按应付金额收款"
    with engine.store.read() as tx:
        topics = tx.connection.execute(select(outbox.c.topic)).scalars().all()
    assert topics.count("payments.captured") == 1  # the part only: nothing of the refused one sent
    assert engine.get_order(order_id, CLERK).state == "pending_payment"
    paid = engine.fire(order_id, "pay", CLERK, {**payment, "amount": 139, "transaction_ref": "T0000006"})
    assert paid.to_state == "pending_shipment"
    assert engine.get_order(order_id, CLERK).data["paid_amount"] == 239  # 100 + 139
