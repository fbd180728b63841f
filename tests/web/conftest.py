"""Real-browser fixtures: the Flask app on a real socket and Debian's Chromium driven by Playwright.

``live_server`` serves a fresh app (its own migrated SQLite file) from a background thread on 127.0.0.1
and a port the system picks. ``browser`` is one Chromium per test module, always ``/usr/bin/chromium`` from
the distribution's package (``scripts/test-deps.sh``, run by ``make test``, installs it with a CJK font);
Playwright never downloads a browser here, and a missing Chromium fails the test instead of skipping it.
``page`` is a fresh browser context per test; when the test ends its final page is saved as
``test-artifacts/screenshots/<test name>.png``, passed or failed, and any Content-Security-Policy
violation seen on any of its pages fails the test (``csp_violations``). ``screenshot(label)`` saves a step
on the way as ``<test name>--<label>.png``.

Every page but ``/login`` and ``/healthz`` needs a login, and every POST a CSRF token. ``make_app``
builds a migrated app with the user ``tester`` (every department; ``TESTER_ROLES``);
``log_in(client)`` logs a test client in through the login form and keeps the page's CSRF token, which
the client (:class:`LoggedInClient`) then sends as ``X-CSRFToken`` with every POST, as htmx does;
``logged_in_client`` is such a client over the test definitions. Browser tests log in with
``log_in_page(page, server)``.
"""

from __future__ import annotations

import atexit
import functools
import os
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import TestResponse

from demo.loader import ensure_demo_users
from engine.clock import Clock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from engine.store import Store, tables
from web.app import create_app
from web.users import create_user
from wiring.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright must never fetch a browser of its own: the machine and CI reach no browser download host.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).resolve().parent / "defs"
DESK_CLERK = Actor("wang.fang", frozenset({"clerk"}), frozenset({"desk"}))


def publish_desk_orders(engine: Engine) -> None:
    """The test definitions' desk order published, with three orders of 10, 20 and 30 yuan waiting."""
    engine.publish(load_bundle(DEFS / "workflows" / "desk.yaml", DEFS))
    for total in (10, 20, 30):
        engine.create_order(
            DESK_CLERK,
            department="desk",
            workflow="desk-order",
            channel="phone",
            data={"customer": "李娜", "total": total},
        )


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()

TESTER = "tester"
TESTER_PASSWORD = "tester-password"
TESTER_ROLES = ("admin", "clerk")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class LoggedInClient(FlaskClient):
    """A test client that sends the CSRF token of its session with every request but GET and HEAD (as
    the pages' forms and htmx do); ``csrf_token`` is None until :func:`log_in` sets it."""

    csrf_token: str | None = None

    def open(self, *args: object, **kwargs: object) -> TestResponse:  # type: ignore[override]
        method = str(kwargs.get("method", "GET")).upper()
        if self.csrf_token and method not in ("GET", "HEAD"):
            headers = dict(kwargs.get("headers") or {})  # type: ignore[call-overload]
            headers.setdefault("X-CSRFToken", self.csrf_token)
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)  # type: ignore[arg-type]


def add_user(
    app: Flask,
    name: str = TESTER,
    password: str = TESTER_PASSWORD,
    roles: tuple[str, ...] = TESTER_ROLES,
    departments: tuple[str, ...] = ("*",),
    display_name: str | None = None,
) -> None:
    create_user(
        app.extensions["orderloom"].store,
        name=name,
        password=password,
        roles=roles,
        departments=departments,
        at=datetime.now(UTC),
        display_name=display_name,
    )


def settings_for(tmp_path: Path, root: Path, secret_key: str) -> Settings:
    """Settings over a fresh SQLite file under ``tmp_path`` and the definitions under ``root``."""
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=root,
        secret_key=secret_key,
    )


def copy_database(source: Path, target: Path) -> None:
    """``target`` made a copy of the SQLite database ``source`` (SQLite's backup: every page as
    committed, whatever its journal holds)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        original.backup(copy)
    finally:
        copy.close()
        original.close()


@functools.cache
def _migrated_database() -> Path:
    """A migrated SQLite database holding the user ``tester``, made once per test process: ``make_app``
    starts each new app's database as a copy of it. Running the migrations and hashing the password
    (argon2) cost more than the rest of making an app, and every web test makes one."""
    folder = Path(tempfile.mkdtemp(prefix="orderloom-web-tests-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "orderloom.db"
    store = Store(f"sqlite:///{path}")
    try:
        store.upgrade()
        create_user(
            store,
            name=TESTER,
            password=TESTER_PASSWORD,
            roles=TESTER_ROLES,
            departments=("*",),
            at=datetime.now(UTC),
        )
    finally:
        store.dispose()
    return path


def _new_sqlite_file(url: str) -> Path | None:
    """The file a ``sqlite:///`` URL names when it does not exist yet; None for anything else."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    path = Path(url.removeprefix(prefix))
    return path if path.is_absolute() and not path.exists() else None


