"""The retail order's own pages beside the after-sales requests about it (Flask's test client): the
return form offers only the goods the requests leave, in Chinese and English, and the payment panel says
what the requests paid back beside the order's own refunds."""

from __future__ import annotations

import html
import re

from flask import Flask

from engine.clock import FrozenClock
from tests.engine.runtime.test_original_order import request
from tests.test_departments import RETAIL, SERVICE, delivered_retail_order, pay_refund, returned_and_inspected
from tests.web import test_original_order
from tests.web.conftest import log_in
from tests.web.test_original_order import engine_of

app, clock = test_original_order.app, test_original_order.clock  # the fixtures of its tests


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


def test_the_payment_panel_says_what_the_requests_paid_back_beside_the_payments_own_refunds(
    app: Flask, clock: FrozenClock
) -> None:
    """A request about the order paid 239 back: the payment's 已退款 read 0.00 with no word of it (only
    the requests' list said so); now the payment panel says it too, the payment's own figure unchanged."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = returned_and_inspected(engine, clock, original_order_no=bought)
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    assert 'id="records-about-refunded"' not in clerk.get(f"/orders/{bought}?lang=zh").text  # none paid yet
    assert pay_refund(engine, taken).to_state == "closed"
    for lang, words, own in (
        ("zh", "售后已退 239.00", "已退款（元）</dt><dd>0.00</dd>"),
        ("en", "239.00 CNY refunded by after-sales", "Refunded (CNY)</dt><dd>0.00</dd>"),
    ):
        page = clerk.get(f"/orders/{bought}?lang={lang}").text
        payment = page[page.index('id="record-payment-1"') :]
        payment = payment[: payment.index("</section>")]
        assert own in payment, lang  # the payment's own refunds: none
        card = payment[: payment.index("</article>")]  # said inside the payment's card, not after it
        panel = card[card.index('id="records-about-refunded"') :]
        assert words in panel[: panel.index("</p>")], lang


def returnable_of(page: str, title: str) -> str:
    """The order page's list of what may still be returned, as drawn."""
    start = page.index(f"<dt>{title}</dt>")
    return page[start : page.index("</dd>", start)]


def test_the_order_page_lists_as_returnable_only_what_the_requests_about_it_leave(
    app: Flask, clock: FrozenClock
) -> None:
    """可退商品 on the order's page read both bands after a request named one back, while its return form
    offered one; now the page says what the form offers, the stored list unchanged."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    assert 'data-label="数量">2<' in returnable_of(clerk.get(f"/orders/{bought}?lang=zh").text, "可退商品")
    engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    for lang, title in (("zh", "可退商品"), ("en", "Items that may still be returned")):
        shown = returnable_of(clerk.get(f"/orders/{bought}?lang={lang}").text, title)
        assert ">XM-BAND8<" in shown and ">1<" in shown and ">2<" not in shown, lang
    stored = engine.get_order(int(bought), RETAIL).data["returnable"]
    assert [(line["sku"], line["qty"]) for line in stored] == [("XM-BAND8", 2)]
