"""The order page says why (web/orders.py, templates/orders/show.html): each rule decision on the
timeline with its reasons and the values compared, in the page's language; the timers running with
their deadline and the time left; people by their names, the engine's own steps in words; the version
and a migration in words, never as codes."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.api import Text, UnsetTimer
from engine.api.named_lists import NamedLists
from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from tests.web.conftest import log_in, retail_app
from tests.web.held_order import BIG, held_order, pay
from tests.web.test_orders import NEW, REPO, create, intake, key_of, lock_of
from web.orders import shown_unset_timer
from web.users import create_user


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 7, 9, 3, tzinfo=UTC))  # 17:03 in China


def clerks_app(tmp_path: Path, clock: FrozenClock, database_url: str | None = None) -> Flask:
    """The retail app (on ``database_url``, PostgreSQL's, when given) with the clerk li.na."""
    app = retail_app(tmp_path, "orders-why-tests", clock, database_url=database_url)
    create_user(
        app.extensions["orderloom"].store,
        name="li.na",
        password="li.na-demo",
        roles=["clerk", "service"],
        departments=["retail"],
        at=clock.now(),
        display_name="李娜",
    )
    return app


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = clerks_app(tmp_path, clock)
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def timeline(page: str) -> str:
    found = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S)
    assert found is not None
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))))


def test_a_held_order_says_which_rule_held_it_and_the_values_it_compared(clerk: FlaskClient) -> None:
    order_id = held_order(clerk)
    zh = timeline(clerk.get(f"/orders/{order_id}?lang=zh").text)
    assert "挂起待审：订单金额超过5000元 — 5,128.00 > 5,000" in zh
    en = timeline(clerk.get(f"/orders/{order_id}?lang=en").text)
    assert "on hold: Amount over 5000 CNY — 5,128.00 > 5,000" in en
    # routing: the warehouse and the carrier it chose, by their labels, and why
    assert re.search(r"发货仓 上海仓 承运商 (顺丰速运|京东物流|中通快递|圆通速递|中国邮政EMS)", zh), zh
    assert "上海仓可整单发货" in zh and "Shanghai warehouse can ship the whole order" in en
    # a rule that did not decide is not told
    assert "Less was paid" not in en and "underpaid" not in en


def test_people_by_their_names_the_engine_in_words_and_no_codes(clerk: FlaskClient) -> None:
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}?lang=zh").text
    steps = timeline(page)
    assert "创建订单 · 李娜 ·" in steps and "li.na" not in steps
    assert "分仓 · 系统 ·" in steps and "system" not in steps
    assert "第 1 版" in page and "<code>retail-order v1</code>" not in page
    assert "version 1" in clerk.get(f"/orders/{order_id}?lang=en").text


def test_a_running_timer_says_when_what_and_how_long_is_left(clerk: FlaskClient, clock: FrozenClock) -> None:
    order_id = create(clerk)  # unpaid: cancelled after 30 minutes, at 17:33 China time
    clock.advance(seconds=18 * 60)
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "17:33 取消（超时未支付自动取消）— 还剩 12 分钟" in zh
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Cancel at 17:33 (cancelled: unpaid in time) — 12 min left" in en
    assert 'datetime="2026-12-07T09:33:00+00:00"' in en
    clock.advance(seconds=11 * 60 + 30)  # half a minute left: a part minute counts as one
    assert "还剩 1 分钟" in clerk.get(f"/orders/{order_id}?lang=zh").text
    pay(clerk, order_id, "186")  # paid: the timer is cancelled, and not shown
    assert 'id="timers"' not in clerk.get(f"/orders/{order_id}").text


def test_a_timer_at_return_by_says_the_day_it_falls_on(
    app: Flask, clerk: FlaskClient, clock: FrozenClock
) -> None:
    """The automatic receipt waits for return_by, 7 days after delivery: the page says on which day, in
    China time, in either language."""
    engine = app.extensions["orderloom"].engine
    order_id = create(clerk)
    pay(clerk, order_id, "186")
    from engine.runtime import Actor

    warehouse = Actor("wu.qiang", frozenset({"warehouse"}), frozenset({"retail"}))
    engine.fire_record(
        order_id, "shipment", 1, "ship", warehouse, {"carrier": "sf", "waybill": "SF1234567890123"}
    )
    delivered = clock.now().isoformat()
    engine.fire_record(order_id, "shipment", 1, "deliver", warehouse, {"delivered_at": delivered})
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert "于 12月14日 17:03 自动确认收货 — 还剩 7 天" in zh and "7 天 0 小时" not in zh
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert "Complete by itself on 14 Dec 17:03 — 7 d left" in en
    assert 'datetime="2026-12-14T09:03:00+00:00"' in en


