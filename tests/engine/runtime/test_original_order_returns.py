"""A retail order's own return and cancel beside the after-sales requests about it: the return form
offers only the goods the requests leave (``x-unclaimed``), its refund left empty their price; a cancel
or a rejection pays back what is paid less refunded less what the requests claim or paid back, a person's
step refused above that, an automatic one never. On SQLite and on PostgreSQL (the ``store`` fixture runs
on both)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import PluginRegistry
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import stock
from tests.engine.runtime.test_original_order import request
from tests.test_departments import RETAIL, SERVICE, delivered_retail_order

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


def offered(engine: Engine, order_id: int) -> list[tuple[str, int]]:
    """The return lines the retail order's return form starts with: (SKU, quantity) each."""
    page = engine.step_page(order_id, "request_return", RETAIL)
    assert page.info is not None and page.info.allowed
    return [(line["sku"], line["qty"]) for line in page.prefill.get("return_lines", [])]


def test_the_return_form_offers_only_the_goods_the_requests_about_the_order_leave(
    engine: Engine, clock: FrozenClock
) -> None:
    """Two bands delivered, a request about the order names one back: the return form offered both
    (the return was refused on submit, naming the request); now one, priced 239, which a return left
    at the form's lines and no refund takes; a second request naming the other leaves none offered,
    and once it is withdrawn the band is offered again."""
    bought = delivered_retail_order(engine, clock)
    assert offered(engine, int(bought)) == [("XM-BAND8", 2)]
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert offered(engine, int(bought)) == [("XM-BAND8", 1)]
    page = engine.step_page(int(bought), "request_return", RETAIL)
    [line] = page.prefill["return_lines"]
    assert line["amount"] == 239  # the line's price follows its quantity
    other = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert offered(engine, int(bought)) == []
    engine.fire(other.id, "withdraw", SERVICE)
    lines: list[dict[str, Any]] = [{"sku": sku, "qty": qty} for sku, qty in offered(engine, int(bought))]
    assert lines == [{"sku": "XM-BAND8", "qty": 1}]
    taken = engine.fire(
        int(bought), "request_return", RETAIL, {"return_reason": "quality", "return_lines": lines}
    )
    assert taken.to_state == "return_requested"
    assert engine.get_order(int(bought), RETAIL).data["refund_due"] == 239  # the band's price, no more
