"""How a step is decided (engine/runtime/decisions.py), before anything is written: an unknown or
unavailable trigger, the data a trigger may send, the fields the engine, an action or the order own,
non-finite numbers, and the destination a routing or audit rule set picks."""

from __future__ import annotations

import dataclasses
import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.clock import FrozenClock
from engine.common.suggest import did_you_mean
from engine.dsl.compiler import Bundle, load_bundle
from engine.errors import Refusal, TransitionRejected
from engine.forms.numbers import non_finite_paths, non_finite_refusals
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.tables import audit_events, idempotency, orders, outbox, stock
from tests.engine.runtime.conftest import (
    AUDITOR,
    CLERK,
    STEP_ORDER,
    STEP_WAREHOUSE,
    STEPS,
    WAREHOUSE,
    bundle,
    make_engine,
)

# -- submitted data
# Data sent with a trigger: none on a step without a form, only the form's fields on one with a form.
#
# Every refusal leaves the order, its history and its outbox exactly as they were.


ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}
SUPERVISOR_RETAIL = Actor("sue", frozenset({"supervisor"}), frozenset({"retail"}))


def snapshot(engine: Engine, store: Store, order_id: int) -> tuple[Any, ...]:
    order = engine.get_order(order_id, CLERK)
    with store.read() as tx:
        messages = tx.connection.execute(select(func.count()).select_from(outbox)).scalar_one()
    return order.state, dict(order.data), order.lock_version, len(engine.history(order_id, CLERK)), messages


def refused_step(
    engine: Engine, order_id: int, trigger: str, actor: Any, data: dict[str, Any]
) -> list[Refusal]:
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, trigger, actor, data)
    return caught.value.refusals


def test_a_step_without_a_form_refuses_any_data_and_writes_nothing(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    before = snapshot(engine, store, order_id)
    [refusal] = refused_step(engine, order_id, "approve", AUDITOR, {"total": 5000, "customer": "李四"})
    assert refusal.code == "form"
    assert refusal.details == {"trigger": "approve", "fields": ["customer", "total"]}
    assert refusal.en == "this step ('approve') takes no data; got: customer, total"
    assert refusal.zh == "此步骤（approve）不接受数据；收到：customer、total"
    assert snapshot(engine, store, order_id) == before
    assert engine.fire(order_id, "approve", AUDITOR, {}).to_state == "pending_shipment"
    assert engine.get_order(order_id, CLERK).data["total"] == 120


def test_data_on_a_step_without_a_form_cannot_open_its_guard(engine: Engine, store: Store) -> None:
    """``ship`` holds only below 1000: a total sent with it is refused, not used to pass the guard."""
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "total": 5000}).id
    engine.fire(order_id, "pay", CLERK, {**PAYMENT, "amount": 5000})
    engine.fire(order_id, "approve", AUDITOR)
    before = snapshot(engine, store, order_id)
    [refusal] = refused_step(engine, order_id, "ship", WAREHOUSE, {"total": 1})
    assert (refusal.code, refusal.details["fields"]) == ("form", ["total"])
    assert snapshot(engine, store, order_id) == before
    [guard] = refused_step(engine, order_id, "ship", WAREHOUSE, {})
    assert guard.code == "guard"


