"""The order list on a phone, in a real browser (Debian's Chromium) at 390 px: a clerk finds an order by
the last 4 digits of the customer's mobile, and neither the list nor the results scroll sideways.
Screenshots of each step are saved under test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    LiveServer,
    add_user,
    log_in,
    log_in_page,
    retail_app,
    serve,
    sideways,
)
from tests.web.test_orders import create

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def listed_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The retail workflow published, two orders taken by li.na (clerk, service): 王芳's mobile ends
    5678, 李雷's 1234."""
    app = retail_app(tmp_path, "orders-list-browser-tests")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    for name, mobile in (("王芳", "13812345678"), ("李雷", "13900001234")):
        create(clerk, **{"customer.name": name, "customer.mobile": mobile})
    yield from serve(app)


def test_a_clerk_finds_an_order_by_the_last_4_digits_of_the_mobile_at_390_px(
    page: Page, listed_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    page.set_viewport_size(PHONE)
    log_in_page(page, listed_server, "li.na", "li.na-demo")
    page.goto(listed_server("/orders?lang=zh"))
    expect(page.locator("#order-list tbody tr")).to_have_count(2)
    assert sideways(page) == 0
    screenshot("1-list")

    page.get_by_label("搜索").fill("５６７８")  # full-width, as an input method types it
    page.get_by_label("搜索").press("Enter")
    page.wait_for_url(lambda url: "q=" in url)
    rows = page.locator("#order-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td.matched")).to_have_text("手机尾号 5678")
    expect(page.get_by_label("搜索")).to_have_value("５６７８")
    assert sideways(page) == 0
    screenshot("2-found-by-the-last-4-digits")

    # a filter that cannot be read is said beside its field, the list shown without it; no sideways scroll
    page.get_by_label("搜索").fill("")
    page.get_by_label("金额不低于（元）").fill("-5")
    page.get_by_role("button", name="查看").click()
    expect(page.locator("#f-amount_from-error")).to_contain_text("超出范围")
    expect(page.get_by_label("金额不低于（元）")).to_have_value("-5")
    expect(page.locator("#order-list tbody tr")).to_have_count(2)
    assert sideways(page) == 0
    screenshot("3-a-bad-amount-beside-its-field")
