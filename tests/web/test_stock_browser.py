"""The stock pages at 390 px in Debian's Chromium: the warehouse keeper receives, transfers and counts
from the pages, and no stock page scrolls sideways, in Chinese or in English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api.stock import ledger_sums, receive_stock, set_safety_stock, stock_levels
from tests.web.conftest import (
    DEFS,
    LiveServer,
    add_user,
    log_in_page,
    make_app,
    serve,
    settings_for,
    sideways,
)

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, DEFS, "stock-browser-tests"))
    add_user(app, "zhao", "zhao-password", ("warehouse",), ("*",))
    add_user(app, "qian", "qian-password", ("purchaser",), ("*",))
    store = app.extensions["orderloom"].store
    for sku, warehouse, units in (
        ("XM-BAND8", "SH-01", 20),
        ("XM-BAND8", "GZ-01", 4),
        ("LX-Y9000P-32G-2TB-RTX4070", "CD-01", 3),  # a long sku in a narrow card
    ):
        receive_stock(
            store,
            "zhao",
            sku,
            warehouse,
            units,
            AT,
            new=True,
            note="期初入库：供应商送货单 DN-2026-1201-000123",
        )
    set_safety_stock(store, "XM-BAND8", "GZ-01", 10)
    yield from serve(app)


def test_the_warehouse_works_its_stock_at_390_px_and_no_page_scrolls_sideways(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "zhao", "zhao-password")
    page.goto(server("/stock?lang=zh"))
    page.click("#stock-link")
    expect(page.locator("#stock-levels")).to_contain_text("低于安全库存")
    # receive, from the form
    page.goto(server("/stock/receive"))
    page.fill("#s-sku", "XM-BAND8")
    page.select_option("#s-warehouse", "SH-01")
    page.fill("#s-qty", "5")
    page.dblclick("#stock-receive button[type=submit]")  # a double click is one receipt
    expect(page.locator("p.notice")).to_have_text("已入库")
    # a transfer, then its receipt
    page.goto(server("/stock/transfers"))
    page.fill("#s-sku", "XM-BAND8")
    page.select_option("#s-source", "SH-01")
    page.select_option("#s-dest", "GZ-01")
    page.fill("#s-qty", "8")
    page.click("#stock-transfer button[type=submit]")
    expect(page.locator("#transfer-done")).to_contain_text("T1")
    expect(page.locator("#transfer-1")).to_contain_text("在途")
    page.fill("#r-1", "9")
    page.click("#transfer-1 button")
    expect(page.locator("#receive-error-1")).to_contain_text("在途只有 8 件")
    expect(page.locator("#r-1")).to_have_value("9")  # what was typed, kept
    page.fill("#r-1", "8")
    page.click("#transfer-1 button")
    expect(page.locator("#transfer-1")).to_have_count(0)
    # a stock-take
    page.goto(server("/stock/takes"))
    page.select_option("#s-warehouse", "SH-01")
    page.click("#stock-take-open button")
    page.fill("input[name='counted:XM-BAND8']", "abc")  # a bad count: said beside its row, at 390 px
    page.click("#take-sheet button[type=submit]")
    expect(page.locator("#c-1-error")).to_have_text(
        "商品 XM-BAND8 的盘点数量必须是 0 到 1,000,000,000 的整数，收到「abc」"
    )
    assert not sideways(page)
    page.fill("#s-sku", "XM-BAND8")
    page.fill("#s-counted", "16")
    page.click("#take-count button")
    expect(page.locator("#take-lines")).to_contain_text("-1")
    screenshot("take-review")
    page.click("#take-post-ask summary")  # asked first
    page.click("#take-post")
    expect(page.locator("#take-state")).to_have_text("已过账")
    store = server.app.extensions["orderloom"].store
    assert {(r.sku, r.warehouse): r.on_hand for r in stock_levels(store)} == {
        ("LX-Y9000P-32G-2TB-RTX4070", "CD-01"): 3,
        ("XM-BAND8", "GZ-01"): 12,
        ("XM-BAND8", "SH-01"): 16,
    }
    assert ledger_sums(store) == {
        ("LX-Y9000P-32G-2TB-RTX4070", "CD-01"): 3,
        ("XM-BAND8", "GZ-01"): 12,
        ("XM-BAND8", "SH-01"): 16,
    }
    wide = []
    for lang in ("zh", "en"):
        for path in ("/stock", "/stock/alerts", "/stock/ledger", "/stock/transfers?all=1", "/stock/takes",
                     "/stock/takes/1", "/stock/receive", "/stock/adjust",
                     "/stock/ledger?sku=XM-BAND8&warehouse=SH-01", "/stock/transfers/1"):  # fmt: skip
            page.goto(server(f"{path}{'&' if '?' in path else '?'}lang={lang}"))
            if sideways(page):
                wide.append(f"{path} ({lang}): {sideways(page)} px")
            if path.startswith("/stock/ledger?"):
                expect(page.locator("#ledger-on-hand")).to_contain_text("16")
            if path == "/stock/ledger":
                screenshot(f"ledger-{lang}")
    page.context.clear_cookies()  # logged out: the purchaser logs in
    log_in_page(page, server, "qian", "qian-password")
    for lang in ("zh", "en"):
        for path in ("/stock/alerts", "/stock/safety?sku=XM-BAND8&warehouse=GZ-01&units=10"):
            page.goto(server(f"{path}{'&' if '?' in path else '?'}lang={lang}"))
            if sideways(page):
                wide.append(f"{path} ({lang}): {sideways(page)} px")
    assert wide == []
