"""A retail return through its pages (Flask's test client): the request's form lists the order's lines
with a quantity each, in Chinese and English; a quantity beyond what was delivered is refused beside the
form, naming the line; a return of one line is taken, and once the warehouse received it, the order's
page says what came back, where it went and what was refunded."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.runtime import Actor
from tests.web.conftest import add_user, log_in, retail_app

CLERK = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))
WAREHOUSE = Actor("zhao.lei", frozenset({"warehouse"}), frozenset({"retail"}))


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "retail-returns-tests")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    yield app
    app.extensions["orderloom"].close()


def delivered(app: Flask) -> int:
    """Two boxes of tea (88 each) and a cup (30), paid, shipped from SH-01 and delivered."""
    engine = app.extensions["orderloom"].engine
    lines = [
        {"sku": "TEA-01", "name": "龙井茶", "qty": 2, "unit_price": 88, "amount": 176},
        {"sku": "CUP-02", "name": "茶杯", "qty": 1, "unit_price": 30, "amount": 30},
    ]
    data: dict[str, Any] = {
        "customer": {"name": "王芳", "mobile": "13812345678"},
        "address": {"province": "上海市", "city": "上海", "district": "浦东新区", "detail": "世纪大道100号"},
        "lines": lines,
        "shipping_fee": 0,
        "discount": 0,
        "total": 206,
    }
    order = engine.create_order(CLERK, "retail", "retail-order", "web", data)
    paid = {"method": "alipay", "amount": 206, "transaction_ref": "2026000001"}
    assert engine.fire(order.id, "pay", CLERK, paid).to_state == "pending_shipment"
    engine.fire_record(order.id, "shipment", 1, "ship", WAREHOUSE, {"carrier": "sf"})
    when = {"delivered_at": engine.clock.now().isoformat()}
    assert engine.fire_record(order.id, "shipment", 1, "deliver", WAREHOUSE, when).to_state == "delivered"
    return int(order.id)


def lock_of(page: str) -> str:
    found = re.search(r'name="_lock_version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def value_of(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def returning(page: str, **qty: str) -> dict[str, str]:
    """The form as the page drew it, each line's quantity as given (the others left as drawn)."""
    posted = {"_lock_version": lock_of(page), "return_reason": "no_reason", "return_lines": ""}
    for index in range(2):
        sku = value_of(page, f"return_lines[{index}].sku")
        posted[f"return_lines[{index}].sku"] = sku
        posted[f"return_lines[{index}].name"] = value_of(page, f"return_lines[{index}].name")
        posted[f"return_lines[{index}].qty"] = qty.get(
            sku.replace("-", "_"), value_of(page, f"return_lines[{index}].qty")
        )
    return posted


def test_the_return_form_lists_the_order_lines_with_a_quantity_each_in_both_languages(app: Flask) -> None:
    order_id = delivered(app)
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    page = clerk.get(f"/orders/{order_id}/fire/request_return?lang=zh").text
    assert [value_of(page, f"return_lines[{i}].sku") for i in range(2)] == ["TEA-01", "CUP-02"]
    assert [value_of(page, f"return_lines[{i}].name") for i in range(2)] == ["龙井茶", "茶杯"]
    assert [value_of(page, f"return_lines[{i}].qty") for i in range(2)] == ["2", "1"]
    assert re.search(r'name="return_lines\[0\]\.sku"[^>]*readonly', page)
    for words in ("退货商品", "退回数量", "留空则按所退商品的价格退款"):
        assert words in page
    english = clerk.get(f"/orders/{order_id}/fire/request_return?lang=en").text
    for words in ("Items to return", "Quantity returned", "Leave empty to refund the price of the items"):
        assert words in english


def test_a_return_beyond_what_was_delivered_is_refused_naming_the_line(app: Flask) -> None:
    order_id = delivered(app)
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    page = clerk.get(f"/orders/{order_id}/fire/request_return?lang=zh").text
    refused = clerk.post(f"/orders/{order_id}/fire/request_return?lang=zh", data=returning(page, TEA_01="3"))
    assert refused.status_code == 422, refused.text
    assert "商品 TEA-01 退回 3 件，超过可退的 2 件" in html.unescape(refused.text)
    assert "已签收" in clerk.get(f"/orders/{order_id}?lang=zh").text.split('id="order-state">')[1][:40]


def test_a_return_of_one_line_is_received_and_the_order_page_says_what_came_back(app: Flask) -> None:
    order_id = delivered(app)
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    page = clerk.get(f"/orders/{order_id}/fire/request_return?lang=zh").text
    posted = returning(page, TEA_01="1", CUP_02="0")
    response = clerk.post(f"/orders/{order_id}/fire/request_return?lang=zh", data=posted)
    assert response.status_code == 302, response.text
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    page = warehouse.get(f"/orders/{order_id}/fire/receive_return?lang=zh").text
    received = warehouse.post(
        f"/orders/{order_id}/fire/receive_return", data={"_lock_version": lock_of(page)}
    )
    assert received.status_code == 302, received.text
    shown = html.unescape(clerk.get(f"/orders/{order_id}?lang=zh").text)
    assert "部分退货" in shown.split('id="order-state">')[1][:40]
    # what came back, and where to: the warehouse by its name, as the shipment names it
    came_back = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.split("已退回商品")[1]))
    assert came_back.startswith(" 商品编码 商品名称 数量 退回仓库 TEA-01 龙井茶 1 上海仓 ")
    assert "已退金额（元）</dt><dd>88.00</dd>" in shown
    english = html.unescape(clerk.get(f"/orders/{order_id}?lang=en").text)
    assert "Partly returned" in english and "Items returned" in english


def test_a_batch_receipt_of_returns_says_each_order_goes_where_its_case_decides(app: Flask) -> None:
    """Two returns asked, one of everything and one of a box of tea: the batch's receipt said "这些订单
    将转到「部分退货」" for both, though the first goes to 已退货; now it names either, in each
    language."""
    engine = app.extensions["orderloom"].engine
    whole, part = delivered(app), delivered(app)
    everything = [{"sku": "TEA-01", "qty": 2}, {"sku": "CUP-02", "qty": 1}]
    engine.fire(whole, "request_return", CLERK, {"return_reason": "quality", "return_lines": everything})
    tea = [{"sku": "TEA-01", "qty": 1}, {"sku": "CUP-02", "qty": 0}]
    engine.fire(part, "request_return", CLERK, {"return_reason": "quality", "return_lines": tea})
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    for lang, words in (
        ("zh", "这些订单将视各自情况转到「已退货」或「部分退货」"),
        ("en", "these orders go to “Returned” or “Partly returned”, as each one's case decides"),
    ):
        page = warehouse.get(f"/orders/batch?trigger=receive_return&o={whole}&o={part}&lang={lang}").text
        assert words in html.unescape(page), lang
    single = warehouse.get(f"/orders/batch?trigger=receive_return&o={whole}&lang=zh").text
    assert "这些订单将转到「已退货」" in html.unescape(single)  # one case: said as it is
