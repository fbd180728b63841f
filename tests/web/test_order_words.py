"""The words a clerk reads on an order's page (web/orders.py, templates/orders/show.html), in zh and en:
a step that leaves the order where it was said without an arrow, what a person sent with a step (a
reviewer's reason to reject, a failed payment's code and message) on its line of the timeline and under
为何在此 / Why here, and a held order's approval and a claim's undoing each by a word of its own."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import add_user, log_in, retail_app
from tests.web.held_order import held_order, pay
from tests.web.test_orders import create, lock_of

PEOPLE = {"li.na": ("clerk", "service"), "wang.qiang": ("reviewer",)}  # login -> roles, in retail


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "order-words-tests")
    for name, roles in PEOPLE.items():
        add_user(app, name, f"{name}-demo", roles, ("retail",))
    yield app
    app.extensions["orderloom"].close()


def person(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name}-demo")


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return person(app, "li.na")


@pytest.fixture
def reviewer(app: Flask) -> FlaskClient:
    return person(app, "wang.qiang")


def text_of(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found is not None, page
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def timeline(page: str) -> str:
    return text_of(page, r'<ol class="timeline" id="timeline">(.*?)</ol>')


def line_of(page: str, action: str) -> str:
    """The timeline's line of the (last) step called ``action``."""
    lines = re.findall(r"<li><time>.*?</li>", page.split('id="timeline"')[1], re.S)
    said = [text_of(line, r"(.*)") for line in lines if f"<b>{action}</b>" in line]
    assert said, timeline(page)
    return said[-1]


def why_here(page: str) -> str:
    return text_of(page, r'<p class="why-here" id="why-here">(.*?)</p>')


