"""The retail order an after-sales request is about, on both departments' pages: the request's page
shows a read-only summary of it (though the retail order's own page stays a 404 to after-sales), the
intake fills the customer, address and items from it once its number is typed (or the button is pressed
without JavaScript) and says beside the field when there is no such order, and the retail order's page
lists the requests about it, not linked for a clerk who cannot open them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from engine.clock import Clock, FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Engine
from engine.store import tables
from tests.engine.runtime.test_original_order import request
from tests.test_departments import (
    INSPECTOR,
    RETAIL,
    SERVICE,
    WAREHOUSE,
    delivered_retail_order,
    pay,
    pay_refund,
    retail_data,
)
from tests.web.conftest import add_user, log_in, make_app, settings_for

REPO = Path(__file__).resolve().parents[2]
NEW = "/orders/new/after_sales/after-sales-request/web"
FILL = f"{NEW}/original"


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def original_order_app(tmp_path: Path, secret_key: str, clock: Clock | None = None) -> Flask:
    """Retail and after-sales published, bands on hand, an after-sales desk (huang.fang) and a retail
    clerk (li.na), each with a password of their name."""
    app = make_app(settings_for(tmp_path, REPO, secret_key), clock)
    engine = app.extensions["orderloom"].engine
    for path in ("retail/order.yaml", "after-sales/request.yaml"):
        engine.publish(load_bundle(REPO / "workflows" / path, REPO))
    with app.extensions["orderloom"].store.engine.begin() as connection:
        connection.execute(
            insert(tables.stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=50, reserved=0)
        )
    add_user(app, "huang.fang", "huang-fang-pass", ("service",), ("after_sales",))
    add_user(app, "li.na", "li-na-pass", ("clerk", "service"), ("retail",))
    return app


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = original_order_app(tmp_path, "original-order", clock)
    yield app
    app.extensions["orderloom"].close()


def engine_of(app: Flask) -> Engine:
    found: Engine = app.extensions["orderloom"].engine
    return found


def desk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "huang.fang", "huang-fang-pass")


def test_the_request_page_summarizes_the_retail_order_in_both_languages(
    app: Flask, clock: FrozenClock
) -> None:
    """The after-sales clerk saw only the bare number: now the retail order's number, dates, state in
    words, customer with the mobile masked, address, lines and money; its own page stays a 404."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    client = desk(app)
    zh = client.get(f"/orders/{taken.id}?lang=zh").get_data(as_text=True)
    summary = zh[zh.index('id="original-order"') :]
    summary = summary[: summary.index("</section>")]
    for words in (
        f"原订单 · 零售订单 #{bought}",
        "已签收",
        "张伟",
        "138****5678",
        "浦东新区",
        "XM-BAND8 · 小米手环8",
        "239.00",
        "478.00",
        "退货截止时间",
    ):
        assert words in summary, words
    assert "13812345678" not in summary
    en = client.get(f"/orders/{taken.id}?lang=en").get_data(as_text=True)
    summary = en[en.index('id="original-order"') :]
    for words in (
        f"Original order · Retail order #{bought}",
        "Delivered",
        "Return by",
        "Unit price (CNY)",
        "Paid (CNY)",
    ):
        assert words in summary, words
    assert client.get(f"/orders/{bought}").status_code == 404  # another department's order, as before


def test_the_retail_order_page_lists_the_requests_about_it_without_a_link_it_cannot_open(
    app: Flask, clock: FrozenClock
) -> None:
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    zh = clerk.get(f"/orders/{bought}?lang=zh").get_data(as_text=True)
    listed = zh[zh.index('id="about-orders"') :]
    listed = listed[: listed.index("</table>")]
    for words in ("关于此订单的申请", f"#{taken.id}", "售后申请 · 退货", "待寄回", "同意退款（元）"):
        assert words in zh and (words == "关于此订单的申请" or words in listed), words
    assert f'href="/orders/{taken.id}"' not in zh  # an after-sales request is a 404 to the retail clerk
    en = clerk.get(f"/orders/{bought}?lang=en").get_data(as_text=True)
    for words in ("Requests about this order", "After-sales request · Return", "Awaiting goods"):
        assert words in en, words
    # the desk itself, who may open it, is given the link on the request's summary of its other requests
    other = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(bought, refund=1)
    )
    page = desk(app).get(f"/orders/{other.id}?lang=en").get_data(as_text=True)
    assert f'href="/orders/{taken.id}"' in page


