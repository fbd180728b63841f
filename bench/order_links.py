"""A retail order page's claims at scale: what the after-sales requests about the order claim of its
money (``claims_on``, read on every retail order page and every retail return), through the index of
``order_links`` beside the same claims found by the JSON scan it replaced, in one run and one JSON line.

A fresh SQLite file is migrated (``order_links`` and its index of migration 0026 in place), the shipped
retail order and after-sales request published, and ``--orders`` orders made by bulk inserts on the
driver: one in ``--requests-every`` an after-sales request naming a retail order drawn at random (its
``original_order_no``, its refund asked, a third of them closed with what they refunded), with its
link; the rest retail orders. Then ``ANALYZE``, as a running shop's database has had.

The cases, each over the same retail orders drawn at random:

- ``claims_by_index``: ``engine.runtime.original_order.claims_on`` in a read transaction of its own,
  as the retail order's page and its return read them: the workflows about retail from the published
  versions, then the requests naming the order through the index;
- ``claims_by_json_scan`` (baseline): the same claims with the requests found as before the link was
  data: the request workflow's orders whose ``original_order_no`` (a JSON field) holds the number.
  Timed fewer times (``--baseline-runs``): each reads every request's data.

Both must find the same claims for every order drawn, or the bench stops and prints nothing. The JSON
line gives, per case, the p50 and p99 in ms and the number of calls; the plan SQLite chose for each
way's statement (``plans``); and how long making the orders took.

    python bench/order_links.py                      # 100,000 orders
    python bench/order_links.py --orders 1000000     # the million
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Measure the code of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

from facts import analyze, progress, stamp, timed  # noqa: E402
from sqlalchemy import Select, select  # noqa: E402

from engine.clock import FrozenClock  # noqa: E402
from engine.dsl.compiler import load_bundle  # noqa: E402
from engine.plugins import ClaimOn, PluginRegistry  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.runtime.original_order import _claim, claims_on, workflows_about  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.store.original_orders import naming_query  # noqa: E402
from engine.store.tables import orders  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BATCH = 50_000
RETAIL, REQUESTS = ("retail", "retail-order"), ("after_sales", "after-sales-request")


def make_orders(store: Store, count: int, every: int, seed: int) -> list[int]:
    """``count`` orders, one in ``every`` an after-sales request about a retail order made before it,
    ``BATCH`` at a time on the driver; the retail orders' ids."""
    rng = random.Random(seed)
    pending: list[dict[str, Any]] = []
    links: list[tuple[int, int, str, str]] = []
    retail: list[int] = []

    def flush() -> None:
        with store.engine.begin() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            columns = list(pending[0])  # those each order is made with; the others keep their defaults
            marks = ", ".join(f":{column}" for column in columns)
            cursor = driver.cursor()
            cursor.executemany(f"INSERT INTO orders ({', '.join(columns)}) VALUES ({marks})", pending)
            cursor.executemany(
                "INSERT INTO order_links (order_id, original_id, department, workflow) VALUES (?, ?, ?, ?)",
                links,
            )
        pending.clear()
        links.clear()

    for order_id in range(1, count + 1):
        at = stamp(NOW - timedelta(seconds=rng.randrange(365 * 24 * 3600)))
        if retail and order_id % every == 0:
            original = rng.choice(retail)
            final = rng.random() < 1 / 3
            asked = rng.randrange(10, 240)
            data: dict[str, Any] = {
                "original_order_no": str(original),
                "type": "return",
                "refund_amount": asked,
            }
            if final:
                data["refunded_amount"] = asked
            department, workflow = REQUESTS
            state, total = ("closed" if final else "awaiting_goods"), 0
            links.append((order_id, original, department, workflow))
        else:
            retail.append(order_id)
            total = rng.randrange(50, 5_000)
            data = {"total": total, "paid_amount": total, "channel": "web"}
            department, workflow = RETAIL
            state, final = "delivered", False
        row = {
            "id": order_id,
            "department": department,
            "workflow": workflow,
            "version": 1,
            "channel": "web",
            "state": state,
            "data": json.dumps(data, separators=(",", ":")),
            "schema_version": 1,
            "lock_version": 1,
            "created_at": at,
            "updated_at": at,
            "final": final,
            "total": total,
            "due": 0,
        }
        pending.append(row)
        if len(pending) >= BATCH:
            flush()
            progress(f"order_links: {order_id:,} orders made")
    if pending:
        flush()
    analyze(store)
    return retail


