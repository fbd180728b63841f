"""What a person sent with a step, read on a phone: a held retail order rejected with a long reason, and
a failed payment's code and message, on the timeline and under 为何在此 / Why here at 390 px in Debian's
Chromium, in Chinese and English, with the pay page that says what may follow a payment; nothing wider
than the window, nothing a person reads beyond its edges. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import LiveServer, log_in, log_in_page, retail_app, serve, with_demo_users
from tests.web.held_order import held_order
from tests.web.test_orders import create, lock_of
from tests.web.test_orders_why_browser import wide
from tests.web.test_studio_narrow_browser import WIDTH

REASON = "收货地址与历史欺诈订单一致，且同一设备在十分钟内以三个不同的手机号下单，客户电话无法核实身份"


@pytest.fixture
def server(tmp_path: Path, demo_users_database: Path) -> Iterator[LiveServer]:
    with_demo_users(tmp_path, demo_users_database)
    yield from serve(retail_app(tmp_path, "order-words-narrow-tests"))


def test_a_rejects_reason_and_a_failed_payment_read_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    clerk = log_in(server.app.test_client(), "li.na", "li.na-demo")
    reviewer = log_in(server.app.test_client(), "wang.qiang", "wang.qiang-demo")
    rejected = held_order(clerk)
    form = reviewer.get(f"/orders/{rejected}/fire/reject").text
    sent = {"reject_reason": REASON, "_lock_version": lock_of(form)}
    assert reviewer.post(f"/orders/{rejected}/fire/reject", data=sent).status_code == 302
    failed = create(clerk)
    form = clerk.get(f"/orders/{failed}/fire/record_payment_failure").text
    sent = {
        "method": "wechat_pay",
        "failure_code": "RISK_DECLINED",
        "failure_message": "The payer's account is frozen by the provider's risk control; ask for another",
        "_lock_version": lock_of(form),
    }
    assert clerk.post(f"/orders/{failed}/fire/record_payment_failure", data=sent).status_code == 302
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "li.na", "li.na-demo")
    problems: list[str] = []
    for lang, said in (("zh", "驳回原因"), ("en", "Reason for rejecting")):
        page.goto(server(f"/orders/{rejected}?lang={lang}"))
        expect(page.locator("#why-here")).to_contain_text(f"{said}{'：' if lang == 'zh' else ': '}{REASON}")
        step = page.locator("b").get_by_text("驳回" if lang == "zh" else "Reject", exact=True)
        line = page.locator("#timeline > li").filter(has=page.locator("dl.said")).filter(has=step).last
        expect(line).to_contain_text(REASON)
        line.scroll_into_view_if_needed()
        for name, path in (
            ("rejected", f"/orders/{rejected}"),
            ("failed", f"/orders/{failed}"),
            ("pay", f"/orders/{failed}/fire/pay"),
        ):
            page.goto(server(f"{path}?lang={lang}"))
            width, outside = wide(page)
            screenshot(f"{name}-{lang}")
            if width > WIDTH or outside:
                problems.append(f"{name} {lang}: {width} px wide; {outside}")
        page.goto(server(f"/orders/{failed}?lang={lang}"))
        expect(page.locator("#timeline")).to_contain_text(
            "风控拒绝" if lang == "zh" else "Declined by risk control"
        )
    assert not problems, "\n".join(problems)
