"""The order page's 客户信用 / Account credit (web/orders.py ``shown_credit``) over the demo's set-up: what
a wholesale account owes counts its opening balance (期初欠款), and the page says how much of it that is,
beside the figure and in the credit hold's reason; in zh and en, read again once finance lowers it, and
at 390 px without sideways scroll."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from engine.runtime import Actor
from engine.runtime.accounts import put_account
from engine.store.accounts import CustomerAccount
from tests.test_departments import wholesale_data
from tests.web.conftest import LiveServer, demo_app_open, log_in, on_a_phone, serve, sideways

AT = datetime(2026, 3, 1, tzinfo=UTC)
CHEN = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    yield from demo_app_open(tmp_path, demo_users_database, "orders-credit-tests")


def owing(app: Flask, opening: float) -> None:
    """The account W100231: a 160,000 credit limit, ``opening`` owed from before its orders were kept."""
    account = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 160000, opening)
    put_account(app.extensions["orderloom"].store, account, AT)


def credit(page: str) -> dict[str, str]:
    """The 客户信用 section's figures, by their labels."""
    start = page.index('id="credit"')
    section = page[start : page.index("</dl>", start)]
    return dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", unescape(section)))


@pytest.mark.parametrize(
    ("lang", "owed_label", "owed", "lowered", "reason"),
    [
        (
            "zh",
            "欠款，不含本单（元）",
            "150000.00（含期初欠款 150000.00）",
            "100000.00（含期初欠款 100000.00）",
            "欠款 150,000.00（含期初欠款 150,000.00） + 订单金额（元） 15,350.00 > 信用额度（元） 160,000.00",
        ),
        (
            "en",
            "Owed besides this order (CNY)",
            "150000.00 (opening balance 150000.00 included)",
            "100000.00 (opening balance 100000.00 included)",
            "owed 150,000.00 (opening balance 150,000.00 included) + Order total (CNY) 15,350.00 > "
            "Credit limit (CNY) 160,000.00",
        ),
    ],
)
def test_the_order_page_counts_the_opening_balance_in_what_is_owed_and_says_so(
    app: Flask, lang: str, owed_label: str, owed: str, lowered: str, reason: str
) -> None:
    owing(app, 150000)
    engine = app.extensions["orderloom"].engine
    held = engine.create_order(CHEN, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert held.state == "credit_hold"  # 150,000 owed before + 15,350 > 160,000: held for a small order
    chen = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    page = chen.get(f"/orders/{held.id}?lang={lang}").get_data(as_text=True)
    figures = credit(page)
    assert figures[owed_label] == owed
    assert list(figures.values())[2:] == ["15350.00", "-5350.00"]  # this order unpaid, the credit left
    assert reason in unescape(page)  # the credit hold's reason says it too

    owing(app, 100000)  # finance lowered it: part of it was paid
    page = chen.get(f"/orders/{held.id}?lang={lang}").get_data(as_text=True)
    assert credit(page)[owed_label] == lowered
    assert list(credit(page).values())[3] == "44650.00"
    passed = engine.create_order(CHEN, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert passed.state != "credit_hold"  # 100,000 + the held order's 15,350 + 15,350 <= 160,000

    owing(app, 0)  # paid in full: the figure alone, nothing said of an opening balance
    page = chen.get(f"/orders/{passed.id}?lang={lang}").get_data(as_text=True)
    assert credit(page)[owed_label] == "15350.00"  # the held order, still open and unpaid


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    yield from serve(app)


def test_the_owed_figure_with_its_opening_balance_reads_on_a_phone(page: Page, server: LiveServer) -> None:
    owing(server.app, 150000)
    engine = server.app.extensions["orderloom"].engine
    held = engine.create_order(CHEN, "wholesale", "wholesale-order", "phone", wholesale_data())
    said = {
        "zh": "欠款，不含本单（元）150000.00（含期初欠款 150000.00）",
        "en": "Owed besides this order (CNY)150000.00 (opening balance 150000.00 included)",
    }
    for lang in on_a_phone(page, server, "chen.jing", "chen.jing-demo", f"/orders/{held.id}"):
        expect(page.locator("#credit")).to_contain_text(said[lang])
        assert sideways(page) == 0, lang
