"""A trigger the workflow does not have is unknown; one it has but not from this state is unavailable."""

from __future__ import annotations

import pytest

from engine.common.suggest import did_you_mean
from engine.errors import Refusal, TransitionRejected
from engine.runtime import Engine
from tests.engine.runtime.conftest import CLERK, WAREHOUSE

ORDER = {"customer": "张三", "total": 120}
TRIGGERS = ["approve", "cancel", "deliver", "pay", "remark", "ship"]


def refused(engine: Engine, order_id: int, trigger: str) -> Refusal:
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
    refusal = refused(engine, paid_order, "shipp")
    assert refusal.code == "unknown-trigger"
    assert refusal.en == "unknown trigger 'shipp' in workflow retail-order; did you mean 'ship'?"
    assert refusal.zh == "未知操作 'shipp'（流程 retail-order 中没有）；您是否想输入 'ship'？"
    assert refusal.details == {
        "trigger": "shipp",
        "triggers": TRIGGERS,
        "available": ["approve", "cancel", "remark"],
    }


def test_unknown_trigger_without_a_near_one(engine: Engine, paid_order: int) -> None:
    refusal = refused(engine, paid_order, "fly")
    assert refusal.code == "unknown-trigger"
    assert refusal.en == "unknown trigger 'fly' in workflow retail-order"
    assert "did you mean" not in refusal.en and "您是否" not in refusal.zh
    assert engine.get_order(paid_order, CLERK).state == "paid"


def test_known_trigger_from_the_wrong_state_lists_what_is_available(engine: Engine, paid_order: int) -> None:
    refusal = refused(engine, paid_order, "deliver")
    assert refusal.code == "state"
    assert refusal.en == "'deliver' is not available in state paid; available now: approve, cancel, remark"
    assert refusal.zh == "当前状态 paid 不能执行 deliver；当前可执行：approve、cancel、remark"


def test_a_final_order_has_nothing_available(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER).id
    engine.fire(order_id, "cancel", CLERK)
    assert refused(engine, order_id, "pay").en.endswith("available now: none")
    assert refused(engine, order_id, "pay").zh.endswith("当前可执行：无")
    assert refused(engine, order_id, "pya").code == "unknown-trigger"


def test_an_automatic_trigger_fired_by_hand_is_known(engine: Engine, paid_order: int) -> None:
    assert refused(engine, paid_order, "free").code == "state"


def test_did_you_mean_in_both_languages() -> None:
    assert did_you_mean("complet", ["complete", "cancel"]) == "; did you mean 'complete'?"
    assert did_you_mean("complet", ["complete"], "zh") == "；您是否想输入 'complete'？"
    assert did_you_mean("xyz", ["complete"], "zh") == ""