def test_a_step_that_leaves_the_order_where_it_was_has_no_arrow(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    pay(clerk, order_id, "100")  # less than the 186 due: still pending payment
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "待支付 → 待支付" not in timeline(zh)
    assert "支付 · li.na · 仍为 待支付" in line_of(zh, "支付")
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Pending payment → Pending payment" not in timeline(en)
    assert "still Pending payment" in line_of(en, "Pay")
    assert "→ Pending payment" in timeline(en)  # a step that moved it keeps its arrow


def test_a_payment_step_shows_what_the_clerk_sent_with_it_in_words(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    pay(clerk, order_id, "100")
    zh = line_of(clerk.get(f"/orders/{order_id}?lang=zh").text, "支付")
    assert "支付方式 支付宝" in zh and "100.00" in zh and "alipay" not in zh
    en = line_of(clerk.get(f"/orders/{order_id}?lang=en").text, "Pay")
    assert "Payment method Alipay" in en


def test_a_failed_payment_shows_its_reason_in_words_and_its_message_on_the_timeline(
    clerk: FlaskClient,
) -> None:
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/record_payment_failure").text
    assert '<option value="INSUFFICIENT_FUNDS">余额不足</option>' in page  # a choice, not a code to type
    assert '<option value="OTHER">其他</option>' in page
    sent = {
        "method": "card",
        "failure_code": "INSUFFICIENT_FUNDS",
        "failure_message": "余额不足",
        "_lock_version": lock_of(page),
    }
    posted = clerk.post(f"/orders/{order_id}/fire/record_payment_failure", data=sent)
    assert posted.status_code == 302, posted.text
    zh = line_of(clerk.get(f"/orders/{order_id}?lang=zh").text, "支付失败")
    assert "失败原因 余额不足" in zh and "渠道说明 余额不足" in zh and "支付方式 银行卡" in zh
    assert "INSUFFICIENT_FUNDS" not in zh
    assert "仍为 待支付" in zh
    en = line_of(clerk.get(f"/orders/{order_id}?lang=en").text, "Payment failed")
    assert "Reason Insufficient funds" in en and "Payment method Bank card" in en
    assert "INSUFFICIENT_FUNDS" not in en


def test_a_failed_payments_reason_outside_the_list_is_refused_at_its_field(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/record_payment_failure").text
    sent = {
        "method": "card",
        "failure_code": "NOTENOUGH",
        "failure_message": "余额不足",
        "_lock_version": lock_of(page),
    }
    posted = clerk.post(f"/orders/{order_id}/fire/record_payment_failure", data=sent)
    assert posted.status_code == 422
    field = re.search(r'<select[^>]*name="failure_code".*?</div>', posted.text, re.S)
    assert field is not None and 'aria-invalid="true"' in field.group(0) and 'class="error"' in field.group(0)


def test_a_rejected_order_says_the_reviewers_reason_on_the_timeline_and_why_here(
    clerk: FlaskClient, reviewer: FlaskClient
) -> None:
    order_id = held_order(clerk)
    page = reviewer.get(f"/orders/{order_id}/fire/reject").text
    sent = {"reject_reason": "收货地址与历史欺诈订单一致", "_lock_version": lock_of(page)}
    assert reviewer.post(f"/orders/{order_id}/fire/reject", data=sent).status_code == 302
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "驳回原因 收货地址与历史欺诈订单一致" in line_of(zh, "驳回")
    assert why_here(zh) == "为何在此 驳回（wang.qiang）· 驳回原因：收货地址与历史欺诈订单一致"
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Reason for rejecting 收货地址与历史欺诈订单一致" in line_of(en, "Reject")
    assert why_here(en) == "Why here Reject (wang.qiang) · Reason for rejecting: 收货地址与历史欺诈订单一致"
    # the refund the reject made is the engine's: its line says what it wrote on the payment, the
    # amount paid back first (it read 支付：退款 #1 · 系统 with no amount)
    assert re.search(r"已退款（元） [\d,]+\.\d\d 最近一次退款金额（元）", line_of(zh, "支付：退款 #1"))
    assert re.search(r"Refunded \(CNY\) [\d,]+\.\d\d Last refund \(CNY\)", line_of(en, "Payment: Refund #1"))


def test_a_held_order_is_approved_and_a_claim_undone_each_by_its_own_word(
    clerk: FlaskClient, reviewer: FlaskClient
) -> None:
    order_id = held_order(clerk)
    assert reviewer.post(f"/orders/{order_id}/claim", data={}).status_code == 303
    zh = reviewer.get(f"/orders/{order_id}?lang=zh").text
    assert ">审核通过</a>" in zh and ">放弃认领</button>" in zh and "释放" not in zh
    en = reviewer.get(f"/orders/{order_id}?lang=en").text
    assert ">Approve</a>" in en and ">Unclaim</button>" in en and "Release" not in en
    reviewer.post(f"/orders/{order_id}/release", data={})
    zh = reviewer.get(f"/orders/{order_id}?lang=zh").text
    assert f"已放弃认领订单 #{order_id}" in zh and "放弃认领订单 · wang.qiang" in timeline(zh)
    en = reviewer.get(f"/orders/{order_id}?lang=en").text
    assert "Unclaimed the order · wang.qiang" in timeline(en) and "Released" not in en


def test_the_pay_page_says_the_order_stays_pending_unless_the_payment_pays_what_is_due(
    clerk: FlaskClient,
) -> None:
    order_id = create(clerk)
    zh = text_of(clerk.get(f"/orders/{order_id}/fire/pay?lang=zh").text, r"(执行「支付」后[^<]*)")
    stays = "执行「支付」后，订单仍为「待支付」；"
    assert zh == stays + "若「免支付」或「已付清」的条件成立，将随即自动转到「已支付」。"
    assert "将转到「待支付」" not in zh
    en = text_of(clerk.get(f"/orders/{order_id}/fire/pay?lang=en").text, r"(After “Pay”[^<]*)")
    assert en == (
        "After “Pay” the order stays “Pending payment”; if “Skip payment” or “Paid in full” holds then, "
        "it goes on to “Paid” by itself at once."
    )
    pay(clerk, order_id, "186")  # and so it does: paid in full, it is paid at once
    assert "待支付 → 已支付" in line_of(clerk.get(f"/orders/{order_id}?lang=zh").text, "已付清")
