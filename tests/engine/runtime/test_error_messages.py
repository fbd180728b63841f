"""What the engine refuses, a clerk or admin reads in Chinese or English: orders, workflows, conflicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import bindparam, update

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import ConflictError, NotFound, TransitionRejected
from engine.runtime import Actor, Engine
from engine.store import Store, Tx
from engine.store.tables import orders
from tests.engine.runtime.conftest import ADMIN, CLERK, OUTSIDER

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def _new(engine: Engine) -> int:
    return engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id


def test_a_missing_order_in_both_languages(engine: Engine) -> None:
    for call in (
        lambda: engine.get_order(99999, CLERK),
        lambda: engine.fire(99999, "pay", CLERK, PAYMENT),
        lambda: engine.history(99999, CLERK),
        lambda: engine.available_triggers(99999, CLERK),
    ):
        with pytest.raises(NotFound) as caught:
            call()
        assert caught.value.message("en") == "order #99999 not found"
        assert caught.value.message("zh") == "找不到订单 #99999"


def test_an_order_of_another_department_reads_as_missing_in_both_languages(engine: Engine) -> None:
    order_id = _new(engine)
    with pytest.raises(NotFound) as caught:
        engine.get_order(order_id, OUTSIDER)
    assert (caught.value.message("en"), caught.value.message("zh")) == (
        f"order #{order_id} not found",
        f"找不到订单 #{order_id}",
    )


def test_a_misspelled_workflow_names_a_published_one(engine: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        engine.create_order(CLERK, "retail", "retail-ordr", "web", ORDER)
    assert caught.value.message("en") == "workflow retail-ordr is not published; did you mean 'retail-order'?"
    assert caught.value.message("zh") == "流程 retail-ordr 尚未发布；您是否想输入 'retail-order'？"


def test_an_unknown_workflow_without_a_near_miss(engine: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        engine.spec("gift-cards")
    assert caught.value.message("en") == "workflow gift-cards is not published"
    assert caught.value.message("zh") == "流程 gift-cards 尚未发布"


def test_a_version_not_published_lists_the_published_ones(engine: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        engine.spec("retail-order", 7)
    assert caught.value.message("en") == "workflow retail-order v7 is not published; published versions: v1"
    assert caught.value.message("zh") == "流程 retail-order 没有发布 v7；已发布的版本：v1"


def test_a_version_of_a_misspelled_workflow_names_the_workflow(engine: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        engine.migrate("retail-ordr", 2, dry_run=True, actor=ADMIN)
    assert (
        caught.value.message("en") == "workflow retail-ordr v2 is not published; did you mean 'retail-order'?"
    )
    assert caught.value.message("zh") == "流程 retail-ordr v2 尚未发布；您是否想输入 'retail-order'？"


def test_a_stale_client_conflicts_in_both_languages(engine: Engine) -> None:
    order_id = _new(engine)
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    with pytest.raises(ConflictError) as caught:
        engine.fire(order_id, "cancel", CLERK, expected_lock_version=1)
    assert caught.value.message("en") == f"order #{order_id} changed (version 2, expected 1)"
    assert caught.value.message("zh") == f"订单 #{order_id} 已被修改（当前版本 2，预期 1）；请刷新后重试"


def test_a_write_that_loses_the_race_conflicts_in_both_languages(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    order_id = _new(engine)
    original = Tx.update_order

    def another_writer_first(tx: Tx, oid: int, **fields: Any) -> bool:
        # Another change commits between this fire's read and its write: the row's version moves on.
        bump = update(orders).where(orders.c.id == bindparam("oid"))
        tx.run_statement(
            bump.values(lock_version=orders.c.lock_version + bindparam("step")), {"oid": oid, "step": 1}
        )
        return original(tx, oid, **fields)

    monkeypatch.setattr(Tx, "update_order", another_writer_first)
    with pytest.raises(ConflictError) as caught:
        engine.fire(order_id, "pay", CLERK, PAYMENT)
    monkeypatch.undo()
    said = f"order #{order_id} was changed by someone else; reload it and try again"
    assert caught.value.message("en") == said
    assert caught.value.message("zh") == f"订单 #{order_id} 已被他人修改；请刷新后重试"
    assert engine.get_order(order_id, CLERK).lock_version == 1  # nothing of the fire was written


REFUSED_WORKFLOW = """
schema_version: 1
workflow: refused-order
department: retail
title: {zh: 拒绝示例, en: Refusal example}
initial: new
states:
  new: {label: {zh: 新订单, en: New}}
  done: {final: true, label: {zh: 完成, en: Done}}
transitions:
  - trigger: go
    source: new
    dest: done
    when: order.total > 10
    refusal: {zh: 订单金额须大于10元, en: The order total must be over 10 yuan}
"""


def test_a_refusal_speaks_for_a_condition_that_does_not_hold_not_for_one_that_broke(
    store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    from tests.engine.runtime.conftest import FIXTURES, make_engine

    path = tmp_path / "refused-order.yaml"
    path.write_text(REFUSED_WORKFLOW, encoding="utf-8")
    engine = make_engine(store, clock)
    engine.publish(load_bundle(path, FIXTURES, workflows={}))
    clerk = Actor("ann", frozenset({"clerk"}), frozenset({"retail"}))
    small = engine.create_order(clerk, "retail", "refused-order", None, {"total": 5})
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(small.id, "go", clerk)
    [refusal] = refused.value.refusals
    assert (refusal.zh, refusal.en) == ("订单金额须大于10元", "The order total must be over 10 yuan")
    assert refusal.details["when"] == "order.total > 10"
    broken = engine.create_order(clerk, "retail", "refused-order", None, {"total": "many"})
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(broken.id, "go", clerk)
    [refusal] = refused.value.refusals
    assert refusal.en.startswith("condition not met: order.total > 10 (") and "over 10 yuan" not in refusal.en
