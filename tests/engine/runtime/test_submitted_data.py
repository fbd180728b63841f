"""Data sent with a trigger: none on a step without a form, only the form's fields on one with a form.

Every refusal leaves the order, its history and its outbox exactly as they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.errors import Refusal, TransitionRejected
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.tables import outbox
from tests.engine.runtime.conftest import AUDITOR, CLERK, WAREHOUSE

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}
SUPERVISOR_RETAIL = Actor("sue", frozenset({"supervisor"}), frozenset({"retail"}))


def snapshot(engine: Engine, store: Store, order_id: int) -> tuple[Any, ...]:
    order = engine.get_order(order_id, CLERK)
    with store.read() as tx:
        messages = tx.connection.execute(select(func.count()).select_from(outbox)).scalar_one()
    return order.state, dict(order.data), order.lock_version, len(engine.history(order_id, CLERK)), messages


def refused(engine: Engine, order_id: int, trigger: str, actor: Any, data: dict[str, Any]) -> list[Refusal]:
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, trigger, actor, data)
    return caught.value.refusals


def test_a_step_without_a_form_refuses_any_data_and_writes_nothing(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    before = snapshot(engine, store, order_id)
    [refusal] = refused(engine, order_id, "approve", AUDITOR, {"total": 5000, "customer": "李四"})
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
    [refusal] = refused(engine, order_id, "ship", WAREHOUSE, {"total": 1})
    assert (refusal.code, refusal.details["fields"]) == ("form", ["total"])
    assert snapshot(engine, store, order_id) == before
    [guard] = refused(engine, order_id, "ship", WAREHOUSE, {})
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
    refusals = refused(engine, order_id, "review", AUDITOR, {"note": "ok", "total": 10, "notes": "x"})
    assert [(r.code, r.details["path"]) for r in refusals] == [("form", "$.total"), ("form", "$.notes")]
    assert refusals[0].details["form"] == "forms/review.json"
    assert refusals[0].details["allowed"] == ["note", "priority"]
    assert refusals[0].en == (
        "$.total: field 'total' is not on the form forms/review.json of 'review'; its fields: note, priority"
    )
    assert refusals[1].en.endswith("; did you mean 'note'?")
    assert refusals[0].zh == "$.total：表单 forms/review.json 没有这个字段；可填：note、priority"
    assert snapshot(engine, store, order_id) == before
    # the rule file still sees the real total: a large order is held
    assert engine.fire(order_id, "review", AUDITOR, {"note": "ok"}).to_state == "on_hold"


def test_undeclared_and_invalid_fields_are_reported_together(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    before = snapshot(engine, store, order_id)
    refusals = refused(engine, order_id, "pay", CLERK, {"amount": -1, "paid_by": "mallory"})
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
    [guard] = refused(engine, small, "escalate", AUDITOR, {"priority": "urgent"})
    assert guard.code == "guard"
    assert "priority" not in engine.get_order(small, CLERK).data


def test_a_refused_role_is_reported_before_the_data(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "audited-order", None, ORDER).id
    [refusal] = refused(engine, order_id, "fast_track", AUDITOR, {"total": 1})
    assert refusal.code == "role"
    [form] = refused(engine, order_id, "fast_track", SUPERVISOR_RETAIL, {"total": 1})
    assert (form.code, form.details["path"]) == ("form", "$.total")
