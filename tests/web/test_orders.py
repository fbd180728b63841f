"""The clerk's pages through Flask's test client, over the shipped retail workflow: a new order from the
web intake form, refusals beside their fields, the order's page, firing ``pay`` through its form, a
conflict, departments, and the htmx refresh of the order pages."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select, update
from werkzeug.datastructures import MultiDict

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor
from engine.store import tables
from engine.store.products import Product, write_products
from tests.deadlocks import collide
from tests.statements import Statements, cost
from tests.web.conftest import RETAIL_STOCK, add_user, log_in, make_app, retail_app, settings_for
from web.orders import SAME_AGAIN_WINDOW

REPO = Path(__file__).resolve().parents[2]
NEW = "/orders/new/retail/retail-order/web"
STOCK = RETAIL_STOCK


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = retail_app(tmp_path, "orders-tests")
    services = app.extensions["orderloom"]
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    add_user(app, "chen.jing", "chen.jing-demo", ("sales",), ("wholesale",))
    yield app
    services.close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def intake(**changes: str) -> MultiDict[str, str]:
    form = {
        "customer.name": "王芳",
        "customer.mobile": "13812345678",
        "address.province": "上海市",
        "address.city": "上海",
        "address.district": "浦东新区",
        "address.detail": "世纪大道100号",
        "lines": "",
        "lines[0].sku": "TEA-01",
        "lines[0].name": "龙井茶",
        "lines[0].qty": "2",
        "lines[0].unit_price": "88",
        "shipping_fee": "10",
        "discount": "0",
        "needs_invoice": "false",
    }
    form.update(changes)
    return MultiDict(list(form.items()))


def key_of(page: str) -> str:
    found = re.search(r'name="_key" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def lock_of(page: str) -> str:
    found = re.search(r'name="_lock_version" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


def pay_through_the_page(clerk: FlaskClient, order_id: int) -> dict[str, str]:
    """Pay the order's 186 yuan by Alipay through its pay page; what was posted."""
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    paid = {
        "method": "alipay",
        "amount": "186",
        "transaction_ref": "2026000001",
        "_lock_version": lock_of(page),
    }
    assert clerk.post(f"/orders/{order_id}/fire/pay", data=paid).status_code == 302
    return paid


def create(clerk: FlaskClient, **changes: str) -> int:
    key = key_of(clerk.get(NEW).text)
    response = clerk.post(NEW, data=intake(_key=key, **changes))
    assert response.status_code == 302, response.text
    found = re.fullmatch(r"/orders/(\d+)", response.headers["Location"])
    assert found is not None
    return int(found.group(1))


def test_a_clerk_creates_an_order_from_the_web_intake_form(clerk: FlaskClient) -> None:
    page = clerk.get(f"{NEW}?lang=zh").text
    assert "网站零售下单" in page and 'hx-post="/orders/new/retail/retail-order/web/refresh"' in page
    order_id = create(clerk)
    shown = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert '<span class="chip state" id="order-state">待支付</span>' in shown
    assert "王芳" in shown and "龙井茶" in shown and "186" in shown  # 2 × 88 + 10
    assert "创建订单" in shown and "li.na" in shown  # the timeline
    assert f'href="/orders/{order_id}/fire/pay"' in shown
    english = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Pending payment" in english and "Timeline" in english


def test_a_double_submit_of_one_page_creates_one_order(clerk: FlaskClient) -> None:
    key = key_of(clerk.get(NEW).text)
    first = clerk.post(NEW, data=intake(_key=key))
    second = clerk.post(NEW, data=intake(_key=key))
    assert first.headers["Location"] == second.headers["Location"]
    changed = clerk.post(f"{NEW}?lang=zh", data=intake(_key=key, **{"lines[0].qty": "3"}))
    assert changed.status_code == 409 and "此页面已经提交过" in changed.text
    assert 'value="3"' in changed.text and key_of(changed.text) != key
    third = clerk.post(NEW, data=intake(_key=key_of(changed.text), **{"lines[0].qty": "3"}))
    assert third.status_code == 302 and third.headers["Location"] != first.headers["Location"]


def test_the_same_order_sent_again_from_a_page_drawn_anew_is_not_created_twice(
    app: Flask, clerk: FlaskClient
) -> None:
    """The back button draws the page again (a new key) and the browser puts back what was typed."""
    first = create(clerk)
    again = clerk.post(f"{NEW}?lang=zh", data=intake(_key=key_of(clerk.get(NEW).text)))
    assert again.status_code == 409
    assert "这张订单刚刚已经创建" in again.text
    assert f'刚才已用完全相同的内容创建了订单 <a href="/orders/{first}">#{first}</a>' in again.text
    assert 'value="王芳"' in again.text  # what was sent is kept on the page
    english = clerk.post(f"{NEW}?lang=en", data=intake(_key=key_of(clerk.get(NEW).text))).text
    assert f'Order <a href="/orders/{first}">#{first}</a> was created with exactly these details' in english
    store = app.extensions["orderloom"].store
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(tables.orders)).scalar_one() == 1

    anyway = clerk.post(NEW, data=intake(_key=key_of(again.text), _again="1"))  # "create another anyway"
    assert anyway.status_code == 302 and anyway.headers["Location"] != f"/orders/{first}"
    changed = create(clerk, **{"lines[0].qty": "3"})  # other data: another order, no question
    assert changed not in (first, int(anyway.headers["Location"].rsplit("/", 1)[1]))
    other = log_in(app.test_client(), "li.na", "li.na-demo")  # another login's session asks nothing
    assert create(other) > changed


