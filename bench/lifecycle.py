"""Full retail order lifecycles per second: OrderLoom beside two baselines, in one run.

Every contender drives the same orders through the same lifecycle on its own SQLite file (WAL,
``synchronous=NORMAL``, as the store sets it) in a temporary directory. Seven transitions in five
transactions, as the shipped retail workflow groups them (its ``route``, ``place`` and ``review`` are
automatic):

    create (customer, address, 3 order lines, total; routed to a warehouse and a carrier by the stock on
            hand and placed at once, unpaid timer scheduled)
    -> pay (payment form; the review approves in the same transaction, unpaid timer cancelled)
    -> ship (shipment form) -> deliver (delivery form; auto-confirm timer scheduled)
    -> complete (auto-confirm timer cancelled)

- ``orderloom``: the real ``Engine`` with the shipped ``workflows/retail/order.yaml``: forms validated
  against their JSON Schemas, guards, the routing and the audit rule files evaluated, plugin actions
  run (stock reserved and deducted, payment captured, waybill, notifications to the outbox), audit rows,
  timers.
- ``spiffworkflow``: ``bench/retail_order.bpmn`` run by SpiffWorkflow (timers are boundary events, the
  review an exclusive gateway); every step loads the order's row, deserializes the workflow, completes
  the user task, runs the engine steps, serializes the workflow back into the row and appends an audit
  row (one row per order, UPDATE + commit per step, through the plain ``sqlite3`` driver).
- ``naive``: the ``transitions`` library bound to SQLAlchemy ORM models, a ``Machine`` built per step
  on the loaded ORM instance (as a request handler would); guards are model methods, audit and timer
  rows go through the ORM and every step ends with ``session.commit()``.

The baselines do less work than OrderLoom (no form validation, no rule files, no routing, no stock or
outbox rows),
so the ratios understate OrderLoom rather than flatter it.

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
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, object_session

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
BPMN_FILE = HERE / "retail_order.bpmn"
RETAIL_WORKFLOW = REPO_ROOT / "workflows" / "retail" / "order.yaml"
# Measure the engine of this checkout, not whichever copy the environment happens to have installed.
sys.path.insert(0, str(REPO_ROOT))

UNPAID_TIMEOUT = timedelta(minutes=30)
AUTO_CONFIRM = timedelta(days=7)
REVIEW_LIMIT = 5000  # orders up to this total are approved by review; the bench stays under it

SKUS = [f"SKU-{n:04d}" for n in range(1, 41)]
WAREHOUSE = "SH-01"
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
    """One order's forms, in the shape of ``forms/retail/*.json``: creation, payment, shipment, delivery."""

    __slots__ = ("create", "delivery", "payment", "shipment")

    def __init__(
        self,
        create: dict[str, Any],
        payment: dict[str, Any],
        shipment: dict[str, Any],
        delivery: dict[str, Any],
    ) -> None:
        self.create = create
        self.payment = payment
        self.shipment = shipment
        self.delivery = delivery


def make_orders(count: int, seed: int) -> list[OrderInput]:
    """``count`` orders with 3 lines each, all within the review limit (the audit approves them)."""
    rng = random.Random(seed)
    orders = []
    for n in range(count):
        lines = []
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
        orders.append(OrderInput(create, payment, shipment, delivery))
    return orders


# --------------------------------------------------------------------------------------------------
# Contenders


class Contender(Protocol):
    name: str

    def run(self, orders: list[OrderInput]) -> None:
        """Drive every order through the whole lifecycle, one transaction per step."""

    def check(self) -> None:
        """Raise unless every order run so far completed and no timer is left waiting."""


