"""The after-sales receipt and restock as the warehouse reads them: the receipt's 收货时间 starts at the
time the form is drawn (as a delivery's 签收时间 does), and the goods put back on hand are the stock
ledger's entry of the person whose step put them there (the inspector whose pass set off the automatic
refund; the warehouse clerk who received a retail return), not 系统 / System; both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask

from engine.clock import CHINA_TIME as CHINA
from engine.clock import FrozenClock
from tests.after_sales import received_and_passed
from tests.engine.runtime.test_original_order import BOTH_BANDS
from tests.test_departments import INSPECTOR, RETAIL, SERVICE, WAREHOUSE, delivered_retail_order
from tests.web import test_original_order as original
from tests.web.conftest import log_in
from tests.web.test_orders import lock_of
from tests.web.test_original_order import engine_of
from tests.web.test_workspace_rows import requested
from web.users import create_user


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, 42, tzinfo=UTC))


app = original.app  # the original-order pages' app, on this module's clock


def with_people(app: Flask) -> Flask:
    """The warehouse clerk of both departments and the inspector, by their display names."""
    store = app.extensions["orderloom"].store
    for name, shown, roles, departments in (
        ("zhao.lei", "赵磊（仓库）", ["warehouse"], ["retail", "after_sales"]),
        ("wu.gang", "吴刚（质检）", ["inspector"], ["after_sales"]),
    ):
        create_user(
            store,
            name=name,
            password=f"{name}-pass",
            roles=roles,
            departments=departments,
            at=datetime(2026, 3, 1, tzinfo=UTC),
            display_name=shown,
        )
    return app


@pytest.mark.parametrize(("lang", "label"), [("zh", "收货时间"), ("en", "Received at")])
def test_the_receipt_starts_at_the_time_it_is_drawn(
    app: Flask, clock: FrozenClock, lang: str, label: str
) -> None:
    engine = engine_of(with_people(app))
    _, taken = requested(engine, clock)
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-pass")
    page = warehouse.get(f"/orders/{taken.id}/fire/receive_goods?lang={lang}").text
    assert '<label for="f-received_at"' in page and label in page
    drawn = clock.now().astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")  # to the minute, in China time
    found = re.search(
        r'<input type="datetime-local" id="f-received_at" name="received_at" value="([^"]*)"', page
    )
    assert found is not None and found.group(1).startswith(drawn), page
    sent = {"return_waybill": "SF1234567890", "received_at": found.group(1), "_lock_version": lock_of(page)}
    assert warehouse.post(f"/orders/{taken.id}/fire/receive_goods", data=sent).status_code == 302
    assert engine.get_order(taken.id, SERVICE).state == "inspecting"  # the time as drawn is taken


@pytest.mark.parametrize(("lang", "system"), [("zh", "系统"), ("en", "System")])
def test_the_ledger_names_who_put_the_goods_back(
    app: Flask, clock: FrozenClock, lang: str, system: str
) -> None:
    engine = engine_of(with_people(app))
    _, taken = requested(engine, clock)
    received_and_passed(engine, taken.id, clock.now(), warehouse=WAREHOUSE, inspector=INSPECTOR)
    returned = int(delivered_retail_order(engine, clock, mobile="13900001111"))
    engine.fire(returned, "request_return", RETAIL, {**BOTH_BANDS, "refund_amount": 478})
    engine.fire(returned, "receive_return", WAREHOUSE)
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-pass")
    for reference, who in ((taken.id, "吴刚（质检）"), (returned, "赵磊（仓库）")):
        page = warehouse.get(f"/stock/ledger?reference={reference}&kind=restock&lang={lang}").text
        rows = re.findall(r"<tr[^>]*>.*?</tr>", page[page.index("<tbody") :], re.S)
        assert len(rows) == 1, page
        assert who in rows[0] and system not in rows[0]
