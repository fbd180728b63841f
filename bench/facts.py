"""Facts across a customer's orders at scale: a rule that reads ``owed()``, ``open_orders()`` and
``orders_in_days(n)``, judged as a step judges it, beside the same SQL by hand and the same counts
without the index, in one run and one JSON line.

A fresh SQLite file is migrated (the orders' index ``(department, customer_key, created_at)`` of
migration 0022 in place) and ``--orders`` wholesale orders made in it by bulk inserts on the driver
(``make_orders``: ``executemany`` a batch at a time), spread over ``--customers`` accounts (by default
one for every ten orders) and over the past year; a third of them open, each open one owing part of its
total, one in fifty with a return asked for; each account's record stored, half of them with an opening
balance (期初欠款, which ``owed()`` reads with the orders). Then ``ANALYZE``, as a running shop's database
has had.

The cases, each over accounts drawn at random (the same accounts for every case):

- ``rule_with_facts``: the three rules of ``bench/customer-facts.yaml`` (what the account owes plus
  the order over its credit limit, more than 20 open orders, more than 10 orders in the last 7 days)
  evaluated with the step's lookups (``engine.runtime.named_lists.StepLookups``) in a transaction of
  its own, as a step's ``decide`` evaluates its rule set: three indexed queries (``owed()``'s with the
  account's record read by its unique key) and the full trace;
- ``credit_check``: the shipped ``rules/wholesale/credit.yaml`` (one fact, ``owed()``), the same way;
- ``facts_by_hand`` (baseline): the three facts' SQL written by hand, through ``sqlite3`` alone on a
  connection kept open: the floor for what the rule costs the database;
- ``facts_without_index`` (baseline): the same three queries with the index ruled out (``NOT
  INDEXED``): what each would cost if the facts were counted by reading the orders. Timed fewer times
  (``--baseline-runs``): at a million orders each takes most of a second.

Every case must read the same figures for the same account (OrderLoom's, as the trace records them,
against both baselines'), or the bench stops and prints nothing. The JSON line gives, per case, the
p50 and p99 in ms and the number of calls; the plan SQLite chose for each fact's statement (``plans``);
and how long making the orders took.

    python bench/facts.py                      # 100,000 orders, 10,000 accounts
    python bench/facts.py --orders 1000000     # the million
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Measure the code of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

from engine.common.list_keys import LOOKUPS  # noqa: E402
from engine.rules.kinds import compile_ruleset  # noqa: E402
from engine.runtime.named_lists import StepLookups  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.store import named_lists as rows  # noqa: E402
from engine.store.tables import orders  # noqa: E402

DEPARTMENT = "wholesale"
WORKFLOW = "wholesale-order"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BATCH = 50_000
CREDIT_FILE = REPO_ROOT / "rules" / "wholesale" / "credit.yaml"
# A rule set reading the three facts, as a department's own audit would.
FACT_RULES = HERE / "customer-facts.yaml"
# The facts the rule set reads, as the trace names them, and the same by hand: (SQL, uses ``since``).
FACTS_READ = ("owed()", "open_orders()", "orders_in_days(7)")
HAND_SQL = {
    # the account's opening balance read beside its open orders: its two marks last (``sql_case``)
    "owed()": (
        "SELECT (SELECT coalesce(sum(due), 0) FROM orders{hint} WHERE department = ? AND customer_key = ? "
        "AND id != ? AND final = 0) + coalesce((SELECT outstanding FROM customer_accounts "
        "WHERE department = ? AND account_no = ?), 0)",
        False,
    ),
    "open_orders()": (
        "SELECT count(*) FROM orders{hint} WHERE department = ? AND customer_key = ? AND id != ? "
        "AND final = 0",
        False,
    ),
    "orders_in_days(7)": (
        "SELECT count(*) FROM orders{hint} WHERE department = ? AND customer_key = ? AND id != ? "
        "AND created_at >= ?",
        True,
    ),
}
# Every column of the orders but a claim's (no order here is claimed), in the table's order.
ORDER_COLUMNS = tuple(column.name for column in orders.c if column.name not in ("assignee", "assigned_at"))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def stamp(moment: datetime) -> str:
    """A time as the store writes it on SQLite (UTC, without the zone)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def account_no(n: int) -> str:
    return f"W{n:07d}"


