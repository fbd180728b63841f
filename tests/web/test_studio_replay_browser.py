"""An admin raises the audit's large-amount threshold in a real browser (Debian's Chromium), replays the
draft before publishing it, reads which orders would go another way and why, and publishes from the
replay page. Screenshots of each step go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import REPO_ROOT, LiveServer, log_in_page, make_app, serve, settings_for
from tests.web.test_studio_replay import AUDIT, RAISED, client, prepare, save


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-replay-browser"))
    prepare(app)
    yield from serve(app)


def test_replay_first_then_publish(page: Page, server: LiveServer, screenshot: Callable[[str], Path]) -> None:
    save(client(server.app), AUDIT, RAISED)
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.goto(server(f"/studio/retail/files/{AUDIT}?lang=en"))
    page.get_by_role("link", name="Replay first: see which recent orders would go another way").click()
    expect(page.locator("#replay-summary")).to_have_text("2 order(s) would go another way.")
    totals: dict[int, float] = server.app.config["TOTALS"]
    for order, total in totals.items():
        row = page.locator(f"#replay-order-{order}")
        if 5000 < total <= 10000:
            expect(row.locator(".replay-old")).to_contain_text("Amount over 5000 CNY")
            expect(row.locator(".replay-new")).to_contain_text("Pending shipment")
        else:
            expect(row).to_have_count(0)
    screenshot("1-replayed")

    page.fill("#replay-note", "large amounts from 10000")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#studio-notice")).to_have_text("Published: Retail order retail-order v2")
    assert [v.version for v in server.app.extensions["orderloom"].engine.versions("retail-order")] == [1, 2]
