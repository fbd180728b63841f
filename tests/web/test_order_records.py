"""The order's records on its page (orders/_records.html), over the shipped retail workflow: a payment only
authorized, captured from its own small form; a partial refund with its amount and reason; a refund of
more than was captured refused beside the records; the timeline naming each record's event; both
languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import add_user, log_in, retail_app
from tests.web.test_orders import create, lock_of


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "records-tests")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def authorize(clerk: FlaskClient, order_id: int, amount: str = "186") -> None:
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {
        "method": "alipay",
        "amount": amount,
        "transaction_ref": "2026000001",
        "authorize_only": "true",
        "_lock_version": lock_of(page),
    }
    assert clerk.post(f"/orders/{order_id}/fire/pay", data=sent).status_code == 302


def record_section(page: str, record: str) -> str:
    found = re.search(rf'<article class="record" id="{record}">(.*?)</article>', page, re.S)
    assert found is not None, page
    return found.group(1)


def test_a_payment_authorized_is_captured_from_its_form_on_the_order_page(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    authorize(clerk, order_id)
    page = clerk.get(f"/orders/{order_id}?lang=en").text
    payment = record_section(page, "record-payment-1")
    assert "Payment #1" in payment and "Authorized" in payment
    assert "Alipay" in payment and "alipay" not in payment  # a code read by its label
    assert f'action="/orders/{order_id}/records/payment/1/capture"' in payment
    assert f'action="/orders/{order_id}/records/payment/1/void"' in payment
    assert 'name="csrf_token"' in payment
    response = clerk.post(
        f"/orders/{order_id}/records/payment/1/capture", data={"_lock_version": lock_of(page)}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/orders/{order_id}#record-payment-1")
    shown = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Captured" in record_section(shown, "record-payment-1")
    # paid by itself once captured, then approved by the audit rules; the timeline names the record
    assert 'id="order-state">Pending shipment<' in shown
    timeline = shown[shown.index('id="timeline"') :]
    assert "Payment: Capture #1" in timeline and "Payment added #1" in timeline
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "支付 #1" in zh and "支付：收款 #1" in zh


def test_a_partial_refund_names_its_amount_and_reason_and_more_than_captured_is_refused(
    clerk: FlaskClient,
) -> None:
    order_id = create(clerk)
    authorize(clerk, order_id)
    page = clerk.get(f"/orders/{order_id}").text
    clerk.post(f"/orders/{order_id}/records/payment/1/capture", data={"_lock_version": lock_of(page)})
    page = clerk.get(f"/orders/{order_id}?lang=en").text
    payment = record_section(page, "record-payment-1")
    assert 'name="refund_amount"' in payment and 'name="refund_reason"' in payment
    refund = f"/orders/{order_id}/records/payment/1/refund"
    too_much = {"refund_amount": "186.01", "refund_reason": "多收了", "_lock_version": lock_of(page)}
    refused = clerk.post(refund, data=too_much)
    # back to the order's page (a reload sends nothing again), the refund's form as it was typed, why
    # beside the amount
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/orders/{order_id}#record-payment-1")
    shown = clerk.get(f"/orders/{order_id}?lang=en").text
    payment = record_section(shown, "record-payment-1")
    beside = re.search(
        r'name="refund_amount"[^>]*aria-invalid="true"[^>]*>\s*<span class="error-text"[^>]*>([^<]*)<',
        payment,
    )
    assert beside is not None, payment
    assert beside.group(1) == (
        "refund of 186.01 CNY exceeds the 186.00 CNY payment #1 can refund "
        "(186.00 CNY in all, 0.00 CNY refunded)"
    )
    assert 'value="186.01"' in payment and 'value="多收了"' in payment
    assert 'id="record-problems"' not in shown
    assert "exceeds" not in clerk.get(f"/orders/{order_id}?lang=en").text  # said once: a reload is the page
    clerk.post(refund, data=too_much)
    zh = record_section(clerk.get(f"/orders/{order_id}?lang=zh").text, "record-payment-1")
    assert "退款金额 186.01 元超过支付 #1 可退的 186.00 元（共 186.00 元，已退 0.00 元）" in zh
    partial = {"refund_amount": "36", "refund_reason": "少发一件赠品", "_lock_version": lock_of(page)}
    assert clerk.post(refund, data=partial).status_code == 302
    shown = record_section(clerk.get(f"/orders/{order_id}?lang=en").text, "record-payment-1")
    assert "Captured" in shown and "少发一件赠品" in shown and "36" in shown


def test_a_warehouse_clerk_sees_the_payments_but_no_step_on_them(app: Flask, clerk: FlaskClient) -> None:
    order_id = create(clerk)
    authorize(clerk, order_id)
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    page = warehouse.get(f"/orders/{order_id}?lang=en").text
    payment = record_section(page, "record-payment-1")
    assert "Nothing to do on it" in payment and "<form" not in payment
    lock = lock_of(clerk.get(f"/orders/{order_id}").text)
    refused = warehouse.post(f"/orders/{order_id}/records/payment/1/capture", data={"_lock_version": lock})
    assert refused.status_code == 303  # not theirs to take: refused, saying which role, nothing fired
    shown = warehouse.get(f"/orders/{order_id}?lang=en").text
    said = shown[shown.index('id="record-problems"') :]
    assert "Payment #1:" in said and "Clerk" in said
    assert "Authorized" in record_section(
        warehouse.get(f"/orders/{order_id}?lang=en").text, "record-payment-1"
    )


def test_a_step_on_a_record_drawn_before_a_change_is_a_conflict(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    authorize(clerk, order_id)
    page = clerk.get(f"/orders/{order_id}").text
    stale = lock_of(page)
    clerk.post(f"/orders/{order_id}/records/payment/1/void", data={"_lock_version": stale})
    authorize(clerk, order_id)
    response = clerk.post(f"/orders/{order_id}/records/payment/2/capture", data={"_lock_version": stale})
    assert response.status_code == 409


def test_an_automatic_refunds_reason_is_read_in_the_pages_language_only(
    app: Flask, clerk: FlaskClient
) -> None:
    """The refund a cancel makes gives the step as its reason in both languages (``取消 / Cancel``, as
    stored); each page reads it in its own."""
    order_id = create(clerk)
    authorize(clerk, order_id)
    page = clerk.get(f"/orders/{order_id}").text
    clerk.post(f"/orders/{order_id}/records/payment/1/capture", data={"_lock_version": lock_of(page)})
    page = clerk.get(f"/orders/{order_id}/fire/cancel").text
    assert (
        clerk.post(f"/orders/{order_id}/fire/cancel", data={"_lock_version": lock_of(page)}).status_code
        == 302
    )
    english = unescape(record_section(clerk.get(f"/orders/{order_id}?lang=en").text, "record-payment-1"))
    assert "Reason for the last refund" in english
    reason = english.split("Reason for the last refund")[1].split("<dd>")[1].split("</dd>")[0]
    assert "Cancel" in reason and "取消" not in reason and "/" not in reason
    chinese = unescape(record_section(clerk.get(f"/orders/{order_id}?lang=zh").text, "record-payment-1"))
    reason = chinese.split("最近一次退款原因")[1].split("<dd>")[1].split("</dd>")[0]
    assert "取消" in reason and "Cancel" not in reason and "/" not in reason


def test_a_split_orders_data_names_each_warehouse_it_ships_from(tmp_path: Path) -> None:
    """A retail order no warehouse holds alone ships from Shanghai and Beijing: its data section read
    发货仓 上海仓, the first part's alone; it names both, as its two shipment records do."""
    app = retail_app(tmp_path, "split-data-tests", stock=[("TEA-01", "SH-01", 1), ("TEA-01", "BJ-01", 1)])
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    order_id = create(clerk)  # 2 × 龙井茶 (TEA-01): one in Shanghai, one in Beijing
    for lang, heading, warehouse, both in (
        ("zh", "订单信息", "发货仓", "上海仓、北京仓"),
        ("en", "Order details", "Ship-from warehouse", "Shanghai warehouse, Beijing warehouse"),
    ):
        page = clerk.get(f"/orders/{order_id}?lang={lang}").text
        assert "#2" in record_section(page, "record-shipment-2")  # a shipment record per warehouse
        data = page[page.index('id="data-heading"') : page.index('id="timeline-heading"')]
        assert heading in data
        shown = re.search(rf"<dt>{warehouse}</dt><dd>(.*?)</dd>", data, re.S)
        assert shown is not None, data
        assert unescape(shown.group(1)).strip() == both
    app.extensions["orderloom"].close()


