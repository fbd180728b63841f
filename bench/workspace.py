"""The clerk's workspace at a million orders: my work, the filtered list and the search, on SQLite and
PostgreSQL, each beside the baselines it replaces, in one run and one JSON line.

For each database (a fresh SQLite file in a temporary folder; a PostgreSQL database on a throw-away
server started from the distribution's binaries by ``tests/postgres.py``, as the test suite starts one,
or on ``ORDERLOOM_BENCH_PG_URL``, a server's URL without a database name) the shipped retail, wholesale
and after-sales workflows are published and ``--orders`` orders made (``make_orders``: bulk inserts in
batches on the driver, each order with its search terms, as ``engine.store.search`` makes them, spread
over its workflow's states as a shop's are, most of them completed or cancelled, one waiting order in
fifty claimed; then the kept counts, as migration 0011 makes them, and ``ANALYZE``, as PostgreSQL's
autovacuum would). Then each case is timed through the call the page makes:

- my work (``Engine.my_work``, ``/work``, for the retail clerk li.na): the first page (her claims
  first, then oldest in their state first, with the queues' counts and oldest orders), a later page, a
  page deep down (keyset: 300 pages in, or half-way down where there are fewer;
  ``my_work_deep_offset`` says how deep), her claims alone (``mine``), and a review queue's page
  (``Engine.queue_page``);
- list cases (``Engine.order_list``, ``/orders``: the orders' versions and masking included): a retail
  clerk's newest orders; by workflow and state; by amount, highest first; by a week and a channel; a
  manager of three departments' newest and recently updated; and a deep page (a keyset cursor half-way
  down the retail orders);
- search cases: a mobile's last 4 digits, a whole mobile, a name, a waybill, a payment reference, an
  order number.

Side by side, in the same run, the baselines they replace: my work's orders read without the keyset and
the kept counts (``ORDER BY state_since, id`` with ``OFFSET``: the first page, the next, the deep one;
the queues by ``count(*)`` and ``min(state_since)``), timed as often as the cases; the list's deep page
read by OFFSET (as the list did before), and the search done by scanning the orders' data
(``data LIKE '%…%'``, newest first), each timed fewer times (``--baseline-runs``) since each takes
seconds. Prints exactly one JSON line: per database and case, p50 and p99 in ms and the number of
samples, and the target p99.

    python bench/workspace.py                      # 1,000,000 orders, both databases
    python bench/workspace.py --orders 20000 --db sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Measure the code of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import text  # noqa: E402

from engine.api.workspace import ClaimFilter, OrdersSection, WorkCursor  # noqa: E402
from engine.clock import SystemClock  # noqa: E402
from engine.dsl.compiler import load_bundle  # noqa: E402
from engine.plugins import PluginRegistry  # noqa: E402
from engine.runtime import Actor, Engine, ListQuery  # noqa: E402
from engine.runtime.finding import Cursor  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.store.codec import dumps  # noqa: E402
from engine.store.orders import order_total  # noqa: E402
from engine.store.search import terms_of  # noqa: E402
from tests.postgres import PostgresMissing, binary, fresh_database, throwaway_server  # noqa: E402

WORKFLOWS = (
    "workflows/retail/order.yaml",
    "workflows/wholesale/order.yaml",
    "workflows/after-sales/request.yaml",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然子涵欣怡梓轩一诺思远雨泽"
BATCH = 10_000
TARGET_P99_MS = 100
DEEP = 9_000  # my work's page 300 pages in: the keyset's page costs what the first does, OFFSET's does not
CLAIMED_BY_OTHERS = "someone.else"
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
MANAGER = Actor(
    "zhou.min", frozenset({"clerk", "sales", "service"}), frozenset({"retail", "wholesale", "after_sales"})
)


# -- the orders ------------------------------------------------------------------------------------


class Shape:
    """What ``make_orders`` makes of one workflow: its department, channels, states (each with how
    many of a thousand orders are in it), which of them are final, where its data keeps the mobile and
    the name, and its ``search:`` (read from the published spec)."""

    def __init__(
        self, engine: Engine, workflow: str, share: float, states: Sequence[tuple[str, int]], person: str
    ) -> None:
        spec = engine.spec(workflow)
        self.workflow, self.department, self.version = workflow, spec.department, spec.version or 1
        self.channels = spec.channels or ("web",)
        assert sum(n for _, n in states) == 1000, workflow
        unknown = {state for state, _ in states} - set(spec.state_names)
        assert not unknown, (workflow, unknown)
        self.states = tuple(state for state, _ in states)
        self.weights = tuple(n for _, n in states)
        self.final = spec.final_states
        self.share, self.person = share, person
        self.search = {kind: list(paths) for kind, paths in spec.search.items()}


# Per thousand orders of each workflow, as a shop's are spread: most completed or cancelled, a few
# percent waiting for someone (a state with a step or a review queue).
RETAIL_STATES = (
    ("pending_payment", 10),
    ("paid", 5),
    ("on_hold", 5),
    ("out_of_stock", 2),
    ("pending_shipment", 10),
    ("shipped", 20),
    ("delivered", 20),
    ("return_requested", 3),
    ("returned", 5),
    ("cancelled", 70),
    ("completed", 850),
)
WHOLESALE_STATES = (
    ("received", 10),
    ("credit_hold", 5),
    ("pending_approval", 3),
    ("board_approval", 2),
    ("out_of_stock", 2),
    ("fulfilling", 18),
    ("cancelled", 60),
    ("completed", 900),
)
AFTER_SALES_STATES = (
    ("submitted", 10),
    ("pending_review", 5),
    ("awaiting_goods", 10),
    ("inspecting", 5),
    ("replacement_backordered", 2),
    ("rejected", 60),
    ("cancelled", 50),
    ("closed", 858),
)
UNPAID = frozenset(
    {
        "pending_payment",
        "received",
        "credit_hold",
        "pending_approval",
        "board_approval",
        "submitted",
        "pending_review",
    }
)
SENT = frozenset({"shipped", "delivered", "return_requested", "returned", "completed", "closed"})


def shapes(engine: Engine) -> list[Shape]:
    return [
        Shape(engine, "retail-order", 0.6, RETAIL_STATES, "customer"),
        Shape(engine, "wholesale-order", 0.25, WHOLESALE_STATES, "contact"),
        Shape(engine, "after-sales-request", 0.15, AFTER_SALES_STATES, "customer"),
    ]


def generate_orders(
    count: int, kinds: Sequence[Shape], seed: int = 7, until: datetime | None = None
) -> Iterator[tuple[dict[str, Any], set[tuple[str, str]]]]:
    """``count`` orders spread over the year before ``until``, oldest first: each its row's values
    (``data`` as a dict) and its search terms. In its state since it was last updated; one waiting
    order in fifty claimed (one in a hundred by someone else, one in a hundred by the clerk li.na where
    the order is retail). Deterministic for a seed: importable by other benches."""
    rng = random.Random(seed)
    until = until or datetime.now(UTC)
    start = until - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    weights = [k.share for k in kinds]
    for n in range(count):
        kind = rng.choices(kinds, weights)[0]
        created = start + step * n
        state = rng.choices(kind.states, kind.weights)[0]
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        total = round(rng.uniform(10, 20_000), 2)
        data: dict[str, Any] = {kind.person: {"name": name, "mobile": mobile}, "total": total}
        updated = created + timedelta(minutes=rng.randrange(60 * 24 * 10))
        final = state in kind.final
        assignee = None
        if not final and n % 100 == 7:
            assignee = CLAIMED_BY_OTHERS
        elif not final and n % 100 == 57:
            assignee = CLERK.name if kind.department in CLERK.departments else CLAIMED_BY_OTHERS
        if state not in UNPAID:
            data["transaction_ref"] = f"TX{created:%Y%m%d}{n:08d}"
        if state in SENT:
            waybill = f"SF{n:012d}"
            data["waybill"] = waybill
            data["shipments"] = [{"carrier": "sf", "waybill": waybill}]
        row = {
            "department": kind.department,
            "workflow": kind.workflow,
            "version": kind.version,
            "channel": rng.choice(kind.channels),
            "state": state,
            "data": data,
            "schema_version": 1,
            "lock_version": 1,
            "created_at": created,
            "updated_at": updated,
            "final": final,
            "total": order_total(data),
            "state_since": updated,
            "assignee": assignee,
            "assigned_at": updated if assignee else None,
        }
        yield row, terms_of(data, kind.search)


ORDER_COLUMNS = (
    "id",
    "department",
    "workflow",
    "version",
    "channel",
    "state",
    "data",
    "schema_version",
    "lock_version",
    "created_at",
    "updated_at",
    "final",
    "total",
    "state_since",
    "assignee",
    "assigned_at",
)
TERM_COLUMNS = ("term", "department", "order_id", "kind")


def make_orders(store: Store, count: int, kinds: Sequence[Shape], seed: int = 7) -> dict[str, Any]:
    """Insert ``count`` generated orders with their search terms, ``BATCH`` at a time on the driver
    (``executemany`` on SQLite, ``COPY`` on PostgreSQL); returns facts the cases look up by."""
    sample: dict[str, Any] = {"mobiles": [], "names": [], "waybills": [], "refs": [], "ids": []}
    with store.engine.begin() as connection:
        first = int(connection.execute(text("SELECT coalesce(max(id), 0) FROM orders")).scalar_one()) + 1
    rng = random.Random(seed + 1)
    rows: list[tuple[Any, ...]] = []
    terms: list[tuple[Any, ...]] = []

    def flush() -> None:
        with store.engine.begin() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            if store.is_sqlite:
                cursor = raw.cursor()
                marks = ", ".join("?" * len(ORDER_COLUMNS))
                cursor.executemany(f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES ({marks})", rows)
                cursor.executemany(
                    f"INSERT INTO order_search_terms ({', '.join(TERM_COLUMNS)}) VALUES (?, ?, ?, ?)", terms
                )
            else:
                with raw.cursor() as cursor:
                    with cursor.copy(f"COPY orders ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                    with cursor.copy(
                        f"COPY order_search_terms ({', '.join(TERM_COLUMNS)}) FROM STDIN"
                    ) as copy:
                        for row in terms:
                            copy.write_row(row)
        rows.clear()
        terms.clear()

    for offset, (row, found) in enumerate(generate_orders(count, kinds, seed)):
        order_id = first + offset
        values = dict(row, id=order_id, data=dumps(row["data"]))
        if store.is_sqlite:
            for key in ("created_at", "updated_at", "state_since", "assigned_at"):
                if values[key] is not None:
                    values[key] = values[key].replace(tzinfo=None).isoformat(" ", "microseconds")
        rows.append(tuple(values[c] for c in ORDER_COLUMNS))
        terms.extend((term, row["department"], order_id, kind) for kind, term in found)
        if row["department"] == "retail" and rng.random() < 0.01:
            person = row["data"]["customer"]
            sample["mobiles"].append(person["mobile"])
            sample["names"].append(person["name"])
            sample["ids"].append(order_id)
            if "waybill" in row["data"]:
                sample["waybills"].append(row["data"]["waybill"])
            if "transaction_ref" in row["data"]:
                sample["refs"].append(row["data"]["transaction_ref"])
        if len(rows) >= BATCH:
            flush()
    if rows:
        flush()
    with store.engine.begin() as connection:
        if not store.is_sqlite:  # the identity goes on from the ids written by hand
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('orders', 'id'), max(id)) FROM orders")
            )
        # the kept counts (my work's and the queues' counts), made from the orders as migration 0011 does
        connection.execute(text("DELETE FROM order_state_counts"))
        connection.execute(
            text(
                "INSERT INTO order_state_counts (department, workflow, state, orders) "
                "SELECT department, workflow, state, count(*) FROM orders "
                "GROUP BY department, workflow, state"
            )
        )
        connection.execute(text("ANALYZE"))
    return sample


# -- PostgreSQL ------------------------------------------------------------------------------------


@contextmanager
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL without a database name: ``ORDERLOOM_BENCH_PG_URL``'s, else a
    throw-away server's (``tests/postgres.py``, the test suite's own)."""
    given = os.environ.get("ORDERLOOM_BENCH_PG_URL")
    if given:
        yield given.rstrip("/")
        return
    try:
        binary("initdb"), binary("pg_ctl")
    except PostgresMissing as missing:
        raise SystemExit(f"{missing}, or set ORDERLOOM_BENCH_PG_URL") from None
    with throwaway_server(prefix="orderloom-bench-pg-") as url:
        yield url