def test_empty_data_and_none_are_accepted_without_a_form(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    assert engine.fire(order_id, "remark", CLERK, None).to_state == "paid"
    assert engine.fire(order_id, "remark", CLERK, {}).to_state == "paid"


def test_a_field_the_form_does_not_declare_is_refused_even_when_the_form_allows_more(
    engine: Engine, store: Store
) -> None:
    """``review.json`` leaves ``additionalProperties`` open; only its ``properties`` may be sent."""
    order_id = engine.create_order(CLERK, "retail", "audited-order", None, {**ORDER, "total": 8000}).id
    before = snapshot(engine, store, order_id)
    refusals = refused_step(engine, order_id, "review", AUDITOR, {"note": "ok", "total": 10, "notes": "x"})
    assert [(r.code, r.details["path"]) for r in refusals] == [("form", "$.total"), ("form", "$.notes")]
    assert refusals[0].details["form"] == "forms/review.json"
    assert refusals[0].details["allowed"] == ["note", "priority"]
    assert refusals[0].en == (
        "$.total: field 'total' is not on the form forms/review.json of 'review'; its fields: note, priority"
    )
    assert refusals[1].en.endswith("; did you mean 'note'?")
    assert [r.details["suggestion"] for r in refusals] == [None, "note"]
    assert refusals[0].zh == "$.total：表单 forms/review.json 没有这个字段；可填：note、priority"
    assert snapshot(engine, store, order_id) == before
    # the rule file still sees the real total: a large order is held
    assert engine.fire(order_id, "review", AUDITOR, {"note": "ok"}).to_state == "on_hold"


def test_undeclared_and_invalid_fields_are_reported_together(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    before = snapshot(engine, store, order_id)
    refusals = refused_step(engine, order_id, "pay", CLERK, {"amount": -1, "paid_by": "mallory"})
    assert [(r.code, r.details["path"]) for r in refusals] == [
        ("form", "$.paid_by"),
        ("form", "$.amount"),  # in the form's order
        ("form", "$.method"),  # required
    ]
    assert all(r.details["form"] == "forms/payment.json" for r in refusals)
    assert snapshot(engine, store, order_id) == before


def test_guards_see_the_submitted_values_in_data_and_merged_into_order(engine: Engine) -> None:
    big = engine.create_order(CLERK, "retail", "audited-order", None, {**ORDER, "total": 5000}).id
    result = engine.fire(big, "escalate", AUDITOR, {"priority": "urgent", "note": "call"})
    assert result.to_state == "escalated"
    order = engine.get_order(big, CLERK)
    assert (order.data["priority"], order.data["note"], order.data["total"]) == ("urgent", "call", 5000)
    small = engine.create_order(CLERK, "retail", "audited-order", None, ORDER).id
    [guard] = refused_step(engine, small, "escalate", AUDITOR, {"priority": "urgent"})
    assert guard.code == "guard"
    assert "priority" not in engine.get_order(small, CLERK).data


def test_a_refused_role_is_reported_before_the_data(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "audited-order", None, ORDER).id
    [refusal] = refused_step(engine, order_id, "fast_track", AUDITOR, {"total": 1})
    assert refusal.code == "role"
    [form] = refused_step(engine, order_id, "fast_track", SUPERVISOR_RETAIL, {"total": 1})
    assert (form.code, form.details["path"]) == ("form", "$.total")


# -- unknown trigger
# A trigger the workflow does not have is unknown; one it has but not from this state is unavailable.


TRIGGERS = ["approve", "cancel", "deliver", "pay", "remark", "ship"]


def refused_trigger(engine: Engine, order_id: int, trigger: str) -> Refusal:
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, trigger, WAREHOUSE)
    [refusal] = caught.value.refusals
    return refusal


@pytest.fixture
def paid_order(engine: Engine) -> int:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, {"amount": 120, "method": "card"})
    engine.fire(order_id, "remark", CLERK)
    return order_id


def test_unknown_trigger_says_unknown_and_suggests_a_near_one(engine: Engine, paid_order: int) -> None:
    refusal = refused_trigger(engine, paid_order, "shipp")
    assert refusal.code == "unknown-trigger"
    assert refusal.en == "unknown trigger 'shipp' in workflow retail-order; did you mean 'ship'?"
    assert refusal.zh == "未知操作 'shipp'（流程 retail-order 中没有）；您是否想输入 'ship'？"
    assert refusal.details == {
        "trigger": "shipp",
        "triggers": TRIGGERS,
        "available": ["approve", "cancel", "remark"],
        "suggestion": "ship",  # the near miss as data, for a page or an API to offer as a fix
    }


def test_unknown_trigger_without_a_near_one(engine: Engine, paid_order: int) -> None:
    refusal = refused_trigger(engine, paid_order, "fly")
    assert refusal.code == "unknown-trigger"
    assert refusal.en == "unknown trigger 'fly' in workflow retail-order"
    assert "did you mean" not in refusal.en and "您是否" not in refusal.zh
    assert refusal.details["suggestion"] is None
    assert engine.get_order(paid_order, CLERK).state == "paid"


