"""The correlation feed on a real engine and database (SQLite and PostgreSQL): the shipped retail
fraud rule set (rules/retail/fraud.yaml) watching the audit trail and the outbox of a small shop.

The shop's workflow is written below (a definitions root in a temporary folder): pay, a failed payment
(the shipped form forms/retail/payment-failure.json and the ``payments.record_failure`` action), hold,
ship, cancel, and the unpaid timer, with the retail data the fraud patterns key on (the customer's
mobile, the delivery address). Audit rows come from real fires and timers. Most tests write their
outbox rows through the store, with the payload fields the patterns read (``event_from_outbox`` keeps
the payload's fields), to drive the feed itself; the last ones take their events from the emitters:
``payment_failed`` from failures recorded on the shop's orders, and ``account_created`` from
``customers.register`` as the shipped retail workflow (workflows/retail/order.yaml) places its orders.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from engine.clock import FrozenClock
from engine.dsl.compiler import discover, load_bundle
from engine.plugins import PluginRegistry
from engine.rules.correlation import REPLENISHMENT_TOPIC, CorrelationRuleset, address_key
from engine.runtime import Actor, Engine
from engine.runtime.correlation_feed import CorrelationFeed, load_correlation_rulesets
from engine.store import Store
from engine.store.tables import audit_events, correlation_matches, orders, outbox, stock

REPO = Path(__file__).resolve().parents[3]
LEASE = timedelta(minutes=5)
ACTOR = "correlation:retail-fraud"
REGISTRY = PluginRegistry.from_entry_points()  # payments.record_failure, customers.register …

WORKFLOW = """
schema_version: 1
workflow: shop-order
department: retail
title: {zh: 网店订单, en: Shop order}
channels: [web]
data: forms/order.json
roles: [clerk, reviewer]
initial: pending_payment
states:
  pending_payment:
    label: {zh: 待支付, en: Pending payment}
    timers: [{after: 30m, trigger: cancel, reason: unpaid_timeout}]
  paid: {label: {zh: 已支付, en: Paid}}
  on_hold: {label: {zh: 挂起待审, en: On hold}}
  shipped: {label: {zh: 已发货, en: Shipped}}
  completed: {final: true, label: {zh: 已完成, en: Completed}}
  cancelled: {final: true, label: {zh: 已取消, en: Cancelled}}
transitions:
  - {trigger: pay, source: pending_payment, dest: paid, roles: [clerk]}
  # Not named payment_failed: the audit event (type = the trigger) would count each failure again.
  - {trigger: record_payment_failure, source: pending_payment, dest: pending_payment, roles: [clerk],
     form: forms/payment-failure.json, actions: [payments.record_failure]}
  - {trigger: hold, source: paid, dest: on_hold, roles: [reviewer]}
  - {trigger: release, source: on_hold, dest: paid, roles: [reviewer]}
  - {trigger: ship, source: paid, dest: shipped, roles: [clerk]}
  - {trigger: deliver, source: shipped, dest: completed, roles: [clerk]}
  - {trigger: cancel, source: [pending_payment, paid], dest: cancelled, roles: [clerk]}
"""
_TEXT = {"type": "string", "minLength": 1}
FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["customer", "address", "total"],
    "properties": {
        "customer": {
            "type": "object",
            "required": ["name", "mobile"],
            "properties": {"name": _TEXT, "mobile": {"type": "string", "pattern": "^1[3-9][0-9]{9}$"}},
        },
        "address": {
            "type": "object",
            "required": ["province", "city", "district", "detail"],
            "properties": dict.fromkeys(("province", "city", "district", "detail"), _TEXT),
        },
        "total": {"type": "number", "minimum": 0},
    },
}

CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
ZHANG, WANG = "13800000001", "13900000002"
HOME = {"province": "上海市", "city": "上海市", "district": "浦东新区", "detail": "世纪大道1198号"}
ELSEWHERE = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路90号"}


@pytest.fixture(scope="module")
def fraud() -> CorrelationRuleset:
    [found] = [r for r in load_correlation_rulesets(REPO) if r.name == "retail-fraud"]
    return found


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(store: Store, clock: FrozenClock, tmp_path: Path) -> Engine:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "forms").mkdir()
    (tmp_path / "workflows" / "shop-order.yaml").write_text(WORKFLOW, encoding="utf-8")
    (tmp_path / "forms" / "order.json").write_text(json.dumps(FORM), encoding="utf-8")
    shipped_form = (REPO / "forms" / "retail" / "payment-failure.json").read_text(encoding="utf-8")
    (tmp_path / "forms" / "payment-failure.json").write_text(shipped_form, encoding="utf-8")
    engine = Engine(store, REGISTRY, clock)
    engine.publish(load_bundle(tmp_path / "workflows" / "shop-order.yaml", tmp_path))
    return engine


Feeds = Callable[[str], CorrelationFeed]


@pytest.fixture
def feeds(engine: Engine, fraud: CorrelationRuleset) -> Iterator[Feeds]:
    """``feeds("w1")``: worker w1's feed of the shipped fraud rule set, closed after the test."""
    made: list[CorrelationFeed] = []

    def feed(worker_id: str) -> CorrelationFeed:
        made.append(CorrelationFeed(engine, [fraud], worker_id, lease=LEASE))
        return made[-1]

    yield feed
    for feed_made in made:
        feed_made.close()


