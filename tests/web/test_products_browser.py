"""The catalogue in a real browser (Debian's Chromium), at a phone's 390 px: the products page fits the
screen, and on the retail intake page picking a product in an order line's picker fills the line's name
and unit price from the catalogue, after which the line amount and the total follow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api.catalogue import Product, put_products
from tests.web.conftest import LiveServer, log_in_page, retail_app, serve, sideways

NEW = "/orders/new/retail/retail-order/web"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = retail_app(tmp_path, "products-browser-tests")
    put_products(
        app.extensions["orderloom"].store,
        [
            Product(
                "TEA-01", "西湖龙井茶 250克", "West Lake Longjing tea, 250 g", Decimal("88"), Decimal("0.3")
            ),
            Product("CUP-02", "青瓷茶杯", "Celadon teacup", Decimal("12.5")),
            Product("GC-200", "电子礼品卡 200元", "E-gift card, 200 CNY", Decimal("200"), kind="virtual"),
            Product("OLD-01", "停售的茶", "Discontinued tea", Decimal("1"), active=False),
        ],
        datetime(2026, 3, 1, tzinfo=UTC),
        "admin",
    )
    yield from serve(app)


def test_the_picker_fills_name_and_price_at_390px(page: Page, server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server)
    page.goto(server("/products?lang=en"))
    expect(page.locator("#products tbody tr")).to_have_count(4)
    expect(page.locator('tr[data-sku="GC-200"]')).to_contain_text("Virtual (no warehouse, no carrier)")
    assert sideways(page) == 0

    page.goto(server(f"{NEW}?lang=en"))
    page.wait_for_function("typeof htmx === 'object'")
    picker = page.locator("#f-lines-0-sku")
    # SKU · name in the reader's language, the active products only (the virtual one among them)
    assert picker.locator("option").all_inner_texts()[1:] == [
        "CUP-02 · Celadon teacup",
        "GC-200 · E-gift card, 200 CNY",
        "TEA-01 · West Lake Longjing tea, 250 g",
    ]
    page.fill("#f-lines-0-qty", "2")
    picker.select_option("TEA-01")
    expect(page.locator("#f-lines-0-name")).to_have_value("West Lake Longjing tea, 250 g")
    expect(page.locator("#f-lines-0-unit_price")).to_have_value("88")
    expect(page.locator("#f-lines-0-unit_price")).not_to_be_editable()  # the catalogue's, filled
    expect(page.locator("#f-lines-0-amount")).to_have_value("176.00")  # computed by the refresh
    picker.select_option("CUP-02")  # another pick fills the line again
    expect(page.locator("#f-lines-0-name")).to_have_value("Celadon teacup")
    expect(page.locator("#f-lines-0-amount")).to_have_value("25.00")
    assert sideways(page) == 0


def test_the_header_language_link_on_a_refused_product_keeps_what_was_typed_at_390px(
    page: Page, server: LiveServer
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server)
    page.goto(server("/products/new?lang=zh"))
    page.locator("#f-sku").fill("TEA-09")
    page.locator("#f-name_zh").fill("安吉白茶")
    page.locator("#f-name_en").fill("Anji white tea")
    page.locator("#f-price").fill("12.345")  # refused: at most two decimals
    page.locator("#save-product").click()
    expect(page.locator("#not-saved")).to_be_visible()
    page.locator("#f-price").fill("12.3456")  # typed again after the refusal, before switching
    page.locator("header a.lang").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("#f-sku").input_value() == "TEA-09"
    assert page.locator("#f-name_zh").input_value() == "安吉白茶"
    assert page.locator("#f-price").input_value() == "12.3456"
    assert sideways(page) == 0
