"""The stock pages (web/stock.py) through the test client: who sees them and who may change stock, each
operation from its form, a refusal shown in the page's language beside its field with nothing written,
the filters and the keyset paging of the levels and the ledger, the alerts with their figures."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api.catalogue import Product, put_products
from engine.api.stock import (
    ledger_entries,
    receive_stock,
    review_stock_take,
    set_safety_stock,
    stock_levels,
    transfers,
)
from engine.dsl.compiler import load_bundle
from engine.store import Store
from tests.web.conftest import DEFS, REPO_ROOT, add_user, log_in, make_app, settings_for
from web.users import create_user

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
            "您是否想输入「XM-BAND8」",
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
    assert zh in html.unescape(page.split(f'id="{field}-error">')[1].split("</span>")[0])
    assert f'id="{field}"' in page and 'aria-invalid="true"' in page.split(f'id="{field}"')[1].split(">")[0]
    assert on_hand(app) == before


def beside(page: str, field: str) -> str:
    """The message shown beside a form's field (empty: none)."""
    found = re.search(rf'id="{field}-error">(.*?)</span>', page, re.S)
    return html.unescape(found.group(1)) if found else ""


def test_every_problem_of_a_stock_form_is_shown_at_once_each_beside_its_field(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    before = on_hand(app)
    receive = {"sku": "xm-band9", "warehouse": "SH-01", "qty": "0", "note": "长" * 501}
    page = keeper.post("/stock/receive?lang=zh", data=receive).get_data(as_text=True)
    assert beside(page, "s-sku") == "没有商品「xm-band9」；您是否想输入「XM-BAND8」？"
    assert "数量必须是 1 到" in beside(page, "s-qty") and "说明不能超过" in beside(page, "s-note")
    assert beside(page, "s-warehouse") == ""
    adjust = {"sku": "XM-BAND9", "warehouse": "SH-01", "change": "0", "reason": ""}
    page = keeper.post("/stock/adjust?lang=en", data=adjust).get_data(as_text=True)
    assert "Did you mean XM-BAND8?" in beside(page, "s-sku")
    assert "other than 0" in beside(page, "s-change") and "Say why" in beside(page, "s-reason")
    transfer = {"sku": "XM-BAND9", "source": "SH-01", "dest": "SH-01", "qty": "x"}
    page = keeper.post("/stock/transfers?lang=en", data=transfer).get_data(as_text=True)
    assert "Did you mean XM-BAND8?" in beside(page, "s-sku") and "whole number" in beside(page, "s-qty")
    assert on_hand(app) == before
    picker = keeper.get("/stock/receive").get_data(as_text=True)
    assert 'list="skus"' in picker and '<option value="XM-BAND8">' in picker


def test_a_transfer_is_in_transit_until_received_partly_then_wholly(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    same = keeper.post(
        "/stock/transfers?lang=en", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "SH-01", "qty": "3"}
    )
    assert (
        same.status_code == 422
        and "Choose another warehouse to send to: the units leave SH-01." in same.get_data(as_text=True)
    )
    sent = keeper.post(
        "/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"}
    )
    assert sent.status_code == 303
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 14 and on_hand(app)[("XM-BAND8", "GZ-01")] == 4
    listed = keeper.get("/stock/transfers?lang=en").get_data(as_text=True)
    assert 'id="transfer-1"' in listed and "In transit" in listed
    too_many = keeper.post("/stock/transfers/1/receive?lang=en", data={"qty": "7"}, follow_redirects=True)
    assert "Only 6 of transfer T1 are in transit (6 were sent); 7 cannot be received." in too_many.text
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
    assert (
        late.status_code == 422
        and "Stock-take C1 has been posted: it can no longer change." in late.get_data(as_text=True)
    )
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


