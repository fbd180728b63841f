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
    assert not engine.step_page(int(bought), "request_return", RETAIL).prefill["return_lines"]
    engine.fire(other.id, "withdraw", SERVICE)
    lines: list[dict[str, Any]] = [{"sku": sku, "qty": qty} for sku, qty in offered(engine, int(bought))]
    assert lines == [{"sku": "XM-BAND8", "qty": 1}]
    taken = engine.fire(
        int(bought), "request_return", RETAIL, {"return_reason": "quality", "return_lines": lines}
    )
    assert taken.to_state == "return_requested"
    assert engine.get_order(int(bought), RETAIL).data["refund_due"] == 239  # the band's price, no more


def test_a_return_the_requests_leave_nothing_to_is_refused_by_their_numbers(
    engine: Engine, clock: FrozenClock
) -> None:
    """Two requests about the order name both bands back: the order's page offered 申请退货 and its form
    opened with no line, which no submission could pass; now the step is not offered, its page and a
    submission say why by the requests' numbers, and once one is withdrawn it is offered again."""
    bought = int(delivered_retail_order(engine, clock))
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(str(bought)))
    page = engine.step_page(bought, "request_return", RETAIL)
    assert page.info is not None and not page.info.allowed
    [why] = [r for r in page.info.why_not if r.code == "all-claimed"]
    assert why.zh == f"没有可退商品：售后申请 #{first.id}、售后申请 #{second.id} 已申请全部商品"
    assert why.en == (
        f"Nothing left to return: after-sales request #{first.id}, after-sales request #{second.id} "
        "name it all"
    )
    [step] = [t for t in engine.order_page(bought, RETAIL).triggers if t.trigger == "request_return"]
    assert not step.allowed and why in step.why_not
    taken = engine.take_step(
        bought, "request_return", RETAIL, lambda _: {"return_reason": "quality", "return_lines": []}
    )
    assert taken.rejected is not None and taken.rejected.refusals == [why]
    assert engine.get_order(bought, RETAIL).state == "delivered"
    engine.fire(second.id, "withdraw", SERVICE)
    page = engine.step_page(bought, "request_return", RETAIL)
    assert page.info is not None and page.info.allowed
    [step] = [t for t in engine.order_page(bought, RETAIL).triggers if t.trigger == "request_return"]
    assert step.allowed
    with_one = engine.step_page(bought, "request_return", RETAIL).info
    assert with_one is not None and not with_one.why_not
