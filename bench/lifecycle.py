"""Full retail order lifecycles per second: OrderLoom beside two baselines and its own SQL, in one run.

Every contender drives the same orders through the same lifecycle on its own SQLite file (WAL,
``synchronous=NORMAL``, as the store sets it) in a temporary directory, with the same stock on its
shelves (``initial_stock``: SH-01 holds every sku, BJ-01, GZ-01 and CD-01 part of the range). Seven
transitions in five transactions, as the shipped retail workflow groups them (its ``route``, ``place``
and ``review`` are automatic):

    create (customer, address, 3 order lines, total; routed to a warehouse and a carrier by the stock on
            hand, placed at once: the stock reserved at that warehouse, unpaid timer scheduled)
    -> pay (payment form: a payment record added and captured, the automatic settle moves the paid
       order on; the review approves in the same transaction, unpaid timer cancelled)
    -> ship (shipment form; the shipped units deducted) -> deliver (delivery form; auto-confirm timer
       scheduled) -> complete (auto-confirm timer cancelled)

OrderLoom ships and delivers by the order's shipment records (one per warehouse the order was placed
in, so one for every order here: none is split), the order moving to shipped and delivered by itself
in the same transactions; the baselines ship and deliver the order, the same work for an order from one
warehouse.

Routing is the same decision in every contender: of the warehouses that hold the whole order, the best
by stock and distance; of the carriers that serve the province and take the weight, the best by cost and
promised days; with the candidates, conditions and weights of ``rules/retail/routing.yaml``. Stock is
reserved and deducted by guarded UPDATEs (``on_hand - reserved`` must cover a reservation), so no order
oversells.

- ``orderloom``: the real ``Engine`` with the shipped ``workflows/retail/order.yaml``: forms validated
  against their JSON Schemas, guards, the routing and the audit rule files evaluated (each decision
  traced into the audit row), plugin actions run (``inventory.reserve`` and ``inventory.deduct``,
  payment captured, waybill, notifications to the outbox), audit rows, timers.
- ``spiffworkflow``: ``bench/retail_order.bpmn`` run by SpiffWorkflow (route, place and the deduction
  after ship are script tasks calling functions given to the script engine, timers are boundary events,
  the review an exclusive gateway); every step loads the order's row, deserializes the workflow,
  completes the user task, runs the engine steps (and the script tasks' SQL on the same connection),
  serializes the workflow back into the row and appends an audit row (one row per order, UPDATE +
  commit per step, through the plain ``sqlite3`` driver).
- ``naive``: the ``transitions`` library bound to SQLAlchemy ORM models, a ``Machine`` built per step
  on the loaded ORM instance (as a request handler would); routing, reservation and deduction are
  model methods called by the Machine (``prepare``/``before`` callbacks; the stock read and updated
  through the ORM), guards are model methods, audit and timer rows go through the ORM and every step
  ends with ``session.commit()``.

- ``sql_only``: not a contender but the ceiling: the statements OrderLoom ran for the same orders (recorded
  with their parameters by its driver, untimed), replayed through the plain ``sqlite3`` module on a copy of
  OrderLoom's file, committing where OrderLoom committed, with the store's settings and its WAL checkpoint
  thread, and nothing else. An engine that writes the rows OrderLoom writes, in the transactions it
  writes them, cannot run faster than this; the gap between the two is the engine's own work. Its check
  compares both files row by row.

Both baselines route with ``RetailRouting``: plain Python that reads the candidates and weights from the
routing file once and scores them, with the file's conditions written in Python (a condition it does
not know stops the bench). They do not split an order across warehouses (no order here needs it). They
keep what the lifecycle now keeps beside the order, as OrderLoom does: the payment as a row of its own
(captured), a stock ledger entry per shipped line, and the review looks the customer's mobile, the
address and the skus up in the managed lists the audit names (``list_keys``: one query per list; the
lists are empty, as a new department's are). They still do less work than OrderLoom: no form
validation, no audit rule file (the review is the list look-ups and one comparison with the limit), no
decision traces, no customer, waybill, outbox or search rows, fewer audit rows; so the ratios understate
OrderLoom rather than flatter it.

After the timed runs, every contender's ``check`` reads back from its database that every order
completed, that no timer waits, that each stock row holds what the orders imply (initial units less what
shipped, nothing left reserved), that its ledger's shipments account for what left each shelf, that
every order's payment was recorded, and which warehouse and carrier each order was routed to;
``compare_choices`` stops the bench, naming the first order, when a baseline routed an order otherwise
than OrderLoom. No figure is printed then.

Prints exactly one JSON line on stdout; progress goes to stderr. Baselines may run fewer orders
(``--baseline-orders``): every figure is lifecycles per second, so they compare.
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
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    select,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, object_session

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
BPMN_FILE = HERE / "retail_order.bpmn"
RETAIL_WORKFLOW = REPO_ROOT / "workflows" / "retail" / "order.yaml"
# The workflow every order of the bench runs, as routing conditions read it (order.workflow).
WORKFLOW_NAME = str(yaml.safe_load(RETAIL_WORKFLOW.read_text(encoding="utf-8"))["workflow"])
# Measure the engine of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

UNPAID_TIMEOUT = timedelta(minutes=30)
AUTO_CONFIRM = timedelta(days=7)
REVIEW_LIMIT = 5000  # orders up to this total are approved by review; the bench stays under it

SKUS = [f"SKU-{n:04d}" for n in range(1, 41)]
CHANNEL = "web"
PLACES = [
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("四川省", "成都市", "武侯区"),
]
CARRIERS = ["sf", "jd", "zto", "yto"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# The orders: the same form data for every contender.


class OrderInput:
    """One order's forms, in the shape of ``forms/retail/*.json``: creation, payment, shipment, delivery.

    ``key`` (``seed-n``) names the order across contenders: each numbers its orders its own way.
    """

    __slots__ = ("create", "delivery", "key", "payment", "shipment")

    def __init__(
        self,
        key: str,
        create: dict[str, Any],
        payment: dict[str, Any],
        shipment: dict[str, Any],
        delivery: dict[str, Any],
    ) -> None:
        self.key = key
        self.create = create
        self.payment = payment
        self.shipment = shipment
        self.delivery = delivery


def make_orders(count: int, seed: int) -> list[OrderInput]:
    """``count`` orders with 3 lines each, all within the review limit (the audit approves them)."""
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        lines: list[dict[str, Any]] = []
        for _ in range(3):
            qty, unit_price = rng.randint(1, 3), rng.randint(5, 400)
            sku = rng.choice(SKUS)
            lines.append(
                {
                    "sku": sku,
                    "name": f"Product {sku}",
                    "qty": qty,
                    "unit_price": unit_price,
                    "amount": qty * unit_price,
                }
            )
        shipping_fee = 10
        total = sum(line["amount"] for line in lines) + shipping_fee
        province, city, district = rng.choice(PLACES)
        create = {
            "customer": {
                "name": f"Customer {seed}-{n}",
                "mobile": f"13{rng.randint(5, 9)}{rng.randint(0, 99_999_999):08d}",
            },
            "address": {
                "province": province,
                "city": city,
                "district": district,
                "detail": f"花园路{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2999)}室",
                "postcode": f"{rng.randint(100000, 999999)}",
            },
            "lines": lines,
            "shipping_fee": shipping_fee,
            "discount": 0,
            "total": total,
        }
        payment = {"method": "card", "amount": total, "transaction_ref": f"PAY{seed:04d}{n:08d}"}
        shipment = {"carrier": rng.choice(CARRIERS), "packages": 1}
        delivery = {"delivered_at": datetime.now(UTC).isoformat(timespec="seconds"), "signed_by": "本人"}
        orders.append(OrderInput(f"{seed}-{n}", create, payment, shipment, delivery))
    return orders


# --------------------------------------------------------------------------------------------------
# Stock and routing for the baselines: what a team without a rules engine writes.

ROUTING_FILE = REPO_ROOT / "rules" / "retail" / "routing.yaml"
# Every contender starts with the same shelves: SH-01 holds every sku (so every order can ship whole from
# one warehouse and none is split), the others part of the range, so the nearest warehouse that holds the
# whole order changes from order to order.
INITIAL_ON_HAND = 10_000_000
WAREHOUSE_SKUS = {
    "SH-01": SKUS,
    "BJ-01": SKUS[:30],
    "GZ-01": SKUS[10:],
    "CD-01": SKUS[::2],
}
Choice = tuple[str, str]  # (warehouse, carrier) routing chose for an order
StockTotals = dict[tuple[str, str], tuple[int, int]]  # (sku, warehouse) -> (on_hand, reserved)


def initial_stock() -> list[dict[str, Any]]:
    """The stock rows every contender is seeded with."""
    return [
        {"sku": sku, "warehouse": warehouse, "on_hand": INITIAL_ON_HAND, "reserved": 0}
        for warehouse, skus in WAREHOUSE_SKUS.items()
        for sku in skus
    ]


# The conditions of the routing file as the baselines write them: in Python, next to the scoring. A
# condition the file gains or rewrites stops the bench at start instead of routing differently unseen.
ROUTING_CONDITIONS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "order.workflow != 'retail-flash-sale'": lambda order: bool(order["workflow"] != "retail-flash-sale"),
    "order.total < 2000": lambda order: bool(order["total"] < 2000),
}
_REGION_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def short_province(name: str) -> str:
    """``上海市`` -> ``上海``, ``四川省`` -> ``四川``: addresses give the full name, routing the short one."""
    name = name.strip()
    for suffix in _REGION_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def lower_is_better(raws: Sequence[float]) -> list[float]:
    """Scores 0..1 for raw figures where less is better (1 for all when they are equal)."""
    low, high = min(raws), max(raws)
    if high == low:
        return [1.0] * len(raws)
    return [(high - raw) / (high - low) for raw in raws]


@dataclass(frozen=True)
class RoutingWarehouse:
    name: str
    province: str
    distances: Mapping[str, float]
    serves: frozenset[str] | None
    condition: Callable[[Mapping[str, Any]], bool] | None


@dataclass(frozen=True)
class RoutingCarrier:
    name: str
    base_cost: float
    cost_per_kg: float
    max_weight_kg: float | None
    promise_days: float
    provinces: frozenset[str] | None
    condition: Callable[[Mapping[str, Any]], bool] | None


class RetailRouting:
    """The warehouse and the carrier of an order, from the candidates and weights of the routing file.

    Warehouses that hold the whole order compete on stock and distance, carriers that can take it on
    cost and promised days; each criterion is scored 0..1 among the eligible candidates, the weighted
    mean wins and ties go to file order. An order no single warehouse can fill is not routed (the
    bench's shelves never leave one so).
    """

    def __init__(self, path: Path = ROUTING_FILE) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.weights = {str(k): float(v) for k, v in doc["weights"].items()}
        self.default_weight_kg = float(doc.get("default_weight_kg", 1))
        self.default_distance_km = float(doc.get("default_distance_km", 2000))
        self.warehouses = [
            RoutingWarehouse(
                name=raw["name"],
                province=short_province(raw["province"]),
                distances={short_province(k): float(v) for k, v in (raw.get("distances") or {}).items()},
                serves=frozenset(map(short_province, raw["serves"])) if "serves" in raw else None,
                condition=self._condition(path, raw),
            )
            for raw in doc["warehouses"]
        ]
        self.carriers = [
            RoutingCarrier(
                name=raw["name"],
                base_cost=float(raw["base_cost"]),
                cost_per_kg=float(raw["cost_per_kg"]),
                max_weight_kg=float(raw["max_weight_kg"]) if "max_weight_kg" in raw else None,
                promise_days=float(raw["promise_days"]),
                provinces=frozenset(map(short_province, raw["provinces"])) if "provinces" in raw else None,
                condition=self._condition(path, raw),
            )
            for raw in doc["carriers"]
        ]

    @staticmethod
    def _condition(path: Path, raw: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool] | None:
        when = raw.get("when")
        if when is None:
            return None
        if when not in ROUTING_CONDITIONS:
            raise SystemExit(
                f"{path}: candidate {raw['name']!r} has the condition {when!r}, which the baselines do not "
                "implement; add it to ROUTING_CONDITIONS in bench/lifecycle.py"
            )
        return ROUTING_CONDITIONS[when]

    def choose(self, order: Mapping[str, Any], free: Mapping[tuple[str, str], int]) -> Choice | None:
        """Route ``order`` (the creation form plus its ``channel`` and ``workflow``) with
        ``free[sku, warehouse]`` units."""
        province = short_province(order["address"]["province"])
        wanted: dict[str, int] = {}
        for line in order["lines"]:
            wanted[line["sku"]] = wanted.get(line["sku"], 0) + line["qty"]
        units = sum(wanted.values())
        warehouses = [
            w
            for w in self.warehouses
            if (w.condition is None or w.condition(order)) and (w.serves is None or province in w.serves)
        ]
        weight = self._weight(order)
        carriers = [
            c
            for c in self.carriers
            if (c.condition is None or c.condition(order))
            and (c.provinces is None or province in c.provinces)
            and (c.max_weight_kg is None or weight <= c.max_weight_kg)
        ]
        if not units or not warehouses or not carriers:
            return None

        stock_weight, distance_weight = self.weights.get("stock", 0.0), self.weights.get("distance", 0.0)
        distances = [self._distance(w, province) for w in warehouses]
        warehouse: str | None = None
        best = -1.0
        for candidate, distance_score in zip(warehouses, lower_is_better(distances), strict=True):
            filled = sum(min(qty, max(free.get((sku, candidate.name), 0), 0)) for sku, qty in wanted.items())
            if filled < units:
                continue  # only a warehouse that holds the whole order ships it
            score = _weighted([(filled / units, stock_weight), (distance_score, distance_weight)])
            if score > best:
                warehouse, best = candidate.name, score
        if warehouse is None:
            return None

        costs = lower_is_better([c.base_cost + c.cost_per_kg * weight for c in carriers])
        promises = lower_is_better([c.promise_days for c in carriers])
        cost_weight, promise_weight = self.weights.get("cost", 0.0), self.weights.get("promise", 0.0)
        scores = [
            _weighted([(cost, cost_weight), (promise, promise_weight)])
            for cost, promise in zip(costs, promises, strict=True)
        ]
        carrier = carriers[scores.index(max(scores))].name  # the first of the best: file order
        return warehouse, carrier

    def _distance(self, warehouse: RoutingWarehouse, province: str) -> float:
        if province in warehouse.distances:
            return warehouse.distances[province]
        if province == warehouse.province:
            return 0.0
        return self.default_distance_km

    def _weight(self, order: Mapping[str, Any]) -> float:
        if order.get("weight_kg") is not None:
            return float(order["weight_kg"])
        weighed = [line for line in order["lines"] if line.get("weight_kg") is not None]
        if weighed:
            return float(sum(line["weight_kg"] * line["qty"] for line in weighed))
        return self.default_weight_kg


def _weighted(scores: Sequence[tuple[float, float]]) -> float:
    """The weighted mean of ``(score, weight)`` pairs; 0 when every weight is 0."""
    total_weight = sum(weight for _, weight in scores)
    if total_weight <= 0:
        return 0.0
    return sum(score * weight for score, weight in scores) / total_weight


def expected_stock(orders: Sequence[OrderInput], choices: Sequence[Choice]) -> StockTotals:
    """On hand and reserved per (sku, warehouse) after ``orders`` shipped from the warehouses chosen."""
    totals = {(row["sku"], row["warehouse"]): row["on_hand"] for row in initial_stock()}
    for order, (warehouse, _carrier) in zip(orders, choices, strict=True):
        for line in order.create["lines"]:
            key = (line["sku"], warehouse)
            totals[key] = totals.get(key, 0) - line["qty"]  # no row there: check_stock names it
    return {key: (on_hand, 0) for key, on_hand in totals.items()}


def check_stock(name: str, actual: StockTotals, expected: StockTotals) -> None:
    """Raise naming the first (sku, warehouse) whose totals are not what the orders imply."""
    for key in sorted(expected.keys() | actual.keys()):
        if actual.get(key) != expected.get(key):
            raise RuntimeError(
                f"{name}: stock of {key[0]} in {key[1]} is (on_hand, reserved) = {actual.get(key)}, "
                f"the orders imply {expected.get(key)}"
            )


def check_ledger_and_payments(
    name: str, stock: StockTotals, shipped: Mapping[tuple[str, str], int], payments: int, orders: int
) -> None:
    """Raise unless every order's payment was recorded (one each) and the stock ledger's shipments of
    each stock row account for what left its shelf."""
    if payments != orders:
        raise RuntimeError(f"{name}: {payments} payments recorded for {orders} orders")
    for (sku, warehouse), (on_hand, _reserved) in sorted(stock.items()):
        if shipped.get((sku, warehouse), 0) != on_hand - INITIAL_ON_HAND:
            raise RuntimeError(
                f"{name}: the ledger of {sku} in {warehouse} says {shipped.get((sku, warehouse), 0)}, "
                f"the shelf {on_hand - INITIAL_ON_HAND}"
            )


# The managed lists the shipped audit names (``lists:`` of rules/retail/audit.yaml), as the baselines
# keep them: a table of (list, key). A paid order's review looks it up once per list, each value by its
# key as OrderLoom normalises it (engine.common.list_keys), here in a few lines of plain Python: a mobile
# by its digits, an address by its parts without spaces, a sku in capitals.
AUDIT_FILE = REPO_ROOT / "rules" / "retail" / "audit.yaml"
LIST_NAMES = ("blocked-mobiles", "blocked-addresses", "restricted-skus")
LIST_TABLE = """
CREATE TABLE list_entry (
    list TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (list, key)
)"""
LIST_LOOKUP = "SELECT 1 FROM list_entry WHERE list = ? AND key IN ({marks}) LIMIT 1"


def audit_lists(path: Path = AUDIT_FILE) -> tuple[str, ...]:
    """The lists the audit file names; the bench stops when they are not those the baselines look up."""
    named = tuple(sorted(yaml.safe_load(path.read_text(encoding="utf-8")).get("lists") or {}))
    if named != tuple(sorted(LIST_NAMES)):
        raise SystemExit(f"{path}: the audit names the lists {named}; the baselines look up {LIST_NAMES}")
    return named


def list_keys(
    customer: Mapping[str, Any], address: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]
) -> list[tuple[str, list[str]]]:
    """Each list the review looks up, with the keys of the order's values for it."""
    mobile = "".join(ch for ch in str(customer.get("mobile") or "") if ch.isdigit())
    parts = (address.get(part) for part in ("province", "city", "district", "detail"))
    place = "".join(str(part) for part in parts if part).replace(" ", "")
    skus = sorted({str(line["sku"]).strip().upper() for line in lines})
    return [("blocked-mobiles", [mobile]), ("blocked-addresses", [place]), ("restricted-skus", skus)]


def compare_choices(choices: Mapping[str, Sequence[tuple[str, Choice]]], reference: str) -> int:
    """Stop the run unless every contender routed each order it shares with ``reference`` alike.

    ``choices[name]`` lists ``(order key, (warehouse, carrier))`` in the contender's run order; orders
    one of the two did not run are not compared. Returns how many (contender, order) pairs were; the
    first differing order in the reference's run order is named, with a count of all of them.
    """
    others = {name: dict(given) for name, given in choices.items() if name != reference}
    compared, differing, first = 0, 0, ""
    for key, want in choices[reference]:
        for name, given in others.items():
            choice = given.get(key)
            if choice is None:
                continue  # the baselines run fewer orders than the reference
            compared += 1
            if choice != want:
                differing += 1
                first = first or (
                    f"order {key}: {reference} chose {'/'.join(want)}, {name} chose {'/'.join(choice)}"
                )
    if differing:
        raise SystemExit(
            f"the contenders routed {differing} of {compared} orders differently; no figures\n  {first}"
        )
    if not compared:
        raise SystemExit("no order was run by every contender: nothing to compare routing on; no figures")
    return compared


# --------------------------------------------------------------------------------------------------
# Contenders


class Contender(Protocol):
    name: str

    def prepare(self, orders: list[OrderInput]) -> None:
        """Whatever must happen before the clock starts for ``run(orders)``."""

    def run(self, orders: list[OrderInput]) -> None:
        """Drive every order through the whole lifecycle, one transaction per step."""

    def check(self, orders: Sequence[OrderInput]) -> list[Choice]:
        """Raise unless every order of ``orders`` (all those run, in run order) completed, no timer is
        left waiting and the stock is what the orders imply; return each order's routing, read back."""


def sqlite_pragmas(connection: Any) -> None:
    """The same settings for every contender: WAL, normal sync, a busy timeout."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class NothingToPrepare:
    """A contender whose ``run`` is the whole of its work."""

    def prepare(self, orders: list[OrderInput]) -> None:
        """Nothing happens before the clock starts."""


class OutOfStock(RuntimeError):
    """A baseline's guarded UPDATE found fewer units free than the order wants."""


# (a) SpiffWorkflow ----------------------------------------------------------------------------------


class SpiffContender(NothingToPrepare):
    """SpiffWorkflow 3, the workflow serialized into the order's row after every step.

    Routing, reservation and deduction are script tasks of the BPMN process calling functions given to
    the script engine, which work on this contender's connection inside the step's transaction.
    """

    name = "spiffworkflow"

    def __init__(self, db_path: Path, routing: RetailRouting | None = None) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self._spec = parser.get_spec("retail_order")  # parsed once, shared by every instance
        self._workflow_class = BpmnWorkflow
        self._serializer = BpmnWorkflowSerializer()
        self._ready = TaskState.READY
        self._routing = routing or RetailRouting()
        self._script_engine = PythonScriptEngine(
            environment=TaskDataEnvironment(
                {
                    "route_order": self._route_order,
                    "reserve_stock": self._reserve_stock,
                    "on_lists": self._on_lists,
                    "deduct_stock": self._deduct_stock,
                }
            )
        )
        audit_lists()
        self._order_id: int | None = None  # the order whose step runs (the ledger's reference)
        self._actor = ""
        self._db = sqlite3.connect(db_path, isolation_level=None)
        sqlite_pragmas(self._db)
        self._db.executescript(
            LIST_TABLE
            + """;
            CREATE TABLE payment (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES process_instance(id),
                state TEXT NOT NULL,
                method TEXT NOT NULL,
                amount REAL NOT NULL,
                transaction_ref TEXT,
                at TEXT NOT NULL
            );
            CREATE INDEX payment_order ON payment(order_id);
            CREATE TABLE stock_ledger (
                id INTEGER PRIMARY KEY,
                sku TEXT NOT NULL,
                warehouse TEXT NOT NULL,
                change INTEGER NOT NULL,
                kind TEXT NOT NULL,
                reference TEXT,
                actor TEXT NOT NULL,
                at TEXT NOT NULL
            );
            CREATE INDEX stock_ledger_sku ON stock_ledger(sku, warehouse, id);
            CREATE TABLE process_instance (
                id INTEGER PRIMARY KEY,
                status TEXT NOT NULL,
                warehouse TEXT,
                carrier TEXT,
                serialization TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE TABLE audit_event (
                id INTEGER PRIMARY KEY,
                order_id INTEGER NOT NULL REFERENCES process_instance(id),
                task TEXT NOT NULL,
                actor TEXT NOT NULL,
                at TEXT NOT NULL,
                data TEXT NOT NULL
            );
            CREATE INDEX audit_event_order ON audit_event(order_id);
            CREATE TABLE stock (
                sku TEXT NOT NULL,
                warehouse TEXT NOT NULL,
                on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
                reserved INTEGER NOT NULL CHECK (reserved >= 0),
                PRIMARY KEY (sku, warehouse)
            );
            """
        )
        self._db.executemany(
            "INSERT INTO stock (sku, warehouse, on_hand, reserved) "
            "VALUES (:sku, :warehouse, :on_hand, :reserved)",
            initial_stock(),
        )

    # the functions the script tasks call
    def _route_order(
        self, address: dict[str, Any], lines: list[dict[str, Any]], total: float, channel: str
    ) -> tuple[str | None, str | None]:
        skus = sorted({line["sku"] for line in lines})
        marks = ", ".join("?" * len(skus))
        rows = self._db.execute(
            f"SELECT sku, warehouse, on_hand - reserved FROM stock WHERE sku IN ({marks})", skus
        )
        free = {(sku, warehouse): units for sku, warehouse, units in rows}
        order = {
            "address": address,
            "lines": lines,
            "total": total,
            "channel": channel,
            "workflow": WORKFLOW_NAME,
        }
        choice = self._routing.choose(order, free)
        return choice if choice is not None else (None, None)

    def _reserve_stock(self, warehouse: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        held = []
        for line in lines:
            cursor = self._db.execute(
                "UPDATE stock SET reserved = reserved + ? "
                "WHERE sku = ? AND warehouse = ? AND on_hand - reserved >= ?",
                (line["qty"], line["sku"], warehouse, line["qty"]),
            )
            if cursor.rowcount != 1:
                raise OutOfStock(f"not enough {line['sku']} free in {warehouse} for {line['qty']}")
            held.append({"sku": line["sku"], "warehouse": warehouse, "qty": line["qty"]})
        return held

    def _on_lists(
        self, customer: dict[str, Any], address: dict[str, Any], lines: list[dict[str, Any]]
    ) -> bool:
        """Whether any of the order's values is on a managed list: one look-up per list."""
        for name, keys in list_keys(customer, address, lines):
            marks = ", ".join("?" * len(keys))
            if self._db.execute(LIST_LOOKUP.format(marks=marks), (name, *keys)).fetchone() is not None:
                return True
        return False

    def _deduct_stock(self, held: list[dict[str, Any]]) -> list[dict[str, Any]]:
        at = datetime.now(UTC).isoformat()
        for holding in held:
            cursor = self._db.execute(
                "UPDATE stock SET on_hand = on_hand - ?, reserved = reserved - ? "
                "WHERE sku = ? AND warehouse = ? AND reserved >= ? AND on_hand >= ?",
                (
                    holding["qty"],
                    holding["qty"],
                    holding["sku"],
                    holding["warehouse"],
                    holding["qty"],
                    holding["qty"],
                ),
            )
            if cursor.rowcount != 1:
                raise OutOfStock(f"cannot deduct {holding['qty']} {holding['sku']} in {holding['warehouse']}")
            self._db.execute(
                "INSERT INTO stock_ledger (sku, warehouse, change, kind, reference, actor, at) "
                "VALUES (?, ?, ?, 'ship', ?, ?, ?)",
                (holding["sku"], holding["warehouse"], -holding["qty"], str(self._order_id), self._actor, at),
            )
        return []  # nothing is reserved any more

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _audit(self, order_id: int, task: str, actor: str, data: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO audit_event (order_id, task, actor, at, data) VALUES (?, ?, ?, ?, ?)",
            (order_id, task, actor, datetime.now(UTC).isoformat(), json.dumps(data)),
        )

    def create(self, form: dict[str, Any]) -> int:
        with self._transaction() as db:
            workflow = self._workflow_class(self._spec, script_engine=self._script_engine)
            start = workflow.get_next_task(state=self._ready)
            start.set_data(**form, channel=CHANNEL)
            workflow.do_engine_steps()  # route and place: stock read, scored and reserved
            waiting = workflow.get_next_task(state=self._ready, manual=True)
            routed = waiting.data if waiting is not None else {}
            if routed.get("warehouse") is None:
                raise RuntimeError(f"order of {form['customer']['name']} could not be routed")
            cursor = db.execute(
                "INSERT INTO process_instance (status, warehouse, carrier, serialization, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    "completed" if workflow.is_completed() else "running",
                    routed.get("warehouse"),
                    routed.get("carrier"),
                    self._serializer.serialize_json(workflow),
                    datetime.now(UTC).isoformat(),
                ),
            )
            order_id = int(cursor.lastrowid or 0)
            self._audit(order_id, "created", "clerk", form)
        return order_id

    def step(self, order_id: int, task_name: str, actor: str, data: dict[str, Any]) -> None:
        with self._transaction() as db:
            (serialization,) = db.execute(
                "SELECT serialization FROM process_instance WHERE id = ?", (order_id,)
            ).fetchone()
            workflow = self._serializer.deserialize_json(serialization)
            workflow.script_engine = self._script_engine
            workflow.refresh_timers()
            task = workflow.get_next_task(state=self._ready, manual=True)
            if task is None or task.task_spec.bpmn_id != task_name:
                raise RuntimeError(f"order {order_id}: {task_name} is not the ready task ({task})")
            task.set_data(**data)
            task.run()
            self._order_id, self._actor = order_id, actor
            workflow.do_engine_steps()
            if task_name == "pay":  # the payment kept as a record of its own, captured
                db.execute(
                    "INSERT INTO payment (order_id, state, method, amount, transaction_ref, at) "
                    "VALUES (?, 'captured', ?, ?, ?, ?)",
                    (
                        order_id,
                        data["method"],
                        data["amount"],
                        data.get("transaction_ref"),
                        datetime.now(UTC).isoformat(),
                    ),
                )
            db.execute(
                "UPDATE process_instance SET status = ?, serialization = ?, updated_at = ? WHERE id = ?",
                (
                    "completed" if workflow.is_completed() else "running",
                    self._serializer.serialize_json(workflow),
                    datetime.now(UTC).isoformat(),
                    order_id,
                ),
            )
            self._audit(order_id, task_name, actor, data)

    def run(self, orders: list[OrderInput]) -> None:
        for order in orders:
            order_id = self.create(order.create)  # routed and placed at once
            self.step(order_id, "pay", "clerk", order.payment)  # the review gateway follows at once
            self.step(order_id, "ship", "warehouse", order.shipment)  # the stock deducted at once
            self.step(order_id, "deliver", "warehouse", order.delivery)
            self.step(order_id, "complete", "service", {})

    def check(self, orders: Sequence[OrderInput]) -> list[Choice]:
        rows = self._db.execute(
            "SELECT status, warehouse, carrier FROM process_instance ORDER BY id"
        ).fetchall()
        running = sum(1 for status, _, _ in rows if status != "completed")
        if running or len(rows) != len(orders):
            raise RuntimeError(
                f"spiffworkflow: {running} of {len(rows)} orders did not complete ({len(orders)} run)"
            )
        choices = [(warehouse, carrier) for _, warehouse, carrier in rows]
        stock = {
            (sku, warehouse): (on_hand, reserved)
            for sku, warehouse, on_hand, reserved in self._db.execute(
                "SELECT sku, warehouse, on_hand, reserved FROM stock"
            )
        }
        check_stock(self.name, stock, expected_stock(orders, choices))
        shipped = {
            (sku, warehouse): int(change)
            for sku, warehouse, change in self._db.execute(
                "SELECT sku, warehouse, sum(change) FROM stock_ledger WHERE kind = 'ship' GROUP BY 1, 2"
            )
        }
        (payments,) = self._db.execute("SELECT count(*) FROM payment WHERE state = 'captured'").fetchone()
        check_ledger_and_payments(self.name, stock, shipped, payments, len(orders))
        return choices


# (b) transitions bound to SQLAlchemy ORM models -------------------------------------------------------

NAIVE_STATES = [
    "created",
    "routed",
    "out_of_stock",
    "pending_payment",
    "paid",
    "on_hold",
    "pending_shipment",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
]
NAIVE_TRANSITIONS: list[dict[str, Any]] = [
    {
        "trigger": "route",
        "source": "created",
        "dest": "routed",
        "prepare": "choose_route",
        "conditions": "is_routed",
    },
    {"trigger": "route", "source": "created", "dest": "out_of_stock"},
    {"trigger": "place", "source": "routed", "dest": "pending_payment", "before": "reserve_stock"},
    {"trigger": "pay", "source": "pending_payment", "dest": "paid", "conditions": "payment_covers_total"},
    {
        "trigger": "review",
        "source": "paid",
        "dest": "pending_shipment",
        "conditions": ["within_review_limit", "on_no_list"],
    },
    {"trigger": "review", "source": "paid", "dest": "on_hold"},
    {"trigger": "approve", "source": "on_hold", "dest": "pending_shipment"},
    {
        "trigger": "ship",
        "source": "pending_shipment",
        "dest": "shipped",
        "conditions": "has_carrier",
        "before": "deduct_stock",
    },
    {"trigger": "deliver", "source": "shipped", "dest": "delivered"},
    {"trigger": "complete", "source": "delivered", "dest": "completed"},
    {"trigger": "cancel", "source": ["pending_payment", "paid", "on_hold"], "dest": "cancelled"},
]


class NaiveBase(DeclarativeBase):
    pass


class NaiveStock(NaiveBase):
    __tablename__ = "stock"
    __table_args__ = (CheckConstraint("on_hand >= 0"), CheckConstraint("reserved >= 0"))
    sku: Mapped[str] = mapped_column(String(100), primary_key=True)
    warehouse: Mapped[str] = mapped_column(String(100), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)


class NaiveOrder(NaiveBase):
    """The order row; the per-order Machine calls these methods as guards and callbacks."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    warehouse: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # routing and stock, called by the Machine with the EventData
    def choose_route(self, event: Any) -> None:
        """Score the warehouses and carriers on the stock free now, read through the ORM."""
        session = object_session(self)
        assert session is not None
        skus = {line["sku"] for line in self.data["lines"]}
        free = {
            (row.sku, row.warehouse): row.on_hand - row.reserved
            for row in session.scalars(select(NaiveStock).where(NaiveStock.sku.in_(skus)))
        }
        routing: RetailRouting = event.kwargs["routing"]
        choice = routing.choose({**self.data, "channel": self.channel, "workflow": WORKFLOW_NAME}, free)
        if choice is not None:
            self.warehouse, self.carrier = choice
            self.data = {**self.data, "warehouse": self.warehouse, "carrier": self.carrier}

    def is_routed(self, event: Any) -> bool:
        return self.warehouse is not None and self.carrier is not None

    def reserve_stock(self, event: Any) -> None:
        """One guarded UPDATE per line: refused (and the transaction with it) when the units are not free."""
        session = object_session(self)
        assert session is not None
        for line in self.data["lines"]:
            result = session.execute(
                update(NaiveStock)
                .where(
                    NaiveStock.sku == line["sku"],
                    NaiveStock.warehouse == self.warehouse,
                    NaiveStock.on_hand - NaiveStock.reserved >= line["qty"],
                )
                .values(reserved=NaiveStock.reserved + line["qty"])
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
                raise OutOfStock(f"order {self.id}: not enough {line['sku']} free in {self.warehouse}")

    def deduct_stock(self, event: Any) -> None:
        session = object_session(self)
        assert session is not None
        for line in self.data["lines"]:
            result = session.execute(
                update(NaiveStock)
                .where(
                    NaiveStock.sku == line["sku"],
                    NaiveStock.warehouse == self.warehouse,
                    NaiveStock.reserved >= line["qty"],
                    NaiveStock.on_hand >= line["qty"],
                )
                .values(on_hand=NaiveStock.on_hand - line["qty"], reserved=NaiveStock.reserved - line["qty"])
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult for an UPDATE
                raise OutOfStock(
                    f"order {self.id}: cannot deduct {line['qty']} {line['sku']} in {self.warehouse}"
                )
            assert self.warehouse is not None
            session.add(
                NaiveLedgerEntry(
                    sku=line["sku"],
                    warehouse=self.warehouse,
                    change=-line["qty"],
                    kind="ship",
                    reference=str(self.id),
                    actor=event.kwargs.get("actor", ""),
                    at=datetime.now(UTC),
                )
            )

    # guards
    def payment_covers_total(self, event: Any) -> bool:
        payment = event.kwargs.get("data", {})
        return bool(payment.get("amount", 0) >= self.data["total"])

    def within_review_limit(self, event: Any) -> bool:
        return bool(0 < self.data["total"] <= REVIEW_LIMIT)

    def has_carrier(self, event: Any) -> bool:
        return bool(event.kwargs.get("data", {}).get("carrier"))

    def on_no_list(self, event: Any) -> bool:
        """None of the order's values on a managed list: one query per list."""
        session = object_session(self)
        assert session is not None
        for name, keys in list_keys(self.data["customer"], self.data["address"], self.data["lines"]):
            found = session.scalar(
                select(NaiveListEntry.key)
                .where(NaiveListEntry.list == name, NaiveListEntry.key.in_(keys))
                .limit(1)
            )
            if found is not None:
                return False
        return True

    # the one after-state-change callback: merge data, audit, timers
    def on_transition(self, event: Any) -> None:
        session = object_session(self)
        assert session is not None
        now = datetime.now(UTC)
        data = event.kwargs.get("data") or {}
        if data:
            self.data = {**self.data, **data}
        self.updated_at = now
        session.add(
            NaiveAuditEvent(
                order_id=self.id,
                trigger=event.event.name,
                source=event.transition.source,
                dest=event.transition.dest,
                actor=event.kwargs.get("actor", ""),
                at=now,
                data=data,
            )
        )
        if event.event.name == "pay":  # the payment kept as a record of its own, captured
            session.add(
                NaivePayment(
                    order_id=self.id,
                    state="captured",
                    method=data["method"],
                    amount=data["amount"],
                    transaction_ref=data.get("transaction_ref"),
                    at=now,
                )
            )
        # timers wait in a state: cancelled when the order leaves it, scheduled when it enters one
        for timer in session.query(NaiveTimer).filter_by(order_id=self.id, state=event.transition.source):
            session.delete(timer)
        if event.transition.dest == "pending_payment":
            session.add(
                NaiveTimer(
                    order_id=self.id,
                    state="pending_payment",
                    trigger="cancel",
                    due_at=now + UNPAID_TIMEOUT,
                    reason="unpaid_timeout",
                )
            )
        elif event.transition.dest == "delivered":
            session.add(
                NaiveTimer(
                    order_id=self.id,
                    state="delivered",
                    trigger="complete",
                    due_at=now + AUTO_CONFIRM,
                    reason="auto_confirm_receipt",
                )
            )


class NaiveAuditEvent(NaiveBase):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    dest: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class NaiveTimer(NaiveBase):
    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    state: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    reason: Mapped[str] = mapped_column(String(80))


class NaiveListEntry(NaiveBase):
    __tablename__ = "list_entry"
    list: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(500), primary_key=True)


