"""What a workflow's page in the studio costs before its state diagram is drawn: the bytes of Mermaid
sent over the wire, and the time from asking for the page to the drawing, in Chromium.

The app over the shipped definitions and a fresh SQLite file (in a temporary directory) on a real socket,
the admin ``ma.li`` of every department logged in through the login page; then the page of
``workflows/retail/order.yaml`` opened ``--repeat`` times in a fresh browser context each (nothing
cached), until its ``.studio-diagram svg`` is there. Two ways side by side, in the same run:

- ``plain`` (the baseline: how the app sent it before): the browser asks for no compression
  (``Accept-Encoding: identity``), so Mermaid comes as its 5.76 MB;
- ``compressed``: the browser's own ``Accept-Encoding`` (Chromium asks for Brotli over HTTPS and from
  localhost, gzip otherwise), which the app answers with the precompressed copy (web/static_files.py).

The link is shaped with Chromium's network emulation, ``--mbps`` down (default 20 Mbit/s, an office
line) and ``--latency`` ms; ``--mbps 0`` leaves it unshaped (localhost). Chromium is Debian's
``/usr/bin/chromium``, driven by Playwright. Prints exactly one JSON line: per way, the bytes of Mermaid
received (encoded, as sent) and the median time to the drawing in ms.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import threading
import time

from admin_app import ADMIN, PASSWORD, admin_app
from playwright.sync_api import Browser, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
PAGE = "/studio/retail/files/workflows/retail/order.yaml"


def load(browser: Browser, url: str, *, plain: bool, mbps: float, latency: float) -> tuple[int, float]:
    """One load of the page in a fresh context: (Mermaid's bytes as received, ms to the drawing)."""
    context = browser.new_context(extra_http_headers={"Accept-Encoding": "identity"} if plain else {})
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=name]", ADMIN)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if mbps > 0:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send(
            "Network.emulateNetworkConditions",
            {
                "offline": False,
                "latency": latency,
                "downloadThroughput": mbps * 1_000_000 / 8,
                "uploadThroughput": mbps * 1_000_000 / 8,
            },
        )
    received: list[int] = []
    page.on(
        "requestfinished",
        lambda request: (
            received.append(request.sizes()["responseBodySize"]) if "mermaid" in request.url else None
        ),
    )
    started = time.perf_counter()
    page.goto(f"{url}{PAGE}")
    page.wait_for_selector(".studio-diagram svg", timeout=120_000)
    elapsed = (time.perf_counter() - started) * 1000
    page.wait_for_timeout(200)  # the finished request's sizes arrive after the drawing
    context.close()
    return (received[0] if received else -1), elapsed


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one JSON line, not a request log
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="page loads per way")
    parser.add_argument("--mbps", type=float, default=20.0, help="download speed of the shaped link; 0: none")
    parser.add_argument("--latency", type=float, default=20.0, help="round-trip latency of the link, ms")
    args = parser.parse_args()
    with admin_app("diagram") as app:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}"
        figures: dict[str, dict[str, float]] = {}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                load(browser, url, plain=False, mbps=0, latency=0)  # warms the app's caches
                for way in ("plain", "compressed"):
                    runs = [
                        load(browser, url, plain=way == "plain", mbps=args.mbps, latency=args.latency)
                        for _ in range(args.repeat)
                    ]
                    figures[way] = {
                        "mermaid_bytes": runs[-1][0],
                        "to_drawing_ms": round(statistics.median(ms for _, ms in runs), 1),
                    }
                browser.close()
        finally:
            server.shutdown()
    print(
        json.dumps(
            {
                "bench": "diagram",
                "repeat": args.repeat,
                "mbps": args.mbps,
                "latency_ms": args.latency,
                **{f"{way}_{name}": value for way, found in figures.items() for name, value in found.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
