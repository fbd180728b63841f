"""The moments timers fire at (``at: order.return_by``): read from the order when it enters the timer's
state, and again after each step that leaves it there, so that a moment the step moved is the timer's
due time. A moment that is none (an empty field), or that cannot be read as one, sets no timer; the
order page says why (:func:`unset_moments`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.common.text import Text
from engine.dsl.spec import TimerSpec
from engine.rules.expr import ExpressionEvaluationError, compile_expression, moment_value
from engine.runtime.compiled import CompiledVersion
from engine.store import TimerRow, Tx
from engine.store.statuses import TimerStatus


@dataclass(frozen=True)
class Moment:
    """What a timer's ``at`` gave: its moment, or None and why (``why``: in words, None when it gave
    nothing at all)."""

    due_at: datetime | None
    why: Text | None = None


def timer_moment(timer: TimerSpec, env: Mapping[str, Any]) -> Moment:
    """The moment ``timer`` fires at, its ``at`` evaluated over ``env`` (a condition's names)."""
    assert timer.at is not None
    try:
        return Moment(moment_value(timer.at, compile_expression(timer.at)(env)))
    except ExpressionEvaluationError as error:
        return Moment(None, Text(error.message("zh"), error.message("en")))


def moved_moments(
    tx: Tx,
    cv: CompiledVersion,
    order_id: int,
    states: Iterable[str],
    env: Mapping[str, Any],
    timers: Sequence[TimerRow],
) -> None:
    """After a step that left the order in ``states``: each of their ``at`` timers read again, and where
    its moment moved the scheduled one cancelled and one due at the new moment scheduled (none when the
    moment is none now). ``timers`` are the order's timers as they were before the step."""
    for state in states:
        for timer in cv.timers.get(state, ()):
            if timer.at is None:
                continue
            due = timer_moment(timer, env).due_at
            scheduled = [
                row
                for row in timers
                if row.status == TimerStatus.SCHEDULED
                and (row.state, row.trigger, row.reason) == (state, timer.trigger, timer.reason)
            ]
            if due is not None and any(row.due_at == due for row in scheduled):
                continue
            for row in scheduled:
                tx.cancel_timer(row.id, f"its moment moved: {timer.at}")
            if due is not None:
                tx.schedule_timer(
                    order_id=order_id, state=state, trigger=timer.trigger, reason=timer.reason, due_at=due
                )


def unset_moments(
    cv: CompiledVersion, states: Iterable[str], env: Mapping[str, Any], timers: Sequence[TimerRow]
) -> list[tuple[str, TimerSpec, Moment]]:
    """The ``at`` timers of ``states`` (the order's) that run on no scheduled timer, each with what its
    moment gives now: why it set none."""
    found = []
    for state in states:
        for timer in cv.timers.get(state, ()):
            if timer.at is None or any(
                row.status == TimerStatus.SCHEDULED
                and (row.state, row.trigger, row.reason) == (state, timer.trigger, timer.reason)
                for row in timers
            ):
                continue
            found.append((state, timer, timer_moment(timer, env)))
    return found
