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
from tests.web.test_order_words import why_here
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


def test_a_return_the_requests_leave_nothing_to_is_not_offered_and_its_page_says_why(
    app: Flask, clock: FrozenClock
) -> None:
    """Two requests name both bands back: the order's page offered 申请退货, its form opened with no line
    and a "+ Add a line" that added a line whose read-only SKU no one could fill; now the step is not
    offered, its page says which requests name it all, in either language, and a form of lines only the
    order gives (one band left) offers no line to add."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    form = f"/orders/{bought}/fire/request_return"
    first = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    for lang, add in (("zh", "添加一行"), ("en", "Add a line")):
        page = clerk.get(f"{form}?lang={lang}")
        assert page.status_code == 200 and rows_of(page.text) == [("XM-BAND8", "1")], lang
        assert add not in page.text and 'value="add:return_lines"' not in page.text, lang
    assert form in clerk.get(f"/orders/{bought}?lang=zh").text  # one band left: offered
    second = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request(bought))
    assert form not in clerk.get(f"/orders/{bought}?lang=zh").text
    for lang, words in (
        ("zh", f"没有可退商品：售后申请 #{first.id}、售后申请 #{second.id} 已申请全部商品"),
        (
            "en",
            f"Nothing left to return: after-sales request #{first.id}, after-sales request #{second.id} "
            "name it all",
        ),
    ):
        page = clerk.get(f"{form}?lang={lang}")
        assert page.status_code == 403, lang
        assert words in html.unescape(page.text), lang
        assert 'name="return_lines' not in page.text, lang


def test_the_requests_summary_of_the_order_says_what_is_left_for_anyone_as_the_order_does(
    app: Flask, clock: FrozenClock
) -> None:
    """A request names both bands back: its summary of the retail order read 尚可退 2 (its own bands not
    counted) while the retail order listed none returnable; now both say none is left."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    taken = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request(bought, refund=478, qty=2)
    )
    desk = log_in(app.test_client(), "huang.fang", "huang-fang-pass")
    for lang, words in (("zh", "尚可退"), ("en", "Left to return")):
        page = desk.get(f"/orders/{taken.id}?lang={lang}").text
        summary = page[page.index('id="original-order"') :]
        summary = summary[: summary.index("</section>")]
        assert re.search(rf'data-label="{words}">0<', summary), lang
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    shown = returnable_of(clerk.get(f"/orders/{bought}?lang=zh").text, "可退商品")
    assert "XM-BAND8" not in shown


def test_a_return_under_way_leaves_the_returnable_list_and_reads_as_a_line_of_goods(
    app: Flask, clock: FrozenClock
) -> None:
    """One band of two asked back by the order's own return: 可退商品 still listed both while the band sat
    under 待退回商品, and 为何在此 read "XM-BAND8 商品名称 小米手环8 退回数量 1", its labels inline; now
    the list offers the other band alone (the stored list unchanged until the warehouse receives it) and
    the line reads as a line of goods, in either language."""
    engine = engine_of(app)
    bought = delivered_retail_order(engine, clock)
    band = {"return_reason": "quality", "return_lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1}]}
    engine.fire(int(bought), "request_return", RETAIL, band)
    clerk = log_in(app.test_client(), "li.na", "li-na-pass")
    for lang, title, line in (
        ("zh", "可退商品", "退货商品：XM-BAND8 小米手环8 ×1"),
        ("en", "Items that may still be returned", "Items to return: XM-BAND8 "),
    ):
        page = clerk.get(f"/orders/{bought}?lang={lang}").text
        shown = returnable_of(page, title)
        assert ">XM-BAND8<" in shown and ">1<" in shown and ">2<" not in shown, lang
        here = why_here(page)
        assert line in here and " ×1" in here and "退回数量" not in here and "Quantity" not in here, lang
    stored = engine.get_order(int(bought), RETAIL).data["returnable"]
    assert [(line["sku"], line["qty"]) for line in stored] == [("XM-BAND8", 2)]
