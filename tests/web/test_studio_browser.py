"""The studio as an admin uses it, in Debian's Chromium (screenshots in test-artifacts/screenshots/): the
retail workflow opened, a state and a transition to a misspelt state typed, the problem marked at its
line and its suggestion taken, the diagram growing the state, the rule cases run and the replay read on
the way, the draft published as v2 with a note, a second admin approving it where four eyes is on, an
admin of wholesale finding no retail studio, and the pages readable at 390 px wide."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from engine.api import Actor
from engine.api.definitions import VersionMeta, bundle_sources, discover, load_bundle
from tests.web.conftest import (
    REPO_ROOT,
    LiveServer,
    add_user,
    go_to_line,
    log_in_page,
    make_app,
    serve,
    settings_for,
)

WORKFLOW = "workflows/retail/order.yaml"
STATE = "  awaiting_callback:\n    label: {zh: 待回电, en: Awaiting call-back}"
TRANSITIONS = (
    "  - trigger: call_back\n    source: pending_payment\n    dest: awaiting_calback\n    roles: [clerk]"
    "\n  - trigger: called\n    source: awaiting_callback\n    dest: pending_payment\n    roles: [clerk]"
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-browser"))
    services = app.extensions["orderloom"]
    names = services.registry.action_names
    for path in sorted(p for p in discover(REPO_ROOT).values() if p.parent.name == "retail"):
        bundle = load_bundle(path, REPO_ROOT, action_names=names)
        services.engine.publish(bundle, meta=VersionMeta(sources=bundle_sources(bundle, REPO_ROOT)))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    add_user(app, "he.tao", "he-tao-password", ("admin",), ("retail",))
    add_user(app, "xu.jie", "xu-jie-password", ("admin",), ("wholesale",))
    yield from serve(app)


def open_workflow(page: Page, server: LiveServer, name: str) -> None:
    log_in_page(page, server, name, f"{name.replace('.', '-')}-password")
    page.goto(server("/?lang=zh"))
    page.click("#studio-link")
    page.click(f"a:has-text('{WORKFLOW}')")
    expect(page.locator("#studio-text + .studio-editor .cm-editor")).to_be_visible()
    expect(page.locator("#studio-problem-count")).to_have_text("0")


def line_of(page: Page, text: str) -> int:
    lines: list[str] = page.locator("#studio-text").input_value().split("\n")
    return lines.index(text) + 1


def type_lines(page: Page, lines: list[str]) -> None:
    """Type each of ``lines`` on a new line after the cursor, as written: Enter, then the indentation
    the editor put there replaced by the line's own."""
    for line in lines:
        page.keyboard.press("Enter")
        page.keyboard.press("Home")
        page.keyboard.press("Shift+End")
        page.keyboard.insert_text(line)


def type_after(page: Page, line: int, text: str) -> None:
    """Put the cursor at the end of ``line`` and type the lines of ``text`` after it."""
    lines: list[str] = page.locator("#studio-text").input_value().split("\n")
    go_to_line(page, line, lines[line - 1])
    page.keyboard.press("End")
    type_lines(page, text.split("\n"))


def end_of_transitions(page: Page) -> int:
    """The last line of the workflow's last transition: the file goes on with its ``records:`` block
    (and the comment above it)."""
    lines: list[str] = page.locator("#studio-text").input_value().split("\n")
    last = lines.index("records:")
    while not lines[last - 1].strip() or lines[last - 1].startswith("#"):
        last -= 1
    assert lines[last - 1].startswith("    ")
    return last


def type_at_the_end(page: Page, text: str) -> None:
    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+End")
    type_lines(page, text.split("\n"))


