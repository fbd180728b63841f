"""The timer queue: timers scheduled when an order enters a state, cancelled when it leaves, claimed by
workers under a lease and fired at most once (docs/architecture.md, "Timers and leases")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, insert, null, select, update

from engine.store.statements import Statement, claimable, constant
from engine.store.statuses import TimerStatus
from engine.store.tables import timers
from engine.store.transaction import DEFAULT_LEASE, TxCore


@dataclass(frozen=True)
class TimerRow:
    id: int
    order_id: int
    state: str
    trigger: str
    reason: str | None
    due_at: datetime
    status: TimerStatus
    claimed_by: str | None
    # why it was cancelled, when not simply for leaving its state; on a scheduled timer, why it could not
    # fire the last time it was due (it is tried again)
    note: str | None = None


TIMER_COLUMNS = (
    timers.c.id,
    timers.c.order_id,
    timers.c.state,
    timers.c.trigger,
    timers.c.reason,
    timers.c.due_at,
    timers.c.status,
    timers.c.claimed_by,
    timers.c.note,
)

_b = bindparam
_SCHEDULED = constant(TimerStatus.SCHEDULED)
_HELD = and_(timers.c.id == _b("id"), timers.c.status == _SCHEDULED, timers.c.claimed_by == _b("worker"))

INSERT_TIMER = Statement(
    "insert_timer",
    insert(timers).values(
        order_id=_b("order_id"),
        state=_b("state"),
        trigger=_b("trigger"),
        reason=_b("reason"),
        due_at=_b("due_at"),
        status=_SCHEDULED,
    ),
)
CANCEL_TIMERS = Statement(
    "cancel_timers",
    update(timers)
    .where(
        and_(
            timers.c.order_id == _b("order_id"),
            timers.c.state == _b("state"),
            timers.c.status == _SCHEDULED,
        )
    )
    .values(status=constant(TimerStatus.CANCELLED)),
)
CANCEL_TRIGGER_TIMERS = Statement(
    "cancel_trigger_timers",
    update(timers)
    .where(
        and_(
            timers.c.order_id == _b("order_id"),
            timers.c.state == _b("state"),
            timers.c.trigger == _b("trigger"),
            timers.c.status == _SCHEDULED,
        )
    )
    .values(status=constant(TimerStatus.CANCELLED)),
)
TIMER_BY_ID = Statement("timer_by_id", select(*TIMER_COLUMNS).where(timers.c.id == _b("id")))
CANCEL_TIMER = Statement(
    "cancel_timer",
    update(timers)
    .where(and_(timers.c.id == _b("id"), timers.c.status == _SCHEDULED))
    .values(status=constant(TimerStatus.CANCELLED), note=_b("note")),
)
FINISH_TIMER = Statement(
    "finish_timer", update(timers).where(timers.c.id == _b("id")).values(status=_b("status"), note=_b("note"))
)
_due = (
    select(timers.c.id)
    .where(and_(timers.c.status == _SCHEDULED, timers.c.due_at <= _b("now"), claimable(timers)))
    .order_by(timers.c.due_at, timers.c.id)
    .limit(_b("limit"))
    .offset(_b("offset"))
)
DUE_TIMER_IDS = Statement("due_timer_ids", _due)
# PostgreSQL: racing workers skip the rows another one is claiming instead of waiting.
DUE_TIMER_IDS_LOCKED = Statement("due_timer_ids_locked", _due.with_for_update(skip_locked=True))
CLAIM_TIMER = Statement(
    "claim_timer",
    update(timers)
    .where(and_(timers.c.id == _b("id"), timers.c.status == _SCHEDULED, claimable(timers)))
    .values(claimed_by=_b("worker"), claimed_at=_b("now")),
)
FIRE_TIMER = Statement(
    "fire_timer", update(timers).where(_HELD).values(status=constant(TimerStatus.FIRED), note=null())
)
NOTE_TIMER = Statement("note_timer", update(timers).where(_HELD).values(note=_b("note")))
ORDER_TIMERS = Statement(
    "order_timers", select(*TIMER_COLUMNS).where(timers.c.order_id == _b("order_id")).order_by(timers.c.id)
)
_BY_ORDERS_CHUNK = 100  # orders whose timers are read in one statement at most


@cache
def scheduled_timers_of(count: int) -> Statement:
    """The scheduled timers of ``count`` orders (``:order_0`` …), by the order index: a page's rows.
    Unsorted: sorted by their due time, the planner would walk the due index of every order's timers."""
    wanted = timers.c.order_id.in_([_b(f"order_{i}") for i in range(count)])
    return Statement(
        f"scheduled_timers_of({count})",
        select(*TIMER_COLUMNS).where(wanted, timers.c.status == _SCHEDULED),
    )


RELEASE_TIMER_CLAIMS = Statement(
    "release_timer_claims",
    update(timers)
    .where(and_(timers.c.status == _SCHEDULED, timers.c.claimed_by == _b("worker")))
    .values(claimed_by=null(), claimed_at=null()),
)


