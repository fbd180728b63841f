"""My work's queues (web/workspace.py, engine/runtime/workspace.py) over the demo's set-up: a queue where
the person signs approvals is theirs (the sales manager's credit review and approvals), listed; a person
whose departments' queues hold nothing of theirs is told so, truthfully (not that none is declared);
in zh and en, and at 390 px without sideways scroll."""

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
from tests.web.conftest import LiveServer, demo_app, log_in, log_in_page, serve, sideways

AT = datetime(2026, 3, 1, tzinfo=UTC)
OWED = {  # what the credit rule compared, as the order page's 为何在此 says it
    "zh": "欠款 {owed} + 订单金额（元） {total} > 信用额度（元） 60,000.00",
    "en": "owed {owed} + Order total (CNY) {total} > Credit limit (CNY) 60,000.00",
}
ORDINARY = {
    "zh": "2万至10万元，需销售经理审批",
    "en": "20,000 to 100,000 CNY, needs a sales manager's approval",
}


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    app = demo_app(tmp_path, demo_users_database, "work-queues-tests")
    yield app
    app.extensions["orderloom"].close()


def section(page: str) -> str:
    start = page.index('aria-labelledby="work-queues"')
    return unescape(page[start : page.index("</section>", start)])


@pytest.mark.parametrize(
    ("lang", "none", "not_yours"),
    [
        ("zh", "没有声明审核队列", "您所在部门的审核队列中没有您可处理的步骤或可签的审批"),
        ("en", "declares a queue", "No queue of your departments holds a step or an approval of yours"),
    ],
)
def test_the_queues_where_a_person_signs_approvals_are_theirs_and_the_rest_said_truly(
    app: Flask, lang: str, none: str, not_yours: str
) -> None:
    sun = log_in(app.test_client(), "sun.li", "sun.li-demo")
    queues = section(sun.get(f"/work?lang={lang}").get_data(as_text=True))
    links = re.findall(r'<a href="(/work/queues/[^"]+)"', queues)
    assert links == ["/work/queues/wholesale/credit-review", "/work/queues/wholesale/wholesale-approval"]
    assert none not in queues and not_yours not in queues
    qian = log_in(app.test_client(), "qian.hui", "qian.hui-demo")  # a purchaser: no step, no approval
    queues = section(qian.get(f"/work?lang={lang}").get_data(as_text=True))
    assert not_yours in queues and none not in queues and "/work/queues/" not in queues


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    yield from serve(app)


def test_the_queues_read_on_a_phone(page: Page, server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, "qian.hui", "qian.hui-demo")
    for lang in ("zh", "en"):
        page.goto(server(f"/work?lang={lang}"))
        expect(page.locator("#queues-not-yours")).to_be_visible()
        assert sideways(page) == 0, lang


def test_each_approval_row_says_why_the_order_waits_for_approval(app: Flask) -> None:
    """Two over-credit holds and an ordinary approval in the sales manager's 待我审批: each row says the
    rules that sent it there, a credit hold with the amounts compared, the approval table's row for the
    ordinary one; in zh and en."""
    services = app.extensions["orderloom"]
    chen = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
    put_account(
        services.store, CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 0), AT
    )
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    big = services.engine.create_order(
        chen, "wholesale", "wholesale-order", "phone", wholesale_data(lines=lines, total=52980)
    )
    assert big.state == "pending_approval"
    put_account(services.store, CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 60000, 0), AT)
    held = [
        services.engine.create_order(chen, "wholesale", "wholesale-order", "phone", wholesale_data()).id
        for _ in range(2)
    ]
    sun = log_in(app.test_client(), "sun.li", "sun.li-demo")
    for lang, why, over in (
        ("zh", "审批原因：", "欠款加本单金额超过信用额度："),
        ("en", "Why approval: ", "What the account owes plus this order exceeds the credit limit: "),
    ):
        page = unescape(sun.get(f"/work?lang={lang}").get_data(as_text=True))
        rows = {
            int(order): re.findall(r'<p class="work-held work-approval-why">([^<]*)</p>', body)
            for order, body in re.findall(
                r'<li class="work-item" data-order="(\d+)" data-key-row>(.*?)</li>', page, re.S
            )
        }
        assert set(rows) == {big.id, *held}
        assert rows[held[0]] == [f"{why}{over}{OWED[lang].format(owed='52,980.00', total='15,350.00')}"]
        assert rows[held[1]] == [f"{why}{over}{OWED[lang].format(owed='68,330.00', total='15,350.00')}"]
        assert rows[big.id] == [why + ORDINARY[lang]]  # the approval table's row, by its words