# -- timing ----------------------------------------------------------------------------------------


def timed(call: Callable[[int], Any], runs: int) -> dict[str, float | int]:
    """p50 and p99 of ``call(i)`` over ``runs`` calls (after one not counted), in ms."""
    call(0)
    samples = []
    for i in range(runs):
        began = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, max(0, round(0.99 * len(samples)) - 1))]
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(p99, 2), "n": runs}


def _clerk_states(engine: Engine, workflow: str) -> list[str]:
    """The states a clerk's step leaves: the clerk's work in ``workflow``."""
    spec = engine.spec(workflow)
    return sorted(
        {
            source
            for t in spec.transitions
            if not t.auto and (not t.roles or "clerk" in t.roles)
            for source in t.sources
        }
    )


def my_work_cases(engine: Engine, store: Store, runs: int) -> dict[str, Any]:
    """My work for the retail clerk, each read beside the same orders read without the keyset and the
    kept counts (the SQL alone: the engine's figures include what the page needs beyond it, each order
    judged as the order page judges it, labels, display names)."""
    first = engine.my_work(CLERK)
    [section] = [s for s in first.sections if isinstance(s, OrdersSection)]
    assert section.next is not None, "the bench's orders fill more than a page of my work"
    states = _clerk_states(engine, "retail-order")
    queued = sorted(s.name for s in engine.spec("retail-order").states if s.queue)
    queue = next(s.queue for s in engine.spec("retail-order").states if s.queue == "risk-review")
    listed = ", ".join(f"'{s}'" for s in states)
    depth = min(DEEP, max(30, section.count // 60 * 30))  # fewer orders (a smoke run): half-way in
    with store.engine.connect() as connection:
        # where the page ``depth // 30`` of the clerk's orders begins, as the page before hands it on
        since, order_id = connection.execute(
            text(
                f"SELECT state_since, id FROM orders WHERE department = 'retail' AND state IN ({listed}) "
                "AND (assignee IS NULL OR assignee <> :me) ORDER BY state_since, id LIMIT 1 OFFSET :offset"
            ),
            {"me": CLERK.name, "offset": depth - 1},
        ).one()
    since = since if isinstance(since, datetime) else datetime.fromisoformat(since)
    deep = WorkCursor(since if since.tzinfo else since.replace(tzinfo=UTC), int(order_id))

    def work(**options: Any) -> Callable[[int], Any]:
        def call(_: int) -> Any:
            found = engine.my_work(CLERK, **options)
            assert found.sections, options
            return found

        return call

    def sorted_page(offset: int) -> Callable[[int], Any]:
        """The clerk's orders oldest first without the keyset or the kept counts: sort them all, skip."""
        sql = text(
            f"SELECT * FROM orders WHERE department = 'retail' AND state IN ({listed}) "
            "ORDER BY state_since, id LIMIT 31 OFFSET :offset"
        )

        def call(_: int) -> Any:
            with store.engine.connect() as connection:
                return connection.execute(sql, {"offset": offset}).fetchall()

        return call

    def counted(_: int) -> Any:
        """Each queue's count and oldest order by ``count(*)`` and ``min(state_since)`` over its orders."""
        in_queues = ", ".join(f"'{s}'" for s in queued)
        with store.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT state, count(*), min(state_since) FROM orders "
                    f"WHERE department = 'retail' AND state IN ({in_queues}) GROUP BY state"
                )
            ).fetchall()

    return {
        "my_work_orders": section.count,
        "my_work_deep_offset": depth,
        "my_work_first_page": timed(work(), runs),
        "my_work_later_page": timed(work(department="retail", after=section.next), runs),
        "my_work_deep_keyset_page": timed(work(department="retail", after=deep), runs),
        "my_work_mine": timed(work(claims=ClaimFilter.MINE), runs),
        "my_work_queue": timed(lambda _: engine.queue_page(CLERK, "retail", queue), runs),
        "baseline_my_work_first_page_by_sorting": timed(sorted_page(0), runs),
        "baseline_my_work_later_page_by_sorting": timed(sorted_page(30), runs),
        "baseline_my_work_deep_offset_page": timed(sorted_page(depth), runs),
        "baseline_my_work_queues_by_counting": timed(counted, runs),
    }


