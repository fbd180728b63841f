"""The web app: health check and the departments page, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from engine.dsl.compiler import load_bundle
from engine.runtime import Actor
from tests.web.conftest import log_in, make_app
from web.settings import Settings

DEFS = Path(__file__).resolve().parent / "defs"
CLERK = Actor("wang.fang", frozenset({"clerk"}), frozenset({"desk"}))


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=DEFS,
        secret_key="test",
    )
    return log_in(make_app(settings).test_client())


def test_healthz_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_home_says_how_to_start_when_nothing_is_published(client: FlaskClient) -> None:
    assert "orderloom demo" in client.get("/?lang=en").get_data(as_text=True)
    assert "还没有发布任何工作流" in client.get("/?lang=zh").get_data(as_text=True)


def test_home_lists_departments_workflows_and_order_counts(client: FlaskClient) -> None:
    assert client.application is not None
    engine = client.application.extensions["orderloom"].engine
    engine.publish(load_bundle(DEFS / "workflows" / "desk.yaml", DEFS))
    for total in (10, 20, 30):
        engine.create_order(
            CLERK,
            department="desk",
            workflow="desk-order",
            channel="phone",
            data={"customer": "李娜", "total": total},
        )
    first = engine.list_orders(CLERK, limit=1)[0]
    engine.fire(first.id, "pay", CLERK, data={"amount": first.data["total"]})
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Desk order" in page and "<code>desk-order</code>" in page
    assert '<td class="num">3</td>' in page
    assert 'title="pending_payment">Pending payment <b>2</b>' in page and 'title="paid">Paid <b>1</b>' in page
    zh = client.get("/?lang=zh").get_data(as_text=True)
    assert "柜台订单" in zh and "部门与流程" in zh and "待支付 <b>2</b>" in zh


def test_the_browser_language_is_the_default(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "Departments and workflows" in page
    page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "部门与流程" in page


def test_the_language_choice_is_remembered(client: FlaskClient) -> None:
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert "Departments and workflows" in client.get("/").get_data(as_text=True)
