"""The studio's browser side in a real browser (Debian's Chromium): web/frontend bundled into
web/static/vendor/codemirror/studio-editor.js, Mermaid lazily loaded from web/static/vendor/mermaid/.

The studio's own views live elsewhere; these tests serve pages of their own (tests/web/fixtures/studio/)
with the vendored files and small JSON endpoints that answer as the studio's do: ``/validate`` finds
every ``shiped`` (an unknown state, "did you mean shipped") and a ``TODO`` (a whole-file warning),
``/diagram`` draws the transitions it reads from the text, ``/preview`` counts a form's fields, and
``/save`` keeps what the page's form posts. Every page is served under the app's Content-Security-Policy
(``web.app.CONTENT_SECURITY_POLICY``); the diagram page adds the two directives Mermaid needs
(``MERMAID_STYLES``), and a test shows it needs them. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, abort, jsonify, request, send_from_directory
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from tests.web.conftest import REPO_ROOT
from web.headers import CONTENT_SECURITY_POLICY

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "studio"
VENDOR = REPO_ROOT / "web" / "static" / "vendor"
SCHEMAS = REPO_ROOT / "engine" / "schema"
CSRF_TOKEN = "fixture-csrf-token"  # the <meta name="csrf-token"> of the test pages

# What a page drawing a Mermaid diagram needs beyond the app's policy: Mermaid lays its drawing out with
# style attributes and a <style> element of its own, in the page, before handing the SVG back.
MERMAID_STYLES = "style-src-elem 'self' 'unsafe-inline'; style-src-attr 'unsafe-inline'"

TYPO = re.compile(r"\bshiped\b")
UNKNOWN_STATE_HINT = "A transition's dest names a state of the workflow"
TRANSITION = re.compile(r"\{[^}]*\btrigger: (\w+), source: (\w+), dest: (\w+)\}")


@dataclass
class Studio:
    """The test pages' server: what it was asked, and a gate that holds answers about a text with HOLD."""

    url: str
    asked: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (path, JSON body)
    saved: list[str] = field(default_factory=list)  # the `text` of each form posted to /save
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, path: str) -> str:
        return f"{self.url}{path}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for asked, body in self.asked if asked == path]


def problems_of(text: str) -> list[dict[str, Any]]:
    """The stub validator: each ``shiped`` is an unknown state; a ``TODO`` is a warning about the file.
    Columns count characters, as Python does, from 1; end_col is exclusive."""
    found: list[dict[str, Any]] = []
    if "TODO" in text:
        whole_file = {"line": 0, "col": 0, "end_line": None, "end_col": None}
        found.append(
            whole_file
            | {"severity": "warning", "message": "The file still says TODO", "hint": None}
            | {"suggestion": None, "code": "todo"}
        )
    for number, line in enumerate(text.split("\n"), start=1):
        for typo in TYPO.finditer(line):
            where = {"line": number, "col": typo.start() + 1, "end_line": number, "end_col": typo.end() + 1}
            found.append(
                where
                | {"severity": "error", "message": "Unknown state 'shiped'", "hint": UNKNOWN_STATE_HINT}
                | {"suggestion": "shipped", "code": "unknown-state"}
            )
    return found