def key_of(client: FlaskClient) -> str:
    page = client.get(f"{NEW}?lang=zh").get_data(as_text=True)
    found = re.search(r'name="_key" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_intake_fills_from_the_retail_order_and_says_when_there_is_none(
    app: Flask, clock: FrozenClock
) -> None:
    """The button (or htmx, on the number's change) draws the intake again filled from the retail order,
    what was typed elsewhere kept, the summary beside it; an unknown number is said beside its field;
    nothing is created either way; what was filled is then taken as any typed request."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    client = desk(app)
    page = client.get(f"{NEW}?lang=zh").get_data(as_text=True)
    assert 'id="fill-original"' in page and f'formaction="{FILL}"' in page and f'hx-post="{FILL}"' in page
    key = key_of(client)
    filled = client.post(
        f"{FILL}?lang=zh", data={"_key": key, "original_order_no": bought, "reason": "尺码不合适"}
    )
    assert filled.status_code == 200
    html = filled.get_data(as_text=True)
    for value in (
        'value="张伟"',
        'value="13812345678"',
        'value="浦东新区"',
        'name="lines[0].qty" value="2"',
        "尺码不合适",
    ):
        assert value in html, value
    assert f"已从原订单 #{bought} 填入" in html and 'id="original-order"' in html
    assert f'name="_key" value="{key}"' in html  # the same page: sending it creates one order
    missing = client.post(f"{FILL}?lang=en", data={"_key": key, "original_order_no": str(int(bought) + 50)})
    text = missing.get_data(as_text=True)
    assert missing.status_code == 200
    assert f"the Retail department has no order {int(bought) + 50}" in text
    assert 'aria-invalid="true"' in text and 'id="original-order"' not in text
    # nothing was submitted: no "not submitted, 1 problem" above the form, only the words by the field
    assert 'id="form-errors"' not in text and "problem(s)" not in text
    with app.extensions["orderloom"].store.read() as tx:
        assert tx.load_order(int(bought) + 1) is None  # nothing was created


def test_the_fill_says_by_the_number_that_an_order_not_yet_delivered_cannot_be_asked_about(
    app: Flask, clock: FrozenClock
) -> None:
    """A paid retail order still waiting to ship filled the request as a delivered one would; now the
    fill says by the number, in either language, that it is not delivered yet, and fills nothing."""
    engine = engine_of(app)
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, retail_data()["total"])
    client = desk(app)
    key = key_of(client)
    for lang, words in (
        ("zh", f"原订单 #{order.id} 尚未签收，签收后才能申请售后"),
        ("en", f"original order #{order.id} has not been delivered yet"),
    ):
        answer = client.post(f"{FILL}?lang={lang}", data={"_key": key, "original_order_no": str(order.id)})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200 and words in text, lang
        assert 'aria-invalid="true"' in text and 'id="original-order"' not in text
        assert 'name="lines[0].qty" value="2"' not in text  # nothing filled


def test_the_fill_says_by_the_number_that_nothing_is_left_to_return_of_an_order_returned_whole(
    app: Flask, clock: FrozenClock
) -> None:
    """A retail order whose two bands came back through its own return: the fill said "Filled from order
    #…: check…", listed each line with none left and filled none, and the request was refused only for
    its empty lines; now the fill says by the number, in either language, that nothing is left to
    return, and fills nothing."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    both = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "qty": 2}]}
    engine.fire(int(bought), "request_return", RETAIL, both)
    assert engine.fire(int(bought), "receive_return", WAREHOUSE).to_state == "returned"
    client = desk(app)
    key = key_of(client)
    for lang, words, filled in (
        ("zh", f"原订单 #{bought} 已没有可退商品（已发 2 件，原订单已退或退货中 2 件", "已从原订单"),
        (
            "en",
            f"nothing is left to return on original order #{bought} (2 delivered, 2 returned",
            "Filled from",
        ),
    ):
        answer = client.post(f"{FILL}?lang={lang}", data={"_key": key, "original_order_no": bought})
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200 and words in text, lang
        assert 'aria-invalid="true"' in text and filled not in text, lang
        assert not re.search(r'name="lines\[0\]\.sku"[^>]*value="XM-BAND8"', text), lang  # nothing filled


