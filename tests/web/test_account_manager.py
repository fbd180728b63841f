"""The account manager on a wholesale order's page (Flask test client over a real SQLite file, the
shipped wholesale workflow): the order's account names the manager by display name, not login, in
both languages, and the approval panel puts the task on him by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from engine.api.customer_accounts import CustomerAccount, put_account
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor
from web.users import create_user

from .conftest import log_in, make_app, settings_for

REPO = Path(__file__).resolve().parents[2]
SALES = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
DATA = {
    "account": {"account_no": "W100231"},
    "contact": {"name": "陈静", "mobile": "13912345678"},
    "address": {"province": "广东省", "city": "广州市", "district": "天河区", "detail": "体育西路191号B座"},
    "lines": [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}],
    "payment_method": "bank_transfer",
    "shipping_fee": 200,
    "discount": 0,
    "total": 52980,  # a standard account's: the sales manager's approval
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO, "account-manager"))
    services = app.extensions["orderloom"]
    names = services.registry.action_names
    services.engine.publish(load_bundle(REPO / "workflows/wholesale/order.yaml", REPO, action_names=names))
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for name, shown, roles in (
        ("sun.li", "孙丽（批发经理）", ["approver"]),
        ("zhang.wei", "张伟（批发经理）", ["approver"]),
        ("chen.jing", "陈静（批发销售）", ["sales"]),
    ):
        create_user(
            services.store,
            name=name,
            password=f"{name}-demo",
            roles=roles,
            departments=["wholesale"],
            at=at,
            display_name=shown,
        )
    yield app
    services.close()


def placed(app: Flask, manager: str | None) -> int:
    services = app.extensions["orderloom"]
    account = CustomerAccount("wholesale", "W100231", "上海鑫达商贸有限公司", 500000, 0, manager=manager)
    put_account(services.store, account, datetime(2026, 3, 1, tzinfo=UTC))
    order = services.engine.create_order(SALES, "wholesale", "wholesale-order", "phone", DATA)
    assert order.state == "pending_approval"
    return int(order.id)


def approvers(page: str) -> list[str]:
    return re.findall(r'<span class="approver">([^<]*)</span>', page)


def test_the_order_names_its_account_manager_and_his_task_by_display_name(app: Flask) -> None:
    order_id = placed(app, "sun.li")
    manager = log_in(app.test_client(), "sun.li", "sun.li-demo")
    zh = manager.get(f"/orders/{order_id}?lang=zh").get_data(as_text=True)
    assert re.search(r"客户经理</dt>\s*<dd>孙丽（批发经理）</dd>", zh), "the account's manager by name"
    assert approvers(zh) == ["孙丽（批发经理）"]  # his task alone, by his name
    assert 'name="action" value="approve"' in zh  # his to sign
    en = manager.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert re.search(r"Account manager</dt>\s*<dd>孙丽（批发经理）</dd>", en)
    assert ">sun.li<" not in en
    other = log_in(app.test_client(), "zhang.wei", "zhang.wei-demo")
    assert 'name="action" value="approve"' not in other.get(f"/orders/{order_id}").get_data(as_text=True)


def test_an_account_without_a_manager_goes_to_any_one_sales_manager(app: Flask) -> None:
    order_id = placed(app, None)
    other = log_in(app.test_client(), "zhang.wei", "zhang.wei-demo")
    en = other.get(f"/orders/{order_id}?lang=en").get_data(as_text=True)
    assert len(approvers(en)) == 1 and "(any one of: 孙丽（批发经理）, 张伟（批发经理）)" in approvers(en)[0]
    assert "Account manager" not in en
    assert 'name="action" value="approve"' in en
