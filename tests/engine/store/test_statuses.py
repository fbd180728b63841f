"""A timer's and an outbox message's status read back as enums, written as the strings the tables have
always held, and a status that is not one refused before anything is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.store import OUTBOX_STATUSES, OutboxStatus, Store, TimerStatus
from engine.store.tables import outbox, timers
from tests.engine.store.support import NOW, bare_order


def test_the_enums_are_the_strings_the_tables_hold() -> None:
    assert [s.value for s in TimerStatus] == ["scheduled", "fired", "cancelled"]
    assert [s.value for s in OutboxStatus] == ["pending", "sent", "dead", "internal"]
    assert tuple(OutboxStatus) == OUTBOX_STATUSES
    checks = {
        table.name: str(constraint.sqltext)
        for table in (timers, outbox)
        for constraint in table.constraints
        if getattr(constraint, "sqltext", None) is not None
    }
    # Written from the enums, the constraints are word for word those the migrations created.
    assert checks == {
        "timers": "status IN ('scheduled', 'fired', 'cancelled')",
        "outbox": "status IN ('pending', 'sent', 'dead', 'internal')",
    }


def test_rows_read_back_their_status_as_an_enum(store: Store) -> None:
    with store.transaction() as tx:
        order_id = bare_order(tx)
        tx.schedule_timer(order_id=order_id, state="created", trigger="cancel", reason=None, due_at=NOW)
        tx.insert_outbox("mail", {"order": order_id}, NOW)
        tx.insert_outbox("seen", {"order": order_id}, NOW, deliver=False)
    with store.transaction() as tx:
        (timer,) = tx.order_timers(order_id)
        assert timer.status is TimerStatus.SCHEDULED
        claimed = tx.claim_due_timers("w1", NOW, 10)
        assert tx.fire_timer(claimed[0], "w1")
        assert tx.timer(timer.id).status is TimerStatus.FIRED  # type: ignore[union-attr]
        statuses = {m.topic: m.status for m in tx.outbox_list(departments=None)}
    assert statuses == {"mail": OutboxStatus.PENDING, "seen": OutboxStatus.INTERNAL}
    assert all(type(status) is OutboxStatus for status in statuses.values())
    with store.transaction() as tx:
        (message,) = tx.claim_outbox("w1", NOW, 10)
        assert tx.outbox_sent(message.id, "w1", NOW)
        assert tx.outbox_message(message.id).status is OutboxStatus.SENT  # type: ignore[union-attr]
        # the column holds the plain strings, as rows written before the enums do
        stored = tx.connection.execute(select(outbox.c.status).order_by(outbox.c.id)).scalars().all()
        assert stored == ["sent", "internal"]
        assert [type(s) for s in stored] == [str, str]


def test_a_row_written_with_the_plain_string_reads_back_as_its_member(store: Store) -> None:
    with store.transaction() as tx:
        order_id = bare_order(tx)
        tx.schedule_timer(order_id=order_id, state="created", trigger="cancel", reason=None, due_at=NOW)
        tx.connection.execute(update(timers).values(status="cancelled"))
    with store.read() as tx:
        (timer,) = tx.order_timers(order_id)
    assert timer.status is TimerStatus.CANCELLED


def test_a_status_that_is_not_one_is_refused_before_anything_is_written(store: Store) -> None:
    with store.transaction() as tx:
        order_id = bare_order(tx)
        tx.schedule_timer(order_id=order_id, state="created", trigger="cancel", reason=None, due_at=NOW)
        tx.insert_outbox("mail", {"order": order_id}, NOW)
    with store.transaction() as tx:
        (timer_id,) = tx.claim_due_timers("w1", NOW + timedelta(minutes=1), 10)
        with pytest.raises(ValueError, match="'canceled' is not a valid TimerStatus"):
            tx.finish_timer(timer_id, "canceled")
        with pytest.raises(ValueError, match="'lost' is not a valid OutboxStatus"):
            tx.outbox_list(departments=None, status="lost")
        tx.finish_timer(timer_id, TimerStatus.CANCELLED, "left its state")
    with store.read() as tx:
        (timer,) = tx.order_timers(order_id)
        assert (timer.status, timer.note) == (TimerStatus.CANCELLED, "left its state")
        assert [m.topic for m in tx.outbox_list(departments=None, status=OutboxStatus.PENDING)] == ["mail"]
        assert tx.outbox_list(departments=None, status="dead") == []
