"""Real-browser fixtures: the Flask app on a real socket and Debian's Chromium driven by Playwright.

``live_server`` serves a fresh app (its own migrated SQLite file) from a background thread on 127.0.0.1
and a port the system picks. ``browser`` is one Chromium per test module, always ``/usr/bin/chromium`` from
the distribution's package (``scripts/test-deps.sh``, run by ``make test``, installs it with a CJK font);
Playwright never downloads a browser here, and a missing Chromium fails the test instead of skipping it.
``page`` is a fresh browser context per test; when the test ends its final page is saved as
``test-artifacts/screenshots/<test name>.png``, passed or failed. ``screenshot(label)`` saves a step
on the way as ``<test name>--<label>.png``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from web.app import create_app
from web.settings import Settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# Playwright must never fetch a browser of its own: the machine and CI reach no browser download host.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFS = Path(__file__).resolve().parent / "defs"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


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


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The real app on a real socket: a fresh, migrated SQLite database with the test definitions."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}",
        definitions_root=DEFS,
        secret_key="browser-tests",
    )
    app = create_app(settings, {"TESTING": True})
    services = app.extensions["orderloom"]
    services.store.upgrade()
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        services.close()


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


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in its own browser context; its final state is saved as a screenshot, pass or fail."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
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


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``screenshot("step")`` saves the page now as ``<test name>--step.png`` and returns the path."""

    def take(label: str) -> Path:
        path = _screenshot_name(request.node, label)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
