"""A due timer whose ``when`` cannot be evaluated is cancelled with a note; the other timers still run."""

from __future__ import annotations

import pytest

from engine.clock import FrozenClock
from engine.runtime import Engine
from engine.store import Store
from tests.engine.runtime.conftest import CLERK, bundle


@pytest.fixture
def dated(engine: Engine) -> Engine:
    engine.publish(bundle("dated-order"))
    return engine


def order(engine: Engine, delivered_at: str) -> int:
    data = {"customer": "王五", "delivered_at": delivered_at}
    return engine.create_order(CLERK, "retail", "dated-order", None, data).id


def timers(store: Store, order_id: int) -> list[tuple[str, str | None]]:
    with store.read() as tx:
        return [(t.status, t.note) for t in tx.order_timers(order_id)]


def test_an_unparsable_date_cancels_its_timer_with_a_note_and_the_others_fire(
    dated: Engine, clock: FrozenClock, store: Store
) -> None:
    before = order(dated, "2025-12-31T09:00:00+08:00")
    broken = order(dated, "last tuesday")
    after = order(dated, "2025-12-31T09:00:00Z")
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 2
    assert dated.get_order(before, CLERK).state == "closed"
    assert dated.get_order(after, CLERK).state == "closed"
    assert dated.get_order(broken, CLERK).state == "delivered"
    [(status, note)] = timers(store, broken)
    assert status == "cancelled"
    assert note is not None and note.startswith("condition could not be evaluated: ")
    assert "days_since() needs an ISO-8601 date" in note and "'last tuesday'" in note
    assert timers(store, before) == [("fired", None)]
    assert [e.trigger for e in dated.history(broken, CLERK)] == ["create"]  # nothing fired, no event
    clock.advance(days=1)
    assert dated.run_due_timers("w1") == 0  # cancelled for good, not retried


def test_a_condition_that_does_not_hold_is_cancelled_without_a_note(
    dated: Engine, clock: FrozenClock, store: Store
) -> None:
    late = order(dated, "2026-01-05T09:00:00+00:00")  # delivered after the order was created
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 0
    assert timers(store, late) == [("cancelled", None)]


@pytest.mark.parametrize(
    "moment",
    [
        "2025-12-31t09:00:00z",
        "2025-12-31T09:00:00z",
        "2025-12-31t09:00:00+08:00",
        "2025-12-31T09:00:00.123456789-05:30",
        "2025-12-31T09:00:00-00:00",
    ],
)
def test_every_rfc3339_form_of_a_date_counts(
    dated: Engine, clock: FrozenClock, store: Store, moment: str
) -> None:
    order_id = order(dated, moment)
    clock.advance(days=7)
    assert dated.run_due_timers("w1") == 1
    assert timers(store, order_id) == [("fired", None)]
