"""The order's payment records in Debian's Chromium at 390 px: captured and partly refunded from their
own small forms on the order's page, nothing scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.runtime import Actor
from tests.test_departments import retail_data
from tests.web.conftest import LiveServer, log_in_page, retail_app, serve, sideways, with_demo_users

LI_NA = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))


@pytest.fixture
def served(tmp_path: Path, demo_users_database: Path) -> Iterator[tuple[LiveServer, int]]:
    """The app with one retail order whose 478 yuan payment is only authorized."""
    with_demo_users(tmp_path, demo_users_database)
    app = retail_app(tmp_path, "records-browser-tests", stock=[("XM-BAND8", "SH-01", 50)])
    engine = app.extensions["orderloom"].engine
    order = engine.create_order(
        LI_NA, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    payment = {"method": "alipay", "amount": 478, "transaction_ref": "2026000001", "authorize_only": True}
    engine.fire(order.id, "pay", LI_NA, payment)
    for server in serve(app):
        yield server, order.id


def test_a_payment_is_captured_and_partly_refunded_on_a_narrow_screen(
    page: Page, served: tuple[LiveServer, int]
) -> None:
    server, order_id = served
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, "li.na", "li.na-demo")
    page.goto(server(f"/orders/{order_id}?lang=zh"))
    payment = page.locator("#record-payment-1")
    expect(payment.locator("h3")).to_contain_text("支付 #1")
    expect(payment.locator(".chip")).to_have_text("已授权")
    assert sideways(page) == 0
    payment.get_by_role("button", name="收款").click()
    page.wait_for_load_state()
    expect(page.locator("#record-payment-1 .chip")).to_have_text("已收款")
    expect(page.locator("#order-state")).to_have_text("待发货")  # paid by itself, then approved
    payment = page.locator("#record-payment-1")
    payment.get_by_label("退款金额（元）").fill("50")
    payment.get_by_label("退款原因").fill("少发一件赠品")
    payment.get_by_role("button", name="退款").click()
    page.wait_for_load_state()
    payment = page.locator("#record-payment-1")
    expect(payment).to_contain_text("少发一件赠品")
    expect(payment.locator(".chip")).to_have_text("已收款")
    expect(page.locator("#timeline")).to_contain_text("支付：退款 #1")
    assert sideways(page) == 0
