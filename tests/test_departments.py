"""The shipped departments: every file validates, and each process runs end to end on the real Engine."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from demo.loader import DEMO_ACTORS, demo_clock, load_demo
from engine.api.stock import ledger_entries, ledger_sums, low_stock_alerts, transfers
from engine.clock import FrozenClock
from engine.common.text import Text
from engine.dsl.compiler import compile_bundle, discover, load_bundle
from engine.dsl.spec import TransitionSpec, WorkflowSpec
from engine.dsl.validate import validate_paths
from engine.errors import EngineError, RefusalCode, TransitionRejected
from engine.forms.ui import load_layout
from engine.plugins import PluginRegistry
from engine.runtime import Actor, CreditStanding, Engine, FireResult, OrderView
from engine.runtime.accounts import put_account
from engine.runtime.approvals import ApprovalAction, ApprovalRequest, ApprovalResult
from engine.runtime.finding import ListQuery
from engine.runtime.named_lists import NamedLists
from engine.store import Store
from engine.store.accounts import CustomerAccount, list_accounts
from engine.store.products import Product, write_products
from engine.store.tables import approval_tasks, audit_events, orders, outbox, stock, stock_ledger, users
from engine.store.users import add_user, change_email
from plugins.logistics import is_valid_waybill
from tests.after_sales import backordered_exchange, exchange_request
from tests.deadlocks import collide

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = PluginRegistry.from_entry_points()

RETAIL = Actor("li.na", frozenset({"clerk", "service"}), frozenset({"retail"}))
REVIEWER = Actor("wang.qiang", frozenset({"reviewer"}), frozenset({"retail"}))
WAREHOUSE = Actor("zhao.lei", frozenset({"warehouse"}), frozenset({"retail", "wholesale", "after_sales"}))
SALES = Actor("chen.jing", frozenset({"sales"}), frozenset({"wholesale"}))
CREDIT = Actor("liu.yang", frozenset({"credit_controller"}), frozenset({"wholesale"}))
APPROVER = Actor("sun.li", frozenset({"approver"}), frozenset({"wholesale"}))
DIRECTOR = Actor("gao.jun", frozenset({"director"}), frozenset({"wholesale"}))
FINANCE = Actor("zhou.min", frozenset({"finance"}), frozenset({"wholesale"}))
SERVICE = Actor("huang.fang", frozenset({"service"}), frozenset({"after_sales"}))
INSPECTOR = Actor("wu.gang", frozenset({"inspector"}), frozenset({"after_sales"}))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = stocked(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(
    request: pytest.FixtureRequest, sqlite_url: str, clock: FrozenClock
) -> Iterator[tuple[Engine, Store]]:
    """The shipped definitions on a stocked SQLite file, and on a PostgreSQL server."""
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = stocked(url)
    engine = Engine(store, REGISTRY, clock)
    for path in discover(ROOT).values():
        engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
    yield engine, store
    store.dispose()


def stocked(url: str) -> Store:
    """A store at ``url`` with the tests' stock and the wholesale account W100231."""
    store = Store(url)
    store.upgrade()
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock),
            [
                {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 500, "reserved": 0},
                {"sku": "HR-BCD470", "warehouse": "SH-01", "on_hand": 40, "reserved": 0},
                {"sku": "YL-MILK24", "warehouse": "GZ-01", "on_hand": 1000, "reserved": 0},
                {"sku": "SP-TRIAL", "warehouse": "SH-01", "on_hand": 50, "reserved": 0},
            ],
        )
    set_account(store)
    return store


def set_account(store: Store, **changes: Any) -> None:
    """The wholesale account W100231 as its record stands (the orders take it from there)."""
    account = {"company": "上海鑫达商贸有限公司", "credit_limit": 500000, "outstanding": 80000, **changes}
    put_account(store, CustomerAccount("wholesale", "W100231", **account), datetime(2026, 3, 1, tzinfo=UTC))


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Engine:
    engine = Engine(store, REGISTRY, clock)
    for path in discover(ROOT).values():
        engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
    return engine


def levels(store: Store, sku: str, warehouse: str = "SH-01") -> tuple[int, int]:
    with store.read() as tx:
        row = tx.connection.execute(
            select(stock.c.on_hand, stock.c.reserved).where(
                stock.c.sku == sku, stock.c.warehouse == warehouse
            )
        ).one()
    return row.on_hand, row.reserved


def topics(store: Store) -> list[str]:
    with store.read() as tx:
        return list(tx.connection.execute(select(outbox.c.topic).order_by(outbox.c.id)).scalars())


def retail_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer": {"name": "张伟", "mobile": "13812345678"},
        "address": {
            "province": "上海市",
            "city": "上海市",
            "district": "浦东新区",
            "detail": "世纪大道1198号3栋2单元1202室",
            "postcode": "200120",
        },
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}],
        "shipping_fee": 0,
        "discount": 0,
        "total": 478,
    }
    data.update(changes)
    return data


def pay(engine: Engine, order_id: int, amount: float) -> str:
    payment = {"method": "wechat_pay", "amount": amount, "transaction_ref": "4200001234567"}
    return engine.fire(order_id, "pay", RETAIL, payment).to_state


def retail_shipments(engine: Engine, order_id: int) -> list[Any]:
    return [r for r in engine.records(order_id, WAREHOUSE) if r.kind == "shipment"]


def ship_each(engine: Engine, order_id: int, form: dict[str, Any], actor: Actor = WAREHOUSE) -> str:
    """Ship each of the retail order's shipments still waiting (one per warehouse); the order's state."""
    state = ""
    for shipment in retail_shipments(engine, order_id):
        if shipment.state == "pending":
            state = engine.fire_record(order_id, "shipment", shipment.number, "ship", actor, form).to_state
    return state


def deliver_each(engine: Engine, order_id: int, form: dict[str, Any]) -> str:
    """Deliver each of the retail order's shipped shipments; the order's state after the last."""
    state = ""
    for shipment in retail_shipments(engine, order_id):
        if shipment.state == "shipped":
            state = engine.fire_record(
                order_id, "shipment", shipment.number, "deliver", WAREHOUSE, form
            ).to_state
    return state


# -- the files -------------------------------------------------------------------------------------


def test_every_shipped_file_validates_with_zero_problems() -> None:
    paths = [ROOT / "workflows", ROOT / "forms", ROOT / "rules"]
    problems = validate_paths(paths, ROOT, action_names=REGISTRY.action_names)
    assert [p.format() for p in problems] == []


def test_every_workflow_compiles_and_names_only_registered_actions() -> None:
    found = discover(ROOT)
    assert set(found) == {"retail-order", "retail-flash-sale", "wholesale-order", "after-sales-request"}
    for path in found.values():
        spec = compile_bundle(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
        assert {a for t in spec.transitions for a in t.actions} <= REGISTRY.action_names
        assert all(state.label.zh and state.label.en for state in spec.states)


def _numbers(node: Any, path: str = "$") -> Iterator[tuple[str, Any]]:
    """Every schema of a number (not a whole number) inside ``node``, with its JSON path."""
    if isinstance(node, dict):
        kind = node.get("type")
        if "number" in (kind if isinstance(kind, list) else [kind]):
            yield path, node
        for key, value in node.items():
            yield from _numbers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _numbers(item, f"{path}[{index}]")


def test_every_number_of_every_shipped_form_is_money() -> None:
    # Each number a shipped form takes is an amount in yuan (prices, line amounts, freight, discounts,
    # totals, payments, refunds): without the money format a 10^20 total was taken and a 400-digit
    # price was refused as if it were missing.
    not_money = [
        f"{path.relative_to(ROOT)} {where}"
        for path in sorted((ROOT / "forms").rglob("*.json"))
        if not path.name.endswith(".ui.json")
        for where, schema in _numbers(json.loads(path.read_text(encoding="utf-8")))
        if schema.get("format") != "money"
    ]
    assert not_money == []


def test_the_flash_sale_overlay_compiles_without_on_hold() -> None:
    spec = compile_bundle(load_bundle(ROOT / "workflows/retail/flash-sale.yaml", ROOT))
    base = compile_bundle(load_bundle(ROOT / "workflows/retail/order.yaml", ROOT))
    assert spec.name == "retail-flash-sale"
    assert spec.department == "retail"
    assert "on_hold" in base.state_names
    assert "on_hold" not in spec.state_names
    assert all("on_hold" not in (t.sources + tuple(t.dest_by_outcome.values())) for t in spec.transitions)
    assert spec.state("pending_payment").timers[0].after_seconds == 10 * 60
    assert base.state("pending_payment").timers[0].after_seconds == 30 * 60
    review = next(t for t in spec.transitions if t.trigger == "review")
    assert review.rules == "rules/retail/flash-sale-audit.yaml"
    assert set(spec.state_names) == set(base.state_names) - {"on_hold", "out_of_stock"}
    route = next(t for t in spec.transitions if t.trigger == "route")
    assert route.dest_by_outcome["no_stock"] == "cancelled"  # sold out: cancelled at once, not queued


# -- retail ----------------------------------------------------------------------------------------


def test_retail_lifecycle_from_placement_to_return(engine: Engine, store: Store, clock: FrozenClock) -> None:
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    assert order.state == "pending_payment"
    assert order.data["stock_reserved"] == [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 2}]
    assert levels(store, "XM-BAND8") == (500, 2)

    clock.advance(minutes=5)
    assert pay(engine, order.id, 478) == "pending_shipment"  # paid, then approved by the audit rules
    history = engine.history(order.id, RETAIL)
    assert [e.trigger for e in history] == [
        *(
            "create",
            "route",
            "place",
            "shipment.add",
            "pay",
            "payment.add",
            "payment.capture",
            "settle",
            "review",
        )
    ]
    route = history[1]
    assert route.rules is not None and (route.rules["kind"], route.rules["outcome"]) == ("routing", "routed")
    assert (route.data_changes["warehouse"][1], route.data_changes["carrier"][1]) == ("SH-01", "jd")

    clock.advance(hours=20)
    with pytest.raises(TransitionRejected, match="requires role warehouse"):
        ship_each(engine, order.id, {"carrier": "sf"}, RETAIL)
    assert ship_each(engine, order.id, {"carrier": "sf"}) == "shipped"
    shipped = engine.get_order(order.id, RETAIL)
    [parcel] = retail_shipments(engine, order.id)
    assert is_valid_waybill(shipped.data["waybill"]) and parcel.data["waybill"] == shipped.data["waybill"]
    assert levels(store, "XM-BAND8") == (498, 0)

    clock.advance(days=2)
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat(), "signed_by": "本人"})
    clock.advance(days=3)
    # a return names each order's own lines (x-per-record): the list of delivered orders offers no batch
    delivered = dict(engine.order_list(RETAIL, ListQuery(workflow="retail-order", state="delivered")).steps)
    assert "request_return" not in delivered and "complete" in delivered
    request = {"return_reason": "no_reason", "return_lines": [{"sku": "XM-BAND8", "qty": 2}]}
    assert engine.fire(order.id, "request_return", RETAIL, request).to_state == "return_requested"
    assert engine.get_order(order.id, RETAIL).data["refund_due"] == 478  # the lines' price, none typed
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "returned"
    final = engine.get_order(order.id, RETAIL)
    assert final.final
    assert levels(store, "XM-BAND8") == (500, 0)  # both bands back on the shelf they left
    assert final.data["paid_amount"] == 478
    assert final.data["refunded_amount"] == 478
    assert topics(store).count("payments.refunded") == 1
    assert "payments.captured" in topics(store)
    assert "logistics.waybill_created" in topics(store)


