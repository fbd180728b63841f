"""A reviewer releases three held orders in one batch with the keyboard only, in a real browser
(Debian's Chromium), at 390 px and on a desk's screen: the list filtered to held retail orders, j and x
to select three, a to take the first step, Enter to confirm; the results come a row per order, the
progress bar follows them. ? lists the keys. Screenshots under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api import Actor
from tests.web.conftest import (
    LiveServer,
    add_user,
    log_in,
    log_in_page,
    retail_app,
    serve,
    sideways,
)
from tests.web.test_batch import batch_app, paid
from tests.web.test_orders import create

STOCK = [("TEA-01", "SH-01", 500), ("CUP-02", "SH-01", 800)]
CLERK = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))


@pytest.fixture
def held_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The retail workflow published; four orders over 5,000 yuan paid, so the audit holds them."""
    app = retail_app(tmp_path, "batch-browser-tests", stock=STOCK)
    services = app.extensions["orderloom"]
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "wang.qiang", "wang.qiang-demo", ("reviewer",), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    for n in range(4):
        order_id = create(clerk, **{"lines[0].qty": "10", "lines[0].unit_price": "600", "note": f"大单 {n}"})
        data = {"method": "alipay", "amount": 6010, "transaction_ref": f"20261207{n:04d}"}
        services.engine.fire(order_id, "pay", CLERK, data)
        assert services.engine.get_order(order_id, CLERK).state == "on_hold"
    yield from serve(app)


