"""An action's PluginError is a refusal: TransitionRejected in zh/en, and nothing of the step remains.

``stocked-order`` runs ``take`` (reserves a unit through the firing transaction and queues a mail) before
``check``, which refuses on demand; so every refusal here comes after a write that must be rolled back:
no audit row, no timer scheduled or cancelled, no stock change, no outbox row. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import EngineError, PluginError, Refusal, RefusalCode, TransitionRejected
from engine.plugins import ActionContext, PluginRegistry
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import orders, outbox, stock
from tests.engine.runtime.conftest import CLERK, FIXTURES

ORDER = {"customer": "张三", "total": 120}


def take(ctx: ActionContext) -> Mapping[str, Any] | None:
    ctx.connection.execute(
        update(stock)
        .where(stock.c.sku == "PEN", stock.c.warehouse == "SH-01")
        .values(reserved=stock.c.reserved + 1)
    )
    ctx.emit("mail", {"order_id": ctx.order_id, "to": ctx.dest})
    taken = ctx.data.get("taken")
    return {"taken": (taken if isinstance(taken, int) else 0) + 1}


def check(ctx: ActionContext) -> Mapping[str, Any] | None:
    mode = ctx.data.get(f"refuse_{ctx.trigger}")
    if mode == "typed":
        raise PluginError(
            "PEN: 1 wanted, 0 available",
            code="out-of-stock",
            zh="商品 PEN 库存不足",
            en="not enough stock for sku 'PEN'",
            details={"sku": "PEN", "wanted": 1},
        )
    if mode == "plain":
        raise PluginError("the gateway did not answer")
    if mode == "crash":
        raise RuntimeError("a bug in the action")
    return None


ACTIONS = {"take": take, "check": check}


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Iterator[Engine]:
    with store.transaction() as tx:
        tx.connection.execute(insert(stock), [{"sku": "PEN", "warehouse": "SH-01", "on_hand": 10}])
    engine = Engine(store, PluginRegistry(ACTIONS), clock)
    path = FIXTURES / "workflows" / "stocked-order.yaml"
    engine.publish(load_bundle(path, FIXTURES, action_names=ACTIONS, workflows={}))
    yield engine


def snapshot(engine: Engine, store: Store, order_id: int | None) -> dict[str, Any]:
    """Everything a step could have written."""
    with store.read() as tx:
        reserved = tx.connection.execute(select(stock.c.reserved).where(stock.c.sku == "PEN")).scalar_one()
        outbox_rows = tx.connection.execute(select(func.count()).select_from(outbox)).scalar_one()
        order_rows = tx.connection.execute(select(func.count()).select_from(orders)).scalar_one()
        if order_id is None:
            return {"reserved": reserved, "outbox": outbox_rows, "orders": order_rows}
        timers = [(t.state, t.trigger, t.status) for t in tx.order_timers(order_id)]
    order = engine.get_order(order_id, CLERK)
    return {
        "reserved": reserved,
        "outbox": outbox_rows,
        "orders": order_rows,
        "timers": timers,
        "audit": [(e.seq, e.trigger) for e in engine.history(order_id, CLERK)],
        "state": order.state,
        "lock_version": order.lock_version,
        "data": dict(order.data),
    }


def test_a_refusing_action_is_a_transition_rejected_with_its_refusal(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "stocked-order", "web", ORDER).id
    before = snapshot(engine, store, order_id)
    assert before["reserved"] == 1 and before["outbox"] == 1  # ``place`` took one unit
    assert before["timers"] == [("pending_payment", "expire", "scheduled")]

    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, "pay", CLERK, {"refuse_pay": "typed"})

    assert caught.value.refusals == [
        Refusal(
            "out-of-stock",
            "商品 PEN 库存不足",
            "not enough stock for sku 'PEN'",
            {"sku": "PEN", "wanted": 1, "action": "check", "trigger": "pay"},
        )
    ]
    assert str(caught.value) == "not enough stock for sku 'PEN'"
    assert caught.value.message("zh") == "商品 PEN 库存不足"
    assert isinstance(caught.value.__cause__, PluginError)
    assert snapshot(engine, store, order_id) == before


def test_a_plain_plugin_error_is_refused_as_code_action_naming_it(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "stocked-order", "web", ORDER).id
    before = snapshot(engine, store, order_id)

    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order_id, "pay", CLERK, {"refuse_pay": "plain"})

    [refusal] = caught.value.refusals
    assert refusal.code == "action" and refusal.code is RefusalCode.ACTION
    assert refusal.en == "action check failed on 'pay': the gateway did not answer"
    assert refusal.zh == "动作 check 执行失败（pay）：the gateway did not answer"
    assert refusal.details == {"action": "check", "trigger": "pay", "error": "the gateway did not answer"}
    assert snapshot(engine, store, order_id) == before


def test_a_bug_in_an_action_is_not_a_refusal_but_still_rolls_back(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "stocked-order", "web", ORDER).id
    before = snapshot(engine, store, order_id)
    with pytest.raises(RuntimeError, match="a bug in the action"):
        engine.fire(order_id, "pay", CLERK, {"refuse_pay": "crash"})
    assert snapshot(engine, store, order_id) == before


def test_the_same_transition_goes_through_once_nothing_refuses(engine: Engine, store: Store) -> None:
    order_id = engine.create_order(CLERK, "retail", "stocked-order", "web", ORDER).id
    with pytest.raises(TransitionRejected):
        engine.fire(order_id, "pay", CLERK, {"refuse_pay": "typed"}, idempotency_key="pay-1")
    # The refused fire stored nothing under its key, so the key is free for the retry.
    result = engine.fire(order_id, "pay", CLERK, {}, idempotency_key="pay-1")
    assert (result.from_state, result.to_state, result.lock_version) == ("pending_payment", "paid", 3)
    after = snapshot(engine, store, order_id)
    assert after["reserved"] == 2 and after["outbox"] == 2
    assert after["data"]["taken"] == 2
    assert sorted(after["timers"]) == [
        ("paid", "close", "scheduled"),
        ("pending_payment", "expire", "cancelled"),
    ]
    assert [trigger for _, trigger in after["audit"]] == ["create", "place", "pay"]


@pytest.mark.parametrize("mode", ["typed", "plain"])
def test_a_refusal_in_an_automatic_step_of_create_leaves_no_order(
    engine: Engine, store: Store, mode: str
) -> None:
    before = snapshot(engine, store, None)
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "stocked-order", "web", {**ORDER, "refuse_place": mode})
    assert caught.value.refusals[0].code == ("out-of-stock" if mode == "typed" else "action")
    assert caught.value.refusals[0].details["trigger"] == "place"
    assert snapshot(engine, store, None) == before == {"reserved": 0, "outbox": 0, "orders": 0}
    with store.read() as tx:
        assert tx.connection.execute(select(func.count()).select_from(orders)).scalar_one() == 0


def test_a_timer_whose_action_refuses_is_cancelled_and_its_writes_undone(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order_id = engine.create_order(
        CLERK, "retail", "stocked-order", "web", {**ORDER, "refuse_expire": "typed"}
    ).id
    before = snapshot(engine, store, order_id)
    clock.advance(minutes=30)
    assert engine.run_due_timers("w1") == 0
    after = snapshot(engine, store, order_id)
    # ``take`` ran inside the timer's transaction before ``check`` refused: its unit and mail are gone.
    assert after == {**before, "timers": [("pending_payment", "expire", "cancelled")]}
    assert engine.run_due_timers("w1") == 0


def test_plugin_error_keeps_its_message_and_optional_refusal() -> None:
    plain = PluginError("boom")
    assert (str(plain), plain.code, plain.zh, plain.en, plain.details) == ("boom", None, None, None, {})
    typed = PluginError(code="c", zh="中", en="english", details={"k": 1})
    assert str(typed) == "english" and typed.details == {"k": 1}
    assert isinstance(typed, EngineError)
    assert str(PluginError()) == "plugin failed"
