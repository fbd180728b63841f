"""Workers: the due timers fired and the outbox handed to its sender, by ``orderloom worker``.

Each timer fires in a transaction of its own, through the same ``Commands.fire_in`` as a person's
step; the outbox is delivered by ``engine.runtime.outbox``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from engine.dsl.spec import APPROVAL_TIMEOUT
from engine.errors import ConflictError, EngineError, TransitionRejected
from engine.runtime import outbox
from engine.runtime.actor import SYSTEM
from engine.runtime.approvals import Approvals
from engine.runtime.commands import Commands, StepRequest
from engine.runtime.compiled import active_paths, split
from engine.runtime.decisions import LiveOrder, read_records
from engine.runtime.outbox import DispatchReport, RetryPolicy
from engine.runtime.parts import Parts, retried
from engine.runtime.results import TimerReport, UnfiredTimer
from engine.runtime.timer_conditions import timer_holds
from engine.store.statuses import TimerStatus


class Workers:
    """What a worker process runs: timers and the outbox."""

    def __init__(self, parts: Parts, commands: Commands, approvals: Approvals) -> None:
        self.parts = parts
        self.commands = commands
        self.approvals = approvals

    def fire_due_timers(self, worker_id: str, limit: int, lease: timedelta) -> TimerReport:
        """Fire the due timers this worker claims; the report says how many fired and which could not.

        A claim lasts ``lease``: a timer claimed by a worker that died is
        taken over by another once the claim is older than that. It still fires at most once: the
        timer is marked fired, only if still scheduled and claimed by this worker, in the same
        transaction as its transition. A timer whose state the order has left, or whose condition
        no longer holds, is cancelled. A timer whose order changed under it stays claimed and is
        tried again when its lease runs out. So does one that cannot fire for a reason of its own (its
        order or workflow version stored in a shape this OrderLoom cannot read, written by a newer
        one; any other ``EngineError``): nothing of its fire is written, the error is kept in its note
        and in the report (``UnfiredTimer``), and the other timers go on. It is not cancelled: a worker
        that reads it (the newer OrderLoom, during a rolling upgrade) fires it once the lease lapses.
        """
        now = self.parts.clock.now()
        with self.parts.store.transaction() as tx:
            claimed = tx.claim_due_timers(worker_id, now, limit, lease)
        report = TimerReport()
        for timer_id in claimed:
            try:
                report.fired += self.fire_timer(timer_id, worker_id, now)
            except ConflictError:
                continue
            except EngineError as error:
                with self.parts.store.transaction() as tx:
                    tx.note_timer(timer_id, worker_id, f"not fired: {error}")
                report.unfired.append(UnfiredTimer(timer_id, error))
        return report

    @retried
    def fire_timer(self, timer_id: int, worker_id: str, now: datetime) -> bool:
        with self.parts.store.transaction() as tx:
            timer = tx.timer(timer_id)
            if timer is None:
                return False
            # The order first (locked on PostgreSQL, as every step locks it before anything else), then
            # the timer marked (and its row locked): leaving the timer's state must not cancel it, and a
            # worker that took the timer over after this one's lease lapsed finds it fired.
            row = tx.load_order(timer.order_id)
            assert row is not None  # an order's timers go with it
            if not tx.fire_timer(timer_id, worker_id):
                return False
            if timer.state not in active_paths(split(row.state)):
                tx.finish_timer(timer_id, TimerStatus.CANCELLED)
                return False
            if timer.trigger == APPROVAL_TIMEOUT:  # an approval's timeout: remind, approve, return, escalate
                try:
                    with tx.connection.begin_nested():
                        done = self.approvals.timeout_in(tx, row, timer)
                except TransitionRejected as rejected:
                    tx.finish_timer(timer_id, TimerStatus.CANCELLED, f"not taken: {rejected}")
                    return False
                if not done:
                    tx.finish_timer(timer_id, TimerStatus.CANCELLED, "the approval was decided")
                return done
            cv = self.parts.compiled(tx, row.workflow, row.version)
            if (timer.state, timer.trigger, timer.reason) in cv.timer_conditions:
                live = read_records(tx, cv, LiveOrder.from_row(row))  # a condition may read them
                judged = timer_holds(tx, cv, live, timer, now)
                if judged is not None and not judged[0]:
                    tx.finish_timer(timer_id, TimerStatus.CANCELLED, judged[1])
                    return False
            try:
                # A savepoint: an action refused after another one wrote leaves none of its writes.
                with tx.connection.begin_nested():
                    step = StepRequest(row.id, timer.trigger, SYSTEM, {}, row.lock_version, timer.reason)
                    self.commands.fire_in(tx, step, row)
            except TransitionRejected:
                tx.finish_timer(timer_id, TimerStatus.CANCELLED)
                return False
            return True

    # -- outbox

    def dispatch_outbox(
        self,
        worker_id: str,
        send: Callable[[str, Any], None],
        limit: int,
        lease: timedelta,
        policy: RetryPolicy,
        stop: Callable[[], bool] | None = None,
    ) -> DispatchReport:
        """Hand the pending messages this worker claims, earliest due first, to ``send(topic, payload)``.

        A message is marked sent only after ``send`` returned. When it raises, the attempt and its error
        are recorded and the message is put off by ``policy`` (doubling, capped), dead after
        its last attempt or at once when ``send`` raised ``Undeliverable``; ``Unreachable`` also gives
        the rest of the batch back untried (engine/runtime/outbox.py), and so does ``stop()`` turning
        true (the worker is stopping). Delivery is at least once: a
        worker that dies between sending and marking leaves the claim to lapse, and the message is sent
        again, so receivers deduplicate on the payload.
        """
        return outbox.dispatch(
            self.parts.store,
            self.parts.clock,
            worker_id,
            send,
            limit=limit,
            lease=lease,
            policy=policy,
            stop=stop,
        )

    def release_claims(self, worker_id: str) -> tuple[int, int]:
        """A worker stopping in good order lets go of the timers and messages it claimed and did not
        finish, so that others take them now rather than after the lease: (timers, messages)."""
        with self.parts.store.transaction() as tx:
            return tx.release_claims(worker_id)