class NaivePayment(NaiveBase):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    transaction_ref: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NaiveLedgerEntry(NaiveBase):
    __tablename__ = "stock_ledger"
    __table_args__ = (Index("stock_ledger_sku", "sku", "warehouse", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(100))
    warehouse: Mapped[str] = mapped_column(String(100))
    change: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class NaiveContender(NothingToPrepare):
    """``transitions`` with a Machine per order bound to its ORM instance; commit after every step."""

    name = "naive"

    def __init__(self, db_path: Path, routing: RetailRouting | None = None) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import Session
        from transitions import Machine

        self._machine_class = Machine
        self._session_class = Session
        self._order, self._audit, self._timer = NaiveOrder, NaiveAuditEvent, NaiveTimer
        self._routing = routing or RetailRouting()
        audit_lists()
        self._engine = create_engine(f"sqlite:///{db_path}")
        event.listen(self._engine, "connect", lambda dbapi, _record: sqlite_pragmas(dbapi))
        NaiveBase.metadata.create_all(self._engine)
        with Session(self._engine) as session:
            session.add_all(NaiveStock(**row) for row in initial_stock())
            session.commit()

    def _machine(self, order: Any) -> Any:
        return self._machine_class(
            model=order,
            states=NAIVE_STATES,
            transitions=NAIVE_TRANSITIONS,
            initial=order.state,
            auto_transitions=False,
            send_event=True,
            after_state_change="on_transition",
        )

    def create(self, form: dict[str, Any]) -> int:
        """One transaction: insert the order, route it, reserve its stock (place), commit."""
        now = datetime.now(UTC)
        with self._session_class(self._engine) as session:
            order: Any = self._order(  # Any: the Machine adds ``trigger`` to the instance
                state="created", channel=CHANNEL, data=form, created_at=now, updated_at=now
            )
            session.add(order)
            session.flush()
            session.add(
                self._audit(
                    order_id=order.id,
                    trigger="create",
                    source="",
                    dest="created",
                    actor="clerk",
                    at=now,
                    data=form,
                )
            )
            self._machine(order)
            order.trigger("route", actor="system", routing=self._routing)
            if order.state != "routed":
                raise RuntimeError(f"order {order.id} could not be routed ({order.state})")
            order.trigger("place", actor="system")  # raises OutOfStock, rolling back, when short
            session.commit()
            return int(order.id)

    def step(self, order_id: int, triggers: tuple[str, ...], actor: str, data: dict[str, Any]) -> None:
        """One transaction: load the order, bind a Machine to it, fire ``triggers``, commit."""
        with self._session_class(self._engine) as session:
            order: Any = session.get(self._order, order_id)  # Any: the Machine adds ``trigger``
            self._machine(order)
            for trigger in triggers:
                if not order.trigger(trigger, actor=actor, data=data):
                    session.rollback()
                    raise RuntimeError(f"order {order_id}: {trigger} was refused in {order.state}")
                data = {}
            session.commit()

    def run(self, orders: list[OrderInput]) -> None:
        for order in orders:
            order_id = self.create(order.create)  # routed and placed at once
            self.step(order_id, ("pay", "review"), "clerk", order.payment)  # the review follows at once
            self.step(order_id, ("ship",), "warehouse", order.shipment)  # the stock deducted at once
            self.step(order_id, ("deliver",), "warehouse", order.delivery)
            self.step(order_id, ("complete",), "service", {})

    def check(self, orders: Sequence[OrderInput]) -> list[Choice]:
        from sqlalchemy import func

        with self._session_class(self._engine) as session:
            open_orders = session.scalar(
                select(func.count()).select_from(self._order).where(self._order.state != "completed")
            )
            timers = session.scalar(select(func.count()).select_from(self._timer))
            routed = session.execute(
                select(self._order.warehouse, self._order.carrier).order_by(self._order.id)
            ).all()
            stock = {
                (row.sku, row.warehouse): (row.on_hand, row.reserved)
                for row in session.scalars(select(NaiveStock))
            }
            payments = session.scalar(
                select(func.count()).select_from(NaivePayment).where(NaivePayment.state == "captured")
            )
            ledger = NaiveLedgerEntry
            shipped = {
                (sku, warehouse): int(change)
                for sku, warehouse, change in session.execute(
                    select(ledger.sku, ledger.warehouse, func.sum(ledger.change))
                    .where(ledger.kind == "ship")
                    .group_by(ledger.sku, ledger.warehouse)
                )
            }
        if open_orders or timers or len(routed) != len(orders):
            raise RuntimeError(
                f"naive: {open_orders} orders not completed, {timers} timers left, "
                f"{len(routed)} orders stored of {len(orders)} run"
            )
        choices = [(str(warehouse), str(carrier)) for warehouse, carrier in routed]
        check_stock(self.name, stock, expected_stock(orders, choices))
        check_ledger_and_payments(self.name, stock, shipped, int(payments or 0), len(orders))
        return choices


# (c) OrderLoom ---------------------------------------------------------------------------------------


class OrderLoomContender(NothingToPrepare):
    """The real Engine with the shipped retail workflow, on a migrated SQLite file."""

    name = "orderloom"

    def __init__(self, db_path: Path, connect_args: Mapping[str, Any] | None = None) -> None:
        from engine.clock import SystemClock
        from engine.dsl.compiler import load_bundle
        from engine.plugins import PluginRegistry
        from engine.runtime import Actor, Engine
        from engine.store import Store
        from engine.store.tables import stock

        options = {"connect_args": dict(connect_args)} if connect_args else {}
        self._store = Store(f"sqlite:///{db_path}", **options)
        self._store.upgrade()
        registry = PluginRegistry.from_entry_points()
        self._engine = Engine(self._store, registry, SystemClock())
        bundle = load_bundle(RETAIL_WORKFLOW, REPO_ROOT, action_names=registry.action_names)
        self._workflow = self._engine.publish(bundle).workflow
        # the same shelves as the baselines, enough for every order the run will place
        with self._store.engine.begin() as connection:
            connection.execute(stock.insert(), initial_stock())
        retail = frozenset({"retail"})
        self._clerk = Actor("bench-clerk", frozenset({"clerk"}), retail)
        self._warehouse = Actor("bench-warehouse", frozenset({"warehouse"}), retail)
        self._service = Actor("bench-service", frozenset({"service"}), retail)

    def run(self, orders: list[OrderInput]) -> None:
        engine = self._engine
        for order in orders:
            # create routes and places the order at once (stock reserved, unpaid timer scheduled)
            view = engine.create_order(
                self._clerk, department="retail", workflow=self._workflow, channel=CHANNEL, data=order.create
            )
            # pay captures the payment; the rule-based review follows in the same transaction
            engine.fire(view.id, "pay", actor=self._clerk, data=order.payment)
            # each shipment record (one per warehouse the order was placed in; one here) is shipped, then
            # delivered, on its own: the order moves by itself after the last of them
            self._each_shipment(view.id, "ship", order.shipment, "shipped")
            self._each_shipment(view.id, "deliver", order.delivery, "delivered")
            engine.fire(view.id, "complete", actor=self._service)

    def _each_shipment(self, order_id: int, trigger: str, data: dict[str, Any], until: str) -> None:
        """Fire ``trigger`` on shipment #1, #2, … until the order reaches ``until`` (no read between)."""
        number = 1
        fire = self._engine.fire_record
        while fire(order_id, "shipment", number, trigger, self._warehouse, data).to_state != until:
            number += 1

    def check(self, orders: Sequence[OrderInput]) -> list[Choice]:
        return check_orderloom_database(self.name, self._store.engine, orders)


def check_orderloom_database(name: str, engine: Any, orders: Sequence[OrderInput]) -> list[Choice]:
    """OrderLoom's ``check`` on the database ``engine`` opens (the engine's own, or a replay of it)."""
    from sqlalchemy import func

    from engine.store.tables import audit_events, order_records, stock, stock_ledger, timers
    from engine.store.tables import orders as order_rows

    with engine.connect() as connection:
        open_orders = connection.scalar(
            select(func.count()).select_from(order_rows).where(order_rows.c.state != "completed")
        )
        waiting = connection.scalar(
            select(func.count()).select_from(timers).where(timers.c.status == "scheduled")
        )
        # routing's decision, as the route step recorded it (the shipment form may name another carrier)
        decisions = connection.execute(
            select(audit_events.c.rules)
            .where(audit_events.c.trigger == "route")
            .order_by(audit_events.c.order_id, audit_events.c.seq)
        ).scalars()
        choices = [(rules["outputs"]["warehouse"], rules["outputs"]["carrier"]) for rules in decisions]
        on_shelf = {
            (row.sku, row.warehouse): (row.on_hand, row.reserved)
            for row in connection.execute(
                select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved)
            )
        }
        payments = connection.scalar(
            select(func.count())
            .select_from(order_records)
            .where(order_records.c.kind == "payment", order_records.c.state == "captured")
        )
        shipped = {
            (sku, warehouse): int(change)
            for sku, warehouse, change in connection.execute(
                select(stock_ledger.c.sku, stock_ledger.c.warehouse, func.sum(stock_ledger.c.change))
                .where(stock_ledger.c.kind == "ship")
                .group_by(stock_ledger.c.sku, stock_ledger.c.warehouse)
            )
        }
    if open_orders or waiting or len(choices) != len(orders):
        raise RuntimeError(
            f"{name}: {open_orders} orders not completed, {waiting} timers still waiting, "
            f"{len(choices)} routed of {len(orders)} run"
        )
    check_stock(name, on_shelf, expected_stock(orders, choices))
    check_ledger_and_payments(name, on_shelf, shipped, int(payments or 0), len(orders))
    return choices