def test_a_timer_whose_moment_is_empty_says_it_is_not_set_and_why() -> None:
    step, reason = Text("确认收货", "Complete"), Text("自动确认收货", "receipt confirmed automatically")
    empty = UnsetTimer(step, reason, "order.return_by", None)
    assert shown_unset_timer(empty, "zh") == "未设定自动确认收货：order.return_by 尚无值"
    assert (
        shown_unset_timer(empty, "en") == "Complete by itself: not set, order.return_by holds no moment yet"
    )
    why = UnsetTimer(step, reason, "order.return_by", Text("无法求值", "cannot evaluate"))
    assert shown_unset_timer(why, "zh") == "未设定自动确认收货：无法求值"
    assert shown_unset_timer(why, "en") == "Complete by itself: not set, cannot evaluate"


def test_a_timer_fired_is_told_as_the_timers_doing(
    app: Flask, clerk: FlaskClient, clock: FrozenClock
) -> None:
    order_id = create(clerk)
    clock.advance(seconds=31 * 60)
    app.extensions["orderloom"].engine.run_due_timers("worker-1")
    steps = timeline(clerk.get(f"/orders/{order_id}?lang=zh").text)
    assert "取消 · 定时器 · 待支付 → 已取消 超时未支付自动取消" in steps


def test_a_guards_refusal_is_beside_the_field_it_compared_with_the_values(clerk: FlaskClient) -> None:
    """``pay`` holds when ``data.amount <= order.total``: 5,200 paid for 5,128 is said beside the
    amount, with both values by their labels, and what was typed is kept."""
    order_id = create(clerk, **BIG)
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {
        "method": "alipay",
        "amount": "5200",
        "transaction_ref": "2026000001",
        "_lock_version": lock_of(page),
    }
    zh = clerk.post(f"/orders/{order_id}/fire/pay?lang=zh", data=sent)
    assert zh.status_code == 422
    beside = re.search(r'<p class="error" id="f-amount-error"><span>([^<]*)</span>', zh.text)
    assert beside is not None and beside.group(1) == "支付金额（元） 5,200.00 多于订单金额（元） 5,128.00"
    assert 'value="5200.00"' in zh.text and 'value="2026000001"' in zh.text
    en = clerk.post(f"/orders/{order_id}/fire/pay?lang=en", data=sent).text
    beside = re.search(r'<p class="error" id="f-amount-error"><span>([^<]*)</span>', en)
    assert beside is not None
    assert (
        html.unescape(beside.group(1))
        == "The Amount paid (CNY) 5,200.00 is more than the Order total (CNY) 5,128.00"
    )


def test_a_steps_form_starts_with_what_the_order_knows(app: Flask, clerk: FlaskClient) -> None:
    """The pay page asks for the amount due, a shipment's ship form (on the order page) for the carrier
    routing chose: both are filled in (to be changed if need be) instead of asked again."""
    order_id = create(clerk, **BIG)
    page = clerk.get(f"/orders/{order_id}/fire/pay?lang=zh").text
    amount = re.search(r'<input[^>]*id="f-amount"[^>]*>', page)
    assert amount is not None and 'value="5128.00"' in amount.group(0)
    small = create(clerk)
    pay(clerk, small, "186")  # approved by the audit: waiting to be shipped
    services = app.extensions["orderloom"]
    with services.store.read() as tx:
        routed = tx.load_order(small).data["carrier"]
    create_user(
        services.store,
        name="zhao.lei",
        password="zhao.lei-demo",
        roles=["warehouse"],
        departments=["retail"],
        at=datetime.now(UTC),
    )
    warehouse = log_in(app.test_client(), "zhao.lei", "zhao.lei-demo")
    page = warehouse.get(f"/orders/{small}?lang=zh").text
    ship = page[page.index(f'action="/orders/{small}/records/shipment/1/ship"') :]
    chosen = re.findall(r'<option value="([a-z]+)" selected>', ship[: ship.index("</form>")])
    assert chosen == [routed]


