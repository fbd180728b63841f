from __future__ import annotations

import threading

import pytest

from engine.clock import FrozenClock
from engine.errors import ConflictError, NotFound, RefusalCode, TransitionRejected
from engine.runtime import Actor, Engine
from engine.store import Store
from tests.engine.runtime.conftest import (
    ADMIN,
    AUDITOR,
    CLERK,
    OUTSIDER,
    WAREHOUSE,
    bundle,
)

ORDER = {"customer": "张三", "total": 120}
PAYMENT = {"amount": 120, "method": "card"}


def _new(engine: Engine, **data: object) -> int:
    return engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, **data}).id


def test_happy_lifecycle_and_history(engine: Engine, store: Store) -> None:
    order_id = _new(engine)
    result = engine.fire(order_id, "pay", CLERK, PAYMENT)
    assert (result.from_state, result.to_state, result.lock_version) == ("pending_payment", "paid", 2)
    engine.fire(order_id, "approve", AUDITOR)
    engine.fire(order_id, "ship", WAREHOUSE)
    final = engine.fire(order_id, "deliver", CLERK)
    order = engine.get_order(order_id, CLERK)
    assert order.final and order.state == "completed" and order.lock_version == 5 == final.lock_version
    assert order.data["paid_by"] == "ann" and order.data["method"] == "card"
    events = engine.history(order_id, CLERK)
    assert [(e.seq, e.trigger, e.from_state, e.to_state) for e in events] == [
        (1, "create", None, "pending_payment"),
        (2, "pay", "pending_payment", "paid"),
        (3, "approve", "paid", "pending_shipment"),
        (4, "ship", "pending_shipment", "shipped"),
        (5, "deliver", "shipped", "completed"),
    ]
    assert events[1].data_changes["amount"] == [None, 120]
    assert events[3].guards[0]["result"] is True and events[3].guards[0]["when"] == "order.total < 1000"
    with store.read() as tx:
        assert [topic for _, topic, _ in tx.pending_outbox()] == ["mail"]


def test_wrong_role_is_refused_in_both_languages(engine: Engine) -> None:
    order_id = _new(engine)
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "approve", WAREHOUSE)
    [refusal] = refused.value.refusals
    assert (refusal.code, refusal.zh, refusal.en) == ("role", "需要角色 auditor", "requires role auditor")
    assert engine.get_order(order_id, CLERK).state == "paid"


def test_trigger_not_available_lists_the_available_ones(engine: Engine) -> None:
    order_id = _new(engine)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "ship", WAREHOUSE)
    [refusal] = refused.value.refusals
    assert refusal.code == "state"
    assert refusal.code is RefusalCode.STATE  # an enum of the same string
    assert refusal.details["available"] == ["cancel", "pay"]
    assert "available now: cancel, pay" in refusal.en
    assert "可执行：cancel、pay" in refusal.zh
    assert refused.value.message("zh") == refusal.zh


def test_form_errors_name_each_field(engine: Engine) -> None:
    order_id = _new(engine)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "pay", CLERK, {"amount": 0, "method": "gold"})
    by_path = {r.details["path"]: r for r in refused.value.refusals}
    assert set(by_path) == {"$.amount", "$.method"}
    assert all(r.code == "form" for r in refused.value.refusals)
    # plain words from the field's label (the form gives none: its name), never the library's text
    assert (by_path["$.amount"].zh, by_path["$.amount"].en) == (
        "amount必须大于0",
        "Amount: more than 0",
    )
    assert by_path["$.method"].en == "Method: choose one of card, cash"
    assert by_path["$.amount"].details["keyword"] == "exclusiveMinimum"
    with pytest.raises(TransitionRejected) as missing:
        engine.create_order(CLERK, "retail", "retail-order", "web", {"total": 1, "email": "not-an-email"})
    paths = sorted(r.details["path"] for r in missing.value.refusals)
    assert paths == ["$.customer", "$.email"]
    assert engine.history(order_id, CLERK)[-1].trigger == "create"


def test_guard_failure_shows_condition_and_values(engine: Engine) -> None:
    order_id = _new(engine, total=5000)
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    engine.fire(order_id, "approve", AUDITOR)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "ship", WAREHOUSE)
    [refusal] = refused.value.refusals
    assert refusal.code == "guard"
    assert refusal.en.startswith("condition not met: order.total < 1000 (")
    assert "5000" in refusal.en and refusal.zh.startswith("条件不成立：order.total < 1000（")
    infos = {i.trigger: i for i in engine.available_triggers(order_id, WAREHOUSE)}
    assert not infos["ship"].allowed and infos["ship"].why_not[0].code == "guard"


