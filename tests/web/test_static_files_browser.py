"""The studio's workflow page in Debian's Chromium, its scripts sent precompressed (web/static_files.py):
Mermaid and the editor arrive compressed, a fraction of their size, are decoded by the browser and draw
the diagram, under the page's strict Content-Security-Policy (no violation reported)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from tests.web.conftest import REPO_ROOT, LiveServer, add_user, log_in_page, make_app, serve, settings_for

VENDOR = REPO_ROOT / "web" / "static" / "vendor"
PAGE = "/studio/retail/files/workflows/retail/order.yaml?lang=zh"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    app = make_app(settings_for(tmp_path, REPO_ROOT, "static-files-browser"))
    add_user(app, "ma.li", "ma-li-password", ("admin",), ("retail",))
    yield from serve(app)


def test_the_workflow_page_draws_its_diagram_from_compressed_scripts(
    page: Page, server: LiveServer, csp_violations: list[str]
) -> None:
    log_in_page(page, server, "ma.li", "ma-li-password")
    finished: list[Request] = []
    page.on(
        "requestfinished", lambda request: finished.append(request) if "/vendor/" in request.url else None
    )
    page.goto(server(PAGE))
    expect(page.locator(".studio-diagram svg")).to_be_visible(timeout=60_000)
    expect(page.locator(".studio-diagram svg")).to_contain_text("待支付")
    sent = {request.url.rsplit("/vendor/", 1)[1]: request for request in finished}
    for name in ("mermaid/mermaid.min.js", "codemirror/studio-editor.js"):
        response = sent[name].response()
        assert response is not None
        encoding = response.headers.get("content-encoding")
        assert encoding in {"br", "gzip"}, (name, encoding)
        received = sent[name].sizes()["responseBodySize"]
        assert received == (VENDOR / f"{name}.{'br' if encoding == 'br' else 'gz'}").stat().st_size
        assert received < (VENDOR / name).stat().st_size / 3
    assert csp_violations == []
