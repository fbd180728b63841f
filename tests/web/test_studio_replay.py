"""Replay before publishing (web/studio_replay.py): a draft of a retail rule file, or of the workflow
naming it, replayed over retail orders made through the engine; the page lists exactly the orders that
would go another way, with the published and the draft's decisions and why, and publishes from there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo.loader import stock_warehouses
from engine.api import Actor
from engine.api.definitions import load_bundle
from tests.web.conftest import REPO_ROOT, LoggedInClient, add_user, log_in, make_app, settings_for
from tests.web.test_app import sqlite_writes, traced_sqlite
from web.app import create_app

WORKFLOW = "workflows/retail/order.yaml"
AUDIT = "rules/retail/audit.yaml"
ROUTING = "rules/retail/routing.yaml"
AUDIT_TEXT = (REPO_ROOT / AUDIT).read_text(encoding="utf-8")
RAISED = AUDIT_TEXT.replace("when: order.total > 5000", "when: order.total > 10000")
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
TOTALS = (300.0, 6200.0, 12000.0, 8000.0, 4999.0)


def _order(total: float) -> dict[str, object]:
    return {
        "customer": {"name": "王芳", "mobile": "13912345678"},
        "address": {
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "detail": "文三路478号华星时代广场",
        },
        "lines": [{"sku": "NB-PRO-14", "name": "笔记本电脑", "qty": 1, "unit_price": total, "amount": total}],
        "shipping_fee": 0,
        "discount": 0,
        "total": total,
    }


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-replay-tests"))
    prepare(app)
    yield app
    app.extensions["orderloom"].close()


def prepare(app: Flask) -> None:
    """retail-order v1 published over the shipped definitions, five paid retail orders reviewed by the
    shipped audit (their totals in ``app.config["TOTALS"]``: order id -> total), the admins and a
    clerk."""
    services = app.extensions["orderloom"]
    engine = services.engine
    engine.publish(load_bundle(REPO_ROOT / WORKFLOW, REPO_ROOT, action_names=services.registry.action_names))
    stock_warehouses(services.store, {("NB-PRO-14", "SH-01"): 50})
    totals: dict[int, float] = {}
    for total in TOTALS:
        order = engine.create_order(CLERK, "retail", "retail-order", "web", _order(total))
        payment = {"method": "alipay", "amount": total, "transaction_ref": f"2026113022001400{order.id:04d}"}
        engine.fire(order.id, "pay", CLERK, payment)
        totals[order.id] = total
    app.config["TOTALS"] = totals
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    add_user(app, "li.na", "li-na-password", ("clerk",), ("retail",))


def client(app: Flask, name: str = "ma.li") -> FlaskClient:
    return log_in(app.test_client(), name, f"{name.replace('.', '-')}-password")


def save(c: FlaskClient, path: str, text: str, revision: int = 0) -> None:
    answer = c.post(
        f"/studio/retail/files/{path}", data={"action": "save", "text": text, "revision": revision}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)


def rows(html: str) -> dict[int, str]:
    """Order id -> the text of its row in the tables of orders that would go another way."""
    found = re.findall(r'<tr id="replay-order-(\d+)">(.*?)</tr>', html, flags=re.S)
    return {int(order): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for order, row in found}


def test_a_raised_threshold_lists_exactly_the_orders_it_would_send_another_way(app: Flask) -> None:
    c = client(app)
    save(c, AUDIT, RAISED)
    page = c.get(f"/studio/retail/replay/{AUDIT}?lang=zh")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    totals: dict[int, float] = app.config["TOTALS"]
    changed = {order for order, total in totals.items() if 5000 < total <= 10000}
    listed = rows(html)
    assert set(listed) == changed  # 6200 and 8000: not 12000 (held either way), not 300 nor 4999
    for order in changed:
        old, new = re.split(
            r"</td>\s*<td class=\"replay-new\"[^>]*>", html.split(f'id="replay-order-{order}"')[1]
        )[:2]
        assert "hold" in old and "挂起待审" in old and "订单金额超过5000元" in old and "large-amount" in old
        assert "approve" in new and "待发货" in new and "没有规则命中" in new.split("</td>")[0]
        now = html.split(f'id="replay-order-{order}"')[1].split("</td>")[1]
        now = re.sub(r"^<td[^>]*>", "<td>", now.strip())  # the cell, its column's name aside
        assert now == "<td>挂起待审 <code>on_hold</code>"  # where it is now, by its label
    assert "2 个订单会走向不同结果" in html
    assert "retail-order · rules/retail/audit.yaml" in html
    assert "重放了 5 个订单，其中 2 个会走向不同结果" in html
    # The counts per (published → draft) outcome, as `orderloom rules replay` prints them.
    counts = re.findall(r"<code>(\w+)</code> → <code>(\w+)</code></td><td class=\"num\">(\d+)<", html)
    assert sorted(counts) == [("approve", "approve", "2"), ("hold", "approve", "2"), ("hold", "hold", "1")]

    english = c.get(f"/studio/retail/replay/{AUDIT}?lang=en").get_data(as_text=True)
    assert "2 order(s) would go another way" in english and "Amount over 5000 CNY" in english
    assert "Pending shipment" in english


def test_a_workflow_replays_each_rule_file_it_names_as_a_publish_reads_them(app: Flask) -> None:
    """What a publish of the workflow would publish: its rule files as they are published, with the
    department's drafts of them (a publish of the workflow publishes them along)."""
    c = client(app)
    save(c, AUDIT, RAISED)
    html = c.get(f"/studio/retail/replay/{WORKFLOW}?lang=en").get_data(as_text=True)
    sections = re.findall(r'<h2 id="replay-\d+-heading">([^<]*)</h2>', html)
    assert sections == [
        "retail-order · rules/retail/audit.yaml (rule set retail-audit)",
        "retail-order · rules/retail/routing.yaml (rule set retail-routing)",
    ]
    assert len(rows(html)) == 2  # the audit's draft raises the amount held: 6200 and 8000 go on
    assert "5 order(s) replayed; 2 would go another way" in html
    assert "5 order(s) replayed; 0 would go another way" in html  # routing: no draft, as published
    # routing says what its replay can tell: the stock now, the same for both versions (audit does not)
    assert 'id="replay-1-stock"' not in html
    assert re.search(
        r'<p class="muted" id="replay-2-stock">Routing is replayed over the stock on hand now', html
    )
    zh = c.get(f"/studio/retail/replay/{ROUTING}?lang=zh").get_data(as_text=True)
    assert "分仓规则按当前库存重放" in zh
    audit = c.get(f"/studio/retail/replay/{AUDIT}?lang=en").get_data(as_text=True)
    totals: dict[int, float] = app.config["TOTALS"]
    assert set(rows(audit)) == {order for order, total in totals.items() if 5000 < total <= 10000}


