"""My work and the review queues at a million orders, on SQLite and on PostgreSQL, beside the naive way.

The shipped retail order is published and 1,000,000 of its orders are written straight into the
table (a statement that makes them in the database: ``generate_series`` on PostgreSQL, a recursive CTE
on SQLite), spread over its states as a shop's are (most of them completed or cancelled, a few
percent waiting for someone), each in its state since a different second, one in fifty claimed; the
kept counts are made from them as migration 0011 makes them. Then, for the clerk ``bench.clerk`` (role
clerk in retail), each measured ``--rounds`` times after one warm-up call:

- ``my_work``: ``Engine.my_work``, the first page (the user's claims first, then oldest first, the
  queues with their counts and oldest order), as the page asks for it;
- ``my_work_page``: a later page of the department (keyset: ``after`` the first page's last order);
- ``queue``: ``Engine.queue_page`` of the risk-review queue;
- ``naive_my_work``: the same orders asked for as one would without the keyset and the kept counts:
  the orders of the user's states, ``ORDER BY state_since, id`` with ``OFFSET`` (the database sorts
  every order of those states), for the first page and the same later page;
- ``my_work_deep`` / ``naive_my_work_deep``: the page 300 pages in (``after`` its start; ``OFFSET``
  9,000);
- ``naive_queues``: each queue's count and oldest order by ``count(*)`` and ``min(state_since)``
  over its orders.

PostgreSQL: ``ORDERLOOM_BENCH_PG_URL`` (a server URL without a database name: a database is made and
dropped), else a throw-away server started as the tests start theirs (Debian's postgresql package).
Prints exactly one JSON line: per database, p50 and p99 in ms of each, and the target p99.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT))  # measure this checkout's code

from sqlalchemy import create_engine, text  # noqa: E402

from engine.api import Actor, Engine, PluginRegistry, Store, SystemClock  # noqa: E402
from engine.api.definitions import load_bundle  # noqa: E402
from engine.api.workspace import ClaimFilter, OrdersSection, WorkCursor  # noqa: E402

ORDERS = 1_000_000
TARGET_P99_MS = 100
DEEP = 9_000  # a page 300 pages in: the keyset's page costs what the first does, OFFSET's does not
CLERK = Actor("bench.clerk", frozenset({"clerk"}), frozenset({"retail"}))
# per thousand orders: (state, how many)
SPREAD = [
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
]
assert sum(n for _, n in SPREAD) == 1000


def _state_case() -> str:
    """SQL: the state of order ``i`` by ``i % 1000``."""
    parts, upto = [], 0
    for state, n in SPREAD:
        upto += n
        parts.append(f"WHEN i % 1000 < {upto} THEN '{state}'")
    return "CASE " + " ".join(parts) + " END"


def _fill(store: Store, orders: int) -> None:
    """``orders`` retail orders made in the database, and the kept counts made from them."""
    state = _state_case()
    final = "(i % 1000 >= 925)"
    claimed = "CASE WHEN i % 50 = 7 THEN 'someone.else' WHEN i % 50 = 9 THEN 'bench.clerk' ELSE NULL END"
    columns = (
        "department, workflow, version, channel, state, data, schema_version, lock_version, created_at, "
        "updated_at, final, state_since, assignee, assigned_at"
    )
    if store.is_sqlite:
        at = "strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' seconds') || '000'"
        sql = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :orders) "
            f"INSERT INTO orders ({columns}) SELECT 'retail', 'retail-order', 1, 'web', {state}, "
            "'{\"total\": ' || (i % 900 + 10) || ', \"paid_amount\": 0}', 1, 1, "
            f"{at}, {at}, {final}, {at}, {claimed}, CASE WHEN i % 50 IN (7, 9) THEN {at} END FROM n"
        )
    else:
        at = "(timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second')"
        sql = (
            f"INSERT INTO orders ({columns}) SELECT 'retail', 'retail-order', 1, 'web', {state}, "
            "json_build_object('total', i % 900 + 10, 'paid_amount', 0), 1, 1, "
            f"{at}, {at}, {final}, {at}, {claimed}, CASE WHEN i % 50 IN (7, 9) THEN {at} END "
            "FROM generate_series(1, :orders) AS i"
        )
    with store.engine.begin() as connection:
        connection.execute(text(sql), {"orders": orders})
        connection.execute(
            text(
                "INSERT INTO order_state_counts (department, workflow, state, orders) "
                "SELECT department, workflow, state, count(*) FROM orders "
                "GROUP BY department, workflow, state"
            )
        )
        if not store.is_sqlite:
            connection.execute(text("ANALYZE orders"))
    if store.is_sqlite:
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def _timed(call: Callable[[], Any], rounds: int) -> dict[str, float]:
    call()  # warm: compiled versions, statements, the database's pages
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(times[len(times) // 2], 2),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
    }


def _naive(store: Store, states: list[str], offset: int) -> Callable[[], Any]:
    """The user's orders oldest first without the keyset or the kept counts: sort them all, skip."""
    listed = ", ".join(f"'{s}'" for s in states)
    sql = text(
        f"SELECT * FROM orders WHERE department = 'retail' AND state IN ({listed}) "
        "ORDER BY state_since, id LIMIT 31 OFFSET :offset"
    )

    def run() -> Any:
        with store.engine.connect() as connection:
            return connection.execute(sql, {"offset": offset}).fetchall()

    return run