def test_the_same_order_sent_again_after_the_window_is_created(tmp_path: Path) -> None:
    clock = FrozenClock(datetime(2026, 12, 6, 9, 0, tzinfo=UTC))
    app = retail_app(tmp_path, "orders-tests", clock)
    services = app.extensions["orderloom"]
    add_user(app, "li.na", "li.na-demo", ("clerk",), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    try:
        first = create(clerk)
        clock.advance(seconds=SAME_AGAIN_WINDOW.total_seconds() - 1)
        late = clerk.post(f"{NEW}?lang=en", data=intake(_key=key_of(clerk.get(NEW).text)))
        assert late.status_code == 409 and "with exactly these details 29 min ago" in late.text
        clock.advance(seconds=2)
        assert create(clerk) != first
    finally:
        services.close()


def test_refusals_come_back_beside_their_fields_with_the_values_kept(clerk: FlaskClient) -> None:
    invoice = {"needs_invoice": "true", "invoice.type": "personal"}
    response = clerk.post(f"{NEW}?lang=zh", data=intake(**invoice))
    assert response.status_code == 422
    page = response.text
    assert 'id="f-invoice-title-error"><span>请填写发票抬头</span>' in page
    assert 'value="王芳"' in page and 'value="龙井茶"' in page
    english = clerk.post(f"{NEW}?lang=en", data=intake(**{"customer.mobile": "123"})).text
    assert 'id="f-customer-mobile-error"' in english and 'value="123"' in english


def test_the_intake_page_refreshes_its_computed_fields_and_groups(clerk: FlaskClient) -> None:
    response = clerk.post(
        f"{NEW}/refresh?lang=zh",
        data=intake(needs_invoice="true", _group="customer"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="f-total" name="total" value="186.00"' in response.text
    assert 'id="group-invoice"' in response.text and 'hx-swap-oob="true"' in response.text


def test_pay_is_fired_through_its_form_and_the_state_moves_on(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/pay?lang=zh").text
    assert "支付方式" in page
    lock = lock_of(page)
    too_much = {"method": "wechat_pay", "amount": "187", "transaction_ref": "4200000001"}
    too_much["_lock_version"] = lock
    refused = clerk.post(f"/orders/{order_id}/fire/pay?lang=zh", data=too_much)
    assert refused.status_code == 422, refused.text
    # the guard's refusal, beside the amount it compared (with the values), and linked from the summary
    said = "支付金额（元） 187.00 多于订单金额（元） 186.00"
    assert f'<p class="error" id="f-amount-error"><span>{said}</span>' in refused.text
    assert f'<li><a href="#f-amount">{said}</a></li>' in refused.text
    bad = {**too_much, "transaction_ref": "x"}
    refused = clerk.post(f"/orders/{order_id}/fire/pay?lang=en", data=bad)
    assert refused.status_code == 422 and 'id="f-transaction_ref-error"' in refused.text
    paid = {**too_much, "amount": "186"}
    response = clerk.post(f"/orders/{order_id}/fire/pay", data=paid)
    assert response.status_code == 302 and response.headers["Location"] == f"/orders/{order_id}"
    shown = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "待支付" not in shown.split('id="order-state">')[1].split("<")[0]
    assert "支付" in shown.split('id="timeline"')[1]
    assert "<dt>支付方式</dt><dd>微信支付</dd>" in shown  # labelled by the payment form that filled it
    assert "<dt>订单金额（元）</dt><dd>186.00</dd>" in shown


def test_a_stale_page_is_told_of_the_conflict(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    stale = {"method": "wechat_pay", "amount": "186", "transaction_ref": "4200000001", "_lock_version": "0"}
    response = clerk.post(f"/orders/{order_id}/fire/pay?lang=zh", data=stale)
    assert response.status_code == 409 and "已被他人更新" in response.text
    assert '<h2 id="form-errors-heading">提交未成功</h2>' in response.text  # nothing on the form to correct
    lock = lock_of(clerk.get(f"/orders/{order_id}/fire/pay").text)
    wrong = clerk.post(
        f"/orders/{order_id}/fire/pay?lang=zh", data={**stale, "amount": "x", "_lock_version": lock}
    )
    assert wrong.status_code == 422 and "提交未成功：请修正以下" in wrong.text


def test_a_step_without_a_form_asks_to_confirm(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/cancel?lang=zh").text
    assert "确认对此订单执行" in page
    response = clerk.post(f"/orders/{order_id}/fire/cancel", data={"_lock_version": lock_of(page)})
    assert response.status_code == 302
    assert "已取消" in clerk.get(f"/orders/{order_id}?lang=zh").text


def test_other_departments_and_unknown_addresses_are_a_404(app: Flask, clerk: FlaskClient) -> None:
    order_id = create(clerk)
    other = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    for path in (f"/orders/{order_id}", f"/orders/{order_id}/fire/pay", NEW):
        response = other.get(path)
        assert response.status_code == 404 and "Traceback" not in response.text, path
    assert other.post(f"/orders/{order_id}/fire/pay", data={"_lock_version": "1"}).status_code == 404
    unknown = (
        "/orders/999",
        f"/orders/{order_id}/fire/teleport",  # no such step in the workflow
        "/orders/new/retail/retail-order/fax",
        "/orders/new/retail/no-such-workflow/web",
        "/orders/new/wholesale/retail-order/web",
    )
    for path in unknown:
        assert clerk.get(path).status_code == 404, path


def test_a_step_posted_without_its_lock_version_is_refused_and_changes_nothing(
    app: Flask, clerk: FlaskClient
) -> None:
    """The page's ``_lock_version`` is what tells a change made meanwhile: a post without it (or with
    anything but a version) is refused, the order left as it was, whatever the step."""
    order_id = create(clerk)
    engine = app.extensions["orderloom"].engine
    before = engine.get_order(order_id, engine_actor(app))
    events = len(engine.history(order_id, engine_actor(app)))
    paid = {"method": "alipay", "amount": "186", "transaction_ref": "2026000001"}
    for step, data in (("pay", paid), ("cancel", {})):
        for lock in (None, "", "v3", "-1", "²", "9" * 5000):
            sent = dict(data) if lock is None else {**data, "_lock_version": lock}
            said = (
                (
                    ("zh", "缺少订单版本（_lock_version）"),
                    ("en", "lacks the order's version (_lock_version), so a"),
                )
                if not lock
                else (("zh", f"（_lock_version）“{lock[:39]}"), ("en", f"(_lock_version) “{lock[:39]}"))
            )
            for lang, words in said:
                response = clerk.post(f"/orders/{order_id}/fire/{step}?lang={lang}", data=sent)
                assert response.status_code == 400, (step, lock, response.text[:300])
                text = html.unescape(response.text)
                assert words in text and "Traceback" not in text and "9" * 41 not in text
    after = engine.get_order(order_id, engine_actor(app))
    assert (after.state, after.lock_version, after.data) == (before.state, before.lock_version, before.data)
    assert len(engine.history(order_id, engine_actor(app))) == events
    pay_through_the_page(clerk, order_id)  # the page itself sends it
    assert engine.get_order(order_id, engine_actor(app)).state != before.state


def engine_actor(app: Flask) -> Actor:
    return Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))


def test_a_step_the_user_may_not_take_says_why(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    pay_through_the_page(clerk, order_id)
    shown = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert f'href="/orders/{order_id}/fire/hold"' not in shown  # a reviewer's step: no button
    refused = clerk.get(f"/orders/{order_id}/fire/hold?lang=en")
    assert refused.status_code == 403 and "Needs the role Reviewer" in refused.text  # by its name
    assert "需要角色：审核员" in clerk.get(f"/orders/{order_id}/fire/hold?lang=zh").text
    assert 'type="submit"' not in refused.text.split("<main>")[1]


def test_a_step_not_possible_now_says_where_the_order_is(clerk: FlaskClient) -> None:
    """A form sent twice, a page left open, a step of a later state: 409 naming the order's state."""
    order_id = create(clerk)
    early = clerk.get(f"/orders/{order_id}/fire/complete?lang=en")
    assert early.status_code == 409
    assert f"Order #{order_id} is now “Pending payment”: “Complete” cannot be done on it." in early.text
    paid = pay_through_the_page(clerk, order_id)
    again = clerk.post(f"/orders/{order_id}/fire/pay?lang=zh", data=paid)
    assert again.status_code == 409
    assert f"订单 #{order_id} 现在是“待发货”，不能执行“支付”。" in again.text
    assert f'href="/orders/{order_id}"' in again.text


def test_the_order_page_shows_what_actions_wrote_as_people_read_it(app: Flask, clerk: FlaskClient) -> None:
    """Money with two decimals, times in local time, records in a cell as text, codes by their names."""
    order_id = create(clerk)
    pay_through_the_page(clerk, order_id)
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "<dt>已付金额（元）</dt><dd>186.00</dd>" in zh  # written by payments.capture as 186
    assert re.search(r"<dt>支付时间</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d</dd>", zh)  # not ISO with an offset
    # 已占用库存: labelled columns (each cell names its column for the narrow-screen cards)
    assert re.search(r"<td[^>]*>TEA-01</td><td[^>]*>上海仓</td><td[^>]*>2</td>", zh)
    assert "<dt>发货仓</dt><dd>上海仓</dd>" in zh and "SH-01" not in zh  # the warehouse by routing's label
    assert '<th scope="col">仓库</th>' in zh
    assert '部门 <span title="retail">零售</span> · <span title="web">网站</span>' in zh
    assert '<small class="reason" title="auto">自动</small>' in zh  # routing and placing were automatic
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert 'Department <span title="retail">Retail</span> · <span title="web">Web shop</span>' in en
    assert '<small class="reason" title="auto">automatic</small>' in en


def test_records_in_a_cell_and_empty_lists_read_as_text() -> None:
    from web.orders import summarize

    data = {
        "shipments": [{"carrier": "sf", "items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}],
        "split": [],
    }
    shipments, split = summarize(data, [], "en")
    assert (shipments.headers, shipments.rows) == (
        ["carrier", "items"],
        [["sf", "sku A · qty 1；sku B · qty 2"]],
    )
    assert (split.label, split.text) == ("split", "none")
    assert summarize({"split": []}, [], "zh")[0].text == "无"
    assert [e.label for e in summarize({"refund_due": None, "split": []}, [], "en")] == ["split"]


def test_a_value_is_named_by_the_step_form_that_offers_it_when_the_data_form_does_not(app: Flask) -> None:
    """The retail data form has ``return_reason`` as text; the return request offers its choices: the
    order page showed "quality" for 质量问题."""
    from web.orders import summarize

    forms = app.extensions["orderloom"].engine.published_forms("retail-order")
    assert forms[0].path == "forms/retail/order.json"  # the data form first: it labels the field
    layouts = [form.layout for form in forms]
    [reason] = summarize({"return_reason": "quality"}, layouts, "zh")
    assert (reason.label, reason.text) == ("退货原因", "质量问题")
    assert summarize({"return_reason": "damaged_in_transit"}, layouts, "en")[0].text == "Damaged in transit"
    assert summarize({"return_reason": "other"}, layouts, "en")[0].text == "other"  # no choice: as stored


@pytest.mark.parametrize(
    ("path", "workflow"),
    [("wholesale/order.yaml", "wholesale-order"), ("after-sales/request.yaml", "after-sales-request")],
)
def test_what_routing_and_shipping_write_is_labelled_in_every_department(
    app: Flask, path: str, workflow: str
) -> None:
    """The wholesale order page showed sku, warehouse, qty, shipped_at, items and split as codes, and
    the time a parcel left in UTC ISO."""
    from web.orders import summarize

    engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(REPO / "workflows" / path, REPO))
    layouts = [form.layout for form in engine.published_forms(workflow)]
    data = {
        "warehouse": "SH-01",
        "split": [{"warehouse": "SH-01", "lines": [{"sku": "HR-BCD470", "qty": 40}]}],
        "shipments": [
            {
                "carrier": "sf",
                "waybill": "SF0000000001015",
                "shipped_at": "2026-12-06T15:37:40.085303+00:00",
                "items": [{"sku": "HR-BCD470", "qty": 40}],
            }
        ],
    }
    entries = {entry.label: entry for entry in summarize(data, layouts, "zh")}
    assert entries["发货仓"].text == "SH-01"
    split, shipments = entries["拆单发货"], entries["发货记录"]
    assert split.headers == ["仓库", "商品"] and split.rows == [["SH-01", "商品编码 HR-BCD470 · 数量 40"]]
    assert shipments.headers == ["承运商", "运单号", "发货时间", "商品"]
    assert shipments.rows[0][2] == "2026-12-06 23:37"  # China time


def test_a_computed_field_that_could_not_be_computed_names_what_it_is_computed_from(
    clerk: FlaskClient,
) -> None:
    """The order total is read-only on the page: asking the clerk to enter it would not help."""
    key = key_of(clerk.get(NEW).text)
    zh = clerk.post(f"{NEW}?lang=zh", data=intake(_key=key, **{"lines[0].qty": "", "shipping_fee": ""})).text
    assert "请填写订单金额" not in zh
    assert "订单金额（元）由数量、单价（元）、运费（元）、优惠金额（元）计算得出：请先填写这些字段" in zh
    assert "商品明细第1行小计（元）由数量、单价（元）计算得出" in zh
    en = clerk.post(f"{NEW}?lang=en", data=intake(_key=key, **{"lines[0].qty": "", "shipping_fee": ""})).text
    assert "Order total (CNY): enter a value" not in en
    assert "Order total (CNY): computed from the quantity" in en


def test_the_order_list_newest_first_by_workflow_and_state_a_page_at_a_time(
    app: Flask, clerk: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = (create(clerk, **{"customer.name": name}) for name in ("王芳", "李雷", "韩梅梅"))
    pay_through_the_page(clerk, second)
    listed = clerk.get("/orders?lang=zh").text
    assert re.findall(r'<a href="/orders/(\d+)">#', listed) == [str(third), str(second), str(first)]
    cells = re.findall(r"<td data-label=\"[^\"]*\">([^<]*)</td>", listed)
    assert "零售订单" in cells and "待支付" in cells and "待发货" in cells
    waiting = clerk.get("/orders?workflow=retail-order&state=pending_payment&lang=en").text
    assert re.findall(r'<a href="/orders/(\d+)">#', waiting) == [str(third), str(first)]
    assert ">Web shop</td>" in waiting and 'class="num">186.00</td>' in waiting
    monkeypatch.setattr("web.orders.PAGE_SIZE", 2)
    page_one = clerk.get("/orders").text
    older = re.search(r'href="(/orders\?after=[^"]+)" rel="next"', page_one)
    assert older is not None and 'rel="prev"' not in page_one
    page_two = clerk.get(html.unescape(older.group(1))).text
    assert re.findall(r'<a href="/orders/(\d+)">#', page_two) == [str(first)]
    newer = re.search(r'href="(/orders\?before=[^"]+)" rel="prev"', page_two)
    assert newer is not None and 'rel="next"' not in page_two
    back = clerk.get(html.unescape(newer.group(1))).text
    assert re.findall(r'<a href="/orders/(\d+)">#', back) == [str(third), str(second)]
    go = clerk.get(f"/orders?id=%23{second}")
    assert go.status_code == 302 and go.headers["Location"] == f"/orders/{second}"
    wide = clerk.get("/orders?id=" + "".join(chr(ord(d) + 0xFEE0) for d in str(second)))  # full-width digits
    assert wide.status_code == 302 and wide.headers["Location"] == f"/orders/{second}"
    assert clerk.get("/orders?id=0").status_code == 404  # a number, of no order
    missing = clerk.get("/orders?id=99999&lang=zh")  # said on the list, the number kept in the box
    assert (
        missing.status_code == 404 and "找不到订单 99999：没有这个订单号，或它不属于您的部门" in missing.text
    )
    assert 'value="99999"' in missing.text and 'id="order-list"' in missing.text
    theirs = log_in(app.test_client(), "chen.jing", "chen.jing-demo").get(f"/orders?id={second}&lang=zh")
    assert theirs.status_code == 404 and f"找不到订单 {second}" in theirs.text  # another department's: none
    for typed in ("abc", "RO2026"):
        said = clerk.get(f"/orders?id={typed}&lang=zh")
        assert said.status_code == 400, typed
        assert f"「{typed}」不是订单号：订单号是数字，如 294" in said.text
        assert f'value="{typed}"' in said.text  # kept in the box
    filtered = clerk.get("/orders?workflow=retail-order&state=pending_payment&lang=zh").text
    assert "<span>零售订单</span> <span>待支付</span>" in filtered
    other = log_in(app.test_client(), "chen.jing", "chen.jing-demo")
    assert "没有符合条件的订单" in other.get("/orders?lang=zh").text  # another department's clerk


def test_a_time_out_of_range_in_local_time_is_shown_as_sent() -> None:
    """Year 1 at midnight east of China is before the first moment China time can show: shown as sent."""
    from engine.forms.ui import default_layout
    from web.orders import summarize

    schema = {"type": "object", "properties": {"delivered_at": {"type": "string", "format": "date-time"}}}
    layout = default_layout(schema)
    [early] = summarize({"delivered_at": "0001-01-01T00:00:00+09:00"}, [layout], "zh")
    assert early.text == "0001-01-01T00:00:00+09:00"
    [first] = summarize({"delivered_at": "0001-01-01T00:00:00+00:00"}, [layout], "zh")
    assert first.text == "0001-01-01 08:00"
    [late] = summarize({"delivered_at": "9999-12-31T23:59:00-01:00"}, [layout], "zh")
    assert late.text == "9999-12-31T23:59:00-01:00"
    [usual] = summarize({"delivered_at": "2026-11-30T02:00:00+00:00"}, [layout], "zh")
    assert usual.text == "2026-11-30 10:00"


def test_a_step_out_of_a_parallel_state_is_offered_only_once_every_region_is_done(app: Flask) -> None:
    """The order page offers no step that cannot be taken now: ``ship`` leaves the parallel state
    ``fulfilling`` only once payment and packing are both done; its page says which are not."""
    from engine.runtime import Actor

    fixtures = REPO / "tests" / "engine" / "runtime" / "fixtures"
    engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(fixtures / "workflows" / "joined-order.yaml", fixtures))
    add_user(app, "wu.gang", "wu.gang-demo", ("clerk", "warehouse"), ("wholesale",))
    worker = log_in(app.test_client(), "wu.gang", "wu.gang-demo")
    actor = Actor("wu.gang", frozenset({"clerk", "warehouse"}), frozenset({"wholesale"}))
    order_id = engine.create_order(actor, "wholesale", "joined-order", None, {}).id
    engine.fire(order_id, "start", actor)
    engine.fire(order_id, "pay", actor)
    page = worker.get(f"/orders/{order_id}?lang=en").text
    assert f'href="/orders/{order_id}/fire/pack"' in page
    assert f'href="/orders/{order_id}/fire/ship"' not in page
    refused = worker.get(f"/orders/{order_id}/fire/ship?lang=en")
    assert refused.status_code == 403
    assert "not done yet: packing (Picking)" in refused.text
    assert 'type="submit"' not in refused.text.split("<main>")[1]
    engine.fire(order_id, "pack", actor)
    assert f'href="/orders/{order_id}/fire/ship"' in worker.get(f"/orders/{order_id}?lang=en").text


def test_an_order_id_above_2_to_the_63_is_not_found_not_a_500(clerk: FlaskClient) -> None:
    huge = "99999999999999999999999"
    for path in (f"/orders/{huge}", f"/orders/{huge}/fire/pay", f"/orders/{2**63}", "/orders/0"):
        response = clerk.get(path + "?lang=en")
        assert response.status_code == 404, path
        assert "Not found" in response.text and "Traceback" not in response.text, path
    assert "找不到此页面" in clerk.get(f"/orders/{huge}?lang=zh").text
    posted = clerk.post(f"/orders/{huge}/fire/pay", data={"_lock_version": "1"})
    assert posted.status_code == 404
    assert clerk.get(f"/orders?id={huge}").status_code == 404  # no redirect to an id no row can hold
    assert clerk.get(f"/orders?id={2**63 - 1}").status_code == 404
    superscript = clerk.get("/orders?id=%C2%B2")  # "²": a digit to isdigit(), not to int()
    assert superscript.status_code == 400 and "Traceback" not in superscript.text


def test_a_page_number_or_an_id_that_is_no_number_in_range_is_a_404_page_not_a_500(
    app: Flask, clerk: FlaskClient
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash would be a 500 page, as in production
    order_id = create(clerk)
    too_long = "9" * 5000
    for path in (
        f"/orders?id={too_long}",
        "/orders?id=0",
        "/orders/%D9%A3",  # "٣", an Arabic-Indic 3: int() reads it as 3, no address of ours
    ):
        response = clerk.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert response.status_code == 404, path
        said = "No order" if "?id=" in path else "Not found"  # a number typed: said on the list
        assert said in response.text and "Traceback" not in response.text, path
    for cursor in (
        "%C2%B9%C2%B2_1x",
        f"{too_long}_1",
        "1_" + too_long,
        "x",
        "1_%D9%A3",
    ):  # a cursor no page made
        response = clerk.get(f"/orders?after={cursor}&lang=en")
        assert response.status_code == 400 and "shown from the first page" in response.text, cursor
    assert clerk.get("/orders?after=").status_code == 200
    assert clerk.get(f"/orders/{order_id}").status_code == 200
    assert clerk.get(f"/orders?id=%23{order_id}").headers["Location"] == f"/orders/{order_id}"


def test_an_order_stored_in_a_newer_schema_version_is_a_page_saying_so(
    app: Flask, clerk: FlaskClient
) -> None:
    order_id = create(clerk)
    with app.extensions["orderloom"].store.engine.begin() as connection:
        connection.execute(
            update(tables.orders).where(tables.orders.c.id == order_id).values(schema_version=2)
        )
    response = clerk.get(f"/orders/{order_id}?lang=en")
    assert response.status_code == 500 and "Traceback" not in response.text
    assert "This order cannot be read" in response.text
    assert (
        f"the data of order {order_id} has schema_version 2, newer than this OrderLoom reads" in response.text
    )
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "无法读取此订单" in zh and f"订单 {order_id} 的数据的 schema_version 为 2" in zh


@pytest.mark.postgres
def test_a_step_the_database_rolled_back_on_every_try_is_refused_on_its_page(
    tmp_path: Path, pg_url: str
) -> None:
    app = make_app(replace(settings_for(tmp_path, REPO, "orders-tests"), database_url=pg_url))
    services = app.extensions["orderloom"]
    services.engine.publish(load_bundle(REPO / "workflows" / "retail" / "order.yaml", REPO))
    with services.store.engine.begin() as connection:
        rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in STOCK]
        connection.execute(insert(tables.stock), rows)
    add_user(app, "li.na", "li.na-demo", ("clerk", "service"), ("retail",))
    clerk = log_in(app.test_client(), "li.na", "li.na-demo")
    two_items = {
        "lines[1].sku": "CUP-02",
        "lines[1].name": "茶杯",
        "lines[1].qty": "1",
        "lines[1].unit_price": "20",
    }
    order_id = create(clerk, **two_items)
    lock = lock_of(clerk.get(f"/orders/{order_id}/fire/cancel").text)
    services.store.transaction_attempts = 1  # no retry: the deadlock below ends the step
    cancel = f"/orders/{order_id}/fire/cancel?lang=en"
    response = collide(
        pg_url, lambda: clerk.post(cancel, data={"_lock_version": lock}), first="TEA-01", then="CUP-02"
    )
    assert response.status_code == 409
    assert "concurrent changes to the same rows kept colliding with this one (deadlock detected on stock" in (
        response.text
    )
    assert lock_of(response.text) == lock  # the same page, to send again
    services.store.transaction_attempts = 5
    assert clerk.post(cancel, data={"_lock_version": lock}).status_code == 302
    assert "Cancelled" in clerk.get(f"/orders/{order_id}?lang=en").text
    services.close()


def test_a_waybill_number_not_in_its_pattern_says_what_it_must_be(clerk: FlaskClient, app: Flask) -> None:
    """运单号格式不正确：应为留空则自动生成 repeated the help text as what was expected; the pattern's
    x-pattern-hint says it now."""
    order_id = create(clerk)
    pay_through_the_page(clerk, order_id)
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    page = warehouse.get(f"/orders/{order_id}").text  # the shipment's ship form, beside its record
    ship = f"/orders/{order_id}/records/shipment/1/ship"
    assert f'action="{ship}"' in page
    sent = {"carrier": "sf", "waybill": "sf1234567", "_lock_version": lock_of(page)}
    zh = warehouse.post(f"{ship}?lang=zh", data=sent, follow_redirects=True)  # the order's page again
    assert zh.request.path == f"/orders/{order_id}"
    assert "运单号格式不正确：应为6至30位大写字母或数字，如 SF1234567890" in zh.text
    en = warehouse.post(f"{ship}?lang=en", data=sent, follow_redirects=True).text
    assert "Waybill number: enter 6 to 30 capital letters or digits, like SF1234567890" in en


def test_a_login_whose_roles_take_no_orders_gets_no_new_order_page(app: Flask, clerk: FlaskClient) -> None:
    """The warehouse was offered every "new order" link and created a free order it then shipped."""
    add_user(app, "zhao.lei", "zhao.lei-demo", ("warehouse",), ("retail",))
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    home = warehouse.get("/?lang=zh").text
    assert "零售订单" in home and 'class="new-order"' not in home  # the orders, not the links
    assert f'class="new-order" href="{NEW}"' in clerk.get("/?lang=zh").text
    page = warehouse.get(f"{NEW}?lang=zh")
    assert page.status_code == 403 and "创建此类订单需要以下角色之一：订单专员 / 客服" in page.text
    sent = warehouse.post(f"{NEW}?lang=en", data=intake(_key="k1"))
    assert sent.status_code == 403 and "Creating these orders takes one of these roles" in sent.text
    store = app.extensions["orderloom"].store
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(tables.orders)).scalar_one() == 0


def test_a_field_both_forms_refuse_by_different_keywords_is_said_once(clerk: FlaskClient) -> None:
    """The web intake form checks the mobile by ``format``, the data form by ``pattern``: two messages,
    differently worded, for one mistake."""
    key = key_of(clerk.get(NEW).text)
    page = clerk.post(f"{NEW}?lang=zh", data=intake(_key=key, **{"customer.mobile": "1381234567"}))
    assert page.status_code == 422
    summary = page.text.split('id="form-errors"')[1].split("</div>")[0]
    assert re.findall(r"<li>", summary) == ["<li>"] and "收货人手机号格式不正确" in summary
    assert "客户手机号" not in page.text


def test_a_negative_payment_is_refused_once(clerk: FlaskClient) -> None:
    """支付金额（元）不能小于0 and 支付金额必须大于0元 both came for -5: the form bounded it twice."""
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {
        "method": "alipay",
        "amount": "-5",
        "transaction_ref": "2026000001",
        "_lock_version": lock_of(page),
    }
    refused = clerk.post(f"/orders/{order_id}/fire/pay?lang=zh", data=sent)
    assert refused.status_code == 422
    summary = refused.text.split('id="form-errors"')[1].split("</div>")[0]
    assert re.findall(r"<li>", summary) == ["<li>"] and "支付金额必须大于0元" in summary


def test_the_condition_the_customer_gave_and_the_one_inspection_found_have_two_labels(app: Flask) -> None:
    """Both read 商品状况 on an after-sales order, with different values."""
    from web.orders import summarize

    engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(REPO / "workflows" / "after-sales" / "request.yaml", REPO))
    layouts = [form.layout for form in engine.published_forms("after-sales-request")]
    data = {"item_condition": "unopened", "found_condition": "used"}
    zh = {e.label: e.text for e in summarize(data, layouts, "zh")}
    assert zh == {"商品状况（客户所述）": "未拆封", "质检商品状况": "已使用"}
    en = [e.label for e in summarize(data, layouts, "en")]
    assert en == ["Item condition (as the customer says)", "Condition found"]


def test_a_computed_column_is_not_marked_required(clerk: FlaskClient) -> None:
    page = clerk.get(f"{NEW}?lang=zh").text
    assert '<th scope="col">小计（元）</th>' in page  # computed from quantity and unit price
    assert '<th scope="col">数量<span class="req" aria-hidden="true">*</span></th>' in page


@pytest.fixture
def statements() -> Iterator[Statements]:
    with Statements().listening() as listening:
        yield listening


@pytest.fixture
def measured_clerk(statements: Statements, app: Flask) -> FlaskClient:
    """``clerk`` over an app whose connections were all opened while ``statements`` listened."""
    return log_in(app.test_client(), "li.na", "li.na-demo")


def test_reading_pages_read_the_order_once_in_one_read_and_write_nothing(
    measured_clerk: FlaskClient, statements: Statements
) -> None:
    order_id = create(measured_clerk)
    for path in (f"/orders/{order_id}", f"/orders/{order_id}/fire/pay", "/orders", NEW):
        measured_clerk.get(path)  # compiled versions and statements cached, as on a running server
        with statements.during() as seen:
            assert measured_clerk.get(path).status_code == 200
        # the login's session (read on every request), then the page's one read (the new order's
        # page: the workflow's form, then what its choices are read from, the stock's skus)
        assert cost(seen).transactions == (3 if path == NEW else 2), (path, seen)
        assert cost(seen).writes == 0, (path, seen)
        assert cost(seen).order_reads == (0 if path in ("/orders", NEW) else 1), (path, seen)


def test_a_step_taken_reads_the_order_once_in_one_write_transaction(
    measured_clerk: FlaskClient, statements: Statements
) -> None:
    order_id = create(measured_clerk)
    lock = lock_of(measured_clerk.get(f"/orders/{order_id}/fire/pay").text)
    paid = {"method": "alipay", "amount": "186", "transaction_ref": "2026000001", "_lock_version": lock}
    with statements.during() as seen:
        assert measured_clerk.post(f"/orders/{order_id}/fire/pay", data=paid).status_code == 302
    assert (cost(seen).transactions, cost(seen).writes, cost(seen).order_reads) == (2, 1, 1), seen
    # refused the same way: the page again with the refusal beside its field, nothing written
    second = create(measured_clerk, **{"customer.name": "李娜"})
    lock = lock_of(measured_clerk.get(f"/orders/{second}/fire/pay").text)
    too_much = {**paid, "amount": "187", "_lock_version": lock}
    with statements.during() as seen:
        refused = measured_clerk.post(f"/orders/{second}/fire/pay?lang=en", data=too_much)
    assert refused.status_code == 422 and "is more than the Order total (CNY) 186.00" in refused.text
    assert (cost(seen).transactions, cost(seen).order_reads) == (2, 1), seen
    assert not [sql for sql in seen if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]


def test_the_fields_a_step_set_are_labelled_on_the_order_page(app: Flask) -> None:
    """The return authorization and the time the goods are due, which an after-sales step sets, read on
    the order page by their names in the data form, the time in China time."""
    from web.orders import summarize

    engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(REPO / "workflows" / "after-sales" / "request.yaml", REPO))
    layouts = [form.layout for form in engine.published_forms("after-sales-request")]
    data = {"rma_code": "RMA-7KQ2MZ9D", "return_by": "2026-12-16T02:00:00+00:00"}
    entries = {entry.label: entry.text for entry in summarize(data, layouts, "zh")}
    assert entries["退货授权码"] == "RMA-7KQ2MZ9D"
    assert entries["寄回截止时间"] == "2026-12-16 10:00"
    english = {entry.label: entry.text for entry in summarize(data, layouts, "en")}
    assert english["Return authorization"] == "RMA-7KQ2MZ9D"


def test_an_order_line_takes_the_catalogues_name_and_reads_it_in_the_readers_language(
    app: Flask, clerk: FlaskClient
) -> None:
    """A line whose SKU the catalogue holds is stored with the catalogue's name, whatever the page sent
    (the English page fills the English name; a clerk may type over it); each page reads it in its
    language."""
    with app.extensions["orderloom"].store.transaction() as tx:
        tea = Product("TEA-01", "龙井茶", "Longjing green tea", Decimal(88))
        write_products(tx.connection, [tea], datetime.now(UTC), "admin")
    for typed in ("随便写的名字", "Longjing green tea"):
        order_id = create(clerk, **{"lines[0].name": typed})
        with app.extensions["orderloom"].store.read() as tx:
            query = select(tables.orders.c.data).where(tables.orders.c.id == order_id)
            data = tx.connection.execute(query).scalar()
        assert data["lines"][0]["name"] == "龙井茶"  # the catalogue's, not what was typed
        english = html.unescape(clerk.get(f"/orders/{order_id}?lang=en").text)
        assert "Longjing green tea" in english and "龙井茶" not in english and "随便写的名字" not in english
        chinese = html.unescape(clerk.get(f"/orders/{order_id}?lang=zh").text)
        assert "龙井茶" in chinese and "Longjing green tea" not in chinese and "随便写的名字" not in chinese


@pytest.mark.parametrize("channel", ["web", "app"])
def test_the_intake_page_fills_a_shipping_fee_and_a_discount_of_zero(
    clerk: FlaskClient, channel: str
) -> None:
    """So the total is computed once the lines are: neither waits to be typed."""
    page = clerk.get(f"/orders/new/retail/retail-order/{channel}?lang=en").text
    for field in ("shipping_fee", "discount"):
        tag = page.split(f'id="f-{field}"')[1].split(">")[0]
        assert 'value="0.00"' in tag, tag