def stub_app(studio: Studio, policy: str) -> Flask:
    app = Flask(__name__)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @app.get("/pages/<name>")
    def page(name: str) -> Response:
        return send_from_directory(FIXTURES, name)

    @app.get("/static/vendor/<path:name>")
    def vendored(name: str) -> Response:
        return send_from_directory(VENDOR, name)

    @app.get("/schema/<name>")
    def schema(name: str) -> Response:
        return send_from_directory(SCHEMAS, name)

    def asked() -> dict[str, Any]:
        if request.headers.get("X-CSRFToken") != CSRF_TOKEN:
            abort(400)
        body: dict[str, Any] = request.get_json()
        studio.asked.append((request.path, body))
        return body

    @app.post("/validate")
    def validate() -> Response:
        body = asked()
        if "HOLD" in body["text"]:
            studio.release.wait(timeout=30)
        return jsonify(problems=problems_of(body["text"]))

    @app.post("/validate-logged-out")
    def logged_out() -> Response:
        asked()
        return Response("<!doctype html><title>Log in</title>", status=401, mimetype="text/html")

    @app.post("/diagram")
    def diagram() -> Response:
        text = asked()["text"]
        if TYPO.search(text):
            return jsonify(mermaid=None)
        if "BOOM" in text:
            return Response("<!doctype html><title>Error</title>", status=500, mimetype="text/html")
        if "GARBLE" in text:
            return jsonify(mermaid="stateDiagram-v2\n    a -->")  # no diagram Mermaid can draw
        edges = [f"    {source} --> {dest}: {trigger}" for trigger, source, dest in TRANSITION.findall(text)]
        return jsonify(mermaid="\n".join(["stateDiagram-v2", "    [*] --> pending_payment", *edges]))

    @app.post("/preview")
    def preview() -> Response:
        text = asked()["text"]
        try:
            fields = sorted(json.loads(text)["properties"])
        except (ValueError, KeyError, TypeError):
            return jsonify(html=None)
        items = "".join(f"<li>{name}</li>" for name in fields)
        return jsonify(html=f'<ul class="preview-fields">{items}</ul>')

    @app.post("/save")
    def save() -> Response:
        studio.saved.append(request.form["text"])
        return Response("saved", mimetype="text/plain")

    return app


def serve_stub(policy: str) -> Iterator[Studio]:
    studio = Studio(url="")
    server = make_server("127.0.0.1", 0, stub_app(studio, policy), threaded=True)
    studio.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="studio-stub", daemon=True)
    thread.start()
    try:
        yield studio
    finally:
        studio.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def studio() -> Iterator[Studio]:
    """The test pages under the app's own Content-Security-Policy."""
    yield from serve_stub(CONTENT_SECURITY_POLICY)


@pytest.fixture
def diagram_studio() -> Iterator[Studio]:
    """The test pages under the app's policy with the allowance a Mermaid diagram needs."""
    yield from serve_stub(f"{CONTENT_SECURITY_POLICY}; {MERMAID_STYLES}")


def editor(page: Page, textarea_id: str) -> Any:
    """The CodeMirror editor mounted for the textarea ``textarea_id`` (the element after it)."""
    return page.locator(f"#{textarea_id} + .studio-editor .cm-editor")


def doc_line(page: Page, textarea_id: str, number: int) -> Any:
    return editor(page, textarea_id).locator(".cm-line").nth(number - 1)


def record_validations(page: Page, textarea_id: str) -> None:
    """From now on, window.validated lists each studio:validated of the textarea: its text, its count."""
    page.evaluate(
        """(id) => {
            window.validated = [];
            document.getElementById(id).addEventListener("studio:validated", ({detail}) => {
                window.validated.push({text: detail.text, problems: detail.response.problems.length});
            });
        }""",
        textarea_id,
    )


