"""A step's ``set:`` (engine/runtime/commands.py): fields of the order's data set from expressions in
the step's own transaction, after its guard and rules and before its actions, written to the audit
event like any other change; refused, naming the field, with nothing written, when a value cannot be
computed or stored or leaves the order's data outside its data form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import TransitionRejected
from engine.plugins import ActionContext, PluginRegistry
from engine.randomness import SeededRandomness
from engine.rules.expr import CODE_ALPHABET
from engine.runtime import Engine
from engine.store import Store
from tests.engine.runtime.conftest import CLERK

SETS = Path(__file__).resolve().parent / "fixtures" / "sets"
LINES = [{"sku": "SKU-1", "qty": 2}, {"sku": "SKU-2", "qty": 1}, {"sku": "SKU-1", "qty": 4}]
SEEN: list[dict[str, Any]] = []


def remember(ctx: ActionContext) -> Mapping[str, Any] | None:
    SEEN.append(dict(ctx.data))
    return None


def returns_engine(store: Store, clock: FrozenClock, **options: Any) -> Engine:
    registry = PluginRegistry({"remember": remember})
    engine = Engine(store, registry, clock, **options)
    path = SETS / "workflows" / "return-order.yaml"
    engine.publish(load_bundle(path, SETS, action_names=registry.action_names, workflows={}))
    return engine


def new_return(engine: Engine, lines: list[dict[str, Any]] = LINES) -> int:
    data = {"customer": "张三", "lines": lines, "note": "box damaged"}
    return engine.create_order(CLERK, "retail", "return-order", data=data).id


def refused(engine: Engine, order_id: int, trigger: str) -> TransitionRejected:
    before = engine.get_order(order_id, CLERK)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, trigger, CLERK)
    after = engine.get_order(order_id, CLERK)
    assert (after.state, after.data, after.lock_version) == (before.state, before.data, before.lock_version)
    assert all(refusal.code == "set" for refusal in caught.value.refusals)
    return caught.value


def test_accepting_issues_a_code_stamps_the_moment_clears_and_copies(
    store: Store, clock: FrozenClock
) -> None:
    SEEN.clear()
    engine = returns_engine(store, clock)
    order_id = new_return(engine)
    engine.fire(order_id, "accept", CLERK)
    data = engine.get_order(order_id, CLERK).data
    assert data["rma"].startswith("RMA-") and set(data["rma"][4:]) <= set(CODE_ALPHABET)
    assert datetime.fromisoformat(data["accepted_at"]) == clock.now()
    assert "note" not in data  # null clears the field
    assert data["review"] == {"by": "ann"}
    assert SEEN[-1]["rma"] == data["rma"]  # the step's actions see what it set
    event = engine.history(order_id, CLERK)[-1]
    assert event.data_changes["rma"] == [None, data["rma"]]
    assert event.data_changes["note"] == ["box damaged", None]
    assert event.data_changes["review"] == [None, {"by": "ann"}]


def test_a_deadline_and_aggregates_over_the_lines(store: Store, clock: FrozenClock) -> None:
    engine = returns_engine(store, clock)
    order_id = new_return(engine)
    engine.fire(order_id, "accept", CLERK)
    clock.advance(days=2)  # the deadline counts from acceptance, not from now
    engine.fire(order_id, "deliver", CLERK)
    order = engine.get_order(order_id, CLERK)
    accepted = datetime.fromisoformat(order.data["accepted_at"])
    assert datetime.fromisoformat(order.data["return_by"]) - accepted == timedelta(days=7)
    assert (order.data["qty_sku1"], order.data["skus"], order.state) == (6, 2, "delivered")


def test_an_automatic_step_sets_its_fields_too(store: Store, clock: FrozenClock) -> None:
    engine = returns_engine(store, clock)
    order_id = new_return(engine, [{"sku": "SKU-2", "qty": 1}])
    engine.fire(order_id, "accept", CLERK)
    result = engine.fire(order_id, "deliver", CLERK)
    assert result.auto == ("settle",)
    order = engine.get_order(order_id, CLERK)
    assert order.state == "closed"
    assert order.data["closed_by"] == "system"
    assert order.data["review"] == {"by": "ann", "level": 2}  # a nested field set beside its sibling
    assert engine.history(order_id, CLERK)[-1].data_changes["review"] == [
        {"by": "ann"},
        {"by": "ann", "level": 2},
    ]


def test_a_seeded_source_issues_the_same_codes_on_every_run(store: Store, clock: FrozenClock) -> None:
    engine = returns_engine(store, clock, randomness=SeededRandomness(42))
    first, second = new_return(engine), new_return(engine)
    engine.fire(first, "accept", CLERK)
    engine.fire(second, "accept", CLERK)
    codes = [engine.get_order(i, CLERK).data["rma"] for i in (first, second)]
    repeat = SeededRandomness(42)
    again = [f"RMA-{repeat.token(CODE_ALPHABET, 8)}" for _ in codes]
    assert codes == again
    assert codes[0] != codes[1]


def delivered(engine: Engine) -> int:
    order_id = new_return(engine)
    engine.fire(order_id, "accept", CLERK)
    engine.fire(order_id, "deliver", CLERK)
    return order_id


def test_a_value_that_cannot_be_computed_refuses_the_step_naming_the_field(
    store: Store, clock: FrozenClock
) -> None:
    engine = returns_engine(store, clock)
    order_id = delivered(engine)
    error = refused(engine, order_id, "miscount")
    [refusal] = error.refusals
    assert "'miscount' cannot set the field 'qty_sku1'" in refusal.en
    assert "the left side of '+' is missing (None)" in refusal.en
    assert "miscount 无法设置字段 qty_sku1" in refusal.zh and "左边的值缺失" in refusal.zh
    assert refusal.details["expression"] == "order.missing + 1"


def test_a_value_the_data_form_refuses_refuses_the_step(store: Store, clock: FrozenClock) -> None:
    engine = returns_engine(store, clock)
    order_id = delivered(engine)
    [refusal] = refused(engine, order_id, "misspell").refusals
    assert refusal.details["field"] == "qty_sku1" and refusal.details["keyword"] == "type"
    assert "'misspell' sets a field the order's data form refuses" in refusal.en
    assert "SKU-1 quantity" in refusal.en
    [required] = refused(engine, order_id, "forget").refusals
    assert (required.details["field"], required.details["keyword"]) == ("customer", "required")
    both = refused(engine, order_id, "unclear").refusals
    assert [r.details["field"] for r in both] == ["rma"]  # the note is fine, the code does not fit


def test_a_duration_is_not_stored(store: Store, clock: FrozenClock) -> None:
    engine = returns_engine(store, clock)
    order_id = delivered(engine)
    [refusal] = refused(engine, order_id, "measure").refusals
    assert "a duration cannot be stored; divide it by days(1)" in refusal.en
    assert "时长不能直接保存" in refusal.zh
