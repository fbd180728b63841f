"""In Chromium at 390 px: the retail clerk's return form, of an order an after-sales request names one
of its two bands back, offers the other band alone and takes its return; the order's payments say what
the request paid back; no sideways scroll, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_departments import (
    SERVICE,
    delivered_retail_order,
    pay_refund,
    request_data,
    returned_and_inspected,
)
from tests.web.conftest import LiveServer, log_in_page, serve, sideways
from tests.web.test_departments_browser import choose
from tests.web.test_original_order import original_order_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(original_order_app(tmp_path, "original-order-retail-browser"))


def test_the_return_form_and_the_payments_beside_an_after_sales_request_on_a_narrow_screen(
    server: LiveServer, page: Page
) -> None:
    engine = server.app.extensions["orderloom"].engine
    bought = delivered_retail_order(engine, engine.clock)
    taken = returned_and_inspected(engine, engine.clock, original_order_no=bought)
    pay_refund(engine, taken)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "li.na", "li-na-pass")

    for lang, words in (("en", "239.00 CNY refunded by after-sales"), ("zh", "售后已退 239.00")):
        page.goto(server(f"/orders/{bought}?lang={lang}"))
        # inside the payment's card, beside its own Refunded, not below it
        expect(page.locator("#record-payment-1 #records-about-refunded")).to_contain_text(words)
        assert sideways(page) == 0, lang

    for lang in ("en", "zh"):  # the Chinese form is the one sent
        page.goto(server(f"/orders/{bought}/fire/request_return?lang={lang}"))
        expect(page.locator("input[name='return_lines[0].sku']")).to_have_value("XM-BAND8")
        expect(page.locator("input[name='return_lines[0].qty']")).to_have_value("1")
        expect(page.locator("input[name='return_lines[1].sku']")).to_have_count(0)
        assert sideways(page) == 0, lang
    choose(page, "return_reason", "quality")
    page.locator("main button.primary[type=submit]").click()
    page.wait_for_url(lambda url: "/fire/" not in url)
    expect(page.locator("#order-state")).to_contain_text("退货中")
    assert sideways(page) == 0


def test_a_return_the_requests_leave_nothing_to_says_why_on_a_narrow_screen(
    server: LiveServer, page: Page
) -> None:
    """Two requests name both bands back: the return's page says so by their numbers, with no form, in
    both languages, at 390 px with no sideways scroll."""
    engine = server.app.extensions["orderloom"].engine
    bought = delivered_retail_order(engine, engine.clock)
    asked = request_data(engine.clock, original_order_no=bought)
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", asked)
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", asked)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "li.na", "li-na-pass")
    for lang, words in (
        ("zh", f"没有可退商品：售后申请 #{first.id}、售后申请 #{second.id} 已申请全部商品"),
        ("en", f"Nothing left to return: after-sales request #{first.id}, after-sales request #{second.id}"),
    ):
        page.goto(server(f"/orders/{bought}/fire/request_return?lang={lang}"))
        expect(page.locator("#form-errors")).to_contain_text(words)
        expect(page.locator("input[name^='return_lines']")).to_have_count(0)
        assert sideways(page) == 0, lang
