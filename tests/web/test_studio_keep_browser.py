"""In Chromium: the editor's save after the session ended in another tab keeps the text (in the page and
in the browser's storage), says to log in again with a link opening the login in a new tab, and saves by
itself once logged in; a page opened later offers the kept text back; the note for the publish is guarded
against leaving the page like the text (web/static/studio-keep.js, web/static/studio-panel.js). A
problem's link goes to its line: in the numbered listing without scripts, in the editor with them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.web.conftest import REPO_ROOT, LiveServer, add_user, log_in_page, make_app, serve, settings_for

WORKFLOW = "workflows/retail/order.yaml"
EDIT = f"/studio/retail/files/{WORKFLOW}"
KEY = f"orderloom.studio.kept:retail:{WORKFLOW}:0"
ORIGINAL = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
MISSPELT = ORIGINAL.replace("dest: paid", "dest: piad", 1)
MISSPELT_LINE = MISSPELT.split("\n").index("    dest: piad") + 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-keep-browser"))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    yield from serve(app)


def open_editor(page: Page, server: LiveServer) -> None:
    page.goto(server(EDIT + "?lang=en"))
    expect(page.locator("#studio-text + .studio-editor .cm-editor")).to_be_visible()


def type_at_the_end(page: Page, text: str) -> None:
    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(text)


def log_out_in_another_tab(page: Page, server: LiveServer) -> None:
    other = page.context.new_page()
    other.goto(server("/"))
    other.click("form.logout button")
    expect(other).to_have_url(server("/login"))
    other.close()


def kept_text(page: Page) -> str | None:
    found: str | None = page.evaluate(
        "(key) => { const k = localStorage.getItem(key); return k && JSON.parse(k).text; }", KEY
    )
    return found


def test_a_save_after_a_logout_in_another_tab_waits_for_the_login_and_saves(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    open_editor(page, server)
    type_at_the_end(page, "# typed before the logout")
    log_out_in_another_tab(page, server)

    page.click("#studio-save")
    ended = page.locator("#studio-session-ended")
    expect(ended).to_be_visible()
    expect(ended).to_contain_text("nothing was saved")
    assert page.url == server(EDIT + "?lang=en")  # not sent: still the page typed in
    assert page.locator("#studio-text").input_value().endswith("# typed before the logout")
    assert (kept_text(page) or "").endswith("# typed before the logout")
    screenshot("session-ended")

    with page.context.expect_page() as opened:
        page.click("#studio-login-link")
    login = opened.value
    login.fill("#login-name", "ma.li")
    login.fill("#login-password", "ma-li-password")
    login.click("button[type=submit].primary")
    login.wait_for_url(lambda url: "/login" not in url)
    login.close()

    expect(page.locator("#studio-notice")).to_contain_text("Draft saved (revision 1)")  # by itself
    assert page.locator("#studio-text").input_value().endswith("# typed before the logout")
    expect(page.locator("#studio-kept-offer")).to_be_hidden()
    for _ in range(200):  # the notice can be drawn before the browser's copy is dropped
        if kept_text(page) is None:
            break
        page.wait_for_timeout(25)
    assert kept_text(page) is None  # saved: the browser's copy is forgotten


def test_a_page_opened_after_the_session_ended_offers_the_kept_text_back(
    page: Page, server: LiveServer
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    open_editor(page, server)
    type_at_the_end(page, "# kept in the browser")
    log_out_in_another_tab(page, server)
    page.click("#studio-check")
    expect(page.locator("#studio-session-ended")).to_be_visible()

    page.on("dialog", lambda dialog: dialog.accept())  # leave the page, the text not saved
    page.goto(server(EDIT + "?lang=en"))
    log_in_page(page, server, "ma.li", "ma-li-password")
    open_editor(page, server)
    assert not page.locator("#studio-text").input_value().endswith("# kept in the browser")
    offer = page.locator("#studio-kept-offer")
    expect(offer).to_be_visible()
    page.click("#studio-kept-restore")
    expect(offer).to_be_hidden()
    type_at_the_end(page, "# and more")  # in the editor: it holds the text put back
    assert page.locator("#studio-text").input_value().endswith("# kept in the browser\n# and more")
    page.click("#studio-save")
    expect(page.locator("#studio-notice")).to_contain_text("revision 1")
    expect(offer).to_be_hidden()
    assert kept_text(page) is None


def test_leaving_with_the_note_for_the_publish_changed_asks_first(page: Page, server: LiveServer) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    open_editor(page, server)
    type_at_the_end(page, "# a draft")
    page.click("#studio-save")
    expect(page.locator("#studio-notice")).to_contain_text("revision 1")
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.fill("#studio-note", "why this version")
    page.click("a:has-text('Back to the studio')")
    assert asked == ["beforeunload"]
    page.click("#studio-save")  # kept with the draft: a reload finds it, and leaving asks nothing
    expect(page.locator("#studio-notice")).to_contain_text("revision 2")
    page.reload()
    expect(page.locator("#studio-note")).to_have_value("why this version")
    page.click("a:has-text('Back to the studio')")
    expect(page).to_have_url(server("/studio/retail/"))
    assert asked == ["beforeunload"]


def test_without_scripts_a_problem_link_goes_to_its_line_in_the_numbered_listing(
    browser: Browser, server: LiveServer
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        log_in_page(page, server, "ma.li", "ma-li-password")
        page.goto(server(EDIT + "?lang=en"))
        page.fill("#studio-text", MISSPELT)
        page.click("#studio-check")
        box = page.locator("#studio-listing-box")
        expect(box).not_to_have_attribute("open", "")  # a long text: collapsed
        page.click(f"#studio-problem-list a[href='#studio-line-{MISSPELT_LINE}']")
        assert page.url.endswith(f"#studio-line-{MISSPELT_LINE}")
        target = page.locator(f"#studio-line-{MISSPELT_LINE}")
        expect(box).to_have_attribute("open", "")  # opened by the link to a line inside it
        expect(target).to_be_in_viewport()
        expect(target).to_have_text("    dest: piad")
        expect(target).to_have_class("marked")
        shot = REPO_ROOT / "test-artifacts" / "screenshots" / "studio-listing-no-script.png"
        page.screenshot(path=str(shot))
    finally:
        context.close()


def test_with_scripts_a_problem_link_moves_the_editor_to_its_line(page: Page, server: LiveServer) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    open_editor(page, server)
    expect(page.locator("#studio-listing-box")).to_have_count(0)  # <noscript>: the editor numbers lines
    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(MISSPELT)
    link = page.locator("#studio-problem-list a").first
    expect(link).to_have_attribute("data-line", str(MISSPELT_LINE))
    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+Home")  # the cursor away from the problem
    link.click()
    expect(page.locator("#studio-text + .studio-editor .cm-activeLine")).to_have_text("    dest: piad")
    expect(page.locator("#studio-text + .studio-editor .cm-activeLine")).to_be_in_viewport()
    assert page.evaluate("document.activeElement.classList.contains('studio-editor')")