def test_a_workflow_draft_sending_an_outcome_elsewhere_lists_the_orders_it_would_move(app: Flask) -> None:
    c = client(app)
    workflow = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
    review = "dest: {approve: pending_shipment, hold: on_hold, reject: rejected}"
    assert review in workflow
    save(
        c,
        WORKFLOW,
        workflow.replace(review, "dest: {approve: pending_shipment, hold: rejected, reject: rejected}"),
    )
    html = c.get(f"/studio/retail/replay/{WORKFLOW}?lang=en").get_data(as_text=True)
    totals: dict[int, float] = app.config["TOTALS"]
    held = {order for order, total in totals.items() if total > 5000}
    listed = rows(html)
    assert set(listed) == held  # the same outcome, hold, but another state
    for order in held:
        old, new = html.split(f'id="replay-order-{order}"')[1].split('class="replay-new"')[:2]
        assert "hold" in old and "On hold" in old and "Amount over 5000 CNY" in old
        assert "hold" in new and "Rejected" in new.split("</td>")[0]
    assert "3 order(s) would go another way" in html


def test_the_limit_takes_the_newest_orders_and_a_bad_one_is_named(app: Flask) -> None:
    c = client(app)
    save(c, AUDIT, RAISED)
    html = c.get(f"/studio/retail/replay/{AUDIT}?last=2&lang=en").get_data(as_text=True)
    newest = sorted(app.config["TOTALS"])[-2:]  # 8000 and 4999: one of them changes
    assert "2 order(s) replayed; 1 would go another way" in html
    assert set(rows(html)) == {newest[0]}
    for bad in ("abc", "0", "10001", "-3", "²"):
        answer = c.get(f"/studio/retail/replay/{AUDIT}", query_string={"last": bad, "lang": "en"})
        assert answer.status_code == 400
        text = answer.get_data(as_text=True)
        assert "The number of recent orders (last) must be a whole number from 1 to 10000" in text
        assert "replay-order-" not in text
    zh = c.get(f"/studio/retail/replay/{AUDIT}?last=abc&lang=zh").get_data(as_text=True)
    assert "近期订单数（last）须是 1 到 10000 之间的整数，而不是“abc”" in zh


