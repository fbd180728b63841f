"""A timer's condition (``when:``) judged as the worker judges it when the timer falls due: on the
order and its records as they are, as the system, at ``now``. The worker fires the timer only if it
holds then; the order page and my work say beforehand whether it holds now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from engine.common.list_keys import LOOKUPS
from engine.rules.expr import ExpressionEvaluationError
from engine.runtime.actor import SYSTEM
from engine.runtime.compiled import CompiledVersion
from engine.runtime.decisions import LiveOrder, condition_env
from engine.runtime.named_lists import StepLookups
from engine.store import Tx
from engine.store.statuses import TimerStatus
from engine.store.timer_queue import TimerRow


def timer_condition_holds(condition: Any, env: Mapping[str, Any]) -> tuple[bool, str | None]:
    """Whether a due timer's ``when`` holds, and a note when it could not be evaluated at all.

    An evaluation failure (a field of the wrong kind, a date that does not parse) counts as "does
    not hold": the timer is cancelled with the error as its note, and the other timers go on.
    """
    try:
        return bool(condition(env)), None
    except ExpressionEvaluationError as error:
        return False, f"condition could not be evaluated: {error}"


def timer_holds(
    tx: Tx, cv: CompiledVersion, live: LiveOrder, timer: TimerRow, now: datetime
) -> tuple[bool, str | None] | None:
    """Whether ``timer``'s condition holds on ``live`` (read with its records) at ``now``, and the note
    when it could not be evaluated; None for a timer with no condition (it fires whatever holds)."""
    condition = cv.timer_conditions.get((timer.state, timer.trigger, timer.reason))
    if condition is None:
        return None
    env = condition_env(live, SYSTEM, {}, now)
    env[LOOKUPS] = StepLookups(tx, live.department, live.id, env["order"], now)
    return timer_condition_holds(condition, env)


def timers_holding(
    tx: Tx, cv: CompiledVersion, live: LiveOrder, timers: Iterable[TimerRow], now: datetime
) -> dict[int, bool]:
    """Of the scheduled timers with a condition, by their ids: whether each holds now."""
    found: dict[int, bool] = {}
    for timer in timers:
        judged = timer_holds(tx, cv, live, timer, now) if timer.status == TimerStatus.SCHEDULED else None
        if judged is not None:
            found[timer.id] = judged[0]
    return found
