"""The order page, the step page and the new order's page read on a phone, 390 px wide, in Debian's
Chromium, in Chinese and English; a reviewer reads why a held retail order is held; and switching
language on an order's form pages keeps what was typed: with scripts through the header's language
link (orders-lang.js sends the form to be drawn again), without them through the form's own language
button, nothing created or fired on the way.

Over the shipped retail workflow and the demo logins: an order of 5,128 yuan paid and held by the
audit (its page: the data with its tables, the timeline with the decision), an unpaid order (its page
with the running timer; its pay page with the form), and the pay page refusing an overpayment beside
its amount (a part payment is taken). On none is the document wider than the window, and nothing a
person reads or uses lies beyond its edges (``OUTSIDE``, as the studio's narrow test measures it): the
data's tables read as cards. A screenshot of each page goes to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import (
    SCREENSHOTS,
    LiveServer,
    fill_line,
    log_in,
    log_in_page,
    retail_app,
    serve,
    with_demo_users,
)
from tests.web.held_order import held_order
from tests.web.test_orders import NEW, create
from tests.web.test_orders_browser import fill_customer_and_address
from tests.web.test_studio_narrow_browser import OUTSIDE, WIDTH


@pytest.fixture
def server(tmp_path: Path, demo_users_database: Path) -> Iterator[LiveServer]:
    with_demo_users(tmp_path, demo_users_database)
    yield from serve(retail_app(tmp_path, "orders-narrow-tests"))


def wide(page: Page) -> tuple[int, list[str]]:
    return page.evaluate("() => document.documentElement.scrollWidth"), page.evaluate(OUTSIDE)


def test_the_order_and_step_pages_read_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    held = held_order(clerk)
    unpaid = create(clerk)
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "li.na", "li.na-demo")
    problems: list[str] = []
    for lang in ("zh", "en"):
        for name, path in (
            ("held", f"/orders/{held}"),
            ("unpaid", f"/orders/{unpaid}"),
            ("pay", f"/orders/{unpaid}/fire/pay"),
            ("intake", NEW),  # the new order's form, its lines a table of inputs that reads as cards
        ):
            page.goto(server(f"{path}?lang={lang}"))
            width, outside = wide(page)
            screenshot(f"{name}-{lang}")
            if width > WIDTH or outside:
                problems.append(f"{name} {lang}: {width} px wide; {outside}")
        # a refusal beside the amount, the form filled again: no wider either
        page.goto(server(f"/orders/{unpaid}/fire/pay?lang={lang}"))
        page.locator("#f-method input[value=alipay]").check()
        page.locator("#f-amount").fill("1000")  # more than the 186 yuan due
        page.locator("#f-transaction_ref").fill("2026000002")
        page.locator("form.of-form button.primary").click()
        page.wait_for_load_state()
        refused = page.locator("#f-amount-error")  # the guard read out: the amount typed, the total
        expect(refused).to_contain_text("1,000.00")
        expect(refused).to_contain_text("186.00")
        width, outside = wide(page)
        screenshot(f"pay-refused-{lang}")
        if width > WIDTH or outside:
            problems.append(f"pay refused {lang}: {width} px wide; {outside}")
    assert not problems, "\n".join(problems)
    # the data's tables read as cards: each cell names its column
    page.goto(server(f"/orders/{held}?lang=zh"))
    cell = page.locator("table.cards td[data-label='商品名称']").first
    expect(cell).to_have_text("龙井茶")
    assert (
        page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle())
        == '"商品名称"'
    )


def test_a_reviewer_reads_why_a_held_retail_order_is_held(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    held = held_order(clerk)
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "wang.qiang", "wang.qiang-demo")
    page.goto(server(f"/orders/{held}?lang=zh"))
    expect(page.locator("#order-state")).to_have_text("挂起待审")
    review = page.locator("#timeline > li").filter(has_text="审核 ·")
    expect(review).to_contain_text("挂起待审：订单金额超过5000元 — 5,128.00 > 5,000")
    expect(page.locator("#timeline")).to_contain_text("李娜")
    review.scroll_into_view_if_needed()
    screenshot("held-why-zh")
    page.goto(server(f"/orders/{held}?lang=en"))
    review = page.locator("#timeline > li").filter(has_text="Review ·")
    expect(review).to_contain_text("on hold: Amount over 5000 CNY — 5,128.00 > 5,000")
    expect(page.get_by_role("link", name="Approve")).to_be_visible()
    review.scroll_into_view_if_needed()
    screenshot("held-why-en")


def test_the_header_language_link_keeps_what_was_typed(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, server, "li.na", "li.na-demo")
    page.goto(server(f"{NEW}?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    fill_customer_and_address(page)
    fill_line(page, 0, "TEA-01", "龙井茶", "2", "88")
    page.locator("header a.lang").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("#f-customer-name").input_value() == "王芳"
    assert page.locator("#f-lines-0-qty").input_value() == "2"
    assert page.get_by_label("Province").input_value() == "上海市"
    screenshot("intake-en-kept")
    # the step's page: the amount changed from what the order knows, then the language
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    order_id = create(clerk)
    page.goto(server(f"/orders/{order_id}/fire/pay?lang=en"))
    page.locator("#f-amount").fill("190")
    page.locator("#f-transaction_ref").fill("WX-20261207")
    page.locator("header a.lang").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.locator("#f-transaction_ref").input_value() == "WX-20261207"
    assert page.locator("#f-amount").input_value() == "190.00"
    screenshot("pay-zh-kept")
    page.goto(server(f"/orders/{order_id}"))
    expect(page.locator("#order-state")).to_have_text("待支付")  # nothing fired
    # Enter in a field still submits the form (the language button comes after the submit button)
    page.goto(server(f"/orders/{order_id}/fire/pay?lang=zh"))
    expect(page.locator("#f-amount")).to_have_value("186.00")  # the amount due, from the order
    page.locator("#f-method input[value=wechat_pay]").check()
    page.locator("#f-transaction_ref").fill("WX-20261207")
    page.locator("#f-transaction_ref").press("Enter")
    page.wait_for_url(re.compile(rf"/orders/{order_id}$"))
    expect(page.locator("#order-state")).not_to_have_text("待支付")


def test_without_scripts_the_forms_language_button_keeps_what_was_typed(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        log_in_page(page, server, "li.na", "li.na-demo")
        page.goto(server(f"{NEW}?lang=en"))
        page.locator("#f-customer-name").fill("赵六")
        page.locator("#f-lines-0-qty").fill("5")
        page.locator("form#order-form button[name=_relang]").click()
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        assert page.locator("#f-customer-name").input_value() == "赵六"
        assert page.locator("#f-lines-0-qty").input_value() == "5"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "no-script-intake-zh.png"), full_page=True)
    finally:
        context.close()


SEEN_WITHOUT_SCROLLING = """(selector) => {
  const box = document.querySelector(selector).getBoundingClientRect();
  return window.scrollY === 0 && box.top >= 0
    && box.bottom <= window.innerHeight && box.right <= window.innerWidth;
}"""


def test_why_a_held_order_is_held_is_read_without_scrolling_on_a_phone(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """The clerk opens a held order at 390 px: why it is held and who acts next are on the first
    screen, under its state, in both languages; the queue it waits in is one tap away."""
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    held = held_order(clerk)
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "li.na", "li.na-demo")
    for lang, said in (
        ("zh", "订单金额超过5000元 — 5,128.00 > 5,000"),
        ("en", "Amount over 5000 CNY — 5,128.00 > 5,000"),
    ):
        page.goto(server(f"/orders/{held}?lang={lang}"))
        expect(page.locator("#why-here")).to_contain_text(said)
        for element in ("#why-here", "#next-here"):
            assert page.evaluate(SEEN_WITHOUT_SCROLLING, element), (
                f"{element} is not on the first screen ({lang})"
            )
        width, outside = wide(page)
        assert width <= WIDTH and not outside, outside
        screenshot(f"why-here-{lang}")
    page.locator("#next-here a").click()
    page.wait_for_url(re.compile(r"/work/queues/retail/risk-review"))
    expect(page.locator("#queue-orders")).to_contain_text(f"#{held}")
