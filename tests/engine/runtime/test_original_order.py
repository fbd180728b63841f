"""An after-sales request names the retail order the goods were bought on (``original_order:`` of the
shipped after-sales request): an order the retail department does not have is refused at intake, naming
the field, and so is a refund above what that order paid and has not refunded, less what the other
requests about it claim. On SQLite and on PostgreSQL (the ``store`` fixture runs on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import Refusal, TransitionRejected
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import orders, stock
from tests.after_sales import backordered_exchange, exchange_request
from tests.test_departments import INSPECTOR, SERVICE, WAREHOUSE, delivered_retail_order

REPO = Path(__file__).resolve().parents[3]
REGISTRY = PluginRegistry.from_entry_points()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, REGISTRY, clock)
    for path in ("retail/order.yaml", "after-sales/request.yaml"):
        engine.publish(load_bundle(REPO / "workflows" / path, REPO, action_names=REGISTRY.action_names))
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0))
    return engine


def request(original: str, refund: float | None = 239, qty: int = 1) -> dict[str, Any]:
    data: dict[str, Any] = {
        "original_order_no": original,
        "type": "return",
        "reason_code": "no_reason",
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "lines": [
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": qty, "unit_price": 239, "amount": 239 * qty}
        ],
        "delivered_at": (datetime(2026, 3, 2, 9, 0, tzinfo=UTC) - timedelta(days=1)).isoformat(),
        "item_condition": "unopened",
        "refund_amount": refund,
        "return_warehouse": "SH-01",
    }
    return data


def refused(engine: Engine, data: dict[str, Any]) -> Refusal:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", data)
    [refusal] = caught.value.refusals
    return refusal


def requests(store: Store) -> int:
    with store.read() as tx:
        taken = select(func.count()).select_from(orders).where(orders.c.department == "after_sales")
        return int(tx.connection.execute(taken).scalar_one())


def test_a_request_about_an_order_the_retail_department_does_not_have_is_refused_naming_the_field(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A return against an invented original order number ran to a refund: nothing checked it."""
    bought = int(delivered_retail_order(engine, clock))
    unknown = refused(engine, request(str(bought + 1)))
    assert (unknown.code, unknown.details["path"]) == ("form", "$.original_order_no")
    assert (
        unknown.zh == f"原订单号：零售部门没有订单 {bought + 1}；请填写原订单页面上的订单号（数字，如 294）"
    )
    assert unknown.en == (
        f"Original order number: the Retail department has no order {bought + 1}; give the number its "
        "page shows (digits, such as 294)"
    )
    invented = refused(engine, request("RO2026120100001"))  # the old made-up shape: not an order number
    assert invented.details["path"] == "$.original_order_no"
    assert "294" in invented.zh and "294" in invented.en
    assert requests(store) == 0
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    # an order of another department (this request itself) is not a retail order the goods were bought on
    assert refused(engine, request(str(taken.id))).details["path"] == "$.original_order_no"
    assert requests(store) == 1
    assert (taken.state, taken.data["original_order_no"]) == ("awaiting_goods", str(bought))


def test_the_refunds_asked_about_one_order_never_pass_what_it_paid_and_has_not_refunded(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """478 paid: a request for 239, then one for 240 is refused (239 left), one for 239 taken; once the
    first is withdrawn it claims nothing and 239 may be asked again."""
    bought = delivered_retail_order(engine, clock)
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    over = refused(engine, request(bought, refund=240, qty=2))
    assert (over.code, over.details["path"], over.details["refundable"]) == (
        "form",
        "$.refund_amount",
        "239.00",
    )
    assert over.zh == (
        f"退款金额（元）：240.00 元超过原订单 {bought} 可退的 239.00 元（已付 478.00 元，已退 0.00 元，"
        "其他申请已占 239.00 元）"
    )
    assert "more than the 239.00 CNY original order" in over.en
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert refused(engine, request(bought, refund=0.01)).details["path"] == "$.refund_amount"
    assert requests(store) == 2
    engine.fire(first.id, "withdraw", SERVICE)  # withdrawn: it claims nothing any more
    again = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert {second.state, again.state} == {"awaiting_goods"}


def test_a_refund_asked_on_a_step_is_bounded_by_the_same_order(engine: Engine, clock: FrozenClock) -> None:
    """An exchange no warehouse can fill, refunded instead: no more than the retail order it names has
    left to refund, its own request not counted against it."""
    bought = delivered_retail_order(engine, clock)
    exchange = exchange_request(request(bought, qty=60))
    people = {"service": SERVICE, "warehouse": WAREHOUSE, "inspector": INSPECTOR}
    waiting = backordered_exchange(engine, exchange, clock.now(), **people)  # 48 bands on hand, 60 wanted
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478.01})
    [over] = caught.value.refusals
    assert (over.details["path"], over.details["refundable"]) == ("$.refund_amount", "478.00")
    assert engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478}).to_state == "refunding"
