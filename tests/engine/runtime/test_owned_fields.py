"""The fields the engine or an action owns (what actions write, rule files output, the data form marks
readOnly): no submitted data writes one, neither a new order's nor a step's."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.dsl.compiler import Bundle, load_bundle
from engine.errors import TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import outbox
from tests.engine.runtime.conftest import CLERK, STEP_ORDER, STEP_WAREHOUSE, STEPS

PAYMENT = {"method": "wechat_pay", "amount": 150, "transaction_ref": "4200001234567"}  # the total


def test_a_new_order_cannot_write_what_actions_or_the_data_form_own(
    steps_engine: Engine, store: Store
) -> None:
    """Without a channel only the data form is checked, and it declares these fields (the order holds
    them): each is refused at its place, naming who owns it, and no order is written."""
    sent = {**STEP_ORDER, "refunded_amount": 239, "stock_reserved": [], "loyalty_points": 500}
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.create_order(CLERK, "retail", "step-order", None, sent)
    refusals = refused.value.refusals
    assert [(r.code, r.details["path"], r.details["owner"]) for r in refusals] == [
        ("owned", "$.refunded_amount", "written by the action payments.refund"),
        ("owned", "$.stock_reserved", "written by the action inventory.reserve"),
        ("owned", "$.loyalty_points", "read-only in forms/order.json"),
    ]
    assert refusals[0].en == (
        "$.refunded_amount: 'refunded_amount' is recorded by the workflow (written by the action "
        "payments.refund); it cannot be sent"
    )
    assert (
        refusals[0].zh
        == "$.refunded_amount：refunded_amount 由流程记录（由动作 payments.refund 写入），不能提交"
    )
    assert steps_engine.list_orders(CLERK) == []


def test_an_order_paid_and_cancelled_is_refunded_what_was_paid(steps_engine: Engine, store: Store) -> None:
    """An order created with ``refunded_amount: 239``, paid 239 and cancelled was cancelled with no
    refund: that data is refused, and the order as it may be created gets what was paid back."""
    with pytest.raises(TransitionRejected):
        steps_engine.create_order(CLERK, "retail", "step-order", None, {**STEP_ORDER, "refunded_amount": 239})
    order_id = steps_engine.create_order(CLERK, "retail", "step-order", None, STEP_ORDER).id
    steps_engine.fire(order_id, "pay", CLERK, PAYMENT)
    steps_engine.fire(order_id, "cancel", CLERK)
    assert steps_engine.get_order(order_id, CLERK).data["refunded_amount"] == 150
    with store.read() as tx:
        query = select(func.count()).select_from(outbox).where(outbox.c.topic == "payments.refunded")
        assert tx.connection.execute(query).scalar_one() == 1


def test_a_step_sends_an_owned_field_only_to_its_own_action_which_decides_what_is_kept(
    steps_engine: Engine,
) -> None:
    """The parcel form sends ``waybill`` to ``logistics.waybill`` (a number the carrier issued is kept
    as written); sent again for a second parcel, the action numbers that parcel itself, and the order
    keeps the action's number, never the one sent."""
    order_id = steps_engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER).id
    steps_engine.fire(order_id, "pay", CLERK, PAYMENT)
    first = {"carrier": "sf", "waybill": "SF7000001", "parcel": [{"sku": "XM-BAND8", "qty": 1}]}
    steps_engine.fire(order_id, "ship_part", STEP_WAREHOUSE, first)
    assert steps_engine.get_order(order_id, CLERK).data["waybill"] == "SF7000001"
    steps_engine.fire(order_id, "ship_part", STEP_WAREHOUSE, first)
    data = steps_engine.get_order(order_id, CLERK).data
    assert data["waybill"] != "SF7000001"
    assert [s["waybill"] for s in data["shipments"]] == ["SF7000001", data["waybill"]]


def test_a_form_published_declaring_an_owned_field_cannot_send_it(steps_engine: Engine, store: Store) -> None:
    """validate refuses a step form declaring a field the engine owns that none of the step's actions
    writes; a version stored before it did (its refund form declares ``paid_amount``) still cannot
    send one: the step is refused at that field and nothing changes."""
    bundle = load_bundle(STEPS / "workflows" / "step-order.yaml", STEPS, workflows={})
    document = json.loads(bundle.to_json())
    refund_form = document["forms"]["forms/refund.json"]
    refund_form["properties"]["paid_amount"] = {"type": "number"}
    assert steps_engine.publish(Bundle.from_json(document)).version == 2
    order_id = steps_engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER).id
    steps_engine.fire(order_id, "pay", CLERK, PAYMENT)
    before = steps_engine.get_order(order_id, CLERK)
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.fire(order_id, "refund_part", CLERK, {"refund_amount": 150, "paid_amount": 100000})
    assert [(r.code, r.details["path"]) for r in refused.value.refusals] == [("owned", "$.paid_amount")]
    after = steps_engine.get_order(order_id, CLERK)
    assert (after.data, after.lock_version) == (before.data, before.lock_version)
