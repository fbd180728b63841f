"""Timers at a moment the order holds (engine/runtime/moments.py): due at the moment when the order enters
their state, moved when a step that keeps it there moves the moment, none while it is empty (the order's
page says so), fired by the worker once due, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.clock import FrozenClock
from engine.dsl.spec import TimerSpec
from engine.runtime import Engine
from engine.runtime.moments import timer_moment
from engine.store import Store
from tests.engine.runtime.conftest import ADMIN, CLERK, bundle


@pytest.fixture
def timed(engine: Engine) -> Engine:
    engine.publish(bundle("moment-order"))
    return engine


def create(engine: Engine, return_by: datetime | None) -> int:
    data = {"customer": "王五", **({"return_by": return_by.isoformat()} if return_by else {})}
    return engine.create_order(CLERK, "retail", "moment-order", None, data).id


def scheduled(store: Store, order_id: int) -> list[tuple[str, datetime]]:
    with store.read() as tx:
        return [(t.trigger, t.due_at) for t in tx.order_timers(order_id) if t.status == "scheduled"]


def test_a_timer_at_a_moment_is_due_then_and_fires_there(
    timed: Engine, clock: FrozenClock, store: Store
) -> None:
    return_by = clock.now() + timedelta(days=3)
    order_id = create(timed, return_by)
    assert sorted(scheduled(store, order_id)) == [
        ("close", return_by),
        ("remind", clock.now() + timedelta(hours=1)),
    ]
    clock.advance(hours=2)
    assert timed.run_due_timers("w1") == 1  # the reminder: a step that stays, moving nothing
    assert scheduled(store, order_id) == [("close", return_by)]
    clock.advance(days=3, hours=-2, minutes=-1)
    assert timed.run_due_timers("w1") == 0
    clock.advance(minutes=1)
    assert timed.run_due_timers("w1") == 1
    order = timed.get_order(order_id, CLERK)
    assert order.state == "closed"
    assert (timed.history(order_id, CLERK)[-1].actor, timed.history(order_id, CLERK)[-1].reason) == (
        "system",
        "auto_close",
    )


def test_a_moment_already_past_fires_at_the_next_run(timed: Engine, clock: FrozenClock) -> None:
    order_id = create(timed, clock.now() - timedelta(days=1))
    assert timed.run_due_timers("w1") == 1
    assert timed.get_order(order_id, CLERK).state == "closed"


def test_a_step_that_moves_the_moment_moves_the_timer(
    timed: Engine, clock: FrozenClock, store: Store
) -> None:
    order_id = create(timed, clock.now() + timedelta(days=3))
    later = clock.now() + timedelta(days=5)
    timed.fire(order_id, "extend", CLERK, {"return_by": later.isoformat()})
    assert [due for trigger, due in scheduled(store, order_id) if trigger == "close"] == [later]
    with store.read() as tx:
        [moved] = [t for t in tx.order_timers(order_id) if t.trigger == "close" and t.status == "cancelled"]
    assert moved.note == "its moment moved: order.return_by"
    clock.advance(days=4)
    timed.run_due_timers("w1")  # the reminder alone
    assert timed.get_order(order_id, CLERK).state == "waiting"
    clock.advance(days=1)
    assert timed.run_due_timers("w1") == 1
    assert timed.get_order(order_id, CLERK).state == "closed"


def test_an_empty_moment_sets_no_timer_and_the_page_says_so(
    timed: Engine, clock: FrozenClock, store: Store
) -> None:
    order_id = create(timed, None)
    assert [trigger for trigger, _ in scheduled(store, order_id)] == ["remind"]
    [unset] = timed.order_page(order_id, CLERK).unset_timers
    assert (unset.at, unset.why, unset.step.en, unset.reason and unset.reason.en) == (
        "order.return_by",
        None,
        "close",
        "auto_close",
    )
    moment = clock.now() + timedelta(days=2)
    timed.fire(order_id, "extend", CLERK, {"return_by": moment.isoformat()})
    assert ("close", moment) in scheduled(store, order_id)
    page = timed.order_page(order_id, CLERK)
    assert page.unset_timers == () and [t.at for t in page.timers if t.trigger == "close"] == [
        "order.return_by"
    ]
    timed.fire(order_id, "extend", CLERK, {"return_by": None})  # cleared: the timer goes
    assert [trigger for trigger, _ in scheduled(store, order_id)] == ["remind"]
    clock.advance(days=3)
    timed.run_due_timers("w1")
    assert timed.get_order(order_id, CLERK).state == "waiting"


def test_a_moment_that_is_no_date_is_none_and_says_why() -> None:
    timer = TimerSpec(None, "close", at="order.return_by")
    moment = timer_moment(timer, {"order": {"return_by": "soon"}})
    assert moment.due_at is None and moment.why is not None
    assert "'soon'" in moment.why.en and "'soon'" in moment.why.zh
    counted = timer_moment(TimerSpec(None, "close", at="len(order.lines)"), {"order": {"lines": [1]}})
    assert counted.due_at is None and counted.why is not None and "a number" in counted.why.en
    written = timer_moment(timer, {"order": {"return_by": "2026-05-08T10:00:00+08:00"}})
    assert written.due_at == datetime(2026, 5, 8, 2, 0, tzinfo=UTC)


def test_a_migrated_order_is_due_at_the_new_versions_moment(
    timed: Engine, clock: FrozenClock, store: Store
) -> None:
    return_by = clock.now() + timedelta(days=3)
    order_id = create(timed, return_by)
    timed.publish(bundle("versions/moment-order-later"))
    plan = timed.migrate("moment-order", 2, {}, dry_run=False, actor=ADMIN)
    assert plan.applied
    assert [due for trigger, due in scheduled(store, order_id) if trigger == "close"] == [
        return_by + timedelta(days=1)
    ]
    clock.advance(days=3, minutes=1)
    timed.run_due_timers("w1")  # the reminder alone
    assert timed.get_order(order_id, CLERK).state == "waiting"
    clock.advance(days=1)
    assert timed.run_due_timers("w1") == 1
    assert timed.get_order(order_id, CLERK).state == "closed"
