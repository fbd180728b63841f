"""My work's after-sales rows on a phone, 390 px wide, in Debian's Chromium: the customer, the kind, the
refund asked and the original order beside each request (a long customer name included), and why the
rules held one, in both languages; no page wider than the window. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.clock import FrozenClock
from tests.web.conftest import LiveServer, log_in_page, serve
from tests.web.test_original_order import original_order_app
from tests.web.test_workspace_browser import WIDTH, no_sideways_scroll
from tests.web.test_workspace_rows import requested


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    yield from serve(original_order_app(tmp_path, "work-rows-browser", clock))


def test_after_sales_rows_at_390_px(
    server: LiveServer, page: Page, screenshot: Callable[[str], Path]
) -> None:
    engine = server.app.extensions["orderloom"].engine
    clock = engine.clock
    long_name = "欧阳" + "娜" * 48  # the longest name the form takes, in one unbroken run
    bought, taken = requested(engine, clock, customer={"name": long_name, "mobile": "13812345678"})
    _, held = requested(engine, clock, item_condition="used")
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "huang.fang", "huang-fang-pass")
    for lang, words in (
        ("zh", ("退货", "申请退款 ¥239.00", f"原订单 #{bought}")),
        ("en", ("Return", "Refund asked ¥239.00", f"Original order #{bought}")),
    ):
        page.goto(server(f"/work?lang={lang}"))
        row = page.locator(f'.work-item[data-order="{taken.id}"] .work-what')
        expect(row).to_contain_text(long_name)
        for said in words:
            expect(row).to_contain_text(said)
        reason = (
            "已使用商品退货需人工审核"
            if lang == "zh"
            else "Returning a used item needs a person to review it"
        )
        expect(page.locator(f'.work-item[data-order="{held.id}"] .work-held')).to_contain_text(reason)
        no_sideways_scroll(page)
        screenshot(f"after-sales-rows-{lang}")