def make_orders(store: Store, count: int, customers: int, seed: int) -> None:
    """``count`` wholesale orders of ``customers`` accounts, ``BATCH`` at a time on the driver."""
    rng = random.Random(seed)
    pending: list[tuple[Any, ...]] = []

    def flush() -> None:
        with store.engine.begin() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            marks = ", ".join("?" * len(ORDER_COLUMNS))
            driver.cursor().executemany(
                f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) VALUES ({marks})", pending
            )
        pending.clear()

    for order_id in range(1, count + 1):
        account = account_no(rng.randrange(customers))
        created = NOW - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        total = rng.randrange(500, 60_000)
        final = rng.random() < 2 / 3
        due = 0 if final else total - rng.randrange(0, total // 2)
        returned = stamp(created + timedelta(days=3)) if rng.random() < 0.02 else None
        data = json.dumps({"account": {"account_no": account}, "total": total}, separators=(",", ":"))
        at = stamp(created)
        row = {
            "id": order_id,
            "department": DEPARTMENT,
            "workflow": WORKFLOW,
            "version": 1,
            "channel": "phone",
            "state": "completed" if final else "shipped",
            "data": data,
            "schema_version": 1,
            "lock_version": 1,
            "created_at": at,
            "updated_at": at,
            "final": final,
            "total": total,
            "state_since": at,
            "customer_key": f"account:{account}",
            "due": due,
            "returned_at": returned,
        }
        pending.append(tuple(row[column] for column in ORDER_COLUMNS))
        if len(pending) >= BATCH:
            flush()
            progress(f"facts: {order_id:,} orders made")
    if pending:
        flush()
    records = [
        (
            DEPARTMENT,
            account_no(n),
            f"客户 {n}",
            500_000,
            0 if n % 2 else rng.randrange(0, 100_000),
            stamp(NOW),
        )
        for n in range(customers)
    ]
    with store.engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.cursor().executemany(
            "INSERT INTO customer_accounts (department, account_no, company, credit_limit, outstanding, "
            "overdue_days, status, updated_at) VALUES (?, ?, ?, ?, ?, 0, 'active', ?)",
            records,
        )
    analyze(store)


def analyze(store: Store) -> None:
    """``ANALYZE`` the SQLite file, as a running shop's database has had."""
    with store.engine.begin() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("ANALYZE")


def timed(calls: int, case: Callable[[int], Any]) -> dict[str, Any]:
    """``case(k)`` for k in 0..calls-1, each timed: p50 and p99 in ms and the count."""
    spent = []
    for k in range(calls):
        started = time.perf_counter()
        case(k)
        spent.append((time.perf_counter() - started) * 1000)
    spent.sort()
    p99 = spent[min(len(spent) - 1, max(0, round(len(spent) * 0.99) - 1))]
    return {"p50_ms": round(statistics.median(spent), 3), "p99_ms": round(p99, 3), "n": len(spent)}


class FactReader:
    """The facts of the accounts drawn, each case's way; what each read is kept, for the comparison."""

    def __init__(self, store: Store, path: Path, accounts: list[int], count: int) -> None:
        self.store = store
        self.accounts = accounts
        self.count = count
        facts = yaml.safe_load(FACT_RULES.read_text(encoding="utf-8"))
        self.facts = compile_ruleset(facts, str(FACT_RULES.relative_to(REPO_ROOT)))
        credit = yaml.safe_load(CREDIT_FILE.read_text(encoding="utf-8"))
        self.credit = compile_ruleset(credit, str(CREDIT_FILE.relative_to(REPO_ROOT)))
        self.db = sqlite3.connect(path)
        self.read: dict[str, dict[int, tuple[float, ...]]] = {}

    def order(self, k: int) -> tuple[int, dict[str, Any]]:
        """The new order the step judges: one more of the account's, its id past every stored one."""
        account = account_no(self.accounts[k % len(self.accounts)])
        data = {
            "account": {
                "account_no": account,
                "credit_limit": 500_000,
                "status": "active",
                "overdue_days": 0,
            },
            "payment_method": "bank_transfer",
            "total": 12_000,
            "department": DEPARTMENT,
        }
        return self.count + 1 + k, data

    def engine_case(self, name: str, ruleset: Any) -> Callable[[int], Any]:
        kept = self.read.setdefault(name, {})

        def case(k: int) -> Any:
            order_id, data = self.order(k)
            with self.store.read() as tx:
                lookups = StepLookups(tx, DEPARTMENT, order_id, data, NOW)
                decision = ruleset.evaluate({"order": data, "now": NOW, LOOKUPS: lookups}).to_dict()
            kept[k] = tuple(lookups.read.get(fact, -1) for fact in FACTS_READ)
            return decision

        return case

    def sql_case(self, name: str, hint: str) -> Callable[[int], Any]:
        kept = self.read.setdefault(name, {})
        since = stamp(NOW - timedelta(days=7))
        statements = [(sql.format(hint=hint), dated) for sql, dated in (HAND_SQL[f] for f in FACTS_READ)]

        def case(k: int) -> Any:
            order_id, data = self.order(k)
            number = data["account"]["account_no"]
            key = f"account:{number}"
            found = []
            for sql, dated in statements:
                params = (DEPARTMENT, key, order_id, since) if dated else (DEPARTMENT, key, order_id)
                if "customer_accounts" in sql:
                    params += (DEPARTMENT, number)
                (value,) = self.db.execute(sql, params).fetchone()
                value = float(value or 0)
                found.append(int(value) if value.is_integer() else round(value, 2))
            kept[k] = tuple(found)
            return found

        return case

    def plans(self) -> dict[str, str]:
        """SQLite's plan of each fact's statement as the engine runs it."""
        found = {}
        with self.store.read() as tx:
            for fact in ("owed", "open_orders", "orders_in_days"):
                since = NOW - timedelta(days=7) if fact == "orders_in_days" else None
                statement = rows.customer_fact_query(fact, DEPARTMENT, "account:W0000001", 1, since)
                compiled = statement.compile(dialect=_named())
                params = {k: stamp(v) if isinstance(v, datetime) else v for k, v in compiled.params.items()}
                driver = tx.connection.connection.driver_connection
                plan = driver.execute("EXPLAIN QUERY PLAN " + str(compiled), params)
                found[fact] = " / ".join(str(row[-1]) for row in plan.fetchall())
        return found


def _named() -> Any:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect(paramstyle="named")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders made (1000000 for the million)")
    parser.add_argument(
        "--customers", type=int, default=0, help="accounts they belong to (default: orders/10)"
    )
    parser.add_argument("--runs", type=int, default=300, help="calls timed per case")
    parser.add_argument("--baseline-runs", type=int, default=5, help="calls timed without the index")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    customers = args.customers or max(1, args.orders // 10)
    if min(args.orders, args.runs, args.baseline_runs, customers) < 1:
        parser.error("--orders, --customers, --runs and --baseline-runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="orderloom-facts-") as tmp:
        path = Path(tmp) / "facts.sqlite3"
        store = Store(f"sqlite:///{path}")
        store.upgrade()
        started = time.perf_counter()
        make_orders(store, args.orders, customers, args.seed)
        made = time.perf_counter() - started
        progress(f"facts: {args.orders:,} orders of {customers:,} accounts made in {made:.1f} s")
        rng = random.Random(args.seed + 1)
        accounts = [rng.randrange(customers) for _ in range(args.runs)]
        reader = FactReader(store, path, accounts, args.orders)
        reader.engine_case("warm", reader.facts)(0)  # statements compiled, pages read once
        figures = {
            "rule_with_facts": timed(args.runs, reader.engine_case("rule_with_facts", reader.facts)),
            "credit_check": timed(args.runs, reader.engine_case("credit_check", reader.credit)),
            "facts_by_hand": timed(args.runs, reader.sql_case("facts_by_hand", "")),
            "facts_without_index": timed(
                args.baseline_runs, reader.sql_case("facts_without_index", " NOT INDEXED")
            ),
        }
        for name in ("facts_by_hand", "facts_without_index"):
            for k, found in reader.read[name].items():
                if reader.read["rule_with_facts"][k] != found:
                    raise SystemExit(
                        f"facts: {name} read {found} for account {account_no(accounts[k])}, OrderLoom "
                        f"{reader.read['rule_with_facts'][k]} ({', '.join(FACTS_READ)})"
                    )
        owed = {k: found[0] for k, found in reader.read["rule_with_facts"].items()}
        if any(reader.read["credit_check"][k][0] != owed[k] for k in owed):
            raise SystemExit("facts: the credit check read another owed() than the facts' rule set")
        plans = reader.plans()
        reader.db.close()
        store.engine.dispose()
    result = {
        "bench": "facts",
        "orders": args.orders,
        "customers": customers,
        "orders_made_s": round(made, 1),
        **figures,
        "plans": plans,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
