"""My work on a phone, 390 px wide, in Debian's Chromium: an auditor opens my work from the header,
claims an order in the review queue, sees it marked as theirs; a second auditor sees who handles it
and takes it over after the page asks. No page of my work is wider than the window. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import SCREENSHOTS, LiveServer, log_in_page, serve
from tests.web.test_workspace import PASSWORD, actor, engine_of, work_app

WIDTH = 390
# The document's width and what lies beyond the window's right edge in <main>.
SIDEWAYS = """() => {
  const limit = window.innerWidth + 0.5;
  const beyond = [];
  for (const el of document.querySelectorAll("main *")) {
    const r = el.getBoundingClientRect();
    if ((r.width || r.height) && (r.right > limit || r.left < -0.5)) {
      beyond.push(el.tagName + " " + (el.textContent || "").trim().slice(0, 30));
    }
  }
  return {width: document.documentElement.scrollWidth, beyond};
}"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(work_app(tmp_path))


def no_sideways_scroll(page: Page) -> None:
    found = page.evaluate(SIDEWAYS)
    assert found["width"] <= WIDTH and found["beyond"] == [], found


def test_my_work_and_a_claim_at_390_px(
    server: LiveServer, page: Page, browser: Browser, screenshot: Callable[[str], Path]
) -> None:
    engine = engine_of(server.app)
    clerk = actor("zhang.san")
    ids = []
    for total in (5128, 86):  # a long amount and a short one, in review
        made = engine.create_order(clerk, "retail", "work-order", data={"total": total})
        engine.fire(made.id, "pay", clerk)
        ids.append(made.id)
    page.set_viewport_size({"width": WIDTH, "height": 844})
    log_in_page(page, server, "li.si", PASSWORD)
    page.goto(server("/?lang=zh"))
    page.click("#work-link")
    expect(page.locator("h1")).to_have_text("我的工作")
    expect(page.locator(".work-item")).to_have_count(2)
    expect(page.locator("#queues")).to_contain_text("风控审核")
    no_sideways_scroll(page)
    screenshot("my-work")
    first = page.locator(f'.work-item[data-order="{ids[0]}"]')
    first.locator("button.claim").click()
    expect(page.locator(f'.work-item[data-order="{ids[0]}"] .assignee')).to_have_text("我处理中")
    no_sideways_scroll(page)
    screenshot("claimed")

    other = browser.new_context(viewport={"width": WIDTH, "height": 844})
    try:
        second = other.new_page()
        log_in_page(second, server, "wang.wu", PASSWORD)
        second.goto(server("/work?lang=en"))
        expect(second.locator(f'.work-item[data-order="{ids[0]}"] .assignee')).to_have_text(
            "being handled by 李四"
        )
        second.goto(server(f"/orders/{ids[0]}?lang=en"))
        expect(second.locator("#claim")).to_contain_text("being handled by 李四")
        second.locator("#claim button.claim").click()  # take over: the page asks first
        expect(second.locator("#claim-conflict")).to_contain_text(f"Order #{ids[0]} is being handled by 李四")
        no_sideways_scroll(second)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        second.screenshot(
            path=str(SCREENSHOTS / "test_my_work_and_a_claim_at_390_px--take-over.png"), full_page=True
        )
        second.click("#take-over")
        expect(second.locator("#claim")).to_contain_text("being handled by you")
    finally:
        other.close()
    page.reload()
    expect(page.locator(f'.work-item[data-order="{ids[0]}"] .assignee')).to_have_text("王五 处理中")
    no_sideways_scroll(page)