def test_a_retail_return_of_one_line_refunds_what_its_request_authorized(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Two lines paid (478 + 50), one returned: the request authorizes its 239 (never more than was
    paid), and receiving the goods refunds that, not the whole order; a step's form data is its own,
    so the refund reads what the request recorded (``refund_due``), which it then settles."""
    lines = [
        {"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478},
        {"sku": "SP-TRIAL", "name": "试用装", "qty": 1, "unit_price": 50, "amount": 50},
    ]
    data = retail_data(lines=lines, total=528, note="放快递柜")
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", data)
    pay(engine, order.id, 528)
    ship_each(engine, order.id, {"carrier": "sf"})
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    every = [{"sku": "XM-BAND8", "qty": 2}, {"sku": "SP-TRIAL", "qty": 1}]
    with pytest.raises(TransitionRejected, match=r"exceeds the 528\.00 CNY paid"):
        asked = {"return_reason": "quality", "return_lines": every, "refund_amount": 600}
        engine.fire(order.id, "request_return", RETAIL, asked)
    band = [{"sku": "XM-BAND8", "qty": 1}, {"sku": "SP-TRIAL", "qty": 0}]
    asked = {"return_reason": "quality", "return_lines": band, "return_note": "客户来电：尺码不合适"}
    engine.fire(order.id, "request_return", RETAIL, asked)
    returning = engine.get_order(order.id, RETAIL).data
    assert returning["refund_due"] == 239
    # the return's note is its own: the buyer's note stays (it once took the same name and replaced it)
    assert (returning["note"], returning["return_note"]) == ("放快递柜", "客户来电：尺码不合适")
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "partly_returned"
    data = engine.get_order(order.id, RETAIL).data
    assert (data["paid_amount"], data["refunded_amount"], data["refund_due"]) == (528, 239, None)
    assert topics(store).count("payments.refunded") == 1


def split_and_delivered(engine: Engine, store: Store, clock: FrozenClock) -> OrderView:
    """A retail order routing split between SH-01 (a fridge, 2999) and GZ-01 (two cartons of milk, 56
    each), paid, shipped from both and delivered."""
    lines = [
        {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 1, "unit_price": 2999, "amount": 2999},
        {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 2, "unit_price": 56, "amount": 112},
    ]
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=3111))
    if pay(engine, order.id, 3111) == "on_hold":
        engine.fire(order.id, "release", REVIEWER)
    ship_each(engine, order.id, {"carrier": "sf"})
    clock.advance(days=1)
    assert deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()}) == "delivered"
    return engine.get_order(order.id, RETAIL)


def test_a_retail_return_of_one_line_is_restocked_where_it_shipped_from_then_the_rest_returns(
    both: tuple[Engine, Store], clock: FrozenClock
) -> None:
    """One carton of milk of a split order comes back first: its price refunded (none typed), the carton
    back on GZ-01's shelf, which it left from, and the order partly returned, the rest still returnable;
    then the fridge and the other carton come back for a refund the service desk lowered, each into its
    own warehouse, and the order is returned. Every receipt is a ledger entry naming the order."""
    engine, store = both
    order = split_and_delivered(engine, store, clock)
    assert [(line["sku"], line["qty"]) for line in order.data["returnable"]] == [
        ("HR-BCD470", 1),
        ("YL-MILK24", 2),
    ]
    clock.advance(days=2)
    one = [{"sku": "HR-BCD470", "qty": 0}, {"sku": "YL-MILK24", "qty": 1}]
    engine.fire(order.id, "request_return", RETAIL, {"return_reason": "no_reason", "return_lines": one})
    assert engine.get_order(order.id, RETAIL).data["refund_due"] == 56
    with store.read() as tx:  # a return asked for, no amount typed: returns_in_days counts it all the same
        asked_at = tx.connection.execute(select(orders.c.returned_at).where(orders.c.id == order.id)).scalar()
    assert asked_at is not None
    with pytest.raises(TransitionRejected, match="requires role warehouse"):
        engine.fire(order.id, "receive_return", RETAIL)
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "partly_returned"
    data = engine.get_order(order.id, RETAIL).data
    assert (data["refunded_amount"], data.get("refund_due"), data.get("returning")) == (56, None, None)
    assert data["returned"] == [{"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 1, "warehouse": "GZ-01"}]
    assert [(line["sku"], line["qty"]) for line in data["returnable"]] == [("HR-BCD470", 1), ("YL-MILK24", 1)]
    assert (levels(store, "YL-MILK24", "GZ-01"), levels(store, "HR-BCD470")) == ((999, 0), (39, 0))

    clock.advance(days=1)
    rest = [{"sku": "HR-BCD470", "qty": 1}, {"sku": "YL-MILK24", "qty": 1}]
    asked = {"return_reason": "quality", "return_lines": rest, "refund_amount": 3000}
    assert engine.fire(order.id, "request_return", RETAIL, asked).to_state == "return_requested"
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "returned"
    final = engine.get_order(order.id, RETAIL)
    assert final.final and (final.data["refunded_amount"], final.data["returnable"]) == (3056, [])
    assert [(r["sku"], r["qty"], r["warehouse"]) for r in final.data["returned"]] == [
        ("YL-MILK24", 1, "GZ-01"),
        ("HR-BCD470", 1, "SH-01"),
        ("YL-MILK24", 1, "GZ-01"),
    ]
    assert (levels(store, "YL-MILK24", "GZ-01"), levels(store, "HR-BCD470")) == ((1000, 0), (40, 0))
    assert sorted(
        (e.warehouse, e.sku, e.kind, e.change)
        for e in ledger_entries(store, reference=str(order.id))
        if e.kind == "restock"
    ) == [
        ("GZ-01", "YL-MILK24", "restock", 1),
        ("GZ-01", "YL-MILK24", "restock", 1),
        ("SH-01", "HR-BCD470", "restock", 1),
    ]
    assert topics(store).count("payments.refunded") == 2


@pytest.mark.parametrize(
    ("lines", "amount", "refused"),
    [
        ([{"sku": "YL-MILK24", "qty": 3}], None, "3 of YL-MILK24 exceeds the 2 that may still come back"),
        ([{"sku": "XM-BAND8", "qty": 1}], None, "XM-BAND8 is not among the items this order delivered"),
        ([{"sku": "YL-MILK24", "qty": 0}], None, "give the quantity of at least one item coming back"),
        (
            [{"sku": "YL-MILK24", "qty": 1}],
            60,
            "refund of 60.00 CNY exceeds the 56.00 CNY the items returned",
        ),
    ],
)
def test_a_retail_return_beyond_what_came_and_was_paid_is_refused_naming_it(
    engine: Engine, store: Store, clock: FrozenClock, lines: list[dict[str, Any]], amount: Any, refused: str
) -> None:
    order = split_and_delivered(engine, store, clock)
    asked: dict[str, Any] = {"return_reason": "wrong_item", "return_lines": lines}
    if amount is not None:
        asked["refund_amount"] = amount
    with pytest.raises(TransitionRejected, match=re.escape(refused)):
        engine.fire(order.id, "request_return", RETAIL, asked)
    after = engine.get_order(order.id, RETAIL)
    assert (after.state, after.data.get("returning"), after.data.get("refund_due")) == (
        "delivered",
        None,
        None,
    )


def part_returned(engine: Engine, store: Store, clock: FrozenClock, sku: str, days: int = 0) -> OrderView:
    """``split_and_delivered``, then one unit of ``sku`` asked back ``days`` after delivery and received:
    the order partly returned."""
    order = split_and_delivered(engine, store, clock)
    clock.advance(days=days)
    one = {"return_reason": "no_reason", "return_lines": [{"sku": sku, "qty": 1}]}
    engine.fire(order.id, "request_return", RETAIL, one)
    assert engine.fire(order.id, "receive_return", WAREHOUSE).to_state == "partly_returned"
    return order


def test_a_part_returned_order_waits_within_the_window_and_completes_at_its_end(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """The 7 days count from delivery, not from the part return (on day 2): the order waits partly
    returned through day 6, the rest still returnable for no more than its price, and completes by
    itself once day 7 is over (its timer at return_by)."""
    order = part_returned(engine, store, clock, "HR-BCD470", days=2)
    clock.advance(days=4, hours=12)  # day 6½: the window is not over
    assert engine.run_due_timers("test") == 0
    assert engine.get_order(order.id, RETAIL).state == "partly_returned"
    milk = {"return_reason": "no_reason", "return_lines": [{"sku": "YL-MILK24", "qty": 1}]}
    with pytest.raises(TransitionRejected, match=r"exceeds the 56\.00 CNY"):
        engine.fire(order.id, "request_return", RETAIL, {**milk, "refund_amount": 112})
    clock.advance(hours=12, minutes=1)  # day 7 and a minute
    assert engine.run_due_timers("test") == 1
    assert engine.get_order(order.id, RETAIL).state == "completed"


def test_a_return_rejected_after_a_part_return_leaves_it_partly_returned_until_return_by(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A rejected return sends the order back partly returned, nothing due: the fridge may still be asked
    back within the window, and the order completes by itself at return_by."""
    order = part_returned(engine, store, clock, "YL-MILK24")
    fridge = {"return_reason": "quality", "return_lines": [{"sku": "HR-BCD470", "qty": 1}]}
    engine.fire(order.id, "request_return", RETAIL, fridge)
    assert engine.get_order(order.id, RETAIL).data["refund_due"] == 2999
    assert engine.fire(order.id, "reject_return", RETAIL).to_state == "partly_returned"
    data = engine.get_order(order.id, RETAIL).data
    assert (data.get("returning"), data.get("refund_due"), data["refunded_amount"]) == (None, None, 56)
    assert levels(store, "HR-BCD470") == (39, 0)  # the fridge stays with the customer
    assert engine.run_due_timers("test") == 0
    clock.advance(days=7, minutes=1)  # past return_by
    assert engine.run_due_timers("test") == 1
    assert engine.get_order(order.id, RETAIL).state == "completed"


def test_a_return_rejected_before_any_came_back_leaves_the_order_delivered(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order = split_and_delivered(engine, store, clock)
    milk = {"return_reason": "no_reason", "return_lines": [{"sku": "YL-MILK24", "qty": 1}]}
    engine.fire(order.id, "request_return", RETAIL, milk)
    assert engine.fire(order.id, "reject_return", RETAIL).to_state == "delivered"
    engine.fire(order.id, "request_return", RETAIL, milk)  # still within the window: asked again
    assert engine.get_order(order.id, RETAIL).state == "return_requested"


def test_a_part_returned_order_refuses_the_rest_after_seven_days(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order = part_returned(engine, store, clock, "HR-BCD470")
    clock.advance(days=7, minutes=1)
    milk = {"return_reason": "no_reason", "return_lines": [{"sku": "YL-MILK24", "qty": 2}]}
    with pytest.raises(TransitionRejected, match="More than 7 days have passed since delivery"):
        engine.fire(order.id, "request_return", RETAIL, milk)


def test_a_free_retail_order_returned_refunds_nothing(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A free order (total 0) goes to shipping without a payment; its return asked 5000 back, which was
    recorded as due and paid: nothing paid is nothing to refund."""
    lines = [{"sku": "SP-TRIAL", "name": "试用装", "qty": 1, "unit_price": 0, "amount": 0}]
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=0))
    assert order.state == "pending_shipment"
    ship_each(engine, order.id, {"carrier": "sf"})
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    with pytest.raises(TransitionRejected, match=r"exceeds the 0\.00 CNY paid and not yet refunded"):
        asked = {
            "return_reason": "quality",
            "return_lines": [{"sku": "SP-TRIAL", "qty": 1}],
            "refund_amount": 5000,
        }
        engine.fire(order.id, "request_return", RETAIL, asked)
    data = engine.get_order(order.id, RETAIL).data
    assert data.get("refund_due") is None and data.get("refunded_amount") is None
    assert "payments.refunded" not in topics(store)


def test_a_delivery_or_a_receipt_in_the_future_is_refused(engine: Engine, clock: FrozenClock) -> None:
    """签收时间 2030-01-01 was accepted: the order then offered returns for years. Five minutes ahead
    are allowed for a clock that runs fast."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)
    ship_each(engine, order.id, {"carrier": "sf"})
    tomorrow = (clock.now() + timedelta(days=1)).isoformat()
    with pytest.raises(TransitionRejected, match="The delivery time can be neither in the future"):
        deliver_each(engine, order.id, {"delivered_at": tomorrow})
    soon = (clock.now() + timedelta(minutes=4)).isoformat()
    assert deliver_each(engine, order.id, {"delivered_at": soon}) == "delivered"

    request = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request_data(clock))
    early = {"return_waybill": "SF1234567890", "received_at": tomorrow}
    with pytest.raises(TransitionRejected, match="can be neither in the future"):
        engine.fire(request.id, "receive_goods", WAREHOUSE, early)
    future = request_data(clock, delivered_at=tomorrow)
    rejected = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", future)
    assert rejected.state == "rejected"


def test_a_shipped_parcels_delivery_form_starts_at_the_time_it_is_drawn(
    engine: Engine, clock: FrozenClock
) -> None:
    """签收时间 started empty on both departments' shipments: the form starts at now (to the minute, as
    the picker takes it), the clerk changing it when the parcel arrived earlier."""
    clock.advance(seconds=42)
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)
    ship_each(engine, order.id, {"carrier": "sf"})
    wholesale = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    ship(engine, wholesale.id, "SH-01")
    drawn = clock.now().replace(second=0, microsecond=0).isoformat()
    for order_id in (order.id, wholesale.id):
        shipped = [r for r in engine.records(order_id, WAREHOUSE) if r.state == "shipped"]
        [deliver] = [s for s in shipped[0].steps if s.trigger == "deliver"]
        assert deliver.prefill == {"delivered_at": drawn}
    assert deliver_each(engine, order.id, {"delivered_at": drawn}) == "delivered"


def test_an_order_status_message_carries_the_names_people_know(engine: Engine, store: Store) -> None:
    """The mail said 订单 315（retail-order）经 ship 从 pending_shipment 变为 shipped. A shipment's
    message names the shipment, and reaches the customer the order names."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)
    ship_each(engine, order.id, {"carrier": "sf"})
    with store.read() as tx:
        payloads = tx.connection.execute(
            select(outbox.c.payload)
            .where(outbox.c.topic == "notifications.order_status")
            .order_by(outbox.c.id)
        ).scalars()
        shipped = [p for p in payloads if p["trigger"] == "shipment.ship"][-1]
    assert (shipped["from"], shipped["to"], shipped["record"]) == ("pending", "shipped", 1)  # for programs
    assert (shipped["template"], shipped["mobile"]) == ("retail-order.shipment.shipped", "13812345678")
    assert shipped["labels"] == {
        "workflow": {"zh": "零售订单", "en": "Retail order"},
        "trigger": {"zh": "发货单 #1：发货", "en": "Shipment #1: Ship"},
        "from": {"zh": "待发货", "en": "Pending shipment"},
        "to": {"zh": "已发货", "en": "Shipped"},
    }


def test_both_departments_shipment_forms_start_at_the_carrier_routing_chose(engine: Engine) -> None:
    """The wholesale parcel's 承运商 started at the first carrier of the list whatever routing chose:
    each department's shipment form starts at the order's carrier, which the warehouse may change."""
    retail = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, retail.id, 478)
    wholesale = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    for order_id in (retail.id, wholesale.id):
        routed = engine.get_order(order_id, WAREHOUSE).data.get("carrier")
        pending = [r for r in engine.records(order_id, WAREHOUSE) if r.kind == "shipment"]
        steps = [s for record in pending for s in record.steps if s.trigger == "ship"]
        assert routed and steps and all(s.prefill == {"carrier": routed} for s in steps), (routed, steps)


def test_a_delivery_before_the_parcel_left_or_a_receipt_before_the_original_delivery_is_refused(
    engine: Engine, clock: FrozenClock
) -> None:
    """签收时间 2020-01-01 on an order shipped today was taken: the 7-day return window had closed years
    before, and the customer's return right was gone."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)
    clock.advance(hours=3)
    ship_each(engine, order.id, {"carrier": "sf"})
    clock.advance(days=1)
    for before in ("2020-01-01T10:00:00+08:00", (clock.now() - timedelta(days=1, minutes=6)).isoformat()):
        with pytest.raises(TransitionRejected, match="nor before the parcel was shipped") as refused:
            deliver_each(engine, order.id, {"delivered_at": before})
        assert refused.value.refusals[0].zh == "签收时间不能晚于现在，也不能早于发货时间"
    just_after = (clock.now() - timedelta(days=1, minutes=4)).isoformat()  # five minutes' grace
    assert deliver_each(engine, order.id, {"delivered_at": just_after}) == "delivered"

    request = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request_data(clock))
    delivered = request.data["delivered_at"]
    assert request.state == "awaiting_goods"  # accepted by the eligibility rules
    for before in (
        "2019-01-01T00:00:00+08:00",
        (datetime.fromisoformat(delivered) - timedelta(hours=1)).isoformat(),
    ):
        receipt = {"return_waybill": "SF1234567890", "received_at": before}
        with pytest.raises(TransitionRejected, match="nor before the original order was delivered"):
            engine.fire(request.id, "receive_goods", WAREHOUSE, receipt)
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    assert engine.fire(request.id, "receive_goods", WAREHOUSE, receipt).to_state == "inspecting"


def test_retail_unpaid_order_cancels_itself_after_30_minutes(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    order = engine.create_order(
        RETAIL,
        department="retail",
        workflow="retail-order",
        channel="app",
        data=retail_data(app_user_id="U20260302"),
    )
    assert levels(store, "XM-BAND8") == (500, 2)
    clock.advance(minutes=29)
    assert engine.run_due_timers("test") == 0
    assert engine.get_order(order.id, RETAIL).state == "pending_payment"
    clock.advance(minutes=2)
    assert engine.run_due_timers("test") == 1
    cancelled = engine.get_order(order.id, RETAIL)
    assert cancelled.state == "cancelled"
    *_, last, cancelled_shipment = engine.history(order.id, RETAIL)  # the shipment's after its order's
    assert (last.trigger, last.actor, last.reason) == ("cancel", "system", "unpaid_timeout")
    assert cancelled_shipment.trigger == "shipment.cancel"
    assert [r.state for r in retail_shipments(engine, order.id)] == ["cancelled"]
    assert levels(store, "XM-BAND8") == (500, 0)  # the reservation was released ...
    assert "payments.refunded" not in topics(store)  # ... and nothing refunded: nothing was paid


def test_an_authorized_payment_stops_the_unpaid_timer_until_it_is_captured_or_expires(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A card held for the whole order was cancelled 30 minutes later as unpaid, the hold voided: an
    authorized payment spares the order the unpaid timer; captured, the order is paid; left for 7 days,
    the order is cancelled and the authorization voided."""
    authorized = {"method": "card", "amount": 478, "transaction_ref": "4200009876543", "authorize_only": True}
    held, forgotten = (
        engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data()) for _ in "ab"
    )
    for order in (held, forgotten):
        assert engine.fire(order.id, "pay", RETAIL, authorized).to_state == "pending_payment"
    clock.advance(minutes=31)
    engine.run_due_timers("test")
    assert [engine.get_order(o.id, RETAIL).state for o in (held, forgotten)] == ["pending_payment"] * 2
    [payment] = [r for r in engine.records(held.id, RETAIL) if r.kind == "payment"]
    assert (
        engine.fire_record(held.id, "payment", payment.number, "capture", RETAIL).to_state
        == "pending_shipment"
    )
    clock.advance(days=7)
    engine.run_due_timers("test")
    assert engine.get_order(held.id, RETAIL).state == "pending_shipment"  # paid: no timer of its left
    cancel = [e for e in engine.history(forgotten.id, RETAIL) if e.trigger == "cancel"]
    assert [(e.actor, e.reason) for e in cancel] == [("system", "not_paid_in_full")]
    assert [r.state for r in engine.records(forgotten.id, RETAIL) if r.kind == "payment"] == ["voided"]
    assert levels(store, "XM-BAND8") == (500, 2)  # the held order's reservation, the other released


def test_a_part_paid_order_is_not_cancelled_by_the_unpaid_timer_but_after_7_days_refunded(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A customer paying in parts was cancelled 30 minutes later with the part refunded: a captured part
    spares the order the 30-minute timer; still not paid in full after 7 days, it is cancelled and the
    part refunded."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    assert pay(engine, order.id, 100) == "pending_payment"
    clock.advance(minutes=31)
    engine.run_due_timers("test")
    assert engine.get_order(order.id, RETAIL).state == "pending_payment"
    clock.advance(days=7)
    engine.run_due_timers("test")
    cancelled = engine.get_order(order.id, RETAIL)
    assert (cancelled.state, cancelled.data["refunded_amount"]) == ("cancelled", 100)
    cancel = [e for e in engine.history(order.id, RETAIL) if e.trigger == "cancel"]
    assert [(e.actor, e.reason) for e in cancel] == [("system", "not_paid_in_full")]
    assert levels(store, "XM-BAND8") == (500, 0)


def test_a_payment_refunded_in_part_reads_partly_refunded_until_all_of_it_is_back(engine: Engine) -> None:
    """A payment with 50 of its 478 yuan refunded still read 已收款 (Captured): a clerk could not tell."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)

    def refund(amount: float) -> tuple[str, str, float]:
        engine.fire_record(
            order.id, "payment", 1, "refund", RETAIL, {"refund_amount": amount, "refund_reason": "赠品"}
        )
        [payment] = [r for r in engine.records(order.id, RETAIL) if r.kind == "payment"]
        return payment.state, payment.state_label.zh, payment.data["refunded"]

    assert refund(50) == ("partly_refunded", "部分退款", 50)
    assert refund(28) == ("partly_refunded", "部分退款", 78)
    with pytest.raises(TransitionRejected, match="exceeds the 400"):
        refund(401)
    assert refund(400) == ("refunded", "已全额退款", 478)
    assert engine.get_order(order.id, RETAIL).data["refunded_amount"] == 478


def test_a_paid_order_is_not_cancelled_by_the_unpaid_timer(engine: Engine, clock: FrozenClock) -> None:
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    clock.advance(minutes=10)
    pay(engine, order.id, 478)
    clock.advance(minutes=30)
    assert engine.run_due_timers("test") == 0
    assert engine.get_order(order.id, RETAIL).state == "pending_shipment"


def test_cancelling_a_paid_order_refunds_and_releases(engine: Engine, store: Store) -> None:
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    pay(engine, order.id, 478)
    assert engine.fire(order.id, "cancel", RETAIL).to_state == "cancelled"
    assert levels(store, "XM-BAND8") == (500, 0)
    assert engine.get_order(order.id, RETAIL).data["refunded_amount"] == 478
    assert topics(store).count("payments.refunded") == 1
    assert [r.state for r in retail_shipments(engine, order.id)] == ["cancelled"]


def split_order(engine: Engine, store: Store) -> OrderView:
    """A retail order of a fridge (held in SH-01 alone) and milk (GZ-01 alone), 3,111 yuan: routed to
    both, one shipment record each."""
    with store.transaction() as tx:
        tx.connection.execute(insert(stock), [{"sku": "XM-BAND8", "warehouse": "GZ-01", "on_hand": 5}])
    lines = [
        {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 1, "unit_price": 2999, "amount": 2999},
        {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 2, "unit_price": 56, "amount": 112},
    ]
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=3111))
    return order


def test_a_split_retail_order_ships_by_warehouse_and_moves_by_itself(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Routing split the order between SH-01 and GZ-01: one shipment record per warehouse with its lines,
    each shipped from its own shelf under its own waybill (found by the search), each delivered on its
    own; the order is shipped once both left and delivered once both arrived, its return window counted
    from the later delivery. Once one left, the order can no longer be cancelled nor held."""
    order = split_order(engine, store)
    assert [part["warehouse"] for part in order.data["split"]] == ["SH-01", "GZ-01"]
    parts = {r.data["warehouse"]: r for r in retail_shipments(engine, order.id)}
    assert {w: (r.state, r.data["lines"]) for w, r in parts.items()} == {
        "SH-01": ("pending", [{"sku": "HR-BCD470", "qty": 1}]),
        "GZ-01": ("pending", [{"sku": "YL-MILK24", "qty": 2}]),
    }
    with pytest.raises(TransitionRejected, match="taken when the order is Pending shipment") as early:
        engine.fire_record(order.id, "shipment", parts["SH-01"].number, "ship", WAREHOUSE, {"carrier": "sf"})
    assert [r.code for r in early.value.refusals] == [RefusalCode.STATE]
    assert "订单处于「" in early.value.refusals[0].zh and "「待发货」时执行" in early.value.refusals[0].zh
    if pay(engine, order.id, 3111) == "on_hold":
        engine.fire(order.id, "release", REVIEWER)
    assert engine.get_order(order.id, RETAIL).state == "pending_shipment"

    first = engine.fire_record(
        order.id, "shipment", parts["SH-01"].number, "ship", WAREHOUSE, {"carrier": "sf"}
    )
    assert first.to_state == "pending_shipment"  # the other is still on its shelf
    assert (levels(store, "HR-BCD470"), levels(store, "YL-MILK24", "GZ-01")) == ((39, 0), (1000, 2))
    for refused in ("cancel", "hold"):
        actor = RETAIL if refused == "cancel" else REVIEWER
        with pytest.raises(TransitionRejected, match="A shipment of this order has left"):
            engine.fire(order.id, refused, actor)
    given = {"carrier": "jd", "waybill": "JD0012345678"}
    second = engine.fire_record(order.id, "shipment", parts["GZ-01"].number, "ship", WAREHOUSE, given)
    assert (second.to_state, second.auto) == ("shipped", ("all_shipped",))
    assert levels(store, "YL-MILK24", "GZ-01") == (998, 0)
    data = engine.get_order(order.id, RETAIL).data
    assert [(s["warehouse"], s["carrier"], s["items"]) for s in data["shipments"]] == [
        ("SH-01", "sf", [{"sku": "HR-BCD470", "qty": 1}]),
        ("GZ-01", "jd", [{"sku": "YL-MILK24", "qty": 2}]),
    ]
    waybills = [s["waybill"] for s in data["shipments"]]
    assert is_valid_waybill(waybills[0]) and waybills[1] == "JD0012345678"
    for waybill in waybills:
        found = engine.order_list(RETAIL, ListQuery(q=waybill)).orders
        assert [(listed.order.id, listed.matched and listed.matched.en) for listed in found] == [
            (order.id, f"waybill {waybill}")
        ]
    assert sorted(
        (e.warehouse, e.sku, e.kind, e.change) for e in ledger_entries(store, reference=str(order.id))
    ) == [
        ("GZ-01", "YL-MILK24", "ship", -2),
        ("SH-01", "HR-BCD470", "ship", -1),
    ]

    clock.advance(days=1)
    early = (clock.now() - timedelta(hours=5)).isoformat()
    late = (clock.now() - timedelta(hours=2)).astimezone(timezone(timedelta(hours=8))).isoformat()
    number = parts["GZ-01"].number
    assert (
        engine.fire_record(
            order.id, "shipment", number, "deliver", WAREHOUSE, {"delivered_at": late}
        ).to_state
        == "shipped"
    )
    done = engine.fire_record(
        order.id, "shipment", parts["SH-01"].number, "deliver", WAREHOUSE, {"delivered_at": early}
    )
    assert (done.to_state, done.auto) == ("delivered", ("all_delivered",))
    data = engine.get_order(order.id, RETAIL).data
    assert data["delivered_at"] == late
    assert datetime.fromisoformat(data["return_by"]) == datetime.fromisoformat(late) + timedelta(days=7)


def test_a_retail_order_paid_in_two_parts_moves_to_paid_once_its_payments_reach_the_total(
    engine: Engine,
) -> None:
    """Each payment is a record; the order is paid by itself when what they captured reaches the total
    (``settle`` reads the records), and a payment above what is still due is refused, never taken."""
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    assert pay(engine, order.id, 400) == "pending_payment"  # 78 still due
    with pytest.raises(TransitionRejected) as refused:
        pay(engine, order.id, 100)
    [refusal] = refused.value.refusals
    assert (refusal.code, refusal.details["due"]) == ("overpayment", "78.00")
    assert pay(engine, order.id, 78) == "pending_shipment"
    payments = [r for r in engine.records(order.id, RETAIL) if r.kind == "payment"]
    assert [(p.number, p.state, p.data["captured"]) for p in payments] == [
        (1, "captured", 400),
        (2, "captured", 78),
    ]
    assert engine.get_order(order.id, RETAIL).data["paid_amount"] == 478


def test_a_payment_refunded_in_part_before_the_order_is_paid_leaves_that_much_still_due(
    engine: Engine,
) -> None:
    """What a payment refunded goes back on what is due: the order is paid once what its payments hold
    (captured less refunded) reaches the total, and the pay form offers what is still due."""
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    assert pay(engine, order.id, 300) == "pending_payment"
    reason = {"refund_amount": 100, "refund_reason": "客户改付方式"}
    engine.fire_record(order.id, "payment", 1, "refund", RETAIL, reason)
    assert pay(engine, order.id, 178) == "pending_payment"  # 200 held + 178: 100 still due, not paid
    page = engine.step_page(order.id, "pay", RETAIL)
    assert page.prefill["amount"] == 100
    assert pay(engine, order.id, 100) == "pending_shipment"


def test_a_large_order_is_held_for_review_and_released(engine: Engine) -> None:
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 2, "unit_price": 3299, "amount": 6598}]
    data = retail_data(lines=lines, total=6598)
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=data
    )
    assert pay(engine, order.id, 6598) == "on_hold"
    review = engine.history(order.id, RETAIL)[-1]
    assert review.rules is not None
    assert review.rules["outcome"] == "hold"
    with pytest.raises(TransitionRejected, match="requires role reviewer"):
        engine.fire(order.id, "release", RETAIL)
    assert engine.fire(order.id, "release", REVIEWER).to_state == "pending_shipment"


def refund_payment(engine: Engine, order_id: int, amount: float, number: int = 1) -> FireResult:
    form = {"refund_amount": amount, "refund_reason": "退款 / refund"}
    return engine.fire_record(order_id, "payment", number, "refund", RETAIL, form)


@pytest.mark.parametrize("workflow", ["retail-order", "retail-flash-sale"])
def test_a_retail_order_refunded_in_full_before_it_ships_is_cancelled_and_its_stock_released(
    both: tuple[Engine, Store], workflow: str
) -> None:
    """Everything paid refunded on the payment record (100, then the rest) left the order waiting to ship
    with its stock reserved: the warehouse shipped goods no money was kept for. It cancels itself."""
    engine, store = both
    data = retail_data(app_user_id="U20260302")
    order = engine.create_order(RETAIL, "retail", workflow, "app", data)
    assert pay(engine, order.id, 478) == "pending_shipment"
    assert levels(store, "XM-BAND8") == (500, 2)
    part = refund_payment(engine, order.id, 100)
    assert (part.to_state, part.auto) == ("pending_shipment", ())  # a part back: the rest still ships
    rest = refund_payment(engine, order.id, 378)
    assert (rest.to_state, rest.auto) == ("cancelled", ("cancel_refunded",))
    assert levels(store, "XM-BAND8") == (500, 0)
    assert [r.state for r in retail_shipments(engine, order.id)] == ["cancelled"]
    assert engine.get_order(order.id, RETAIL).data["refunded_amount"] == 478
    with pytest.raises(TransitionRejected):
        engine.fire_record(order.id, "shipment", 1, "ship", WAREHOUSE, {"carrier": "sf"})


def test_a_held_order_refunded_in_full_is_cancelled_not_left_for_the_reviewer_to_approve(
    both: tuple[Engine, Store],
) -> None:
    engine, store = both
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 2, "unit_price": 3299, "amount": 6598}]
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=6598))
    assert pay(engine, order.id, 6598) == "on_hold"
    assert refund_payment(engine, order.id, 100).to_state == "on_hold"
    assert refund_payment(engine, order.id, 6498).to_state == "cancelled"
    assert levels(store, "HR-BCD470") == (40, 0)
    moves = [(e.trigger, e.from_state, e.to_state) for e in engine.history(order.id, RETAIL)]
    assert ("cancel_refunded", "on_hold", "cancelled") in moves
    with pytest.raises(TransitionRejected):
        engine.fire(order.id, "release", REVIEWER)


def test_a_split_order_refunded_in_full_once_one_parcel_left_ships_no_more(
    both: tuple[Engine, Store],
) -> None:
    """A parcel gone: the order is not cancelled (its goods are out), but the other parcel stays on its
    shelf, the warehouse told why in both languages."""
    engine, store = both
    order = split_order(engine, store)
    if pay(engine, order.id, 3111) == "on_hold":
        engine.fire(order.id, "release", REVIEWER)
    parts = {r.data["warehouse"]: r.number for r in retail_shipments(engine, order.id)}
    engine.fire_record(order.id, "shipment", parts["SH-01"], "ship", WAREHOUSE, {"carrier": "sf"})
    assert refund_payment(engine, order.id, 3111).to_state == "pending_shipment"
    with pytest.raises(TransitionRejected) as refused:
        engine.fire_record(order.id, "shipment", parts["GZ-01"], "ship", WAREHOUSE, {"carrier": "sf"})
    [refusal] = refused.value.refusals
    assert (refusal.zh, refusal.en) == (
        "订单所付款项已全额退款，不能再发货",
        "All that was paid for this order has been refunded; it can no longer ship",
    )
    assert levels(store, "YL-MILK24", "GZ-01") == (1000, 2)


def test_a_void_leaves_the_orders_last_payment_unclaimed_only_when_it_was_that_payment(
    both: tuple[Engine, Store],
) -> None:
    """The pay step's amount and 仅授权 stayed on the order after its authorization was voided."""
    engine, _ = both
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    held = {"method": "alipay", "amount": 100, "transaction_ref": "2026000001", "authorize_only": True}
    engine.fire(order.id, "pay", RETAIL, held)
    engine.fire(order.id, "pay", RETAIL, {**held, "amount": 200, "transaction_ref": "2026000002"})
    engine.fire_record(order.id, "payment", 1, "void", RETAIL)  # an older one: the details keep the last
    data = engine.get_order(order.id, RETAIL).data
    assert (data["amount"], data["authorize_only"], data["method"]) == (200, True, "alipay")
    engine.fire_record(order.id, "payment", 2, "void", RETAIL)
    data = engine.get_order(order.id, RETAIL).data
    assert {"amount", "authorize_only", "method"} & data.keys() == set()
    assert engine.get_order(order.id, RETAIL).state == "pending_payment"


def test_a_blacklisted_mobile_is_rejected_refunded_and_released(engine: Engine, store: Store) -> None:
    # the audit names the department's list (published empty); an admin typed the number their way
    NamedLists(store, engine.clock).add("retail", "blocked-mobiles", "+86 138-0000-0000", "admin")
    data = retail_data(customer={"name": "某某", "mobile": "13800000000"})
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=data
    )
    result = engine.fire(
        order.id, "pay", RETAIL, {"method": "alipay", "amount": 478, "transaction_ref": "2026000001"}
    )
    assert result.to_state == "cancelled"
    assert result.auto == ("settle", "review", "cancel")
    assert levels(store, "XM-BAND8") == (500, 0)
    assert engine.get_order(order.id, RETAIL).data["refunded_amount"] == 478
    [payment] = [r for r in engine.records(order.id, RETAIL) if r.kind == "payment"]  # refunded: it says why
    assert (payment.state, payment.data["refunded"], payment.data["refund_reason"]) == (
        "refunded",
        478,
        "取消 / Cancel",  # the step by its label, not its trigger
    )
    assert payment.steps == ()  # the order is closed: its payments no longer change


def test_a_paid_order_can_be_held_before_it_ships_but_an_unpaid_one_cannot(engine: Engine) -> None:
    """What the fraud patterns of rules/retail/fraud.yaml fire on a customer's open orders."""
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    with pytest.raises(TransitionRejected):
        engine.fire(order.id, "hold", REVIEWER)  # unpaid: its 30-minute timer cancels it anyway
    pay(engine, order.id, 478)
    with pytest.raises(TransitionRejected, match="requires role reviewer"):
        engine.fire(order.id, "hold", RETAIL)
    assert engine.fire(order.id, "hold", REVIEWER).to_state == "on_hold"
    assert engine.fire(order.id, "release", REVIEWER).to_state == "pending_shipment"
    pattern = Actor("correlation:retail-fraud", frozenset({"system"}), frozenset({"*"}), is_system=True)
    assert engine.fire(order.id, "hold", pattern).to_state == "on_hold"


def test_a_retail_order_taking_stock_below_its_safety_stock_tells_the_purchasers_once(
    engine: Engine, store: Store
) -> None:
    """inventory.reserve reports the crossing: one stock.low to the purchasers (with the reorder figures),
    and the shipped fraud rules suggest nothing more (the service desk is not mailed the same news)."""
    from engine.rules.correlation import REPLENISHMENT_TOPIC
    from engine.runtime.correlation_feed import CorrelationFeed, load_correlation_rulesets

    with store.transaction() as tx:
        tx.connection.execute(
            update(stock)
            .where(stock.c.sku == "XM-BAND8", stock.c.warehouse == "SH-01")
            .values(safety_stock=499)
        )
    for _ in range(2):  # free 500 -> 498 (crossed), -> 496 (still below: no second report)
        engine.create_order(
            RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
        )
    assert topics(store).count("stock_changed") == 1 and topics(store).count("stock.low") == 1
    [fraud] = [r for r in load_correlation_rulesets(ROOT) if r.name == "retail-fraud"]
    feed = CorrelationFeed(engine, [fraud], "w1", lease=timedelta(minutes=5))
    try:
        report = feed.round()
    finally:
        feed.close()
    assert report.suggested == 0
    assert REPLENISHMENT_TOPIC not in topics(store)


def test_a_free_order_skips_payment(engine: Engine) -> None:
    lines = [{"sku": "SP-TRIAL", "name": "试饮装", "qty": 1, "unit_price": 0, "amount": 0}]
    order = engine.create_order(
        RETAIL,
        department="retail",
        workflow="retail-order",
        channel="app",
        data=retail_data(lines=lines, total=0, app_user_id="U20260302"),
    )
    assert order.state == "pending_shipment"
    assert [e.trigger for e in engine.history(order.id, RETAIL)] == [
        "create",
        "route",
        "place",
        "shipment.add",
        "skip_payment",
        "review",
    ]


def test_delivered_orders_complete_themselves_after_seven_days_and_returns_close(
    engine: Engine, clock: FrozenClock
) -> None:
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    pay(engine, order.id, 478)
    ship_each(engine, order.id, {"carrier": "zto"})
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    clock.advance(days=7, minutes=1)
    with pytest.raises(TransitionRejected, match="More than 7 days have passed since delivery"):
        asked = {"return_reason": "no_reason", "return_lines": [{"sku": "XM-BAND8", "qty": 2}]}
        engine.fire(order.id, "request_return", RETAIL, asked)
    assert engine.run_due_timers("test") == 1
    assert engine.get_order(order.id, RETAIL).state == "completed"


def test_an_order_beyond_the_stock_waits_out_of_stock_and_is_routed_again_when_stock_arrives(
    engine: Engine, store: Store
) -> None:
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 41, "unit_price": 1, "amount": 41}]

    def place() -> OrderView:
        return engine.create_order(
            RETAIL, "retail", "retail-order", "web", retail_data(lines=lines, total=41)
        )

    order = place()
    assert order.state == "out_of_stock"  # kept, in the stock-shortage queue, nothing reserved
    assert "stock_reserved" not in order.data
    assert levels(store, "HR-BCD470") == (40, 0)
    [route] = [e for e in engine.history(order.id, RETAIL) if e.trigger == "route"]
    assert route.rules is not None and route.rules["outcome"] == "no_stock"
    with store.transaction() as tx:
        tx.connection.execute(
            update(stock).where(stock.c.sku == "HR-BCD470", stock.c.warehouse == "SH-01").values(on_hand=60)
        )
    assert engine.fire(order.id, "retry_routing", RETAIL).to_state == "pending_payment"
    assert levels(store, "HR-BCD470") == (60, 41)
    # an order nobody can fill is cancelled from the queue with nothing to give back
    other = place()
    assert other.state == "out_of_stock"
    assert engine.fire(other.id, "cancel", RETAIL).to_state == "cancelled"
    assert levels(store, "HR-BCD470") == (60, 41)