def test_available_triggers(engine: Engine) -> None:
    order_id = _new(engine)
    engine.fire(order_id, "pay", CLERK, PAYMENT)
    infos = {i.trigger: i for i in engine.available_triggers(order_id, CLERK)}
    assert set(infos) == {"approve", "remark", "cancel"}
    assert not infos["approve"].allowed and infos["approve"].why_not[0].en == "requires role auditor"
    assert infos["cancel"].allowed and infos["cancel"].dests == ("cancelled",)


def test_idempotency_key_fires_once(engine: Engine) -> None:
    order_id = _new(engine)
    first = engine.fire(order_id, "pay", CLERK, PAYMENT, idempotency_key="k-1")
    second = engine.fire(order_id, "pay", CLERK, PAYMENT, idempotency_key="k-1")
    assert first == second
    assert [e.trigger for e in engine.history(order_id, CLERK)] == ["create", "pay"]
    again = engine.create_order(CLERK, "retail", "retail-order", "web", ORDER, idempotency_key="c-1")
    assert engine.create_order(CLERK, "retail", "retail-order", "web", ORDER, idempotency_key="c-1") == again


def test_other_department_sees_nothing(engine: Engine) -> None:
    order_id = _new(engine)
    for call in (
        lambda: engine.get_order(order_id, OUTSIDER),
        lambda: engine.fire(order_id, "pay", OUTSIDER, PAYMENT),
        lambda: engine.history(order_id, OUTSIDER),
    ):
        with pytest.raises(NotFound):
            call()
    assert engine.list_orders(OUTSIDER) == []
    assert [o.id for o in engine.list_orders(ADMIN, state="pending_payment")] == [order_id]
    with pytest.raises(TransitionRejected) as refused:
        engine.create_order(OUTSIDER, "retail", "retail-order", "web", ORDER)
    assert refused.value.refusals[0].code == "department"


def test_free_order_skips_payment_automatically(engine: Engine) -> None:
    order = engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "total": 0})
    assert order.state == "paid" and order.lock_version == 2
    assert [(e.trigger, e.actor) for e in engine.history(order.id, CLERK)] == [
        ("create", "ann"),
        ("free", "system"),
    ]


def test_parallel_regions_join_then_auto_transition(engine: Engine) -> None:
    order = engine.create_order(CLERK, "wholesale", "wholesale-order", None, {})
    started = engine.fire(order.id, "start", CLERK)
    assert started.to_state == "fulfilling.payment.waiting|fulfilling.shipping.packing"
    paid = engine.fire(order.id, "pay", CLERK)
    assert paid.to_state == "fulfilling.payment.paid|fulfilling.shipping.packing" and paid.auto == ()
    shipped = engine.fire(order.id, "ship", CLERK)
    assert shipped.to_state == "fulfilled" and shipped.auto == ("close",)
    assert engine.get_order(order.id, CLERK).final
    assert [e.trigger for e in engine.history(order.id, CLERK)][-2:] == ["ship", "close"]


PACKER = Actor("pat", frozenset({"warehouse"}), frozenset({"wholesale"}))


def _fulfilling(engine: Engine) -> int:
    engine.publish(bundle("joined-order"))
    order = engine.create_order(CLERK, "wholesale", "joined-order", None, {})
    started = engine.fire(order.id, "start", CLERK)
    assert started.to_state == "fulfilling.packing.picking|fulfilling.payment.waiting"
    return order.id


def test_a_step_out_of_a_parallel_state_waits_until_every_region_is_done(engine: Engine) -> None:
    order_id = _fulfilling(engine)
    with pytest.raises(TransitionRejected) as refused:
        engine.fire(order_id, "ship", PACKER)
    [refusal] = refused.value.refusals
    assert refusal.code == "join"
    assert refusal.en == (
        "'ship' leaves Fulfilling (fulfilling) only once every region is done; "
        "not done yet: packing (Picking), payment (Waiting for payment)"
    )
    assert (
        refusal.zh
        == "履约中（fulfilling）的各分区都完成后才能执行 ship；尚未完成：packing（拣货中）、payment（待付款）"
    )
    assert refusal.details["waiting"] == {
        "packing": "fulfilling.packing.picking",
        "payment": "fulfilling.payment.waiting",
    }
    engine.fire(order_id, "pay", CLERK)
    with pytest.raises(TransitionRejected) as still:
        engine.fire(order_id, "ship", PACKER)
    assert still.value.refusals[0].details["waiting"] == {"packing": "fulfilling.packing.picking"}
    order = engine.get_order(order_id, CLERK)
    assert order.state == "fulfilling.packing.picking|fulfilling.payment.paid" and order.lock_version == 3
    engine.fire(order_id, "pack", PACKER)
    assert engine.fire(order_id, "ship", PACKER).to_state == "shipped"
    assert [e.trigger for e in engine.history(order_id, CLERK)] == ["create", "start", "pay", "pack", "ship"]