def cases(
    engine: Engine, store: Store, sample: dict[str, Any], runs: int, baseline_runs: int
) -> dict[str, Any]:
    today = datetime.now(UTC).date()

    def listed(actor: Actor, query: ListQuery) -> Callable[[int], Any]:
        def call(_: int) -> Any:
            found = engine.order_list(actor, query, limit=50)
            assert found.orders, query
            return found

        return call

    with store.engine.begin() as connection:
        # the retail order half-way down the newest-first list: where a deep page starts
        middle = connection.execute(
            text(
                "SELECT id, created_at FROM orders WHERE department = 'retail' "
                "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET "
                "(SELECT count(*) / 2 FROM orders WHERE department = 'retail')"
            )
        ).one()
    deep_at = middle[1] if isinstance(middle[1], datetime) else datetime.fromisoformat(middle[1])
    deep_at = deep_at if deep_at.tzinfo else deep_at.replace(tzinfo=UTC)
    deep_cursor = Cursor((deep_at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1), middle[0])
    with store.engine.begin() as connection:
        deep_offset = int(
            connection.execute(
                text("SELECT count(*) / 2 FROM orders WHERE department = 'retail'")
            ).scalar_one()
        )
    week = today - timedelta(days=40)
    figures: dict[str, Any] = {
        "list_newest": timed(listed(CLERK, ListQuery()), runs),
        "list_workflow_state": timed(
            listed(CLERK, ListQuery(workflow="retail-order", state="pending_shipment")), runs
        ),
        "list_amount_high": timed(
            listed(CLERK, ListQuery(amount_from=1000, amount_to=5000, sort="amount_high")), runs
        ),
        "list_week_channel": timed(
            listed(CLERK, ListQuery(created_from=week, created_to=week + timedelta(days=6), channel="app")),
            runs,
        ),
        "list_three_departments": timed(listed(MANAGER, ListQuery()), runs),
        "list_three_departments_updated": timed(listed(MANAGER, ListQuery(sort="updated")), runs),
        "list_deep_keyset_page": timed(listed(CLERK, ListQuery(cursor=deep_cursor)), runs),
    }

    def searched(values: Sequence[str], shown: Callable[[str], str] = str) -> Callable[[int], Any]:
        def call(i: int) -> Any:
            found = engine.order_list(CLERK, ListQuery(q=shown(values[i % len(values)])), limit=50)
            assert found.orders, values[i % len(values)]
            return found

        return call

    figures |= {
        "search_mobile_last4": timed(searched(sample["mobiles"], lambda m: m[-4:]), runs),
        "search_mobile_whole": timed(searched(sample["mobiles"]), runs),
        "search_name": timed(searched(sample["names"]), runs),
        "search_waybill": timed(searched(sample["waybills"]), runs),
        "search_payment_ref": timed(searched(sample["refs"]), runs),
        "search_order_number": timed(searched([str(i) for i in sample["ids"]]), runs),
    }

    # the baselines, side by side: the deep page by OFFSET (the list before), a search by scanning data
    def offset_page(_: int) -> Any:
        with store.read() as tx:
            return tx.list_orders(departments=frozenset({"retail"}), limit=50, offset=deep_offset)

    def scanned(i: int) -> Any:
        mobile = sample["mobiles"][i % len(sample["mobiles"])]
        with store.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT id FROM orders WHERE department = 'retail' AND CAST(data AS TEXT) LIKE :pattern "
                    "ORDER BY id DESC LIMIT 50"
                ),
                {"pattern": f"%{mobile}%"},
            ).all()

    figures["baseline_list_deep_offset_page"] = timed(offset_page, baseline_runs)
    figures["baseline_search_mobile_by_scanning_data"] = timed(scanned, baseline_runs)
    return figures