def order_details(page: str) -> str:
    start = page.index('id="data-heading"')
    return page[start : page.index('id="timeline-heading"', start)]


@pytest.mark.parametrize(
    ("lang", "ask", "question", "button", "held", "amount"),
    [
        (
            "zh",
            "撤销授权…",
            "确认对支付 #1执行“撤销授权”？此操作不能撤回。",
            "确认撤销授权",
            "仅授权",
            "支付金额（最近一次）",
        ),
        (
            "en",
            "Void…",
            "Do “Void” on Payment #1? It cannot be undone.",
            "Confirm: Void",
            "Authorize only",
            "Amount paid (last payment)",
        ),
    ],
)
def test_a_void_is_confirmed_first_and_the_details_then_claim_no_money_held(
    clerk: FlaskClient, lang: str, ask: str, question: str, button: str, held: str, amount: str
) -> None:
    """撤销授权 was one click, and afterwards the details still said 仅授权 是 / 支付金额（最近一次） 186."""
    order_id = create(clerk)
    authorize(clerk, order_id)
    page = clerk.get(f"/orders/{order_id}?lang={lang}").text
    assert held in order_details(page) and amount in order_details(page)
    payment = unescape(record_section(page, "record-payment-1"))
    void = re.search(r'<form[^>]*action="[^"]*/payment/1/void".*?</form>', payment, re.S)
    assert void is not None, payment
    assert re.search(
        rf"<details class=\"confirm\"[^>]*>\s*<summary>{re.escape(ask)}</summary>", void.group(0)
    )
    assert question in void.group(0) and f'class="danger">{button}</button>' in void.group(0)
    capture = re.search(r'<form[^>]*action="[^"]*/payment/1/capture".*?</form>', payment, re.S)
    assert capture is not None and "<details" not in capture.group(0)  # taking the money is no undoing
    voided = clerk.post(f"/orders/{order_id}/records/payment/1/void", data={"_lock_version": lock_of(page)})
    assert voided.status_code == 302
    details = order_details(clerk.get(f"/orders/{order_id}?lang={lang}").text)
    assert held not in details and amount not in details