def test_flash_sale_unpaid_order_cancels_after_ten_minutes(engine: Engine, clock: FrozenClock) -> None:
    order = engine.create_order(
        RETAIL,
        department="retail",
        workflow="retail-flash-sale",
        channel="app",
        data=retail_data(app_user_id="U20260302"),
    )
    clock.advance(minutes=10, seconds=1)
    assert engine.run_due_timers("test") == 1
    assert engine.get_order(order.id, RETAIL).state == "cancelled"


def test_flash_sale_orders_are_not_shipped_from_guangzhou(engine: Engine, store: Store) -> None:
    """Flash-sale stock is not held in GZ-01: a flash-sale order to Guangdong (from the app, as every
    flash-sale order) ships from Shanghai, while an ordinary app order to Guangdong ships from GZ-01."""
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock).values(sku="XM-BAND8", warehouse="GZ-01", on_hand=500, reserved=0)
        )
    guangzhou = {
        "province": "广东省",
        "city": "广州市",
        "district": "天河区",
        "detail": "体育西路191号中石化大厦B座1205室",
        "postcode": "510620",
    }
    data = retail_data(address=guangzhou, app_user_id="U20260302")
    flash = engine.create_order(
        RETAIL, department="retail", workflow="retail-flash-sale", channel="app", data=data
    )
    ordinary = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="app", data=data
    )
    assert (flash.data["warehouse"], ordinary.data["warehouse"]) == ("SH-01", "GZ-01")
    assert levels(store, "XM-BAND8") == (500, 2) and levels(store, "XM-BAND8", "GZ-01") == (500, 2)


GUANGZHOU = {
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "detail": "体育西路191号中石化大厦B座1205室",
    "postcode": "510620",
}


