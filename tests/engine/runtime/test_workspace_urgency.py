"""My work puts what is urgent first (engine/runtime/workspace.py ``Urgency``), on SQLite and PostgreSQL:
the orders a timer presses, soonest due first, then those nothing presses, oldest first, the same again
where the person may only cancel, then those that move on by themselves (an ``expected`` timer); keyset
pages across the ranks; a claim never moves its state's orders up; each row with its timer."""

from __future__ import annotations

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Actor, Engine
from engine.runtime.workspace import ASIDE_FREE, FREE, LATER, BadCursor, WorkCursor, WorkItem
from engine.store import Store
from tests.engine.runtime.conftest import make_engine
from tests.engine.runtime.test_workspace import WORK, section

CLERK = Actor("zhang.san", frozenset({"clerk"}), frozenset({"retail"}))


@pytest.fixture
def timed(store: Store, clock: FrozenClock) -> Engine:
    engine = make_engine(store, clock)
    path = WORK / "workflows" / "timed-order.yaml"
    engine.publish(load_bundle(path, WORK, action_names={}, workflows={}))
    return engine


def placed(engine: Engine, clock: FrozenClock, *steps: str) -> int:
    """A new timed order taken through ``steps``, a minute after the one before."""
    clock.advance(minutes=1)
    order_id = engine.create_order(CLERK, "retail", "timed-order", data={"total": 10}).id
    for trigger in steps:
        engine.fire(order_id, trigger, CLERK)
    return order_id


def kinds(items: tuple[WorkItem, ...]) -> list[tuple[int, str, bool]]:
    return [(item.order.id, item.order.state, item.later) for item in items]


def orders_of_each(engine: Engine, clock: FrozenClock) -> tuple[list[int], list[int], list[int]]:
    """Two delivered orders (the oldest), two in review, then two unpaid ones (the newest)."""
    delivered = [placed(engine, clock, "pay", "deliver") for _ in range(2)]
    reviewed = [placed(engine, clock, "pay") for _ in range(2)]
    unpaid = [placed(engine, clock) for _ in range(2)]
    return delivered, reviewed, unpaid


def test_the_unpaid_its_timer_cancels_come_first_the_delivered_last(
    timed: Engine, clock: FrozenClock
) -> None:
    delivered, reviewed, unpaid = orders_of_each(timed, clock)
    found = section(timed.my_work(CLERK))
    assert kinds(found.items) == [
        *((i, "pending_payment", False) for i in unpaid),  # the soonest due first
        *((i, "review", False) for i in reviewed),  # nothing presses: oldest first
        *((i, "delivered", True) for i in delivered),  # they complete by themselves: apart, last
    ]
    first, last = found.items[0], found.items[-1]
    assert first.due is not None and first.due.trigger == "cancel"
    assert first.due.step.en == "Cancel" and first.due.reason is not None
    assert first.due.reason.en == "cancelled: unpaid in time"
    assert last.due is not None and last.due.trigger == "complete"
    assert found.items[2].due is None  # in review: no timer runs


def test_an_unpaid_order_placed_later_is_due_later_than_one_placed_before(
    timed: Engine, clock: FrozenClock
) -> None:
    earlier = placed(timed, clock)
    later = placed(timed, clock)
    assert [item.order.id for item in section(timed.my_work(CLERK)).items] == [earlier, later]