def test_a_draft_with_errors_is_not_replayed_nor_offered_for_publishing(app: Flask) -> None:
    c = client(app)
    save(c, AUDIT, AUDIT_TEXT.replace("outcome: hold\n", "outcome: hodl\n", 1))
    answer = c.get(f"/studio/retail/replay/{AUDIT}?lang=en")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "The draft has errors: it cannot be replayed (nor published)" in html
    assert "hodl" in html and 'id="replay-problems"' in html
    assert "replay-order-" not in html and "replay-publish" not in html


def test_publish_from_the_replay_page(app: Flask) -> None:
    c = client(app)
    file_page = c.get(f"/studio/retail/files/{AUDIT}").get_data(as_text=True)
    assert f'href="/studio/retail/replay/{AUDIT}"' in file_page  # the step before publishing
    assert 'id="studio-replay-link"' not in c.get("/studio/retail/files/forms/retail/order.json").get_data(
        as_text=True
    )
    no_draft = c.get(f"/studio/retail/replay/{AUDIT}?lang=en").get_data(as_text=True)
    assert "This file has no draft" in no_draft and "No order would go another way." in no_draft
    assert "replay-publish" not in no_draft

    save(c, AUDIT, RAISED)
    html = c.get(f"/studio/retail/replay/{AUDIT}?lang=en").get_data(as_text=True)
    form = html.split('aria-labelledby="replay-publish-heading"')[1]
    assert f'action="/studio/retail/files/{AUDIT}"' in form and 'name="revision" value="1"' in form
    published = c.post(
        f"/studio/retail/files/{AUDIT}", data={"action": "publish", "revision": 1, "note": "5000 → 10000"}
    )
    assert published.status_code == 200
    engine = app.extensions["orderloom"].engine
    assert [v.version for v in engine.versions("retail-order")] == [1, 2]
    # Replayed again, the published rules are the draft's own: no order of v2 would change; those
    # still on v1 are compared with v1's rules.
    again = c.get(f"/studio/retail/replay/{AUDIT}?lang=en").get_data(as_text=True)
    assert "Same as the published text." in again


def test_only_the_departments_admins_replay_and_only_rule_and_workflow_files(app: Flask) -> None:
    assert client(app, "li.na").get(f"/studio/retail/replay/{AUDIT}").status_code == 403
    assert client(app, "xu.jie").get(f"/studio/retail/replay/{AUDIT}").status_code == 403
    c = client(app)
    assert c.get("/studio/retail/replay/forms/retail/order.json").status_code == 404
    assert c.get("/studio/retail/replay/rules/wholesale/credit.yaml").status_code == 404
    assert c.get("/studio/retail/replay/rules/retail/nothing.yaml").status_code == 404


def test_replaying_writes_nothing(app: Flask, tmp_path: Path) -> None:
    save(client(app), AUDIT, RAISED)
    with traced_sqlite() as statements:  # an app of its own, so every connection it opens is traced
        second = create_app(settings_for(tmp_path, REPO_ROOT, "studio-replay-tests"), {"TESTING": True})
        second.test_client_class = LoggedInClient
        try:
            c = client(second)
            statements.clear()
            answer = c.get(f"/studio/retail/replay/{AUDIT}")
        finally:
            second.extensions["orderloom"].close()
    assert answer.status_code == 200 and 'id="replay-order-' in answer.get_data(as_text=True)
    assert statements and sqlite_writes(statements) == []
