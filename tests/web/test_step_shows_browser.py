"""In Chromium at 390 px: the warehouse's 退货入库并退款 / Receive return and refund page shows the lines
coming back as cards and the refund due above its button, with no sideways scroll, in Chinese and
English; the button still takes the step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.engine.runtime.test_original_order import ONE_BAND
from tests.test_departments import RETAIL, delivered_retail_order
from tests.web.conftest import LiveServer, add_user, log_in_page, serve, sideways
from tests.web.test_original_order import original_order_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = original_order_app(tmp_path, "step-shows-browser")
    add_user(app, "zhao.lei", "zhao-lei-pass", ("warehouse",), ("retail",))
    yield from serve(app)


def test_the_receipt_of_a_return_shows_what_comes_back_on_a_narrow_screen(
    server: LiveServer, page: Page, screenshot: Callable[[str], Path]
) -> None:
    engine = server.app.extensions["orderloom"].engine
    bought = int(delivered_retail_order(engine, engine.clock))
    engine.fire(bought, "request_return", RETAIL, {**ONE_BAND, "refund_amount": 239})
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "zhao.lei", "zhao-lei-pass")
    for lang, coming, sku, refund in (
        ("en", "Items coming back", "SKU", "Refund due on the return (CNY)"),
        ("zh", "待退回商品", "商品编码", "待退款金额（元）"),
    ):
        page.goto(server(f"/orders/{bought}/fire/receive_return?lang={lang}"))
        shows = page.locator("#step-shows")
        expect(shows).to_contain_text(coming)
        expect(shows).to_contain_text(refund)
        expect(shows.locator("dd", has_text="239.00")).to_have_count(1)
        cell = shows.locator(f"td[data-label='{sku}']")
        expect(cell).to_have_text("XM-BAND8")
        expect(cell).to_be_visible()
        assert sideways(page) == 0, lang
        screenshot(lang)
    page.locator("main button.primary[type=submit]").click()
    page.wait_for_url(lambda url: "/fire/" not in url)
    expect(page.locator("#order-state")).to_contain_text("部分退货")
    assert sideways(page) == 0
