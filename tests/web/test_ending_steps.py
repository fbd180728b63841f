"""A step that ends the order (into a final state: a cancel) is never the primary one (web/workspace.py,
web/orders.py): on My work's batch bar, a row's buttons, the order page and the orders list filtered to
a workflow and a state, it comes after the others, styled apart, and the key `a` (``data-key-approve``)
never takes it, even where it is the only step (the wholesale director's Cancel and refund)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web.conftest import log_in
from tests.web.test_workspace import PASSWORD
from tests.web.test_workspace_urgency import made, work_app_with

LABELS = {
    "zh": ("收款", "取消", "取消并退款"),
    "en": ("Take payment", "Cancel", "Cancel and refund"),
}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    yield from work_app_with(tmp_path, "ending-order")


def batch_buttons(page: str, state: str) -> list[tuple[str, str, bool]]:
    """The batch bar's step buttons of the group in ``state``: (trigger, class, taken by the key)."""
    start = page.index(state, page.index('class="batch-bar"'))
    bar = page[start : page.index("</form>", start)]
    found = re.findall(r'<button type="submit" name="trigger" value="([^"]+)" class="([^"]*)"([^>]*)>', bar)
    return [(trigger, cls, "data-key-approve" in rest) for trigger, cls, rest in found]


def client(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "zhang.san", PASSWORD)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_cancel_declared_first_comes_after_the_payment_and_is_not_primary(app: Flask, lang: str) -> None:
    order_id = made(app, workflow="ending-order")
    page = client(app).get(f"/work?lang={lang}").get_data(as_text=True)
    pay, cancel, _ = LABELS[lang]
    state = "待支付" if lang == "zh" else "Pending payment"
    assert batch_buttons(page, state) == [("pay", "primary", True), ("cancel", "ends", False)]
    row = page[page.index(f'data-order="{order_id}"') :]
    buttons = re.findall(r'<a class="button([^"]*)" href="/orders/\d+/fire/(\w+)">([^<]*)</a>', row)[:2]
    assert buttons == [("", "pay", pay), (" ends", "cancel", cancel)]
    shown = client(app).get(f"/orders/{order_id}?lang={lang}").get_data(as_text=True)
    triggers = re.findall(r'<a class="button([^"]*)" href="/orders/\d+/fire/(\w+)">', shown)
    assert triggers == [("", "pay"), (" ends", "cancel")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_group_whose_only_step_ends_the_order_has_no_primary_and_no_key(app: Flask, lang: str) -> None:
    made(app, "pay", workflow="ending-order")
    page = client(app).get(f"/work?lang={lang}").get_data(as_text=True)
    state = "已支付" if lang == "zh" else "Paid"
    assert batch_buttons(page, state) == [("cancel_refund", "ends", False)]
    assert LABELS[lang][2] in page


def test_the_orders_list_of_one_state_puts_the_cancel_last(app: Flask) -> None:
    made(app, workflow="ending-order")
    page = (
        client(app).get("/orders?workflow=ending-order&state=pending_payment&lang=en").get_data(as_text=True)
    )
    steps = re.findall(r'<button type="submit" name="trigger" value="([^"]+)" class="([^"]*)"([^>]*)>', page)
    assert [(t, c, "data-key-approve" in rest) for t, c, rest in steps] == [
        ("pay", "primary", True),
        ("cancel", "ends", False),
    ]
