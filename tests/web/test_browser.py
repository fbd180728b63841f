"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the app on a socket."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.web.conftest import LiveServer, log_in_page, publish_desk_orders


def _publish_desk_orders(live_server: LiveServer) -> None:
    publish_desk_orders(live_server.app.extensions["orderloom"].engine)


def _fonts_used_for(page: Page, selector: str) -> dict[str, int]:
    """The fonts Chromium actually drew the element's text with, and how many glyphs from each."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root: Any = cdp.send("DOM.getDocument")
        found: Any = cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
        fonts: Any = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": found["nodeId"]})
    finally:
        cdp.detach()
    return {font["familyName"]: int(font["glyphCount"]) for font in fonts["fonts"]}


def test_home_page_in_chinese_loads_htmx_and_draws_chinese_glyphs(
    page: Page, live_server: LiveServer
) -> None:
    _publish_desk_orders(live_server)
    log_in_page(page, live_server)
    page.goto(live_server("/?lang=zh"))
    assert page.title() == "OrderLoom 订单流程引擎"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "部门与流程"
    assert "柜台订单" in page.locator("table.grid").inner_text()
    page.wait_for_function("typeof htmx === 'object'")
    assert page.evaluate("typeof htmx") == "object"
    assert str(page.evaluate("htmx.version")).startswith("2.")
    # Every Chinese glyph of the heading came from a font that has it: no empty boxes in the screenshot.
    fonts = _fonts_used_for(page, "h1")
    assert sum(fonts.values()) == len("部门与流程"), fonts
    assert any("CJK" in family or "WenQuanYi" in family for family in fonts), fonts


def test_home_page_follows_the_browser_language_and_switches(page: Page, live_server: LiveServer) -> None:
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})
    log_in_page(page, live_server)
    page.goto(live_server("/"))
    assert page.title() == "OrderLoom order-process engine"
    assert "orderloom demo" in page.locator("p.empty").inner_text()
    page.get_by_role("link", name="中文").click()
    page.wait_for_url("**/?lang=zh")
    assert page.title() == "OrderLoom 订单流程引擎"
    assert "还没有发布任何工作流" in page.locator("p.empty").inner_text()


# No page has an htmx interaction yet (the home page is plain HTML); the first one, the forms' conditional
# sections, gets its browser test with the forms pages.
