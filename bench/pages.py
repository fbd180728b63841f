"""What one clerk's page costs the database: SQL statements, transactions and reads of the order, per page.

The app over the shipped definitions and a fresh SQLite file (in a temporary directory), the retail
order published, stock on the shelves, the clerk ``li.na`` logged in; then each page asked through
Flask's test client, once to warm the caches (compiled versions, statements), once measured:

- ``home``: ``GET /``, the workflows with their order counts;
- ``list``: ``GET /orders``, the newest orders;
- ``order``: ``GET /orders/<id>``, an order waiting for payment;
- ``step_form``: ``GET /orders/<id>/fire/pay``, the payment form;
- ``step_taken``: ``POST /orders/<id>/fire/pay``, the order paid (reviewed in the same step);
- ``new_form``: ``GET /orders/new/retail/retail-order/web``, the web intake form;
- ``new_taken``: ``POST`` of that page, an order created (routed and placed in the same step).

Every statement the driver runs is seen by ``sqlite3``'s trace callback on each connection (the store
runs its hot path on the driver's cursor, out of SQLAlchemy's sight): ``statements`` counts them but
``BEGIN``, ``COMMIT``, ``ROLLBACK``, savepoints and ``PRAGMA``; ``transactions`` counts the ``BEGIN`` s,
``writes`` those that were ``BEGIN IMMEDIATE`` (SQLite's write lock); ``order_reads`` the statements
that read one order's row by its id. The login's own session check (one read per request) is in the
figures, as a page pays for it. Prints exactly one JSON line on stdout; ``--show`` prints each page's
statements on stderr.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Measure the code of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import event, insert  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from engine.dsl.compiler import load_bundle  # noqa: E402
from engine.store import tables  # noqa: E402
from web.app import create_app  # noqa: E402
from web.users import create_user  # noqa: E402
from wiring.settings import Settings  # noqa: E402

NEW = "/orders/new/retail/retail-order/web"
STOCK = [("TEA-01", "SH-01", 10_000), ("CUP-02", "SH-01", 10_000)]
INTAKE = {
    "customer.name": "王芳",
    "customer.mobile": "13812345678",
    "address.province": "上海市",
    "address.city": "上海",
    "address.district": "浦东新区",
    "address.detail": "世纪大道100号",
    "lines": "",
    "lines[0].sku": "TEA-01",
    "lines[0].name": "龙井茶",
    "lines[0].qty": "2",
    "lines[0].unit_price": "88",
    "shipping_fee": "10",
    "discount": "0",
    "needs_invoice": "false",
}
PAID = {"method": "alipay", "amount": "186", "transaction_ref": "2026000001"}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="_key" value="([0-9a-f]+)"')
_LOCK = re.compile(r'name="_lock_version" value="(\d+)"')
_NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)
# One order's row read by its id (the order, never a list of them).
_ORDER_READ = re.compile(
    r"^\s*SELECT\b.*\bFROM orders\b.*\bWHERE\s+(orders\.)?id\s*=", re.IGNORECASE | re.DOTALL
)


@dataclass
class Trace:
    """The statements the driver ran while ``recording``, on any connection of this thread."""

    recording: bool = False
    thread: int | None = None
    statements: list[str] = field(default_factory=list)

    def seen(self, sql: str) -> None:
        if self.recording and threading.get_ident() == self.thread:
            self.statements.append(sql)

    @contextmanager
    def page(self) -> Iterator[list[str]]:
        self.statements = []
        self.thread, self.recording = threading.get_ident(), True
        try:
            yield self.statements
        finally:
            self.recording = False

    def listen(self) -> None:
        """Every connection the pools open from now on reports its statements here."""

        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            if isinstance(dbapi_connection, sqlite3.Connection):
                dbapi_connection.set_trace_callback(self.seen)

        event.listen(Pool, "connect", on_connect)


def figures(statements: list[str]) -> dict[str, int]:
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    return {
        "statements": sum(1 for s in statements if not _NOT_COUNTED.match(s)),
        "transactions": len(begins),
        "writes": sum(1 for s in begins if "IMMEDIATE" in s.upper()),
        "order_reads": sum(1 for s in statements if _ORDER_READ.match(s)),
    }


def _found(pattern: re.Pattern[str], page: str) -> str:
    match = pattern.search(page)
    if match is None:
        raise SystemExit(f"bench/pages.py: the page lacks {pattern.pattern!r}")
    return match.group(1)


def run(show: bool) -> dict[str, Any]:
    trace = Trace()
    trace.listen()
    with tempfile.TemporaryDirectory(prefix="orderloom-pages-") as folder:
        settings = Settings(
            database_url=f"sqlite:///{Path(folder) / 'var' / 'orderloom.db'}",
            definitions_root=REPO_ROOT,
            secret_key="bench-pages",  # noqa: S106 - a throw-away app in a temporary folder
        )
        app = create_app(settings, {"TESTING": True})
        services = app.extensions["orderloom"]
        try:
            services.store.upgrade()
            services.engine.publish(load_bundle(REPO_ROOT / "workflows" / "retail" / "order.yaml", REPO_ROOT))
            with services.store.engine.begin() as connection:
                rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in STOCK]
                connection.execute(insert(tables.stock), rows)
            create_user(
                services.store,
                name="li.na",
                password="li.na-bench",  # noqa: S106 - a throw-away user of that app
                roles=("clerk", "service"),
                departments=("retail",),
                at=datetime.now(UTC),
            )
            client = app.test_client()
            token = _found(_TOKEN, client.get("/login").get_data(as_text=True))
            login = {"name": "li.na", "password": "li.na-bench", "csrf_token": token}
            if client.post("/login", data=login).status_code != 302:
                raise SystemExit("bench/pages.py: the clerk could not log in")
            csrf = {"X-CSRFToken": _found(_TOKEN, client.get("/").get_data(as_text=True))}

            def check(response: Any, status: int, page: str) -> str:
                if response.status_code != status:
                    raise SystemExit(f"bench/pages.py: {page} answered {response.status_code}, not {status}")
                return str(response.get_data(as_text=True))

            def new_order(customer: str) -> int:
                key = _found(_KEY, check(client.get(NEW), 200, "the new-order page"))
                data = {**INTAKE, "_key": key, "customer.name": customer}  # not the same order again
                response = client.post(NEW, data=data, headers=csrf)
                check(response, 302, "the new order")
                return int(response.headers["Location"].rsplit("/", 1)[1])

            def pay(order_id: int) -> Any:
                page = check(client.get(f"/orders/{order_id}/fire/pay"), 200, "the pay page")
                data = {**PAID, "_lock_version": _found(_LOCK, page)}
                return client.post(f"/orders/{order_id}/fire/pay", data=data, headers=csrf)

            pay(new_order("张伟"))  # every page once: compiled versions and statements cached
            client.get("/")
            client.get("/orders")
            order_id = new_order("刘洋")
            client.get(f"/orders/{order_id}")
            lock = _found(_LOCK, check(client.get(f"/orders/{order_id}/fire/pay"), 200, "the pay page"))
            key = _found(_KEY, check(client.get(NEW), 200, "the new-order page"))

            measured: dict[str, dict[str, int]] = {}
            pages = {
                "home": lambda: check(client.get("/"), 200, "GET /"),
                "list": lambda: check(client.get("/orders"), 200, "GET /orders"),
                "order": lambda: check(client.get(f"/orders/{order_id}"), 200, "the order"),
                "step_form": lambda: check(client.get(f"/orders/{order_id}/fire/pay"), 200, "the pay page"),
                "step_taken": lambda: check(
                    client.post(
                        f"/orders/{order_id}/fire/pay", data={**PAID, "_lock_version": lock}, headers=csrf
                    ),
                    302,
                    "the payment",
                ),
                "new_form": lambda: check(client.get(NEW), 200, "the new-order page"),
                "new_taken": lambda: check(
                    client.post(NEW, data={**INTAKE, "_key": key, "customer.name": "李娜"}, headers=csrf),
                    302,
                    "the new order",
                ),
            }
            for name, ask in pages.items():
                with trace.page() as statements:
                    ask()
                measured[name] = figures(statements)
                if show:
                    print(f"-- {name}: {measured[name]}", file=sys.stderr)
                    for sql in statements:
                        print("   " + " ".join(sql.split())[:200], file=sys.stderr)
        finally:
            services.close()
    return {"bench": "pages", "database": "sqlite", "pages": measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print each page's statements on stderr")
    arguments = parser.parse_args()
    print(json.dumps(run(arguments.show), ensure_ascii=False))


if __name__ == "__main__":
    main()
