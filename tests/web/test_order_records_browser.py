"""The order's records in Debian's Chromium at 390 px: a payment captured and partly refunded, a split
order's shipments shipped and delivered, from their own small forms on the order's page, nothing
scrolling sideways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.runtime import Actor
from tests.test_departments import retail_data
from tests.web.conftest import LiveServer, log_in_page, retail_app, serve, sideways, with_demo_users
from web.formdata import CHINA_TIME

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


def open_narrow(page: Page, served: tuple[LiveServer, int], lang: str) -> None:
    """The clerk li.na on the order's page at 390 px, in ``lang``."""
    server, order_id = served
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, "li.na", "li.na-demo")
    page.goto(server(f"/orders/{order_id}?lang={lang}"))


def test_a_payment_is_captured_and_partly_refunded_on_a_narrow_screen(
    page: Page, served: tuple[LiveServer, int]
) -> None:
    open_narrow(page, served, "zh")
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
    expect(payment.locator(".chip")).to_have_text("部分退款")  # not 已收款: a part went back
    expect(page.locator("#timeline")).to_contain_text("支付：退款 #1")
    assert sideways(page) == 0


@pytest.mark.parametrize(
    ("lang", "ask", "confirm", "voided", "held"),
    [
        ("zh", "撤销授权…", "确认撤销授权", "已撤销授权", "仅授权（稍后收款）"),
        ("en", "Void…", "Confirm: Void", "Voided", "Authorize only (capture later)"),
    ],
)
def test_a_void_is_asked_to_be_confirmed_on_a_narrow_screen(
    page: Page, served: tuple[LiveServer, int], lang: str, ask: str, confirm: str, voided: str, held: str
) -> None:
    open_narrow(page, served, lang)
    payment = page.locator("#record-payment-1")
    expect(payment.get_by_role("button", name=confirm)).to_be_hidden()  # not one click away
    payment.get_by_text(ask, exact=True).click()
    expect(payment.locator("details.confirm p")).to_be_visible()
    assert sideways(page) == 0
    payment.get_by_role("button", name=confirm).click()
    page.wait_for_load_state()
    expect(page.locator("#record-payment-1 .chip")).to_have_text(voided)
    expect(page.locator("section[aria-labelledby=data-heading]")).not_to_contain_text(held)
    assert sideways(page) == 0


@pytest.fixture
def split(tmp_path: Path, demo_users_database: Path) -> Iterator[tuple[LiveServer, int]]:
    """The app with one paid retail order of 3 bands, which no warehouse holds alone: SH-01 ships 2 and
    BJ-01 ships 1, one shipment record each."""
    with_demo_users(tmp_path, demo_users_database)
    stock = [("XM-BAND8", "SH-01", 2), ("XM-BAND8", "BJ-01", 2)]
    app = retail_app(tmp_path, "shipments-browser-tests", stock=stock)
    engine = app.extensions["orderloom"].engine
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 3, "unit_price": 239, "amount": 717}]
    order = engine.create_order(LI_NA, "retail", "retail-order", "web", retail_data(lines=lines, total=717))
    engine.fire(order.id, "pay", LI_NA, {"method": "alipay", "amount": 717, "transaction_ref": "2026000002"})
    for server in serve(app):
        yield server, order.id


def test_each_shipment_is_shipped_and_delivered_from_the_order_page_on_a_narrow_screen(
    page: Page, split: tuple[LiveServer, int]
) -> None:
    """The warehouse ships Shanghai's parcel (zh), then Beijing's (en), the carrier routing chose filled
    in; the order is shipped once both left and delivered once both arrived; nothing scrolls sideways."""
    server, order_id = split
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, "zhao.lei", "zhao.lei-demo")
    page.goto(server(f"/orders/{order_id}?lang=zh"))
    expect(page.locator("#order-state")).to_have_text("待发货")
    first, second = page.locator("#record-shipment-1"), page.locator("#record-shipment-2")
    expect(first.locator("h3")).to_contain_text("发货单 #1")
    expect(first).to_contain_text("上海仓")
    expect(second).to_contain_text("北京仓")
    expect(second.locator(".chip")).to_have_text("待发货")
    assert first.locator('select[name="carrier"]').input_value() != ""  # routing's carrier, filled in
    assert sideways(page) == 0
    first.locator('input[name="waybill"]').fill("SF1234567890")
    first.get_by_role("button", name="发货", exact=True).click()
    expect(page.locator("#record-shipment-1 .chip")).to_have_text("已发货")
    expect(page.locator("#order-state")).to_have_text("待发货")  # Beijing's parcel has not left
    expect(page.locator("#record-shipment-1")).to_contain_text("SF1234567890")

    page.goto(server(f"/orders/{order_id}?lang=en"))
    second = page.locator("#record-shipment-2")
    expect(second.locator("h3")).to_contain_text("Shipment #2")
    second.get_by_role("button", name="Ship", exact=True).click()
    expect(page.locator("#record-shipment-2 .chip")).to_have_text("Shipped")
    expect(page.locator("#order-state")).to_have_text("Shipped")
    assert sideways(page) == 0
    for number in (1, 2):
        shipment = page.locator(f"#record-shipment-{number}")
        arrived = shipment.locator('input[name="delivered_at"]')
        if number == 1:  # the picker starts at now, in China time: sent as it is
            assert arrived.input_value() != ""
        else:
            arrived.fill(datetime.now(CHINA_TIME).strftime("%Y-%m-%dT%H:%M"))
        shipment.get_by_role("button", name="Deliver", exact=True).click()
        expect(page.locator(f"#record-shipment-{number} .chip")).to_have_text("Delivered")
    expect(page.locator("#order-state")).to_have_text("Delivered")
    assert sideways(page) == 0