def validated(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("() => window.validated")
    return found


def test_the_editor_takes_the_textareas_place_and_keeps_it_in_step(
    page: Page, studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    page.goto(studio("/pages/editor.html"))
    textarea = page.locator("#workflow-text")
    original = textarea.input_value()
    cm = editor(page, "workflow-text")
    expect(cm).to_be_visible()
    expect(textarea).to_be_hidden()
    expect(cm.locator(".cm-lineNumbers .cm-gutterElement").filter(has_text="12")).to_have_count(1)
    expect(cm.locator(".cm-content")).to_have_attribute("aria-label", "Workflow text")
    assert cm.locator(".cm-line").all_inner_texts() == original.split("\n")
    # YAML is highlighted: keys and values are spans of their own
    expect(doc_line(page, "workflow-text", 2).locator("span").first).to_have_text("workflow")
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    screenshot("1-mounted")

    doc_line(page, "workflow-text", 2).click()
    page.keyboard.press("End")
    page.keyboard.type("-v2")
    expect(textarea).to_have_value(original.replace("desk-order", "desk-order-v2"))
    page.keyboard.press("Control+z")
    expect(textarea).to_have_value(original)
    page.keyboard.press("Control+Shift+z")
    expect(textarea).to_have_value(original.replace("desk-order", "desk-order-v2"))

    page.click("#save-workflow")  # the page's own submit posts the textarea, as without scripts
    expect(page.locator("body")).to_have_text("saved")
    # (a form posts a textarea's line breaks as CRLF, whoever typed them)
    assert studio.saved == [original.replace("desk-order", "desk-order-v2").replace("\n", "\r\n")]


def test_typing_asks_the_server_which_marks_the_problem_and_its_fix_replaces_it(
    page: Page, studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    page.goto(studio("/pages/editor.html"))
    textarea = page.locator("#workflow-text")
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    record_validations(page, "workflow-text")
    original = textarea.input_value()

    last = doc_line(page, "workflow-text", 12)
    last.click()
    page.keyboard.press("End")
    with page.expect_request(
        lambda r: r.url.endswith("/validate") and "shiped" in (r.post_data or "")
    ) as asked:
        for _ in range(4):
            page.keyboard.press("ArrowLeft")
        page.keyboard.press("Backspace")  # dest: shipped} -> dest: shiped}
    typed = original.replace("dest: shipped}", "dest: shiped}")
    sent = asked.value
    assert sent.method == "POST"
    assert sent.headers["x-csrftoken"] == CSRF_TOKEN
    assert sent.headers["content-type"] == "application/json"
    assert sent.post_data_json == {
        "kind": "workflow",
        "department": "retail",
        "name": "workflows/retail/desk.yaml",
        "text": typed,
    }
    expect(textarea).to_have_value(typed)

    # the problem is marked where it is, past the astral 🚚 (one character, two UTF-16 code units)
    marked = last.locator(".cm-lintRange-error")
    expect(marked).to_have_text("shiped")
    expect(page.locator("#studio-problem-count")).to_have_text("1")
    expect(page.locator("#studio-problem-count")).to_have_attribute("data-errors", "1")
    page.wait_for_function("() => window.validated.some((v) => v.problems === 1)")
    assert {"text": typed, "problems": 1} in validated(page)

    marked.hover()
    tooltip = editor(page, "workflow-text").locator(".cm-tooltip-lint")
    expect(tooltip.locator(".studio-problem-message")).to_have_text("Unknown state 'shiped'")
    expect(tooltip.locator(".studio-problem-hint")).to_have_text(
        "A transition's dest names a state of the workflow"
    )
    # the problem's code is not part of its words: last, small and labelled
    expect(tooltip.locator(".studio-problem-code")).to_have_text("code unknown-state")
    expect(tooltip.locator(".cm-diagnosticSource")).to_have_count(0)
    fix = tooltip.locator(".cm-diagnosticAction")
    expect(fix).to_have_text("Use shipped")
    screenshot("1-problem-and-fix")

    fix.click()
    expect(textarea).to_have_value(original)
    expect(last).to_have_text('  - {label: "🚚 发货", trigger: ship, source: paid, dest: shipped}')
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    expect(last.locator(".cm-lintRange-error")).to_have_count(0)
    assert studio.bodies("/validate")[-1]["text"] == original
    screenshot("2-fixed")


def test_a_cases_file_is_edited_as_yaml_and_checked_as_cases(page: Page, studio: Studio) -> None:
    """A rule file's cases (``data-kind="cases"``) are YAML: highlighted as YAML, and each check names
    the kind ``cases``, which the studio checks as ``orderloom rules test`` does."""
    page.goto(studio("/pages/cases.html"))
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    assert studio.bodies("/validate")[0]["kind"] == "cases"
    # YAML is highlighted: the key of a line is a span of its own (as JSON, the line is one error)
    expect(doc_line(page, "cases-text", 2).locator("span").first).to_have_text("ruleset")
    expect(editor(page, "cases-text").locator(".cm-line").nth(3).locator("span").first).to_have_text("name")


def test_a_problem_about_the_whole_file_is_shown_at_its_start(page: Page, studio: Studio) -> None:
    page.goto(studio("/pages/editor.html"))
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    doc_line(page, "workflow-text", 1).click()
    page.keyboard.press("End")
    page.keyboard.type("  # TODO")
    count = page.locator("#studio-problem-count")
    expect(count).to_have_text("1")
    expect(count).to_have_attribute("data-warnings", "1")
    first = doc_line(page, "workflow-text", 1)
    expect(first.locator(".cm-lintPoint-warning")).to_have_count(1)  # a point before the first character
    assert first.inner_text().startswith("schema_version")
    page.keyboard.press("F8")  # the next problem, with its tooltip
    tooltip = editor(page, "workflow-text").locator(".cm-tooltip-lint")
    expect(tooltip.locator(".cm-diagnostic-warning .studio-problem-message")).to_have_text(
        "The file still says TODO"
    )
    expect(tooltip.locator(".cm-diagnosticAction")).to_have_count(0)  # no suggestion, no fix


def test_an_answer_about_an_older_text_is_dropped(page: Page, studio: Studio) -> None:
    page.goto(studio("/pages/editor.html"))
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    record_validations(page, "workflow-text")
    doc_line(page, "workflow-text", 1).click()
    page.keyboard.press("End")
    with page.expect_request(lambda r: r.url.endswith("/validate") and "HOLD" in (r.post_data or "")):
        page.keyboard.type("  # HOLD")  # the server holds its answer about this text
    with page.expect_response(
        lambda r: r.url.endswith("/validate") and "HOLD" not in (r.request.post_data or "")
    ):
        for _ in range(4):
            page.keyboard.press("Backspace")  # "# HOLD" -> "# ": answered at once
    page.wait_for_function("() => window.validated.length === 1")
    with page.expect_response(lambda r: "HOLD" in (r.request.post_data or "")):
        studio.release.set()
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    assert [v["text"] for v in validated(page)] == [page.locator("#workflow-text").input_value()]


def test_completion_and_hover_come_from_the_json_schema(
    page: Page, studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    workflow = json.loads((SCHEMAS / "workflow.schema.json").read_text(encoding="utf-8"))["$defs"]["workflow"]
    with page.expect_response(lambda r: r.url.endswith("/schema/workflow.schema.json")):
        page.goto(studio("/pages/editor.html"))
    doc_line(page, "workflow-text", 3).click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("chan")
    page.keyboard.press("Control+Space")
    options = editor(page, "workflow-text").locator(".cm-tooltip-autocomplete li")
    expect(options.filter(has_text="channels")).to_have_count(1)
    screenshot("1-completion")
    page.keyboard.press("Escape")

    key = doc_line(page, "workflow-text", 6).locator("span", has_text="initial")
    key.hover()
    hover = editor(page, "workflow-text").locator(".cm6-json-schema-hover")
    expect(hover).to_contain_text(workflow["properties"]["initial"]["description"])
    screenshot("2-hover")


def test_a_form_file_completes_json_schema_keywords_and_its_preview_follows_the_text(
    page: Page, studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    page.goto(studio("/pages/editor.html"))
    preview = page.locator(".studio-preview")
    expect(preview.locator(".preview-fields li")).to_have_text(["amount"])
    textarea = page.locator("#form-text")
    assert studio.bodies("/preview")[-1] == {
        "department": "retail",
        "name": "forms/retail/payment.json",
        "text": textarea.input_value(),
    }

    line = doc_line(page, "form-text", 5)  # "amount": {"type": "number"}
    line.click()
    page.keyboard.press("End")
    page.keyboard.type(',\n"note": {"type": "string"}')
    expect(preview.locator(".preview-fields li")).to_have_text(["amount", "note"])
    screenshot("1-preview")

    # no schema named: a form file completes from the JSON Schema meta-schema ($defs, 2020-12's name)
    doc_line(page, "form-text", 2).click()
    page.keyboard.press("End")
    page.keyboard.type(',\n"$de')
    page.keyboard.press("Control+Space")
    options = editor(page, "form-text").locator(".cm-tooltip-autocomplete li")
    expect(options.filter(has_text="$defs")).to_have_count(1)

    page.keyboard.press("Escape")
    page.keyboard.type('": {}')  # the text no longer parses as the stub reads it: the preview stays
    page.keyboard.press("Control+a")
    page.keyboard.type("{")
    expect(preview).to_have_attribute("data-state", "stale")
    expect(preview.locator(".preview-fields li")).to_have_text(["amount", "note"])
    expect(preview.locator(".studio-notice")).to_have_text("No preview for now: this is the last one shown.")


def test_a_published_version_is_read_only(page: Page, studio: Studio) -> None:
    page.goto(studio("/pages/editor.html"))
    cm = editor(page, "published-text")
    expect(cm).to_be_visible()
    cm.locator(".cm-content").click()
    page.keyboard.type("changed")
    page.keyboard.press("Backspace")
    expect(cm.locator(".cm-line")).to_have_text(["rules: []"])
    assert page.locator("#published-text").input_value() == "rules: []"
    assert page.locator("#published-text + .studio-editor").get_attribute("data-readonly") == ""


def test_without_scripts_the_textarea_is_the_editor(browser: Browser, studio: Studio) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(studio("/pages/editor.html"))
        expect(page.locator("#workflow-text")).to_be_visible()
        expect(page.locator(".studio-editor")).to_have_count(0)
        page.fill("#workflow-text", "schema_version: 1\n")
        page.click("#save-workflow")
        expect(page.locator("body")).to_have_text("saved")
        assert studio.saved == ["schema_version: 1\r\n"]
    finally:
        context.close()


def test_a_page_without_a_diagram_does_not_load_mermaid(page: Page, studio: Studio) -> None:
    loaded: list[str] = []
    page.on("request", lambda r: loaded.append(r.url))
    page.goto(studio("/pages/editor.html"))
    expect(page.locator("#studio-problem-count")).to_have_text("0")
    assert any(url.endswith("/studio-editor.js") for url in loaded)
    assert not [url for url in loaded if "mermaid" in url]


def test_the_diagram_follows_the_text_and_keeps_its_last_drawing_while_the_text_does_not_parse(
    page: Page, diagram_studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    studio = diagram_studio
    mermaid: list[str] = []
    page.on("request", lambda r: mermaid.append(r.url) if "mermaid" in r.url else None)
    page.goto(studio("/pages/diagram.html"))
    diagram = page.locator(".studio-diagram")
    drawing = diagram.locator(".studio-content > svg")
    states = drawing.locator(".node .nodeLabel")
    triggers = drawing.locator(".edgeLabel .edgeLabel")
    expect(states).to_have_text(["pending_payment", "paid", "shipped"], ignore_case=False)
    expect(triggers).to_have_text(["pay", "ship"])
    expect(diagram).to_have_attribute("data-state", "current")
    assert mermaid == [studio("/static/vendor/mermaid/mermaid.min.js")]
    assert studio.bodies("/diagram")[0] == {
        "department": "retail",
        "name": "workflows/retail/desk.yaml",
        "text": page.locator("#workflow-text").input_value(),
    }
    screenshot("1-drawn")

    last = doc_line(page, "workflow-text", 12)
    last.click()
    page.keyboard.press("End")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")  # dest: shiped: the diagram endpoint answers null
    expect(diagram).to_have_attribute("data-state", "stale")
    expect(diagram.locator(".studio-notice")).to_have_text(
        "The text does not parse for now: this is the last diagram drawn."
    )
    expect(triggers).to_have_text(["pay", "ship"])
    screenshot("2-stale")

    last.locator(".cm-lintRange-error").hover()
    editor(page, "workflow-text").locator(".cm-diagnosticAction").click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("- {trigger: return, source: shipped, dest: paid}")
    expect(triggers).to_have_text(["pay", "ship", "return"])
    expect(diagram).to_have_attribute("data-state", "current")
    expect(diagram.locator(".studio-notice")).to_be_hidden()
    expect(drawing).to_have_count(1)
    assert len(mermaid) == 1  # loaded once
    screenshot("3-redrawn")


def test_a_diagram_that_cannot_be_had_leaves_the_last_one_and_says_why(
    page: Page, diagram_studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    page.goto(diagram_studio("/pages/diagram.html"))
    diagram = page.locator(".studio-diagram")
    triggers = diagram.locator(".studio-content > svg .edgeLabel .edgeLabel")
    expect(triggers).to_have_text(["pay", "ship"])
    notice = diagram.locator(".studio-notice")

    doc_line(page, "workflow-text", 1).click()
    page.keyboard.press("End")
    page.keyboard.type("  # BOOM")  # the diagram's address fails
    expect(diagram).to_have_attribute("data-state", "failed")
    expect(notice).to_have_text("The diagram was not updated: the server failed (HTTP 500).")
    expect(triggers).to_have_text(["pay", "ship"])
    screenshot("1-failed")

    for _ in "BOOM":
        page.keyboard.press("Backspace")
    page.keyboard.type("GARBLE")  # an answer Mermaid cannot draw
    expect(notice).to_contain_text("The diagram was not updated: ")
    expect(notice).not_to_contain_text("HTTP 500")
    expect(diagram).to_have_attribute("data-state", "failed")
    expect(triggers).to_have_text(["pay", "ship"])
    expect(page.locator("body > :not(form, .studio-diagram)")).to_have_count(0)  # no error picture left

    for _ in "GARBLE":
        page.keyboard.press("Backspace")
    expect(diagram).to_have_attribute("data-state", "current")
    expect(notice).to_be_hidden()


def test_mermaid_needs_inline_styles_under_the_apps_policy(browser: Browser, studio: Studio) -> None:
    """Why MERMAID_STYLES: under the app's policy alone, Mermaid's drawing is refused its styles."""
    context = browser.new_context()
    try:
        context.add_init_script(
            """window.refused = new Set();
            document.addEventListener("securitypolicyviolation", (event) => {
                window.refused.add(event.violatedDirective);
            });"""
        )
        page = context.new_page()
        page.goto(studio("/pages/diagram.html"))
        expect(page.locator(".studio-diagram svg")).to_have_count(1)
        page.wait_for_function("() => window.refused.size >= 2")
        assert sorted(page.evaluate("() => [...window.refused]")) == ["style-src-attr", "style-src-elem"]
    finally:
        context.close()


def test_chinese_words_and_a_server_that_cannot_check(page: Page, studio: Studio) -> None:
    page.goto(studio("/pages/zh.html"))
    count = page.locator("#studio-problem-count")
    expect(count).to_have_text("?")
    expect(count).to_have_attribute("data-state", "unknown")
    editor(page, "rules-text").locator(".cm-content").click()
    page.keyboard.press("F8")
    tooltip = editor(page, "rules-text").locator(".cm-tooltip-lint")
    expect(tooltip.locator(".cm-diagnostic-warning")).to_have_text(
        "文本未校验：登录已失效，请重新登录（先复制您的修改）。"
    )
    page.keyboard.press("Escape")
    page.keyboard.press("Control+f")  # CodeMirror's own words in Chinese too
    search = editor(page, "rules-text").locator(".cm-search")
    expect(search.locator("input[name=search]")).to_have_attribute("placeholder", "查找")
    expect(search.locator("button[name=close]")).to_have_attribute("aria-label", "关闭")


def test_a_chinese_page_explains_keys_in_chinese_and_labels_a_problems_code(
    page: Page, studio: Studio, screenshot: Callable[[str], Path]
) -> None:
    workflow = json.loads((SCHEMAS / "workflow.schema.json").read_text(encoding="utf-8"))["$defs"]["workflow"]
    initial, channels = workflow["properties"]["initial"], workflow["properties"]["channels"]
    with page.expect_response(lambda r: r.url.endswith("/schema/workflow.schema.json")):
        page.goto(studio("/pages/zh-workflow.html"))
    cm = editor(page, "workflow-text")
    expect(page.locator("#studio-problem-count")).to_have_text("1")

    doc_line(page, "workflow-text", 5).locator("span", has_text="initial").hover()
    hover = cm.locator(".cm6-json-schema-hover")
    expect(hover).to_contain_text(initial["x-description-zh"])
    expect(hover).not_to_contain_text(initial["description"])
    screenshot("1-hover-zh")
    page.mouse.move(0, 0)

    doc_line(page, "workflow-text", 3).click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("chan")
    page.keyboard.press("Control+Space")
    expect(cm.locator(".cm-tooltip-autocomplete li").filter(has_text="channels")).to_have_count(1)
    expect(cm.locator(".cm-completionInfo")).to_contain_text(channels["x-description-zh"])
    screenshot("2-completion-zh")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+z")
    # the undo is checked again by the server: hover once its answer is in, or the new diagnostics
    # close the tooltip while it is read (seen on a busy machine)
    page.wait_for_load_state("networkidle")

    marked = doc_line(page, "workflow-text", 12).locator(".cm-lintRange-error")
    expect(marked).to_have_text("shiped")
    marked.hover()
    tooltip = cm.locator(".cm-tooltip-lint")
    expect(tooltip.locator(".studio-problem-message")).to_have_text("Unknown state 'shiped'")
    expect(tooltip.locator(".studio-problem-code")).to_have_text("代码 unknown-state")
    expect(tooltip.locator(".cm-diagnosticSource")).to_have_count(0)
    expect(tooltip.locator(".cm-diagnosticAction")).to_have_text("改为 shipped")
    screenshot("3-problem-zh")
