"""The order's page when none of the reader's steps can be taken now: it says why each of theirs waits
(a cash-on-delivery order's collection waits for everything to ship), not a bare 当前没有您可执行的操作."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from flask import Flask

from tests.test_departments import SALES, ship, shipments, wholesale_data
from tests.web.conftest import demo_app, log_in


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    app = demo_app(tmp_path, demo_users_database, "order-waiting-tests")
    yield app
    app.extensions["orderloom"].close()


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