def _deep_cursor(store: Store, states: list[str], offset: int) -> WorkCursor:
    """Where page ``offset // 30`` of the clerk's orders begins, as the page before it hands it on."""
    listed = ", ".join(f"'{s}'" for s in states)
    sql = text(
        f"SELECT state_since, id FROM orders WHERE department = 'retail' AND state IN ({listed}) "
        "AND (assignee IS NULL OR assignee <> 'bench.clerk') ORDER BY state_since, id LIMIT 1 OFFSET :offset"
    )
    with store.engine.connect() as connection:
        since, order_id = connection.execute(sql, {"offset": offset - 1}).one()
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    return WorkCursor(since if since.tzinfo else since.replace(tzinfo=UTC), int(order_id))


def _naive_queues(store: Store, states: list[str]) -> Callable[[], Any]:
    listed = ", ".join(f"'{s}'" for s in states)
    sql = text(
        "SELECT state, count(*), min(state_since) FROM orders "
        f"WHERE department = 'retail' AND state IN ({listed}) GROUP BY state"
    )

    def run() -> Any:
        with store.engine.connect() as connection:
            return connection.execute(sql).fetchall()

    return run


def measure(url: str, orders: int, rounds: int) -> dict[str, Any]:
    store = Store(url)
    store.upgrade()
    registry = PluginRegistry.from_entry_points()
    engine = Engine(store, registry, SystemClock())
    path = REPO_ROOT / "workflows" / "retail" / "order.yaml"
    engine.publish(load_bundle(path, REPO_ROOT, action_names=registry.action_names))
    start = time.perf_counter()
    _fill(store, orders)
    filled = time.perf_counter() - start
    first = engine.my_work(CLERK)
    [section] = [s for s in first.sections if isinstance(s, OrdersSection)]
    assert section.next is not None, "the bench's orders fill more than a page"
    spec = engine.spec("retail-order")  # the states a clerk's step leaves: the clerk's work
    states = sorted(
        {
            source
            for t in spec.transitions
            if not t.auto and (not t.roles or "clerk" in t.roles)
            for source in t.sources
        }
    )
    depth = min(DEEP, max(30, section.count // 60 * 30))  # fewer orders (a smoke run): half-way in
    deep = _deep_cursor(store, states, depth)
    queued = ["on_hold", "out_of_stock", "return_requested"]
    figures = {
        "fill_s": round(filled, 1),
        "my_work": _timed(lambda: engine.my_work(CLERK), rounds),
        "my_work_page": _timed(
            lambda: engine.my_work(CLERK, department="retail", after=section.next), rounds
        ),
        "my_work_mine": _timed(lambda: engine.my_work(CLERK, claims=ClaimFilter.MINE), rounds),
        "queue": _timed(lambda: engine.queue_page(CLERK, "retail", "risk-review"), rounds),
        "naive_my_work": _timed(_naive(store, states, 0), rounds),
        "naive_my_work_page": _timed(_naive(store, states, 30), rounds),
        "my_work_deep": _timed(lambda: engine.my_work(CLERK, department="retail", after=deep), rounds),
        "naive_my_work_deep": _timed(_naive(store, states, depth), rounds),
        "deep_offset": depth,
        "naive_queues": _timed(_naive_queues(store, queued), rounds),
        "work_count": section.count,
    }
    store.dispose()
    return figures


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path is None:
        raise SystemExit(f"PostgreSQL's {name} was not found: set ORDERLOOM_BENCH_PG_URL or install it")
    return on_path


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server() -> Iterator[str]:
    """A server URL (no database name): ORDERLOOM_BENCH_PG_URL's, or a throw-away server's."""
    given = os.environ.get("ORDERLOOM_BENCH_PG_URL")
    if given:
        yield given.rstrip("/")
        return
    base = Path(tempfile.mkdtemp(prefix="orderloom-bench-pg-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        for path in (base, sockets):
            os.chown(path, pg.pw_uid, pg.pw_gid)
    port = _free_port()
    initdb = [_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "orderloom", "-E", "UTF8"]
    # the distribution's binaries, on paths this script made: nothing from outside
    subprocess.run(_as_postgres([*initdb, "--locale=C"]), check=True, capture_output=True)  # noqa: S603
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    pg_ctl = _pg_bin("pg_ctl")
    start = [pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]
    subprocess.run(_as_postgres(start), check=True, capture_output=True)  # noqa: S603
    try:
        yield f"postgresql+psycopg://orderloom@127.0.0.1:{port}"
    finally:
        stop = [pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(stop), check=False, capture_output=True)  # noqa: S603
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    result: dict[str, Any] = {"bench": "my_work", "orders": args.orders, "target_p99_ms": TARGET_P99_MS}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="orderloom-bench-") as folder:
            result["sqlite"] = measure(f"sqlite:///{folder}/bench.db", args.orders, args.rounds)
    if args.only in (None, "postgresql"):
        with postgres_server() as server, postgres_database(server) as url:
            result["postgresql"] = measure(url, args.orders, args.rounds)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