def test_switching_language_keeps_what_was_typed_on_the_intake_and_step_pages(clerk: FlaskClient) -> None:
    """Without scripts: the form's language button posts what was typed, and the form comes back in the
    other language, filled, nothing created or fired (the same page's key and lock version kept)."""
    key = key_of(clerk.get(f"{NEW}?lang=zh").text)
    typed = intake(_key=key, _relang="1", **{"customer.name": "赵六", "lines[0].qty": "3"})
    response = clerk.post(f"{NEW}?lang=en", data=typed)
    assert response.status_code == 200
    page = response.text
    assert '<html lang="en">' in page and "Recipient&#39;s name" in page
    assert 'value="赵六"' in page and 'value="3"' in page and f'value="{key}"' in page
    assert 'formaction="/orders/new/retail/retail-order/web?lang=zh"' in page  # and back again
    assert clerk.get("/orders/1").status_code == 404  # nothing was created
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}/fire/pay?lang=zh").text
    lock = lock_of(page)
    sent = {
        "method": "wechat_pay",
        "amount": "186",
        "transaction_ref": "WX-777",
        "_lock_version": lock,
        "_relang": "1",
    }
    response = clerk.post(f"/orders/{order_id}/fire/pay?lang=en", data=sent)
    assert response.status_code == 200
    assert '<html lang="en">' in response.text and 'value="WX-777"' in response.text
    assert re.search(r'value="wechat_pay"[^>]*checked', response.text)
    assert f'name="_lock_version" value="{lock}"' in response.text
    assert "Pending payment" in clerk.get(f"/orders/{order_id}?lang=en").text  # not paid


@pytest.mark.parametrize(("lang", "label"), [("zh", "Switch to English"), ("en", "切换到中文")])
def test_the_forms_language_button_reads_as_a_language_link_apart_from_the_forms_actions(
    clerk: FlaskClient, lang: str, label: str
) -> None:
    order_id = create(clerk)
    for path in (NEW, f"/orders/{order_id}/fire/pay"):
        page = clerk.get(f"{path}?lang={lang}").text
        actions = page[page.index('<p class="form-actions">') :]
        actions = actions[: actions.index("</p>")]
        assert "_relang" not in actions  # not among submit's neighbours
        button = re.search(
            r'<p class="form-lang-row">\s*<button type="submit" class="([^"]+)" '
            r'name="_relang"[^>]*>([^<]+)</button>',
            page,
        )
        assert button is not None and button.group(2) == label
        assert "link-button" in button.group(1).split()
        assert page.index('<p class="form-actions">') < button.start()  # Enter still submits with submit


@pytest.mark.parametrize(
    ("path", "workflow"),
    [
        ("retail/order.yaml", "retail-order"),
        ("retail/flash-sale.yaml", "retail-flash-sale"),
        ("wholesale/order.yaml", "wholesale-order"),
        ("after-sales/request.yaml", "after-sales-request"),
    ],
)
def test_every_field_the_engine_writes_has_a_label_where_the_field_lives(
    app: Flask, path: str, workflow: str
) -> None:
    """What actions and rules write into an order (a carrier, a waybill, stock reserved, a refund due)
    is shown on the order page by a label of one of the workflow's forms, never by its name."""
    engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(REPO / "workflows" / path, REPO))
    labelled = {name for form in engine.published_forms(workflow) for name in form.layout.fields}
    with engine.parts.store.read() as tx:
        owned = engine.parts.compiled(tx, workflow, None).owned
    assert owned and sorted(set(owned) - labelled) == []


