"""The order page says why in words a clerk reads (web/orders.py, templates/orders/show.html): a rule's
condition with the values it compared, an enum value by its form's label (银牌, not ``'silver'``),
time in days rounded (7.9 天), no quotes and no ``==``/``and``/``not``; a decision table's row by its
reason, not its name; an approval's timeout by what it does; and at the top of the page, under the
order's state, why the order is where it is and, when the reader has no step to take, who acts next
and the queue it waits in.

Over the shipped wholesale and after-sales workflows with the demo's accounts and logins, through the
Flask test client over a real SQLite file, in Chinese and English."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.loader import ensure_demo_users, load_demo
from engine.clock import FrozenClock
from engine.runtime import Actor, Engine
from tests.test_departments import delivered_retail_order, request_data, wholesale_data
from tests.web.conftest import log_in, make_app, settings_for

REPO = Path(__file__).resolve().parents[2]
SALES = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
SERVICE = Actor("huang.fang", frozenset({"service"}), frozenset({"after_sales"}))
FRIDGES = {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 60, "unit_price": 2639, "amount": 158340}
# the condition language's code, the values as stored, a row by its name
CODE_WORDS = ("==", " '", "('", " and (", "(not '", "silver", "platinum", "large-other", "medium-other")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    clock = FrozenClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    app = make_app(settings_for(tmp_path, REPO, "orders-why-words-tests"), clock)
    services = app.extensions["orderloom"]
    load_demo(services.engine, services.store, REPO, orders=0)
    ensure_demo_users(services.store, clock.now())
    yield app
    services.close()


def engine_of(app: Flask) -> Engine:
    engine: Engine = app.extensions["orderloom"].engine
    return engine


def person(app: Flask, name: str) -> FlaskClient:
    return log_in(app.test_client(), name, f"{name}-demo")


def text(page: str, element: str) -> str:
    """The words of the element with the id ``element`` (its tags dropped, spaces folded)."""
    found = re.search(rf'<(\w+)[^>]* id="{element}"[^>]*>(.*?)</\1>', page, re.S)
    assert found is not None, f"no #{element} on the page"
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(2)))).strip()


def wholesale(app: Flask, **changes: Any) -> int:
    order = engine_of(app).create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(**changes)
    )
    return order.id


def big(app: Flask) -> int:
    """158,540 yuan from a silver account: the sales director's band, finance and the director sign."""
    return wholesale(app, lines=[FRIDGES], total=158540)


def medium(app: Flask) -> int:
    """52,980 yuan from a silver account: the sales manager's band."""
    return wholesale(app, lines=[{**FRIDGES, "qty": 20, "amount": 52780}], total=52980)


def after_sales(app: Flask, days: float, **changes: Any) -> int:
    """A return asked for ``days`` after delivery, for a quality problem unless ``changes`` say so."""
    engine = engine_of(app)
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    delivered = (clock.now() - timedelta(days=days)).isoformat()
    data = request_data(clock, reason_code="quality", delivered_at=delivered, item_condition="opened_intact")
    data["original_order_no"] = delivered_retail_order(engine, clock)  # the order the goods were bought on
    data.update(changes)
    return engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", data).id


def test_a_decision_tables_condition_reads_in_words_with_the_tiers_labels(app: Flask) -> None:
    order_id = big(app)
    manager = person(app, "sun.li")
    zh = text(manager.get(f"/orders/{order_id}?lang=zh").text, "timeline")
    assert "100,000 <= 158,540.00 < 500,000；客户等级 银牌（不是 铂金）" in zh
    assert "订单金额 158,540.00 客户等级 银牌" in zh  # the table's inputs, by their labels
    assert "命中的规则行" not in zh
    en = text(manager.get(f"/orders/{order_id}?lang=en").text, "timeline")
    assert "100,000 <= 158,540.00 < 500,000; Customer tier Silver (not Platinum)" in en
    assert "Customer tier Silver" in en
    for said in (zh, en):
        assert not [word for word in CODE_WORDS if word in said], said
    en = text(manager.get(f"/orders/{medium(app)}?lang=en").text, "timeline")
    assert "manager approves: 20,000 to 100,000 CNY, needs a sales manager's approval — " in en
    assert "20,000 <= 52,980.00 < 100,000; Customer tier Silver (not Gold or Platinum)" in en


def test_an_equality_reads_as_the_fields_label_and_value(app: Flask) -> None:
    order_id = wholesale(app, account={"account_no": "W101577"})  # on the watch list: held
    manager = person(app, "sun.li")
    zh = text(manager.get(f"/orders/{order_id}?lang=zh").text, "timeline")
    assert "挂起待审：客户账户处于关注名单 — 账户状态 关注" in zh
    en = text(manager.get(f"/orders/{order_id}?lang=en").text, "timeline")
    assert "on hold: The account is on the watch list — Account status On watch" in en
    assert "watch'" not in zh + en and "==" not in zh + en