def test_a_step_out_of_a_parallel_state_is_not_offered_before_the_join(engine: Engine) -> None:
    order_id = _fulfilling(engine)
    infos = {i.trigger: i for i in engine.available_triggers(order_id, PACKER)}
    assert set(infos) == {"pay", "pack", "ship", "cancel"}
    ship = infos["ship"]
    assert not ship.allowed and [r.code for r in ship.why_not] == ["join"]
    assert ship.why_not[0].details["state"] == "fulfilling"
    engine.fire(order_id, "pay", CLERK)
    engine.fire(order_id, "pack", PACKER)
    infos = {i.trigger: i for i in engine.available_triggers(order_id, PACKER)}
    assert infos["ship"].allowed and infos["ship"].why_not == ()


def test_a_transition_that_interrupts_leaves_a_parallel_state_at_once(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    by_hand = _fulfilling(engine)
    engine.fire(by_hand, "pay", CLERK)
    assert engine.fire(by_hand, "cancel", CLERK).to_state == "cancelled"
    by_timer = _fulfilling(engine)
    clock.advance(hours=1)
    assert engine.run_due_timers("w1") == 1
    assert engine.get_order(by_timer, CLERK).state == "cancelled"
    assert engine.history(by_timer, CLERK)[-1].reason == "unpaid_timeout"
    with store.read() as tx:
        assert [t.status for t in tx.order_timers(by_hand)] == ["cancelled"]


def test_optimistic_lock_one_of_two_wins(engine: Engine) -> None:
    order_id = _new(engine)
    seen = engine.get_order(order_id, CLERK).lock_version
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(trigger: str, data: dict[str, object] | None) -> None:
        barrier.wait()
        try:
            outcomes.append(engine.fire(order_id, trigger, CLERK, data, expected_lock_version=seen))
        except ConflictError as error:
            outcomes.append(error)

    threads = [
        threading.Thread(target=attempt, args=("pay", PAYMENT)),
        threading.Thread(target=attempt, args=("cancel", None)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "FireResult"]
    events = engine.history(order_id, CLERK)
    assert len(events) == 2 and engine.get_order(order_id, CLERK).lock_version == 2


def test_versions_pin_orders_and_publish_is_idempotent(
    engine: Engine, store: Store, clock: FrozenClock
) -> None:
    old = _new(engine)
    again = engine.publish(bundle("retail-order"))
    assert (again.version, again.created) == (1, False)
    v2 = engine.publish(bundle("versions/retail-order-gift"))
    assert (v2.version, v2.created) == (2, True)
    assert [v.version for v in engine.versions("retail-order")] == [1, 2]
    new = _new(engine)
    assert engine.get_order(old, CLERK).version == 1 and engine.get_order(new, CLERK).version == 2
    engine.fire(old, "pay", CLERK, PAYMENT)
    assert engine.get_order(old, CLERK).version == 1


def test_migrate_dry_run_then_real(engine: Engine) -> None:
    moving = _new(engine)
    gone = _new(engine)
    engine.fire(gone, "pay", CLERK, PAYMENT)
    no_email = _new(engine)
    engine.fire(no_email, "cancel", CLERK)  # final orders are never migrated
    engine.publish(bundle("versions/retail-order-no-paid-email"))
    plan = engine.migrate("retail-order", 2, {}, dry_run=True, actor=ADMIN)
    assert not plan.applied and plan.moves == []
    codes = {b["order_id"]: b["code"] for b in plan.blocked}
    assert codes == {gone: "state-gone", moving: "data-invalid"}
    assert engine.history(moving, CLERK)[-1].trigger == "create"

    engine.fire(moving, "cancel", CLERK)  # leave only orders that can move after a mapping
    with_email = engine.create_order(CLERK, "retail", "retail-order", "web", {**ORDER, "email": "a@b.cn"})
    assert with_email.version == 2
    plan = engine.migrate("retail-order", 2, {"paid": "pending_shipment"}, dry_run=True, actor=ADMIN)
    assert [m["order_id"] for m in plan.moves] == [] and [b["code"] for b in plan.blocked] == ["data-invalid"]


def test_migrate_moves_orders_with_an_audit_event(engine: Engine) -> None:
    paid = _new(engine)
    engine.fire(paid, "pay", CLERK, PAYMENT)
    waiting = _new(engine)
    engine.publish(bundle("versions/retail-order-no-paid"))
    plan = engine.migrate("retail-order", 2, {"paid": "pending_shipment"}, dry_run=False, actor=ADMIN)
    assert plan.applied and plan.blocked == []
    assert sorted((m["order_id"], m["to_state"]) for m in plan.moves) == [
        (paid, "pending_shipment"),
        (waiting, "pending_payment"),
    ]
    order = engine.get_order(paid, CLERK)
    assert (order.version, order.state, order.lock_version) == (2, "pending_shipment", 3)
    event = engine.history(paid, CLERK)[-1]
    assert (event.trigger, event.actor, event.reason) == ("migrate", "root", "v1 -> v2")
