"""The order page's timeline says what a person sent with a step as sent (``label value``), and a change
of the order's data as ``old → new`` only where the step's form corrects what the order holds (its
field starts from the order's own: a wholesale order sent back and corrected). A step taken a second
time (a refund paid in two parts, a second return of the same order) is not an edit of the first.

Over the shipped workflows with the demo's accounts and logins, through the Flask test client over a
real SQLite file, in Chinese and English."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask

from engine.clock import FrozenClock
from tests.test_departments import (
    INSPECTOR,
    RETAIL,
    SALES,
    SERVICE,
    WAREHOUSE,
    deliver_each,
    pay,
    retail_data,
    send_back,
    ship_each,
    wholesale_data,
)
from tests.web.test_order_words import why_here
from tests.web.test_orders_why_words import after_sales, app, engine_of, person

__all__ = ["app"]  # the demo's definitions, accounts and logins (tests/web/test_orders_why_words.py)

TWO_BANDS = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}]


def _words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def events(page: str, action: str) -> list[str]:
    """The timeline's lines of the steps called ``action``, in order, as HTML."""
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    lines = re.findall(r"<li><time>.*?</li>\s*(?=<li><time>|$)", timeline, re.S)
    found = [line for line in lines if f"<b>{action}</b>" in line]
    assert found, _words(timeline)
    return found


def sent(line: str) -> list[tuple[str, str]]:
    """What the line says the step was sent with: (label, value) by label, a table as its words."""
    said = re.search(r'<dl class="data said">(.*?)</dl>\s*(?:<ul|<div|</li>|$)', line, re.S)
    if said is None:
        return []
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>(?=<dt>|$)", said.group(1), re.S)
    return [(_words(label), _words(value)) for label, value in pairs]


def changed(line: str) -> list[str]:
    """What the line says the step changed of the order's data, old → new."""
    found = re.search(r'<ul class="changed">(.*?)</ul>', line, re.S)
    return [_words(item) for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def refunded_in_two_parts(app: Flask) -> int:
    """Two bands sent back for 478: paid back 300, the next attempt failed and retried, then 178."""
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    request = after_sales(app, 2, reason_code="no_reason", lines=TWO_BANDS, refund_amount=478)
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(request, "receive_goods", WAREHOUSE, receipt)
    engine.fire(request, "inspect", INSPECTOR, {"inspection_result": "pass", "found_condition": "unopened"})
    engine.fire_record(request, "refund", 1, "pay", SERVICE, {"pay_amount": 300})
    engine.fire_record(request, "refund", 1, "fail", SERVICE, {"failure_reason": "银行卡已注销"})
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    engine.fire_record(request, "refund", 1, "pay", SERVICE, {"pay_amount": 178})
    return request


def test_a_refund_paid_in_two_parts_reads_each_amount_as_sent(app: Flask) -> None:
    request = refunded_in_two_parts(app)
    service = person(app, "huang.fang")
    zh = service.get(f"/orders/{request}?lang=zh").text
    first, second = events(zh, "退款：退款 #1")
    assert sent(first) == [("本次退款金额（元）", "300.00")]
    assert sent(second) == [("本次退款金额（元）", "178.00")]
    assert changed(first) == changed(second) == []  # the second part is no edit of the first
    en = service.get(f"/orders/{request}?lang=en").text
    first, second = events(en, "Refund: Pay #1")
    assert sent(first) == [("Amount paid back now (CNY)", "300.00")]
    assert sent(second) == [("Amount paid back now (CNY)", "178.00")]
    assert changed(first) == changed(second) == []
    assert "300.00 → 178.00" not in zh + en


def returned_twice(app: Flask) -> int:
    """A retail order of a band and two cartons of milk, delivered: the band asked back (no reason) and
    received, then the milk (a quality problem, its refund typed). Waiting for the second return."""
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    lines = [
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239},
        {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 2, "unit_price": 56, "amount": 112},
    ]
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=351))
    pay(engine, order.id, engine.get_order(order.id, RETAIL).data["total"])
    ship_each(engine, order.id, {"carrier": "sf"})
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    band: dict[str, Any] = {
        "return_reason": "no_reason",
        "return_lines": [{"sku": "XM-BAND8", "qty": 1}, {"sku": "YL-MILK24", "qty": 0}],
    }
    engine.fire(order.id, "request_return", RETAIL, band)
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "partly_returned"
    milk = {
        "return_reason": "quality",
        "return_lines": [{"sku": "XM-BAND8", "qty": 0}, {"sku": "YL-MILK24", "qty": 2}],
        "refund_amount": 100,
    }
    assert engine.fire(order.id, "request_return", RETAIL, milk).to_state == "return_requested"
    return order.id


SECOND_RETURN = {
    "zh": (
        "申请退货",
        [
            ("退货原因", "质量问题"),
            ("退货商品", "商品编码 退回数量 XM-BAND8 0 YL-MILK24 2"),
            ("退款金额（元）", "100.00"),
        ],
        ("退货原因", "七天无理由"),
        "为何在此 申请退货（李娜）· 退货原因：质量问题；退货商品：YL-MILK24 ×2；退款金额（元）：100.00",
    ),
    "en": (
        "Request return",
        [
            ("Return reason", "Quality problem"),
            ("Items to return", "SKU Quantity returned XM-BAND8 0 YL-MILK24 2"),
            ("Refund amount (CNY)", "100.00"),
        ],
        ("Return reason", "7-day no-reason return"),
        "Why here Request return (李娜) · Return reason: Quality problem; "
        "Items to return: YL-MILK24 ×2; Refund amount (CNY): 100.00",
    ),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_second_return_of_an_order_reads_as_sent_not_as_an_edit_of_the_first(app: Flask, lang: str) -> None:
    """Its reason and lines as sent, not the first return's changed into them; and why the order waits
    (the return asked for) with what it was sent with, lines and all."""
    action, second_sent, first_reason, why = SECOND_RETURN[lang]
    page = person(app, "li.na").get(f"/orders/{returned_twice(app)}?lang={lang}").text
    first, second = events(page, action)
    assert sent(second) == second_sent
    assert sent(first)[0] == first_reason
    assert changed(first) == changed(second) == []
    assert f"{first_reason[1]} → " not in page and "0 → 2" not in page
    assert why_here(page) == why


def test_a_wholesale_order_corrected_on_resubmit_keeps_each_change_old_to_new(app: Flask) -> None:
    """The correction's form starts from what the order holds (its lines, freight, discount) and the
    total follows them: what the step changed of those reads old → new, beside what was sent."""
    engine = engine_of(app)
    fridge = {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}
    data = wholesale_data(lines=[fridge], total=52980)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    send_back(engine, order.id, "单价与合同不符，请按合同价修改")
    fixed = {**fridge, "qty": 5, "unit_price": 2500}
    engine.fire(order.id, "resubmit", SALES, {"lines": [fixed], "discount": 100})
    sales = person(app, "chen.jing")
    zh = sales.get(f"/orders/{order.id}?lang=zh").text
    [line] = events(zh, "修改后重新提交")
    assert changed(line) == [
        "HR-BCD470 海尔冰箱：数量 20 → 5；单价（元） 2,639.00 → 2,500.00；小计（元） 52,780.00 → 12,500.00",
        "优惠金额（元）：0.00 → 100.00",
        "订单金额（元）：52,980.00 → 12,600.00",
    ]
    en = sales.get(f"/orders/{order.id}?lang=en").text
    [line] = events(en, "Correct and resubmit")
    assert changed(line)[1:] == [
        "Discount (CNY): 0.00 → 100.00",
        "Order total (CNY): 52,980.00 → 12,600.00",
    ]
