"""The order page and the step page read on a phone, 390 px wide, in Debian's Chromium, in Chinese and
English; and a reviewer reads why a held retail order is held.

Over the shipped retail workflow and the demo logins: an order of 5,128 yuan paid and held by the
audit (its page: the data with its tables, the timeline with the decision), an unpaid order (its page
with the running timer; its pay page with the form), and the pay page refused beside its amount. On
none is the document wider than the window, and nothing a person reads or uses lies beyond its edges
(``OUTSIDE``, as the studio's narrow test measures it): the data's tables read as cards. A screenshot
of each page goes to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from demo.loader import ensure_demo_users
from engine.dsl.compiler import load_bundle
from engine.store import tables
from tests.web.conftest import LiveServer, log_in, log_in_page, make_app, serve, settings_for
from tests.web.test_orders import NEW, REPO, STOCK, intake, key_of, lock_of
from tests.web.test_studio_narrow_browser import OUTSIDE, WIDTH

BIG = {"lines[0].qty": "20", "lines[0].unit_price": "256.4", "shipping_fee": "0"}  # 5,128 yuan


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO, "orders-narrow-tests"))
    services = app.extensions["orderloom"]
    services.engine.publish(load_bundle(REPO / "workflows" / "retail" / "order.yaml", REPO))
    ensure_demo_users(services.store, datetime.now(UTC))
    with services.store.engine.begin() as connection:
        rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in STOCK]
        connection.execute(insert(tables.stock), rows)
    yield from serve(app)


def create(clerk: FlaskClient, **changes: str) -> int:
    key = key_of(clerk.get(NEW).text)
    response = clerk.post(NEW, data=intake(_key=key, **changes))
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def pay(clerk: FlaskClient, order_id: int, amount: str) -> None:
    page = clerk.get(f"/orders/{order_id}/fire/pay").text
    sent = {
        "method": "alipay",
        "amount": amount,
        "transaction_ref": "2026000001",
        "_lock_version": lock_of(page),
    }
    assert clerk.post(f"/orders/{order_id}/fire/pay", data=sent).status_code == 302


def wide(page: Page) -> tuple[int, list[str]]:
    return page.evaluate("() => document.documentElement.scrollWidth"), page.evaluate(OUTSIDE)


def test_the_order_and_step_pages_read_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    held = create(clerk, **BIG)
    pay(clerk, held, "5128")
    unpaid = create(clerk)
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "li.na", "li.na-demo")
    problems: list[str] = []
    for lang in ("zh", "en"):
        for name, path in (
            ("held", f"/orders/{held}"),
            ("unpaid", f"/orders/{unpaid}"),
            ("pay", f"/orders/{unpaid}/fire/pay"),
        ):
            page.goto(server(f"{path}?lang={lang}"))
            width, outside = wide(page)
            screenshot(f"{name}-{lang}")
            if width > WIDTH or outside:
                problems.append(f"{name} {lang}: {width} px wide; {outside}")
        # a refusal beside the amount, the form filled again: no wider either
        page.goto(server(f"/orders/{unpaid}/fire/pay?lang={lang}"))
        page.locator("#f-method input[value=alipay]").check()
        page.locator("#f-amount").fill("100")
        page.locator("#f-transaction_ref").fill("2026000002")
        page.locator("form.of-form button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("#f-amount-error")).to_be_visible()
        width, outside = wide(page)
        screenshot(f"pay-refused-{lang}")
        if width > WIDTH or outside:
            problems.append(f"pay refused {lang}: {width} px wide; {outside}")
    assert not problems, "\n".join(problems)
    # the data's tables read as cards: each cell names its column
    page.goto(server(f"/orders/{held}?lang=zh"))
    cell = page.locator("table.cards td[data-label='商品名称']").first
    expect(cell).to_have_text("龙井茶")
    assert (
        page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle())
        == '"商品名称"'
    )


def test_a_reviewer_reads_why_a_held_retail_order_is_held(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    held = create(clerk, **BIG)
    pay(clerk, held, "5128")
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "wang.qiang", "wang.qiang-demo")
    page.goto(server(f"/orders/{held}?lang=zh"))
    expect(page.locator("#order-state")).to_have_text("挂起待审")
    review = page.locator("#timeline > li").filter(has_text="审核 ·")
    expect(review).to_contain_text("挂起待审：订单金额超过5000元 — 5,128.00 > 5,000")
    expect(page.locator("#timeline")).to_contain_text("李娜（零售客服）")
    review.scroll_into_view_if_needed()
    screenshot("held-why-zh")
    page.goto(server(f"/orders/{held}?lang=en"))
    review = page.locator("#timeline > li").filter(has_text="Review ·")
    expect(review).to_contain_text("on hold: Amount over 5000 CNY — 5,128.00 > 5,000")
    expect(page.get_by_role("link", name="Release")).to_be_visible()
    review.scroll_into_view_if_needed()
    screenshot("held-why-en")
