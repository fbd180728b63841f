"""The words of the order page's data, record panels and timeline over the shipped wholesale and
after-sales workflows, in zh and en: a bank transfer's amount is received, not authorized; a field that
holds a warehouse or a carrier is named whatever it is called (the after-sales return warehouse, 成都仓
rather than CD-01); a province reads in the page's language; a refund retried no longer reads as failed,
while its line on the timeline keeps why it failed."""

from __future__ import annotations

import re

from flask import Flask

from engine.clock import FrozenClock
from tests.test_departments import (
    FINANCE,
    INSPECTOR,
    SALES,
    SERVICE,
    WAREHOUSE,
    delivered_retail_order,
    wholesale_data,
)
from tests.web.test_order_words import line_of
from tests.web.test_orders_why_words import after_sales, app, engine_of, person

__all__ = ["app"]  # the demo's definitions, accounts and logins (tests/web/test_orders_why_words.py)


def _section(page: str, name: str) -> str:
    found = re.search(rf'<section aria-labelledby="{name}-heading"[^>]*>(.*?)</section>', page, re.S)
    assert found is not None, f"no {name} section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_a_bank_transfers_amount_is_received_not_authorized(app: Flask) -> None:
    engine = engine_of(app)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    sent = {"method": "bank_transfer", "amount": 10000, "transaction_ref": "BT2026030200001"}
    engine.fire(order.id, "confirm_transfer", FINANCE, sent)
    finance = person(app, "zhou.min")
    zh = _section(finance.get(f"/orders/{order.id}?lang=zh").text, "records")
    assert "到账金额（元） 10000.00" in zh and "授权金额" not in zh
    en = _section(finance.get(f"/orders/{order.id}?lang=en").text, "records")
    assert "Amount received (CNY) 10000.00" in en and "authorized" not in en


def test_the_return_warehouse_and_the_province_are_named_in_the_pages_language(app: Flask) -> None:
    address = {"province": "陕西省", "city": "西安市", "district": "雁塔区", "detail": "小寨东路1号"}
    request = after_sales(app, 2, return_warehouse="CD-01", address=address)
    service = person(app, "huang.fang")
    zh = _section(service.get(f"/orders/{request}?lang=zh").text, "data")
    assert "寄回仓库 成都仓" in zh and "CD-01" not in zh and "省份 陕西省" in zh
    en = _section(service.get(f"/orders/{request}?lang=en").text, "data")
    assert "Chengdu warehouse" in en and "CD-01" not in en
    assert "Province Shaanxi" in en and "陕西" not in en
    assert "City 西安市" in en  # the rest of the address stays as typed


def test_a_refund_retried_no_longer_reads_as_failed_and_the_timeline_keeps_why(app: Flask) -> None:
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    request = after_sales(app, 2, reason_code="no_reason")
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(request, "receive_goods", WAREHOUSE, receipt)
    engine.fire(request, "inspect", INSPECTOR, {"inspection_result": "pass", "found_condition": "unopened"})
    engine.fire_record(request, "refund", 1, "fail", SERVICE, {"failure_reason": "银行卡已注销"})
    service = person(app, "huang.fang")
    failed = _section(service.get(f"/orders/{request}?lang=zh").text, "records")
    assert "退款失败原因 银行卡已注销" in failed  # while it has failed, the panel says why
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    zh = service.get(f"/orders/{request}?lang=zh").text
    assert "银行卡已注销" not in _section(zh, "records") and "待退款" in _section(zh, "records")
    assert "退款失败原因 银行卡已注销" in line_of(zh, "退款：退款失败 #1")
    en = service.get(f"/orders/{request}?lang=en").text
    assert "Why the refund failed 银行卡已注销" in line_of(en, "Refund: Refund failed #1")


def test_a_step_followed_at_once_by_one_that_stays_names_the_state_once(app: Flask) -> None:
    """受理 takes a held request to 待寄回, where issuing its return authorization follows at once and
    leaves it: the step's page names 待寄回 once, and says the automatic step is taken."""
    held = after_sales(app, 7.9)
    service = person(app, "huang.fang")
    zh = _words(service.get(f"/orders/{held}/fire/accept?lang=zh").text)
    said = "执行「受理」后，订单将转到「待寄回」；若「发放退货授权码」的条件成立，将随即自动执行。"
    assert said in zh and zh.count("「待寄回」") == 1
    en = _words(service.get(f"/orders/{held}/fire/accept?lang=en").text)
    said = (
        "After “Accept” the order goes to “Awaiting goods”; if “Issue return authorization” holds then, "
        "it is taken by itself at once."
    )
    assert said in en and en.count("“Awaiting goods”") == 1


def test_a_shipment_names_its_items_beside_their_skus_in_the_pages_language(app: Flask) -> None:
    """A retail order's shipment record lists its lines by SKU and quantity: the page names each beside
    its SKU, by the catalogue's name in the page's language, as the order's own lines read."""
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    order_id = int(delivered_retail_order(engine, clock))  # its number
    clerk = person(app, "li.na")
    zh = _section(clerk.get(f"/orders/{order_id}?lang=zh").text, "records")
    assert "商品编码 商品名称 数量 XM-BAND8 小米手环8 2" in zh
    en = _section(clerk.get(f"/orders/{order_id}?lang=en").text, "records")
    assert "SKU Product name Quantity XM-BAND8 Xiaomi Smart Band 8 2" in en
    assert "小米" not in en
    [shipment] = [r for r in engine.records(order_id, WAREHOUSE) if r.kind == "shipment"]
    assert "name" not in shipment.data["lines"][0]  # the record holds what it held: named on the page


def _words(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
