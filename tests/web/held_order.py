"""A retail order held by the audit, made as a clerk makes it: created through the intake page (5,128
yuan, over the audit's 5,000 limit) and paid through its pay page. The tests of the order page's "why"
read it, through the test client and in the browser."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web.test_orders import create, lock_of

BIG = {"lines[0].qty": "20", "lines[0].unit_price": "256.4", "shipping_fee": "0"}  # 5,128 yuan


def pay(clerk: FlaskClient, order_id: int, amount: str) -> None:
    """Pay ``amount`` yuan on the order by Alipay through its pay page."""
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {
        "method": "alipay",
        "amount": amount,
        "transaction_ref": "2026000001",
        "_lock_version": lock_of(page),
    }
    assert clerk.post(f"/orders/{order_id}/fire/pay", data=sent).status_code == 302


def held_order(clerk: FlaskClient) -> int:
    """The id of a new retail order of 5,128 yuan, paid in full and held by the audit for review."""
    order_id = create(clerk, **BIG)
    pay(clerk, order_id, "5128")
    return order_id
