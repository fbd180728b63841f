"""A day of the clerks' workspace told as one story, in Debian's Chromium, every person on a phone (390 px),
over the shipped departments with the demo's stock, accounts and logins; screenshots of each step under
test-artifacts/screenshots/ (``test_a_day_of_the_clerks_workspace--*.png``).

Retail: a clerk finds an order by the last 4 digits of its customer's mobile and reads why it is held
(the audit's rule and the values it compared); the reviewer approves three held orders in one batch with
the keyboard alone. Wholesale: finance and the sales director both sign an order above the higher limit;
a sales manager transfers a task to the director; a timeout returns an order of the approval fixture
workflow (its board review returns after 2 days) to its draft. Then every clerk page each of them can
reach from "my work" by following links is drawn at 390 px: none scrolls sideways, nothing a person reads
lies past the edge. And a clerk of each department finds nothing of the other's orders.

The app's clock is frozen, so the approval's deadline passes when the story says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from engine.clock import FrozenClock
from engine.runtime import Engine
from tests.test_departments import RETAIL, SALES, pay, retail_data, wholesale_data
from tests.web.conftest import LiveServer, log_in_page, serve, sideways
from tests.web.test_approvals_browser import FRIDGES, People, act, approvals_app, panel_fits
from tests.web.test_studio_narrow_browser import OUTSIDE

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

# Four retail orders over the audit's 5,000 yuan: paid, so the audit holds them for review.
BANDS = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 22, "unit_price": 239, "amount": 5258}
CUSTOMERS = (
    ("王芳", "13800001111"),
    ("李雷", "13800002222"),
    ("赵敏", "13800003333"),
    ("张伟", "13912345678"),
)
WHOLESALE_CONTACT = {"name": "陈静", "mobile": "13900004321"}

# Pages a clerk is never sent to from their own pages, or that end the session.
NOT_CLERK_PAGES = re.compile(r"^/(logout|studio|static|login)(/|$)")
DIGITS = re.compile(r"\d+")
PAGES_PER_PERSON = 14


@pytest.fixture
def app(tmp_path: Path, demo_users_database: Path) -> Flask:
    return approvals_app(tmp_path, demo_users_database, "clerk-story-browser-tests")


@pytest.fixture
def server(app: Flask) -> Iterator[LiveServer]:
    yield from serve(app)


@pytest.fixture
def people(browser: Browser, server: LiveServer) -> Iterator[People]:
    found = People(browser, server, "test_a_day_of_the_clerks_workspace")
    yield found
    found.close()


def clerk_links(page: Page, server: LiveServer) -> tuple[list[str], list[str]]:
    """The app's own pages this page links to (path and query), in the order they appear, and apart
    the files it offers to download (a link with a ``download`` attribute: no page to draw)."""
    hrefs: list[tuple[str, bool]] = page.evaluate(
        "() => [...document.querySelectorAll('a[href]')].map(a => [a.href, a.hasAttribute('download')])"
    )
    pages, downloads = [], []
    for href, download in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != server.url or NOT_CLERK_PAGES.match(parts.path):
            continue
        (downloads if download else pages).append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages, downloads


def downloads_a_csv(page: Page, server: LiveServer, path: str) -> str | None:
    """What is wrong with the file a download link gives, if anything: it must come as a CSV attachment."""
    response = page.request.get(server(path))
    kind, disposition = (
        response.headers.get("content-type", ""),
        response.headers.get("content-disposition", ""),
    )
    if (
        response.ok
        and kind.startswith("text/csv")
        and disposition.startswith("attachment")
        and response.body()
    ):
        return None
    return f"{path}: {response.status} {kind!r} {disposition!r}"


def walk_at_390(page: Page, server: LiveServer, person: str) -> list[str]:
    """Follow the links from "my work" breadth first, one page of each shape (an order's page stands for
    every order's), and say of each page that scrolls sideways or draws something past the edge. A
    download link is fetched, not drawn: it must give a CSV file."""
    problems: list[str] = []
    queue, shapes, fetched = ["/work?lang=zh"], set(), set()
    while queue and len(shapes) < PAGES_PER_PERSON:
        path = queue.pop(0)
        shape = DIGITS.sub("N", urlsplit(path).path)
        if shape in shapes:
            continue
        shapes.add(shape)
        response = page.goto(server(path))
        assert response is not None and response.ok, (
            f"{person}: {path} answered {response and response.status}"
        )
        if sideways(page) or page.evaluate(OUTSIDE):
            problems.append(f"{person} {path}: {sideways(page)} px sideways; {page.evaluate(OUTSIDE)}")
        pages, downloads = clerk_links(page, server)
        queue.extend(pages)
        for download in dict.fromkeys(downloads).keys() - fetched:
            fetched.add(download)
            wrong = downloads_a_csv(page, server, download)
            if wrong:
                problems.append(f"{person} {path} offers a download that is no CSV file: {wrong}")
    assert len(shapes) >= 4, f"{person} reached only {sorted(shapes)}"
    return problems


def test_a_day_of_the_clerks_workspace(app: Flask, server: LiveServer, people: People) -> None:
    engine: Engine = app.extensions["orderloom"].engine
    clock: FrozenClock = engine.clock  # type: ignore[assignment]
    held = []
    for name, mobile in CUSTOMERS:
        data = retail_data(customer={"name": name, "mobile": mobile}, lines=[BANDS], total=5258)
        order = engine.create_order(RETAIL, "retail", "retail-order", "web", data)
        pay(engine, order.id, 5258)
        held.append(order.id)
    assert {engine.get_order(n, RETAIL).state for n in held} == {"on_hold"}

    # A retail clerk finds 张伟's order by the last 4 digits of the mobile and reads why it is held.
    clerk = people("li.na")
    clerk.goto(server("/work?lang=zh"))
    clerk.get_by_label("搜索").fill("5678")
    clerk.get_by_label("搜索").press("Enter")
    clerk.wait_for_url(lambda url: "q=5678" in url)
    rows = clerk.locator("#order-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator("td.matched")).to_have_text("手机尾号 5678")
    people.shot("li.na", "1-found-by-the-last-4-digits")
    rows.get_by_role("link").first.click()
    clerk.wait_for_url(re.compile(rf"/orders/{held[3]}(\?|$)"))
    expect(clerk.locator("#order-state")).to_have_text("挂起待审")
    review = clerk.locator("#timeline > li").filter(has_text="审核 ·")
    expect(review).to_contain_text("挂起待审：订单金额超过5000元 — 5,258.00 > 5,000")
    expect(clerk.locator("main")).to_contain_text("13912345678")  # customer service reads it whole
    review.scroll_into_view_if_needed()
    people.shot("li.na", "2-why-it-is-held")

    # The reviewer approves three of the held orders in one batch, with the keyboard alone.
    reviewer = people("wang.qiang")
    reviewer.goto(server(f"/orders/{held[3]}?lang=zh"))
    expect(reviewer.locator("main")).to_contain_text("139****5678")  # a reviewer needs it not: masked
    expect(reviewer.locator("main")).not_to_contain_text("13912345678")
    reviewer.goto(server("/orders?workflow=retail-order&state=on_hold&sort=oldest&lang=zh"))
    expect(reviewer.locator("#order-list tbody tr")).to_have_count(4)
    reviewer.locator("body").click(position={"x": 1, "y": 1})  # nothing focused: the keys are the page's
    for _ in range(3):
        reviewer.keyboard.press("j")
        reviewer.keyboard.press("x")
    expect(reviewer.locator("#order-list input[data-key-select]:checked")).to_have_count(3)
    people.shot("wang.qiang", "3-three-selected")
    reviewer.keyboard.press("a")
    reviewer.wait_for_url(lambda url: "/orders/batch" in url)
    expect(reviewer.locator("#batch-taken li")).to_have_count(3)
    assert sideways(reviewer) == 0
    reviewer.keyboard.press("Enter")
    expect(reviewer.locator("#batch-summary")).to_contain_text("完成 3 个，未执行 0 个")
    assert sideways(reviewer) == 0
    people.shot("wang.qiang", "4-three-approved")
    states = [engine.get_order(n, RETAIL).state for n in held]
    assert states[3] == "on_hold" and "on_hold" not in states[:3], states

    # Wholesale, above the higher limit: finance and the sales director must both sign (会签).
    contact = WHOLESALE_CONTACT
    big = engine.create_order(
        SALES,
        "wholesale",
        "wholesale-order",
        "phone",
        wholesale_data(contact=contact, lines=[FRIDGES], total=158540),
    )
    assert big.state == "board_approval"
    finance = people("zhou.min")
    act(finance, server, big.id, "通过", "到账记录良好")
    expect(finance.locator("#approval-progress")).to_have_text("已通过 1/2")
    panel_fits(finance)
    director = people("gao.jun")
    act(director, server, big.id, "通过", "同意，注意发货期")
    expect(director.locator("#order-state")).to_have_text("待收款、分批发货中")
    people.shot("gao.jun", "5-both-signed")

    # A sales manager transfers the task of a smaller order to the director (转交), who approves it.
    medium_data = wholesale_data(
        contact=contact, lines=[{**FRIDGES, "qty": 20, "amount": 52780}], total=52980
    )
    medium = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", medium_data)
    assert medium.state == "pending_approval"
    manager = people("sun.li")
    act(manager, server, medium.id, "转交", "出差中，请总监处理", user="高军（销售总监）")
    expect(manager.locator("#approval")).to_contain_text("已转交")
    director.goto(server("/work?lang=zh"))
    expect(director.locator("#work-approvals-list")).to_contain_text(
        f"#{medium.id}"
    )  # on the director's list now
    act(director, server, medium.id, "通过", "可以")
    expect(director.locator("#order-state")).to_have_text("待收款、分批发货中")
    people.shot("gao.jun", "6-transferred-and-approved")

    # At 390 px, no page any of them reaches from "my work" scrolls sideways.
    problems: list[str] = []
    for person in ("li.na", "wang.qiang", "sun.li", "zhou.min", "gao.jun", "chen.jing"):
        problems.extend(walk_at_390(people(person), server, person))
    for person in ("li.na", "chen.jing"):  # and the pages a person starts from, in English
        long_search = "/orders?lang=zh&q=" + "RO2026" * 50  # a long query wraps, never widens the page
        for path in ("/?lang=en", "/work?lang=en", "/orders?lang=en", long_search):
            page = people(person)
            page.goto(server(path))
            if sideways(page) or page.evaluate(OUTSIDE):
                problems.append(f"{person} {path}: {sideways(page)} px sideways; {page.evaluate(OUTSIDE)}")
    assert not problems, "\n".join(problems)

    # A clerk of another department finds nothing of these orders, by search or by number.
    sales = people("chen.jing")
    sales.goto(server("/orders?q=5678&lang=zh"))
    expect(sales.locator("#order-list tbody tr")).to_have_count(0)
    assert sales.goto(server(f"/orders/{held[3]}")).status == 404  # type: ignore[union-attr]
    clerk.goto(server("/orders?q=4321&lang=zh"))
    expect(clerk.locator("#order-list tbody tr")).to_have_count(0)
    assert clerk.goto(server(f"/orders/{big.id}")).status == 404  # type: ignore[union-attr]
    people.shot("chen.jing", "8-nothing-of-the-other-department")

    # A timeout returns another order to its draft: nobody signed the board review within 2 days.
    draft = engine.create_order(
        SALES, "wholesale", "approval-order", data={"total": 800, "account_manager": "sun.li"}
    )
    engine.fire(draft.id, "submit", SALES)
    act(manager, server, draft.id, "通过", "经理同意")
    finance.goto(server(f"/orders/{draft.id}?lang=zh"))
    expect(finance.locator("#approval-deadline")).to_contain_text("还剩 2 天")
    clock.advance(days=2, seconds=1)
    assert engine.fire_due_timers("clerk-story").fired == 1
    log_in_page(finance, server, "zhou.min", "zhou.min-demo")  # two days later: a new session
    finance.goto(server(f"/orders/{draft.id}?lang=zh"))
    expect(finance.locator("#order-state")).to_have_text("草稿")
    expect(finance.locator("#timeline")).to_contain_text("超时")
    people.shot("zhou.min", "7-returned-by-the-timeout")
