"""The shipped retail web intake form in a real browser: Debian's Chromium, driven by Playwright.

A clerk fills the customer and the address, adds rows to have three order lines, watches the line
amounts and the total follow as they type, ticks "needs invoice" and sees the invoice section appear
without a reload, submits without an invoice title, reads the error beside that field with every value
kept, fixes it and submits again. A screenshot of each step is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import insert

from engine.store import tables
from tests.web.conftest import LiveServer, fill_line, log_in_page, make_app, serve, settings_for

REPO = Path(__file__).resolve().parents[2]
FORM = "/forms/retail/intake-web"
STOCK = [("TEA-01", "SH-01", 50), ("CUP-02", "SH-01", 80), ("POT-03", "BJ-01", 20)]


@pytest.fixture
def shipped_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on a real socket over the shipped definitions (forms/, rules/), with some stock so the
    products option source has SKUs to offer."""
    app = make_app(settings_for(tmp_path, REPO, "form-browser-tests"))
    services = app.extensions["orderloom"]
    with services.store.engine.begin() as connection:
        connection.execute(
            insert(tables.stock),
            [
                {"sku": sku, "warehouse": where, "on_hand": units, "reserved": 0}
                for sku, where, units in STOCK
            ],
        )
    yield from serve(app)


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


def test_a_clerk_fills_the_retail_intake_form_with_three_lines_and_an_invoice(
    page: Page, shipped_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    log_in_page(page, shipped_server)
    page.goto(shipped_server(f"{FORM}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    assert page.get_by_role("heading", level=1).inner_text() == "网站零售下单"
    page.evaluate("window.__sameDocument = true")  # gone if the page were reloaded
    screenshot("1-opened")

    # customer and address, found by their labels
    page.get_by_label("收货人姓名").fill("<script>alert('姓名')</script>王芳")
    page.get_by_label("收货人手机号").fill("13812345678")
    page.get_by_label("金卡会员").check()
    page.get_by_label("省份").select_option("上海市")
    page.get_by_label("城市").fill("上海")
    page.get_by_label("区县").fill("浦东新区")
    page.get_by_label("详细地址").fill("世纪大道100号 8楼")
    page.get_by_label("运费（元）").fill("10")
    page.get_by_label("优惠金额（元）").fill("5")
    screenshot("2-customer-and-address")

    # three order lines: the first is there, two more are added; the new row's first input has focus
    fill_line(page, 0, "TEA-01", "龙井茶", "2", "88")
    expect(page.locator("#f-lines-0-amount")).to_have_value("176.00")
    expect(page.locator("#f-total")).to_have_value("181.00")
    for index in (1, 2):
        page.get_by_role("button", name="＋ 添加一行").click()
        expect(page.locator(f"#f-lines-row-{index}")).to_be_visible()
        expect(page.locator(f"#f-lines-{index}-sku")).to_be_focused()
    assert page.locator("#f-lines-0-name").input_value() == "龙井茶"  # the table was redrawn, values kept
    fill_line(page, 1, "CUP-02", "茶杯", "4", "12.5")
    fill_line(page, 2, "POT-03", "茶壶", "1", "199")
    expect(page.locator("#f-lines-2-amount")).to_have_value("199.00")
    expect(page.locator("#f-total")).to_have_value("430.00")  # 176 + 50 + 199 + 10 - 5
    screenshot("3-three-lines")

    # the total follows as the clerk types, and typing is never interrupted by the swaps
    quantity = page.locator("#f-lines-1-qty")
    quantity.fill("")
    quantity.press_sequentially("12", delay=400)  # slower than the refresh delay: swaps come in between
    expect(page.locator("#f-lines-1-amount")).to_have_value("150.00")
    expect(page.locator("#f-total")).to_have_value("530.00")
    assert quantity.input_value() == "12"
    assert focused_id(page) == "f-lines-1-qty"
    screenshot("4-total-updated")

    # remove a line and add it back
    page.get_by_role("button", name="删除第3行").click()
    expect(page.locator("#f-lines-row-2")).to_have_count(0)
    expect(page.get_by_role("button", name="＋ 添加一行")).to_be_focused()  # not lost to the page
    expect(page.locator("#f-total")).to_have_value("331.00")
    page.get_by_role("button", name="＋ 添加一行").click()
    fill_line(page, 2, "POT-03", "茶壶", "1", "199")
    expect(page.locator("#f-total")).to_have_value("530.00")

    # "needs invoice": the invoice section appears without a reload
    assert page.locator("#f-invoice-title").count() == 0
    page.get_by_label("需要发票").check()
    expect(page.locator("#f-invoice-title")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_role("heading", name="开票信息")).to_be_visible()
    page.get_by_label("个人").check()
    page.get_by_label("买家留言").fill('<b>请</b>周末送货 <img src=x onerror="alert(1)">')
    screenshot("5-invoice-section-shown")

    # submit without an invoice title: the error is beside the field, every value kept
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    title = page.locator("#f-invoice-title")
    expect(page.locator("#form-errors")).to_be_focused()  # the summary is read first
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-invoice-title-error")).to_have_text("请填写发票抬头")
    expect(page.get_by_role("alert")).to_contain_text("请填写发票抬头")
    assert page.locator("#f-customer-name").input_value() == "<script>alert('姓名')</script>王芳"
    assert page.locator("#f-customer-mobile").input_value() == "13812345678"
    assert page.locator("#f-lines-2-name").input_value() == "茶壶"
    assert page.locator("#f-lines-1-qty").input_value() == "12"
    assert page.locator("#f-address-province").input_value() == "上海市"
    assert page.get_by_label("个人").is_checked() and page.get_by_label("需要发票").is_checked()
    expect(page.locator("#f-total")).to_have_value("530.00")
    assert "<img" in page.locator("#f-note").input_value()
    assert page.locator("img").count() == 0 and page.locator("main b").count() == 0
    screenshot("6-error-beside-the-field")

    # the summary link leads to the field
    page.get_by_role("alert").get_by_role("link", name="请填写发票抬头").click()
    expect(title).to_be_focused()
    title.fill("上海某某茶业有限公司")
    screenshot("7-fixed")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="校验通过")).to_be_visible()
    data = page.locator("pre.data").inner_text()
    assert '"title": "上海某某茶业有限公司"' in data and '"total": 530.0' in data
    assert "<script>alert('姓名')</script>王芳" in data
    screenshot("8-success")
    assert dialogs == []  # no script the clerk typed ever ran


def two_lines(page: Page, server: LiveServer) -> None:
    """The retail intake form opened with two order lines filled."""
    log_in_page(page, server)
    page.goto(server(f"{FORM}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    fill_line(page, 0, "TEA-01", "龙井茶", "2", "88")
    page.get_by_role("button", name="＋ 添加一行").click()
    fill_line(page, 1, "CUP-02", "茶杯", "4", "12.5")
    expect(page.locator("#f-lines-1-amount")).to_have_value("50.00")


def test_a_row_button_focused_while_a_refresh_waits_is_not_pressed(
    page: Page, shipped_server: LiveServer
) -> None:
    """A clerk types a quantity and tabs on to a row's remove button, or to the add button, before the
    form's refresh goes out: the refresh still only recomputes. A row is added or removed only by
    pressing its button (htmx sends the last focused button of a form with the form's own requests)."""
    two_lines(page, shipped_server)
    remove, add = page.get_by_role("button", name="删除第2行"), page.get_by_role("button", name="＋ 添加一行")
    for button in (remove, add):
        page.locator("#f-lines-0-qty").fill("3")
        button.focus()  # within the refresh's pause
        expect(page.locator("#f-lines-0-amount")).to_have_value("264.00")
        page.wait_for_timeout(600)
        expect(page.locator("#f-lines tbody tr")).to_have_count(2)
        page.locator("#f-lines-0-qty").fill("2")
        expect(page.locator("#f-lines-0-amount")).to_have_value("176.00")
    assert page.locator("#f-lines-1-name").input_value() == "茶杯"


def test_enter_in_a_field_submits_the_form_and_leaves_the_rows_alone(
    page: Page, shipped_server: LiveServer
) -> None:
    """Enter in a text field submits the form, as its submit button would, rather than pressing the
    first button of the form (the first row's remove button)."""
    two_lines(page, shipped_server)
    page.get_by_label("收货人姓名").fill("王芳")
    page.get_by_label("收货人姓名").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()  # submitted: what is missing is listed
    assert page.locator("#f-lines-0-name").input_value() == "龙井茶"
    assert page.locator("#f-lines-1-name").input_value() == "茶杯"