def test_a_flash_sale_line_cannot_take_stock_from_guangzhou(engine: Engine, store: Store) -> None:
    """Routing decides where a retail order ships from: the intake forms do not ask for a warehouse
    (a line's or the order's), and an order that names one anyway reserves where routing chose."""
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock).values(sku="XM-BAND8", warehouse="GZ-01", on_hand=500, reserved=0)
        )
    lines = [
        {
            "sku": "XM-BAND8",
            "name": "小米手环8",
            "qty": 2,
            "unit_price": 239,
            "amount": 478,
            "warehouse": "GZ-01",
        }
    ]
    data = retail_data(address=GUANGZHOU, app_user_id="U20260302", lines=lines)
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(RETAIL, "retail", "retail-flash-sale", "app", {**data, "warehouse": "GZ-01"})
    refused = {(r.code, r.details.get("path")): (r.zh, r.en) for r in caught.value.refusals}
    assert refused[("form", "$.lines[0]")] == (
        "商品明细第1项包含不接受的字段：warehouse",
        "Entry 1 of the order lines: fields it does not take: warehouse",
    )
    assert refused[("owned", "$.warehouse")][1] == (
        "$.warehouse: 'warehouse' is recorded by the workflow (written by the rules "
        "rules/retail/routing.yaml); it cannot be sent"
    )
    assert engine.list_orders(RETAIL) == [] and levels(store, "XM-BAND8", "GZ-01") == (500, 0)
    # created without a channel, the data form alone checks it (it keeps the field for earlier orders)
    flash = engine.create_order(RETAIL, "retail", "retail-flash-sale", None, data)
    assert flash.state == "pending_payment"
    assert flash.data["stock_reserved"] == [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 2}]
    assert levels(store, "XM-BAND8") == (500, 2) and levels(store, "XM-BAND8", "GZ-01") == (500, 0)


def test_a_line_naming_a_warehouse_without_stock_is_served_where_routing_found_it(
    engine: Engine, store: Store
) -> None:
    """CD-01 holds no bands; SH-01 holds 500: the order is placed and reserved there, not refused."""
    lines = [
        {
            "sku": "XM-BAND8",
            "name": "小米手环8",
            "qty": 2,
            "unit_price": 239,
            "amount": 478,
            "warehouse": "CD-01",
        }
    ]
    order = engine.create_order(RETAIL, "retail", "retail-order", None, retail_data(lines=lines))
    assert (order.state, order.data["warehouse"]) == ("pending_payment", "SH-01")
    assert order.data["stock_reserved"] == [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 2}]
    assert levels(store, "XM-BAND8") == (500, 2)


def test_flash_sale_limits_each_customer_and_has_no_hold(engine: Engine) -> None:
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 3, "unit_price": 199, "amount": 597}]
    data = retail_data(lines=lines, total=597, app_user_id="U20260302")
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-flash-sale", channel="app", data=data
    )
    assert pay(engine, order.id, 597) == "cancelled"


# -- wholesale -------------------------------------------------------------------------------------


def wholesale_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": {"account_no": "W100231"},  # the rest comes from the account's record
        "contact": {"name": "陈静", "mobile": "13912345678"},
        "address": {
            "province": "广东省",
            "city": "广州市",
            "district": "天河区",
            "detail": "体育西路191号B座",
        },
        "lines": [
            {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 100, "unit_price": 56, "amount": 5600},
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 50, "unit_price": 191, "amount": 9550},
        ],
        "payment_method": "bank_transfer",
        "shipping_fee": 200,
        "discount": 0,
        "total": 15350,
    }
    data.update(changes)
    return data


def shipments(engine: Engine, order_id: int) -> dict[str, tuple[int, str, list[dict[str, Any]]]]:
    """The order's shipment records by warehouse: number, state, lines."""
    return {
        r.data["warehouse"]: (r.number, r.state, r.data["lines"])
        for r in engine.records(order_id, SALES)
        if r.kind == "shipment"
    }


def ship(engine: Engine, order_id: int, warehouse: str, carrier: str = "deppon") -> FireResult:
    number = shipments(engine, order_id)[warehouse][0]
    return engine.fire_record(order_id, "shipment", number, "ship", WAREHOUSE, {"carrier": carrier})


def deliver(engine: Engine, order_id: int, warehouse: str) -> FireResult:
    number = shipments(engine, order_id)[warehouse][0]
    when = {"delivered_at": "2026-03-02T09:00:00+00:00"}
    return engine.fire_record(order_id, "shipment", number, "deliver", WAREHOUSE, when)


def test_a_retail_order_with_nothing_paid_is_cancelled_not_cancelled_and_refunded(engine: Engine) -> None:
    """A retail order that took no payment (its discount covers it: paid by itself, nothing captured)
    offers 取消订单 / Cancel while it waits for shipment; one paid offers 取消并退款 / Cancel and refund."""

    def cancel_of(order_id: int) -> Text | None:
        [step] = [
            t for t in engine.available_triggers(order_id, RETAIL) if t.trigger == "cancel" and t.allowed
        ]
        return step.label

    free = engine.create_order(
        RETAIL,
        department="retail",
        workflow="retail-order",
        channel="web",
        data=retail_data(discount=478, total=0),
    )
    assert free.state == "pending_shipment" and free.data["total"] == 0
    assert cancel_of(free.id) == Text("取消订单", "Cancel")
    paid = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    assert pay(engine, paid.id, 478) == "pending_shipment"
    assert cancel_of(paid.id) == Text("取消并退款", "Cancel and refund")
    assert engine.fire(free.id, "cancel", RETAIL).to_state == "cancelled"


def test_the_wholesale_cancel_reads_cancel_and_refund_only_once_something_was_paid(engine: Engine) -> None:
    """A cash-on-delivery order with nothing collected is cancelled (取消订单 / Cancel), not cancelled and
    refunded; once a transfer was received the same step reads 取消并退款 / Cancel and refund; either is
    refused with why once goods have left, said once on my work."""

    def cancel_of(order_id: int) -> tuple[bool, str, str]:
        [step] = [
            t for t in engine.available_triggers(order_id, APPROVER) if t.trigger == "cancel" and t.allowed
        ]
        assert step.label is not None
        return step.allowed, step.label.zh, step.label.en

    cod = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(payment_method="cod")
    ).id
    assert cancel_of(cod) == (True, "取消订单", "Cancel")
    page = engine.step_page(cod, "cancel", APPROVER)
    assert page.info is not None and page.info.allowed and page.info.label == Text("取消订单", "Cancel")
    transfer = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    assert cancel_of(transfer) == (True, "取消订单", "Cancel")  # nothing received yet
    engine.fire(transfer, "confirm_transfer", FINANCE, {"amount": 5000, "transaction_ref": "TR-2026-0001"})
    assert cancel_of(transfer) == (True, "取消并退款", "Cancel and refund")
    assert engine.fire(cod, "cancel", APPROVER).to_state == "cancelled"
    ship(engine, transfer, "GZ-01")
    assert not any(t.allowed for t in engine.available_triggers(transfer, APPROVER) if t.trigger == "cancel")
    [row] = [
        i
        for s in engine.my_work(APPROVER).sections
        for i in getattr(s, "items", ())
        if i.order.id == transfer
    ]
    assert [r.zh for r in row.waiting] == ["已有货物发出，不能整单取消并全额退款；请与客户商定退货"]


def test_the_wholesale_cancel_is_not_offered_once_everything_has_shipped(engine: Engine) -> None:
    """The cancel out of fulfilling is refused once goods have left; once everything has shipped it
    could never be taken, so it is not a step of that state at all: the sales manager is offered none,
    and the order is not in her work."""
    order_id = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    ship(engine, order_id, "GZ-01")
    cancels = [t for t in engine.available_triggers(order_id, APPROVER) if t.trigger == "cancel"]
    assert cancels and not any(t.allowed for t in cancels)  # part of it shipped: refused, with why
    ship(engine, order_id, "SH-01")
    assert "fulfilling.shipping.shipped_all" in engine.get_order(order_id, APPROVER).states
    assert "cancel" not in {t.trigger for t in engine.available_triggers(order_id, APPROVER)}
    work = engine.my_work(APPROVER)
    assert order_id not in {item.order.id for s in work.sections for item in getattr(s, "items", ())}


def test_wholesale_payments_and_a_shipment_per_warehouse_move_the_regions_by_themselves(
    both: tuple[Engine, Store],
) -> None:
    """Routing splits the order (the milk in Guangzhou, the bands in Shanghai): one shipment record per
    warehouse with its lines; two part transfers, each a payment record; each region moves on by itself
    and the join completes the order once it is paid and every shipment delivered."""
    engine, store = both
    order = engine.create_order(
        SALES, department="wholesale", workflow="wholesale-order", channel="phone", data=wholesale_data()
    )
    assert order.states == ("fulfilling.payment.awaiting", "fulfilling.shipping.in_progress")
    assert levels(store, "YL-MILK24", "GZ-01") == (1000, 100)
    assert shipments(engine, order.id) == {
        "GZ-01": (1, "pending", [{"sku": "YL-MILK24", "qty": 100}]),
        "SH-01": (2, "pending", [{"sku": "XM-BAND8", "qty": 50}]),
    }

    first = ship(engine, order.id, "SH-01")
    assert first.to_state == "fulfilling.payment.awaiting|fulfilling.shipping.in_progress"
    assert levels(store, "XM-BAND8") == (450, 0) and levels(store, "YL-MILK24", "GZ-01") == (1000, 100)

    part = {"method": "bank_transfer", "amount": 10000, "transaction_ref": "BT2026030200001"}
    result = engine.fire(order.id, "confirm_transfer", FINANCE, part)
    assert (result.to_state, result.auto) == (
        "fulfilling.payment.awaiting|fulfilling.shipping.in_progress",
        (),
    )
    # the account's opening balance (80000) is what it owes besides this order, still 5350 unpaid
    assert engine.order_page(order.id, SALES).credit == CreditStanding(500000, 80000, 5350, 414650, 80000)
    rest = {"method": "bank_transfer", "amount": 5350, "transaction_ref": "BT2026030200002"}
    result = engine.fire(order.id, "confirm_transfer", FINANCE, rest)
    assert (result.to_state, result.auto) == (
        "fulfilling.payment.paid|fulfilling.shipping.in_progress",
        ("settle",),
    )

    last = ship(engine, order.id, "GZ-01", carrier="sf")
    assert (last.to_state, last.auto) == (
        "fulfilling.payment.paid|fulfilling.shipping.shipped_all",
        ("finish_shipping",),
    )
    deliver(engine, order.id, "GZ-01")
    done = deliver(engine, order.id, "SH-01")
    assert (done.to_state, done.auto) == ("completed", ("finish_delivery", "complete"))
    view = engine.get_order(order.id, SALES)
    assert view.final and view.data["paid_amount"] == 15350
    assert [(s["shipment"], s["warehouse"], s["items"]) for s in view.data["shipments"]] == [
        (2, "SH-01", [{"sku": "XM-BAND8", "qty": 50}]),
        (1, "GZ-01", [{"sku": "YL-MILK24", "qty": 100}]),
    ]
    waybills = [s["waybill"] for s in view.data["shipments"]]
    assert len(set(waybills)) == 2 and all(is_valid_waybill(w) for w in waybills)
    assert levels(store, "YL-MILK24", "GZ-01") == (900, 0)
    trail = [e.trigger for e in engine.history(order.id, SALES)]
    assert trail.count("shipment.add") == 2 and trail.count("shipment.ship") == 2
    assert trail.count("payment.add") == 2 and trail.count("payment.capture") == 2
    [found] = engine.order_list(SALES, ListQuery(q=waybills[1])).orders
    assert found.order.id == order.id
    with store.read() as tx:
        sent = tx.connection.execute(
            select(outbox.c.payload).where(outbox.c.topic == "notifications.order_status")
        ).scalars()
        told = [(p["trigger"], p["to"], p["mobile"]) for p in sent if p["trigger"] == "shipment.ship"]
    assert told == [("shipment.ship", "shipped", "13912345678")] * 2  # the order's contact, of each shipment


def test_wholesale_overpayment_is_refused_naming_what_is_due(engine: Engine) -> None:
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    part = {"method": "bank_transfer", "amount": 15000, "transaction_ref": "BT2026030200003"}
    engine.fire(order.id, "confirm_transfer", FINANCE, part)
    too_much = {"method": "bank_transfer", "amount": 500, "transaction_ref": "BT2026030200004"}
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order.id, "confirm_transfer", FINANCE, too_much)
    [why] = refused.value.refusals
    assert (why.code, why.details["due"]) == ("overpayment", "350.00")
    assert "350.00 CNY due" in why.en and "350.00 元" in why.zh
    payments = [r for r in engine.records(order.id, SALES) if r.kind == "payment"]
    assert [(p.state, p.data["captured"]) for p in payments] == [("captured", 15000)]
    assert engine.get_order(order.id, SALES).states[0] == "fulfilling.payment.awaiting"


def test_a_payer_account_written_in_groups_is_taken_and_kept_as_its_digits(engine: Engine) -> None:
    """付款账号 6222 0202 0000 1234 was refused: spaces and dashes as people write them are dropped
    before it is checked and stored; one of too few digits is still refused, naming the field."""
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    short = {"method": "bank_transfer", "amount": 100, "transaction_ref": "BT2026030200005"}
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order.id, "confirm_transfer", FINANCE, {**short, "payer_account": "6222 0202"})
    [why] = refused.value.refusals
    assert why.en == "Payer's bank account: enter 12 to 19 digits" and "付款账号" in why.zh
    for written in ("6222 0202 0000 1234", "6222-0202-0000-1234"):
        sent = {**short, "transaction_ref": f"BT{written[-4:]}{len(written)}00", "payer_account": written}
        engine.fire(order.id, "confirm_transfer", FINANCE, sent)
        assert engine.get_order(order.id, SALES).data["payer_account"] == "6222020200001234"


def test_wholesale_cancel_interrupts_fulfilment_refunding_each_payment_record(
    both: tuple[Engine, Store],
) -> None:
    """Paid in two transfers, nothing shipped: the approver's cancel leaves fulfilling at once (it
    interrupts the shipping region), refunding each payment record what it captured, and gives the
    reserved stock back."""
    engine, store = both
    order = engine.create_order(
        SALES, department="wholesale", workflow="wholesale-order", channel="phone", data=wholesale_data()
    )
    for amount, ref in ((15000, "BT2026030200005"), (350, "BT2026030200006")):
        transfer = {"method": "bank_transfer", "amount": amount, "transaction_ref": ref}
        engine.fire(order.id, "confirm_transfer", FINANCE, transfer)
    assert levels(store, "YL-MILK24", "GZ-01") == (1000, 100)
    assert engine.fire(order.id, "cancel", APPROVER).to_state == "cancelled"
    assert levels(store, "YL-MILK24", "GZ-01") == (1000, 0)
    assert engine.get_order(order.id, SALES).data["refunded_amount"] == 15350
    payments = [r for r in engine.records(order.id, SALES) if r.kind == "payment"]
    assert [(p.state, p.data["captured"], p.data["refunded"]) for p in payments] == [
        ("refunded", 15000, 15000),
        ("refunded", 350, 350),
    ]
    # the shipments the released stock was for are cancelled with it, each a step of the trail
    assert {w: state for w, (_, state, _) in shipments(engine, order.id).items()} == {
        "GZ-01": "cancelled",
        "SH-01": "cancelled",
    }
    trail = [e.trigger for e in engine.history(order.id, SALES)]
    assert trail.count("shipment.cancel") == 2 and trail.index("shipment.cancel") > trail.index("cancel")


def test_a_wholesale_payment_record_is_refunded_in_parts_never_more_than_it_captured(engine: Engine) -> None:
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    transfer = {"method": "bank_transfer", "amount": 8000, "transaction_ref": "BT2026030200007"}
    engine.fire(order.id, "confirm_transfer", FINANCE, transfer)
    reason = {"refund_reason": "客户重复汇款"}
    engine.fire_record(order.id, "payment", 1, "refund", FINANCE, {"refund_amount": 3000, **reason})
    with pytest.raises(TransitionRejected) as refused:
        engine.fire_record(order.id, "payment", 1, "refund", FINANCE, {"refund_amount": 5000.01, **reason})
    assert refused.value.refusals[0].code == "over-refund"
    [payment] = [r for r in engine.records(order.id, SALES) if r.kind == "payment"]
    assert (payment.state, payment.data["refunded"]) == ("captured", 3000)
    # what the payments hold net of refunds is what counts: 5000 held, 10350 still due
    rest = {"method": "bank_transfer", "amount": 10350, "transaction_ref": "BT2026030200008"}
    assert engine.fire(order.id, "confirm_transfer", FINANCE, rest).auto == ("settle",)


def test_a_wholesale_order_with_goods_out_is_not_cancelled_with_a_full_refund(
    engine: Engine, store: Store
) -> None:
    """Paid 15350, the Shanghai shipment out: 'cancel and refund' paid everything back and released the
    stock while the goods shipped stayed with the customer. Refused, and the page does not offer it."""
    order = engine.create_order(
        SALES, department="wholesale", workflow="wholesale-order", channel="phone", data=wholesale_data()
    )
    transfer = {"method": "bank_transfer", "amount": 15350, "transaction_ref": "BT2026030200002"}
    engine.fire(order.id, "confirm_transfer", FINANCE, transfer)
    ship(engine, order.id, "SH-01")
    cancels = [i for i in engine.available_triggers(order.id, APPROVER) if i.trigger == "cancel"]
    assert cancels and all(not c.allowed and "Goods have already shipped" in c.why_not[0].en for c in cancels)
    with pytest.raises(TransitionRejected, match="Goods have already shipped"):
        engine.fire(order.id, "cancel", APPROVER)
    data = engine.get_order(order.id, SALES).data
    assert data.get("refunded_amount") is None and "payments.refunded" not in topics(store)