def key_of(page: str, form_id: str) -> str:
    """The one-time key the form ``form_id`` of ``page`` was drawn with."""
    form = page.split(f'id="{form_id}"')[1].split("</form>")[0]
    found = re.search(r'name="_key" value="([0-9a-f]{32})"', form)
    assert found is not None, f"form {form_id} carries no key"
    return found.group(1)


def test_a_stock_form_sent_twice_books_once_and_answers_alike(app: Flask) -> None:
    """A double click on 入库: the same drawn form posted twice is one receipt; so for a transfer, its
    receipt and a stock-take's count and posting. The same form changed and sent again is refused."""
    keeper = client_of(app, "zhao")
    store: Store = app.extensions["orderloom"].store
    key = key_of(keeper.get("/stock/receive").get_data(as_text=True), "stock-receive")
    sent = {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "5", "_key": key}
    answers = [keeper.post("/stock/receive", data=sent) for _ in range(2)]
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 25
    assert len(ledger_entries(store, kind="receive", sku="XM-BAND8", warehouse="SH-01")) == 2  # 20, then 5
    changed = keeper.post("/stock/receive?lang=en", data={**sent, "qty": "6"})
    assert changed.status_code == 422 and "This form was sent already" in changed.get_data(as_text=True)
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 25
    again = key_of(changed.get_data(as_text=True), "stock-receive")
    assert again != key  # drawn afresh: sending it now is a new receipt
    assert keeper.post("/stock/receive", data={**sent, "qty": "6", "_key": again}).status_code == 303
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 31

    page = keeper.get("/stock/transfers").get_data(as_text=True)
    transfer = {"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"}
    transfer["_key"] = key_of(page, "stock-transfer")
    for _ in range(2):
        assert keeper.post("/stock/transfers", data=transfer).headers["Location"].endswith("sent=1")
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 25 and len(transfers(store)) == 1
    page = keeper.get("/stock/transfers").get_data(as_text=True)
    receipt = {"qty": "2", "_key": key_of(page, "transfer-1")}
    for _ in range(2):
        keeper.post("/stock/transfers/1/receive", data=receipt)
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 6

    keeper.post("/stock/takes", data={"warehouse": "GZ-01"})
    page = keeper.get("/stock/takes/1").get_data(as_text=True)
    count = {"sku": "XM-BAND8", "counted": "5", "_key": key_of(page, "take-count")}
    post = {"_key": key_of(page, "take-post-ask")}
    for _ in range(2):
        keeper.post("/stock/takes/1/count", data=count)
    for _ in range(2):
        assert keeper.post("/stock/takes/1/post", data=post).status_code == 303
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 5
    assert len(ledger_entries(store, kind="count")) == 1


def test_the_purchaser_sets_safety_stock_and_sees_no_empty_tabs(app: Flask) -> None:
    buyer = client_of(app, "qian")
    page = buyer.get("/stock/alerts?lang=en").get_data(as_text=True)
    tabs = page.split('class="tabs"')[1].split("</nav>")[0]
    assert "/stock/receive" not in tabs and "/stock/adjust" not in tabs  # the warehouse's forms
    assert "/stock/safety" in tabs and "set its safety stock" in page
    levels = buyer.get("/stock?lang=en").get_data(as_text=True)
    assert 'href="/stock/safety?sku=AT-C202&amp;warehouse=SH-01&amp;units="' in levels
    form = buyer.get("/stock/safety?sku=AT-C202&warehouse=SH-01&lang=en").get_data(as_text=True)
    assert 'id="stock-safety"' in form and 'value="AT-C202"' in form
    assert '<option value="SH-01" selected>' in form
    sent = {"sku": "AT-C202", "warehouse": "SH-01", "units": "12", "_key": key_of(form, "stock-safety")}
    done = buyer.post("/stock/safety", data=sent)
    assert done.status_code == 303
    assert "Safety stock saved" in buyer.get(f"{done.headers['Location']}&lang=en").get_data(as_text=True)
    store: Store = app.extensions["orderloom"].store
    [row] = stock_levels(store, sku="AT-C202")
    assert (row.safety_stock, row.low) == (12, True)
    alerts = buyer.get("/stock/alerts?lang=en").get_data(as_text=True)
    assert 'href="/stock/safety?sku=AT-C202&amp;warehouse=SH-01&amp;units=12"' in alerts
    refused = buyer.post("/stock/safety?lang=zh", data={**sent, "units": "-1", "_key": "other"})
    assert refused.status_code == 422 and "安全库存必须是 0 到" in refused.get_data(as_text=True)
    cleared = buyer.post("/stock/safety", data={**sent, "units": "", "_key": "cleared"})
    assert cleared.status_code == 303 and stock_levels(store, sku="AT-C202")[0].safety_stock is None
    keeper = client_of(app, "zhao")  # the warehouse receives and counts; it does not set safety stock
    assert "/stock/safety" not in keeper.get("/stock").get_data(as_text=True)
    assert keeper.get("/stock/safety").status_code == 403
    assert keeper.post("/stock/safety", data=sent).status_code == 403
    assert client_of(app, "cleo").get("/stock/safety").status_code == 403