def test_an_admin_adds_a_state_fixes_a_misspelling_and_publishes(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    open_workflow(page, server, "ma.li")
    diagram = page.locator(".studio-diagram svg")
    expect(diagram).to_be_visible()
    expect(diagram).not_to_contain_text("待回电")

    type_after(page, line_of(page, "states:"), STATE)
    type_after(page, end_of_transitions(page), TRANSITIONS)
    misspelt = line_of(page, "    dest: awaiting_calback")
    marked = page.locator("#studio-text + .studio-editor .cm-lintRange-error")
    expect(marked).to_have_text("awaiting_calback", timeout=3_000)  # checked as typed
    line = page.locator("#studio-text + .studio-editor .cm-line:has(.cm-lintRange-error)")
    expect(line).to_have_text("    dest: awaiting_calback")  # at its line
    assert misspelt > 200
    expect(page.locator("#studio-problem-count")).to_have_text("1")
    listed = page.locator("#studio-problem-list li")  # the problems panel follows the editor
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(f"第 {misspelt} 行，第 11 列")
    expect(listed).to_contain_text(
        "dest 中有未知的状态 'awaiting_calback'；您是否想输入 'awaiting_callback'？"
    )
    screenshot("misspelt")

    marked.hover()
    fix = page.locator(".cm-tooltip-lint .cm-diagnosticAction")
    expect(fix).to_have_text("改为 awaiting_callback")
    fix.click()
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    assert "    dest: awaiting_callback" in page.locator("#studio-text").input_value()
    expect(diagram).to_contain_text("待回电")  # the diagram follows the text
    screenshot("fixed")

    page.click("#studio-save")
    expect(page.locator("#studio-notice")).to_contain_text("草稿已保存（第 1 稿）")
    editing = page.url

    # The rule cases of the audit the workflow runs, in the page.
    page.click("a:has-text('返回工作室')")
    page.click("a:has-text('rules/retail/audit.yaml')")
    page.click("#studio-console-link")
    expect(page.locator("#console-cases-summary")).to_be_visible()
    expect(page.locator("#console-case-results tbody tr").first).to_be_visible()
    screenshot("rule-cases")

    # The replay before publishing, then the publish from its page.
    page.goto(editing)
    page.click("#studio-replay-link")
    expect(page.locator("#replay-summary")).to_be_visible()
    screenshot("replay")
    page.fill("#replay-note", "加一个待回电状态")
    page.click("#replay-publish")
    expect(page.locator("#studio-notice")).to_contain_text("retail-order v2")
    page.click("a:has-text('retail-order')")
    expect(page.locator("#version-2")).to_contain_text("加一个待回电状态")
    expect(page.locator("#version-2")).to_contain_text("ma.li")


def test_with_four_eyes_a_second_admin_approves(page: Page, server: LiveServer) -> None:
    open_workflow(page, server, "ma.li")
    page.click("a:has-text('返回工作室')")
    page.click("#four-eyes-confirm summary")  # asked first, saying she cannot turn it off herself
    expect(page.locator("#four-eyes-confirm")).to_contain_text("您本人不能")
    page.click("#four-eyes-toggle")
    expect(page.locator("#four-eyes-state")).to_have_text("已开启")
    page.click(f"a:has-text('{WORKFLOW}')")
    label = "    label: {zh: 待支付, en: Pending payment}"
    go_to_line(page, line_of(page, label), label)
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.insert_text("label: {zh: 等待付款, en: Awaiting payment}")
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    assert "    label: {zh: 等待付款, en: Awaiting payment}" in page.locator("#studio-text").input_value()
    page.click("#studio-save")
    page.fill("#studio-note", "请审批")
    page.click("#studio-submit")
    expect(page.locator("#studio-notice")).to_contain_text("已提交审批")
    page.click("form.logout button")

    open_workflow(page, server, "he.tao")
    expect(page.locator("#studio-approve")).to_be_visible()
    page.click("#studio-approve")
    expect(page.locator("#studio-notice")).to_contain_text("retail-order v2")
    page.goto(server("/studio/retail/workflows/retail-order"))
    row = page.locator("#version-2")
    expect(row).to_contain_text("he.tao")
    expect(row).to_contain_text("ma.li")
    expect(row).to_contain_text("请审批")


def test_an_admin_of_wholesale_finds_no_retail_studio(page: Page, server: LiveServer) -> None:
    log_in_page(page, server, "xu.jie", "xu-jie-password")
    page.click("#studio-link")
    expect(page).to_have_url(server("/studio/wholesale/"))
    answer = page.goto(server("/studio/retail/"))
    assert answer is not None and answer.status == 403  # another department's: said whose it is
    answer = page.goto(server(f"/studio/retail/files/{WORKFLOW}"))
    assert answer is not None and answer.status == 403


@pytest.mark.parametrize("path", ["/studio/retail/", f"/studio/retail/files/{WORKFLOW}"])
def test_the_studio_reads_at_390_px_without_sideways_scroll(
    page: Page, server: LiveServer, path: str
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.goto(server("/?lang=zh"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server(path))
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    if "files" in path:
        expect(page.locator(".narrow-note")).to_be_visible()  # editing wants a wider screen, and says so


def test_a_save_conflict_shows_both_texts_marked_without_sideways_scroll(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """he.tao saves over a draft ma.li saved meanwhile with a 300-character line: the two texts are shown
    side by side, the lines each lacks marked, long lines wrapped in their box, at 1280 and 390 px."""
    open_workflow(page, server, "he.tao")
    services = server.app.extensions["orderloom"]
    original = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
    long_line = "# " + "长" * 60 + " " + "x" * 240
    ma_li = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))
    services.studio.save("retail", WORKFLOW, original + long_line + "\n", 0, ma_li)
    type_at_the_end(page, "# he.tao's line")
    page.click("#studio-save")
    expect(page.locator("#studio-conflict")).to_contain_text("ma.li")
    expect(page.locator("#conflict-theirs del")).to_have_count(1)
    expect(page.locator("#conflict-theirs del")).to_contain_text("x" * 240)
    expect(page.locator("#conflict-yours ins").last).to_have_text("# he.tao's line\n")
    expect(page.locator("#conflict-diff .add").last).to_have_text("+# he.tao's line")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator("#conflict-theirs del").scroll_into_view_if_needed()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        for box in ("#conflict-theirs", "#conflict-yours", "#conflict-diff"):
            right = page.evaluate(f"() => document.querySelector('{box}').getBoundingClientRect().right")
            assert right <= width, (box, width)
        line = page.locator("#conflict-theirs del").bounding_box()
        assert line is not None and line["height"] > 40  # the long line wraps inside its box
        screenshot(f"conflict-{width}")
    # Nothing typed is lost: the text refused is in the editor, to merge and save again.
    assert "# he.tao's line" in page.locator("#studio-text").input_value()


PASTE = """(content, text) => {
  const data = new DataTransfer();
  data.setData("text/plain", text);
  content.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""


def test_a_text_over_the_limit_is_refused_before_it_is_sent_and_kept(
    page: Page, server: LiveServer, browser: Browser, screenshot: Callable[[str], Path]
) -> None:
    """1.5 MB pasted into the editor: Save sends nothing and says the size and the limit, the text still
    in the editor. Without scripts the server refuses it with the page, the text kept; nothing saved."""
    pasted = ("# " + "长" * 99 + "\n") * 5_000  # 1,500,000 bytes in UTF-8
    assert len(pasted.encode("utf-8")) == 1_500_000
    open_workflow(page, server, "ma.li")
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/files/" in r.url else None)
    content = page.locator("#studio-text + .studio-editor .cm-content")
    content.focus()
    page.keyboard.press("Control+End")
    content.evaluate(PASTE, pasted)  # as the clipboard pastes it (typing 1.5 MB takes minutes)
    expect(page.locator("#studio-problem-count")).not_to_have_text("0")
    page.click("#studio-save")
    refused = page.locator("#studio-size-refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("文本为 1,5")
    expect(refused).to_contain_text("而定义文件最多 1,000,000 字节（1 MB）：未发送任何内容")
    assert posts == []  # nothing was sent
    assert page.locator("#studio-text").input_value().endswith(pasted)
    screenshot("refused-before-sending")
    studio = server.app.extensions["orderloom"].studio
    assert studio.file("retail", WORKFLOW).draft is None

    plain = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800})
    try:
        no_script = plain.new_page()
        log_in_page(no_script, server, "ma.li", "ma-li-password")
        no_script.goto(server(f"/studio/retail/files/{WORKFLOW}?lang=en"))
        original = no_script.locator("#studio-text").input_value()
        # as pasted (fill() types 1.5 MB too slowly)
        no_script.locator("#studio-text").evaluate(
            "(area, text) => { area.value = text; }", original + pasted
        )
        with no_script.expect_response(lambda r: r.request.method == "POST") as answer:
            no_script.click("#studio-save")
        assert answer.value.status == 413
        expect(no_script.locator("#studio-refused")).to_contain_text(
            "a definition file may be at most 1,000,000 bytes (1 MB): nothing was saved"
        )
        assert no_script.locator("#studio-text").input_value().endswith(pasted)
        assert studio.file("retail", WORKFLOW).draft is None and studio.events("retail") == []
    finally:
        plain.close()


def test_leaving_the_file_with_a_text_not_saved_asks_first(page: Page, server: LiveServer) -> None:
    """Another language, back to the studio: while the editor's text is not the one last saved, the
    browser asks before leaving (answered "stay" here); sending the form is not leaving, and once saved
    the page is left without a question."""
    open_workflow(page, server, "ma.li")
    asked: list[str] = []

    def stay(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)

    def asked_by_now(times: int) -> list[str]:
        """What was asked once the browser has told of ``times`` questions (a click returns before the
        dialog's handler has run), or of all it asked within a few seconds."""
        for _ in range(200):
            if len(asked) >= times:
                break
            page.wait_for_timeout(25)
        return asked

    editing = page.url
    page.click("a.lang")  # nothing typed yet: left without a question
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert asked == []
    type_at_the_end(page, "# an edit")
    page.click("a.lang")
    assert asked_by_now(1) == ["beforeunload"]
    expect(page.locator("html")).to_have_attribute("lang", "en")  # stayed
    page.click("a:has-text('Back to the studio')")
    assert asked_by_now(2) == ["beforeunload", "beforeunload"]
    assert page.url.split("?")[0] == editing.split("?")[0]

    page.click("#studio-check")  # sent, not left; the page drawn with the text, still not saved
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    page.wait_for_load_state("load")  # the redrawn page's scripts have guarded it
    # the person reads the check's answer on the redrawn page: Chromium asks before leaving only a page
    # the person has touched (its sticky user activation), whatever the page's guard says
    page.click("#studio-problem-count")
    assert asked == ["beforeunload", "beforeunload"]
    assert page.locator("#studio-text").input_value().endswith("# an edit")
    page.click("a:has-text('Back to the studio')")
    assert asked_by_now(3) == ["beforeunload"] * 3
    assert page.url.split("?")[0] == editing.split("?")[0]

    page.click("#studio-save")
    expect(page.locator("#studio-notice")).to_contain_text("revision 1")
    page.click("a:has-text('Back to the studio')")
    expect(page).to_have_url(server("/studio/retail/"))
    assert asked == ["beforeunload"] * 3


def test_a_form_preview_reads_its_lines_as_cards_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """The order lines of the web intake, a table wider than a phone, read as cards in the preview at
    390 px, as a clerk sees them on the new order's page: neither the preview's box nor the page scrolls
    sideways, and each cell is headed by its column's name."""
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server("/studio/retail/files/forms/retail/intake-web.ui.json?lang=zh"))
    preview = page.locator("#studio-preview")
    expect(preview.locator("table.lines")).to_be_visible()
    assert not preview.evaluate("box => box.scrollWidth > box.clientWidth + 1")
    cell = preview.locator("table.lines td[data-label='数量']").first
    assert (
        page.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle()) == '"数量"'
    )
    screenshot("form-preview-390")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_the_department_page_reads_as_cards_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    studio = server.app.extensions["orderloom"].studio
    text = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8") + "\n# a draft\n"
    studio.save("retail", WORKFLOW, text, 0, Actor("ma.li", frozenset({"admin"}), frozenset({"retail"})))
    log_in_page(page, server, "ma.li", "ma-li-password")
    page.goto(server("/?lang=zh"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server("/studio/retail/"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    for table in ("#studio-files", "#studio-workflows", "#studio-events"):
        cells = page.locator(f"{table} tbody td")
        assert cells.count() > 0, table
        # every cell is a line of its card, as wide as the card, its column's name before it: no column
        # squeezed to a character a line
        widths = page.eval_on_selector_all(
            f"{table} tbody td",
            "cells => cells.filter(c => c.offsetParent).map(c => c.getBoundingClientRect().width)",
        )
        assert widths and min(widths) > 300, (table, widths)
        label = page.eval_on_selector(f"{table} tbody td", "c => getComputedStyle(c, '::before').content")
        assert label.strip('"'), table
    screenshot("department-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server("/studio/retail/"))
    assert page.locator("#studio-workflows thead").is_visible()  # a table again where there is room
    screenshot("department-1280")


def test_renaming_a_state_the_overlay_uses_is_marked_as_typed_naming_the_overlay(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """The flash-sale overlay removes ``on_hold``: renaming it in the base is a problem of the base as it
    is typed, marked on the new name, the panel naming the overlay's file and line with a link to it."""
    overlay = "workflows/retail/flash-sale.yaml"
    open_workflow(page, server, "ma.li")
    renamed = page.locator("#studio-text").input_value().replace("on_hold", "held")
    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(renamed)
    listed = page.locator("#studio-problem-list li", has_text=overlay)
    removed = next(
        n
        for n, line in enumerate((REPO_ROOT / overlay).read_text(encoding="utf-8").split("\n"), 1)
        if "states: [on_hold" in line
    )
    expect(listed.filter(has_text=f"{overlay} 第 {removed} 行")).to_have_count(1, timeout=5_000)
    # the editor draws the lines in view: the cursor taken to the renamed state's line shows it, marked
    line = next(n for n, text in enumerate(renamed.split("\n"), 1) if text.strip() == "held:")
    page.keyboard.press("Control+Home")
    for _ in range(line - 1):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#studio-text + .studio-editor .cm-lintRange-error").first).to_have_text("held")
    link = listed.first.locator("a.studio-elsewhere")
    expect(link).to_have_text(f"打开 {overlay}")
    screenshot("rename-marked")
    page.once("dialog", lambda dialog: dialog.accept())  # the text is not saved: leaving asks first
    link.click()
    expect(page.locator("h1")).to_contain_text(overlay)