@pytest.mark.postgres
@pytest.mark.parametrize("channel", [None, "phone"])
def test_a_wholesale_order_rolled_back_by_a_deadlock_is_created_on_the_retry(
    pg_url: str, channel: str | None
) -> None:
    """Created without a channel (the CLI's path), the automatic steps of the first try wrote into the
    caller's data; rolled back by a deadlock in routing, the retry then refused its own writes
    ('approver_role' is recorded by the workflow): each try starts from the data as sent."""
    store = Store(pg_url)
    store.upgrade()
    with store.transaction() as tx:
        rows = [("XM-BAND8", "SH-01", 500), ("YL-MILK24", "GZ-01", 1000)]
        tx.connection.execute(
            insert(stock), [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for s, w, n in rows]
        )
    set_account(store)
    engine = Engine(store, REGISTRY, FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    for path in discover(ROOT).values():
        engine.publish(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
    data = wholesale_data()
    sent = copy.deepcopy(data)
    created = collide(
        pg_url,
        lambda: engine.create_order(SALES, "wholesale", "wholesale-order", channel, data),
        first="YL-MILK24",
        then="XM-BAND8",
    )
    assert isinstance(created, OrderView), created
    assert data == sent  # the caller's data is not the engine's to write
    assert len(engine.list_orders(SALES)) == 1
    store.dispose()


# Version 2 of the shipped wholesale order: a third region under fulfilling, which finance closes.
INVOICING_REGION = """\
      invoicing:
        initial: to_invoice
        states:
          to_invoice: {label: {zh: 待开票, en: To invoice}}
          invoiced: {label: {zh: 已开票, en: Invoiced}, final: true}
"""
INVOICE = """\
  - trigger: invoice
    source: fulfilling.invoicing.to_invoice
    dest: fulfilling.invoicing.invoiced
    roles: [finance]
    label: {zh: 开票, en: Invoice}
"""


def test_a_wholesale_order_migrated_onto_a_version_with_an_invoicing_region_completes_only_once_invoiced(
    engine: Engine, tmp_path: Path
) -> None:
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    root = tmp_path / "defs"
    for sub in ("workflows", "forms", "rules"):
        shutil.copytree(ROOT / sub, root / sub)
    path = root / "workflows" / "wholesale" / "order.yaml"
    text = path.read_text(encoding="utf-8")
    last_region_state = "          delivered_all: {label: {zh: 已全部签收, en: All delivered}, final: true}\n"
    assert last_region_state in text and "\ntransitions:\n" in text
    text = text.replace(last_region_state, last_region_state + INVOICING_REGION)
    path.write_text(text.replace("\ntransitions:\n", "\ntransitions:\n" + INVOICE, 1), encoding="utf-8")
    published = engine.publish(load_bundle(path, root, action_names=REGISTRY.action_names))
    plan = engine.migrate("wholesale-order", published.version, dry_run=False)
    assert engine.get_order(order.id, SALES).states == (
        "fulfilling.invoicing.to_invoice",
        "fulfilling.payment.awaiting",
        "fulfilling.shipping.in_progress",
    )
    assert [(m["order_id"], m["started"]) for m in plan.moves] == [
        (order.id, ["fulfilling.invoicing.to_invoice"])
    ]
    transfer = {"method": "bank_transfer", "amount": 15350, "transaction_ref": "BT2026030200001"}
    engine.fire(order.id, "confirm_transfer", FINANCE, transfer)
    ship(engine, order.id, "GZ-01")
    ship(engine, order.id, "SH-01")
    deliver(engine, order.id, "GZ-01")
    delivered = deliver(engine, order.id, "SH-01")
    assert delivered.to_state == (
        "fulfilling.invoicing.to_invoice|fulfilling.payment.paid|fulfilling.shipping.delivered_all"
    )
    assert delivered.auto == ("finish_delivery",)  # the join waits for the invoice
    invoiced = engine.fire(order.id, "invoice", FINANCE)
    assert (invoiced.to_state, invoiced.auto) == ("completed", ("complete",))


@pytest.mark.parametrize(
    "workflow", ["retail-order", "retail-flash-sale", "wholesale-order", "after-sales-request"]
)
def test_an_intake_page_of_a_routed_workflow_asks_for_no_warehouse(workflow: str) -> None:
    """Routing decides where stock is taken (inventory.reserve follows it): a warehouse picked on the page
    was ignored, or beat the routing rule, so no intake form of a workflow that routes asks for one."""
    spec = compile_bundle(load_bundle(discover(ROOT)[workflow], ROOT, action_names=REGISTRY.action_names))
    assert any(t.rules and "routing" in t.rules for t in spec.transitions)
    for channel, path in spec.intake_forms.items():
        form = spec.forms[path]
        line = form["properties"]["lines"]["items"]["properties"]
        assert "warehouse" not in line and "warehouse" not in form["properties"], (channel, path)


def test_a_wholesale_shipment_ships_its_own_warehouse_once(engine: Engine, store: Store) -> None:
    """A shipment takes its lines from its own warehouse alone (the other warehouse's reservation stays),
    and once shipped it cannot be shipped again."""
    order = engine.create_order(
        SALES,
        department="wholesale",
        workflow="wholesale-order",
        channel="email",
        data=wholesale_data(email_message_id="<20260302.1@mail.example.com>"),
    )
    ship(engine, order.id, "GZ-01")
    assert levels(store, "YL-MILK24", "GZ-01") == (900, 0) and levels(store, "XM-BAND8") == (500, 50)
    assert engine.get_order(order.id, SALES).data["stock_reserved"] == [
        {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 50}
    ]
    with pytest.raises(TransitionRejected) as caught:
        ship(engine, order.id, "GZ-01")
    [why] = caught.value.refusals
    assert why.code == "state" and "'ship' is not available" in why.en
    with store.read() as tx:
        ledger = tx.connection.execute(
            select(stock_ledger.c.sku, stock_ledger.c.warehouse, stock_ledger.c.change)
        ).all()
    assert [tuple(row) for row in ledger] == [("YL-MILK24", "GZ-01", -100)]


def test_wholesale_cash_on_delivery_is_collected_after_every_shipment_is_out(engine: Engine) -> None:
    order = engine.create_order(
        SALES,
        department="wholesale",
        workflow="wholesale-order",
        channel="phone",
        data=wholesale_data(payment_method="cod"),
    )
    receipt = {"method": "cod", "amount": 15350, "transaction_ref": "COD0000001"}

    def offered() -> set[str]:
        return {i.trigger for i in engine.available_triggers(order.id, FINANCE) if i.allowed}

    # finance is offered no step: not the transfer (a cash order), not the cash before every shipment is out
    assert offered() == set()
    with pytest.raises(TransitionRejected, match="once everything has shipped") as refused:
        engine.fire(order.id, "collect_cod", FINANCE, receipt)
    assert "records.shipment" in refused.value.refusals[0].details["when"]
    ship(engine, order.id, "GZ-01")
    assert offered() == set()  # the Shanghai shipment is still in the warehouse
    ship(engine, order.id, "SH-01")
    assert offered() == {"collect_cod"}
    # the step's own page judges the records as the order page did: it offers the form
    page = engine.step_page(order.id, "collect_cod", FINANCE)
    assert page.info is not None and page.info.allowed, page.info
    assert engine.fire(order.id, "collect_cod", FINANCE, receipt).auto == ("settle",)
    deliver(engine, order.id, "GZ-01")
    assert deliver(engine, order.id, "SH-01").to_state == "completed"


def test_only_the_roles_that_take_orders_create_them_in_each_department(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """The warehouse created a retail order at price 0 and shipped it himself: each shipped workflow says
    who takes its orders (the flash sale, an overlay, as the retail order it extends)."""
    free = retail_data()
    free["lines"][0]["unit_price"] = 0
    attempts = [
        ("retail", "retail-order", "web", free),
        ("retail", "retail-flash-sale", "app", free),
        ("wholesale", "wholesale-order", "phone", wholesale_data()),
        ("after_sales", "after-sales-request", "web", request_data(clock)),
    ]
    said = {}
    for department, workflow, channel, data in attempts:
        with pytest.raises(TransitionRejected) as refused:
            engine.create_order(WAREHOUSE, department, workflow, channel, data)
        [why] = refused.value.refusals
        assert (why.code, why.details["actor_roles"]) == ("role", ["warehouse"]), workflow
        said[workflow] = (why.en, why.zh)
    assert said["wholesale-order"] == (
        "creating a wholesale order requires role sales",
        "需要角色 sales 才能创建批发订单",
    )
    assert said["retail-order"][0] == "creating a retail order requires role clerk or service"
    with store.read() as tx:
        assert tx.connection.execute(select(func.count()).select_from(orders)).scalar_one() == 0
    assert engine.spec("retail-flash-sale").create_roles == ("clerk", "service")
    assert engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data()).id
    about = request_data(clock, original_order_no=delivered_retail_order(engine, clock))
    assert engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", about).id


def sign(
    engine: Engine, order_id: int, actor: Actor, action: ApprovalAction = ApprovalAction.APPROVE
) -> ApprovalResult:
    """``actor`` takes ``action`` on their task of the order's approval."""
    panel = engine.approval(order_id, actor)
    assert panel is not None
    [task] = [t for t in panel.tasks if t.yours]
    return engine.act_on_approval(ApprovalRequest(order_id, task.id, action, actor))


def test_wholesale_credit_holds_against_what_the_account_owes_on_its_open_orders(
    engine: Engine, store: Store
) -> None:
    """The credit check reads what the account really owes: its other open orders' totals less what they
    were paid (and its opening balance, none here)."""
    set_account(store, credit_limit=60000, outstanding=0)
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    big = engine.create_order(
        SALES, "wholesale", "wholesale-order", "email", wholesale_data(lines=lines, total=52980)
    )
    assert big.state == "pending_approval"  # owed 0 + 52980 <= 60000: past the credit check
    panel = engine.approval(big.id, SALES)
    assert panel is not None and not any(t.yours for t in panel.tasks)
    with pytest.raises(TransitionRejected, match="not yours"):
        engine.act_on_approval(ApprovalRequest(big.id, panel.tasks[0].id, ApprovalAction.APPROVE, SALES))
    assert sign(engine, big.id, APPROVER).state.startswith("fulfilling.")

    held = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert held.state == "credit_hold"  # owed 52980 (the big order, unpaid) + 15350 > 60000
    # its page shows what the account owes, counted, and the credit left
    page = engine.order_page(held.id, SALES)
    assert page.credit == CreditStanding(limit=60000, owed=52980, this_order=15350, left=-8330)
    assert "outstanding" not in page.order.data["account"]
    [check] = [e for e in engine.history(held.id, SALES) if e.trigger == "check_credit"]
    assert check.rules is not None and check.rules["outcome"] == "hold"
    assert [reason["rule"] for reason in check.rules["reasons"]] == ["above-credit-limit"]
    with pytest.raises(TransitionRejected) as refused:  # the credit hold's approval releases it
        engine.fire(held.id, "release_credit", CREDIT)
    assert refused.value.refusals[0].code == "approval"
    assert sign(engine, held.id, APPROVER).state.startswith("fulfilling.")

    # the big order paid: the account owes only the held one's 15350 now
    transfer = {"method": "bank_transfer", "amount": 52980, "transaction_ref": "BT2026030200009"}
    assert engine.fire(big.id, "confirm_transfer", FINANCE, transfer).auto == ("settle",)
    passed = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert passed.state.startswith("fulfilling.")  # 15350 + 15350 <= 60000
    assert engine.order_page(big.id, SALES).credit == CreditStanding(60000, 30700, 0, 29300)

    set_account(store, status="blocked")
    refused_order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert refused_order.state == "cancelled"


def test_a_wholesale_approval_returns_the_order_to_sales_who_correct_and_resubmit_it(
    engine: Engine, store: Store
) -> None:
    """回退 from the approval goes to sales (not to the sales managers' own credit hold): the credit
    controller may cancel it there, sales corrects the terms and resubmits, and the order is checked and
    routed to its approval again."""
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    order = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(lines=lines, total=52980)
    )
    panel = engine.approval(order.id, APPROVER)
    assert panel is not None and [state for state, _ in panel.return_to] == ["sent_back"]
    [task] = [t for t in panel.tasks if t.yours]
    with pytest.raises(TransitionRejected, match="credit_hold"):
        engine.act_on_approval(
            ApprovalRequest(
                order.id, task.id, ApprovalAction.RETURN, APPROVER, "请补上客户采购单号", "credit_hold"
            )
        )
    returned = engine.act_on_approval(
        ApprovalRequest(order.id, task.id, ApprovalAction.RETURN, APPROVER, "请补上客户采购单号", "sent_back")
    )
    assert returned.state == "sent_back"
    assert {t.trigger for t in engine.available_triggers(order.id, CREDIT) if t.allowed} == {"cancel"}
    assert {t.trigger for t in engine.available_triggers(order.id, SALES) if t.allowed} == {
        "resubmit",
        "cancel",
    }
    corrected = {"payment_method": "bank_transfer", "purchase_order_no": "PO-2026-118"}
    again = engine.fire(order.id, "resubmit", SALES, corrected)
    assert again.to_state == "pending_approval"
    assert engine.get_order(order.id, SALES).data["purchase_order_no"] == "PO-2026-118"
    trail = [e.trigger for e in engine.history(order.id, SALES)]
    assert trail[-4:] == ["resubmit", "load_account", "check_credit", "route_approval"]


def approval_mail(store: Store) -> list[tuple[str, list[str]]]:
    """(the approver, the addresses) of each approval task's mail in the outbox, oldest first."""
    with store.read() as tx:
        payloads = tx.connection.execute(
            select(outbox.c.payload).where(outbox.c.topic == "approvals.task").order_by(outbox.c.id)
        ).scalars()
        return [(p["approver"], p["emails"]) for p in payloads]


def test_a_credit_hold_is_the_credit_controllers_to_decide_and_its_panel_names_who_may(
    both: tuple[Engine, Store],
) -> None:
    """The credit hold asks the credit controller, or any one sales manager: the credit controller
    signs it from their to-do list; the panel names the people holding each role (the order's creator,
    who may not sign, left out), and an empty tuple for a role nobody holds."""
    engine, store = both
    at = datetime(2026, 3, 1, tzinfo=UTC)
    for actor, shown in ((CREDIT, "刘洋"), (APPROVER, "孙丽"), (SALES, "陈静")):
        add_user(
            store,
            name=actor.name,
            display_name=shown,
            password_hash="x",
            roles=sorted(actor.roles),
            departments=["wholesale"],
            at=at,
        )
    set_account(store, credit_limit=10000)
    held = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert held.state == "credit_hold"
    panel = engine.approval(held.id, CREDIT)
    assert panel is not None
    assert dict(panel.holders) == {"approver": ("sun.li",), "credit_controller": ("liu.yang",)}
    assert [t.approver for t in panel.tasks if t.yours] == ["credit_controller"]
    assert [t.order_id for t in engine.approval_tasks(CREDIT)] == [held.id]
    assert sign(engine, held.id, CREDIT).state.startswith("fulfilling.")
    [released] = [e for e in engine.history(held.id, CREDIT) if e.trigger == "release_credit"]
    assert released.from_state == "credit_hold"
    with store.transaction() as tx:  # the sales managers leave: nobody holds the role
        tx.connection.execute(update(users).where(users.c.name == APPROVER.name).values(active=False))
    other = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    panel = engine.approval(other.id, CREDIT)
    assert panel is not None and panel.holders["approver"] == ()


def test_a_wholesale_approval_is_the_account_managers_alone_else_the_sales_managers(
    engine: Engine, store: Store
) -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    other = Actor("zhang.wei", frozenset({"approver"}), frozenset({"wholesale"}))  # another sales manager
    for actor in (APPROVER, other):
        add_user(
            store,
            name=actor.name,
            display_name=actor.name,
            password_hash="x",
            roles=sorted(actor.roles),
            departments=["wholesale"],
            at=at,
        )
        change_email(store, actor.name, f"{actor.name}@example.com")
    set_account(store, manager="sun.li")
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    data = wholesale_data(lines=lines, total=52980)  # a standard account's 52980: a manager approves
    managed = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert managed.state == "pending_approval" and managed.data["account"]["manager"] == "sun.li"
    panel = engine.approval(managed.id, other)
    assert panel is not None and [(t.approver_kind, t.approver) for t in panel.tasks] == [("user", "sun.li")]
    assert not any(t.yours for t in panel.tasks)  # not the other manager's to sign
    assert approval_mail(store) == [("sun.li", ["sun.li@example.com"])]  # mailed to him alone
    assert [t.order_id for t in engine.approval_tasks(APPROVER)] == [managed.id]
    assert engine.approval_tasks(other) == []
    assert sign(engine, managed.id, APPROVER).state.startswith("fulfilling.")

    set_account(store)  # no account manager any more: any one of the sales managers approves
    unmanaged = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    panel = engine.approval(unmanaged.id, other)
    assert panel is not None and [(t.approver_kind, t.approver) for t in panel.tasks] == [
        ("role", "approver")
    ]
    assert approval_mail(store)[1:] == [("approver", ["sun.li@example.com", "zhang.wei@example.com"])]
    assert sign(engine, unmanaged.id, other).state.startswith("fulfilling.")


def test_a_wholesale_order_takes_its_account_from_the_record_not_from_what_was_sent(
    engine: Engine, store: Store
) -> None:
    set_account(store, credit_limit=10000, outstanding=495000, tier="gold")
    # the page sends the account number alone; the record's figures decide the credit check
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", wholesale_data())
    assert order.state == "credit_hold"  # owed 495000 (its opening balance) + 15350 > 10000
    assert order.data["account"] == {
        "company": "上海鑫达商贸有限公司",
        "account_no": "W100231",
        "credit_limit": 10000,
        "overdue_days": 0,
        "status": "active",
        "tier": "gold",
    }  # not the opening balance: what the account owes is read with its orders when a step needs it
    [loaded] = [e for e in engine.history(order.id, SALES) if e.trigger == "load_account"]
    assert (loaded.actor, loaded.from_state, loaded.to_state) == ("system", "received", "account_loaded")
    # a credit limit sent with the order: refused by the intake form, and never believed without one
    forged = wholesale_data(account={"account_no": "W100231", "credit_limit": 10**9, "outstanding": 0})
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(SALES, "wholesale", "wholesale-order", "phone", forged)
    assert {r.details["path"] for r in refused.value.refusals} == {"$.account"}
    assert "credit_limit" in refused.value.refusals[0].en
    unchecked = engine.create_order(SALES, "wholesale", "wholesale-order", None, forged)
    assert unchecked.state == "credit_hold"
    assert unchecked.data["account"]["credit_limit"] == 10000


def test_a_wholesale_order_for_an_account_not_on_record_is_refused_and_nothing_written(
    engine: Engine, store: Store
) -> None:
    before = topics(store), engine.list_orders(SALES)
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(
            SALES, "wholesale", "wholesale-order", "email", wholesale_data(account={"account_no": "W999999"})
        )
    [refusal] = refused.value.refusals
    assert refusal.code == "unknown-account"
    assert (refusal.details["path"], refusal.details["action"]) == (
        "$.account.account_no",
        "customers.load_account",
    )
    assert "W999999" in refusal.zh and "W999999" in refusal.en
    assert (topics(store), engine.list_orders(SALES)) == before
    assert levels(store, "YL-MILK24", "GZ-01") == (1000, 0)


def test_an_account_record_the_wholesale_forms_refuse_is_not_stored_and_no_order_carries_it(
    engine: Engine, store: Store
) -> None:
    # A company of one character, a tax id that is none, a number the intake forms never take: each
    # would be copied onto the order by load_account, whose data form then refuses its own data.
    for account, field in [
        (CustomerAccount("wholesale", "W100999", "A", 500000, 0), "company"),
        (CustomerAccount("wholesale", "W100999", "鑫达商贸", 500000, 0, tax_id="not-a-code"), "tax_id"),
        (CustomerAccount("wholesale", "ACME-1", "ACME Ltd", 500000, 0), "account_no"),
    ]:
        with pytest.raises(EngineError) as refused:
            put_account(store, account, datetime(2026, 3, 1, tzinfo=UTC))
        assert f"{field}: " in str(refused.value) and f"{field}：" in refused.value.message("zh")
    assert [a.account_no for a in list_accounts(store, "wholesale")] == ["W100231"]  # the fixture's
    with pytest.raises(TransitionRejected) as unknown:
        engine.create_order(
            SALES, "wholesale", "wholesale-order", "phone", wholesale_data(account={"account_no": "W100999"})
        )
    assert unknown.value.refusals[0].code == "unknown-account"
    # a record at the forms' edges (a two-character company, a tax id, a tier) gives valid order data
    set_account(store, company="鑫达", tax_id="91310000MA1FL0000X", tier="platinum", status="watch")
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "email", wholesale_data())
    [data_form] = [
        f for f in engine.published_forms("wholesale-order") if f.path == "forms/wholesale/order.json"
    ]
    assert order.data["account"]["tax_id"] == "91310000MA1FL0000X"
    assert data_form.validator.messages(dict(order.data), data_form.layout) == []


