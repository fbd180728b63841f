"""The timer queue: each due timer claimed by one worker, a lapsed claim taken over."""

from __future__ import annotations

from datetime import timedelta

from engine.store import Store
from tests.engine.store.support import NOW, retail_order


def test_timer_claimed_once(store: Store) -> None:
    order_id = retail_order(store)
    with store.transaction() as tx:
        tx.schedule_timer(
            order_id=order_id, state="pending_payment", trigger="cancel", reason="r", due_at=NOW
        )
        tx.schedule_timer(
            order_id=order_id,
            state="pending_payment",
            trigger="remind",
            reason=None,
            due_at=NOW + timedelta(1),
        )
    with store.transaction() as tx:
        first = tx.claim_due_timers("w1", NOW, 10)
    with store.transaction() as tx:
        second = tx.claim_due_timers("w2", NOW + timedelta(days=2), 10, lease=timedelta(days=3))
    assert len(first) == 1 and len(second) == 1 and first != second
    with store.transaction() as tx:
        assert tx.cancel_timers(order_id, "pending_payment") == 2
        assert not tx.fire_timer(first[0], "w1")


def test_timer_claim_lapses_after_its_lease(store: Store) -> None:
    order_id = retail_order(store)
    with store.transaction() as tx:
        tx.schedule_timer(
            order_id=order_id, state="pending_payment", trigger="cancel", reason=None, due_at=NOW
        )
    lease = timedelta(minutes=5)
    with store.transaction() as tx:
        [timer_id] = tx.claim_due_timers("w1", NOW, 10, lease)
    with store.transaction() as tx:
        assert tx.claim_due_timers("w2", NOW + lease - timedelta(seconds=1), 10, lease) == []
    with store.transaction() as tx:
        assert tx.claim_due_timers("w2", NOW + lease, 10, lease) == [timer_id]
    with store.transaction() as tx:
        assert not tx.fire_timer(timer_id, "w1")  # its claim was taken over
        assert tx.fire_timer(timer_id, "w2")
        assert not tx.fire_timer(timer_id, "w2")  # fired once only
    with store.transaction() as tx:
        assert tx.claim_due_timers("w3", NOW + timedelta(days=1), 10, lease) == []
        timer = tx.timer(timer_id)
        assert timer is not None and (timer.status, timer.claimed_by) == ("fired", "w2")