def test_the_transfer_form_defaults_apart_confirms_and_keeps_a_refused_receipt(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    page = keeper.get("/stock/transfers?lang=en").get_data(as_text=True)
    form = page.split('id="stock-transfer"')[1]
    source = form.split('id="s-source"')[1].split("</select>")[0]
    dest = form.split('id="s-dest"')[1].split("</select>")[0]
    assert '<option value="GZ-01" selected>' in source and '<option value="SH-01" selected>' in dest
    sent = keeper.post(
        "/stock/transfers",
        data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"},
        follow_redirects=True,
    )
    notice = html.unescape(sent.get_data(as_text=True).split('id="transfer-done">')[1].split("</p>")[0])
    assert "T1" in notice and "6 × XM-BAND8" in notice and "SH-01" in notice and "GZ-01" in notice
    too_many = keeper.post("/stock/transfers/1/receive?lang=en", data={"qty": "7"})
    # the refusal is shown from the list's address (reloading it sends nothing), once, beside the field
    assert too_many.status_code == 303
    assert too_many.headers["Location"].endswith("/stock/transfers?receiving=1&qty=7")
    page = keeper.get(too_many.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert page.count("Only 6 of transfer T1 are in transit") == 1 and 'id="stock-error"' not in page
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 4
    field = page.split('id="r-1"')[1].split(">")[0]
    assert 'value="7"' in field and 'aria-invalid="true"' in field
    beside = page.split('id="receive-error-1">')[1].split("</span>")[0]
    assert "Only 6 of transfer T1 are in transit" in beside


def test_warehouses_by_name_and_people_by_display_name(app: Flask) -> None:
    services = app.extensions["orderloom"]
    services.engine.publish(load_bundle(REPO_ROOT / "workflows" / "retail" / "order.yaml", REPO_ROOT))
    create_user(
        services.store,
        name="zhao.lei",
        password="zhao.lei-password",
        roles=("warehouse",),
        departments=("*",),
        at=AT,
        display_name="赵磊",
    )
    keeper = client_of(app, "zhao.lei")
    keeper.post("/stock/receive", data={"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "1"})
    for lang, name in (("zh", "SH-01 · 上海仓"), ("en", "SH-01 · Shanghai warehouse")):
        levels = keeper.get(f"/stock?lang={lang}").get_data(as_text=True)
        assert f'data-label="{"仓库" if lang == "zh" else "Warehouse"}">{name}</td>' in levels
        assert f'<option value="SH-01">{name}</option>' in levels
    ledger = keeper.get("/stock/ledger?lang=en").get_data(as_text=True)
    assert '<td data-label="By">赵磊</td>' in ledger and ">zhao.lei<" not in ledger
    keeper.post("/stock/takes", data={"warehouse": "GZ-01"})
    take = keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    assert "GZ-01 · Guangzhou warehouse" in take and "Opened by 赵磊" in take
    assert "赵磊" in keeper.get("/stock/takes?lang=en").get_data(as_text=True)
    # posting is asked first: the button that posts is inside the question
    ask = take.split('id="take-post-ask"')[1].split("</details>")[0]
    assert "Post stock-take C1?" in ask and 'id="take-post"' in ask
    keeper.post("/stock/takes/1/count", data={"sku": "XM-BAND8", "counted": "4"})
    keeper.post("/stock/takes/1/post")
    posted = keeper.get("/stock/takes/1?lang=zh").get_data(as_text=True)
    assert "开单：赵磊 · 过账：赵磊" in posted


def put_band(app: Flask) -> None:
    """XM-BAND8 in the catalogue; AT-C202 not (shown bare)."""
    put_products(
        app.extensions["orderloom"].store,
        [Product("XM-BAND8", "小米手环8", "Xiaomi Band 8", Decimal("249"))],
        AT,
        "admin",
    )


def test_every_stock_page_names_the_product_in_the_readers_language(app: Flask) -> None:
    put_band(app)
    store = app.extensions["orderloom"].store
    set_safety_stock(store, "XM-BAND8", "GZ-01", 10)
    keeper = client_of(app, "zhao")
    keeper.post("/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "1"})
    keeper.post("/stock/takes", data={"warehouse": "SH-01"})
    keeper.post("/stock/takes/1/count", data={"sku": "XM-BAND8", "counted": "19"})
    for lang, name in (("zh", "小米手环8"), ("en", "Xiaomi Band 8")):
        shown = f'<code>XM-BAND8</code> · <span class="product-name">{name}</span>'
        for path in ("/stock", "/stock/ledger", "/stock/alerts", "/stock/transfers", "/stock/takes/1"):
            page = keeper.get(f"{path}?lang={lang}").get_data(as_text=True)
            assert shown in page, (path, lang)
        levels = keeper.get(f"/stock?lang={lang}").get_data(as_text=True)
        assert "<code>AT-C202</code></a>" in levels  # the catalogue lacks it: bare
    done = keeper.post(
        "/stock/transfers?lang=en",
        data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    notice = html.unescape(done.split('id="transfer-done">')[1].split("</p>")[0])
    assert "1 × XM-BAND8 · Xiaomi Band 8 from" in notice


def test_a_stock_take_starts_with_its_warehouses_products_and_asks_before_a_large_difference(
    app: Flask,
) -> None:
    put_band(app)
    keeper = client_of(app, "zhao")
    keeper.post("/stock/takes", data={"warehouse": "SH-01"})
    page = keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    sheet = page.split('id="take-sheet-lines"')[1].split("</table>")[0]
    assert "XM-BAND8</code> · <span" in sheet and "AT-C202" in sheet and ">20</td>" in sheet
    assert 'id="take-count"' in page  # a SKU can still be added
    sent = keeper.post("/stock/takes/1/counts", data={"counted:XM-BAND8": "7", "counted:AT-C202": ""})
    assert sent.status_code == 303
    page = keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    assert "XM-BAND8" not in page.split('id="take-sheet-lines"')[1].split("</table>")[0]  # counted
    ask = page.split('id="take-post-ask"')[1].split("</details>")[0]
    large = html.unescape(ask.split('id="take-large"')[1].split("</div>")[0])
    assert "XM-BAND8 · Xiaomi Band 8: 7 counted against a book of 20 (-13)" in large
    assert "more than 10 units and more than 10% of the book" in large
    zh = keeper.get("/stock/takes/1?lang=zh").get_data(as_text=True)
    assert "盘点 7 件，账面 20 件（差异 -13）" in html.unescape(zh)
    bad = keeper.post("/stock/takes/1/counts?lang=en", data={"counted:AT-C202": "abc"})
    assert bad.status_code == 422
    field = bad.get_data(as_text=True).split('name="counted:AT-C202"')[1].split(">")[0]
    assert 'value="abc"' in field and 'aria-invalid="true"' in field
    # cancelling is asked first: the button that cancels is inside the question
    cancel = page.split('id="take-cancel-ask"')[1].split("</details>")[0]
    assert "Cancel stock-take C1?" in cancel and 'id="take-cancel"' in cancel
    keeper.post("/stock/takes/1/post")
    assert on_hand(app)[("XM-BAND8", "SH-01")] == 7
    posted = keeper.get("/stock/takes/1?lang=en").get_data(as_text=True)
    assert 'id="take-sheet"' not in posted and 'id="take-large"' not in posted


def test_a_sku_typed_in_lower_case_is_booked_shown_and_filtered_in_capitals(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    done = keeper.post("/stock/receive", data={"sku": "xm-band8", "warehouse": "SH-01", "qty": "2"})
    assert done.status_code == 303 and "sku=XM-BAND8" in done.headers["Location"]
    ledger = keeper.get(done.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "<code>XM-BAND8</code>" in ledger and '<td class="num" data-label="Change">+2</td>' in ledger
    typed = keeper.get("/stock/ledger?sku=xm-band8&lang=en").get_data(as_text=True)
    assert typed.count('data-label="Change"') == 3  # two first receipts and this one
    levels = keeper.get("/stock?sku=xm-&lang=en").get_data(as_text=True)
    assert levels.count("<code>XM-BAND8</code>") == 2
    adjusted = keeper.post(
        "/stock/adjust", data={"sku": "at-c202", "warehouse": "SH-01", "change": "-1", "reason": "破损"}
    )
    assert "sku=AT-C202" in adjusted.headers["Location"]


def test_a_transfer_receipt_is_confirmed_with_what_came_in(app: Flask) -> None:
    put_band(app)
    keeper = client_of(app, "zhao")
    keeper.post("/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"})
    part = keeper.post("/stock/transfers/1/receive", data={"qty": "2"})
    assert part.status_code == 303 and "received=1" in part.headers["Location"]
    page = keeper.get(part.headers["Location"] + "&lang=en").get_data(as_text=True)
    notice = html.unescape(page.split('id="transfer-received">')[1].split("</p>")[0])
    assert notice == (
        "Received: 2 × XM-BAND8 · Xiaomi Band 8 of transfer T1 into GZ-01; "
        "2 of 6 received, 4 still in transit."
    )
    rest = keeper.post("/stock/transfers/1/receive", data={"qty": ""})
    page = keeper.get(rest.headers["Location"] + "&lang=zh").get_data(as_text=True)
    notice = html.unescape(page.split('id="transfer-received">')[1].split("</p>")[0])
    assert notice == "已收货：调拨单 T1，4 件 XM-BAND8 · 小米手环8 收入 GZ-01；6 件已全部收到。"
    assert on_hand(app)[("XM-BAND8", "GZ-01")] == 10
    gone = keeper.post("/stock/transfers/9/receive?lang=en", data={"qty": "1"}, follow_redirects=True)
    assert (
        gone.get_data(as_text=True).count("There is no transfer T9.") == 1
    )  # no row for it: said above the list
    assert keeper.get("/stock/transfers?received=9").status_code == 404


def test_the_ledger_names_the_system_and_the_demos_receipts_in_words(app: Flask) -> None:
    store = app.extensions["orderloom"].store
    receive_stock(store, "system", "AT-C202", "SH-01", 1, AT, reference="demo")
    keeper = client_of(app, "zhao")
    for lang, system, demo in (("zh", "系统", "演示数据"), ("en", "System", "Demo data")):
        ledger = keeper.get(f"/stock/ledger?sku=AT-C202&lang={lang}").get_data(as_text=True)
        row = ledger.split("<tbody>")[1].split("</tr>")[0]
        assert f">{system}</td>" in row and f">{demo}</td>" in row, row
        assert ">system<" not in row and ">demo<" not in row


def test_what_is_not_found_is_named(app: Flask) -> None:
    keeper = client_of(app, "zhao")
    for lang, said in (("en", "There is no stock-take C999."), ("zh", "没有盘点单 C999")):
        missing = keeper.get(f"/stock/takes/999?lang={lang}")
        assert missing.status_code == 404
        assert said in missing.get_data(as_text=True) and "aria-current" not in missing.text
    bogus = keeper.get("/stock/ledger?kind=bogus&lang=en")
    text = html.unescape(bogus.get_data(as_text=True))
    assert bogus.status_code == 404 and "There is no kind of ledger entry called “bogus”." in text
    assert "Received (receive), Transferred out (transfer_out)" in text
    zh = html.unescape(keeper.get("/stock/ledger?kind=bogus&lang=zh").get_data(as_text=True))
    assert "没有“bogus”这种台账类型。台账类型有：期初 (opening)、入库 (receive)、调出 (transfer_out)" in zh
    gone = keeper.get("/stock/transfers?sent=9&lang=en")
    assert gone.status_code == 404 and "There is no transfer T9." in gone.get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "heading", "figures"),
    [
        ("zh", "库存预警：1 项待补货", "可用 4，安全库存 10，建议补货 6 件"),
        ("en", "Low-stock alerts: 1 to reorder", "4 free, safety stock 10: reorder 6"),
    ],
)
def test_a_purchasers_my_work_lists_the_open_low_stock_alerts_linked_to_the_stock_pages(
    app: Flask, lang: str, heading: str, figures: str
) -> None:
    buyer = client_of(app, "qian")
    assert 'id="work-stock-section"' not in buyer.get(f"/work?lang={lang}").get_data(as_text=True)  # none low
    set_safety_stock(app.extensions["orderloom"].store, "XM-BAND8", "GZ-01", 10)
    page = buyer.get(f"/work?lang={lang}").get_data(as_text=True)
    section = page.split('id="work-stock-section"')[1].split("</section>")[0]
    assert heading in section and figures in section
    assert re.findall(r'data-sku="([^"]+)"', section) == ["XM-BAND8"]
    links = re.findall(r'href="([^"]+)"', section)
    assert html.unescape(links[0]) == "/stock/ledger?sku=XM-BAND8&warehouse=GZ-01"
    assert "/stock/alerts" in links and "/stock/transfers" in links
    for link in links:
        assert buyer.get(html.unescape(link)).status_code == 200
    assert 'id="work-none"' not in page
    keeper = client_of(app, "zhao")  # the warehouse's work is its orders: no alerts there
    assert 'id="work-stock-section"' not in keeper.get(f"/work?lang={lang}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("lang", "abc", "minus"),
    [
        (
            "zh",
            "商品 AT-C202 的盘点数量必须是 0 到 1,000,000,000 的整数，收到「abc」",
            "商品 XM-BAND8 的盘点数量必须是 0 到 1,000,000,000 的整数，收到「-3」",
        ),
        (
            "en",
            "AT-C202: enter the units counted as a whole number from 0 to 1,000,000,000 (you wrote “abc”).",
            "XM-BAND8: enter the units counted as a whole number from 0 to 1,000,000,000 (you wrote “-3”).",
        ),
    ],
)
def test_every_bad_count_of_the_sheet_is_said_beside_its_row_naming_its_sku(
    app: Flask, lang: str, abc: str, minus: str
) -> None:
    keeper = client_of(app, "zhao")
    keeper.post("/stock/takes", data={"warehouse": "SH-01"})
    sheet = {"counted:AT-C202": "abc", "counted:XM-BAND8": "-3"}
    bad = keeper.post(f"/stock/takes/1/counts?lang={lang}", data=sheet)
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="stock-error"' not in page  # nothing above: each beside its row
    rows = page.split('id="take-sheet-lines"')[1].split("</table>")[0]
    assert [beside(rows, "c-1"), beside(rows, "c-2")] == [abc, minus]  # AT-C202, XM-BAND8 by sku
    for field, typed in sheet.items():
        shown = rows.split(f'name="{field}"')[1].split(">")[0]
        assert f'value="{typed}"' in shown and 'aria-invalid="true"' in shown
    assert not review_stock_take(app.extensions["orderloom"].store, 1).lines  # none entered
    one = keeper.post(f"/stock/takes/1/count?lang={lang}", data={"sku": "AT-C202", "counted": "x"})
    assert one.status_code == 422 and "x" in beside(one.get_data(as_text=True), "s-counted")


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh", "单据不能超过 500 个字（收到 3,000 个字）"),
        ("en", "Write the reference in at most 500 characters (you wrote 3,000)."),
    ],
)
def test_a_long_reference_is_refused_in_the_references_own_words(app: Flask, lang: str, said: str) -> None:
    keeper = client_of(app, "zhao")
    sent = {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": "1", "reference": "单" * 3000}
    page = keeper.post(f"/stock/receive?lang={lang}", data=sent).get_data(as_text=True)
    assert beside(page, "s-reference") == said and beside(page, "s-note") == ""


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("zh", "安全库存必须是 0 到 1,000,000,000 的整数，收到「abc」"),
        ("en", "Enter the safety stock as a whole number from 0 to 1,000,000,000 (you wrote “abc”)."),
    ],
)
def test_a_bad_safety_stock_is_said_beside_its_field_with_what_was_typed(
    app: Flask, lang: str, said: str
) -> None:
    buyer = client_of(app, "qian")
    sent = {"sku": "AT-C202", "warehouse": "SH-01", "units": "abc"}
    refused = buyer.post(f"/stock/safety?lang={lang}", data=sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="stock-error"' not in page
    assert beside(page, "s-units") == said and 'value="abc"' in page.split('id="s-units"')[1].split(">")[0]
    assert stock_levels(app.extensions["orderloom"].store, sku="AT-C202")[0].safety_stock is None


@pytest.mark.parametrize(
    ("lang", "now", "after"),
    [
        ("zh", "XM-BAND8 在 SH-01 现有 11 件；结存为每条记录之后的现有数。", "结存"),
        (
            "en",
            "XM-BAND8 in SH-01: 11 on hand now; the balance is what was on hand after each entry.",
            "Balance",
        ),
    ],
)
def test_the_ledger_of_one_row_shows_its_running_balance_and_links_its_transfers(
    app: Flask, monkeypatch: pytest.MonkeyPatch, lang: str, now: str, after: str
) -> None:
    keeper = client_of(app, "zhao")
    keeper.post("/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"})
    keeper.post(
        "/stock/adjust", data={"sku": "XM-BAND8", "warehouse": "SH-01", "change": "-3", "reason": "盘亏"}
    )
    monkeypatch.setattr("web.stock.PAGE_SIZE", 2)
    page = keeper.get(f"/stock/ledger?sku=xm-band8&warehouse=SH-01&lang={lang}").get_data(as_text=True)
    assert html.unescape(page.split('id="ledger-on-hand">')[1].split("</p>")[0]) == now
    balances = re.findall(rf'data-label="{after}">(\d+)</td>', page)
    assert balances == ["11", "14"]  # after the adjustment, after the transfer (newest first)
    assert '<a href="/stock/transfers/1">T1</a>' in page
    more = re.search(r'href="([^"]+)" rel="next"', page)
    assert more is not None
    older = keeper.get(f"{html.unescape(more.group(1))}&lang={lang}").get_data(as_text=True)
    assert re.findall(rf'data-label="{after}">(\d+)</td>', older) == ["20"]  # the opening receipt
    shown = keeper.get(f"/stock/transfers/1?lang={lang}")
    assert shown.status_code == 200 and 'id="transfer-1"' in shown.text
    assert keeper.get("/stock/transfers/99?lang=en").status_code == 404
    kinds = keeper.get(f"/stock/ledger?sku=XM-BAND8&warehouse=SH-01&kind=adjust&lang={lang}").text
    assert 'id="ledger-on-hand"' not in kinds and after not in kinds.split('id="stock-ledger"')[1]


@pytest.mark.parametrize(
    ("lang", "uncounted", "go", "opened", "closed"),
    [
        (
            "zh",
            "该仓库还有 1 个商品未盘点（AT-C202）：过账不改动它们的账面，留待以后盘点。",
            "打开盘点单 C1",
            "开始",
            "过账或取消",
        ),
        (
            "en",
            "Not counted yet: 1 of the warehouse's products (AT-C202). Posting leaves their book as it is, "
            "for a later count.",
            "Open stock-take C1",
            "Opened",
            "Posted or cancelled",
        ),
    ],
)
def test_a_stock_take_says_what_posting_leaves_uncounted_links_the_open_one_and_lists_dates(
    app: Flask, lang: str, uncounted: str, go: str, opened: str, closed: str
) -> None:
    keeper = client_of(app, "zhao")
    keeper.post("/stock/takes", data={"warehouse": "SH-01"})
    again = keeper.post(f"/stock/takes?lang={lang}", data={"warehouse": "SH-01"})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and "C1" in page.split('id="stock-error">')[1].split("</p>")[0]
    assert f'<a href="/stock/takes/1">{go}</a>' in page.split('id="take-in-the-way">')[1].split("</p>")[0]
    keeper.post("/stock/takes/1/count", data={"sku": "XM-BAND8", "counted": "18"})
    ask = keeper.get(f"/stock/takes/1?lang={lang}").get_data(as_text=True).split('id="take-post-ask"')[1]
    assert html.unescape(ask.split('id="take-uncounted">')[1].split("</p>")[0]) == uncounted
    keeper.post("/stock/takes/1/count", data={"sku": "AT-C202", "counted": "9"})
    every = keeper.get(f"/stock/takes/1?lang={lang}").get_data(as_text=True)
    assert 'id="take-uncounted"' not in every  # all counted: nothing left to say
    keeper.post("/stock/takes/1/post")
    listed = keeper.get(f"/stock/takes?lang={lang}").get_data(as_text=True)
    row = listed.split('id="stock-takes"')[1].split("</table>")[0]
    for label in (opened, closed):
        cell = row.split(f'data-label="{label}">')[1].split("</td>")[0]
        assert re.search(r"<time>\d{4}-\d\d-\d\d \d\d:\d\d</time> · zhao", cell), cell


@pytest.mark.parametrize(
    ("lang", "row", "cell"),
    [
        ("zh", "可用 4，安全库存 10，在途 6 件可补足，暂不需补货", "（在途可补足）"),
        ("en", "4 free, safety stock 10: the 6 in transit cover it, nothing to reorder", "covered by what"),
    ],
)
def test_an_alert_whose_shortfall_is_in_transit_says_so_rather_than_reorder_0(
    app: Flask, lang: str, row: str, cell: str
) -> None:
    keeper = client_of(app, "zhao")
    keeper.post("/stock/transfers", data={"sku": "XM-BAND8", "source": "SH-01", "dest": "GZ-01", "qty": "6"})
    set_safety_stock(app.extensions["orderloom"].store, "XM-BAND8", "GZ-01", 10)  # 4 free + 6 coming
    buyer = client_of(app, "qian")
    work = buyer.get(f"/work?lang={lang}").get_data(as_text=True)
    assert row in work.split('id="work-stock-section"')[1].split("</section>")[0]
    alerts = buyer.get(f"/stock/alerts?lang={lang}").get_data(as_text=True)
    assert cell in alerts.split('class="num suggested"')[1].split("</td>")[0]
