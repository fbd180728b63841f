"""Products named in the page's language wherever lines are shown, not only the order's own lines: a
retail return's lines (the form that asks them, what is coming back, what came back, the timeline's
request) and an after-sales request's lines as the intake fills them from the original order read the
catalogue's English name on the English page and its Chinese name on the Chinese one."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api.catalogue import put_product
from engine.clock import FrozenClock
from tests.test_departments import delivered_retail_order
from tests.web.conftest import add_user, log_in, retail_app
from tests.web.test_original_order import FILL, desk, engine_of, key_of, original_order_app
from tests.web.test_retail_returns import CLERK, WAREHOUSE, delivered, value_of

TEA = ("TEA-01", "龙井茶", "Longjing tea", 88)
CUP = ("CUP-02", "茶杯", "Tea cup", 30)
BAND = ("XM-BAND8", "小米手环8", "Xiaomi Smart Band 8", 239)


def catalogue(app: Flask, *products: tuple[str, str, str, int]) -> None:
    store, at = app.extensions["orderloom"].store, datetime.now(UTC)
    for sku, zh, en, price in products:
        put_product(store, {"sku": sku, "name_zh": zh, "name_en": en, "price": str(price)}, at, "admin")


def text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "product-names-tests")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    catalogue(app, TEA, CUP)
    yield app
    app.extensions["orderloom"].close()


def test_the_return_form_names_the_lines_in_the_page_language(app: Flask) -> None:
    order_id = delivered(app)
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    en = clerk.get(f"/orders/{order_id}/fire/request_return?lang=en").text
    assert [value_of(en, f"return_lines[{i}].name") for i in range(2)] == ["Longjing tea", "Tea cup"]
    zh = clerk.get(f"/orders/{order_id}/fire/request_return?lang=zh").text
    assert [value_of(zh, f"return_lines[{i}].name") for i in range(2)] == ["龙井茶", "茶杯"]


def asked_back(app: Flask, sku: str, name: str) -> tuple[int, FlaskClient]:
    """A delivered order whose return of one ``sku``, named ``name``, was asked for; the clerk's client."""
    order_id = delivered(app)
    asked = {"return_reason": "no_reason", "return_lines": [{"sku": sku, "name": name, "qty": 1}]}
    app.extensions["orderloom"].engine.fire(order_id, "request_return", CLERK, asked)
    return order_id, log_in(app.test_client(), "li.na", "li.na-demo")


def test_the_lines_coming_back_and_come_back_read_in_the_page_language(app: Flask) -> None:
    order_id, clerk = asked_back(app, "TEA-01", "龙井茶")
    waiting = text(clerk.get(f"/orders/{order_id}?lang=en").text)
    assert "TEA-01 Longjing tea 1" in waiting.split("Items coming back")[1]
    app.extensions["orderloom"].engine.fire(order_id, "receive_return", WAREHOUSE, {})
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "龙井茶" not in en and "茶杯" not in en
    assert "TEA-01 Longjing tea 1" in text(en).split("Items returned")[1]
    timeline = text(en.split('id="timeline"')[1])
    assert "Request return" in timeline and "Longjing tea" in timeline  # what the request named
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "Longjing tea" not in zh and "TEA-01 龙井茶 1" in text(zh).split("已退回商品")[1]


def test_a_return_sent_from_the_english_form_reads_chinese_on_the_chinese_page(app: Flask) -> None:
    """The English form sends the English names it showed: the Chinese page still reads the catalogue's
    Chinese name of each SKU."""
    order_id, clerk = asked_back(app, "CUP-02", "Tea cup")
    zh = text(clerk.get(f"/orders/{order_id}?lang=zh").text)
    assert "CUP-02 茶杯 1" in zh.split("退货商品")[1] and "Tea cup" not in zh


def test_the_intake_fills_the_request_lines_in_the_page_language(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app = original_order_app(tmp_path, "product-names-fill", clock)
    try:
        catalogue(app, BAND)
        bought = delivered_retail_order(engine_of(app), clock)
        client = desk(app)
        posted = {"_key": key_of(client), "original_order_no": bought}
        en = client.post(f"{FILL}?lang=en", data=posted).text
        assert value_of(en, "lines[0].name") == "Xiaomi Smart Band 8"
        zh = client.post(f"{FILL}?lang=zh", data=posted).text
        assert value_of(zh, "lines[0].name") == "小米手环8"
    finally:
        app.extensions["orderloom"].close()
