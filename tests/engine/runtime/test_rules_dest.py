"""A destination picked by a rule file: each audit outcome leads to its state, recorded with its trace."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from engine.errors import TransitionRejected
from engine.runtime import Engine
from tests.engine.runtime.conftest import AUDITOR, CLERK, bundle

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