OUT_OF_RANGE = Text(
    "超出范围：金额须小于 10,000,000,000,000 元（十万亿元）",
    ": out of range; an amount must be below 10,000,000,000,000 (ten trillion) CNY",
)


@pytest.mark.parametrize(
    ("channel", "form"),
    [
        ("phone", "forms/wholesale/intake-phone.json"),
        ("email", "forms/wholesale/intake-email.json"),
        (None, "forms/wholesale/order.json"),  # an order created without a channel: its data form
    ],
)
def test_a_wholesale_order_of_ten_to_the_20_yuan_is_refused_on_each_amount_and_nothing_written(
    engine: Engine, store: Store, channel: str | None, form: str
) -> None:
    big = 10**20
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": big, "amount": big}]
    before = topics(store), engine.list_orders(SALES)
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(
            SALES, "wholesale", "wholesale-order", channel, wholesale_data(lines=lines, total=big + 200)
        )
    assert [(r.details["path"], r.details["form"], r.en) for r in refused.value.refusals] == [
        (
            "$.lines[0].unit_price",
            form,
            f"Unit price (CNY) in line 1 of the order lines{OUT_OF_RANGE.en}",
        ),
        ("$.lines[0].amount", form, f"Line amount (CNY) in line 1 of the order lines{OUT_OF_RANGE.en}"),
        ("$.total", form, f"Order total (CNY){OUT_OF_RANGE.en}"),
    ]
    assert refused.value.refusals[-1].zh == f"订单金额（元）{OUT_OF_RANGE.zh}"
    assert (topics(store), engine.list_orders(SALES)) == before
    assert levels(store, "XM-BAND8") == (500, 0)


@pytest.mark.parametrize(
    ("channel", "refused_paths"),
    [
        ("phone", ["$.lines[0].unit_price"]),  # the page computes the line amount and the total
        ("email", ["$.lines[0].unit_price"]),
        (None, ["$.lines[0].unit_price", "$.lines[0].amount", "$.total"]),  # taken as they were sent
    ],
)
def test_a_400_digit_wholesale_price_is_refused_as_out_of_range_not_as_missing(
    engine: Engine, store: Store, channel: str | None, refused_paths: list[str]
) -> None:
    big = 10**400
    lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": big, "amount": big}]
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(
            SALES, "wholesale", "wholesale-order", channel, wholesale_data(lines=lines, total=big + 200)
        )
    refusals = refused.value.refusals
    assert [r.details["path"] for r in refusals] == refused_paths
    assert all(r.en.endswith(OUT_OF_RANGE.en) and r.zh.endswith(OUT_OF_RANGE.zh) for r in refusals)
    assert refusals[0].en == f"Unit price (CNY) in line 1 of the order lines{OUT_OF_RANGE.en}"
    assert refusals[0].zh == f"商品明细第1行单价（元）{OUT_OF_RANGE.zh}"
    assert engine.list_orders(SALES) == []


# -- after-sales -----------------------------------------------------------------------------------


def test_after_sales_is_the_glossary_identifier_everywhere(engine: Engine, clock: FrozenClock) -> None:
    spec = compile_bundle(load_bundle(ROOT / "workflows/after-sales/request.yaml", ROOT))
    assert spec.department == "after_sales"
    departments = {d for user in DEMO_ACTORS for d in user.departments}
    assert departments == {"retail", "wholesale", "after_sales", "*"}
    old_spelling = Actor("huang.fang", frozenset({"service"}), frozenset({"after-sales"}))
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(old_spelling, "after-sales", "after-sales-request", "web", request_data(clock))
    assert caught.value.refusals[0].code == "department"


def delivered_retail_order(
    engine: Engine, clock: FrozenClock, mobile: str = "13812345678", lines: list[dict[str, Any]] | None = None
) -> str:
    """A retail order of two bands (or of ``lines``), paid in full, shipped and delivered: the number an
    after-sales request names it by."""
    data = (
        retail_data()
        if lines is None
        else retail_data(lines=lines, total=sum(line["amount"] for line in lines))
    )
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", data)
    pay(engine, order.id, data["total"])
    ship_each(engine, order.id, {"carrier": "sf"})
    deliver_each(engine, order.id, {"delivered_at": clock.now().isoformat()})
    return str(order.id)


@pytest.fixture
def original(engine: Engine, clock: FrozenClock) -> str:
    """The retail order ``request_data`` names: the first order of the test, 478 paid and delivered."""
    number = delivered_retail_order(engine, clock)
    assert number == request_data(clock)["original_order_no"]
    return number


def request_data(clock: FrozenClock, **changes: Any) -> dict[str, Any]:
    """An after-sales return of one band (239) about retail order 1 (``original``), delivered 3 days ago."""
    delivered = clock.now() - timedelta(days=3)
    data: dict[str, Any] = {
        "original_order_no": "1",
        "type": "return",
        "reason_code": "no_reason",
        "customer": {"name": "李娜", "mobile": "13698765432"},
        "lines": [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 239, "amount": 239}],
        "delivered_at": delivered.isoformat(),
        "item_condition": "unopened",
        "refund_amount": 239,
        "return_warehouse": "SH-01",  # where the customer sends the goods back
    }
    data.update(changes)
    return data


def pay_refund(
    engine: Engine, request_id: int, data: dict[str, Any] | None = None, number: int = 1
) -> FireResult:
    """The service desk pays the request's refund record ``number``: all it has still to pay, or the
    ``pay_amount`` given."""
    [refund] = [r for r in engine.records(request_id, SERVICE) if r.number == number]
    left = round(refund.data["amount"] - refund.data["paid"], 2)
    return engine.fire_record(
        request_id, "refund", number, "pay", SERVICE, {"pay_amount": left, **(data or {})}
    )


def returned_and_inspected(engine: Engine, clock: FrozenClock, **changes: Any) -> int:
    """A return asked for (``changes`` over the usual request), received and passed: refunding."""
    request = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request_data(clock, **changes)
    )
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(request.id, "receive_goods", WAREHOUSE, receipt)
    inspection = {"inspection_result": "pass", "found_condition": "unopened"}
    assert engine.fire(request.id, "inspect", INSPECTOR, inspection).to_state == "refunding"
    return request.id


def test_a_failed_refund_part_is_taken_back_from_the_record_and_the_request(
    both: tuple[Engine, Store], clock: FrozenClock
) -> None:
    """A failure is of the last part sent: paid 99 of 478, then the bank sent the 99 back (a closed
    card). The 99 is taken back, the record's refunded and the request's lowered by it, the timeline
    saying so; after the retry the whole 478 is still to pay, and a second failure with no part sent
    since takes nothing back again. Before, the 99 still counted as refunded and paying 478 was refused,
    and 100 bounced then 378 paid closed the request as 478 refunded."""
    engine, _ = both
    delivered_retail_order(engine, clock)
    two = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}]
    request = returned_and_inspected(engine, clock, lines=two, refund_amount=478)
    pay_refund(engine, request, {"pay_amount": 99, "refund_ref": "RF-000001"})
    failure = {"failure_reason": "银行卡已注销，99 元被退回"}
    assert engine.fire_record(request, "refund", 1, "fail", SERVICE, failure).to_state == "refunding"
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"], refund.data["failed_amount"]) == ("failed", 0, 99)
    assert engine.get_order(request, SERVICE).data["refunded_amount"] == 0
    [failed] = [e for e in engine.history(request, SERVICE) if e.trigger == "refund.fail"]
    changes = failed.data_changes
    assert (changes["refund#1.paid"], changes["refunded_amount"]) == ([99, 0], [99, 0])
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    engine.fire_record(request, "refund", 1, "fail", SERVICE, failure)  # nothing sent since: nothing back
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    [refund] = engine.records(request, SERVICE)
    assert (refund.data["paid"], refund.data["failed_amount"]) == (0, 99)
    assert engine.get_order(request, SERVICE).data["refunded_amount"] == 0
    assert pay_refund(engine, request, {"pay_amount": 100}).to_state == "refunding"
    engine.fire_record(request, "refund", 1, "fail", SERVICE, failure)
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    assert pay_refund(engine, request, {"pay_amount": 378}).to_state == "refunding"  # 100 of it bounced
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"], refund.data["failed_amount"]) == ("partly_refunded", 378, 199)
    assert engine.get_order(request, SERVICE).data["refunded_amount"] == 378
    assert pay_refund(engine, request).to_state == "closed"  # the 100 left, paid again
    data = engine.get_order(request, SERVICE).data
    assert (data["refund_authorized"], data["refunded_amount"]) == (478, 478)


def test_a_part_paid_refund_reads_partly_refunded_and_each_payment_keeps_its_own_reference(
    both: tuple[Engine, Store], clock: FrozenClock
) -> None:
    """99 of 478 paid read 待退款 / Pending: it reads 部分退款 / Partly refunded until the rest is paid,
    and again after a retry while parts paid before the failed one stand. The same reference
    (RF-000001) was taken for two payments: a reference another payment of the order used is refused
    beside the field, naming the refund it was used on, and nothing is written."""
    engine, store = both
    delivered_retail_order(engine, clock)
    two = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}]
    request = returned_and_inspected(engine, clock, lines=two, refund_amount=478)
    pay_refund(engine, request, {"pay_amount": 99, "refund_ref": "RF-000001"})
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.state_label.zh, refund.state_label.en) == (
        "partly_refunded",
        "部分退款",
        "Partly refunded",
    )
    assert refund.data["refund_refs"] == ["RF-000001"]
    before = written(engine, store, request, SERVICE)
    with pytest.raises(TransitionRejected) as caught:
        pay_refund(engine, request, {"pay_amount": 100, "refund_ref": "RF-000001"})
    [used] = caught.value.refusals
    assert (used.code, used.details["field"], used.details["refund"]) == ("refund-ref", "refund_ref", 1)
    assert "退款流水号 RF-000001 已用于退款 #1 的另一笔退款" in used.zh
    assert "refund reference RF-000001 is already used by another payment of refund #1" in used.en
    assert written(engine, store, request, SERVICE) == before
    pay_refund(engine, request, {"pay_amount": 100, "refund_ref": "RF-000002"})
    pay_refund(engine, request, {"pay_amount": 50})  # none typed: nothing to compare
    engine.fire_record(request, "refund", 1, "fail", SERVICE, {"failure_reason": "账户拒收"})
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"]) == ("partly_refunded", 199)  # 99 and 100 stand
    assert refund.data["refund_refs"] == ["RF-000001", "RF-000002"]
    with pytest.raises(TransitionRejected, match="RF-000002 is already used"):
        pay_refund(engine, request, {"pay_amount": 279, "refund_ref": "rf-000002"})
    assert pay_refund(engine, request, {"refund_ref": "RF-000003"}).to_state == "closed"
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"]) == ("paid", 478)


@pytest.mark.usefixtures("original")
def test_a_refund_whose_amount_is_each_records_own_is_not_offered_on_many_requests_at_once(
    engine: Engine, clock: FrozenClock
) -> None:
    """The desk pays each refund its own amount (``pay_amount`` is ``x-per-record``, and required): the
    list of requests refunding offers no batch of refund payments, which would pay every refund the one
    amount typed; a failure, which asks no amount of each, may be marked on many."""
    returned_and_inspected(engine, clock)
    refunding = ListQuery(workflow="after-sales-request", state="refunding")
    steps = dict(engine.order_list(SERVICE, refunding).steps)
    assert "refund.pay" not in steps
    assert "refund.fail" in steps


@pytest.mark.usefixtures("original")
def test_an_after_sales_refund_is_paid_in_parts_never_more_than_agreed_and_retried_when_it_fails(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """Two bands returned for 478: the gateway refuses the first attempt (a closed card), the desk
    retries, pays 300, is refused 178.01, pays the 178 left; the request closes by itself once its
    refunds paid what was agreed, each step of the refund in the audit trail."""
    two = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 239, "amount": 478}]
    request = returned_and_inspected(engine, clock, lines=two, refund_amount=478)
    failure = {"failure_reason": "银行卡已注销"}
    assert engine.fire_record(request, "refund", 1, "fail", SERVICE, failure).to_state == "refunding"
    with pytest.raises(TransitionRejected, match="'pay' is not available"):
        pay_refund(engine, request)  # a failed refund is retried first
    with pytest.raises(TransitionRejected, match="requires role service"):
        engine.fire_record(request, "refund", 1, "retry", WAREHOUSE)
    engine.fire_record(request, "refund", 1, "retry", SERVICE)
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, "failure_reason" in refund.data) == ("pending", False)  # retried: no failure now
    page = engine.order_page(request, SERVICE)
    [failed] = [e for e in page.history if e.trigger == "refund.fail"]
    assert page.said[failed.id].data == failure  # the timeline keeps what the desk was told
    assert pay_refund(engine, request, {"pay_amount": 300}).to_state == "refunding"
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"]) == ("partly_refunded", 300)
    before = written(engine, store, request, SERVICE)
    with pytest.raises(TransitionRejected) as caught:
        pay_refund(engine, request, {"pay_amount": 178.01})
    [over] = caught.value.refusals  # worded as a payment record's over-refund is, with its two figures
    assert over.en.endswith(
        "refund of 178.01 CNY exceeds the 178.00 CNY refund #1 can refund (478.00 CNY in all, "
        "300.00 CNY refunded)"
    )
    assert "超过退款 #1 可退的 178.00 元（共 478.00 元，已退 300.00 元）" in over.zh
    assert (over.code, over.details["refundable"], over.details["refund"]) == ("over-refund", "178.00", 1)
    assert written(engine, store, request, SERVICE) == before  # nothing of the refused step was kept
    assert pay_refund(engine, request, {"pay_amount": 178}).to_state == "closed"
    [refund] = engine.records(request, SERVICE)
    assert (refund.state, refund.data["paid"]) == ("paid", 478)
    data = engine.get_order(request, SERVICE).data
    assert (data["refund_authorized"], data["refunded_amount"]) == (478, 478)
    assert topics(store).count("payments.refunded") == 2
    trail = [e.trigger for e in engine.history(request, SERVICE)]
    assert trail[-7:] == [
        "refund",
        "refund.add",
        "refund.fail",
        "refund.retry",
        "refund.pay",
        "refund.pay",
        "finish_refund",
    ]


