"""A refused step on one of an order's records (an after-sales refund paid above what it has left) sends
the clerk back to the order's page (303: reloading it sends nothing again, the address is the order's),
the step's small form filled with what was typed and why beside the amount, once; both languages."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from engine.clock import FrozenClock
from tests.after_sales import received_and_passed
from tests.test_departments import INSPECTOR, SERVICE, WAREHOUSE
from tests.web import test_original_order as original
from tests.web.test_orders import lock_of
from tests.web.test_original_order import desk, engine_of
from tests.web.test_workspace_rows import requested

clock, app = original.clock, original.app  # the original-order pages' fixtures


def refunding(app: Flask, clock: FrozenClock) -> int:
    """A return of one band (239.00) received and passed: its refund record waits to be paid."""
    engine = engine_of(app)
    _, taken = requested(engine, clock)
    assert (
        received_and_passed(engine, taken.id, clock.now(), warehouse=WAREHOUSE, inspector=INSPECTOR)
        == "refunding"
    )
    return taken.id


def refund_form(html: str) -> str:
    found = re.search(r'<article class="record" id="record-refund-1">(.*?)</article>', html, re.S)
    assert found is not None, html
    return found.group(1)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", "退款金额 300.00 元超过退款 #1 可退的 239.00 元（共 239.00 元，已退 0.00 元）"),
        (
            "en",
            "refund of 300.00 CNY exceeds the 239.00 CNY refund #1 can refund "
            "(239.00 CNY in all, 0.00 CNY refunded)",
        ),
    ],
)
def test_an_over_limit_refund_comes_back_to_the_order_page_beside_its_amount(
    app: Flask, clock: FrozenClock, lang: str, words: str
) -> None:
    order_id = refunding(app, clock)
    client = desk(app)
    page = client.get(f"/orders/{order_id}?lang={lang}").text
    pay = f"/orders/{order_id}/records/refund/1/pay"
    assert f'action="{pay}"' in page
    sent = {"pay_amount": "300", "refund_ref": "RF2026120100001", "_lock_version": lock_of(page)}
    refused = client.post(pay, data=sent)
    assert refused.status_code == 303
    assert refused.headers["Location"].endswith(f"/orders/{order_id}#record-refund-1")
    shown = client.get(refused.headers["Location"].split("#")[0]).text
    form = refund_form(shown)
    beside = re.search(
        r'name="pay_amount"[^>]*aria-invalid="true" aria-describedby="([^"]+)"[^>]*>\s*'
        r'<span class="error-text" id="([^"]+)" role="alert">([^<]*)<',
        form,
    )
    assert beside is not None, form
    assert beside.group(1) == beside.group(2) and beside.group(3) == words
    assert 'value="300"' in form and 'value="RF2026120100001"' in form  # what was typed, kept
    assert 'id="record-problems"' not in shown  # said beside its field, not above the records
    again = client.get(f"/orders/{order_id}").text  # a reload is the order's page: said once
    assert 'aria-invalid="true"' not in refund_form(again) and 'value="300"' not in refund_form(again)
    assert engine_of(app).get_order(order_id, SERVICE).state == "refunding"  # nothing was paid
    paid = client.post(pay, data={**sent, "pay_amount": "239", "_lock_version": lock_of(again)})
    assert paid.status_code == 302
    assert engine_of(app).get_order(order_id, SERVICE).state == "closed"
