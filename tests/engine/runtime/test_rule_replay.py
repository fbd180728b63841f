"""The orders a draft rule file is replayed over (engine/runtime/rule_replay.py): a routing file is
replayed over the stock as it is now, each order with the units it holds counted as free for it, so the
studio's replay (engine/runtime/studio_replay.py) tells which orders a draft routes another way; the
published text replayed over the same stock changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.rule_replay import orders_using_file, stock_for
from engine.runtime.studio import Studio
from engine.store import Store
from engine.store.studio import SaveConflict
from engine.store.tables import stock
from tests.test_departments import delivered_retail_order

ROOT = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()
ROUTING = "rules/retail/routing.yaml"
ADMIN = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
ORDER = {
    "customer": {"name": "王芳", "mobile": "13912345678"},
    "address": {"province": "上海市", "city": "上海市", "district": "浦东新区", "detail": "世纪大道100号"},
    "lines": [{"sku": "NB-PRO-14", "name": "笔记本电脑", "qty": 1, "unit_price": 5999, "amount": 5999}],
    "shipping_fee": 0,
    "discount": 0,
    "total": 5999,
}


@pytest.fixture
def studio(store: Store) -> Studio:
    """retail-order v1 over the shipped definitions; one unit of NB-PRO-14 in SH-01 and two in BJ-01."""
    engine = Engine(store, REGISTRY, FrozenClock())
    engine.publish(
        load_bundle(
            ROOT / "workflows" / "retail" / "order.yaml",
            ROOT,
            action_names=REGISTRY.action_names,
            action_writes=REGISTRY.action_writes,
        )
    )
    with store.transaction() as tx:
        tx.add_stock({("NB-PRO-14", "SH-01"): 1, ("NB-PRO-14", "BJ-01"): 2})
    return Studio(engine, ROOT)


def test_routing_is_replayed_over_the_stock_now_with_what_the_order_holds(studio: Studio) -> None:
    order = studio.engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    assert (order.state, order.data["warehouse"]) == ("pending_payment", "SH-01")  # the last unit there
    [replayed] = orders_using_file(studio.engine, ROUTING, ADMIN, last=10, department="retail")
    assert replayed.env["stock"] == {"NB-PRO-14": {"SH-01": 1, "BJ-01": 2}}  # its own unit counted free
    assert replayed.published.evaluate(replayed.env).outputs["warehouse"] == "SH-01"

    # A draft that keeps Shanghai out of retail routing sends the order to Beijing, which has the stock.
    text = studio.published_text(ROUTING)
    draft = text.replace("    province: 上海\n", "    province: 上海\n    when: order.total < 0\n", 1)
    assert draft != text
    saved = studio.save("retail", ROUTING, draft, 0, ADMIN)
    assert not isinstance(saved, SaveConflict)
    replay = studio.replay("retail", ROUTING, ADMIN)
    assert replay is not None and replay.problems == ()
    [file] = [f for f in replay.files if f.workflow == "retail-order"]
    assert file.with_stock and file.orders == 1
    [change] = file.changes
    assert change.order_id == order.id
    assert (change.old.outputs["warehouse"], change.new.outputs["warehouse"]) == ("SH-01", "BJ-01")


def test_the_published_text_replayed_over_the_same_stock_changes_nothing(studio: Studio) -> None:
    for _ in range(4):  # three take the three units; the fourth finds none left and waits out of stock
        studio.engine.create_order(CLERK, "retail", "retail-order", "web", ORDER)
    replay = studio.replay("retail", ROUTING, ADMIN)
    assert replay is not None
    [file] = [f for f in replay.files if f.workflow == "retail-order"]
    assert (file.orders, file.changes) == (4, ())
    assert sorted(file.counts) == [("no_stock", "no_stock", 1), ("routed", "routed", 3)]


def test_stock_for_adds_what_the_order_holds_and_keeps_only_its_skus() -> None:
    data = {
        "lines": [{"sku": "A-1"}, {"sku": "B-2"}],
        "stock_reserved": [{"sku": "A-1", "warehouse": "SH-01", "qty": 2}, {"sku": "Z-9", "qty": "x"}, 7],
    }
    on_hand = {"A-1": {"SH-01": 1, "BJ-01": 4}, "C-3": {"SH-01": 9}}
    assert stock_for(data, on_hand) == {"A-1": {"SH-01": 3, "BJ-01": 4}, "B-2": {}}
    assert on_hand["A-1"]["SH-01"] == 1  # the stock read once is not changed for the next order


ELIGIBILITY = "rules/after-sales/eligibility.yaml"
SERVICE = Actor("huang.fang", frozenset({"service"}), frozenset({"after_sales"}))
AFTER_SALES_ADMIN = Actor("admin", frozenset({"admin"}), frozenset({"after_sales"}))


def test_an_order_is_replayed_as_of_the_time_the_rule_file_decided_it(store: Store) -> None:
    """A return asked for 3 days after delivery was accepted; six days later, a draft that widens the
    no-reason window from 7 to 10 days changes nothing for it: replayed on the day it was decided, both
    texts accept it (replayed today, 9 days after delivery, the published text would reject it and the
    draft accept it: a difference that never happened)."""
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    engine = Engine(store, REGISTRY, clock)
    for path in ("workflows/retail/order.yaml", "workflows/after-sales/request.yaml"):
        engine.publish(load_bundle(ROOT / path, ROOT, action_names=REGISTRY.action_names))
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0))
    studio = Studio(engine, ROOT)
    request = {
        "original_order_no": delivered_retail_order(engine, clock),  # the retail order it was bought on
        "type": "return",
        "reason_code": "no_reason",
        "customer": {"name": "李娜", "mobile": "13698765432"},
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}],
        "delivered_at": (clock.now() - timedelta(days=3)).isoformat(),
        "item_condition": "unopened",
        "refund_amount": 239,
    }
    order = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request)
    assert order.state == "awaiting_goods"  # accepted: within 7 days
    decided = clock.now()
    clock.advance(days=6)

    [replayed] = orders_using_file(engine, ELIGIBILITY, AFTER_SALES_ADMIN, last=10, department="after_sales")
    assert replayed.env["now"] == decided
    assert replayed.published.evaluate(replayed.env).outcome == "approve"

    text = studio.published_text(ELIGIBILITY)
    draft = text.replace(
        "days_since(order.delivered_at) > 7 and", "days_since(order.delivered_at) > 10 and", 1
    )
    assert draft != text
    assert not isinstance(studio.save("after_sales", ELIGIBILITY, draft, 0, AFTER_SALES_ADMIN), SaveConflict)
    replay = studio.replay("after_sales", ELIGIBILITY, AFTER_SALES_ADMIN)
    assert replay is not None and replay.problems == ()
    [file] = replay.files
    assert (file.orders, file.changes) == (1, ())

    # Only the orders the rule set decided have a time of decision.
    with store.transaction() as tx:
        assert tx.decided_at([order.id, order.id + 1], "after-sales-eligibility") == {order.id: decided}