# (d) The same SQL with no engine around it --------------------------------------------------------

COMMIT, ROLLBACK, EXECUTEMANY = "-- commit", "-- rollback", "-- executemany"
Statement = tuple[str, Any]  # (SQL, its parameters), or a COMMIT / ROLLBACK / EXECUTEMANY entry
# What the bench compares between OrderLoom's file and the replay's: every row OrderLoom writes.
REPLAYED_TABLES = (
    "orders",
    "audit_events",
    "timers",
    "outbox",
    "stock",
    "customers",
    "idempotency",
    "order_records",
    "stock_ledger",
    "order_search_terms",
)


def _copied(parameters: Any) -> Any:
    return dict(parameters) if isinstance(parameters, Mapping) else tuple(parameters)


def recording_driver(log: list[Statement]) -> type[sqlite3.Connection]:
    """A ``sqlite3.Connection`` class (``connect(factory=…)``) that appends every statement it runs,
    with its parameters, and every commit and rollback, to ``log``."""

    class RecordingCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            log.append((sql, _copied(parameters)))
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
            rows = [_copied(parameters) for parameters in seq_of_parameters]
            log.append((EXECUTEMANY, (sql, rows)))
            return super().executemany(sql, rows)

    class RecordingConnection(sqlite3.Connection):
        def cursor(self, factory: Any = RecordingCursor) -> Any:
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            return self.cursor().execute(sql, parameters)

        def commit(self) -> None:
            log.append((COMMIT, None))
            super().commit()

        def rollback(self) -> None:
            log.append((ROLLBACK, None))
            super().rollback()

    return RecordingConnection


