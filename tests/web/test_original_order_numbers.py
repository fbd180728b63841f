"""The original order's number typed as the pages write it (#236, the full-width ＃２３６ of a Chinese
input method, spaces around): the intake's fill finds the order, and the intake takes the request with
the number's digits; letters are refused beside the field, in the page's language."""

from __future__ import annotations

import pytest
from flask import Flask

from engine.clock import FrozenClock
from tests.test_departments import delivered_retail_order
from tests.web import test_original_order as original
from tests.web.test_original_order import FILL, NEW, desk, engine_of, key_of

clock, app = original.clock, original.app  # the original-order pages' fixtures


def intake(number: str, key: str) -> dict[str, str]:
    """A whole return request from the web intake form, naming its retail order by ``number``."""
    return {
        "_key": key,
        "original_order_no": number,
        "type": "return",
        "reason_code": "no_reason",
        "return_warehouse": "SH-01",
        "customer.name": "张伟",
        "customer.mobile": "13812345678",
        "lines[0].sku": "XM-BAND8",
        "lines[0].name": "小米手环8",
        "lines[0].qty": "1",
        "lines[0].unit_price": "239",
        "delivered_at": "2026-03-01T17:00",
        "item_condition": "unopened",
        "refund_amount": "239",
    }


def wide(digits: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in digits)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_fill_finds_the_order_by_its_number_as_the_pages_write_it(
    app: Flask, clock: FrozenClock, lang: str
) -> None:
    bought = delivered_retail_order(engine_of(app), clock)
    client = desk(app)
    for typed in (f"#{bought}", f" {bought} ", f"＃{wide(bought)}"):
        html = client.post(
            f"{FILL}?lang={lang}", data={"_key": key_of(client), "original_order_no": typed}
        ).text
        filled = f"已从原订单 #{bought} 填入" if lang == "zh" else f"#{bought}"
        assert filled in html and 'id="original-order"' in html, typed
        assert 'value="张伟"' in html and 'aria-invalid="true"' not in html, typed


@pytest.mark.parametrize("typed", ["#{n}", " {n} ", "＃{n}", "＃{wide}"])
def test_the_intake_takes_the_number_as_the_pages_write_it(
    app: Flask, clock: FrozenClock, typed: str
) -> None:
    bought = delivered_retail_order(engine_of(app), clock)
    client = desk(app)
    sent = client.post(
        f"{NEW}?lang=zh", data=intake(typed.format(n=bought, wide=wide(bought)), key_of(client))
    )
    assert sent.status_code == 302, sent.text
    page = client.get(sent.headers["Location"] + "?lang=zh").text
    assert f"原订单 · 零售订单 #{bought}" in page  # the retail order it names, by its digits


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", "原订单号：零售部门没有订单 RO"),
        ("en", "Original order number: the Retail department has no order RO"),
    ],
)
def test_letters_are_refused_beside_the_field(app: Flask, clock: FrozenClock, lang: str, words: str) -> None:
    bought = delivered_retail_order(engine_of(app), clock)
    client = desk(app)
    fill = client.post(
        f"{FILL}?lang={lang}", data={"_key": key_of(client), "original_order_no": f"RO{bought}"}
    )
    assert words in fill.text and 'aria-invalid="true"' in fill.text
    sent = client.post(f"{NEW}?lang={lang}", data=intake(f"RO{bought}", key_of(client)))
    assert sent.status_code == 422
    assert ("原订单号" if lang == "zh" else "Original order number") in sent.text
    assert ("294" in sent.text) and 'aria-invalid="true"' in sent.text