def words_of(page: str, element: str) -> str:
    found = re.search(rf'<p class="[^"]*" id="{element}">(.*?)</p>', page, re.S)
    assert found is not None, f"no #{element}"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def test_why_a_held_order_is_held_is_said_under_its_state(clerk: FlaskClient) -> None:
    """At the top of the page, before the steps and the long timeline: the audit's reason with the
    values it compared; the clerk, who has no step on a held order, reads who has and the queue."""
    order_id = held_order(clerk)
    page = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert page.index('id="order-state"') < page.index('id="why-here"') < page.index('id="actions-heading"')
    assert words_of(page, "why-here") == "为何在此 挂起待审：订单金额超过5000元 — 5,128.00 > 5,000"
    assert words_of(page, "next-here") == "下一步由 审核员 处理 · 在队列 风控审核 中等待"
    assert 'href="/work/queues/retail/risk-review"' in page
    page = clerk.get(f"/orders/{order_id}?lang=en").text
    assert words_of(page, "why-here") == "Why here on hold: Amount over 5000 CNY — 5,128.00 > 5,000"
    assert words_of(page, "next-here") == "Next: Reviewer · waits in the queue Risk review"


CANCELLED_BY_RULE = {
    "zh": "为何在此 取消（系统） · 驳回：收货手机号在黑名单中 — 手机号在名单“黑名单手机号”中",
    "en": "Why here Cancel (the system) · rejected: The customer's mobile number is on the blacklist — "
    "Mobile number is on the list “Blocked mobiles”",
}
CANCELLED_BY_TIMER = {
    "zh": "为何在此 取消（定时器）：超时未支付自动取消",
    "en": "Why here Cancel (timer): cancelled: unpaid in time",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_order_the_audit_rejected_and_the_system_cancelled_says_the_rules_reason(
    app: Flask, clerk: FlaskClient, lang: str
) -> None:
    """The cancel is an automatic step after the audit's rejection: the top says the rule's reason,
    not only 取消（系统）, which would send the clerk down the timeline to learn why."""
    services = app.extensions["orderloom"]
    NamedLists(services.store, services.engine.clock).add("retail", "blocked-mobiles", "13800000000", "admin")
    order_id = create(clerk, **{"customer.mobile": "13800000000"})
    pay(clerk, order_id, "186")
    page = clerk.get(f"/orders/{order_id}?lang={lang}").text
    assert words_of(page, "why-here") == CANCELLED_BY_RULE[lang]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_order_a_timer_cancelled_says_the_timers_reason(
    app: Flask, clerk: FlaskClient, clock: FrozenClock, lang: str
) -> None:
    order_id = create(clerk)
    clock.advance(minutes=31)
    assert app.extensions["orderloom"].engine.fire_due_timers("orders-why").fired == 1
    page = clerk.get(f"/orders/{order_id}?lang={lang}").text
    assert words_of(page, "why-here") == CANCELLED_BY_TIMER[lang]


def test_an_order_placed_after_routing_names_the_step_alone(clerk: FlaskClient) -> None:
    """Routing decided just before the order was placed by itself: placing it is not routing's doing."""
    order_id = create(clerk)
    assert words_of(clerk.get(f"/orders/{order_id}?lang=zh").text, "why-here") == "为何在此 下单（系统）"


def test_an_order_a_person_moved_says_who_took_the_step(clerk: FlaskClient) -> None:
    """No rule decided where it is: the step that brought it there and who took it, by their names
    (the order placed by the engine at once, waiting to be paid)."""
    order_id = create(clerk)
    page = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert words_of(page, "why-here") == "为何在此 下单（系统）"
    en = words_of(clerk.get(f"/orders/{order_id}?lang=en").text, "why-here")
    assert en == "Why here Place order (the system)"
    assert 'id="next-here"' not in page  # the clerk pays it: a step of hers


def test_a_timer_reading_the_orders_records_says_so_by_their_labels(clerk: FlaskClient) -> None:
    """The unpaid timer spares an order whose payments hold some of its money (authorized, or a part
    captured): its condition reads the payment records, told by the kind's and the states' labels, not
    as the expression is written."""
    order_id = create(clerk)
    zh = clerk.get(f"/orders/{order_id}?lang=zh").text
    assert (
        "届时条件仍成立才执行：「已授权」的支付数 为 0；「已收款」的支付数 为 0；「部分退款」的支付数 为 0"
        in zh
    )
    assert "pluck" not in zh and "取消（7天内未付清自动取消）— 还剩 7 天" in zh
    en = clerk.get(f"/orders/{order_id}?lang=en").text
    assert (
        "only if this still holds then: Payment records authorized is 0; Payment records captured is 0; "
        "Payment records partly refunded is 0" in en
    )
