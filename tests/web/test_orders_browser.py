"""A clerk creates a retail order and takes its payment, in a real browser (Debian's Chromium).

li.na (a demo login: clerk in retail) logs in, opens the retail web intake page, fills the customer,
the address and three order lines while the total follows, ticks "needs invoice" and sees the invoice
section appear, submits without an invoice title and reads the error beside the field with every value
kept, fixes it and submits: the order's page shows it waiting for payment with its timeline. Then she
fires ``pay`` through its form and sees the state move on. A screenshot of each step is saved under
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, fill_line, log_in_page, retail_app, serve, with_demo_users

REPO = Path(__file__).resolve().parents[2]
NEW = "/orders/new/retail/retail-order/web"
# Every SKU the test orders, in the warehouse routing picks for Shanghai, and one more elsewhere.
STOCK = [("TEA-01", "SH-01", 50), ("CUP-02", "SH-01", 80), ("POT-03", "SH-01", 20), ("POT-03", "BJ-01", 5)]


@pytest.fixture
def retail_server(tmp_path: Path, demo_users_database: Path) -> Iterator[LiveServer]:
    """The app on a real socket over the shipped definitions: the retail workflow published, stock
    seeded, the demo logins added."""
    with_demo_users(tmp_path, demo_users_database)
    yield from serve(retail_app(tmp_path, "orders-browser-tests", stock=STOCK))


def fill_customer_and_address(page: Page) -> None:
    """王芳, her mobile and her Shanghai address, on the retail web intake page in Chinese."""
    page.get_by_label("收货人姓名").fill("王芳")
    page.get_by_label("收货人手机号").fill("13812345678")
    page.get_by_label("省份").select_option("上海市")
    page.get_by_label("城市").fill("上海")
    page.get_by_label("区县").fill("浦东新区")
    page.get_by_label("详细地址").fill("世纪大道100号 8楼")


def test_a_clerk_creates_a_retail_order_and_takes_its_payment(
    page: Page, retail_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, retail_server, "li.na", "li.na-demo")
    page.goto(retail_server(f"{NEW}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    expect(page.locator("header .user")).to_have_text("李娜")
    assert page.get_by_role("heading", level=1).inner_text() == "网站零售下单"
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
    screenshot("1-intake-opened")

    fill_customer_and_address(page)
    page.get_by_label("运费（元）").fill("10")
    page.get_by_label("优惠金额（元）").fill("5")

    # three lines; the total follows as the clerk types (through the order page's own refresh)
    fill_line(page, 0, "TEA-01", "龙井茶", "2", "88")
    expect(page.locator("#f-total")).to_have_value("181.00")
    for index in (1, 2):
        page.get_by_role("button", name="＋ 添加一行").click()
        expect(page.locator(f"#f-lines-{index}-sku")).to_be_focused()
    fill_line(page, 1, "CUP-02", "茶杯", "4", "12.5")
    fill_line(page, 2, "POT-03", "茶壶", "1", "199")
    expect(page.locator("#f-lines-2-amount")).to_have_value("199.00")
    expect(page.locator("#f-total")).to_have_value("430.00")  # 176 + 50 + 199 + 10 - 5
    screenshot("2-three-lines-total")

    # the invoice section appears without a reload
    assert page.locator("#f-invoice-title").count() == 0
    page.get_by_label("需要发票").check()
    expect(page.locator("#f-invoice-title")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    page.get_by_label("个人").check()
    screenshot("3-invoice-section")

    # submitted without an invoice title: the engine refuses, the error is beside the field
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    expect(page.locator("#f-invoice-title-error")).to_have_text("请填写发票抬头")
    expect(page.locator("#form-errors")).to_contain_text("请填写发票抬头")
    assert page.locator("#f-customer-name").input_value() == "王芳"
    assert page.locator("#f-lines-2-name").input_value() == "茶壶"
    assert page.locator("#f-lines-1-qty").input_value() == "4"
    assert page.get_by_label("需要发票").is_checked()
    expect(page.locator("#f-total")).to_have_value("430.00")
    screenshot("4-error-beside-the-field")

    page.locator("#f-invoice-title").fill("王芳")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-state")).to_have_text("待支付")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("创建订单")
    expect(timeline).to_contain_text("李娜")  # by the display name, not the login's
    expect(timeline).not_to_contain_text("li.na")
    details = page.get_by_role("region", name="订单信息")
    expect(details).to_contain_text("龙井茶")
    expect(details).to_contain_text("430.00")
    screenshot("5-order-pending-payment")

    # pay through the payment form
    page.get_by_role("link", name="支付", exact=True).click()
    page.wait_for_url(re.compile(r"/fire/pay"))
    page.get_by_label("微信支付").check()
    page.get_by_label("支付金额（元）").fill("430")
    page.get_by_label("支付流水号").fill("4200000123456789")
    screenshot("6-payment-form")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    expect(page.locator("#order-state")).not_to_have_text("待支付")
    expect(timeline).to_contain_text("已支付")
    screenshot("7-paid")


def test_the_back_button_and_the_same_order_sent_again_create_it_once(
    page: Page, retail_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """The page drawn again by the back button has a new key and what was typed put back by the browser:
    sent again, it creates nothing and names the order it made; "create another anyway" does."""
    log_in_page(page, retail_server, "li.na", "li.na-demo")
    page.goto(retail_server(f"{NEW}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    fill_customer_and_address(page)
    page.get_by_label("运费（元）").fill("10")
    page.get_by_label("优惠金额（元）").fill("0")
    fill_line(page, 0, "TEA-01", "龙井茶", "2", "88")
    expect(page.locator("#f-total")).to_have_value("186.00")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    first = page.url

    page.go_back()
    expect(page.locator("#f-customer-name")).to_have_value("王芳")  # the browser put it back
    page.get_by_role("button", name="提交", exact=True).click()
    notice = page.locator("#same-again")
    expect(notice).to_contain_text("这张订单刚刚已经创建")
    expect(page.locator("#f-lines-0-name")).to_have_value("龙井茶")
    screenshot("1-same-order-again")
    notice.get_by_role("link").click()
    page.wait_for_url(first)  # the order it made: still the only one
    page.go_back()

    page.get_by_role("button", name="仍然新建一单").click()
    page.wait_for_url(re.compile(r"/orders/\d+$"))
    assert page.url != first
    expect(page.locator("#order-state")).to_have_text("待支付")
    page.goto(retail_server("/orders?lang=zh"))
    expect(page.locator("a[href^='/orders/']", has_text="#")).to_have_count(2)