def make_app(settings: Settings, clock: Clock | None = None) -> Flask:
    """The app over a migrated database, with the user ``tester``; its test clients are LoggedInClients.
    ``clock``: the app's (the system's by default). A SQLite file not made yet starts as a copy of one
    migrated and holding ``tester`` (made once per test process); any other database is migrated and
    given ``tester`` here."""
    fresh = _new_sqlite_file(settings.database_url)
    if fresh is not None:
        copy_database(_migrated_database(), fresh)
    app = create_app(settings, {"TESTING": True}, clock)
    app.test_client_class = LoggedInClient
    app.extensions["orderloom"].store.upgrade()  # nothing left to do on a copy
    if fresh is None:
        add_user(app)
    return app


# The stock the retail orders of the web tests are taken from (sku, warehouse, on hand).
RETAIL_STOCK = (("TEA-01", "SH-01", 50), ("CUP-02", "SH-01", 80))


def retail_app(
    tmp_path: Path,
    secret_key: str,
    clock: Clock | None = None,
    stock: Sequence[tuple[str, str, int]] = RETAIL_STOCK,
    database_url: str | None = None,
) -> Flask:
    """``make_app`` over the shipped definitions with the retail workflow published and ``stock`` on
    hand: what the clerk's pages are tried on (on ``database_url``, PostgreSQL's, when given)."""
    settings = settings_for(tmp_path, REPO_ROOT, secret_key)
    if database_url is not None:
        settings = replace(settings, database_url=database_url)
    app = make_app(settings, clock)
    services = app.extensions["orderloom"]
    services.engine.publish(load_bundle(REPO_ROOT / "workflows" / "retail" / "order.yaml", REPO_ROOT))
    with services.store.engine.begin() as connection:
        rows = [{"sku": sku, "warehouse": w, "on_hand": n, "reserved": 0} for sku, w, n in stock]
        connection.execute(insert(tables.stock), rows)
    return app


@pytest.fixture(scope="session")
def demo_users_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database holding the demo logins alone (``ensure_demo_users``), made once per
    test process: their argon2 hashes cost a quarter of a second each, some four seconds a test when
    each test's app stored them anew. ``with_demo_users`` starts a test's database from it."""
    path = tmp_path_factory.mktemp("demo-users") / "orderloom.db"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    ensure_demo_users(store, datetime.now(UTC))
    store.dispose()
    return path


def with_demo_users(tmp_path: Path, demo_users_database: Path) -> None:
    """Start the database that ``settings_for(tmp_path, …)`` names as a copy of ``demo_users_database``
    (SQLite's backup: every page as committed), so the app made over it next has the demo logins."""
    copy_database(demo_users_database, tmp_path / "var" / "orderloom.db")


def demo_app(tmp_path: Path, demo_users_database: Path, secret_key: str) -> Flask:
    """The app over the shipped definitions with the demo's logins and what ``load_demo`` sets up but
    its orders: the workflows published (by the administrator), the stock, the accounts, the lists."""
    from demo.loader import load_demo

    with_demo_users(tmp_path, demo_users_database)
    app = make_app(settings_for(tmp_path, REPO_ROOT, secret_key))
    services = app.extensions["orderloom"]
    load_demo(services.engine, services.store, REPO_ROOT, orders=0)
    return app


def demo_app_open(tmp_path: Path, demo_users_database: Path, secret_key: str) -> Iterator[Flask]:
    """:func:`demo_app` for a fixture to yield from: its services closed when the test is done."""
    app = demo_app(tmp_path, demo_users_database, secret_key)
    try:
        yield app
    finally:
        app.extensions["orderloom"].close()


def retail_studio_app(tmp_path: Path, secret_key: str) -> Flask:
    """The app over the shipped definitions with the retail order workflow published and ``ma.li``
    (password ``ma-li-password``) an admin of retail: what the studio's console pages start from."""
    app = make_app(settings_for(tmp_path, REPO_ROOT, secret_key))
    services = app.extensions["orderloom"]
    services.engine.publish(
        load_bundle(
            REPO_ROOT / "workflows/retail/order.yaml", REPO_ROOT, action_names=services.registry.action_names
        )
    )
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    return app


# A retail order as an admin pastes it into the rule console: over the audit's 5,000 limit.
PASTED_ORDER = """order:
  customer: {name: 张伟, mobile: '13812345678'}
  address: {province: 上海市, detail: 世纪大道1198号3栋}
  lines: [{sku: XM-BAND8, qty: 2, unit_price: 3000, amount: 6000}]
  shipping_fee: 0
  discount: 0
  total: 6000
  paid_amount: 6000
"""


def csrf_token_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page carries no CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, name: str = TESTER, password: str = TESTER_PASSWORD) -> FlaskClient:
    """Log ``client`` in through the login form; afterwards it sends the new session's CSRF token."""
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)  # the session was renewed at login: so was the token
    if isinstance(client, LoggedInClient):
        client.csrf_token = csrf_token_of(page)
    return client


