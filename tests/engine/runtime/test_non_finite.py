"""NaN and the infinities are refused anywhere in submitted data, before anything is written."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.errors import Refusal, TransitionRejected
from engine.forms.numbers import non_finite_paths, non_finite_refusals
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import audit_events, idempotency, orders
from tests.engine.runtime.conftest import CLERK

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


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
