"""Finance's pages of a wholesale order: the bank-transfer form says what the order still owes (the amount
it starts at) and what to do with money that arrived in excess, more than is owed refused saying so; a
payment record reads when the money arrived; a cash-on-delivery order says when its collection comes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.test_departments import FINANCE, SALES, ship, shipments, wholesale_data
from tests.web.conftest import demo_app, log_in
from tests.web.test_orders import lock_of


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    app = demo_app(tmp_path, demo_users_database, "finance-pages-tests")
    yield app
    app.extensions["orderloom"].close()


def part_paid(app: Flask) -> tuple[int, FlaskClient]:
    """A wholesale order of 15,350 yuan paid by bank transfer, 5,000 of it received; finance logged in."""
    engine = app.extensions["orderloom"].engine
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    part = {"method": "bank_transfer", "amount": 5000, "transaction_ref": "BK20260302001"}
    engine.fire(order.id, "confirm_transfer", FINANCE, part)
    return order.id, log_in(app.test_client(), "zhou.min", "zhou.min-demo")


def amount_help(page: str) -> str:
    found = re.search(r'<p class="help" id="f-amount-help">(.*?)</p>', page, re.S)
    assert found is not None, page
    return unescape(found.group(1))


@pytest.mark.parametrize(
    ("lang", "owed", "excess", "refused"),
    [
        (
            "zh",
            "本单尚欠 10350.00 元，已按此填好。",
            "多到账的部分由财务在系统外退回付款方",
            "收款金额 10400.00 元超过应付金额 10350.00 元；请按应付金额收款，"
            "多到账的部分由财务在系统外退回付款方",
        ),
        (
            "en",
            "Owed on this order: 10350.00 CNY, filled in.",
            "finance returns the excess to the payer outside the system",
            "the amount of 10400.00 CNY is more than the 10350.00 CNY due; take the amount due, and finance "
            "returns what arrived in excess to the payer outside the system",
        ),
    ],
)
def test_the_transfer_form_says_what_is_owed_and_what_to_do_with_an_excess(
    app: Flask, lang: str, owed: str, excess: str, refused: str
) -> None:
    order_id, finance = part_paid(app)
    page = finance.get(f"/orders/{order_id}/fire/confirm_transfer?lang={lang}").text
    assert amount_help(page).startswith(owed) and excess in amount_help(page)
    sent = {
        "method": "bank_transfer",
        "amount": "10400",
        "transaction_ref": "BK20260302002",
        "_lock_version": lock_of(page),
    }
    answer = finance.post(f"/orders/{order_id}/fire/confirm_transfer?lang={lang}", data=sent).text
    assert refused in unescape(answer)
    assert owed in amount_help(answer)  # what is owed, not what was typed over it


@pytest.mark.parametrize(
    ("lang", "received", "authorized"),
    [("zh", "到账时间", "授权时间"), ("en", "Received at", "Authorized at")],
)
def test_a_transfer_received_reads_when_it_arrived_not_when_it_was_authorized(
    app: Flask, lang: str, received: str, authorized: str
) -> None:
    order_id, finance = part_paid(app)
    page = finance.get(f"/orders/{order_id}?lang={lang}").text
    found = re.search(r'<article class="record" id="record-payment-1">(.*?)</article>', page, re.S)
    assert found is not None, page
    assert f"<dt>{received}</dt>" in found.group(1) and authorized not in found.group(1)


def actions(page: str) -> str:
    found = re.search(r'<section aria-labelledby="actions-heading">(.*?)</section>', page, re.S)
    assert found is not None, page
    return unescape(found.group(1))


@pytest.mark.parametrize(
    ("lang", "nothing", "why"),
    [
        ("zh", "当前没有您可执行的操作。", "货到付款收款：货到付款须在全部发货后收款"),
        (
            "en",
            "There is nothing for you to do on it now.",
            "Collect cash on delivery: Cash on delivery is collected once everything has shipped",
        ),
    ],
)
def test_finance_reads_when_a_cash_on_delivery_order_is_theirs_to_collect(
    app: Flask, lang: str, nothing: str, why: str
) -> None:
    engine = app.extensions["orderloom"].engine
    order = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(payment_method="cod")
    )
    finance = log_in(app.test_client(), "zhou.min", "zhou.min-demo")
    shown = actions(finance.get(f"/orders/{order.id}?lang={lang}").text)
    assert nothing in shown and why in shown
    for warehouse in shipments(engine, order.id):
        ship(engine, order.id, warehouse)
    shown = actions(finance.get(f"/orders/{order.id}?lang={lang}").text)
    assert nothing not in shown and why not in shown  # its step now offered
