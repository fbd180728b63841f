"""A reviewer releases two held orders from the risk-review queue with the keyboard only, in a real
browser (Debian's Chromium) at 390 px: j and x select, a takes the queue's first step, Enter confirms;
the results come a row per order and lead back to the queue, where the third order waits; then the
third is assigned to a colleague from the same page. And a manager approves two approval tasks from my
work with one comment, by the keyboard too. No page scrolls sideways. Screenshots under
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.api import Actor, Engine, FrozenClock
from engine.dsl.compiler import load_bundle
from tests.web.conftest import LiveServer, add_user, log_in_page, make_app, serve, settings_for, sideways
from tests.web.test_batch_browser import held_server

__all__ = ["held_server"]  # the fixture: four held retail orders, li.na and wang.qiang

QUEUE = "/work/queues/retail/risk-review?lang=zh"
APPROVALS = Path(__file__).resolve().parents[1] / "engine" / "runtime" / "fixtures" / "approvals"
SALES = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))


def test_a_reviewer_releases_held_orders_from_the_queue_with_the_keyboard_at_390_px(
    page: Page, held_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, held_server, "wang.qiang", "wang.qiang-demo")
    page.goto(held_server(QUEUE))
    rows = page.locator("#queue-orders [data-key-row]")
    expect(rows).to_have_count(4)
    assert sideways(page) == 0
    page.locator("body").click(position={"x": 1, "y": 1})  # nothing focused: the keys are the page's
    for _ in range(2):
        page.keyboard.press("j")
        page.keyboard.press("x")
    expect(page.locator("#queue-orders input[data-key-select]:checked")).to_have_count(2)
    screenshot("1-two-selected")

    page.keyboard.press("a")  # the queue's first step: 审核通过 (release)
    page.wait_for_url(lambda url: "/orders/batch" in url)
    expect(page.locator("#batch-taken li")).to_have_count(2)
    assert sideways(page) == 0
    screenshot("2-the-batch")
    page.keyboard.press("Enter")
    expect(page.locator("#batch-summary")).to_contain_text("完成 2 个，未执行 0 个")
    expect(page.locator("#batch-results tbody tr.done")).to_have_count(2)
    assert sideways(page) == 0
    screenshot("3-done")

    page.locator("#batch-back").click()  # back to the queue: two orders still held
    page.wait_for_url(lambda url: "/work/queues/retail/risk-review" in url)
    expect(rows).to_have_count(2)
    page.locator("#queue-orders input[data-key-select]").first.check()
    page.get_by_role("button", name="批量指派").click()
    page.wait_for_url(lambda url: "/orders/batch/assign" in url)
    expect(page.locator("#assign-taken li")).to_have_count(1)
    expect(page.locator("#assign-nobody")).to_contain_text("部门里没有其他可处理这些订单的人")  # he alone
    assert sideways(page) == 0
    add_user(held_server.app, "liu.yang", "liu.yang-demo", ("reviewer",), ("retail",))  # a colleague
    page.reload()
    screenshot("4-assign")
    page.locator("#assign-to").select_option("liu.yang")
    page.locator("#assign-submit").click()
    expect(page.locator("#batch-results tbody tr.done")).to_contain_text("指派给 liu.yang")
    assert sideways(page) == 0
    screenshot("5-assigned")


@pytest.fixture
def approvals_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The approval fixture workflow, with two orders waiting at the manager's review; mia a manager."""
    app = make_app(settings_for(tmp_path, APPROVALS, "batch-sign-browser"), FrozenClock())
    add_user(app, "mia", "mia-password", ("manager",), ("wholesale",))
    engine: Engine = app.extensions["orderloom"].engine
    engine.publish(load_bundle(APPROVALS / "workflows" / "approval-order.yaml", APPROVALS, action_names={}))
    for total in (90, 120):
        order = engine.create_order(
            SALES, "wholesale", "approval-order", data={"total": total, "account_manager": "ken"}
        )
        engine.fire(order.id, "submit", SALES)
    yield from serve(app)


def test_a_manager_approves_two_tasks_from_my_work_with_the_keyboard_at_390_px(
    page: Page, approvals_server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_page(page, approvals_server, "mia", "mia-password")
    page.goto(approvals_server("/work?lang=en"))
    expect(page.locator("#work-approvals-list [data-key-row]")).to_have_count(2)
    assert sideways(page) == 0
    page.locator("#approvals-comment").fill("both fine")
    page.locator("body").click(position={"x": 1, "y": 1})
    for _ in range(2):
        page.keyboard.press("j")
        page.keyboard.press("x")
    expect(page.locator("#work-approvals-list input[data-key-select]:checked")).to_have_count(2)
    screenshot("1-two-tasks")
    page.keyboard.press("a")  # approve the tasks ticked
    page.wait_for_url(lambda url: "/work/approvals/batch" in url)
    expect(page.locator("#batch-summary")).to_contain_text("2 done, 0 refused")
    expect(page.locator("#batch-results tbody tr.done")).to_have_count(2)
    expect(page.locator("#batch-results")).to_contain_text("now “Board review”")
    assert sideways(page) == 0
    screenshot("2-approved")
    page.locator("#batch-back").click()
    expect(page.locator("#work-approvals-list")).to_have_count(0)  # none left for her
