"""A retail order's own return beside the after-sales requests about it: the return form offers only
the goods the requests leave (``x-unclaimed``), its refund left empty their price. On SQLite and on
PostgreSQL (the ``store`` fixture runs on both)."""

from __future__ import annotations

from typing import Any

from engine.clock import FrozenClock
from engine.runtime import Engine
from tests.engine.runtime import test_original_order
from tests.engine.runtime.test_original_order import request
from tests.test_departments import RETAIL, SERVICE, delivered_retail_order

clock, engine = test_original_order.clock, test_original_order.engine  # the fixtures of its tests


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
