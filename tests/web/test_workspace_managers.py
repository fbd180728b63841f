"""A manager's rows of my work (web/workspace.py) over the shipped definitions: the wholesale cancel of an
order being fulfilled is offered on a row only while nothing of it has shipped; a row whose goods left
says why it waits instead, and the bar of its group offers no cancel, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from demo.loader import load_demo
from tests.test_departments import SALES, ship, wholesale_data
from tests.web.conftest import REPO_ROOT, log_in, make_app, settings_for, with_demo_users


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    with_demo_users(tmp_path, demo_users_database)
    app = make_app(settings_for(tmp_path, REPO_ROOT, "managers-work-tests"))
    services = app.extensions["orderloom"]
    load_demo(services.engine, services.store, REPO_ROOT, orders=0)
    yield app
    services.close()


def row(page: str, order_id: int) -> str:
    found = re.search(rf'<li class="work-item[^"]*" data-order="{order_id}".*?</li>', page, re.S)
    assert found is not None, order_id
    return found.group(0)


@pytest.mark.parametrize(
    ("lang", "waiting"),
    [
        ("zh", "暂不能处理：已有货物发出，不能整单取消并全额退款"),
        ("en", "Waiting: Goods have already shipped, so the order cannot be cancelled with a full refund"),
    ],
)
def test_a_managers_row_offers_the_cancel_only_while_nothing_has_shipped(
    app: Flask, lang: str, waiting: str
) -> None:
    engine = app.extensions["orderloom"].engine
    untouched = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    shipped = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    ship(engine, shipped, "GZ-01")
    page = log_in(app.test_client(), "sun.li", "sun.li-demo").get(f"/work?lang={lang}").get_data(as_text=True)
    assert f"/orders/{untouched}/fire/cancel" in row(page, untouched)
    assert "/fire/cancel" not in row(page, shipped) and waiting in row(page, shipped)
    bars = re.findall(r'<form method="get" action="/orders/batch".*?</form>', page, re.S)
    with_shipped = [bar for bar in bars if f'form="{bar_id(bar)}"' in row(page, shipped)]
    assert with_shipped and all('value="cancel"' not in bar for bar in with_shipped)


def bar_id(bar: str) -> str:
    found = re.search(r'id="([^"]+)"', bar)
    assert found is not None
    return found.group(1)
