"""A timer with a condition says whether it holds now (web/orders.py, web/workspace.py): the unpaid
order's cancel spares an order whose payment is authorized; once one is, its order page and its row of
my work say the timer will not fire unless its condition comes to hold, judged as the worker judges it
(engine/runtime/timer_conditions.py), and the worker indeed leaves the order be when it falls due."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from tests.web.conftest import log_in
from tests.web.test_order_records import authorize
from tests.web.test_orders import create
from tests.web.test_orders_why import clerks_app

OFF = {
    "zh": "当前条件不成立，到期时不会执行",
    "en": "its condition does not hold now: it will not fire unless it does by then",
}
PENDING = {"zh": "待支付", "en": "Pending payment"}
UNPAID = {"zh": "超时未支付自动取消", "en": "cancelled: unpaid in time"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 7, 9, 3, tzinfo=UTC))


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    url = str(request.getfixturevalue("pg_url")) if request.param == "postgresql" else None
    app = clerks_app(tmp_path, clock, url)
    yield app
    app.extensions["orderloom"].close()


@pytest.fixture
def clerk(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), "li.na", "li.na-demo")


def words(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def timers(page: str) -> list[str]:
    """The timers the order page lists, each as its words."""
    found = re.search(r'<ul class="timers" id="timers">(.*?)</ul>', page, re.S)
    assert found is not None, page
    return [words(item) for item in re.findall(r"<li[^>]*>(.*?)</li>", found.group(1), re.S)]


def due_line(page: str, order_id: int) -> str:
    """What the order's row of my work says of its soonest timer."""
    row = re.search(rf'data-order="{order_id}" data-key-row>(.*?)</li>', page, re.S)
    assert row is not None, page
    due = re.search(r'<p class="work-due[^"]*">(.*?)</p>', row.group(1), re.S)
    assert due is not None, row.group(1)
    return words(due.group(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_unpaid_timer_an_authorized_payment_spares_says_it_will_not_fire(
    app: Flask, clerk: FlaskClient, clock: FrozenClock, lang: str
) -> None:
    order_id = create(clerk)
    unpaid, *others = timers(clerk.get(f"/orders/{order_id}?lang={lang}").text)
    assert UNPAID[lang] in unpaid and OFF[lang] not in unpaid  # nothing paid: it will cancel the order
    assert OFF[lang] not in due_line(clerk.get(f"/work?lang={lang}").text, order_id)

    authorize(clerk, order_id)
    unpaid, *others = timers(clerk.get(f"/orders/{order_id}?lang={lang}").text)
    assert UNPAID[lang] in unpaid and unpaid.endswith(OFF[lang]), unpaid
    assert others and all(OFF[lang] not in other for other in others)  # the 7-day timer has no condition
    assert due_line(clerk.get(f"/work?lang={lang}").text, order_id).endswith(OFF[lang])

    # the worker judges it alike: due, it leaves the order waiting for its payment to be captured
    clock.advance(minutes=31)
    app.extensions["orderloom"].engine.fire_due_timers("worker-1")
    page = clerk.get(f"/orders/{order_id}?lang={lang}").text
    assert re.search(r'id="order-state">([^<]*)<', page).group(1) == PENDING[lang]  # type: ignore[union-attr]
    assert not any(UNPAID[lang] in timer for timer in timers(page))