def test_known_trigger_from_the_wrong_state_lists_what_is_available(engine: Engine, paid_order: int) -> None:
    refusal = refused_trigger(engine, paid_order, "deliver")
    assert refusal.code == "state"
    assert refusal.en == "'deliver' is not available in state paid; available now: approve, cancel, remark"
    assert refusal.zh == "当前状态 paid 不能执行 deliver；当前可执行：approve、cancel、remark"


def test_a_final_order_has_nothing_available(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "cancel", CLERK)
    assert refused_trigger(engine, order_id, "pay").en.endswith("available now: none")
    assert refused_trigger(engine, order_id, "pay").zh.endswith("当前可执行：无")
    assert refused_trigger(engine, order_id, "pya").code == "unknown-trigger"


def test_an_automatic_trigger_fired_by_hand_is_known(engine: Engine, paid_order: int) -> None:
    assert refused_trigger(engine, paid_order, "free").code == "state"


def test_did_you_mean_in_both_languages() -> None:
    assert did_you_mean("complet", ["complete", "cancel"]) == "; did you mean 'complete'?"
    assert did_you_mean("complet", ["complete"], "zh") == "；您是否想输入 'complete'？"
    assert did_you_mean("xyz", ["complete"], "zh") == ""


# -- owned fields
# The fields the engine or an action owns (what actions write, rule files output, the data form marks
# readOnly): no submitted data writes one, neither a new order's nor a step's.


STEP_PAYMENT = {"method": "wechat_pay", "amount": 150, "transaction_ref": "4200001234567"}  # the total


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
    steps_engine.fire(order_id, "pay", CLERK, STEP_PAYMENT)
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
    steps_engine.fire(order_id, "pay", CLERK, STEP_PAYMENT)
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
    steps_engine.fire(order_id, "pay", CLERK, STEP_PAYMENT)
    before = steps_engine.get_order(order_id, CLERK)
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.fire(order_id, "refund_part", CLERK, {"refund_amount": 150, "paid_amount": 100000})
    assert [(r.code, r.details["path"]) for r in refused.value.refusals] == [("owned", "$.paid_amount")]
    after = steps_engine.get_order(order_id, CLERK)
    assert (after.data, after.lock_version) == (before.data, before.lock_version)


# -- order fields
# The order's own fields (``id``, ``state``, ``department``, ``channel``, ``workflow``): a condition
# reads them as the order's, whatever its data holds, and no data may carry one.


def test_a_data_field_named_state_does_not_open_a_guard_on_the_orders_state(
    steps_engine: Engine, store: Store
) -> None:
    """``archive`` holds only for a paid order (``order.state == 'paid'``): an order still ``open``
    whose data holds ``state: paid`` (stored through an open data form before such data was
    refused) is not archived, and the page does not offer it."""
    order = steps_engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER)
    assert order.state == "open"
    with store.transaction() as tx:
        stored = {**order.data, "state": "paid", "channel": "phone", "id": 0}
        tx.connection.execute(update(orders).where(orders.c.id == order.id).values(data=stored))
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.fire(order.id, "archive", CLERK)
    [refusal] = refused.value.refusals
    assert refusal.code == "guard"
    assert [(c["left"], c["right"]) for c in refusal.details["comparisons"]] == [("open", "paid")]
    [archive] = [t for t in steps_engine.available_triggers(order.id, CLERK) if t.trigger == "archive"]
    assert not archive.allowed
    assert steps_engine.get_order(order.id, CLERK).state == "open"


def test_a_new_order_cannot_carry_one_of_the_orders_own_fields(steps_engine: Engine) -> None:
    """Without a channel only the open data form is checked, which would take any key: the order's
    own fields are refused by name, each at its place, and no order is written."""
    sent = {**STEP_ORDER, "state": "paid", "workflow": "other"}
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.create_order(CLERK, "retail", "step-order", None, sent)
    assert [(r.code, r.details["path"]) for r in refused.value.refusals] == [
        ("form", "$.state"),
        ("form", "$.workflow"),
    ]
    first = refused.value.refusals[0]
    assert first.en == (
        "$.state: 'state' is the order's own field (the order's state); it cannot be sent as data"
    )
    assert first.zh == "$.state：state 是订单自身的字段（订单状态），不能作为数据提交"
    assert steps_engine.list_orders(CLERK) == []


