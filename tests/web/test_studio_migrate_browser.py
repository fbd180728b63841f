"""An admin moves the running retail orders onto the version the studio published, in a real browser
(Debian's Chromium): from the versions page to the plan, a new state chosen for the one v2 lacks, then
the run, which with scripts asks for batch after batch by itself (htmx) until every order moved.
Screenshots of each step go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import REPO_ROOT, LiveServer, log_in_page, make_app, serve, settings_for
from tests.web.test_studio_migrate import orders_on, prepare


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-migrate-browser"))
    prepare(app)
    yield from serve(app)


def test_the_plan_then_the_batches_one_after_another(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.goto(server("/studio/retail/workflows/retail-order?lang=en"))
    page.locator("#version-1").get_by_role("link", name="Move to v2").click()
    expect(page.locator("#migrate-summary")).to_have_text("2 order(s) would move; 2 stay where they are.")
    screenshot("1-the-plan")

    page.locator("#migrate-map select").select_option("on_hold=held")
    page.get_by_role("button", name="Plan again with this mapping").click()
    expect(page.locator("#migrate-summary")).to_have_text("4 order(s) would move; 0 stay where they are.")
    expect(page.locator("#migrate-state-map tbody tr").first).to_contain_text("on_hold")
    screenshot("2-mapped")

    expect(page.locator("#migrate-not-redecided")).to_contain_text("runs no rule again")
    page.locator("#migrate-confirm summary").click()  # asked first
    expect(page.locator("#migrate-confirm")).to_contain_text("Move these 4 order(s) to version 2?")
    page.locator("#migrate-batch").fill("1")
    page.get_by_role("button", name="Migrate these 4 orders", exact=True).click()
    # One batch per request: the page asks for the next one itself until none is left.
    expect(page.locator("#migration-done")).to_have_text("Done: 4 order(s) moved to v2.", timeout=20_000)
    expect(page.locator("#migration-progress")).to_have_text("Moved 4 of 4 orders")
    expect(page.locator("#migration-continue")).to_have_count(0)
    screenshot("3-done")
    assert sorted(orders_on(server.app).values()) == [
        (1, "cancelled"),
        (2, "held"),
        (2, "held"),
        (2, "pending_payment"),
        (2, "pending_shipment"),
    ]
    batches = [e for e in server.app.extensions["orderloom"].studio.events("retail") if e.action == "migrate"]
    assert [len(e.detail["moved"]) for e in batches] == [1, 1, 1, 1]
