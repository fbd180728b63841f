"""A manager's rows of my work (web/workspace.py) over the shipped definitions: the wholesale cancel of an
order being fulfilled is offered on a row only while nothing of it has shipped; a row whose goods partly
left says why it waits instead, set apart and folded, not counted in the heading, and the bar of its
group offers no cancel; an order wholly shipped is not the managers' work at all, in both languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.test_departments import SALES, ship, shipments, wholesale_data
from tests.web.conftest import demo_app, log_in


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Iterator[Flask]:
    app = demo_app(tmp_path, demo_users_database, "managers-work-tests")
    yield app
    app.extensions["orderloom"].close()


def row(page: str, order_id: int) -> str:
    found = re.search(rf'<li class="work-item[^"]*" data-order="{order_id}".*?</li>', page, re.S)
    assert found is not None, order_id
    return found.group(0)


BANDS = [
    {"sku": "XM-BAND8", "name": "小米手环8", "qty": 9000, "unit_price": 1, "amount": 9000}
]  # split in two


@pytest.mark.parametrize(
    ("lang", "waiting", "heading", "apart"),
    [
        (
            "zh",
            "暂不能处理：已有货物发出，不能整单取消并全额退款",
            "批发：1 单可处理",
            "暂不能处理（1 单，不计入可处理）",
        ),
        (
            "en",
            "Waiting: Goods have already shipped, so the order cannot be cancelled with a full refund",
            "Wholesale: 1 to act on",
            "Not yours to act on yet (1, not counted)",
        ),
    ],
)
def test_a_managers_row_offers_the_cancel_only_while_nothing_has_shipped(
    app: Flask, lang: str, waiting: str, heading: str, apart: str
) -> None:
    engine = app.extensions["orderloom"].engine
    untouched = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    data = wholesale_data(lines=BANDS, total=9200)
    partly = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data).id
    ship(engine, partly, "GZ-01")  # its Shanghai part still waits
    wholly = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    for warehouse in shipments(engine, wholly):
        ship(engine, wholly, warehouse)
    page = log_in(app.test_client(), "sun.li", "sun.li-demo").get(f"/work?lang={lang}").get_data(as_text=True)
    assert f"/orders/{untouched}/fire/cancel" in row(page, untouched)
    assert "/fire/cancel" not in row(page, partly) and waiting in row(page, partly)
    assert f'data-order="{wholly}"' not in page  # the cancel is no step of a wholly shipped order
    assert heading in page  # the partly shipped row is not counted
    folded = re.search(r'<details class="work-refused">(.*?)</details>', page, re.S)
    assert folded is not None and apart in folded.group(1)
    assert f'data-order="{partly}"' in folded.group(1) and f'data-order="{untouched}"' not in folded.group(1)
    bars = re.findall(r'<form method="get" action="/orders/batch".*?</form>', page, re.S)
    with_partly = [bar for bar in bars if f'form="{bar_id(bar)}"' in row(page, partly)]
    assert with_partly and all('value="cancel"' not in bar for bar in with_partly)


def bar_id(bar: str) -> str:
    found = re.search(r'id="([^"]+)"', bar)
    assert found is not None
    return found.group(1)