def measure(url: str, count: int, runs: int, baseline_runs: int) -> dict[str, Any]:
    store = Store(url)
    store.upgrade()
    engine = Engine(store, PluginRegistry.from_entry_points(), SystemClock())
    registry = PluginRegistry.from_entry_points()
    for path in WORKFLOWS:
        engine.publish(load_bundle(REPO_ROOT / path, REPO_ROOT, action_names=registry.action_names))
    began = time.perf_counter()
    sample = make_orders(store, count, shapes(engine))
    made = time.perf_counter() - began
    try:
        return {
            "orders_made_s": round(made, 1),
            **my_work_cases(engine, store, runs),
            **cases(engine, store, sample, runs, baseline_runs),
        }
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--runs", type=int, default=200, help="timed calls per case")
    parser.add_argument("--baseline-runs", type=int, default=5, help="timed calls per baseline (slow)")
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "workspace", "orders": args.orders, "target_p99_ms": TARGET_P99_MS}
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="orderloom-bench-") as folder:
            url = f"sqlite:///{Path(folder) / 'orderloom.db'}"
            result["sqlite"] = measure(url, args.orders, args.runs, args.baseline_runs)
    if args.db in ("postgres", "both"):
        with postgres_server() as server, fresh_database(server, prefix="bench_") as url:
            result["postgres"] = measure(url, args.orders, args.runs, args.baseline_runs)
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
