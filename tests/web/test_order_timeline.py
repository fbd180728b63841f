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
from tests.after_sales import exchange_request
from tests.test_departments import (
    INSPECTOR,
    RETAIL,
    SALES,
    SERVICE,
    WAREHOUSE,
    deliver_each,
    delivered_retail_order,
    pay,
    request_data,
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
    engine.fire_record(request, "refund", 1, "pay", SERVICE, {"pay_amount": 300, "refund_ref": "RF-000001"})
    engine.fire_record(request, "refund", 1, "fail", SERVICE, {"failure_reason": "银行卡已注销"})
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    engine.fire_record(request, "refund", 1, "pay", SERVICE, {"pay_amount": 178})
    return request


def test_a_refund_paid_in_two_parts_reads_each_amount_as_sent(app: Flask) -> None:
    """Each part as sent, and what the step wrote on the refund record beside it: the refunded figure,
    the payment's reference (kept on the record, not as the step's own), and on the failure the part
    taken back; no time (the line has its own)."""
    request = refunded_in_two_parts(app)
    service = person(app, "huang.fang")
    zh = service.get(f"/orders/{request}?lang=zh").text
    first, second = events(zh, "退款：退款 #1")
    assert sent(first) == [
        ("本次退款金额（元）", "300.00"),
        ("已退金额（元）", "300.00"),
        ("退款流水号", "RF-000001"),
    ]
    assert sent(second) == [("本次退款金额（元）", "178.00"), ("已退金额（元）", "178.00")]
    [failed] = events(zh, "退款：退款失败 #1")
    assert sent(failed) == [
        ("退款失败原因", "银行卡已注销"),
        ("已退金额（元）", "0.00"),
        ("被退回金额（元）", "300.00"),
    ]
    assert changed(first) == changed(second) == []  # the second part is no edit of the first
    en = service.get(f"/orders/{request}?lang=en").text
    first, second = events(en, "Refund: Pay #1")
    assert sent(first) == [
        ("Amount paid back now (CNY)", "300.00"),
        ("Refunded (CNY)", "300.00"),
        ("Refund references", "RF-000001"),
    ]
    assert sent(second) == [("Amount paid back now (CNY)", "178.00"), ("Refunded (CNY)", "178.00")]
    [failed] = events(en, "Refund: Refund failed #1")
    assert sent(failed)[1:] == [("Refunded (CNY)", "0.00"), ("Sent back by the bank (CNY)", "300.00")]
    assert changed(first) == changed(second) == []
    assert "300.00 → 178.00" not in zh + en


CANCELLED_REFUND = "取消并退款 / Cancel and refund"  # the order's step, named in both languages


@pytest.mark.parametrize(
    ("lang", "action", "words"),
    [
        (
            "zh",
            "支付：退款 #1",
            [
                ("已退款（元）", "478.00"),
                ("最近一次退款金额（元）", "478.00"),
                ("最近一次退款原因", CANCELLED_REFUND),
            ],
        ),
        (
            "en",
            "Payment: Refund #1",
            [
                ("Refunded (CNY)", "478.00"),
                ("Last refund (CNY)", "478.00"),
                ("Reason for the last refund", CANCELLED_REFUND),
            ],
        ),
    ],
)
def test_a_refund_the_system_made_on_a_payment_reads_what_it_paid_back(
    app: Flask, lang: str, action: str, words: list[tuple[str, str]]
) -> None:
    """A paid order cancelled: the refund the cancel made on its payment read 支付：退款 #1 · 系统 with no
    amount, though the gateway was sent 478; now its line says what it wrote on the payment."""
    engine = engine_of(app)
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, engine.get_order(order.id, RETAIL).data["total"])
    engine.fire(order.id, "cancel", RETAIL)
    page = person(app, "li.na").get(f"/orders/{order.id}?lang={lang}").text
    [line] = events(page, action)
    assert sent(line) == words


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


@pytest.mark.parametrize(
    ("lang", "action", "words"),
    [
        ("zh", "补发换货", (("承运商", "京东物流"), "运单号")),
        ("en", "Ship replacement", (("Carrier", "JD Logistics"), "Waybill number")),
    ],
)
def test_a_replacement_shipped_reads_its_carrier_in_words_and_its_waybill(
    app: Flask, lang: str, action: str, words: tuple[tuple[str, str], str]
) -> None:
    """补发换货 read 包裹数 1 alone: the carrier chosen and the waybill the carrier issued (written by
    the step's action, not typed) are what the step wrote, and its line says them."""
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    data = exchange_request(request_data(clock, reason_code="quality", item_condition="opened_intact"))
    data["original_order_no"] = delivered_retail_order(engine, clock)
    request = engine.create_order(SERVICE, "after_sales", "after-sales-request", "phone", data).id
    receipt = {"return_waybill": "YT9876543210", "received_at": clock.now().isoformat()}
    engine.fire(request, "receive_goods", WAREHOUSE, receipt)
    engine.fire(
        request, "inspect", INSPECTOR, {"inspection_result": "pass", "found_condition": "opened_intact"}
    )
    # the step's form starts from the carrier routing chose; the clerk may change it
    routed = engine.get_order(request, SERVICE).data["carrier"]
    form = person(app, "zhao.lei").get(f"/orders/{request}/fire/ship_replacement?lang={lang}").text
    assert re.search(rf'<option value="{routed}"[^>]*selected', form), form
    # and it says what leaves and from where (and to which address, when the request holds one)
    shows = re.search(r'<section class="order-page step-shows".*?</section>', form, re.S)
    said = shows.group(0) if shows is not None else form
    assert "XM-BAND8" in said and ("上海仓" if lang == "zh" else "Shanghai warehouse") in said, said
    assert engine.fire(request, "ship_replacement", WAREHOUSE, {"carrier": "jd"}).to_state == "closed"
    waybill = engine.get_order(request, SERVICE).data["waybill"]
    page = person(app, "zhao.lei").get(f"/orders/{request}?lang={lang}").text
    [line] = events(page, action)
    (carrier, waybill_words) = words
    assert sent(line) == [carrier, (waybill_words, waybill)]