@pytest.fixture
def logged_in_client(tmp_path: Path) -> Iterator[FlaskClient]:
    """A client logged in as ``tester`` (every department) over the test definitions."""
    app = make_app(settings_for(tmp_path, DEFS, "test"))
    yield log_in(app.test_client())
    app.extensions["orderloom"].close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian's Chromium through Playwright")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Keep each phase's report on the test, so ``page`` knows at teardown whether the test failed."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    url: str  # http://127.0.0.1:<port>, no trailing slash

    def __call__(self, path: str = "/") -> str:
        return f"{self.url}{path}"


def serve(app: Flask) -> Iterator[LiveServer]:
    """``app`` on a real socket (127.0.0.1, a port the system picks) from a background thread, until the
    generator is closed; then the server stops and the app's services are closed."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        app.extensions["orderloom"].close()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app on a real socket: a fresh, migrated SQLite database with the test definitions."""
    yield from serve(make_app(settings_for(tmp_path, DEFS, "browser-tests")))


# Per module, not per session: while Playwright's sync API is running, its event loop counts as the
# running loop of the main thread, and any later test calling asyncio.run() would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} was not found: run `make test` or `bash scripts/test-deps.sh` (it installs "
            "Debian's chromium package); the browser tests never download a browser",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("_")


def _screenshot_name(node: pytest.Item, label: str | None = None) -> Path:
    name = _safe(node.name) if label is None else f"{_safe(node.name)}--{_safe(label)}"
    return SCREENSHOTS / f"{name}.png"


# Reports every Content-Security-Policy violation of every document the context opens to the test.
_WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__orderloomCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
      `at ${event.sourceFile}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    """What the browser refused under the app's Content-Security-Policy in this test (``page`` fills it:
    the pages' ``securitypolicyviolation`` events and the console's CSP errors)."""
    return []


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, csp_violations: list[str]) -> Iterator[Page]:
    """A page in its own browser context; its final state is saved as a screenshot, pass or fail. Any
    Content-Security-Policy violation on any page of the test fails it at teardown."""
    from playwright.sync_api import ConsoleMessage
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    context.expose_function("__orderloomCspViolation", lambda text: csp_violations.append(str(text)))
    context.add_init_script(_WATCH_CSP)

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            csp_violations.append(message.text)

    context.on("console", console)
    page = context.new_page()
    try:
        yield page
    finally:
        path = _screenshot_name(request.node)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
        except PlaywrightError as error:
            print(f"screenshot of the final page failed: {error}")
        else:
            call = request.node.stash.get(_reports, {}).get("call")
            if call is not None and call.failed:
                print(f"final page of the failed test: {path}")
        context.close()
    if csp_violations:
        pytest.fail("the Content-Security-Policy refused:\n" + "\n".join(csp_violations), pytrace=False)


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``screenshot("step")`` saves the page now as ``<test name>--step.png`` and returns the path."""

    def take(label: str) -> Path:
        path = _screenshot_name(request.node, label)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sideways(page: Page) -> int:
    """How far the page scrolls sideways (0: not at all)."""
    return int(
        page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def on_a_phone(page: Page, server: LiveServer, name: str, password: str, path: str) -> Iterator[str]:
    """``path`` read at 390 px by the login ``name``, in zh then in en: each language as its page is
    open."""
    page.set_viewport_size({"width": 390, "height": 800})
    log_in_page(page, server, name, password)
    for lang in ("zh", "en"):
        page.goto(server(f"{path}?lang={lang}"))
        yield lang


def log_in_page(page: Page, server: LiveServer, name: str = TESTER, password: str = TESTER_PASSWORD) -> None:
    """Log the browser in through the login page, as a person does."""
    page.goto(server("/login"))
    page.fill("#login-name", name)
    page.fill("#login-password", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/login" not in url)


def go_to_line(page: Page, number: int, text: str) -> None:
    """Put the cursor at the start of line ``number`` of the studio's editor, with the keys a person
    uses, and check that line reads ``text``. CodeMirror draws only the lines near its scrolled view,
    so a line further down has no element to click until the cursor brings it into view."""
    from playwright.sync_api import expect

    page.locator("#studio-text + .studio-editor .cm-content").focus()
    page.keyboard.press("Control+Home")
    for _ in range(number - 1):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#studio-text + .studio-editor .cm-activeLine")).to_have_text(text)


def fill_line(page: Page, index: int, sku: str, name: str, qty: str, price: str) -> None:
    """Fill order line ``index`` of a retail intake form in the browser."""
    page.select_option(f"#f-lines-{index}-sku", sku)
    page.fill(f"#f-lines-{index}-name", name)
    page.fill(f"#f-lines-{index}-qty", qty)
    page.fill(f"#f-lines-{index}-unit_price", price)
