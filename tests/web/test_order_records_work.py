"""The steps taken on an order's records count as work (web/orders.py, web/workspace.py), over the shipped
retail workflow: the warehouse reads no "nothing for you" on an order it ships but the way to its
shipment, others read the warehouse as next, and the warehouse's my work lists the order with the
shipment's step, in both languages."""

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
    app = retail_app(tmp_path, "record-work-tests")
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    add_user(app, "wu.yue", "wu.yue-demo", ("viewer",), ("retail",))
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


@pytest.fixture
def warehouse(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "wu.yue", "wu.yue-demo")


def paid(clerk: FlaskClient) -> int:
    """An order paid in full: pending shipment, its shipment waiting for the warehouse."""
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {"method": "alipay", "amount": "186", "transaction_ref": "2026000001"}
    sent["_lock_version"] = lock_of(page)
    assert clerk.post(f"/orders/{order_id}/fire/pay", data=sent).status_code == 302
    assert 'id="order-state">Pending shipment<' in clerk.get(f"/orders/{order_id}?lang=en").text
    return order_id


def next_line(page: str) -> str:
    found = re.search(r'<p class="next-here" id="next-here">(.*?)</p>', page, re.S)
    assert found is not None, page
    return unescape(found.group(1))


def test_the_warehouse_has_a_step_on_the_order_it_ships_and_others_read_it_as_next(
    clerk: FlaskClient, warehouse: FlaskClient, viewer: FlaskClient
) -> None:
    order_id = paid(clerk)
    nothings = (("zh", "当前没有您可执行的操作"), ("en", "There is nothing for you to do on it now"))
    for lang, nothing in nothings:
        page = warehouse.get(f"/orders/{order_id}?lang={lang}").text
        assert nothing not in page
        assert 'id="next-here"' not in page  # the warehouse acts: no one else is named
        assert f'action="/orders/{order_id}/records/shipment/1/ship"' in page
        link = re.search(r'<p class="empty" id="record-actions"><a href="#([^"]+)">', page)
        assert link is not None and f'<article class="record" id="{link.group(1)}">' in page
    assert "仓库" in next_line(viewer.get(f"/orders/{order_id}?lang=zh").text)
    assert "Warehouse" in next_line(viewer.get(f"/orders/{order_id}?lang=en").text)


def test_the_warehouses_my_work_lists_the_order_with_its_shipments_step(
    clerk: FlaskClient, warehouse: FlaskClient
) -> None:
    order_id = paid(clerk)
    work = warehouse.get("/work?lang=zh").text
    assert f'href="/orders/{order_id}#record-shipment-1">发货单 #1：发货</a>' in work
    english = warehouse.get("/work?lang=en").text
    assert f'href="/orders/{order_id}#record-shipment-1">Shipment #1: Ship</a>' in english
    # the link leads to the shipment's form on the order's page
    assert 'id="record-shipment-1"' in warehouse.get(f"/orders/{order_id}").text