def test_pages_go_on_from_one_rank_to_the_next_by_keyset(timed: Engine, clock: FrozenClock) -> None:
    delivered, reviewed, unpaid = orders_of_each(timed, clock)
    pages = []
    after = None
    while True:
        found = section(timed.my_work(CLERK, department="retail", after=after, limit=4))
        pages.append([item.order.id for item in found.items])
        if found.next is None:
            break
        assert WorkCursor.parse(found.next.token()) == found.next
        after = found.next
    assert pages == [[*unpaid, *reviewed], delivered]
    three = section(timed.my_work(CLERK, department="retail", limit=3))  # a page ends inside a rank
    assert [item.order.id for item in three.items] == [*unpaid, reviewed[0]]
    assert three.next is not None and three.next.rank == FREE
    on = section(timed.my_work(CLERK, department="retail", after=three.next, limit=3))
    assert [item.order.id for item in on.items] == [reviewed[1], *delivered]
    newcomer = placed(timed, clock)  # unpaid, so before all of them, after the first pages were read
    rest = section(timed.my_work(CLERK, department="retail", after=after, limit=4))
    assert [item.order.id for item in rest.items] == delivered  # the pages read do not shift
    assert section(timed.my_work(CLERK)).items[2].order.id == newcomer


def test_a_rank_no_page_gives_out_is_refused() -> None:
    assert WorkCursor.parse(f"12-3-{LATER}") == WorkCursor(WorkCursor.parse("12-3").since, 3, LATER)
    with pytest.raises(BadCursor):
        WorkCursor.parse("12-3-7")


WAREHOUSE = Actor("wu.gang", frozenset({"warehouse"}), frozenset({"retail"}))


@pytest.fixture
def aside(timed: Engine) -> Engine:
    path = WORK / "workflows" / "aside-order.yaml"
    timed.publish(load_bundle(path, WORK, action_names={}, workflows={}))
    return timed


def taken(engine: Engine, clock: FrozenClock, *steps: tuple[Actor, str]) -> int:
    """A new order of aside-order taken through ``steps``, a minute after the one before."""
    clock.advance(minutes=1)
    order_id = engine.create_order(CLERK, "retail", "aside-order", data={}).id
    for actor, trigger in steps:
        engine.fire(order_id, trigger, actor)
    return order_id


def places(items: tuple[WorkItem, ...]) -> list[str]:
    """The states of the rows in their order, each once (a group of the page)."""
    found: list[str] = []
    for item in items:
        if item.order.state not in found:
            found.append(item.order.state)
    return found


def test_orders_waiting_on_the_person_come_before_those_they_may_only_cancel(
    aside: Engine, clock: FrozenClock
) -> None:
    shipping = [taken(aside, clock, (CLERK, "pay")) for _ in range(2)]  # the oldest: the clerk may cancel
    stocked = taken(aside, clock, (WAREHOUSE, "backorder"))  # a timer cancels it; the clerk may cancel
    back = taken(aside, clock, (CLERK, "pay"), (WAREHOUSE, "send_back"))  # returned: the clerk corrects
    unpaid = taken(aside, clock)  # the clerk takes the payment, a timer cancels it
    found = section(aside.my_work(CLERK))
    assert [item.order.id for item in found.items] == [unpaid, back, stocked, *shipping]
    assert found.items[2].due is not None and found.items[2].due.trigger == "cancel"
    pages = []
    after = None
    while True:  # keyset pages of two go through the ranks in the same order
        page = section(aside.my_work(CLERK, department="retail", after=after, limit=2))
        pages.append([item.order.id for item in page.items])
        if page.next is None:
            break
        after = page.next
    assert pages == [[unpaid, back], [stocked, shipping[0]], [shipping[1]]]
    assert WorkCursor.parse(f"1-{shipping[0]}-{ASIDE_FREE}").rank == ASIDE_FREE


def test_a_claim_does_not_move_its_states_orders_up(aside: Engine, clock: FrozenClock) -> None:
    shipping = [taken(aside, clock, (CLERK, "pay")) for _ in range(3)]
    unpaid = [taken(aside, clock) for _ in range(2)]
    aside.claim(shipping[1], CLERK)
    found = section(aside.my_work(CLERK))
    assert places(found.items) == ["pending_payment", "pending_shipment"]
    assert [item.order.id for item in found.items] == [*unpaid, shipping[1], shipping[0], shipping[2]]
    assert found.items[2].mine and not found.items[3].mine
