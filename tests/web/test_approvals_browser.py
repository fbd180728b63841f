"""Approval steps as people use them, in Debian's Chromium (screenshots in test-artifacts/screenshots/):
finance and the sales director both sign a wholesale order above the higher limit; a sales manager
transfers a task to the director, who approves it; a timeout returns another order to its draft.

Over the shipped definitions with the demo's stock, accounts and logins, and the approval fixture
workflow of tests/engine/runtime/fixtures/approvals (its board review returns the order after 2 days);
the app's clock is frozen, so the deadline passes when the test says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from demo.loader import load_demo
from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from tests.test_departments import send_back, wholesale_data
from tests.web.conftest import (
    SCREENSHOTS,
    LiveServer,
    log_in_page,
    make_app,
    serve,
    settings_for,
    sideways,
    with_demo_users,
)

REPO = Path(__file__).resolve().parents[2]
APPROVALS = REPO / "tests" / "engine" / "runtime" / "fixtures" / "approvals"
SALES = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
FRIDGES = {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 60, "unit_price": 2639, "amount": 158340}

pytestmark = pytest.mark.browser


def approvals_app(tmp_path: Path, demo_users_database: Path, secret_key: str) -> Flask:
    """The shipped departments with the demo's stock, accounts and logins, and the approval fixture
    workflow, over a clock frozen at 2026-12-07 10:00 China time."""
    with_demo_users(tmp_path, demo_users_database)
    clock = FrozenClock(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    app = make_app(settings_for(tmp_path, REPO, secret_key), clock)
    services = app.extensions["orderloom"]
    load_demo(services.engine, services.store, REPO, orders=0)
    path = APPROVALS / "workflows" / "approval-order.yaml"
    services.engine.publish(load_bundle(path, APPROVALS, action_names={}, workflows={}))
    return app


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Flask:
    return approvals_app(tmp_path, demo_users_database, "approvals-browser-tests")


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    yield from serve(app)


class People:
    """Each person logged in in a browser context of their own, 390 px wide (a phone)."""

    def __init__(self, browser: Browser, server: LiveServer, test: str) -> None:
        self.browser, self.server, self.test = browser, server, test
        self._pages: dict[str, Page] = {}
        self._contexts = []

    def __call__(self, name: str) -> Page:
        if name not in self._pages:
            context = self.browser.new_context(viewport={"width": 390, "height": 844})
            context.set_default_timeout(10_000)
            page = context.new_page()
            log_in_page(page, self.server, name, f"{name}-demo")
            self._contexts.append(context)
            self._pages[name] = page
        return self._pages[name]

    def shot(self, name: str, label: str) -> None:
        path = SCREENSHOTS / f"{self.test}--{label}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self._pages[name].screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def people(browser: Browser, server: LiveServer, request: pytest.FixtureRequest) -> Iterator[People]:
    found = People(browser, server, re.sub(r"[^\w.-]+", "_", request.node.name))
    yield found
    found.close()


def act(page: Page, server: LiveServer, order_id: int, button: str, comment: str, user: str = "") -> None:
    """On the order's page, take ``button`` on the user's task with ``comment`` (and ``user``, the person
    chosen by the name shown); a decline is confirmed in its disclosure."""
    page.goto(server(f"/orders/{order_id}?lang=zh"))
    form = page.locator("#approval form.approval-form")
    expect(form).to_have_count(1)
    form.locator("textarea").fill(comment)
    if user:
        form.locator("details:not(.approval-confirm) > summary").click()
        form.locator("select[name=user]").select_option(label=user)
    if button == "确认驳回":
        form.locator("details.approval-confirm > summary").click()
    form.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(re.compile(rf"/orders/{order_id}$"))


PAST_THE_EDGE = """() => [...document.querySelectorAll('#approval, #approval *')]
  .filter(element => element.getBoundingClientRect().right > window.innerWidth + 1)
  .map(element => element.tagName.toLowerCase() + '.' + element.className)"""


def panel_fits(page: Page) -> None:
    """Nothing of the approval panel reaches past the right edge of a 390 px screen."""
    assert page.evaluate(PAST_THE_EDGE) == []


def test_two_approvers_sign_a_transfer_and_a_timeout_that_returns(
    app: Flask, server: LiveServer, people: People, page: Page
) -> None:
    engine: Engine = app.extensions["orderloom"].engine
    clock: FrozenClock = engine.clock  # type: ignore[assignment]

    # above the higher limit: finance and the sales director both sign (会签)
    data = wholesale_data(lines=[FRIDGES], total=158540)
    big = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert big.state == "board_approval"
    finance = people("zhou.min")
    finance.goto(server(f"/orders/{big.id}?lang=zh"))
    panel = finance.locator("#approval")
    expect(panel).to_contain_text("财务与总监会签")
    expect(panel).to_contain_text("会签：每位审批人都须通过")
    expect(panel.locator(".approver")).to_have_text(["财务（任一人：周敏）", "销售总监（任一人：高军）"])
    expect(finance.locator("#approval-progress")).to_have_text("已通过 0/2")
    panel_fits(finance)
    people.shot("zhou.min", "1-board-approval-before")
    act(finance, server, big.id, "通过", "到账记录良好")
    expect(finance.locator("#approval-progress")).to_have_text("已通过 1/2")
    expect(finance.locator("#approval form")).to_have_count(0)  # signed: nothing more to do
    director = people("gao.jun")
    act(director, server, big.id, "通过", "同意，注意发货期")
    expect(director.locator("#order-state")).to_have_text("待收款、分批发货中")
    expect(director.locator("#timeline")).to_contain_text("同意，注意发货期")
    people.shot("gao.jun", "2-board-approved")

    # a sales manager transfers the task to the director, who approves it (转交)
    data = wholesale_data(lines=[{**FRIDGES, "qty": 20, "amount": 52780}], total=52980)
    medium = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert medium.state == "pending_approval"
    manager = people("sun.li")
    act(manager, server, medium.id, "转交", "出差中，请总监处理", user="高军（销售总监）")
    expect(manager.locator("#approval")).to_contain_text("已转交")
    expect(manager.locator("#approval form")).to_have_count(0)
    expect(manager.locator("#timeline li b").last).to_have_text("转交")  # the action by its name
    people.shot("sun.li", "3-transferred")
    director.goto(server(f"/orders/{medium.id}?lang=en"))
    expect(director.locator("#approval")).to_contain_text("transferred by 孙丽")
    act(director, server, medium.id, "通过", "可以")
    expect(director.locator("#order-state")).to_have_text("待收款、分批发货中")

    # a decline asks to be confirmed, and is refused beside the comment without a reason; then it
    # cancels the order, told as a decline on the timeline
    dear = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data(
        lines=[FRIDGES], total=158540
    ))  # fmt: skip
    director.set_viewport_size({"width": 390, "height": 844})
    director.goto(server(f"/orders/{dear.id}?lang=zh"))
    form = director.locator("#approval form.approval-form")
    expect(form.get_by_role("button", name="确认驳回", exact=True)).to_be_hidden()  # behind its disclosure
    expect(director.locator("main")).not_to_contain_text("当前没有您可执行的操作")
    director.locator("details.approval-confirm > summary").click()
    expect(form.locator(".approval-confirm")).to_contain_text("驳回后订单将转到「已取消」")
    panel_fits(director)
    form.get_by_role("button", name="确认驳回", exact=True).click()
    expect(director.locator("#approval .field-error")).to_have_text("驳回须写明理由：请在意见中填写为何驳回")
    assert engine.get_order(dear.id, SALES).state == "board_approval"
    act(director, server, dear.id, "确认驳回", "客户信用不足")
    expect(director.locator("#order-state")).to_have_text("已取消")
    expect(director.locator("#timeline")).to_contain_text("审批人驳回")
    expect(director.locator("#timeline")).not_to_contain_text("审批通过后")

    # a timeout returns another order: the board review gives finance and the director 2 days
    draft = engine.create_order(
        SALES, "wholesale", "approval-order", data={"total": 800, "account_manager": "sun.li"}
    )
    engine.fire(draft.id, "submit", SALES)
    act(manager, server, draft.id, "通过", "经理同意")
    finance.goto(server(f"/orders/{draft.id}?lang=zh"))
    expect(finance.locator("#approval-deadline")).to_contain_text("还剩 2 天")
    expect(finance.locator("#approval")).to_contain_text("超时后退回")
    people.shot("zhou.min", "4-deadline")
    clock.advance(days=2, seconds=1)
    assert engine.fire_due_timers("approvals-browser").fired == 1
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, server, "zhou.min", "zhou.min-demo")
    page.goto(server(f"/orders/{draft.id}?lang=zh"))
    expect(page.locator("#order-state")).to_have_text("草稿")
    expect(page.locator("#approval")).to_have_count(0)


MILK = {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 10, "unit_price": 56, "amount": 560}
WIDE_FRIDGES = {**FRIDGES, "qty": 20, "amount": 52780}


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "zh",
            {
                "step": "提交",
                "remove": "删除第2行",
                "changed": "HR-BCD470 海尔冰箱：数量 20 → 5；单价（元） 2,639.00 → 2,500.00",
                "removed": "YL-MILK24 伊利纯牛奶：已删除",
            },
        ),
        (
            "en",
            {
                "step": "Submit",
                "remove": "Remove line 2",
                "changed": "HR-BCD470 海尔冰箱: Quantity 20 → 5; Unit price (CNY) 2,639.00 → 2,500.00",
                "removed": "YL-MILK24 伊利纯牛奶: removed",
            },
        ),
    ],
)
def test_sales_correct_a_returned_orders_lines_at_390_px_and_the_timeline_says_what_changed(
    app: Flask, server: LiveServer, people: People, lang: str, words: dict[str, str]
) -> None:
    """Sent back because its price is not the contract's, the order's lines are on the resubmit form as
    the order holds them; chen.jing corrects the price and the quantity and removes a line on a phone,
    the total follows, the order is judged again (small enough now: it goes on by itself) and its
    timeline says each line's old → new."""
    engine: Engine = app.extensions["orderloom"].engine
    data = wholesale_data(lines=[WIDE_FRIDGES, MILK], total=53540)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert order.state == "pending_approval"
    send_back(engine, order.id, "单价与合同不符，请按合同价修改")
    sales = people("chen.jing")
    sales.goto(server(f"/orders/{order.id}/fire/resubmit?lang={lang}"))
    expect(sales.locator("#f-lines-0-sku")).to_have_value("HR-BCD470")
    expect(sales.locator("#f-lines-0-unit_price")).to_have_value("2639.00")
    expect(sales.locator("#f-lines-1-qty")).to_have_value("10")
    expect(sales.locator("#f-total")).to_have_value("53540.00")
    sales.fill("#f-lines-0-qty", "5")
    sales.fill("#f-lines-0-unit_price", "2500")
    sales.get_by_role("button", name=words["remove"]).click()
    expect(sales.locator("#f-lines-row-1")).to_have_count(0)
    expect(sales.locator("#f-total")).to_have_value("12700.00")
    assert sideways(sales) == 0
    people.shot("chen.jing", f"{lang}-resubmit-form")
    sales.get_by_role("button", name=words["step"], exact=True).click()
    sales.wait_for_url(re.compile(rf"/orders/{order.id}(\?.*)?$"))
    sales.goto(server(f"/orders/{order.id}?lang={lang}"))
    changed = sales.locator("#timeline ul.changed")
    expect(changed).to_contain_text(words["changed"])
    expect(changed).to_contain_text(words["removed"])
    assert sideways(sales) == 0
    people.shot("chen.jing", f"{lang}-timeline")
    stored = engine.get_order(order.id, SALES)
    assert stored.state.startswith("fulfilling.") and stored.data["total"] == 12700