def test_the_fill_gives_the_warehouse_it_shipped_from_and_for_a_return_the_price_of_what_is_left(
    app: Flask, clock: FrozenClock
) -> None:
    """寄回仓库 was left empty and the refund not filled: the fill gives the warehouse the retail order
    shipped from and, for a return, the price of the lines it fills, never over what the clerk typed;
    one of the two bands already asked back by another request, only the other is filled."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    client = desk(app)
    key = key_of(client)
    posted = {"_key": key, "original_order_no": bought, "type": "return"}
    html = client.post(f"{FILL}?lang=zh", data=posted).get_data(as_text=True)
    assert re.search(r'<option value="SH-01"[^>]*selected', html), "the warehouse it shipped from"
    assert 'name="refund_amount" value="478.00"' in html
    typed = client.post(f"{FILL}?lang=zh", data={**posted, "refund_amount": "100"}).get_data(as_text=True)
    assert 'name="refund_amount" value="100.00"' in typed  # the clerk's own figure kept
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    html = client.post(f"{FILL}?lang=en", data=posted).get_data(as_text=True)
    assert 'name="lines[0].qty" value="1"' in html and 'name="lines[1].qty"' not in html
    assert 'name="refund_amount" value="239.00"' in html
    summary = html[html.index('id="original-order"') :]
    summary = summary[: summary.index("</section>")]
    assert "Left to return" in summary and re.search(r'data-label="Left to return">1<', summary)


def test_what_a_request_paid_back_is_shown_on_its_summary_and_on_the_retail_order(
    app: Flask, clock: FrozenClock
) -> None:
    """The request's summary said 已退（元）0.00 after its refund of 239 was paid, and the retail order
    too: both now say what the requests about it paid back, the retail order's own figure unchanged."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(taken.id, "receive_goods", WAREHOUSE, receipt)
    engine.fire(taken.id, "inspect", INSPECTOR, {"inspection_result": "pass", "found_condition": "unopened"})
    client = desk(app)
    before = client.get(f"/orders/{taken.id}?lang=zh").get_data(as_text=True)
    assert "售后已退" not in before  # nothing paid back yet
    assert pay_refund(engine, taken.id).to_state == "closed"
    zh = client.get(f"/orders/{taken.id}?lang=zh").get_data(as_text=True)
    summary = zh[zh.index('id="original-order"') :]
    summary = summary[: summary.index("</section>")]
    assert re.search(r"<dt>售后已退（元）</dt><dd>239.00</dd>", summary)
    assert re.search(r"<dt>已退（元）</dt><dd>0.00</dd>", summary)  # what retail itself paid back
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    assert "售后已退 239.00" in clerk.get(f"/orders/{bought}?lang=zh").get_data(as_text=True)
    en = clerk.get(f"/orders/{bought}?lang=en").get_data(as_text=True)
    assert "239.00 CNY refunded by after-sales" in en


def test_an_english_summary_reads_the_province_and_the_items_in_english(
    app: Flask, clock: FrozenClock
) -> None:
    """The English page's own fields said Shanghai and the catalogue's English name while the summary
    read 上海市 and 小米手环8: now it reads them in the page's language too, the city and the district
    as well (Shanghai Shanghai Pudong New Area), the Chinese page unchanged."""
    with app.extensions["orderloom"].store.engine.begin() as connection:
        connection.execute(
            insert(tables.products).values(
                sku="XM-BAND8",
                name_zh="小米手环8",
                name_en="Xiaomi Smart Band 8",
                price=239,
                kind="shipped",
                active=True,
                updated_at=clock.now(),
                updated_by="admin",
            )
        )
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    client = desk(app)
    for lang, words, not_words in (
        (
            "en",
            ("Shanghai Shanghai Pudong New Area", "XM-BAND8 · Xiaomi Smart Band 8"),
            ("上海", "小米手环8"),
        ),
        ("zh", ("上海市 上海市 浦东新区", "XM-BAND8 · 小米手环8"), ("Shanghai", "Xiaomi")),
    ):
        page = client.get(f"/orders/{taken.id}?lang={lang}").get_data(as_text=True)
        summary = page[page.index('id="original-order"') :]
        summary = summary[: summary.index("</section>")]
        for word in words:
            assert word in summary, (lang, word)
        for word in not_words:
            assert word not in summary, (lang, word)