def first_difference(left: Path, right: Path) -> str | None:
    """The first table (of ``REPLAYED_TABLES``) whose rows differ between two SQLite files, or ``None``."""
    with sqlite3.connect(left) as a, sqlite3.connect(right) as b:
        for table in REPLAYED_TABLES:
            query = f"SELECT * FROM {table} ORDER BY 1, 2"  # table names from the tuple above
            rows_a, rows_b = a.execute(query).fetchall(), b.execute(query).fetchall()
            if rows_a != rows_b:
                at = next(
                    (n for n, (x, y) in enumerate(zip(rows_a, rows_b, strict=False)) if x != y),
                    min(len(rows_a), len(rows_b)),
                )
                return f"{table}: {len(rows_a)} rows against {len(rows_b)}, first difference at row {at + 1}"
    return None


class SqlReplayContender:
    """OrderLoom's own SQL for the same orders, replayed through ``sqlite3`` with nothing around it.

    Not a competitor but a ceiling: what any engine pays that writes the rows OrderLoom writes, the way
    it writes them (same statements, same transactions). ``prepare`` (not timed) drives the orders
    through an OrderLoom whose driver records every statement with its parameters; ``run`` (timed)
    replays them on a copy of that OrderLoom's file taken before its first order, so the same ids come
    out, committing where it committed, with the store's settings and its WAL checkpoint thread. Each
    result is fetched, as the engine fetches it. ``check`` compares the two files row by row, then reads
    the replay back as OrderLoom's check does.
    """

    name = "sql_only"

    def __init__(self, db_path: Path) -> None:
        from engine.store.checkpoint import WAL_AUTOCHECKPOINT_PAGES, WalCheckpointer

        self._log: list[Statement] = []
        self._recorded: list[Statement] = []
        self._recorded_path = db_path.with_name(f"{db_path.stem}-recorded{db_path.suffix}")
        driver = recording_driver(self._log)
        self._recorder = OrderLoomContender(self._recorded_path, connect_args={"factory": driver})
        self._path = db_path
        with sqlite3.connect(self._recorded_path) as source, sqlite3.connect(db_path) as copy:
            source.backup(copy)  # a consistent copy, whatever the WAL holds
        self._db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        sqlite_pragmas(self._db)
        self._db.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        self._checkpointer = WalCheckpointer(str(db_path))

    def prepare(self, orders: list[OrderInput]) -> None:
        self._log.clear()
        self._recorder.run(orders)
        # a new driver connection sets its PRAGMAs; the replay's connection has set them once
        self._recorded = [entry for entry in self._log if not entry[0].lstrip().upper().startswith("PRAGMA")]
        self._log.clear()

    def run(self, orders: list[OrderInput]) -> None:
        db, cursor, poke = self._db, self._db.cursor(), self._checkpointer.poke
        for sql, parameters in self._recorded:
            if sql is COMMIT:
                db.commit()
                poke()
            elif sql is ROLLBACK:
                db.rollback()
            elif sql is EXECUTEMANY:
                cursor.executemany(*parameters)
            else:
                cursor.execute(sql, parameters).fetchall()

    def check(self, orders: Sequence[OrderInput]) -> list[Choice]:
        from sqlalchemy import create_engine

        difference = first_difference(self._recorded_path, self._path)
        if difference is not None:
            raise RuntimeError(f"{self.name}: the replay holds other rows than OrderLoom wrote: {difference}")
        engine = create_engine(f"sqlite:///{self._path}")
        try:
            return check_orderloom_database(self.name, engine, orders)
        finally:
            engine.dispose()


