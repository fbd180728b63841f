"""In Chromium at 390 px: the after-sales desk types the retail order's number and the intake fills the
customer, mobile, address, items and delivery time from it (htmx, once the field is left), the retail
order summarized beside, with no sideways scroll; a number the retail department has no order of is said
beside the field, in English too; the filled request is then taken as typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.test_departments import delivered_retail_order
from tests.web.conftest import LiveServer, log_in_page, serve, sideways
from tests.web.test_departments_browser import choose
from tests.web.test_original_order import original_order_app

NEW = "/orders/new/after_sales/after-sales-request/web"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(original_order_app(tmp_path, "original-order-browser"))


def test_the_intake_fills_from_the_retail_order_on_a_narrow_screen(server: LiveServer, page: Page) -> None:
    engine = server.app.extensions["orderloom"].engine
    bought = delivered_retail_order(engine, engine.clock)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "huang.fang", "huang-fang-pass")

    page.goto(server(f"{NEW}?lang=en"))
    page.wait_for_function("typeof htmx === 'object'")
    page.locator("#f-original_order_no").fill(str(int(bought) + 40))
    page.locator("#f-original_order_no").press("Tab")
    expect(page.locator("#order-form .error")).to_contain_text(
        f"the Retail department has no order {int(bought) + 40}"
    )
    expect(page.locator("#original-order")).to_have_count(0)
    assert sideways(page) == 0

    page.goto(server(f"{NEW}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    page.locator("#f-original_order_no").fill(bought)
    page.locator("#f-original_order_no").press("Enter")  # fills, as leaving the field does: not a submit
    expect(page.locator("#filled-from")).to_contain_text(f"已从原订单 #{bought} 填入")
    expect(page.locator("#f-customer-name")).to_have_value("张伟")
    expect(page.locator("#f-customer-mobile")).to_have_value("13812345678")
    expect(page.locator("#f-address-district")).to_have_value("浦东新区")
    expect(page.locator("#f-lines-0-qty")).to_have_value("2")
    expect(page.locator("#original-order")).to_contain_text("138****5678")
    expect(page.locator("#original-order")).to_contain_text("XM-BAND8 · 小米手环8")
    assert sideways(page) == 0

    # the clerk changes what was filled: one band back, not two
    page.locator("#f-lines-0-qty").fill("1")
    choose(page, "type", "return")
    choose(page, "reason_code", "no_reason")
    choose(page, "item_condition", "unopened")
    choose(page, "return_warehouse", "SH-01")
    expect(page.locator("#f-refund_amount")).to_be_visible()
    page.locator("#f-refund_amount").fill("239")
    page.locator("main button.primary[type=submit]").click()
    page.wait_for_url(lambda url: "/orders/new" not in url)
    expect(page.locator("#form-errors")).to_have_count(0)
    expect(page.locator("#original-order")).to_contain_text(f"零售订单 #{bought}")
    assert sideways(page) == 0