def order(engine: Engine, mobile: str, *, paid: bool = True, address: dict[str, str] = HOME) -> int:
    data = {"customer": {"name": "张伟", "mobile": mobile}, "address": address, "total": 120}
    order_id = engine.create_order(CLERK, "retail", "shop-order", "web", data).id
    if paid:
        engine.fire(order_id, "pay", CLERK)
    return order_id


def outbox_event(engine: Engine, topic: str, **payload: Any) -> int:
    """An outbox row as an emitter would write it, at the clock's time; its id."""
    with engine.store.transaction() as tx:
        tx.insert_outbox(topic, payload, engine.clock.now())
    with engine.store.read() as tx:
        return int(tx.connection.execute(select(outbox.c.id).order_by(outbox.c.id.desc())).scalars().first())


def payment_failed(engine: Engine, mobile: str, order_id: int) -> int:
    return outbox_event(
        engine, "payment_failed", order_id=order_id, customer_mobile=mobile, amount=120, reason="declined"
    )


def state(engine: Engine, order_id: int) -> str:
    return engine.get_order(order_id, CLERK).state


def holds(engine: Engine, order_id: int) -> list[tuple[str, str | None]]:
    return [(e.actor, e.reason) for e in engine.history(order_id, CLERK) if e.trigger == "hold"]


def last_ids(engine: Engine) -> tuple[int, int]:
    with engine.store.read() as tx:
        audits = tx.connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
        messages = tx.connection.execute(select(func.max(outbox.c.id))).scalar_one_or_none()
    return int(audits or 0), int(messages or 0)


def matches(engine: Engine, feed: str = "default") -> list[dict[str, Any]]:
    with engine.store.read() as tx:
        return tx.correlation_matches(feed, engine.clock.now() - timedelta(days=30))


def test_three_payment_failures_hold_that_customers_open_orders(
    engine: Engine, clock: FrozenClock, fraud: CorrelationRuleset, feeds: Feeds
) -> None:
    paid, also_paid, unpaid = order(engine, ZHANG), order(engine, ZHANG), order(engine, ZHANG, paid=False)
    shipped = order(engine, ZHANG)
    engine.fire(shipped, "ship", CLERK)
    engine.fire(shipped, "deliver", CLERK)  # final: not an open order
    other = order(engine, WANG)
    failures = []
    for minutes in (0, 4, 4):
        clock.advance(minutes=minutes)
        failures.append(payment_failed(engine, ZHANG, unpaid))
    payment_failed(engine, WANG, other)  # one failure of another customer: no match
    before = last_ids(engine)

    feed = feeds("w1")
    report = feed.round()

    assert (report.holding, report.matches, report.fired, report.skipped) == (True, 1, 2, 1)
    assert [state(engine, i) for i in (paid, also_paid, unpaid, shipped, other)] == [
        "on_hold",
        "on_hold",
        "pending_payment",  # hold is not available before payment: skipped, and recorded so
        "completed",
        "paid",
    ]
    [(actor, reason)] = holds(engine, paid)
    assert actor == ACTOR
    assert reason is not None and f"retail-fraud#{fraud.version} repeated-payment-failures" in reason
    assert holds(engine, other) == holds(engine, shipped) == []
    [match] = matches(engine)
    assert (match["ruleset"], match["version"], match["pattern"], match["key"]) == (
        "retail-fraud",
        fraud.version,
        "repeated-payment-failures",
        ZHANG,
    )
    assert [e["id"] for e in match["events"]] == [f"outbox:{i}" for i in failures]
    by_order = {a["order_id"]: a for a in match["actions"]}
    assert {i: a["result"] for i, a in by_order.items()} == {
        paid: "fired",
        also_paid: "fired",
        unpaid: "skipped",
    }
    hold_ids = [by_order[i]["audit_event_id"] for i in (paid, also_paid)]
    with engine.store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and (cursor.last_audit_id, cursor.last_outbox_id) == before
    assert cursor.claimed_by == "w1"

    # The next round reads the two holds it fired (audit events no pattern watches) and nothing else.
    again = feed.round()
    assert (again.events, again.matches, again.fired, again.skipped) == (2, 0, 0, 0)
    assert len(matches(engine)) == 1 and len(holds(engine, paid)) == 1
    with engine.store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and (cursor.last_audit_id, cursor.last_outbox_id) == last_ids(engine)
    assert cursor.last_audit_id == max(hold_ids)
    assert feed.round().events == 0