# --------------------------------------------------------------------------------------------------
# Measuring


def measure(contender: Contender, orders: list[OrderInput]) -> tuple[float, float]:
    """Lifecycles per second for one pass over ``orders`` (its ``prepare`` not counted), and the CPU time
    per lifecycle in ms (the process's, its threads' included: OrderLoom's WAL checkpoints count)."""
    contender.prepare(orders)
    started, cpu = time.perf_counter(), time.process_time()
    contender.run(orders)
    elapsed, spent = time.perf_counter() - started, time.process_time() - cpu
    return len(orders) / elapsed, spent * 1000 / len(orders)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders per repetition for OrderLoom")
    parser.add_argument(
        "--baseline-orders", type=int, default=300, help="orders per repetition for each baseline"
    )
    parser.add_argument("--repeat", type=int, default=3, help="repetitions; the median is reported")
    parser.add_argument("--warmup", type=int, default=30, help="orders run by each contender before timing")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if min(args.orders, args.baseline_orders, args.repeat) < 1 or args.warmup < 0:
        parser.error("--orders, --baseline-orders and --repeat must be at least 1, --warmup at least 0")

    factories: list[tuple[str, Callable[[Path], Contender], int]] = [
        ("orderloom", OrderLoomContender, args.orders),
        ("spiffworkflow", SpiffContender, args.baseline_orders),
        ("naive", NaiveContender, args.baseline_orders),
        ("sql_only", SqlReplayContender, args.orders),
    ]
    rates: dict[str, list[float]] = {name: [] for name, _, _ in factories}
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in factories}
    ran: dict[str, list[OrderInput]] = {name: [] for name, _, _ in factories}
    routed: dict[str, list[tuple[str, Choice]]] = {}
    with tempfile.TemporaryDirectory(prefix="orderloom-bench-") as tmp:
        contenders = []
        for name, factory, count in factories:
            contender = factory(Path(tmp) / f"{name}.sqlite3")
            warmup = make_orders(args.warmup, seed=args.seed * 1000)
            contender.prepare(warmup)
            contender.run(warmup)
            ran[name].extend(warmup)
            contenders.append((name, contender, count))
            progress(f"{name}: ready, warmed up on {args.warmup} orders")
        for repetition in range(args.repeat):
            # contenders take turns inside each repetition, so drift in the machine hits all of them
            for name, contender, count in contenders:
                orders = make_orders(count, seed=args.seed * 1000 + repetition + 1)
                rate, cpu_ms = measure(contender, orders)
                rates[name].append(rate)
                cpu[name].append(cpu_ms)
                ran[name].extend(orders)
                progress(
                    f"{name}: repetition {repetition + 1}: {count} lifecycles, {rate:.1f}/s, "
                    f"{cpu_ms:.2f} ms of CPU each"
                )
        for name, contender, _count in contenders:
            choices = contender.check(ran[name])
            if name == SqlReplayContender.name:
                continue  # its check found OrderLoom's rows, row for row: the same choices
            routed[name] = [(order.key, choice) for order, choice in zip(ran[name], choices, strict=True)]
    compared = compare_choices(routed, reference="orderloom")
    spread = Counter(choice for _key, choice in routed["orderloom"])
    progress(
        f"routing: the baselines chose the same warehouse and carrier as OrderLoom for all {compared} "
        f"orders compared; OrderLoom's choices: "
        + ", ".join(f"{w}/{c} {n}" for (w, c), n in sorted(spread.items()))
    )

    median = {name: statistics.median(values) for name, values in rates.items()}
    result = {
        "orders": args.orders,
        "orderloom_per_s": round(median["orderloom"], 1),
        "spiffworkflow_per_s": round(median["spiffworkflow"], 1),
        "naive_per_s": round(median["naive"], 1),
        "sql_only_per_s": round(median["sql_only"], 1),
        "orderloom_vs_spiff": round(median["orderloom"] / median["spiffworkflow"], 2),
        "orderloom_vs_naive": round(median["orderloom"] / median["naive"], 2),
        "cpu_ms": {name: round(statistics.median(values), 3) for name, values in cpu.items()},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
