"""My work says why a rule held an order where it is (``WorkItem.held``): the reasons of the rules whose
``hold`` brought it into its state, in both languages, as the order page's 为何在此 says them; nothing for
an order the rules let through, nor once a person moved the held order on, nor for a row of the review
queue's page it left. The decisions are read for the page's rows in one statement. On SQLite and
PostgreSQL."""

from __future__ import annotations

from engine.clock import FrozenClock
from engine.common.text import Text
from engine.runtime import Engine
from engine.runtime.workspace import OrdersSection, WorkItem, held_reason
from tests.engine.runtime import test_original_order as original
from tests.engine.runtime.test_original_order import request
from tests.test_departments import SERVICE, delivered_retail_order

clock, engine = original.clock, original.engine  # the fixtures of the original-order tests
USED = Text("已使用商品退货需人工审核", "Returning a used item needs a person to review it")


def items(engine: Engine) -> dict[int, WorkItem]:
    found = engine.my_work(SERVICE)
    return {
        item.order.id: item
        for section in found.sections
        if isinstance(section, OrdersSection)
        for item in section.items
    }


def test_a_held_request_says_why_and_one_let_through_says_nothing(engine: Engine, clock: FrozenClock) -> None:
    bought = delivered_retail_order(engine, clock)
    used = request(bought) | {"item_condition": "used"}
    held = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", used)
    plain = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(delivered_retail_order(engine, clock))
    )
    assert (held.state, plain.state) == ("pending_review", "awaiting_goods")
    shown = items(engine)
    assert shown[held.id].held == USED
    assert shown[plain.id].held is None
    engine.fire(held.id, "accept", SERVICE)  # the desk lets it through: no longer held
    assert items(engine)[held.id].held is None


def test_only_a_hold_is_a_reason_to_say() -> None:
    reasons = [{"rule": "used-item-return", "zh": USED.zh, "en": USED.en}]
    assert held_reason({"ruleset": "x", "kind": "audit", "outcome": "hold", "reasons": reasons}) == USED
    assert held_reason({"ruleset": "x", "kind": "audit", "outcome": "reject", "reasons": reasons}) is None
    assert held_reason({"ruleset": "x", "kind": "audit", "outcome": "hold", "reasons": []}) is None
    assert held_reason(None) is None
