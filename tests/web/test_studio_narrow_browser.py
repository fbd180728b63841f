"""Every page of the studio read on a phone, 390 px wide, in Debian's Chromium, in Chinese and English.

Over the shipped definitions and the demo (its logins, accounts and some of its orders, so the versions
page has running orders), with wholesale-order published twice from the studio (the record holds a long
note, the versions page a version to roll back to, compare and migrate from), a workflow draft (for the
revision page) and an after-sales rule draft that decides otherwise (for the replay's changes): the
index, the department page and its record, a file page of each kind (the workflow with its state
diagram, a form, a UI file, a rule file), a revision, the versions, the comparison, the migration's
plan, the rule console, the replay, the users, a user and the login page.

On none is the document wider than the window, and nothing a person reads or uses lies beyond the
window's edges, except inside a box made to scroll (a listing, the editor, the diagram, the form
preview). The state diagram's box is as wide as the screen, its drawing at least 300 px wide with no
label smaller than 11 px on the screen; where the drawing is larger than its box, the box scrolls, a
hint above it says so, and the box opens on the diagram's start. A screenshot of each page goes to
test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from demo.loader import DEMO_ACTORS, load_demo
from engine.api import Actor
from tests.web.conftest import (
    REPO_ROOT,
    LiveServer,
    log_in_page,
    make_app,
    serve,
    settings_for,
    with_demo_users,
)

WIDTH = 390
WORKFLOW = "workflows/wholesale/order.yaml"
ELIGIBILITY = "rules/after-sales/eligibility.yaml"
READABLE_PX = 11  # the smallest text of the diagram, as drawn on the screen
DIAGRAM_MIN_PX = 300
NOTE = "审批说明：大额订单由批发经理审批，总监只看超过五十万的订单，请各位销售在下单前与客户确认账期"

# What a person reads or uses and lies beyond the window's edges, outside the boxes made to scroll.
OUTSIDE = """() => {
  const limit = window.innerWidth + 0.5;
  const boxes = "pre, .cm-editor, .studio-diagram, .studio-preview";
  // The department page's table of files is laid out for narrow screens on its own (not here).
  const skipped = "#studio-files";
  // A table's header row kept for screen readers only, out of sight, where its rows read as cards.
  const readersOnly = (el) => {
    const head = el.closest("thead");
    return head !== null && getComputedStyle(head).position === "absolute";
  };
  const left = (el) => el.closest(boxes) || el.closest(skipped) || el.closest("[hidden]") || readersOnly(el);
  const found = [];
  const seen = "a, button, input, select, textarea, th, td, h1, h2, h3, p, li, dt, dd, label, summary";
  for (const el of document.querySelectorAll("main :is(" + seen + ")")) {
    const r = el.getBoundingClientRect();
    if (left(el) || (r.width === 0 && r.height === 0)) continue;
    if (r.right > limit || r.left < -0.5) {
      const text = (el.textContent || "").trim().slice(0, 30);
      const at = `${Math.round(r.left)}..${Math.round(r.right)}`;
      found.push(`<${el.tagName.toLowerCase()} id=${el.id}> "${text}" ${at}`);
    }
  }
  // Text running out of its element (a long name that does not break) is not in the element's box.
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || left(node.parentElement)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const r = range.getBoundingClientRect();
    const text = node.textContent.trim().slice(0, 30);
    if (r.right > limit) found.push(`text "${text}" ..${Math.round(r.right)}`);
  }
  return found;
}"""

# The diagram: its drawing's width and its smallest label on the screen; its box's edges, whether the
# box cuts off what it does not scroll to, and whether the diagram's start is in sight in the box.
DIAGRAM = """() => {
  const div = document.querySelector("#studio-diagram .studio-content");
  const svg = div.querySelector("svg");
  const drawing = svg.getBoundingClientRect();
  const frame = div.getBoundingClientRect();
  const view = svg.viewBox && svg.viewBox.baseVal;
  const scale = view && view.width ? drawing.width / view.width : 1;
  let smallest = Infinity;
  for (const el of svg.querySelectorAll(".nodeLabel, .edgeLabel span, text")) {
    if (!(el.textContent || "").trim()) continue;
    smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize) * scale);
  }
  const scrolls = ["auto", "scroll"].includes(getComputedStyle(div).overflowX);
  const start = svg.querySelector("g[id*='root_start']").getBoundingClientRect();
  return {
    width: drawing.width, left: frame.left, right: frame.right, smallest: smallest,
    cut: div.scrollWidth > div.clientWidth && !scrolls, wider: drawing.width > frame.width,
    start: start.left >= frame.left && start.right <= frame.right,
  };
}"""


def actor(name: str) -> Actor:
    return next(u for u in DEMO_ACTORS if u.name == name).actor


def save(services: Any, department: str, path: str, text: str, who: str) -> int:
    """Save ``text`` as the draft of ``path``; its revision."""
    seen = services.studio.file(department, path).revision
    revision: int = services.studio.save(department, path, text, seen, actor(who)).revision
    return revision


# One app for the module: its tests only read its pages (in Chinese, in English), and making it (the
# demo's orders, two publishes, the drafts) costs as much as reading every page once.
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, demo_users_database: Path) -> Iterator[LiveServer]:
    tmp_path = tmp_path_factory.mktemp("studio-narrow")
    with_demo_users(tmp_path, demo_users_database)
    app = make_app(settings_for(tmp_path, REPO_ROOT, "studio-narrow-browser"))
    services = app.extensions["orderloom"]
    load_demo(services.engine, services.store, REPO_ROOT, orders=40)
    original = (REPO_ROOT / WORKFLOW).read_text(encoding="utf-8")
    relabelled = original.replace("{zh: 已接单, en: Received}", "{zh: 已接单（待读取账户）, en: Received}")
    revision = save(services, "wholesale", WORKFLOW, relabelled, "xu.jie")
    services.studio.publish("wholesale", WORKFLOW, revision, NOTE, actor("xu.jie"))
    save(services, "wholesale", WORKFLOW, original + "# 草稿\n", "xu.jie")
    app.config["REVISION"] = services.studio.file("wholesale", WORKFLOW).history[0].id
    # Every return after delivery refused: the replay has orders that would go another way to list.
    rules = (REPO_ROOT / ELIGIBILITY).read_text(encoding="utf-8")
    window = 'days_since(order.delivered_at) > 7 and order.reason_code != "quality"'
    assert window in rules
    save(
        services,
        "after_sales",
        ELIGIBILITY,
        rules.replace(window, "days_since(order.delivered_at) > 0"),
        "admin",
    )
    yield from serve(app)


def pages(server: LiveServer) -> list[tuple[str, str, str]]:
    """(label, who, path) of every studio page, then the login page."""
    revision = server.app.config["REVISION"]
    versions = "/studio/wholesale/workflows/wholesale-order"
    wholesale = [
        ("index", "/studio/"),
        ("department", "/studio/wholesale/"),
        ("workflow-file", f"/studio/wholesale/files/{WORKFLOW}"),
        ("form-file", "/studio/wholesale/files/forms/wholesale/order.json"),
        ("ui-file", "/studio/wholesale/files/forms/wholesale/intake-phone.ui.json"),
        ("rules-file", "/studio/wholesale/files/rules/wholesale/approval.yaml"),
        ("revision", f"/studio/wholesale/revisions/{revision}/{WORKFLOW}"),
        ("versions", versions),
        ("compare", f"{versions}/compare?old=1&new=2"),
        ("migrate", f"{versions}/migrate?to=2&from=1"),
        ("console", "/studio/wholesale/rules/rules/wholesale/approval.yaml"),
        ("users", "/studio/wholesale/users"),
        ("user", "/studio/wholesale/users/chen.jing"),
    ]
    return [
        *((label, "xu.jie", path) for label, path in wholesale),
        ("replay", "admin", f"/studio/after_sales/replay/{ELIGIBILITY}"),
        ("login", "", "/login"),
    ]


def diagram_problems(page: Page) -> list[str]:
    expect(page.locator("#studio-diagram svg")).to_be_visible()
    drawn = page.evaluate(DIAGRAM)
    found = []
    if drawn["width"] < DIAGRAM_MIN_PX:
        found.append(f"the diagram is drawn {drawn['width']:.0f} px wide")
    if drawn["smallest"] < READABLE_PX:
        found.append(f"the diagram's smallest text is {drawn['smallest']:.1f} px on the screen")
    if drawn["left"] < 0 or drawn["right"] > WIDTH:
        found.append(f"the diagram's box spans {drawn['left']:.0f}..{drawn['right']:.0f} px")
    if drawn["cut"]:
        found.append("the diagram is cut off by a box that does not scroll")
    if drawn["wider"] and not page.locator("#studio-diagram-hint").is_visible():
        found.append("the diagram scrolls in its box and no hint says so")
    if not drawn["start"]:
        found.append("the diagram's box does not show where the diagram starts")
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_studio_page_reads_at_390_px(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path], lang: str
) -> None:
    page.set_viewport_size({"width": WIDTH, "height": 844})
    who = None
    problems: list[str] = []
    for label, name, path in pages(server):
        if name != who:
            page.context.clear_cookies()
            if name:
                log_in_page(page, server, name, f"{name}-demo")
            who = name
        answer = page.goto(server(f"{path}{'&' if '?' in path else '?'}lang={lang}"))
        assert answer is not None and answer.status == 200, (label, path)
        if label == "workflow-file":
            problems.extend(f"{label}: {found}" for found in diagram_problems(page))
        page.wait_for_load_state("networkidle")
        screenshot(f"{label}-{lang}")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > WIDTH:
            problems.append(f"{label}: the page is {width} px wide")
        problems.extend(f"{label}: {outside}" for outside in page.evaluate(OUTSIDE))
    assert not problems, "\n".join(problems)
