"""Whom an action acts for (``ActionContext.actor``): the person who took the step, and, on the automatic
steps that follow it in the same transaction, still that person (a restock's ledger entry named 系统 /
System when the inspector's pass set the automatic refund off); a timer's step and what follows it, the
system. The audit trail still names the automatic step the system's. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import ActionContext, PluginRegistry
from engine.runtime import Engine
from engine.store import Store
from tests.engine.runtime.conftest import CLERK, FIXTURES

ORDER = {"customer": "张三", "total": 120}


def take(ctx: ActionContext) -> Mapping[str, Any] | None:
    """Notes whom it acted for, step by step."""
    acted = ctx.data.get("acted_for")
    return {"acted_for": [*(acted if isinstance(acted, list) else []), [ctx.trigger, ctx.actor]]}


def check(ctx: ActionContext) -> Mapping[str, Any] | None:
    return None


ACTIONS = {"take": take, "check": check}


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Iterator[Engine]:
    engine = Engine(store, PluginRegistry(ACTIONS), clock)
    path = FIXTURES / "workflows" / "stocked-order.yaml"
    engine.publish(load_bundle(path, FIXTURES, action_names=ACTIONS, workflows={}))
    yield engine


def test_the_automatic_step_after_a_persons_acts_for_them(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "stocked-order", "web", dict(ORDER))
    assert order.state == "pending_payment"
    assert order.data["acted_for"] == [["place", CLERK.name]]  # set off by the clerk's intake
    paid = engine.fire(order.id, "pay", CLERK, {})
    assert paid.to_state == "paid"
    assert engine.get_order(order.id, CLERK).data["acted_for"] == [["place", CLERK.name], ["pay", CLERK.name]]
    # the timeline still says the automatic step was the system's
    assert [(e.trigger, e.actor) for e in engine.history(order.id, CLERK)] == [
        ("create", CLERK.name),
        ("place", "system"),
        ("pay", CLERK.name),
    ]


def test_a_timers_step_acts_for_the_system(engine: Engine, clock: FrozenClock) -> None:
    order = engine.create_order(CLERK, "retail", "stocked-order", "web", dict(ORDER))
    clock.advance(minutes=31)
    assert engine.run_due_timers("test") == 1
    expired = engine.get_order(order.id, CLERK)
    assert expired.state == "cancelled"
    assert expired.data["acted_for"] == [["place", CLERK.name], ["expire", "system"]]