# -- non finite
# NaN and the infinities are refused anywhere in submitted data, before anything is written.


def count(store: Store, table: Any) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(table)).scalar_one())


def refused_create(engine: Engine, data: dict[str, Any], **options: Any) -> list[Refusal]:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "retail-order", "web", data, **options)
    return caught.value.refusals


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_create_order_refuses_a_non_finite_total(engine: Engine, store: Store, value: float) -> None:
    [refusal] = refused_create(engine, {**ORDER, "total": value}, idempotency_key="nan-1")
    assert refusal.code == "form"
    assert refusal.details["path"] == "$.total"
    assert refusal.en.startswith("$.total: ") and "not a finite number" in refusal.en
    assert refusal.zh.startswith("$.total：") and "不是有限数值" in refusal.zh
    assert (count(store, orders), count(store, audit_events), count(store, idempotency)) == (0, 0, 0)


def test_every_nested_non_finite_field_is_named(engine: Engine, store: Store) -> None:
    data = {
        **ORDER,
        "lines": [{"sku": "A", "unit_price": 3.5}, {"sku": "B", "unit_price": math.nan}],
        "extra": {"weights": [1.0, -math.inf], "note": "NaN"},  # the text "NaN" is a string, fine
    }
    refusals = refused_create(engine, data)
    assert [r.details["path"] for r in refusals] == ["$.lines[1].unit_price", "$.extra.weights[1]"]
    assert refusals[0].en.startswith("$.lines[1].unit_price: nan ")
    assert refusals[1].details["value"] == "-inf"
    error = TransitionRejected(refusals)
    assert "$.extra.weights[1]：-inf 不是有限数值" in error.message("zh")
    assert count(store, orders) == 0


def test_fire_refuses_non_finite_data_and_leaves_the_order_as_it_was(engine: Engine, store: Store) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    events = count(store, audit_events)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order.id, "pay", CLERK, {**PAYMENT, "amount": math.inf}, idempotency_key="pay-1")
    [refusal] = caught.value.refusals
    assert (refusal.code, refusal.details["path"]) == ("form", "$.amount")
    after = engine.get_order(order.id, CLERK)
    assert (after.state, after.lock_version, dict(after.data)) == ("pending_payment", 1, ORDER)
    assert count(store, audit_events) == events and count(store, idempotency) == 0
    # the same key with finite data is a new request and goes through
    result = engine.fire(order.id, "pay", CLERK, PAYMENT, idempotency_key="pay-1")
    assert result.to_state == "paid"


def test_finite_numbers_and_other_values_pass(engine: Engine) -> None:
    data = {**ORDER, "total": 0.1, "big": 1e308, "tiny": -5e-324, "flag": True, "none": None}
    assert engine.create_order(CLERK, "retail", "retail-order", "web", data).data["big"] == 1e308


def test_paths_cover_decimals_tuples_and_odd_keys() -> None:
    value = {"a": (1, Decimal("NaN")), "b": {"c d": Decimal("-Infinity"), "e": Decimal("1.5")}, 3: math.nan}
    assert list(non_finite_paths(value)) == [("$.a[1]", "NaN"), ("$.b.c d", "-Infinity"), ("$.3", "nan")]
    assert non_finite_refusals({"x": 1.0}) == []
    [refusal] = non_finite_refusals([math.inf], form="forms/order.json")
    assert refusal.details == {
        "path": "$[0]",
        "message": refusal.en.split(": ", 1)[1],
        "value": "inf",
        "form": "forms/order.json",
    }


