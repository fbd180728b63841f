"""The rule console and the form preview in a real browser (Debian's Chromium) with the studio's bundle:
an admin changes an audit rule in the editor and saves the draft, pastes an order into its console and
reads the outcome beside the published one and the failing case; then opens a form, sees it drawn under
the editor, types a field into it and sees the field appear in the preview. Every page runs under the
app's Content-Security-Policy (a violation fails the test); screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import (
    PASTED_ORDER,
    REPO_ROOT,
    LiveServer,
    go_to_line,
    log_in_page,
    retail_studio_app,
    serve,
)

AUDIT = "rules/retail/audit.yaml"
RAISED = (
    (REPO_ROOT / AUDIT).read_text(encoding="utf-8").replace("order.total > 5000", "order.total > 9000", 1)
)
LIMIT = "    when: order.total > 5000"
LIMIT_LINE = (REPO_ROOT / AUDIT).read_text(encoding="utf-8").split("\n").index(LIMIT) + 1
PROPERTIES = '  "properties": {'
PROPERTIES_LINE = (REPO_ROOT / "forms/retail/payment.json").read_text(encoding="utf-8").split("\n").index(
    PROPERTIES
) + 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(retail_studio_app(tmp_path, "studio-console-browser-tests"))


def test_an_admin_tries_a_draft_rule_and_previews_a_form_as_it_is_typed(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")  # the browser asks for English
    page.goto(server(f"/studio/retail/files/{AUDIT}"))
    go_to_line(page, LIMIT_LINE, LIMIT)
    page.keyboard.press("End")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("9000")
    expect(page.locator("#studio-text")).to_have_value(RAISED)
    page.click("#studio-save")
    expect(page.locator("#studio-notice")).to_contain_text("revision 1")
    page.click("#studio-console-link")
    expect(page.locator("#console-source")).to_contain_text("Trying the draft")
    expect(page.locator("#console-cases-summary")).to_have_text("13 passed, 1 failed")
    page.fill("#console-data", PASTED_ORDER)
    page.click("#console-try-data")
    expect(page.locator("#console-decision .outcome")).to_have_text("approve")
    expect(page.locator("#console-published-decision .outcome")).to_have_text("hold")
    expect(page.locator("#console-changed")).to_have_text("The draft changes the outcome.")
    expect(page.locator("#console-trace tr.held")).to_have_count(0)
    screenshot("console")

    page.goto(server("/studio/retail/files/forms/retail/payment.json"))
    preview = page.locator("#studio-preview")
    expect(preview.get_by_label("Amount paid (CNY)")).to_be_visible()
    expect(preview.locator("button[type=submit]")).to_be_disabled()
    go_to_line(page, PROPERTIES_LINE, PROPERTIES)
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type(
        '"payer": {"title": "Payer", "x-title-zh": "付款人", "type": "string", "examples": ["Wang Fang"]},'
    )
    expect(preview.get_by_label("Payer")).to_have_value("Wang Fang")  # drawn by the server, as typed
    expect(preview.get_by_label("Amount paid (CNY)")).to_be_visible()
    screenshot("preview")
