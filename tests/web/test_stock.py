"""The stock pages (web/stock.py) through the test client: who sees them and who may change stock, each
operation from its form, a refusal shown in the page's language beside its field with nothing written,
the filters and the keyset paging of the levels and the ledger, the alerts with their figures."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api.stock import ledger_entries, receive_stock, set_safety_stock, stock_levels
from engine.store import Store
from tests.web.conftest import DEFS, add_user, log_in, make_app, settings_for

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """Two skus in two warehouses; ``zhao`` works the warehouse, ``qian`` buys, ``cleo`` is a clerk."""
    app = make_app(settings_for(tmp_path, DEFS, "stock-page-tests"))
    add_user(app, "zhao", "zhao-password", ("warehouse",), ("*",))
    add_user(app, "qian", "qian-password", ("purchaser",), ("*",))
    add_user(app, "cleo", "cleo-password", ("clerk",), ("retail",))
    store: Store = app.extensions["orderloom"].store
    for sku, warehouse, units in (
        ("XM-BAND8", "SH-01", 20),
        ("XM-BAND8", "GZ-01", 4),
        ("AT-C202", "SH-01", 9),
    ):
        receive_stock(store, "zhao", sku, warehouse, units, AT, new=True)
    yield app
    app.extensions["orderloom"].close()


def client_of(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name}-password")


def on_hand(app: Flask) -> dict[tuple[str, str], int]:
    return {(r.sku, r.warehouse): r.on_hand for r in stock_levels(app.extensions["orderloom"].store)}


def test_who_sees_the_stock_pages_and_who_may_change_stock(app: Flask) -> None:
    clerk = client_of(app, "cleo")
    assert 'id="stock-link"' not in clerk.get("/?lang=en").get_data(as_text=True)
    refused = clerk.get("/stock?lang=zh")
    assert refused.status_code == 403 and "无权访问" in refused.text and 'id="work-link"' in refused.text
    assert "Your roles do not open this page" in clerk.get("/stock?lang=en").text  # the app's page, worded
    buyer = client_of(app, "qian")
    page = buyer.get("/stock/receive?lang=en").get_data(as_text=True)
    assert 'id="stock-link"' in page and "the warehouse receives, transfers, counts and adjusts it" in page
    assert 'id="stock-receive"' not in page  # no form to send
    sent = {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "5"}
    assert buyer.post("/stock/receive", data=sent).status_code == 403
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 20
    keeper = client_of(app, "zhao")
    done = keeper.post("/stock/receive", data={**sent, "note": "到货"}, follow_redirects=True)
    assert "Received" in done.get_data(as_text=True) or "已入库" in done.get_data(as_text=True)
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 25
    [entry] = ledger_entries(app.extensions["orderloom"].store, kind="receive", sku="XM-BAND8", limit=1)
    assert (entry.change, entry.actor, entry.note) == (5, "zhao", "到货")


@pytest.mark.parametrize(
    ("path", "form", "field", "zh"),
    [
        (
            "/stock/receive",
            {"sku": "XM-BAND9", "warehouse": "SH-01", "qty": "2"},
            "s-sku",
            "您是否想输入 'XM-BAND8'",
        ),
        ("/stock/receive", {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "0"}, "s-qty", "数量必须是 1 到"),
        (
            "/stock/receive",
            {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "两"},
            "s-qty",
            "数量必须是 1 到",
        ),
        (
            "/stock/adjust",
            {"sku": "XM-BAND8", "warehouse": "GZ-01", "change": "-5", "reason": "丢失"},
            "s-change",
            "少于占用数",
        ),
        (
            "/stock/adjust",
            {"sku": "XM-BAND8", "warehouse": "GZ-01", "change": "1", "reason": ""},
            "s-reason",
            "请填写原因",
        ),
    ],
)
def test_a_refused_change_is_shown_beside_its_field_and_writes_nothing(
    app: Flask, path: str, form: dict[str, str], field: str, zh: str
) -> None:
    keeper = client_of(app, "zhao")
    before = on_hand(app)
    answer = keeper.post(f"{path}?lang=zh", data=form)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert zh in html.unescape(page.split('id="stock-error">')[1].split("</p>")[0])
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page.split(f'id="{field}"')[1].split(">")[0]
    assert on_hand(app) == before


def test_a_transfer_is_in_transit_until_received_partly_then_wholly(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    same = keeper.post(
        "/stock/transfers?lang=en", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "SH-01", "qty": "3"}
    )
    assert same.status_code == 422 and "another warehouse than the one it leaves" in same.get_data(
        as_text=True
    )
    sent = keeper.post(
        "/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"}
    )
    assert sent.status_code == 303
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 14 and on_hand(app)[("XM-BAND8", "GZ-01")] == 4
    listed = keeper.get("/stock/transfers?lang=en").get_data(as_text=True)
    assert 'id="transfer-1"' in listed and "In transit" in listed
    too_many = keeper.post("/stock/transfers/1/receive?lang=en", data={"qty": "7"})
    assert too_many.status_code == 422 and "6 units in transit" in too_many.get_data(as_text=True)
    keeper.post("/stock/transfers/1/receive", data={"qty": "2"})
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 6
    keeper.post("/stock/transfers/1/receive", data={"qty": ""})  # the rest
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 10
    assert 'id="transfer-1"' not in keeper.get("/stock/transfers").get_data(as_text=True)
    assert 'id="transfer-1"' in keeper.get("/stock/transfers?all=1").get_data(as_text=True)


def test_a_stock_take_is_counted_reviewed_and_posted(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    opened = keeper.post("/stock/takes", data={"warehouse": "SH-01"})
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/stock/takes/1")
    keeper.post("/stock/takes/1/count", data={"sku": "XM-BAND8", "counted": "18"})
    review = keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    assert '<td class="num" data-label="Difference">-2</td>' in review
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 20  # nothing until posted
    keeper.post("/stock/takes/1/post")
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 18
    assert 'id="take-state">Posted' in keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    late = keeper.post("/stock/takes/1/count?lang=en", data={"sku": "XM-BAND8", "counted": "1"})
    assert late.status_code == 422 and "it can no longer change" in late.get_data(as_text=True)
    assert keeper.get("/stock/takes/99").status_code == 404


def test_levels_and_ledger_filter_and_page_by_key(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.stock.PAGE_SIZE", 2)
    keeper = client_of(app, "zhao")
    first = keeper.get("/stock?lang=en").get_data(as_text=True)
    assert first.count("<tr") == 3  # the head and two rows: AT-C202@SH-01, XM-BAND8@GZ-01
    assert 'href="/stock?after=XM-BAND8@GZ-01"' in first
    rest = keeper.get("/stock?after=XM-BAND8%40GZ-01").get_data(as_text=True)
    assert rest.count("<code>XM-BAND8</code>") == 1 and "SH-01" in rest and 'id="stock-more"' not in rest
    only = keeper.get("/stock?warehouse=GZ-01").get_data(as_text=True)
    assert only.count("<code>") == 1
    set_safety_stock(app.extensions["orderloom"].store, "XM-BAND8", "GZ-01", 10)
    low = keeper.get("/stock?low=1&lang=en").get_data(as_text=True)
    assert low.count("<code>") == 1 and "Below safety stock" in low
    ledger = keeper.get("/stock/ledger?lang=en").get_data(as_text=True)
    assert ledger.count("<code>") == 2 and 'id="stock-more"' in ledger
    assert keeper.get("/stock/ledger?kind=receive&sku=AT-C202").get_data(as_text=True).count("<code>") == 1
    assert keeper.get("/stock/ledger?kind=nonsense").status_code == 404
    alerts = client_of(app, "qian").get("/stock/alerts?lang=en").get_data(as_text=True)
    assert 'data-label="Reorder"><b>6</b>' in alerts  # 0 shipped + 10 safety - 4 free - 0 in transit
