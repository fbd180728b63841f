"""A step's page shows what the step acts on (its transition's ``shows:``), read-only and as the order's
page shows its data: the warehouse's 退货入库并退款 / Receive return and refund the lines coming back and
the refund due, the after-sales desk's 受理 / Accept the request's type, lines, refund asked and reason,
the warehouse's 收到退回商品 / Receive goods the authorization code and the lines expected back, above its
form; in Chinese and English."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from tests.engine.runtime.test_original_order import ONE_BAND
from tests.test_departments import RETAIL, SERVICE, delivered_retail_order
from tests.web import test_original_order as original
from tests.web.conftest import add_user, log_in
from tests.web.test_original_order import desk, engine_of
from tests.web.test_workspace_rows import requested

app, clock = original.app, original.clock  # the original-order pages' app: retail and after-sales


def shows_of(page: str) -> str:
    """The page's section of what the step acts on, its tags gone, its spaces made one."""
    found = re.search(r'<section class="order-page step-shows" id="step-shows".*?</section>', page, re.S)
    assert found is not None, page
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0)))).strip()


def cells_of(page: str) -> list[list[str]]:
    """The rows of the section's table, each cell's text with its column's name (``data-label``)."""
    found = re.search(r'<section class="order-page step-shows".*?</section>', page, re.S)
    assert found is not None
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(0).split("<tbody>")[1], re.S)
    return [
        [
            f"{label}={html.unescape(text)}"
            for label, text in re.findall(r'data-label="([^"]*)">([^<]*)<', row)
        ]
        for row in rows
    ]


def check_shows(page: str, words: list[str], cells: list[list[str]]) -> str:
    """The page's section of what the step acts on holds ``words`` and its table ``cells`` (of the
    columns they name); the section's text."""
    shown = shows_of(page)
    for said in words:
        assert said in shown, shown
    columns = {cell.split("=")[0] for row in cells for cell in row}
    assert [[c for c in row if c.split("=")[0] in columns] for row in cells_of(page)] == cells
    return shown


def warehouse(published: Flask) -> FlaskClient:
    """The warehouse clerk of both departments, logged in."""
    add_user(published, "zhao.lei", "zhao-lei-pass", ("warehouse",), ("retail", "after_sales"))
    return log_in(published.test_client(), "zhao.lei", "zhao-lei-pass")


def return_received(app: Flask, clock: FrozenClock) -> tuple[FlaskClient, str, str]:
    """The warehouse on 退货入库并退款 of a retail order one band of which is asked back, 239 due."""
    engine = engine_of(app)
    bought = int(delivered_retail_order(engine, clock))
    engine.fire(bought, "request_return", RETAIL, {**ONE_BAND, "refund_amount": 239})
    return warehouse(app), f"/orders/{bought}/fire/receive_return", BUTTON


def request_accepted(app: Flask, clock: FrozenClock) -> tuple[FlaskClient, str, str]:
    """The after-sales desk on 受理 of a request the rules held for review (a used item)."""
    _, taken = requested(engine_of(app), clock, item_condition="used")
    assert taken.state == "pending_review"
    return desk(app), f"/orders/{taken.id}/fire/accept", BUTTON


def goods_received(app: Flask, clock: FrozenClock) -> tuple[FlaskClient, str, str]:
    """The warehouse on 收到退回商品 of a request let through, its authorization code issued."""
    engine = engine_of(app)
    _, taken = requested(engine, clock)
    request = engine.get_order(taken.id, SERVICE)
    assert request.state == "awaiting_goods" and request.data["rma_code"].startswith("RMA-")
    return warehouse(app), f"/orders/{taken.id}/fire/receive_goods", 'id="f-received_at"'


BUTTON = '<button type="submit" class="primary">'
RECEIPT_ZH = (["本步骤涉及", "待退回商品", "待退款金额（元） 239.00"], [["商品编码=XM-BAND8", "数量=1"]])
RECEIPT_EN = (
    ["What this step acts on", "Items coming back", "Refund due on the return (CNY) 239.00"],
    [["SKU=XM-BAND8", "Quantity=1"]],
)
ACCEPT_ZH = (
    ["申请类型 退货", "商品明细", "退款金额（元） 239.00", "原因 七天无理由"],
    [["商品编码=XM-BAND8", "商品名称=小米手环8", "数量=1", "单价（元）=239.00", "小计（元）=239.00"]],
)
ACCEPT_EN = (
    ["Request type Return", "Order lines", "Refund amount (CNY) 239.00", "Reason 7-day no-reason return"],
    [["SKU=XM-BAND8", "Product name=小米手环8", "Quantity=1", "Unit price (CNY)=239.00"]],
)
GOODS_ZH = (["退货授权码 RMA-", "商品明细"], [["商品编码=XM-BAND8", "商品名称=小米手环8", "数量=1"]])
GOODS_EN = (["Return authorization RMA-", "Order lines"], [["SKU=XM-BAND8", "Product name=小米手环8"]])


@pytest.mark.parametrize(
    ("step", "lang", "expected"),
    [
        (return_received, "zh", RECEIPT_ZH),
        (return_received, "en", RECEIPT_EN),
        (request_accepted, "zh", ACCEPT_ZH),
        (request_accepted, "en", ACCEPT_EN),
        (goods_received, "zh", GOODS_ZH),
        (goods_received, "en", GOODS_EN),
    ],
)
def test_a_step_page_shows_what_the_step_acts_on_above_its_button_or_its_form(
    app: Flask,
    clock: FrozenClock,
    step: Callable[[Flask, FrozenClock], tuple[FlaskClient, str, str]],
    lang: str,
    expected: tuple[list[str], list[list[str]]],
) -> None:
    """The receipt of a return: the lines coming back and the refund due; accepting a request: its type,
    lines, refund asked and reason; receiving goods: the authorization code and the lines expected."""
    client, url, below = step(app, clock)
    page = client.get(f"{url}?lang={lang}").text
    check_shows(page, *expected)
    assert page.index('id="step-shows"') < page.index(below)  # the button or the form still there