@pytest.mark.usefixtures("original")
def test_after_sales_return_is_inspected_and_refunded(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    request = engine.create_order(
        SERVICE,
        department="after_sales",
        workflow="after-sales-request",
        channel="web",
        data=request_data(clock),
    )
    assert request.state == "awaiting_goods"
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    assert engine.fire(request.id, "receive_goods", WAREHOUSE, receipt).to_state == "inspecting"
    inspection = {"inspection_result": "pass", "found_condition": "unopened"}
    with pytest.raises(TransitionRejected, match="requires role inspector"):
        engine.fire(request.id, "inspect", SERVICE, inspection)
    before = levels(store, "XM-BAND8")
    result = engine.fire(request.id, "inspect", INSPECTOR, inspection)
    assert (result.to_state, result.auto) == ("refunding", ("refund",))
    # the refund is agreed and waits in a record of its own; nothing is paid yet
    [refund] = engine.records(request.id, SERVICE)
    assert (refund.kind, refund.number, refund.state, refund.data["amount"], refund.data["paid"]) == (
        "refund",
        1,
        "pending",
        239,
        0,
    )
    assert engine.get_order(request.id, SERVICE).data["refund_authorized"] == 239
    assert "payments.refunded" not in topics(store)
    assert pay_refund(engine, request.id, {"refund_ref": "RF2026030200001"}).to_state == "closed"
    assert engine.get_order(request.id, SERVICE).data["refunded_amount"] == 239
    assert topics(store).count("payments.refunded") == 1
    # the band that passed inspection is back on hand where the request said it would come back, put
    # there by the automatic refund step the inspector's pass set off: the ledger names the inspector
    assert levels(store, "XM-BAND8") == (before[0] + 1, before[1])
    [entry] = ledger_entries(store, reference=str(request.id))
    assert (entry.kind, entry.sku, entry.warehouse, entry.change, entry.actor) == (
        "restock",
        "XM-BAND8",
        "SH-01",
        1,
        INSPECTOR.name,
    )


@pytest.mark.usefixtures("original")
def test_an_after_sales_return_without_a_refund_amount_is_refused_at_intake_naming_the_field(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """A return asked without a refund amount was held for one, and no step let the service desk give
    it: the intake forms require it whenever the request is a return (the page shows the field then),
    and an exchange, which refunds nothing, is taken without it."""
    for channel in ("web", "app", "phone"):
        data = request_data(clock)
        del data["refund_amount"]
        with pytest.raises(TransitionRejected) as caught:
            engine.create_order(SERVICE, "after_sales", "after-sales-request", channel, data)
        [refusal] = caught.value.refusals
        assert refusal.details["path"] == "$.refund_amount", refusal.details
        assert "退款金额" in refusal.zh and "Refund amount" in refusal.en
    with store.read() as tx:
        taken = select(func.count()).select_from(orders).where(orders.c.department == "after_sales")
        assert tx.connection.execute(taken).scalar_one() == 0
    exchange = exchange_request(request_data(clock), reason_code="size")
    assert engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", exchange).state == (
        "awaiting_goods"
    )


def test_the_intake_pages_mark_the_refund_amount_required_while_they_show_it() -> None:
    """The refund section shows for a return only; while it shows, its amount is marked required (the
    data form requires it under the same condition), and nothing else changes."""
    for name in ("intake-web", "intake-phone"):
        schema = json.loads((ROOT / f"forms/after-sales/{name}.json").read_text(encoding="utf-8"))
        ui = json.loads((ROOT / f"forms/after-sales/{name}.ui.json").read_text(encoding="utf-8"))
        layout = load_layout(schema, ui)
        assert layout.fields["refund_amount"].required
        [refund] = [g for g in layout.groups if g.name == "refund"]
        assert refund.shown({"type": "return"}) and not refund.shown({"type": "exchange"})
        required = sorted(n for n, f in layout.fields.items() if f.required and "." not in n)
        assert required == sorted([*schema["required"], "refund_amount"])


@pytest.mark.usefixtures("original")
def test_an_after_sales_request_for_more_than_its_goods_are_worth_is_rejected(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    asked = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request_data(clock, refund_amount=400)
    )
    assert asked.state == "rejected"
    [decided] = [e for e in engine.history(asked.id, SERVICE) if e.trigger == "check_eligibility"]
    assert "refund-above-goods-value" in str(decided.rules)
    assert "payments.refunded" not in topics(store)


@pytest.mark.usefixtures("original")
def test_after_sales_exchange_ships_a_replacement(engine: Engine, store: Store, clock: FrozenClock) -> None:
    data = exchange_request(request_data(clock), reason_code="quality", ticket_no="T2026030201")
    request = engine.create_order(
        SERVICE, department="after_sales", workflow="after-sales-request", channel="phone", data=data
    )
    engine.fire(
        request.id,
        "receive_goods",
        WAREHOUSE,
        {"return_waybill": "YT9876543210", "received_at": clock.now().isoformat()},
    )
    state = engine.fire(
        request.id, "inspect", INSPECTOR, {"inspection_result": "pass", "found_condition": "opened_intact"}
    ).to_state
    assert state == "replacement_pending"
    assert levels(store, "XM-BAND8") == (498, 1)  # the original order's two bands went out before
    routed = engine.get_order(request.id, SERVICE).data
    assert (routed["warehouse"], routed["stock_reserved"][0]["warehouse"]) == ("SH-01", "SH-01")
    assert engine.fire(request.id, "ship_replacement", WAREHOUSE, {"carrier": "jd"}).to_state == "closed"
    # the replacement left and the band the customer sent back is on hand again
    assert levels(store, "XM-BAND8") == (498, 0)
    assert [(e.kind, e.change) for e in ledger_entries(store, reference=str(request.id))] == [
        ("exchange_return", 1),
        ("ship", -1),
    ]


@pytest.mark.usefixtures("original")
def test_an_exchange_no_after_sales_warehouse_can_fill_waits_and_may_be_refunded_instead(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    """No band is left on hand anywhere, and each of two exchanges about the retail order of two bands
    wants one. Refunded instead, it pays back no more than the retail order it names paid (478), however
    much the band is said to be worth."""
    with store.transaction() as tx:
        tx.connection.execute(update(stock).where(stock.c.sku == "XM-BAND8").values(on_hand=0, reserved=0))

    def backordered() -> int:
        lines = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 999, "amount": 999}]
        exchange = exchange_request(request_data(clock), lines, reason_code="quality")
        return backordered_exchange(
            engine,
            exchange,
            clock.now(),
            service=SERVICE,
            warehouse=WAREHOUSE,
            inspector=INSPECTOR,
            waybill="YT9876543210",
            found_condition="opened_intact",
        )

    waiting = backordered()
    again = backordered()
    before = written(engine, store, waiting, SERVICE)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478.01})
    [refusal] = caught.value.refusals
    assert refusal.details["path"] == "$.refund_amount"
    assert "more than the 478.00 CNY original order #1 can refund" in refusal.en
    assert written(engine, store, waiting, SERVICE) == before
    refunded = engine.fire(waiting, "refund_instead", SERVICE, {"refund_amount": 478})
    assert refunded.to_state == "refunding"
    # the other exchange about the same order may not ask it again: all 478 is claimed
    with pytest.raises(TransitionRejected, match="can refund"):
        engine.fire(again, "refund_instead", SERVICE, {"refund_amount": 1})
    assert pay_refund(engine, waiting).to_state == "closed"
    assert engine.get_order(waiting, SERVICE).data["refunded_amount"] == 478
    assert "payments.refunded" in topics(store)
    # the band the customer sent back is on hand where the request said it would come back
    [entry] = ledger_entries(store, reference=str(waiting))
    assert (entry.kind, entry.warehouse, entry.change) == ("exchange_return", "SH-01", 1)

    with store.transaction() as tx:
        tx.connection.execute(
            update(stock).where(stock.c.sku == "XM-BAND8", stock.c.warehouse == "SH-01").values(on_hand=10)
        )
    assert engine.fire(again, "retry_routing", SERVICE).to_state == "replacement_pending"
    reserved = [held["qty"] for held in engine.get_order(again, SERVICE).data["stock_reserved"]]
    assert sum(reserved) == 1


@pytest.mark.usefixtures("original")
def test_after_sales_eligibility_rejects_late_and_holds_doubtful_requests(
    engine: Engine, clock: FrozenClock
) -> None:
    late = request_data(clock, delivered_at=(clock.now() - timedelta(days=9)).isoformat())
    rejected = engine.create_order(
        SERVICE, department="after_sales", workflow="after-sales-request", channel="app", data=late
    )
    assert rejected.state == "rejected"
    used = engine.create_order(
        SERVICE,
        department="after_sales",
        workflow="after-sales-request",
        channel="web",
        data=request_data(clock, item_condition="used"),
    )
    assert used.state == "pending_review"
    assert engine.fire(used.id, "accept", SERVICE).to_state == "awaiting_goods"
    clock.advance(days=10, minutes=1)
    assert engine.run_due_timers("test") == 2  # the request's 10-day withdrawal; the original's receipt
    assert engine.get_order(used.id, SERVICE).state == "cancelled"


# -- data sent with a trigger ----------------------------------------------------------------------


def written(engine: Engine, store: Store, order_id: int, actor: Actor) -> tuple[Any, ...]:
    """What a refused fire must leave untouched: the order, its history, the stock and the outbox."""
    order = engine.get_order(order_id, actor)
    with store.read() as tx:
        stock_rows = tx.connection.execute(select(stock).order_by(stock.c.sku, stock.c.warehouse)).all()
    history = [(e.seq, e.trigger) for e in engine.history(order_id, actor)]
    return order.state, dict(order.data), order.lock_version, history, stock_rows, topics(store)


FRIDGES = {"sku": "HR-BCD470", "name": "海尔冰箱", "unit_price": 2639}


@pytest.mark.parametrize(
    ("tier", "fridges", "state", "approver"),
    [
        (None, 0, "fulfilling", "none"),  # 15350 CNY: under 20000, whoever orders
        ("gold", 20, "fulfilling", "none"),  # 68130 CNY: a gold customer needs no approver under 100000
        ("silver", 20, "pending_approval", "sales-manager"),
        (None, 40, "board_approval", "sales-director"),  # 120910 CNY, not platinum
        ("platinum", 40, "pending_approval", "sales-manager"),
    ],
)
def test_wholesale_approval_limits_come_from_the_approval_table(
    engine: Engine, store: Store, tier: str | None, fridges: int, state: str, approver: str
) -> None:
    data = wholesale_data()
    if fridges:
        data["lines"].append({**FRIDGES, "qty": fridges, "amount": 2639 * fridges})
        data["total"] += 2639 * fridges
    set_account(store, tier=tier)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert order.state.split(".")[0] == state
    assert order.data["approver_role"] == approver
    [routing] = [e for e in engine.history(order.id, SALES) if e.trigger == "route_approval"]
    assert routing.rules is not None
    assert (routing.rules["kind"], routing.rules["hit_policy"]) == ("decision_table", "unique")
    # stock is reserved when the order is accepted, by the table or by the approvers, never before,
    # in the warehouse routing picked
    assert ("stock_reserved" in order.data) == (state == "fulfilling")
    assert ("warehouse" in order.data and "carrier" in order.data) == (state == "fulfilling")
    if state == "fulfilling":
        return
    for actor in (APPROVER, DIRECTOR, FINANCE):  # the approval decides: no one fires its steps by hand
        offered = {t.trigger for t in engine.available_triggers(order.id, actor)}
        assert not offered & {"approve", "decline"}
    if state == "board_approval":  # above the higher limit: finance and the sales director both sign
        panel = engine.approval(order.id, APPROVER)
        assert panel is not None and not any(t.yours for t in panel.tasks)  # not the sales manager's
        assert sign(engine, order.id, FINANCE).state == "board_approval"
        accepted = sign(engine, order.id, DIRECTOR)
    else:
        accepted = sign(engine, order.id, APPROVER)
    assert accepted.state.startswith("fulfilling.") and accepted.fired == "approve"
    assert engine.get_order(order.id, SALES).data["stock_reserved"]


def test_wholesale_backorders_what_no_warehouse_holds_and_routes_it_again_when_stock_arrives(
    engine: Engine, store: Store
) -> None:
    data = wholesale_data()
    data["lines"][0] = {**data["lines"][0], "qty": 1500, "amount": 56 * 1500}  # 1000 milk in stock
    data["total"] = 56 * 1500 + 9550 + 200
    set_account(store, tier="gold")  # within its limits: no approver
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert order.state == "out_of_stock" and "stock_reserved" not in order.data
    [route] = [e for e in engine.history(order.id, SALES) if e.trigger == "route"]
    assert route.rules is not None and route.rules["outcome"] == "no_stock"
    with store.transaction() as tx:
        tx.connection.execute(
            update(stock).where(stock.c.sku == "YL-MILK24", stock.c.warehouse == "GZ-01").values(on_hand=2000)
        )
    assert engine.fire(order.id, "retry_routing", SALES).to_state.startswith("fulfilling.")
    assert levels(store, "YL-MILK24", "GZ-01") == (2000, 1500)


def test_a_total_sent_with_a_credit_release_cannot_skip_the_approval(engine: Engine, store: Store) -> None:
    """Releasing credit takes no data: a total of 1 would have let the approval table skip the approver.
    Nor does anyone fire it by hand: the credit hold's approval does, once a sales manager signed."""
    data = wholesale_data(
        lines=[
            {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 1000, "unit_price": 56, "amount": 56000},
            {"sku": "XM-BAND8", "name": "小米手环8", "qty": 100, "unit_price": 191, "amount": 19100},
        ],
        total=75300,
    )
    set_account(store, credit_limit=50000)
    order = engine.create_order(SALES, "wholesale", "wholesale-order", "phone", data)
    assert order.state == "credit_hold"
    before = written(engine, store, order.id, CREDIT)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order.id, "release_credit", CREDIT, {"total": 1})
    [refusal] = caught.value.refusals
    assert refusal.code == "approval" and "审批" in refusal.zh
    assert written(engine, store, order.id, CREDIT) == before
    assert sign(engine, order.id, APPROVER).state == "pending_approval"
    assert engine.get_order(order.id, CREDIT).data["total"] == 75300


def test_a_forged_stock_reservation_cannot_release_other_orders_stock(engine: Engine, store: Store) -> None:
    for _ in range(3):
        engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    victim = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    assert levels(store, "XM-BAND8") == (500, 8)
    before = written(engine, store, victim.id, RETAIL)
    forged = {"stock_reserved": [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 8}]}
    with pytest.raises(TransitionRejected, match="takes no data; got: stock_reserved"):
        engine.fire(victim.id, "cancel", RETAIL, forged)
    assert written(engine, store, victim.id, RETAIL) == before
    assert engine.fire(victim.id, "cancel", RETAIL).to_state == "cancelled"
    assert levels(store, "XM-BAND8") == (500, 6)  # only the victim's own two units


def test_garbage_sent_with_a_cancel_is_refused_and_the_order_kept(engine: Engine, store: Store) -> None:
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    before = written(engine, store, order.id, RETAIL)
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order.id, "cancel", RETAIL, {"total": -5, "lines": "garbage", "customer": None})
    [refusal] = caught.value.refusals
    assert refusal.details == {"trigger": "cancel", "fields": ["customer", "lines", "total"]}
    assert written(engine, store, order.id, RETAIL) == before


def test_a_field_outside_the_payment_form_is_refused_by_name(engine: Engine, store: Store) -> None:
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    before = written(engine, store, order.id, RETAIL)
    payment = {"method": "wechat_pay", "amount": 1, "transaction_ref": "4200001234567", "total": 1}
    with pytest.raises(TransitionRejected) as caught:
        engine.fire(order.id, "pay", RETAIL, payment)
    assert [r.details["path"] for r in caught.value.refusals] == ["$.total"]
    assert written(engine, store, order.id, RETAIL) == before


# -- the demo --------------------------------------------------------------------------------------


def demo_states(sqlite_url: str, orders: int, seed: int) -> dict[tuple[str, str], int]:
    store = Store(sqlite_url)
    store.upgrade()
    engine = Engine(store, REGISTRY, demo_clock(datetime(2026, 3, 1, tzinfo=UTC)))
    summary = load_demo(engine, store, ROOT, orders=orders, seed=seed)
    store.dispose()
    assert summary.created == orders
    assert summary.refused == []
    return dict(summary.states)


def test_the_demo_is_deterministic_and_reaches_the_interesting_states(tmp_path: Path) -> None:
    first = demo_states(f"sqlite:///{tmp_path / 'a.db'}", 150, 7)
    again = demo_states(f"sqlite:///{tmp_path / 'b.db'}", 150, 7)
    assert first == again
    reached = {state for (_, state) in first}
    assert {"cancelled", "completed", "delivered", "shipped", "rejected", "closed"} <= reached
    assert sum(first.values()) == 150
    assert {user.name for user in DEMO_ACTORS} >= {"admin", "li.na", "wang.qiang", "zhao.lei", "wu.gang"}


def resting_states(spec: WorkflowSpec) -> set[str]:
    """The states an order can rest in: every state but parallel parents and transient ones.

    A transient state is one the engine always leaves at once: it has an automatic transition without a
    guard (a rule set picks the destination, if any, and always decides), or every way out of it is
    automatic and no timer waits there (nobody and nothing could move the order later, so the guards
    only pick the way, as the inspection result does after ``inspect``), unless a guard reads the order's
    records (a record's step, a shipment shipped, moves the order on later). A parallel state is rested in
    through its regions' leaves, which are states of their own.
    """
    outgoing: dict[str, list[TransitionSpec]] = {}
    for transition in spec.transitions:
        for source in transition.sources:
            outgoing.setdefault(source, []).append(transition)
    resting = set()
    for state in spec.states:
        if state.regions:
            continue
        exits = outgoing.get(state.name, [])
        unconditional = any(t.auto and t.when is None for t in exits)
        by_records = any("records." in str(t.when) for t in exits)
        only_automatic = bool(exits) and all(t.auto for t in exits) and not state.timers and not by_records
        if not (unconditional or only_automatic):
            resting.add(state.name)
    return resting


