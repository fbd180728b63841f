"""An idempotency key replays its first result for the same request and refuses a different one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from engine.clock import FrozenClock
from engine.errors import TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import audit_events, idempotency, orders
from tests.engine.runtime.conftest import ADMIN, CLERK, bundle, make_engine

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
        order_id = tx.insert_order(
            department="retail",
            workflow="retail-order",
            version=1,
            channel="web",
            state="pending_payment",
            data=ORDER,
            final=False,
            at=FrozenClock().now(),
        )
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