def sqlite_pragmas(connection: Any) -> None:
    """The same settings for every contender: WAL, normal sync, a busy timeout."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


# (a) SpiffWorkflow ----------------------------------------------------------------------------------


class SpiffContender:
    """SpiffWorkflow 3, the workflow serialized into the order's row after every step."""

    name = "spiffworkflow"

    def __init__(self, db_path: Path) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self._spec = parser.get_spec("retail_order")  # parsed once, shared by every instance
        self._workflow_class = BpmnWorkflow
        self._serializer = BpmnWorkflowSerializer()
        self._ready = TaskState.READY
        self._db = sqlite3.connect(db_path, isolation_level=None)
        sqlite_pragmas(self._db)
        self._db.executescript(
            """
            CREATE TABLE process_instance (
                id INTEGER PRIMARY KEY,
                status TEXT NOT NULL,
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
            """
        )

    def _audit(self, order_id: int, task: str, actor: str, data: dict[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO audit_event (order_id, task, actor, at, data) VALUES (?, ?, ?, ?, ?)",
            (order_id, task, actor, datetime.now(UTC).isoformat(), json.dumps(data)),
        )

    def create(self, form: dict[str, Any]) -> int:
        workflow = self._workflow_class(self._spec)
        start = workflow.get_next_task(state=self._ready)
        start.set_data(**form)
        workflow.do_engine_steps()
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        cursor = db.execute(
            "INSERT INTO process_instance (status, serialization, updated_at) VALUES (?, ?, ?)",
            ("running", self._serializer.serialize_json(workflow), datetime.now(UTC).isoformat()),
        )
        order_id = int(cursor.lastrowid or 0)
        self._audit(order_id, "created", "clerk", form)
        db.execute("COMMIT")
        return order_id

    def step(self, order_id: int, task_name: str, actor: str, data: dict[str, Any]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        (serialization,) = db.execute(
            "SELECT serialization FROM process_instance WHERE id = ?", (order_id,)
        ).fetchone()
        workflow = self._serializer.deserialize_json(serialization)
        workflow.refresh_waiting_tasks()
        task = workflow.get_next_task(state=self._ready, manual=True)
        if task is None or task.task_spec.bpmn_id != task_name:
            db.execute("ROLLBACK")
            raise RuntimeError(f"order {order_id}: {task_name} is not the ready task ({task})")
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
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
        db.execute("COMMIT")

    def run(self, orders: list[OrderInput]) -> None:
        for order in orders:
            order_id = self.create(order.create)
            self.step(order_id, "pay", "clerk", order.payment)  # the review gateway follows at once
            self.step(order_id, "ship", "warehouse", order.shipment)
            self.step(order_id, "deliver", "warehouse", order.delivery)
            self.step(order_id, "complete", "service", {})

    def check(self) -> None:
        running = self._db.execute("SELECT count(*) FROM process_instance WHERE status != 'completed'")
        if running.fetchone()[0]:
            raise RuntimeError("spiffworkflow: some orders did not complete")


# (b) transitions bound to SQLAlchemy ORM models -------------------------------------------------------

NAIVE_STATES = [
    "pending_payment",
    "paid",
    "on_hold",
    "pending_shipment",
    "shipped",
    "delivered",
    "completed",
    "cancelled",
]
NAIVE_TRANSITIONS = [
    {"trigger": "pay", "source": "pending_payment", "dest": "paid", "conditions": "payment_covers_total"},
    {"trigger": "review", "source": "paid", "dest": "pending_shipment", "conditions": "within_review_limit"},
    {"trigger": "review", "source": "paid", "dest": "on_hold"},
    {"trigger": "approve", "source": "on_hold", "dest": "pending_shipment"},
    {"trigger": "ship", "source": "pending_shipment", "dest": "shipped", "conditions": "has_carrier"},
    {"trigger": "deliver", "source": "shipped", "dest": "delivered"},
    {"trigger": "complete", "source": "delivered", "dest": "completed"},
    {"trigger": "cancel", "source": ["pending_payment", "paid", "on_hold"], "dest": "cancelled"},
]


class NaiveBase(DeclarativeBase):
    pass


class NaiveOrder(NaiveBase):
    """The order row; the per-order Machine calls these methods as guards and callbacks."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    # guards, called by the Machine with the EventData
    def payment_covers_total(self, event: Any) -> bool:
        payment = event.kwargs.get("data", {})
        return bool(payment.get("amount", 0) >= self.data["total"])

    def within_review_limit(self, event: Any) -> bool:
        return bool(0 < self.data["total"] <= REVIEW_LIMIT)

    def has_carrier(self, event: Any) -> bool:
        return bool(event.kwargs.get("data", {}).get("carrier"))

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
        # timers wait in a state: cancelled when the order leaves it, scheduled when it enters one
        for timer in session.query(NaiveTimer).filter_by(order_id=self.id, state=event.transition.source):
            session.delete(timer)
        if event.transition.dest == "delivered":
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


class NaiveContender:
    """``transitions`` with a Machine per order bound to its ORM instance; commit after every step."""

    name = "naive"

    def __init__(self, db_path: Path) -> None:
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import Session
        from transitions import Machine

        self._machine_class = Machine
        self._session_class = Session
        self._order, self._audit, self._timer = NaiveOrder, NaiveAuditEvent, NaiveTimer
        self._engine = create_engine(f"sqlite:///{db_path}")
        event.listen(self._engine, "connect", lambda dbapi, _record: sqlite_pragmas(dbapi))
        NaiveBase.metadata.create_all(self._engine)

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
        now = datetime.now(UTC)
        with self._session_class(self._engine) as session:
            order = self._order(state="pending_payment", data=form, created_at=now, updated_at=now)
            session.add(order)
            session.flush()
            session.add(
                self._audit(
                    order_id=order.id,
                    trigger="create",
                    source="",
                    dest="pending_payment",
                    actor="clerk",
                    at=now,
                    data=form,
                )
            )
            session.add(
                self._timer(
                    order_id=order.id,
                    state="pending_payment",
                    trigger="cancel",
                    due_at=now + UNPAID_TIMEOUT,
                    reason="unpaid_timeout",
                )
            )
            session.commit()
            return int(order.id)

    def step(self, order_id: int, triggers: tuple[str, ...], actor: str, data: dict[str, Any]) -> None:
        """One transaction: load the order, bind a Machine to it, fire ``triggers``, commit."""
        with self._session_class(self._engine) as session:
            order = session.get(self._order, order_id)
            self._machine(order)
            for trigger in triggers:
                if not order.trigger(trigger, actor=actor, data=data):
                    session.rollback()
                    raise RuntimeError(f"order {order_id}: {trigger} was refused in {order.state}")
                data = {}
            session.commit()

    def run(self, orders: list[OrderInput]) -> None:
        for order in orders:
            order_id = self.create(order.create)
            self.step(order_id, ("pay", "review"), "clerk", order.payment)  # the review follows at once
            self.step(order_id, ("ship",), "warehouse", order.shipment)
            self.step(order_id, ("deliver",), "warehouse", order.delivery)
            self.step(order_id, ("complete",), "service", {})

    def check(self) -> None:
        from sqlalchemy import func, select

        with self._session_class(self._engine) as session:
            open_orders = session.scalar(
                select(func.count()).select_from(self._order).where(self._order.state != "completed")
            )
            timers = session.scalar(select(func.count()).select_from(self._timer))
        if open_orders or timers:
            raise RuntimeError(f"naive: {open_orders} orders not completed, {timers} timers left")


# (c) OrderLoom ---------------------------------------------------------------------------------------


class OrderLoomContender:
    """The real Engine with the shipped retail workflow, on a migrated SQLite file."""

    name = "orderloom"

    def __init__(self, db_path: Path) -> None:
        from engine.clock import SystemClock
        from engine.dsl.compiler import load_bundle
        from engine.plugins import PluginRegistry
        from engine.runtime import Actor, Engine
        from engine.store import Store
        from engine.store.tables import stock

        self._store = Store(f"sqlite:///{db_path}")
        self._store.upgrade()
        registry = PluginRegistry.from_entry_points()
        self._engine = Engine(self._store, registry, SystemClock())
        bundle = load_bundle(RETAIL_WORKFLOW, REPO_ROOT, action_names=registry.action_names)
        self._workflow = self._engine.publish(bundle).workflow
        # enough stock on the shelf for every order the run will place
        with self._store.engine.begin() as connection:
            connection.execute(
                stock.insert(),
                [{"sku": sku, "warehouse": WAREHOUSE, "on_hand": 10_000_000, "reserved": 0} for sku in SKUS],
            )
        retail = frozenset({"retail"})
        self._clerk = Actor("bench-clerk", frozenset({"clerk"}), retail)
        self._warehouse = Actor("bench-warehouse", frozenset({"warehouse"}), retail)
        self._service = Actor("bench-service", frozenset({"service"}), retail)

    def run(self, orders: list[OrderInput]) -> None:
        engine = self._engine
        for order in orders:
            # create places the order at once (stock reserved, unpaid timer scheduled)
            view = engine.create_order(
                self._clerk, department="retail", workflow=self._workflow, channel="web", data=order.create
            )
            # pay captures the payment; the rule-based review follows in the same transaction
            engine.fire(view.id, "pay", actor=self._clerk, data=order.payment)
            engine.fire(view.id, "ship", actor=self._warehouse, data=order.shipment)
            engine.fire(view.id, "deliver", actor=self._warehouse, data=order.delivery)
            engine.fire(view.id, "complete", actor=self._service)

    def check(self) -> None:
        from sqlalchemy import func, select

        from engine.store.tables import orders, timers

        with self._store.engine.connect() as connection:
            open_orders = connection.scalar(
                select(func.count()).select_from(orders).where(orders.c.state != "completed")
            )
            waiting = connection.scalar(
                select(func.count()).select_from(timers).where(timers.c.status == "scheduled")
            )
        if open_orders or waiting:
            raise RuntimeError(
                f"orderloom: {open_orders} orders not completed, {waiting} timers still waiting"
            )


# --------------------------------------------------------------------------------------------------
# Measuring


def measure(contender: Contender, orders: list[OrderInput]) -> float:
    """Lifecycles per second for one pass over ``orders``."""
    started = time.perf_counter()
    contender.run(orders)
    elapsed = time.perf_counter() - started
    return len(orders) / elapsed


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
    ]
    rates: dict[str, list[float]] = {name: [] for name, _, _ in factories}
    with tempfile.TemporaryDirectory(prefix="orderloom-bench-") as tmp:
        contenders = []
        for name, factory, count in factories:
            contender = factory(Path(tmp) / f"{name}.sqlite3")
            contender.run(make_orders(args.warmup, seed=args.seed * 1000))
            contenders.append((name, contender, count))
            progress(f"{name}: ready, warmed up on {args.warmup} orders")
        for repetition in range(args.repeat):
            # contenders take turns inside each repetition, so drift in the machine hits all of them
            for name, contender, count in contenders:
                orders = make_orders(count, seed=args.seed * 1000 + repetition + 1)
                rate = measure(contender, orders)
                rates[name].append(rate)
                progress(f"{name}: repetition {repetition + 1}: {count} lifecycles, {rate:.1f}/s")
        for _name, contender, _count in contenders:
            contender.check()

    median = {name: statistics.median(values) for name, values in rates.items()}
    result = {
        "orders": args.orders,
        "orderloom_per_s": round(median["orderloom"], 1),
        "spiffworkflow_per_s": round(median["spiffworkflow"], 1),
        "naive_per_s": round(median["naive"], 1),
        "orderloom_vs_spiff": round(median["orderloom"] / median["spiffworkflow"], 2),
        "orderloom_vs_naive": round(median["orderloom"] / median["naive"], 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