def test_create_order_refuses_a_lone_surrogate_naming_its_field(engine: Engine, store: Store) -> None:
    [refusal] = refused_create(engine, {**ORDER, "customer": "\ud800x"}, idempotency_key="surrogate-1")
    assert (refusal.code, refusal.details["path"], refusal.details["value"]) == (
        "form",
        "$.customer",
        "\\ud800",
    )
    assert (
        refusal.en
        == "$.customer: the text holds \\ud800, half of a UTF-16 surrogate pair, which is no character"
    )
    assert refusal.zh.startswith("$.customer：文本含有 \\ud800")
    assert (count(store, orders), count(store, audit_events), count(store, idempotency)) == (0, 0, 0)


def test_a_lone_surrogate_in_a_key_is_named_by_an_escaped_path(engine: Engine) -> None:
    refusals = refused_create(engine, {**ORDER, "note\udfff": {"x": "a\udc00"}})
    assert [r.details["path"] for r in refusals] == ['$["note\\udfff"]', '$["note\\udfff"].x']
    assert all(r.en.isprintable() and r.en.encode("utf-8") for r in refusals)  # printable, writable


def test_fire_refuses_a_lone_surrogate_and_leaves_the_order_as_it_was(engine: Engine, store: Store) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order.id, "pay", CLERK, {**PAYMENT, "method": "card\ud800"})
    assert [(r.details["path"], r.details["value"]) for r in caught.value.refusals] == [
        ("$.method", "\\ud800")
    ]
    after = engine.get_order(order.id, CLERK)
    assert (after.state, after.lock_version, dict(after.data)) == ("pending_payment", 1, ORDER)
    assert engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "customer": "张三😀"})


# -- routing runtime
# Routing on a transition: stock on hand from the database decides, the outputs become order data.


ROOT = Path(__file__).resolve().parent / "fixtures" / "routing"


def routed_engine(store: Store, on_hand: dict[tuple[str, str], int]) -> Engine:
    engine = make_engine(store, FrozenClock())
    engine.publish(load_bundle(ROOT / "workflows" / "routed-order.yaml", ROOT, action_names={}, workflows={}))
    with store.transaction() as tx:
        rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for (s, w), n in on_hand.items()]
        tx.connection.execute(insert(stock), rows)
    return engine


def place(engine: Engine, province: str, lines: list[dict[str, object]]) -> dict[str, object]:
    order = engine.create_order(
        CLERK, "retail", "routed-order", None, {"address": {"province": province}, "lines": lines}
    )
    return {"state": order.state, **order.data}


def test_the_warehouse_with_the_stock_ships_and_its_choice_is_order_data(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 0, ("A", "BJ-01"): 5})
    order = place(engine, "上海", [{"sku": "A", "qty": 2}])
    assert (order["state"], order["warehouse"], order["split"]) == ("pending_payment", "BJ-01", [])
    assert order["carrier"] in ("sf", "zto")
    [event] = [e for e in engine.history(1, CLERK) if e.trigger == "place"]
    assert event.rules is not None and event.rules["kind"] == "routing" and event.rules["outcome"] == "routed"
    assert event.rules["version"]  # the version of the rule set that decided
    assert event.data_changes["warehouse"] == [None, "BJ-01"]


def test_nearer_warehouse_wins_when_both_hold_the_stock(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 5, ("A", "BJ-01"): 5})
    assert place(engine, "北京", [{"sku": "A", "qty": 1}])["warehouse"] == "BJ-01"
    assert place(engine, "上海", [{"sku": "A", "qty": 1}])["warehouse"] == "SH-01"


def test_split_across_warehouses_and_no_stock_goes_to_review(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 1, ("A", "BJ-01"): 1})
    split = place(engine, "上海", [{"sku": "A", "qty": 2}])
    assert split["state"] == "pending_payment"
    assert sorted(part["warehouse"] for part in split["split"]) == ["BJ-01", "SH-01"]  # type: ignore[attr-defined]
    assert place(engine, "上海", [{"sku": "A", "qty": 3}])["state"] == "out_of_stock"


# -- rules dest
# A destination picked by a rule file: each audit outcome leads to its state, recorded with its trace.


CASES = [
    ({"customer": "张三", "total": 200}, "approve", "pending_shipment", []),
    ({"customer": "张三", "total": 8000}, "hold", "on_hold", ["large-order"]),
    ({"customer": "黑名单", "total": 200}, "reject", "cancelled", ["blocked-customer"]),
]