@pytest.mark.parametrize("width", [390, 1280])
def test_a_reviewer_releases_three_held_orders_with_the_keyboard_only(
    page: Page, held_server: LiveServer, screenshot: Callable[[str], Path], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    log_in_page(page, held_server, "wang.qiang", "wang.qiang-demo")
    page.goto(held_server("/orders?workflow=retail-order&state=on_hold&lang=zh"))
    rows = page.locator("#order-list tbody tr")
    expect(rows).to_have_count(4)
    assert sideways(page) == 0
    page.locator("body").click(position={"x": 1, "y": 1})  # nothing focused: the keys are the page's

    page.keyboard.press("?")
    expect(page.locator("#keys-help")).to_be_visible()
    expect(page.locator("#keys-help")).to_contain_text("对选中的订单执行「审核通过」")
    screenshot("1-the-keys")
    page.keyboard.press("Escape")
    expect(page.locator("#keys-help")).to_be_hidden()

    for _ in range(3):  # the first three orders: down, select
        page.keyboard.press("j")
        page.keyboard.press("x")
    checked = page.locator("#order-list input[data-key-select]:checked")
    expect(checked).to_have_count(3)
    focused = page.evaluate("() => document.activeElement.closest('[data-key-row]') !== null")
    assert focused  # the focus stays on the order it is at, and shows
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    screenshot("2-three-selected")

    page.keyboard.press("a")  # the first step of the batch: 审核通过 (release)
    page.wait_for_url(lambda url: "/orders/batch" in url)
    expect(page.locator("#batch-taken li")).to_have_count(3)
    assert sideways(page) == 0
    screenshot("3-the-batch")
    page.keyboard.press("Enter")  # the confirm button has the focus
    expect(page.locator("#batch-summary")).to_contain_text("完成 3 个，未执行 0 个")
    expect(page.locator("#batch-results tbody tr.done")).to_have_count(3)
    expect(page.locator("#batch-progress")).to_have_attribute("max", "3")
    assert page.evaluate("() => document.getElementById('batch-progress').value") == 3
    assert sideways(page) == 0
    screenshot("4-done")

    page.goto(held_server("/orders?workflow=retail-order&state=on_hold&lang=zh"))
    expect(page.locator("#order-list tbody tr")).to_have_count(1)  # the fourth, not selected, still held


def test_keys_typed_into_the_search_box_are_the_boxs(page: Page, held_server: LiveServer) -> None:
    log_in_page(page, held_server, "wang.qiang", "wang.qiang-demo")
    page.goto(held_server("/orders?workflow=retail-order&state=on_hold&lang=en"))
    page.locator("body").click(position={"x": 1, "y": 1})
    page.keyboard.press("/")
    search = page.locator("#f-q")
    expect(search).to_be_focused()
    page.keyboard.type("jxa?")
    expect(search).to_have_value("jxa?")
    expect(page.locator("#order-list input[data-key-select]:checked")).to_have_count(0)
    expect(page.locator("#keys-help")).to_be_hidden()


@pytest.fixture
def shipping_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The retail workflow published; three orders paid, pending shipment, a shipment record each."""
    app = batch_app(tmp_path, "batch-ship-browser-tests")
    paid(app, log_in(app.test_client(), "li.na", "li.na-demo"), 3)
    yield from serve(app)


SHIPPING_WORDS = {  # the step's button, the summary, the orders' state after it
    "zh": ("批量发货单：发货", "完成 3 个，未执行 0 个", "已发货"),
    "en": ("Selected: Shipment: Ship", "3 done, 0 refused", "Shipped"),
}


@pytest.mark.parametrize("lang", sorted(SHIPPING_WORDS))
def test_the_warehouse_ships_three_orders_in_one_batch_on_a_narrow_screen(
    page: Page, shipping_server: LiveServer, lang: str
) -> None:
    """The list of orders pending shipment: all three ticked, the shipments' ship, one carrier chosen;
    a result row per order, every order shipped; nothing scrolls sideways at 390 px."""
    step, done, shipped = SHIPPING_WORDS[lang]
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, shipping_server, "zhou.qiang", "zhou.qiang-demo")
    page.goto(shipping_server(f"/orders?workflow=retail-order&state=pending_shipment&lang={lang}"))
    expect(page.locator("#order-list tbody tr")).to_have_count(3)
    assert sideways(page) == 0
    for box in page.locator('#order-list input[name="o"]').all():
        box.check()
    button = page.locator('[id="batch-step-shipment.ship"]')
    expect(button).to_have_text(step)
    button.click()
    page.wait_for_url(lambda url: "/orders/batch" in url)
    expect(page.locator("#batch-taken li")).to_have_count(3)
    page.locator('select[name="carrier"]').select_option("sf")
    assert sideways(page) == 0
    page.locator('form button[type="submit"].primary').first.click()
    expect(page.locator("#batch-summary")).to_contain_text(done)
    expect(page.locator("#batch-results tbody tr.done")).to_have_count(3)
    assert sideways(page) == 0
    page.goto(shipping_server(f"/orders?workflow=retail-order&state=shipped&lang={lang}"))
    expect(page.locator("#order-list tbody tr")).to_have_count(3)
    expect(page.locator("#order-list tbody tr").first).to_contain_text(shipped)


@pytest.mark.parametrize("lang", sorted(SHIPPING_WORDS))
def test_the_warehouse_ships_from_my_work_on_a_narrow_screen(
    page: Page, shipping_server: LiveServer, lang: str
) -> None:
    """My work at 390 px: the orders pending shipment ticked under their bar, the shipments' ship, a
    form with the carrier and no waybill box (each parcel's own), then back to my work, nothing left to
    ship; nothing scrolls sideways."""
    step, done, _ = SHIPPING_WORDS[lang]
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, shipping_server, "zhou.qiang", "zhou.qiang-demo")
    page.goto(shipping_server(f"/work?lang={lang}"))
    boxes = page.locator('.work-list input[name="o"]')
    expect(boxes).to_have_count(3)
    assert sideways(page) == 0
    for box in boxes.all():
        box.check()
    page.locator('.batch-bar button[value="shipment.ship"]').click()
    page.wait_for_url(lambda url: "/orders/batch" in url)
    expect(page.locator("#batch-taken li")).to_have_count(3)
    expect(page.locator('[name="waybill"]')).to_have_count(0)
    page.locator('select[name="carrier"]').select_option("jd")
    assert sideways(page) == 0
    page.locator('form button[type="submit"].primary').first.click()
    expect(page.locator("#batch-summary")).to_contain_text(done)
    assert sideways(page) == 0
    page.locator("#batch-back").click()
    page.wait_for_url(lambda url: "/work" in url)
    expect(page.locator('.batch-bar button[value="shipment.ship"]')).to_have_count(0)
    expect(page.locator(f"text={step}")).to_have_count(0)