def scan_query(department: str, workflow: str, field: str, number: str) -> Select[Any]:
    """The statement the requests about an order were found by before ``order_links``: the workflow's
    orders whose JSON field holds the number."""
    return (
        select(orders.c.id, orders.c.state, orders.c.final, orders.c.data)
        .where(
            orders.c.department == department,
            orders.c.workflow == workflow,
            orders.c.data[field].as_string() == number,
        )
        .order_by(orders.c.id)
    )


def claims_by_scan(engine: Engine, order_id: int) -> list[ClaimOn]:
    """``claims_on`` with the requests found by the JSON scan (the baseline)."""
    found = []
    with engine.parts.store.read() as tx:
        for spec in workflows_about(tx, engine.parts, RETAIL[0]):
            wanted = spec.original_order
            assert wanted is not None
            query = scan_query(spec.department, spec.name, wanted.field, str(order_id))
            for id_, _state, final, stored in tx.connection.execute(query).fetchall():
                data = json.loads(stored) if isinstance(stored, str | bytes) else stored
                claimed = _claim(bool(final), data, wanted)
                if claimed:
                    found.append(ClaimOn(int(id_), spec.title, claimed))
    return found


def claims_by_index(engine: Engine, order_id: int) -> list[ClaimOn]:
    with engine.parts.store.read() as tx:
        return claims_on(tx, engine.parts, RETAIL[0], order_id)


def plan(engine: Engine, statement: Select[Any]) -> str:
    """SQLite's plan of ``statement``, its lines joined by "; "."""
    with engine.parts.store.read() as tx:
        connection = tx.connection
        compiled = statement.compile(dialect=connection.dialect)
        params = tuple(compiled.params[name] for name in compiled.positiontup or ())
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).fetchall()
        return "; ".join(str(row[-1]) for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders made (1000000 for the million)")
    parser.add_argument("--requests-every", type=int, default=5, help="one order in this many a request")
    parser.add_argument("--runs", type=int, default=300, help="calls timed through the index")
    parser.add_argument("--baseline-runs", type=int, default=5, help="calls timed by the JSON scan")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if min(args.orders, args.runs, args.baseline_runs) < 1 or args.requests_every < 2:
        parser.error("--orders, --runs and --baseline-runs must be at least 1, --requests-every 2")

    registry = PluginRegistry.from_entry_points()
    with tempfile.TemporaryDirectory(prefix="orderloom-links-") as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'links.sqlite3'}")
        store.upgrade()
        engine = Engine(store, registry, FrozenClock(NOW))
        for path in ("retail/order.yaml", "after-sales/request.yaml"):
            bundle = load_bundle(
                REPO_ROOT / "workflows" / path, REPO_ROOT, action_names=registry.action_names
            )
            engine.publish(bundle)
        started = time.perf_counter()
        retail = make_orders(store, args.orders, args.requests_every, args.seed)
        made = time.perf_counter() - started
        progress(f"order_links: {args.orders:,} orders made in {made:.1f} s")
        rng = random.Random(args.seed + 1)
        drawn = [rng.choice(retail) for _ in range(args.runs)]
        read: dict[str, dict[int, list[tuple[int, Decimal]]]] = {"index": {}, "scan": {}}

        def case(name: str, how: Callable[[Engine, int], list[ClaimOn]]) -> Callable[[int], Any]:
            def run(k: int) -> None:
                read[name][k] = [(c.order_id, c.amount) for c in how(engine, drawn[k])]

            return run

        case("index", claims_by_index)(0)  # the versions compiled, the statements built once
        figures = {
            "claims_by_index": timed(args.runs, case("index", claims_by_index)),
            "claims_by_json_scan": timed(args.baseline_runs, case("scan", claims_by_scan)),
        }
        for k, found in read["scan"].items():
            if read["index"][k] != found:
                raise SystemExit(
                    f"order_links: the JSON scan found {found} for retail order {drawn[k]}, the index "
                    f"{read['index'][k]}"
                )
        claimed = sum(1 for found in read["index"].values() if found)
        plans = {
            "index": plan(engine, naming_query(*REQUESTS, drawn[0])),
            "json_scan": plan(engine, scan_query(*REQUESTS, "original_order_no", str(drawn[0]))),
        }
        store.engine.dispose()
    result = {
        "bench": "order_links",
        "orders": args.orders,
        "requests": args.orders - len(retail),
        "orders_made_s": round(made, 1),
        "drawn_with_claims": claimed,
        **figures,
        "plans": plans,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