def test_days_are_rounded_and_each_part_is_said_by_its_label(app: Flask) -> None:
    service = person(app, "huang.fang")
    late = after_sales(app, 7.9476728224537)
    zh = text(service.get(f"/orders/{late}?lang=zh").text, "timeline")
    assert "挂起待审：超过7天的质量问题申请需人工审核 — 7.9 天 > 7 天；原因 质量问题" in zh
    en = text(service.get(f"/orders/{late}?lang=en").text, "timeline")
    assert "7.9 days > 7 days; Reason Quality problem" in en
    assert "7.947" not in zh + en
    used = after_sales(app, 2, reason_code="no_reason", item_condition="used")
    zh = text(service.get(f"/orders/{used}?lang=zh").text, "timeline")
    assert "已使用商品退货需人工审核 — 商品状况（客户所述） 已使用；申请类型 退货" in zh
    en = text(service.get(f"/orders/{used}?lang=en").text, "timeline")
    assert "Item condition (as the customer says) Used; Request type Return" in en
    for said in (zh, en):
        assert not [word for word in CODE_WORDS if word in said], said


def test_an_approvals_timeout_is_said_by_what_it_does(app: Flask) -> None:
    manager = person(app, "sun.li")
    board = big(app)
    zh = text(manager.get(f"/orders/{board}?lang=zh").text, "timers")
    assert "审批超时：升级给 销售总监" in zh and "approval." not in zh and "escalate" not in zh
    en = text(manager.get(f"/orders/{board}?lang=en").text, "timers")
    assert "Approval timeout: escalated to the Sales director" in en and "approval." not in en
    waiting = medium(app)
    zh = text(manager.get(f"/orders/{waiting}?lang=zh").text, "timers")
    assert "审批超时提醒" in zh and "remind" not in zh
    en = text(manager.get(f"/orders/{waiting}?lang=en").text, "timers")
    assert "Approval timeout: the approvers are reminded" in en


def test_why_here_under_the_state_with_who_acts_next_and_the_queue(app: Flask) -> None:
    """Finance and the director sign the big order: the sales manager, who has no step on it, reads at
    the top why it needs approval (the table's decision with its values) and who signs next, and goes
    to the queue it waits in."""
    order_id = big(app)
    manager = person(app, "sun.li")
    page = manager.get(f"/orders/{order_id}?lang=zh").text
    assert page.index('id="why-here"') < page.index('id="approval"') < page.index('id="timeline"')
    why = text(page, "why-here")
    assert why.startswith("为何需要审批")
    assert (
        "总监审批：10万至50万元，需销售总监审批 — 100,000 <= 158,540.00 < 500,000；客户等级 银牌（不是 铂金）"
        in why
    )
    assert text(page, "next-here") == "下一步由 财务、销售总监 处理 · 在队列 批发审批 中等待"
    queue = re.search(r'<p[^>]* id="next-here"[^>]*>.*?<a href="([^"]+)"', page, re.S)
    assert queue is not None and queue.group(1) == "/work/queues/wholesale/wholesale-approval"
    assert manager.get(queue.group(1)).status_code == 200  # the link works
    page = manager.get(f"/orders/{order_id}?lang=en").text
    assert text(page, "why-here").startswith("Why it needs approval")
    assert text(page, "next-here") == "Next: Finance, Sales director · waits in the queue Wholesale approval"
    # the director has a task of his own on it: no "who acts next" for him
    director = person(app, "gao.jun").get(f"/orders/{order_id}?lang=zh").text
    assert 'id="why-here"' in director and 'id="next-here"' not in director


def test_who_acts_next_names_the_roles_of_the_steps_out_of_the_state(app: Flask) -> None:
    """An after-sales request held for review: the service desk accepts or declines it; the warehouse,
    who has no step there, reads who does."""
    order_id = after_sales(app, 2, reason_code="no_reason", item_condition="used")
    service = person(app, "huang.fang").get(f"/orders/{order_id}?lang=zh").text
    assert "已使用商品退货需人工审核" in text(service, "why-here") and 'id="next-here"' not in service
    warehouse = person(app, "zhao.lei").get(f"/orders/{order_id}?lang=zh").text
    assert text(warehouse, "next-here").startswith("下一步由 客服 处理 · 在队列 售后审核 中等待")
    en = person(app, "zhao.lei").get(f"/orders/{order_id}?lang=en").text
    assert text(en, "next-here").startswith("Next: Service desk · waits in the queue After-sales review")
