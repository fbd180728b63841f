"""Every page of the app in a real browser (Debian's Chromium) under the app's Content-Security-Policy.

A clerk switches the login page's language, fails a login, logs in, and goes through the pages: the
home page, the order list, an order, a step with a form (pay) and one without (complete), a new order,
a form preview whose computed fields, rows and conditional section are refreshed by htmx as they type,
an unknown address, and the logout. Every answer carries the security headers, and the browser refuses
nothing: the ``page`` fixture fails the test on any CSP violation (``securitypolicyviolation`` events and
the console's CSP errors), and the test checks the list itself at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Response, expect

from tests.web.conftest import TESTER, TESTER_PASSWORD, LiveServer, publish_desk_orders
from web.headers import CONTENT_SECURITY_POLICY


def test_every_page_works_under_the_content_security_policy(
    page: Page, live_server: LiveServer, csp_violations: list[str], screenshot: Callable[[str], Path]
) -> None:
    publish_desk_orders(live_server.app.extensions["orderloom"].engine)
    answers: list[Response] = []
    page.on(
        "response",
        lambda response: answers.append(response) if response.url.startswith(live_server.url) else None,
    )

    # the login page: the language switch, a refused login, then the login
    page.goto(live_server("/login?lang=zh"))
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.fill("#login-name", TESTER)
    page.fill("#login-password", "not-the-password")
    page.click("button[type=submit].primary")
    expect(page.locator("#login-error")).to_contain_text("The user name or the password is wrong")
    page.fill("#login-password", TESTER_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(live_server("/work"))  # a person who works orders lands on my work
    expect(page.locator("#work-search")).to_be_visible()
    page.get_by_role("link", name="OrderLoom").click()
    page.wait_for_url(live_server("/"))

    # the home page: htmx is there, and has added no <style> of its own
    expect(page.get_by_role("heading", level=1)).to_have_text("Departments and workflows")
    page.wait_for_function("typeof htmx === 'object'")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("document.querySelectorAll('style, [style]').length") == 0
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("部门与流程")
    screenshot("1-home")

    # the order list, an order, its pay step (a form), its complete step (a confirm button)
    page.click("header a.nav")
    expect(page.locator("#order-list")).to_be_visible()
    page.locator("#order-list a").last.click()
    expect(page.locator("#order-state")).to_have_text("待支付")
    page.get_by_role("link", name="pay").click()
    page.fill("#f-amount", "10")
    page.click("#order-form button[type=submit].primary")
    expect(page.locator("#order-state")).to_have_text("已支付")
    page.get_by_role("link", name="complete").click()
    page.click("main button[type=submit]")
    expect(page.locator("#order-state")).to_have_text("已完成")
    screenshot("2-order-completed")

    # a new order from the home page's link
    page.goto(live_server("/"))
    page.locator("a.new-order").first.click()
    page.fill("#f-customer", "王芳")
    page.fill("#f-total", "42")
    page.click("#order-form button[type=submit].primary")
    expect(page.locator("#order-state")).to_have_text("待支付")

    # a form preview: htmx refreshes the computed amount, adds a row, shows the invoice section
    page.goto(live_server("/forms/showroom/service-order?lang=zh"))
    page.wait_for_function("typeof htmx === 'object'")
    page.fill("#f-lines-0-qty", "3")
    page.fill("#f-lines-0-unit_price", "12.5")
    expect(page.locator("#f-lines-0-amount")).to_have_value("37.50")
    page.click("button[value='add:lines']")
    expect(page.locator("#f-lines-1-qty")).to_be_visible()
    page.check("#f-needs_invoice")
    expect(page.locator("#group-invoice")).to_be_visible()
    assert page.evaluate("document.querySelectorAll('style, [style]').length") == 0
    screenshot("3-form-refreshed")

    # an unknown address, then the logout
    page.goto(live_server("/no-such-page"))
    expect(page.get_by_role("heading", level=1)).to_have_text("找不到此页面")
    page.click("form.logout button")
    page.wait_for_url(re.compile(r"/login"))

    assert csp_violations == []
    assert len(answers) > 30
    for answer in answers:
        headers = answer.all_headers()
        assert headers.get("content-security-policy") == CONTENT_SECURITY_POLICY, answer.url
        assert headers.get("x-content-type-options") == "nosniff", answer.url
        assert headers.get("referrer-policy") == "same-origin", answer.url
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
