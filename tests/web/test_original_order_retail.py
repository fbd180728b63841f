"""The retail order's own pages beside the after-sales requests about it (Flask's test client): the
return form offers only the goods the requests leave, in Chinese and English, and the payment panel says
what the requests paid back beside the order's own refunds."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from engine.clock import FrozenClock
from engine.runtime import Engine
from tests.engine.runtime.test_original_order import request
from tests.test_departments import SERVICE, delivered_retail_order
from tests.web.conftest import log_in
from tests.web.test_original_order import original_order_app


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = original_order_app(tmp_path, "original-order-retail", clock)
    yield app
    app.extensions["orderloom"].close()


def engine_of(app: Flask) -> Engine:
    found: Engine = app.extensions["orderloom"].engine
    return found


def rows_of(page: str) -> list[tuple[str, str]]:
    """The return form's lines as drawn: (SKU, quantity) each."""
    found = []
    for index in range(10):
        sku = re.search(rf'name="return_lines\[{index}\]\.sku"[^>]*value="([^"]*)"', page)
        if sku is None:
            break
        qty = re.search(rf'name="return_lines\[{index}\]\.qty"[^>]*value="([^"]*)"', page)
        assert qty is not None
        found.append((html.unescape(sku.group(1)), qty.group(1)))
    return found


def test_the_return_form_offers_only_what_the_requests_about_the_order_leave_in_both_languages(
    app: Flask, clock: FrozenClock
) -> None:
    """Two bands delivered, an after-sales request names one back: the form offered both, and refused
    the return of the second only once sent; now it offers one, in either language, and none once a
    second request names the other."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    form = f"/orders/{bought}/fire/request_return"
    assert rows_of(clerk.get(f"{form}?lang=zh").text) == [("XM-BAND8", "2")]
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    for lang, words in (("zh", "退回数量"), ("en", "Quantity returned")):
        page = clerk.get(f"{form}?lang={lang}").text
        assert rows_of(page) == [("XM-BAND8", "1")], lang
        assert words in page
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert rows_of(clerk.get(f"{form}?lang=en").text) == []
