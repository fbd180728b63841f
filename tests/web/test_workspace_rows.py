"""What a row of my work and of a queue says of an order beside its number (web/workspace.py,
engine/runtime/row_summary.py), over the shipped retail and after-sales workflows: an after-sales
request's row names the customer, the kind of request, the refund asked and the retail order it is about,
that number linked only for a reader who may open the retail order; a retail row names its customer
beside its amount; both languages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.runtime import Engine, OrderView
from tests.engine.runtime.test_original_order import request
from tests.test_departments import SERVICE, delivered_retail_order
from tests.web import test_original_order as original
from tests.web.conftest import add_user, log_in
from tests.web.test_original_order import engine_of

clock, app = original.clock, original.app  # the original-order pages' fixtures


def requested(engine: Engine, clock: FrozenClock, **changes: Any) -> tuple[str, OrderView]:
    """A retail order delivered and an after-sales request about it (``changes`` over the usual one):
    the retail order's number and the request."""
    bought = delivered_retail_order(engine, clock)
    return bought, engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(bought) | changes
    )


def row_of(html: str, order_id: int) -> str:
    found = re.search(rf'<li class="work-item[^"]*" data-order="{order_id}".*?</li>', html, re.S)
    assert found is not None, html
    return found.group(0)


def what_of(row: str) -> str:
    found = re.search(r'<p class="work-what">(.*?)</p>', row, re.S)
    assert found is not None, row
    return found.group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_an_after_sales_row_names_the_customer_the_refund_asked_and_the_original_order(
    app: Flask, clock: FrozenClock
) -> None:
    """The after-sales desk saw #7 售后申请 待寄回 and nothing of whom or what: now the customer, 退货,
    the refund asked and the retail order's number, not a link (that page is closed to the desk)."""
    bought, taken = requested(engine_of(app), clock)
    desk = log_in(app.test_client(), "huang.fang", "huang-fang-pass")
    zh = what_of(row_of(desk.get("/work?lang=zh").text, taken.id))
    assert text_of(zh) == f"张伟 退货 申请退款 ¥239.00 原订单 #{bought}"
    assert "href" not in zh  # the retail order's page is a 404 to the desk: the number only
    en = what_of(row_of(desk.get("/work?lang=en").text, taken.id))
    assert text_of(en) == f"张伟 Return Refund asked ¥239.00 Original order #{bought}"
    assert desk.get(f"/orders/{bought}").status_code == 404


def test_a_reader_of_both_departments_follows_the_original_order_from_the_row(
    app: Flask, clock: FrozenClock
) -> None:
    bought, taken = requested(engine_of(app), clock)
    add_user(app, "zhao.lei", "zhao-lei-pass", ("warehouse",), ("retail", "after_sales"))
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao-lei-pass")
    for lang, words in (("zh", f"原订单 #{bought}"), ("en", f"Original order #{bought}")):
        row = row_of(warehouse.get(f"/work?lang={lang}").text, taken.id)
        assert f'<a href="/orders/{bought}">{words}</a>' in what_of(row)
    assert warehouse.get(f"/orders/{bought}").status_code == 200  # the link works


def test_a_queue_row_says_the_same(app: Flask, clock: FrozenClock) -> None:
    """A request the rules held (a used item coming back) waits in the review queue: its row there names
    the customer, the refund and the original order too."""
    bought, taken = requested(engine_of(app), clock, item_condition="used")
    assert taken.state == "pending_review"
    desk = log_in(app.test_client(), "huang.fang", "huang-fang-pass")
    page = desk.get("/work/queues/after_sales/after-sales-review?lang=zh").text
    assert text_of(what_of(row_of(page, taken.id))) == f"张伟 退货 申请退款 ¥239.00 原订单 #{bought}"


def test_a_retail_row_names_its_customer_beside_its_amount(app: Flask, clock: FrozenClock) -> None:
    engine = engine_of(app)
    bought = int(delivered_retail_order(engine, clock))
    clerk: FlaskClient = log_in(app.test_client(), "li.na", "li-na-pass")
    for lang in ("zh", "en"):
        row = row_of(clerk.get(f"/work?lang={lang}").text, bought)
        assert '<span class="num">¥478.00</span>' in row
        assert text_of(what_of(row)) == "张伟"  # no refund, kind or original order: a retail order's own


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", "挂起原因：已使用商品退货需人工审核"),
        ("en", "On hold: Returning a used item needs a person to review it"),
    ],
)
def test_a_row_the_rules_held_says_why(app: Flask, clock: FrozenClock, lang: str, words: str) -> None:
    """审核 rows said nothing of why: the rule's reason, as the order page's 为何在此 says it, on the row
    of my work and of the review queue; a request the rules let through says none."""
    _, held = requested(engine_of(app), clock, item_condition="used")
    _, plain = requested(engine_of(app), clock)
    desk = log_in(app.test_client(), "huang.fang", "huang-fang-pass")
    for page in (f"/work?lang={lang}", f"/work/queues/after_sales/after-sales-review?lang={lang}"):
        html = desk.get(page).text
        assert f'<p class="work-held">{words}</p>' in row_of(html, held.id)
    assert "work-held" not in row_of(desk.get(f"/work?lang={lang}").text, plain.id)
    assert words.split("：")[-1].split(": ")[-1] in desk.get(f"/orders/{held.id}?lang={lang}").text
