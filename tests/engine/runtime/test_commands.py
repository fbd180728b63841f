"""The commands (engine/runtime/commands.py): an order created and a trigger fired, each in one
transaction: a channel's intake form checked with the data form, what a step's actions see, and an
idempotency key replaying its first result for the same request and refusing a different one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from engine.clock import FrozenClock
from engine.errors import Refusal, TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import audit_events, idempotency, orders, outbox, stock
from tests.engine.runtime.conftest import ADMIN, CLERK, STEP_ORDER, STEP_WAREHOUSE, bundle, make_engine
from tests.engine.store.support import bare_order

# -- idempotency
# An idempotency key replays its first result for the same request and refuses a different one.


ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def count(store: Store, table: object) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def reused(call: object) -> TransitionRejected:
    with pytest.raises(TransitionRejected) as caught:
        call()  # type: ignore[operator]
    [refusal] = caught.value.refusals
    assert refusal.code == "idempotency"
    return caught.value


def create(engine: Engine, data: dict[str, object], key: str = "c-1", **options: object) -> int:
    arguments = {"department": "retail", "workflow": "retail-order", "channel": "web", **options}
    return engine.create_order(CLERK, data=data, idempotency_key=key, **arguments).id  # type: ignore[arg-type]


def test_same_create_request_returns_the_first_order(engine: Engine, store: Store) -> None:
    first = create(engine, ORDER)
    assert create(engine, dict(reversed(list(ORDER.items())))) == first  # key order does not matter
    assert count(store, orders) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"data": {**ORDER, "total": 121}},
        {"data": {**ORDER, "email": "a@b.cn"}},
        {"channel": None},
    ],
)
def test_create_with_a_reused_key_and_another_request_is_refused(
    engine: Engine, store: Store, change: dict[str, object]
) -> None:
    create(engine, ORDER)
    options = dict(change)
    data = options.pop("data", ORDER)
    error = reused(lambda: create(engine, data, **options))  # type: ignore[arg-type]
    assert "'c-1' was already used for a different request" in error.message("en")
    assert "幂等键 c-1 已用于另一个请求" in error.message("zh")
    assert error.refusals[0].details == {"idempotency_key": "c-1"}
    assert count(store, orders) == 1


def test_create_for_another_workflow_with_a_reused_key_is_refused(engine: Engine, store: Store) -> None:
    create(engine, ORDER)
    reused(lambda: create(engine, ORDER, workflow="audited-order"))
    assert count(store, orders) == 1


def test_keys_are_per_actor(engine: Engine, store: Store) -> None:
    create(engine, ORDER)
    other = engine.create_order(
        ADMIN, "retail", "retail-order", "web", {**ORDER, "total": 5}, idempotency_key="c-1"
    )
    assert other.data["total"] == 5 and count(store, orders) == 2


def test_same_fire_request_replays_and_a_different_one_is_refused(engine: Engine, store: Store) -> None:
    order_id = create(engine, ORDER)
    other_id = create(engine, ORDER, key="c-2")
    first = engine.fire(order_id, "pay", CLERK, PAYMENT, idempotency_key="f-1")
    assert engine.fire(order_id, "pay", CLERK, dict(PAYMENT), idempotency_key="f-1") == first
    events = count(store, audit_events)
    reused(lambda: engine.fire(order_id, "pay", CLERK, {**PAYMENT, "amount": 99}, idempotency_key="f-1"))
    reused(lambda: engine.fire(order_id, "cancel", CLERK, idempotency_key="f-1"))
    reused(lambda: engine.fire(other_id, "pay", CLERK, PAYMENT, idempotency_key="f-1"))
    assert count(store, audit_events) == events
    assert engine.get_order(other_id, CLERK).state == "pending_payment"
    assert engine.get_order(order_id, CLERK).state == "paid"


def test_a_create_key_reused_for_a_fire_is_refused(engine: Engine) -> None:
    order_id = create(engine, ORDER)
    reused(lambda: engine.fire(order_id, "pay", CLERK, PAYMENT, idempotency_key="c-1"))
    f_order = create(engine, ORDER, key="c-2")
    engine.fire(f_order, "cancel", CLERK, idempotency_key="f-9")
    reused(lambda: create(engine, ORDER, key="f-9"))


def test_a_refused_request_stores_no_key(engine: Engine, store: Store) -> None:
    with pytest.raises(TransitionRejected):
        create(engine, {"customer": ""})
    assert count(store, idempotency) == 0
    assert engine.get_order(create(engine, ORDER), CLERK).state == "pending_payment"


def test_keys_stored_without_a_fingerprint_replay_as_before(engine: Engine, store: Store) -> None:
    order_id = create(engine, ORDER)
    first = engine.fire(order_id, "pay", CLERK, PAYMENT, idempotency_key="f-1")
    with store.transaction() as tx:  # as rows written before fingerprints were kept
        tx.connection.execute(update(idempotency).values(request_hash=None))
    assert create(engine, {**ORDER, "total": 1}) == order_id
    assert engine.fire(order_id, "cancel", CLERK, idempotency_key="f-1") == first


@pytest.fixture
def old_store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    upgrade(db_url, "0002")
    yield store
    store.dispose()


def test_migration_adds_the_fingerprint_and_keeps_old_keys(old_store: Store, db_url: str) -> None:
    engine = make_engine(old_store, FrozenClock())
    with old_store.transaction() as tx:  # a key written by the previous revision
        # the columns of that revision only (bare_order): later ones add to orders
        order_id = bare_order(tx, "pending_payment", workflow="retail-order", channel="web", data=dict(ORDER))
        tx.connection.execute(
            idempotency.insert().values(
                actor=CLERK.name,
                key="old",
                order_id=order_id,
                result={"order_id": order_id},
                schema_version=1,
                created_at=FrozenClock().now(),
            )
        )
    upgrade(db_url)
    engine.publish(bundle("retail-order"))
    assert create(engine, {**ORDER, "total": 7}, key="old") == order_id
    create(engine, ORDER, key="new")
    reused(lambda: create(engine, {**ORDER, "total": 7}, key="new"))
    downgrade(db_url, "0002")
    upgrade(db_url)


# -- intake
# create_order checks the channel and the channel's intake form as well as the data form.


WEB = {"customer": "张三", "total": 88, "mobile": "13812345678"}
INTAKE = "forms/intake-web.json"
DATA = "forms/order.json"


@pytest.fixture
def intake_engine(engine: Engine) -> Engine:
    engine.publish(bundle("intake-order"))
    return engine


def order_count(store: Store) -> int:
    with store.read() as tx:
        return int(tx.connection.execute(select(func.count()).select_from(orders)).scalar_one())


def refused(engine: Engine, channel: str | None, data: dict[str, object]) -> list[Refusal]:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "intake-order", channel, data)
    return caught.value.refusals


def test_an_order_that_fills_both_forms_is_created(intake_engine: Engine) -> None:
    order = intake_engine.create_order(CLERK, "retail", "intake-order", "web", {**WEB, "coupon": "SPRING"})
    assert (order.channel, order.state, order.data["mobile"]) == ("web", "pending_payment", "13812345678")


def test_the_intake_form_refuses_each_field_it_does_not_accept(intake_engine: Engine, store: Store) -> None:
    data = {"customer": "张三", "total": 88, "mobile": "12345", "cupon": "SPRING"}
    refusals = refused(intake_engine, "web", data)
    assert all(r.code == "form" and r.details["form"] == INTAKE for r in refusals)
    by_path = {r.details["path"]: r for r in refusals}
    assert set(by_path) == {"$", "$.mobile"}
    assert (by_path["$.mobile"].zh, by_path["$.mobile"].en) == (
        "mobile格式不正确",
        "Mobile: not in the expected format",
    )
    assert by_path["$"].zh == "表单包含不接受的字段：cupon"
    assert by_path["$"].en == "Form: fields it does not take: cupon"
    assert order_count(store) == 0


def test_a_missing_intake_field_is_refused_though_the_data_form_does_not_ask_for_it(
    intake_engine: Engine,
) -> None:
    [refusal] = refused(intake_engine, "web", {"customer": "张三", "total": 88})
    assert refusal.details == {"path": "$.mobile", "field": "mobile", "keyword": "required", "form": INTAKE}
    assert (refusal.zh, refusal.en) == ("请填写mobile", "Mobile: enter a value")


def test_both_forms_report_together_and_a_shared_error_is_named_once(intake_engine: Engine) -> None:
    refusals = refused(intake_engine, "web", {"total": -1, "mobile": "13812345678"})
    got = sorted((r.details["path"], r.details["form"]) for r in refusals)
    # customer is missing for both forms (named once, by the intake form the clerk fills); total < 0
    # for both as well.
    assert got == [("$.customer", INTAKE), ("$.total", INTAKE)]
    refusals = refused(intake_engine, "web", {"customer": "", "total": 1})
    got = sorted((r.details["path"], r.details["form"]) for r in refusals)
    assert got == [("$.customer", INTAKE), ("$.mobile", INTAKE)]


def test_a_channel_without_an_intake_form_checks_only_the_data_form(intake_engine: Engine) -> None:
    order = intake_engine.create_order(
        CLERK, "retail", "intake-order", "phone", {"customer": "李四", "total": 5, "called_at": "09:30"}
    )
    assert order.channel == "phone" and order.data["called_at"] == "09:30"
    [refusal] = refused(intake_engine, "phone", {"customer": "李四"})
    assert refusal.details == {"path": "$.total", "field": "total", "keyword": "required", "form": DATA}


def test_no_channel_checks_only_the_data_form(intake_engine: Engine) -> None:
    order = intake_engine.create_order(
        CLERK, "retail", "intake-order", None, {"customer": "王五", "total": 1}
    )
    assert order.channel is None


def test_an_unknown_channel_is_refused_naming_the_allowed_ones(intake_engine: Engine, store: Store) -> None:
    [refusal] = refused(intake_engine, "fax", {})  # the channel is refused before any form is checked
    assert refusal == Refusal(
        "channel",
        "流程 intake-order 不接受渠道 fax；可用渠道：web、phone",
        "workflow intake-order does not take orders from channel 'fax'; allowed channels: web, phone",
        {"channel": "fax", "allowed": ["web", "phone"], "suggestion": None},
    )
    [near] = refused(intake_engine, "wbe", WEB)
    assert near.en.endswith("allowed channels: web, phone; did you mean 'web'?")
    assert near.details["suggestion"] == "web"
    assert order_count(store) == 0


def test_a_workflow_that_lists_no_channels_takes_orders_only_without_one(engine: Engine) -> None:
    with pytest.raises(TransitionRejected) as caught:
        engine.create_order(CLERK, "retail", "audited-order", "web", {"customer": "张三", "total": 5})
    [refusal] = caught.value.refusals
    assert refusal.code == "channel" and refusal.details["allowed"] == []
    assert refusal.en.endswith("allowed channels: none") and refusal.zh.endswith("可用渠道：无")


def test_a_refused_intake_keeps_the_idempotency_key_free(
    intake_engine: Engine, store: Store, clock: FrozenClock
) -> None:
    with pytest.raises(TransitionRejected):
        intake_engine.create_order(
            CLERK, "retail", "intake-order", "web", {"customer": "x"}, idempotency_key="i-1"
        )
    order = intake_engine.create_order(CLERK, "retail", "intake-order", "web", WEB, idempotency_key="i-1")
    again = intake_engine.create_order(CLERK, "retail", "intake-order", "web", WEB, idempotency_key="i-1")
    assert again == order and order_count(store) == 1
    with pytest.raises(TransitionRejected) as reused:  # the key now stands for the first request
        intake_engine.create_order(CLERK, "retail", "intake-order", "web", {}, idempotency_key="i-1")
    assert reused.value.refusals[0].code == "idempotency" and order_count(store) == 1


# -- step data
# What a step's actions see: the order's own data, what the engine and the actions wrote, and what this
# step's form sent, never what an earlier step's form sent (docs/architecture.md, "What a step sees").
#
# Both cases run the built-in plugins on real stock: a parcel one step shipped is not what a later step
# ships, and a refund amount one step paid back is not what a later refund pays.


STEP_PAYMENT = {"method": "wechat_pay", "amount": 150, "transaction_ref": "4200001234567"}


def levels(store: Store) -> tuple[int, int]:
    """(on hand, reserved) of XM-BAND8 in SH-01."""
    with store.read() as tx:
        row = tx.connection.execute(select(stock.c.on_hand, stock.c.reserved)).one()
    return row.on_hand, row.reserved


def refunds(store: Store) -> list[str]:
    with store.read() as tx:
        payloads = tx.connection.execute(
            select(outbox.c.payload).where(outbox.c.topic == "payments.refunded").order_by(outbox.c.id)
        ).scalars()
        return [payload["amount"] for payload in payloads]


def paid_order(engine: Engine) -> int:
    order_id = engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER).id
    assert engine.fire(order_id, "pay", CLERK, STEP_PAYMENT).to_state == "paid"
    return order_id


def test_a_parcel_one_step_shipped_is_not_what_a_later_step_ships(steps_engine: Engine, store: Store) -> None:
    """Three units reserved, one shipped in a parcel: ``ship_rest`` (no form) ships what is still
    reserved, the two others, not the parcel again (which left one unit reserved for good)."""
    order_id = paid_order(steps_engine)
    assert levels(store) == (10, 3)
    parcel: dict[str, Any] = {"carrier": "sf", "parcel": [{"sku": "XM-BAND8", "qty": 1}]}
    steps_engine.fire(order_id, "ship_part", STEP_WAREHOUSE, parcel)
    assert levels(store) == (9, 2)
    assert steps_engine.fire(order_id, "ship_rest", STEP_WAREHOUSE).to_state == "shipped"
    assert levels(store) == (7, 0)
    data = steps_engine.get_order(order_id, CLERK).data
    assert (data["stock_reserved"], data["shipped_qty"]) == ([], 3)
    assert data["parcel"] == parcel["parcel"]  # what the step sent stays on the order, as its record


def test_a_refund_amount_one_step_paid_back_is_not_what_a_later_refund_pays(
    steps_engine: Engine, store: Store
) -> None:
    """150 paid, 50 refunded by ``refund_part``: cancelling refunds the 100 left, not 50 again."""
    order_id = paid_order(steps_engine)
    steps_engine.fire(order_id, "refund_part", CLERK, {"refund_amount": 50})
    assert steps_engine.get_order(order_id, CLERK).data["refunded_amount"] == 50
    assert steps_engine.fire(order_id, "cancel", CLERK).to_state == "cancelled"
    data = steps_engine.get_order(order_id, CLERK).data
    assert (data["paid_amount"], data["refunded_amount"]) == (150, 150)
    assert refunds(store) == ["50.00", "100.00"]
    assert levels(store) == (10, 0)  # and the reservation is given back