@pytest.mark.parametrize(("data", "outcome", "dest", "deciding"), CASES, ids=[c[1] for c in CASES])
def test_each_outcome_leads_to_its_dest_and_is_audited(
    engine: Engine, data: dict[str, Any], outcome: str, dest: str, deciding: list[str]
) -> None:
    order = engine.create_order(CLERK, "retail", "audited-order", None, data)
    result = engine.fire(order.id, "review", AUDITOR, {"note": "checked"})
    assert (result.to_state, result.outcome) == (dest, outcome)
    assert engine.get_order(order.id, CLERK).state == dest
    event = engine.history(order.id, CLERK)[-1]
    assert (event.trigger, event.to_state, event.actor) == ("review", dest, "aud")
    decision = event.rules
    assert decision is not None and decision == result.decision
    assert (decision["ruleset"], decision["outcome"]) == ("test-audit", outcome)
    assert [r["rule"] for r in decision["reasons"]] == deciding
    assert [t["rule"] for t in decision["trace"]] == ["blocked-customer", "large-order"]
    assert [t["matched"] for t in decision["trace"]] == [
        name in deciding for name in ("blocked-customer", "large-order")
    ]
    if outcome == "hold":
        assert decision["queue"] == "risk-review"
        assert decision["reasons"][0]["en"] == "Large order" and decision["reasons"][0]["zh"] == "大额订单"


def test_an_outcome_without_a_dest_is_refused_and_changes_nothing(engine: Engine) -> None:
    # The checker refuses such a file, so the gap is cut into a checked bundle by hand: the runtime
    # must still refuse clearly if a stored version ever maps fewer outcomes than its rules give.
    checked = bundle("audited-order")
    workflow = dict(checked.workflow)
    transitions = [dict(t) for t in workflow["transitions"]]
    transitions[0]["dest"] = {"approve": "pending_shipment", "hold": "on_hold"}
    workflow["transitions"] = transitions
    engine.publish(dataclasses.replace(checked, workflow=workflow))
    order = engine.create_order(CLERK, "retail", "audited-order", None, {"customer": "黑名单", "total": 1})
    assert order.version == 2
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order.id, "review", AUDITOR, {})
    [refusal] = refused.value.refusals
    assert refusal.code == "rules"
    assert refusal.en == "the rules decided 'reject', which leads nowhere from 'review'"
    assert refusal.zh == "规则结果 reject 没有对应的目标状态"
    assert refusal.details["decision"]["reasons"][0]["rule"] == "blocked-customer"
    assert engine.get_order(order.id, CLERK).state == "submitted"
    assert [e.trigger for e in engine.history(order.id, CLERK)] == ["create"]


@pytest.fixture
def holds(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, PluginRegistry({}), clock)
    root = Path(__file__).resolve().parent / "fixtures" / "approvals"
    engine.publish(load_bundle(root / "workflows" / "hold-order.yaml", root, action_names={}, workflows={}))
    return engine


def test_a_hold_returns_the_order_where_it_was_held_from(holds: Engine) -> None:
    """``dest: "@previous"``: back to the state the order entered the hold from, as its audit trail says."""
    sales = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))
    manager = Actor("mia", frozenset({"manager"}), frozenset({"wholesale"}))
    first = holds.create_order(sales, "wholesale", "hold-order", data={})
    holds.fire(first.id, "hold", sales)
    [release] = [t for t in holds.available_triggers(first.id, manager) if t.trigger == "release"]
    assert release.dests == ("checked", "draft")  # where a hold may return an order to
    assert holds.fire(first.id, "release", manager).to_state == "draft"
    second = holds.create_order(sales, "wholesale", "hold-order", data={})
    holds.fire(second.id, "check", sales)
    holds.fire(second.id, "hold", sales)
    assert holds.fire(second.id, "release", manager).to_state == "checked"
    holds.fire(second.id, "hold", sales)  # held again, from checked again
    assert holds.fire(second.id, "release", manager).to_state == "checked"
    assert holds.fire(second.id, "finish", sales).to_state == "done"