def test_the_default_demo_has_an_order_in_every_resting_state(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'demo.db'}")
    store.upgrade()
    engine = Engine(store, REGISTRY, demo_clock(datetime(2026, 3, 1, tzinfo=UTC)))
    summary = load_demo(engine, store, ROOT)
    with store.read() as tx:
        wholesale = [
            row.data["account"]
            for row in tx.connection.execute(select(orders.c.data).where(orders.c.department == "wholesale"))
        ]
        decided = [
            str(row.rules)
            for row in tx.connection.execute(
                select(audit_events.c.rules)
                .join(orders, orders.c.id == audit_events.c.order_id)
                .where(orders.c.department == "wholesale", audit_events.c.rules.is_not(None))
            )
        ]
        managers = set(
            tx.connection.execute(
                select(approval_tasks.c.approver_kind, approval_tasks.c.approver).where(
                    approval_tasks.c.state == "pending_approval"
                )
            ).all()
        )
        split = [row.data for row in tx.connection.execute(select(orders.c.data)) if row.data.get("split")]
        requests = [
            row.data
            for row in tx.connection.execute(
                select(orders.c.data).where(orders.c.department == "after_sales")
            )
        ]
        bought = {
            str(row.id): row.data
            for row in tx.connection.execute(
                select(orders.c.id, orders.c.data).where(orders.c.department == "retail")
            )
        }
        on_hand = {
            (s, w): h
            for s, w, h in tx.connection.execute(select(stock.c.sku, stock.c.warehouse, stock.c.on_hand))
        }
    # The warehouses are stocked unevenly through receipts: some orders ship from two warehouses, and the
    # ledger adds up to what is on hand after every shipment.
    assert split and all(len({part["warehouse"] for part in data["split"]}) > 1 for data in split)
    # each after-sales request is by the customer who bought the goods, from where they were delivered
    assert requests
    for request in requests:
        original = bought[request["original_order_no"]]
        assert request["customer"]["mobile"] == original["customer"]["mobile"], request["original_order_no"]
        assert request["customer"]["name"] == original["customer"]["name"]
        assert request["address"] == original["address"]
    sums = ledger_sums(store)
    assert all(sums.get(key, 0) == on_hand.get(key, 0) for key in {*sums, *on_hand})
    assert [(t.sku, t.from_warehouse, t.to_warehouse, t.in_transit) for t in transfers(store)] == [
        ("HW-FBP3", "BJ-01", "GZ-01", 20)
    ]
    assert {a.sku for a in low_stock_alerts(store, engine.clock.now())} >= {"LX-Y9000P"}
    store.dispose()
    # Every wholesale order carries its account's tier, and the approval table's tier rows decide some.
    assert all(account.get("tier") in {"standard", "silver", "gold", "platinum"} for account in wholesale)
    # and its account manager when it has one: sun.li, who signs those orders' manager approval by name
    assert {account.get("manager") for account in wholesale} == {"sun.li", None}
    assert managers == {("user", "sun.li"), ("role", "approver")}
    assert any("medium-trusted" in rules or "large-platinum" in rules for rules in decided)
    assert summary.created == 300
    assert summary.refused == []
    held: dict[str, set[str]] = {}
    for (workflow, state), count in summary.states.items():
        assert count > 0
        held.setdefault(workflow, set()).update(state.split("|"))  # a parallel state: its leaves
    specs = [
        compile_bundle(load_bundle(path, ROOT, action_names=REGISTRY.action_names))
        for path in discover(ROOT).values()
    ]
    assert {spec.name for spec in specs} == set(held)
    missing = {spec.name: sorted(resting_states(spec) - held[spec.name]) for spec in specs}
    assert missing == {spec.name: [] for spec in specs}
    for spec in specs:  # and no order rests where the rule says none can
        assert held[spec.name] <= resting_states(spec), spec.name


def test_the_readme_example_order_is_one_the_retail_intake_accepts(engine: Engine) -> None:
    """`orderloom orders create … --data @docs/examples/retail-order.json`, as the README shows it."""
    example = json.loads((ROOT / "docs" / "examples" / "retail-order.json").read_text(encoding="utf-8"))
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", example)
    assert order.state == "pending_payment"
    assert pay(engine, order.id, example["total"]) == "pending_shipment"


def _untitled(schema: Any, path: str = "$") -> list[str]:
    """The properties of a form (at any depth, list items included) missing a title in zh or en."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    for key, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict):
            if not sub.get("title") or not sub.get("x-title-zh"):
                found.append(f"{path}.{key}")
            found += _untitled(sub, f"{path}.{key}")
            found += _untitled(sub.get("items"), f"{path}.{key}[]")
    return found


def test_every_field_of_the_shipped_forms_has_a_title_in_both_languages() -> None:
    # an order's page names each field of its data (stock reserved by the engine included) by these
    # titles: a field without one would show its raw key inside a Chinese or English page
    assert _untitled({"properties": {"a": {"title": "A", "items": {"properties": {"b": {}}}}}}) == [
        "$.a",
        "$.a[].b",
    ]
    missing = {
        path.relative_to(ROOT).as_posix(): found
        for path in sorted((ROOT / "forms").rglob("*.json"))
        if not path.name.endswith(".ui.json")
        and (found := _untitled(json.loads(path.read_text(encoding="utf-8"))))
    }
    assert missing == {}


@pytest.mark.usefixtures("original")
def test_an_after_sales_request_is_declined_only_with_a_reason_kept_on_it(
    engine: Engine, clock: FrozenClock
) -> None:
    doubtful = request_data(clock, item_condition="used")
    request = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", doubtful)
    assert request.state == "pending_review"
    with pytest.raises(EngineError) as refused:
        engine.fire(request.id, "decline", SERVICE)
    assert "Reason for declining" in str(refused.value)
    assert engine.get_order(request.id, SERVICE).state == "pending_review"  # nothing written
    assert (
        engine.fire(request.id, "decline", SERVICE, {"decline_reason": "商品已使用"}).to_state == "rejected"
    )
    assert engine.get_order(request.id, SERVICE).data["decline_reason"] == "商品已使用"


# -- steps that set data (set:) ----------------------------------------------------------------------


@pytest.mark.usefixtures("original")
def test_an_after_sales_request_let_through_gets_a_return_authorization_and_a_deadline(
    engine: Engine, clock: FrozenClock
) -> None:
    """退货授权码: whether the rules let the request through or the service desk accepts it, it gets a
    code the customer writes on the parcel and the time the goods must be back by (the timer's)."""
    passed = engine.create_order(SERVICE, "after_sales", "after-sales-request", "web", request_data(clock))
    assert passed.state == "awaiting_goods"
    assert re.fullmatch(r"RMA-[A-HJKMNP-Z2-9]{8}", passed.data["rma_code"])
    assert datetime.fromisoformat(passed.data["return_by"]) == clock.now() + timedelta(days=10)
    trail = [e.trigger for e in engine.history(passed.id, SERVICE)]
    assert trail == ["create", "check_eligibility", "authorize_return"]
    held = engine.create_order(
        SERVICE, "after_sales", "after-sales-request", "web", request_data(clock, item_condition="used")
    )
    assert "rma_code" not in held.data  # pending review: nothing authorized yet
    clock.advance(hours=2)
    engine.fire(held.id, "accept", SERVICE)
    accepted = engine.get_order(held.id, SERVICE)
    assert accepted.data["rma_code"] != passed.data["rma_code"]
    assert datetime.fromisoformat(accepted.data["return_by"]) == clock.now() + timedelta(days=10)
    [issued] = [e for e in engine.history(held.id, SERVICE) if e.trigger == "authorize_return"]
    assert issued.data_changes["rma_code"] == [None, accepted.data["rma_code"]]
    receipt = {"return_waybill": "SF1234567890", "received_at": clock.now().isoformat()}
    engine.fire(held.id, "receive_goods", WAREHOUSE, receipt)
    assert engine.get_order(held.id, SERVICE).data["rma_code"] == accepted.data["rma_code"]  # issued once


def test_a_retail_delivery_sets_the_last_day_for_a_return(engine: Engine, clock: FrozenClock) -> None:
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    pay(engine, order.id, 478)
    ship_each(engine, order.id, {"carrier": "sf"})
    clock.advance(days=1)
    delivered_at = (clock.now() - timedelta(hours=3)).isoformat()
    deliver_each(engine, order.id, {"delivered_at": delivered_at})
    data = engine.get_order(order.id, RETAIL).data
    assert data["delivered_at"] == delivered_at
    assert datetime.fromisoformat(data["return_by"]) == datetime.fromisoformat(delivered_at) + timedelta(
        days=7
    )
    last = engine.history(order.id, RETAIL)[-1]
    assert last.trigger == "all_delivered" and last.data_changes["return_by"] == [None, data["return_by"]]


def test_a_resubmitted_wholesale_order_is_routed_to_its_approval_afresh(engine: Engine) -> None:
    """The approval route of the order as it was is cleared when sales resubmits it; routing decides it
    again for the corrected order."""
    lines = [{"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}]
    order = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(lines=lines, total=52980)
    )
    routed = order.data["approver_role"]
    panel = engine.approval(order.id, APPROVER)
    assert panel is not None
    [task] = [t for t in panel.tasks if t.yours]
    engine.act_on_approval(
        ApprovalRequest(order.id, task.id, ApprovalAction.RETURN, APPROVER, "请补上客户采购单号", "sent_back")
    )
    engine.fire(order.id, "resubmit", SALES, {"payment_method": "bank_transfer", "purchase_order_no": "PO-1"})
    history = engine.history(order.id, SALES)
    [resubmitted] = [e for e in history if e.trigger == "resubmit"]
    assert resubmitted.data_changes["approver_role"] == [routed, None]
    [*_, again] = [e for e in history if e.trigger == "route_approval"]
    assert again.data_changes["approver_role"] == [None, routed]


def send_back(engine: Engine, order_id: int, reason: str) -> None:
    """The sales manager returns the order waiting for her approval to sales (退回) with ``reason``."""
    panel = engine.approval(order_id, APPROVER)
    assert panel is not None
    [task] = [t for t in panel.tasks if t.yours]
    engine.act_on_approval(
        ApprovalRequest(order_id, task.id, ApprovalAction.RETURN, APPROVER, reason, "sent_back")
    )


def test_a_returned_wholesale_order_has_its_lines_corrected_and_is_judged_again(engine: Engine) -> None:
    """Sent back for its prices, the order's lines are corrected on resubmit (a price changed, a line
    removed, one added): the amounts and the total are computed by the server as intake computes them,
    whatever the page sent, and the credit check and the approval route judge the corrected total."""
    fridge = {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 20, "unit_price": 2639, "amount": 52780}
    milk = {"sku": "YL-MILK24", "name": "伊利纯牛奶", "qty": 10, "unit_price": 56, "amount": 560}
    order = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(lines=[fridge, milk], total=53540)
    )
    assert order.state == "pending_approval"
    send_back(engine, order.id, "单价与合同不符，请按合同价修改")
    # far above the credit limit (500000): held for credit, not routed on the old total
    big = {"sku": "HR-BCD470", "name": "海尔冰箱", "qty": 200, "unit_price": 2600, "amount": 1}
    held = engine.fire(order.id, "resubmit", SALES, {"lines": [big], "total": 1})
    assert held.to_state == "credit_hold"
    data = engine.get_order(order.id, SALES).data
    assert (data["lines"][0]["amount"], data["total"]) == (520000, 520200)
    engine.fire(order.id, "cancel", SALES)  # what it owes would hold the next order too
    # the corrected contract price, the milk removed and a band added: small enough to go on at once
    order = engine.create_order(
        SALES, "wholesale", "wholesale-order", "phone", wholesale_data(lines=[fridge, milk], total=53540)
    )
    send_back(engine, order.id, "单价与合同不符，请按合同价修改")
    band = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 2, "unit_price": 191, "amount": 0}
    fixed = {**fridge, "qty": 5, "unit_price": 2500}
    again = engine.fire(order.id, "resubmit", SALES, {"lines": [fixed, band], "discount": 100})
    assert again.to_state.startswith("fulfilling.")
    data = engine.get_order(order.id, SALES).data
    assert [(line["sku"], line["amount"]) for line in data["lines"]] == [
        ("HR-BCD470", 12500),
        ("XM-BAND8", 382),
    ]
    assert data["total"] == 12500 + 382 + 200 - 100
    [resubmitted] = [e for e in engine.history(order.id, SALES) if e.trigger == "resubmit"]
    assert resubmitted.data_changes["lines"][0] == [fridge, milk]
    assert resubmitted.data_changes["total"] == [53540, 12982]
    said = engine.order_page(order.id, SALES).said[resubmitted.id]
    assert [c.zh for c in said.changed] == [
        "HR-BCD470 海尔冰箱：数量 20 → 5；单价（元） 2,639.00 → 2,500.00；小计（元） 52,780.00 → 12,500.00",
        "XM-BAND8 小米手环8：新增（数量 2，单价（元） 191.00，小计（元） 382.00）",
        "YL-MILK24 伊利纯牛奶：已删除",
        "优惠金额（元）：0.00 → 100.00",
        "订单金额（元）：53,540.00 → 12,982.00",
    ]
    assert said.changed[0].en == (
        "HR-BCD470 海尔冰箱: Quantity 20 → 5; Unit price (CNY) 2,639.00 → 2,500.00; "
        "Line amount (CNY) 52,780.00 → 12,500.00"
    )
    assert [e.trigger for e in engine.history(order.id, SALES)][-6:-3] == [
        "load_account",
        "check_credit",
        "route_approval",
    ]


# -- the product catalogue in the retail order -------------------------------------------------------


def keep_catalogue(store: Store) -> None:
    """The band at 249 (its page price is 239), a discontinued fridge, and a gift card, which is virtual."""
    with store.transaction() as tx:
        write_products(
            tx.connection,
            [
                Product("XM-BAND8", "小米手环8", "Xiaomi Smart Band 8", Decimal("249"), Decimal("0.1")),
                Product("HR-BCD470", "海尔冰箱", "Haier fridge", Decimal("3299"), active=False),
                Product("GC-100", "礼品卡100元", "Gift card 100 CNY", Decimal("100"), kind="virtual"),
            ],
            datetime(2026, 3, 1, tzinfo=UTC),
            "admin",
        )


def test_a_retail_order_is_priced_from_the_catalogue_and_its_total_follows(
    engine: Engine, store: Store
) -> None:
    keep_catalogue(store)
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    line = order.data["lines"][0]
    assert (line["unit_price"], line["amount"], line["virtual"], order.data["total"]) == (
        249,
        498,
        False,
        498,
    )
    assert order.data["stock_reserved"] == [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 2}]
    # The page's total (478) is not what is owed: paid, it is a part payment and 20 is still due.
    assert pay(engine, order.id, 478) == "pending_payment"
    with pytest.raises(TransitionRejected) as refused:  # the page's total again: more than is due
        pay(engine, order.id, 498)
    [refusal] = refused.value.refusals
    assert (refusal.code, refusal.details["due"]) == ("overpayment", "20.00")
    assert pay(engine, order.id, 20) == "pending_shipment"


def test_a_retail_line_the_catalogue_does_not_sell_is_refused_at_its_sku(
    engine: Engine, store: Store
) -> None:
    keep_catalogue(store)
    fridge = {"sku": "HR-BCD470", "name": "冰箱", "qty": 1, "unit_price": 3299, "amount": 3299}
    unknown = {"sku": "SP-TRIAL", "name": "试饮装", "qty": 1, "unit_price": 0, "amount": 0}
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(
            RETAIL, department="retail", workflow="retail-order", channel="web",
            data=retail_data(lines=[fridge, unknown], total=3299),
        )  # fmt: skip
    assert [(r.details["path"], r.en) for r in refused.value.refusals] == [
        ("$.lines[0].sku", "$.lines[0].sku: product HR-BCD470 (Haier fridge) is discontinued"),
        ("$.lines[1].sku", "$.lines[1].sku: the product catalogue has no product 'SP-TRIAL'"),
    ]
    assert refused.value.refusals[0].zh == "$.lines[0].sku：商品 HR-BCD470（海尔冰箱）已停售"
    with store.read() as tx:
        assert tx.connection.execute(select(func.count()).select_from(orders)).scalar_one() == 0


def test_an_order_of_virtual_items_only_needs_no_warehouse_no_carrier_and_no_shipment(
    engine: Engine, store: Store
) -> None:
    keep_catalogue(store)
    card = {"sku": "GC-100", "name": "Gift card", "qty": 2, "unit_price": 1, "amount": 2}
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web",
        data=retail_data(lines=[card], shipping_fee=0, total=2),
    )  # fmt: skip
    assert order.data["lines"][0] == {  # named and priced by the catalogue, whatever was sent
        "sku": "GC-100", "name": "礼品卡100元", "qty": 2, "unit_price": 100, "amount": 200, "virtual": True
    }  # fmt: skip
    assert (order.data["warehouse"], order.data["carrier"], order.data["stock_reserved"]) == (None, None, [])
    assert pay(engine, order.id, 200) == "completed"
    assert [e.trigger for e in engine.history(order.id, RETAIL)] == [
        "create", "route", "place", "pay", "payment.add", "payment.capture", "settle", "review",
        "fulfil_virtual",
    ]  # fmt: skip


def test_a_mixed_order_reserves_and_ships_only_its_goods(engine: Engine, store: Store) -> None:
    keep_catalogue(store)
    card = {"sku": "GC-100", "name": "礼品卡", "qty": 1, "unit_price": 100, "amount": 100}
    band = {"sku": "XM-BAND8", "name": "小米手环8", "qty": 1, "unit_price": 249, "amount": 249}
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web",
        data=retail_data(lines=[card, band], total=349),
    )  # fmt: skip
    assert order.data["stock_reserved"] == [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 1}]
    assert order.data["warehouse"] == "SH-01" and order.data["carrier"]
    assert pay(engine, order.id, 349) == "pending_shipment"  # goods to ship: no automatic step past it


def test_without_a_catalogue_the_page_s_prices_stand(engine: Engine) -> None:
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-order", channel="web", data=retail_data()
    )
    assert order.data["lines"][0]["unit_price"] == 239 and "virtual" not in order.data["lines"][0]


def test_a_flash_sale_keeps_its_own_price_and_only_marks_its_lines(engine: Engine, store: Store) -> None:
    keep_catalogue(store)
    base = compile_bundle(load_bundle(ROOT / "workflows/retail/order.yaml", ROOT))
    flash = compile_bundle(load_bundle(ROOT / "workflows/retail/flash-sale.yaml", ROOT))
    assert (base.catalogue, flash.catalogue) == ("prices", "kinds")
    order = engine.create_order(
        RETAIL, department="retail", workflow="retail-flash-sale", channel="app",
        data=retail_data(app_user_id="U20260302"),
    )  # fmt: skip
    line = order.data["lines"][0]
    assert (line["unit_price"], line["virtual"], order.data["total"]) == (239, False, 478)  # not the 249


def test_a_steps_page_knows_the_automatic_steps_that_may_follow_it_at_once(engine: Engine) -> None:
    """A retail payment leaves the order pending payment, and settle (or skip_payment) may take it on to
    paid in the same transaction: the pay page is told both, with where they go; a step into a state no
    automatic step leaves is told none."""
    order = engine.create_order(RETAIL, "retail", "retail-order", "web", retail_data())
    info = engine.step_page(order.id, "pay", RETAIL).info
    assert info is not None and info.dests == ("pending_payment",)
    assert sorted((step.trigger, step.dests) for step in info.then) == [
        ("settle", ("paid",)),
        ("skip_payment", ("paid",)),
    ]
    cancel = engine.step_page(order.id, "cancel", RETAIL).info
    assert cancel is not None and cancel.then == ()
