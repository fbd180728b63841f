"""The reads of my work by urgency (engine/store/workspace.py ``many_state_keys`` with a start of each
state's own, engine/store/timer_queue.py ``scheduled_timers``), on SQLite and PostgreSQL: the rows they
give, and the plan each runs — each state a range of its index, a page's timers by the order index,
never a scan of the orders or of the timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from engine.store import Store, Tx
from engine.store.statuses import TimerStatus
from engine.store.tables import timers
from engine.store.timer_queue import scheduled_timers_of
from engine.store.workspace import ClaimFilter, _many_state_keys
from tests.engine.store.test_named_lists import _plain, _plan

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATE_INDEX = "ix_orders_department_workflow_state_state_since_id"


def place(tx: Tx, state: str, minutes: int) -> int:
    return tx.insert_order(
        department="retail",
        workflow="retail-order",
        version=1,
        channel="web",
        state=state,
        data={"total": 10},
        final=False,
        at=AT + timedelta(minutes=minutes),
    )


def test_each_state_starts_after_its_own_key_and_the_others_from_their_start(store: Store) -> None:
    with store.transaction() as tx:
        unpaid = [place(tx, "pending_payment", m) for m in (0, 1, 2)]
        delivered = [place(tx, "delivered", m) for m in (0, 1)]
        places = [("retail", "retail-order", "pending_payment"), ("retail", "retail-order", "delivered")]
        found = tx.many_state_keys(places, afters=[(AT + timedelta(minutes=1), unpaid[1]), None], limit=5)
    assert sorted((i, n) for i, _, n in found) == [(0, unpaid[2]), (1, delivered[0]), (1, delivered[1])]


def timer(tx: Tx, order_id: int, due_at: datetime, reason: str | None = None) -> None:
    tx.schedule_timer(
        order_id=order_id, state="pending_payment", trigger="cancel", reason=reason, due_at=due_at
    )


def test_a_pages_timers_are_read_soonest_first(store: Store) -> None:
    with store.transaction() as tx:
        first, second = place(tx, "pending_payment", 0), place(tx, "pending_payment", 1)
        timer(tx, second, AT + timedelta(minutes=31))
        timer(tx, first, AT + timedelta(minutes=30))
        timer(tx, first, AT + timedelta(days=7), "late")
        timers = tx.scheduled_timers([second, first])
    assert [(t.order_id, t.reason) for t in timers] == [(first, None), (second, None), (first, "late")]


def test_the_ranked_page_reads_a_range_of_the_state_index_per_state(store: Store) -> None:
    with store.transaction() as tx:
        for m in range(20):
            place(tx, "pending_payment" if m % 2 else "delivered", m)
        statement = _many_state_keys(ClaimFilter.NOT_MINE, (True, False)).statement.params(
            department_0="retail",
            workflow_0="retail-order",
            state_0="pending_payment",
            department_1="retail",
            workflow_1="retail-order",
            state_1="delivered",
            since_0=_plain(AT) if store.is_sqlite else AT,
            after_id_0=3,
            me="zhang.san",
            limit=31,
            offset=0,
        )
        plan = _plan(tx, statement)
    assert STATE_INDEX in plan, plan
    if store.is_sqlite:
        assert "SCAN orders" not in plan and plan.count(f"SEARCH orders USING INDEX {STATE_INDEX}") == 2, plan
    else:
        assert "Seq Scan on orders" not in plan, plan


def test_a_pages_timers_are_read_by_the_order_index(store: Store) -> None:
    with store.transaction() as tx:
        ids = [place(tx, "pending_payment", m) for m in range(5)]
        for order_id in ids:
            timer(tx, order_id, AT + timedelta(minutes=30))
        # the other orders' timers, as many as a busy day schedules: the due index would walk them all
        others = [place(tx, "delivered", m) for m in range(1000)]
        tx.connection.execute(
            insert(timers),
            [
                {
                    "order_id": other,
                    "state": "delivered",
                    "trigger": "complete",
                    "due_at": AT + timedelta(days=7, minutes=n),
                    "status": TimerStatus.SCHEDULED.value,
                }
                for n, other in enumerate(others)
            ],
        )
        tx.connection.exec_driver_sql("ANALYZE")
        values = {f"order_{i}": order_id for i, order_id in enumerate(ids)}
        plan = _plan(tx, scheduled_timers_of(len(ids)).statement.params(**values))
    assert "ix_timers_order_id" in plan, plan
    if store.is_sqlite:
        assert "SCAN timers" not in plan, plan
    else:
        assert "Seq Scan on timers" not in plan, plan
