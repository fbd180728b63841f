"""A step's page shows what the step acts on (its transition's ``shows:``), read-only and as the order's
page shows its data: the warehouse's 退货入库并退款 / Receive return and refund the lines coming back and
the refund due, the after-sales desk's 受理 / Accept the request's type, lines, refund asked and reason,
the warehouse's 收到退回商品 / Receive goods the authorization code and the lines expected back, above its
form; in Chinese and English."""

from __future__ import annotations

import html
import re

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


def warehouse(published: Flask) -> FlaskClient:
    """The warehouse clerk of both departments, logged in."""
    add_user(published, "zhao.lei", "zhao-lei-pass", ("warehouse",), ("retail", "after_sales"))
    return log_in(published.test_client(), "zhao.lei", "zhao-lei-pass")


@pytest.mark.parametrize(
    ("lang", "words", "cells"),
    [
        (
            "zh",
            ["本步骤涉及", "待退回商品", "待退款金额（元） 239.00"],
            [["商品编码=XM-BAND8", "数量=1"]],
        ),
        (
            "en",
            ["What this step acts on", "Items coming back", "Refund due on the return (CNY) 239.00"],
            [["SKU=XM-BAND8", "Quantity=1"]],
        ),
    ],
)
def test_the_receipt_of_a_return_shows_the_lines_coming_back_and_the_refund_due(
    app: Flask,
    clock: FrozenClock,
    lang: str,
    words: list[str],
    cells: list[list[str]],
) -> None:
    engine = engine_of(app)
    bought = int(delivered_retail_order(engine, clock))
    engine.fire(bought, "request_return", RETAIL, {**ONE_BAND, "refund_amount": 239})
    page = warehouse(app).get(f"/orders/{bought}/fire/receive_return?lang={lang}").text
    shown = shows_of(page)
    for said in words:
        assert said in shown, shown
    assert [
        [c for c in row if not c.startswith(("商品名称", "Product name"))] for row in cells_of(page)
    ] == cells
    # above the confirm button, which still takes the step
    assert page.index('id="step-shows"') < page.index('<button type="submit" class="primary">')


@pytest.mark.parametrize(
    ("lang", "words", "cells"),
    [
        (
            "zh",
            ["申请类型 退货", "商品明细", "退款金额（元） 239.00", "原因 七天无理由"],
            [["商品编码=XM-BAND8", "商品名称=小米手环8", "数量=1", "单价（元）=239.00", "小计（元）=239.00"]],
        ),
        (
            "en",
            [
                "Request type Return",
                "Order lines",
                "Refund amount (CNY) 239.00",
                "Reason 7-day no-reason return",
            ],
            [
                [
                    "SKU=XM-BAND8",
                    "Product name=小米手环8",
                    "Quantity=1",
                    "Unit price (CNY)=239.00",
                    "Line amount (CNY)=239.00",
                ]
            ],
        ),
    ],
)
def test_accepting_a_request_shows_its_type_lines_refund_and_reason(
    app: Flask,
    clock: FrozenClock,
    lang: str,
    words: list[str],
    cells: list[list[str]],
) -> None:
    _, taken = requested(engine_of(app), clock, item_condition="used")
    assert taken.state == "pending_review"
    page = desk(app).get(f"/orders/{taken.id}/fire/accept?lang={lang}").text
    shown = shows_of(page)
    for said in words:
        assert said in shown, shown
    assert cells_of(page) == cells
    assert page.index('id="step-shows"') < page.index('<button type="submit" class="primary">')


@pytest.mark.parametrize(
    ("lang", "words", "cells"),
    [
        ("zh", ["退货授权码 RMA-", "商品明细"], [["商品编码=XM-BAND8", "商品名称=小米手环8", "数量=1"]]),
        (
            "en",
            ["Return authorization RMA-", "Order lines"],
            [["SKU=XM-BAND8", "Product name=小米手环8", "Quantity=1"]],
        ),
    ],
)
def test_receiving_goods_shows_the_authorization_and_the_lines_expected_above_its_form(
    app: Flask,
    clock: FrozenClock,
    lang: str,
    words: list[str],
    cells: list[list[str]],
) -> None:
    engine = engine_of(app)
    _, taken = requested(engine, clock)
    request = engine.get_order(taken.id, SERVICE)
    assert request.state == "awaiting_goods"
    page = warehouse(app).get(f"/orders/{taken.id}/fire/receive_goods?lang={lang}").text
    shown = shows_of(page)
    for said in words:
        assert said in shown, shown
    assert request.data["rma_code"] in shown
    assert [row[:3] for row in cells_of(page)] == cells
    assert page.index('id="step-shows"') < page.index('id="f-received_at"')  # above the form, kept