class TimerQueue(TxCore):
    """The timers of a transaction."""

    def schedule_timer(
        self, *, order_id: int, state: str, trigger: str, reason: str | None, due_at: datetime
    ) -> None:
        self.run(
            INSERT_TIMER,
            {
                "order_id": order_id,
                "state": state,
                "trigger": trigger,
                "reason": reason,
                "due_at": self.ts(due_at),
            },
        )

    def cancel_timers(self, order_id: int, state: str) -> int:
        """Cancel the scheduled timers an order holds in ``state`` (the order left it)."""
        return int(self.run(CANCEL_TIMERS, {"order_id": order_id, "state": state}).rowcount)

    def cancel_timer(self, timer_id: int, note: str) -> bool:
        """Cancel one scheduled timer (its moment moved, a new one is scheduled), saying why in ``note``;
        False when it is no longer scheduled."""
        return bool(self.run(CANCEL_TIMER, {"id": timer_id, "note": note}).rowcount == 1)

    def cancel_trigger_timers(self, order_id: int, state: str, trigger: str) -> int:
        """Cancel the scheduled timers of ``trigger`` an order holds in ``state`` (what they would do
        is done, the order still there)."""
        params = {"order_id": order_id, "state": state, "trigger": trigger}
        return int(self.run(CANCEL_TRIGGER_TIMERS, params).rowcount)

    def _timer(self, r: Sequence[Any]) -> TimerRow:
        return TimerRow(
            id=r[0],
            order_id=r[1],
            state=r[2],
            trigger=r[3],
            reason=r[4],
            due_at=self._time(r[5]),
            status=TimerStatus(r[6]),
            claimed_by=r[7],
            note=r[8],
        )

    def timer(self, timer_id: int) -> TimerRow | None:
        row = self.run(TIMER_BY_ID, {"id": timer_id}).fetchone()
        return None if row is None else self._timer(row)

    def order_timers(self, order_id: int) -> list[TimerRow]:
        return [self._timer(r) for r in self.run(ORDER_TIMERS, {"order_id": order_id}).fetchall()]

    def scheduled_timers(self, order_ids: Sequence[int]) -> list[TimerRow]:
        """The scheduled timers of the orders ``order_ids`` (a page's), soonest due first; one statement
        per ``_BY_ORDERS_CHUNK`` orders, each read by ``ix_timers_order_id``."""
        found: list[TimerRow] = []
        for start in range(0, len(order_ids), _BY_ORDERS_CHUNK):
            chunk = order_ids[start : start + _BY_ORDERS_CHUNK]
            params = {f"order_{i}": order_id for i, order_id in enumerate(chunk)}
            found.extend(self._timer(r) for r in self.run(scheduled_timers_of(len(chunk)), params).fetchall())
        return sorted(found, key=lambda timer: (timer.due_at, timer.id))

    def finish_timer(self, timer_id: int, status: TimerStatus, note: str | None = None) -> None:
        """Set a claimed timer's final status, whatever it was (only its claiming worker calls this);
        ``note`` says why, where leaving its state is not the whole story. A status that is not a
        :class:`TimerStatus` raises ``ValueError`` before anything is written."""
        self.run(FINISH_TIMER, {"id": timer_id, "status": TimerStatus(status).value, "note": note})

    def note_timer(self, timer_id: int, worker_id: str, note: str) -> bool:
        """Keep why a timer could not fire on it, leaving it scheduled and claimed by ``worker_id`` (so
        it is tried again once the claim's lease runs out); False when the worker no longer holds it."""
        return bool(self.run(NOTE_TIMER, {"id": timer_id, "worker": worker_id, "note": note}).rowcount == 1)

    def fire_timer(self, timer_id: int, worker_id: str) -> bool:
        """Mark a timer fired if it is still scheduled and claimed by ``worker_id``; False otherwise.

        Called in the transaction that fires the timer's transition, so the two commit together. On
        PostgreSQL the update locks the row: a worker that reclaimed the timer after a lapsed lease
        waits here and then finds it no longer scheduled.
        """
        return bool(self.run(FIRE_TIMER, {"id": timer_id, "worker": worker_id}).rowcount == 1)

    def claim_due_timers(
        self, worker_id: str, now: datetime, limit: int, lease: timedelta = DEFAULT_LEASE
    ) -> list[int]:
        """Claim up to ``limit`` due timers for ``worker_id``; each timer is claimed by one worker only.

        A claim older than ``lease`` (its worker died or hangs) may be taken over by another worker.
        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so racing workers take disjoint rows.
        SQLite: a conditional ``UPDATE ... WHERE claimed_by IS NULL OR claimed_at <= :stale`` each.
        """
        return self._claim(DUE_TIMER_IDS, DUE_TIMER_IDS_LOCKED, CLAIM_TIMER, worker_id, now, limit, lease)

    def release_timer_claims(self, worker_id: str) -> int:
        """Let go of the timers ``worker_id`` claimed and has not fired; how many."""
        return int(self.run(RELEASE_TIMER_CLAIMS, {"worker": worker_id}).rowcount)


__all__ = ["TIMER_COLUMNS", "TimerQueue", "TimerRow"]