def test_a_second_worker_takes_the_feed_over_after_the_lease_and_keeps_partial_patterns(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    zhang, wang = order(engine, ZHANG), order(engine, WANG)
    payment_failed(engine, ZHANG, zhang)
    for _ in range(3):
        clock.advance(minutes=1)
        payment_failed(engine, WANG, wang)
    clock.advance(minutes=1)
    payment_failed(engine, ZHANG, zhang)
    first = feeds("w1")
    assert first.round().fired == 1  # Wang's three
    assert state(engine, wang) == "on_hold" and state(engine, zhang) == "paid"

    second = feeds("w2")
    assert second.round().holding is False  # w1's lease still holds

    clock.advance(seconds=LEASE.total_seconds() + 30)  # w1 stopped: its lease runs out
    third_failure = payment_failed(engine, ZHANG, zhang)  # Zhang's third, within 10 minutes
    report = second.round()

    assert report.holding is True
    # Replayed: what w1 had read within the last window (a day: the longest pattern) but Wang's three
    # failures, which its recorded match consumed: four audit events and Zhang's two failures. New:
    # w1's hold on Wang's order and Zhang's third failure.
    assert (report.replayed, report.events) == (4 + 2, 2)
    assert (report.matches, report.fired) == (1, 1)
    assert state(engine, zhang) == "on_hold"
    assert len(holds(engine, wang)) == 1  # not held twice
    recorded = matches(engine)
    assert [(m["key"], len(m["events"])) for m in recorded] == [(WANG, 3), (ZHANG, 3)]
    assert recorded[1]["events"][-1]["id"] == f"outbox:{third_failure}"

    assert first.round().holding is False  # w1 comes back: w2 holds the feed now
    assert len(matches(engine)) == 2
    with engine.store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and cursor.claimed_by == "w2"


def test_a_worker_stopping_lets_go_of_the_feed_and_the_one_skipped_is_told_who_holds_it(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    first, second = feeds("w1"), feeds("w2")
    assert first.round().holding is True
    skipped = second.round()
    assert (skipped.holding, skipped.held_by, skipped.held_until) == (False, "w1", clock.now() + LEASE)
    assert second.release() is False  # not its to let go of
    assert first.release() is True
    with engine.store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and (cursor.claimed_by, cursor.claimed_at) == (None, None)
    taken = second.round()  # at once, not after the lease
    assert (taken.holding, taken.held_by) == (True, None)


def test_three_unpaid_orders_cancelled_by_the_timer_hold_the_customers_paid_order(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    paid = order(engine, ZHANG)
    unpaid = [order(engine, ZHANG, paid=False) for _ in range(3)]
    other = order(engine, WANG, paid=False)
    clock.advance(minutes=31)
    assert engine.run_due_timers("timers") == 4  # every unpaid order cancels itself
    assert [state(engine, i) for i in unpaid] == ["cancelled"] * 3

    report = feeds("w1").round()

    assert (report.matches, report.fired, report.skipped) == (1, 1, 0)
    assert state(engine, paid) == "on_hold" and state(engine, other) == "cancelled"
    [match] = matches(engine)
    assert (match["pattern"], match["key"]) == ("repeated-unpaid-cancellations", ZHANG)
    assert [e["order_id"] for e in match["events"]] == unpaid
    assert [e["type"] for e in match["events"]] == ["cancel"] * 3


def test_five_accounts_at_one_address_hold_the_open_orders_delivered_there(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    here = order(engine, ZHANG, address=HOME)
    neighbour = order(engine, WANG, address=HOME)  # another customer, the same address
    elsewhere = order(engine, WANG, address=ELSEWHERE)
    for k in range(5):
        clock.advance(minutes=10)
        outbox_event(engine, "account_created", user_id=f"U{k}", address=HOME)

    report = feeds("w1").round()

    assert (report.matches, report.fired) == (1, 2)
    assert [state(engine, i) for i in (here, neighbour, elsewhere)] == ["on_hold", "on_hold", "paid"]
    assert holds(engine, here)[0][0] == ACTOR
    [match] = matches(engine)
    assert (match["pattern"], match["key"]) == ("accounts-at-one-address", address_key(HOME))


OUTLET = Actor("zhou.min", frozenset({"clerk"}), frozenset({"outlet"}))
EVERYWHERE = Actor("root", frozenset({"admin"}), frozenset({"*"}))


def outlet_order(engine: Engine, tmp_path: Path, mobile: str, address: dict[str, str] = HOME) -> int:
    """A paid order of the outlet department (a newly added one, whose workflow has a hold trigger too)."""
    path = tmp_path / "workflows" / "outlet-order.yaml"
    if not path.exists():
        text = WORKFLOW.replace("workflow: shop-order", "workflow: outlet-order")
        path.write_text(text.replace("department: retail", "department: outlet"), encoding="utf-8")
        engine.publish(load_bundle(path, tmp_path))
    data = {"customer": {"name": "张伟", "mobile": mobile}, "address": address, "total": 120}
    order_id = engine.create_order(OUTLET, "outlet", "outlet-order", "web", data).id
    engine.fire(order_id, "pay", OUTLET)
    return order_id


def test_a_rule_file_acts_only_on_its_own_departments_orders(
    engine: Engine, clock: FrozenClock, feeds: Feeds, tmp_path: Path
) -> None:
    """retail-fraud is the retail department's: a match holds the customer's (and the address's) retail
    orders, never the orders of another department that has a hold trigger too."""
    retail, outlet = order(engine, ZHANG), outlet_order(engine, tmp_path, ZHANG)
    neighbour = outlet_order(engine, tmp_path, WANG)  # at the same address
    for minutes in (0, 1, 1):
        clock.advance(minutes=minutes)
        payment_failed(engine, ZHANG, retail)
    for k in range(5):
        clock.advance(minutes=5)
        outbox_event(engine, "account_created", user_id=f"U{k}", address=HOME)

    report = feeds("w1").round()

    assert (report.matches, report.fired, report.skipped) == (2, 1, 1)  # the second: already on hold
    states = [engine.get_order(i, EVERYWHERE).state for i in (retail, outlet, neighbour)]
    assert states == ["on_hold", "paid", "paid"]
    acted_on = {action["order_id"] for match in matches(engine) for action in match["actions"]}
    assert acted_on == {retail}  # another department's orders are not even tried


def test_a_rule_file_naming_other_departments_acts_on_their_orders_too(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    shipped = (REPO / "rules" / "retail" / "fraud.yaml").read_text(encoding="utf-8")
    assert "\ndepartment: retail\n" in shipped
    rules = tmp_path / "rules" / "risk"
    rules.mkdir(parents=True)
    (rules / "fraud.yaml").write_text(
        shipped.replace("\ndepartment: retail\n", "\ndepartment: retail\nacts_on: [retail, outlet]\n"),
        encoding="utf-8",
    )
    [group] = load_correlation_rulesets(tmp_path)
    assert (group.department, group.acts_on) == ("retail", frozenset({"retail", "outlet"}))
    retail, outlet = order(engine, ZHANG), outlet_order(engine, tmp_path, ZHANG)
    for minutes in (0, 1, 1):
        clock.advance(minutes=minutes)
        payment_failed(engine, ZHANG, retail)
    feed = CorrelationFeed(engine, [group], "w1", lease=LEASE)
    try:
        assert feed.round().fired == 2
    finally:
        feed.close()
    assert [engine.get_order(i, EVERYWHERE).state for i in (retail, outlet)] == ["on_hold", "on_hold"]


STOCK_WATCH = """
schema_version: 1
ruleset: outlet-stock
kind: correlation
title: {zh: 奥莱补货, en: Outlet stock watch}
department: retail
patterns:
  - name: stock-below-safety-stock
    event: stock_changed
    when: event.available < event.safety_stock
    by: event.sku
    count: 1
    within: 1h
    then: {suggest: {topic: inventory.replenishment_suggested}}
    reason: {zh: 库存低于安全库存, en: Stock fell below its safety stock}
"""


def test_a_suggestion_is_written_once_for_the_worker_to_deliver(
    engine: Engine, clock: FrozenClock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules" / "retail"
    rules.mkdir(parents=True)
    (rules / "stock.yaml").write_text(STOCK_WATCH, encoding="utf-8")
    [watch] = load_correlation_rulesets(tmp_path)
    outbox_event(engine, "stock_changed", sku="XM-BAND8", warehouse="SH-01", available=12, safety_stock=10)
    clock.advance(minutes=1)
    outbox_event(engine, "stock_changed", sku="XM-BAND8", warehouse="SH-01", available=3, safety_stock=10)
    feed = CorrelationFeed(engine, [watch], "w1", lease=LEASE)
    try:
        assert (feed.round().suggested, feed.round().suggested) == (1, 0)
    finally:
        feed.close()

    with engine.store.read() as tx:
        suggestions = [m for m in tx.outbox_feed(after_id=0) if m.topic == REPLENISHMENT_TOPIC]
    [suggestion] = suggestions
    assert {k: suggestion.payload[k] for k in ("sku", "warehouse", "available", "safety_stock")} == {
        "sku": "XM-BAND8",
        "warehouse": "SH-01",
        "available": 3,
        "safety_stock": 10,
    }
    assert (suggestion.payload["ruleset"], suggestion.payload["version"]) == ("outlet-stock", watch.version)
    assert suggestion.status == "pending"  # delivered by the worker (workers/mail.py mails it)
    [match] = matches(engine)
    assert match["actions"] == [{"suggested": REPLENISHMENT_TOPIC}]


# -- the emitters ----------------------------------------------------------------------------------

DECLINED = {"method": "wechat_pay", "failure_code": "INSUFFICIENT_FUNDS", "failure_message": "余额不足"}


def topic_count(engine: Engine, topic: str) -> int:
    with engine.store.read() as tx:
        return sum(1 for m in tx.outbox_feed(after_id=0, limit=100_000) if m.topic == topic)


def test_three_failed_payments_fired_on_an_order_hold_that_customers_open_orders(
    engine: Engine, clock: FrozenClock, fraud: CorrelationRuleset, feeds: Feeds
) -> None:
    paid, unpaid = order(engine, ZHANG), order(engine, ZHANG, paid=False)
    others = order(engine, WANG), order(engine, WANG, paid=False)
    for minutes in (0, 3, 6):  # three declined attempts within 10 minutes, as the gateway reports them
        clock.advance(minutes=minutes)
        engine.fire(unpaid, "record_payment_failure", CLERK, DECLINED)
    engine.fire(others[1], "record_payment_failure", CLERK, DECLINED)  # another customer's one failure
    assert engine.get_order(unpaid, CLERK).data["payment_failures"] == 3
    assert topic_count(engine, "payment_failed") == 4

    report = feeds("w1").round()

    assert (report.matches, report.fired, report.skipped) == (1, 1, 1)
    assert [state(engine, i) for i in (paid, unpaid, *others)] == [
        "on_hold",
        "pending_payment",  # not held before it is paid; its timer still runs
        "paid",
        "pending_payment",
    ]
    [(actor, reason)] = holds(engine, paid)
    assert actor == ACTOR
    assert reason is not None and f"retail-fraud#{fraud.version} repeated-payment-failures" in reason
    [match] = matches(engine)
    assert (match["pattern"], match["key"]) == ("repeated-payment-failures", ZHANG)
    assert [e["order_id"] for e in match["events"]] == [unpaid] * 3
    assert [e["type"] for e in match["events"]] == ["payment_failed"] * 3


def test_failed_payments_spread_over_more_than_10_minutes_hold_nothing(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    paid, unpaid = order(engine, ZHANG), order(engine, ZHANG, paid=False)
    for minutes in (0, 6, 6):  # the first and the third are 12 minutes apart
        clock.advance(minutes=minutes)
        engine.fire(unpaid, "record_payment_failure", CLERK, DECLINED)

    report = feeds("w1").round()

    # Two creations, a payment, and each failure twice: its audit event and its payment_failed message.
    assert (report.events, report.matches) == (2 + 1 + 3 * 2, 0)
    assert state(engine, paid) == "paid" and matches(engine) == []


RETAIL_CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))
HOME_WRITTEN = [  # one address as five new customers wrote it
    HOME,
    {**HOME, "province": "上海"},
    {**HOME, "detail": "世纪大道 1198号"},
    {**HOME, "detail": "世纪大道\u3000１１９８号"},
    {**HOME, "district": "浦东 新区", "detail": " 世纪大道1198号 "},
]


@pytest.fixture
def retail(engine: Engine, store: Store) -> Engine:
    """The shop's engine with the shipped workflows published too, and stock to sell."""
    for path in discover(REPO).values():
        engine.publish(load_bundle(path, REPO, action_names=REGISTRY.action_names))
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=500, reserved=0)
        )
    return engine


def place(engine: Engine, mobile: str, address: dict[str, str], *, paid: bool = True) -> int:
    """A retail web order, placed and (by default) paid: approved by the audit, it waits for shipment."""
    line = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}
    data = {
        "customer": {"name": "张伟", "mobile": mobile},
        "address": address,
        "lines": [line],
        "shipping_fee": 0,
        "discount": 0,
        "total": 239,
    }
    order_id = engine.create_order(RETAIL_CLERK, "retail", "retail-order", "web", data).id
    if paid:
        payment = {"method": "alipay", "amount": 239, "transaction_ref": "2026113022001"}
        engine.fire(order_id, "pay", RETAIL_CLERK, payment)
    return order_id


def test_five_new_customers_at_one_address_within_an_hour_hold_the_open_orders_there(
    retail: Engine, clock: FrozenClock, fraud: CorrelationRuleset, feeds: Feeds
) -> None:
    first = place(retail, "13700000000", HOME_WRITTEN[0])
    again = place(retail, "13700000000", {**HOME, "detail": "世纪大道1198号 "})  # known: no account_created
    elsewhere = place(retail, "13600000009", ELSEWHERE)  # new, but at another address
    news = []
    for k, written in enumerate(HOME_WRITTEN[1:], 1):
        clock.advance(minutes=12)
        news.append(place(retail, f"1370000000{k}", written, paid=k != 4))
    assert topic_count(retail, "account_created") == 6
    here = [first, again, *news]
    assert [state(retail, i) for i in here] == ["pending_shipment"] * 5 + ["pending_payment"]

    report = feeds("w1").round()

    assert (report.matches, report.fired, report.skipped) == (1, 5, 1)
    assert [state(retail, i) for i in here] == ["on_hold"] * 5 + ["pending_payment"]
    assert state(retail, elsewhere) == "pending_shipment"
    for order_id in here[:5]:
        [(actor, reason)] = holds(retail, order_id)
        assert actor == ACTOR
        assert reason is not None and f"retail-fraud#{fraud.version} accounts-at-one-address" in reason
    [match] = matches(retail)
    assert (match["pattern"], match["key"]) == ("accounts-at-one-address", address_key(HOME))
    assert [e["type"] for e in match["events"]] == ["account_created"] * 5
    assert [e["order_id"] for e in match["events"]] == [first, *news]


def test_five_new_customers_at_one_address_over_more_than_an_hour_hold_nothing(
    retail: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    placed = []
    for k, written in enumerate(HOME_WRITTEN):
        placed.append(place(retail, f"1350000000{k}", written))
        clock.advance(minutes=16)  # the first and the fifth are 64 minutes apart

    report = feeds("w1").round()

    assert (report.matches, report.fired) == (0, 0)
    assert [state(retail, i) for i in placed] == ["pending_shipment"] * 5


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_round_never_reads_past_an_event_still_being_written(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    """PostgreSQL takes an outbox id before the transaction commits: the third failure below has a
    smaller id than a message committed after it. Read past while it was open, the cursor would move on
    and the third failure would never be fed (no hold). The round waits for the writers instead, and
    leaves the reading to the next round when they take longer than its lock timeout."""
    unpaid = order(engine, ZHANG, paid=False)
    paid = order(engine, ZHANG)
    payment_failed(engine, ZHANG, unpaid)
    payment_failed(engine, ZHANG, unpaid)
    feed = feeds("w1")
    assert feed.round().events > 0
    with engine.store.transaction() as open_tx:  # the third failure, written, not yet committed
        open_tx.insert_outbox(
            "payment_failed",
            {"order_id": unpaid, "customer_mobile": ZHANG, "amount": 120, "reason": "declined"},
            clock.now(),
        )
        outbox_event(engine, "notifications.order_status", order_id=paid)  # committed, a larger id
        waiting = feed.round()
        assert (waiting.events, waiting.matches) == (0, 0)  # not past the open one
    done = feed.round()
    [(actor, reason)] = holds(engine, paid)
    assert (
        done.matches == 1
        and actor == "correlation:retail-fraud"
        and "repeated-payment-failures" in str(reason)
    )


def test_rows_this_orderloom_cannot_read_are_passed_over_said_and_the_feed_goes_on(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    held, newer_order = order(engine, ZHANG), order(engine, ZHANG)  # two paid orders of Zhang's
    first = payment_failed(engine, ZHANG, held)
    newer_message = payment_failed(engine, ZHANG, held)
    clock.advance(minutes=1)
    failures = [first, payment_failed(engine, ZHANG, held), payment_failed(engine, ZHANG, held)]
    with engine.store.transaction() as tx:  # as a newer OrderLoom would store them
        connection = tx.connection
        connection.execute(update(outbox).where(outbox.c.id == newer_message).values(schema_version=2))
        connection.execute(update(orders).where(orders.c.id == newer_order).values(schema_version=2))
        newer_audits = list(
            connection.execute(select(audit_events.c.id).where(audit_events.c.order_id == newer_order))
            .scalars()
            .all()
        )
    before = last_ids(engine)

    feed = feeds("w1")
    report = feed.round()

    # The newer order's two audit events and the newer message are passed over, each said; the rest is
    # fed: the held order's two audit events and the three failures, which match.
    assert [(row.table, row.id) for row in report.unreadable] == [
        *(("audit_events", audit_id) for audit_id in newer_audits),
        ("outbox", newer_message),
    ]
    said = report.unreadable[-1]
    assert said.describe() == (
        f"outbox message {newer_message} has schema_version 2, newer than this OrderLoom reads (up to 1): "
        "it was written by a newer OrderLoom; run that version, or upgrade this one"
    )
    assert said.describe("zh").startswith(f"发件箱消息 {newer_message} 的 schema_version 为 2")
    assert (
        report.unreadable[0]
        .describe()
        .startswith(f"audit event {newer_audits[0]}: the data of order {newer_order} has schema_version 2")
    )
    assert (report.events, report.matches, report.fired, report.skipped) == (5, 1, 1, 1)
    assert state(engine, held) == "on_hold"
    [match] = matches(engine)
    assert [e["id"] for e in match["events"]] == [f"outbox:{i}" for i in failures]
    by_order = {a["order_id"]: a for a in match["actions"]}
    assert by_order[held]["result"] == "fired"
    # The newer order is one of Zhang's open orders; firing on it is refused by its data, not a crash.
    assert by_order[newer_order]["result"] == "skipped"
    assert "has schema_version 2, newer than this OrderLoom reads" in by_order[newer_order]["why"][0]
    with engine.store.read() as tx:
        cursor = tx.correlation_cursor("default")
    assert cursor is not None and (cursor.last_audit_id, cursor.last_outbox_id) == before

    again = feed.round()  # past them: not read, nor said, again
    assert (again.unreadable, again.events, again.matches) == ([], 1, 0)  # the hold it fired


def test_a_recorded_match_this_orderloom_cannot_read_is_said_when_the_feed_is_taken_over(
    engine: Engine, clock: FrozenClock, feeds: Feeds
) -> None:
    wang = order(engine, WANG)
    for _ in range(3):
        clock.advance(minutes=1)
        payment_failed(engine, WANG, wang)
    first = feeds("w1")
    assert first.round().matches == 1
    assert first.release() is True
    with engine.store.transaction() as tx:
        tx.connection.execute(update(correlation_matches).values(schema_version=2))
        [match_id] = tx.connection.execute(select(correlation_matches.c.id)).scalars().all()

    report = feeds("w2").round()  # takes the feed over: replays the last window first

    assert report.holding is True
    [said] = report.unreadable
    assert (said.table, said.id) == ("correlation_matches", match_id)
    assert said.describe().startswith(f"correlation match {match_id} has schema_version 2, newer than")
    assert report.matches == 0 and len(holds(engine, wang)) == 1  # replayed, never acted on again
