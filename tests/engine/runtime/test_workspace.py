"""My work, the review queues and claims (engine/runtime/workspace.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.errors import ConflictError, Forbidden, NotFound, RefusalCode, TransitionRejected
from engine.runtime import Actor, Engine
from engine.runtime.workspace import (
    CLAIM_TRIGGERS,
    BadCursor,
    ClaimConflict,
    ClaimFilter,
    MyWork,
    OrdersSection,
    QueuesSection,
    WorkCursor,
    WorkItem,
)
from engine.store import Store
from engine.store.tables import users
from tests.engine.runtime.conftest import FIXTURES, make_engine

WORK = FIXTURES / "workspace"
CLERK = Actor("zhang.san", frozenset({"clerk"}), frozenset({"retail"}))
AUDITOR = Actor("li.si", frozenset({"auditor"}), frozenset({"retail"}))
AUDITOR_TOO = Actor("wang.wu", frozenset({"auditor"}), frozenset({"retail"}))
WAREHOUSE = Actor("chen.qi", frozenset({"warehouse"}), frozenset({"retail"}))
ELSEWHERE = Actor("zhao.liu", frozenset({"clerk", "auditor", "warehouse"}), frozenset({"wholesale"}))
NO_STEP = Actor("qian.ba", frozenset({"viewer"}), frozenset({"retail"}))
PEOPLE = {"zhang.san": "张三", "li.si": "李四", "wang.wu": "王五", "chen.qi": "陈七"}


@pytest.fixture
def work(store: Store, clock: FrozenClock) -> Engine:
    engine = make_engine(store, clock)
    path = WORK / "workflows" / "work-order.yaml"
    engine.publish(load_bundle(path, WORK, action_names={}, workflows={}))
    with store.transaction() as tx:
        tx.connection.execute(
            insert(users),
            [
                {
                    "name": name,
                    "display_name": shown,
                    "password_hash": "-",
                    "roles": [],
                    "departments": ["retail"],
                    "active": True,
                    "created_at": clock.now(),
                }
                for name, shown in PEOPLE.items()
            ],
        )
    return engine


def order(engine: Engine, *steps: tuple[str, Actor], total: int = 10) -> int:
    """A new work order taken through ``steps``; its id."""
    created = engine.create_order(CLERK, "retail", "work-order", data={"total": total})
    for trigger, actor in steps:
        engine.fire(created.id, trigger, actor)
    return created.id


IN_REVIEW = (("pay", CLERK),)
READY = (*IN_REVIEW, ("approve", AUDITOR))
FULFILLING = (*READY, ("start", WAREHOUSE))


def section(found: MyWork, department: str = "retail") -> OrdersSection:
    sections = [s for s in found.sections if isinstance(s, OrdersSection) and s.department == department]
    assert len(sections) == 1, found.sections
    return sections[0]


def ids(items: tuple[WorkItem, ...]) -> list[int]:
    return [item.order.id for item in items]


def test_my_work_lists_the_orders_in_which_the_person_may_take_a_step_now(work: Engine) -> None:
    paying = order(work)
    reviewing = order(work, *IN_REVIEW)
    ready = order(work, *READY)
    fulfilling = order(work, *FULFILLING)
    order(work, *FULFILLING, ("pack", WAREHOUSE), ("issue", CLERK), ("ship", WAREHOUSE))  # done

    clerk = section(work.my_work(CLERK))
    assert set(ids(clerk.items)) == {paying, fulfilling}  # the invoice region of the parallel state is theirs
    assert clerk.count == 2
    by_id = {item.order.id: item for item in clerk.items}
    assert [s.trigger for s in by_id[paying].steps] == ["pay", "cancel"]
    assert [s.trigger for s in by_id[fulfilling].steps] == ["issue"]
    assert ids(section(work.my_work(AUDITOR)).items) == [reviewing]
    assert set(ids(section(work.my_work(WAREHOUSE)).items)) == {ready, fulfilling}


def test_a_join_not_yet_reached_is_not_work_and_a_reached_one_is(work: Engine) -> None:
    packed = order(work, *FULFILLING, ("pack", WAREHOUSE))
    found = work.my_work(WAREHOUSE)  # the invoice still waits: nothing is the warehouse's
    assert [s for s in found.sections if isinstance(s, OrdersSection)] == []
    work.fire(packed, "issue", CLERK)
    found = {item.order.id: item for item in section(work.my_work(WAREHOUSE)).items}
    assert [s.trigger for s in found[packed].steps] == ["ship"]


def test_another_departments_person_and_a_role_without_a_step_see_none(work: Engine) -> None:
    order(work)
    order(work, *IN_REVIEW)
    order(work, *READY)
    for actor in (ELSEWHERE, NO_STEP):
        found = work.my_work(actor)
        assert [s for s in found.sections if isinstance(s, OrdersSection)] == []
        queues = [s for s in found.sections if isinstance(s, QueuesSection)]
        assert queues == [QueuesSection(())] if actor is ELSEWHERE else len(queues) == 1


def test_an_order_a_guard_holds_back_is_shown_waiting_with_the_reason(work: Engine) -> None:
    small = order(work, *READY, total=10)
    large = order(work, *READY, total=5000)
    found = {item.order.id: item for item in section(work.my_work(WAREHOUSE)).items}
    assert [s.trigger for s in found[small].steps] == ["start"] and found[small].waiting == ()
    assert found[large].steps == ()
    [reason] = found[large].waiting
    assert reason.zh == "金额满 1000 元的订单由主管发货"
    assert reason.en == "an order of 1000 yuan or more is shipped by a supervisor"


def test_oldest_in_their_state_first_a_page_at_a_time_by_keyset(work: Engine, clock: FrozenClock) -> None:
    made = []
    for _ in range(5):
        made.append(order(work))
        clock.advance(minutes=1)
    reviewing_early = made[0]
    work.fire(reviewing_early, "pay", CLERK)  # left the clerk's state: no longer theirs
    clock.advance(minutes=1)
    first = section(work.my_work(CLERK, limit=2))
    assert ids(first.items) == made[1:3]
    assert first.next is not None
    newcomer = order(work)  # arrives between two pages: pages already read do not shift
    second = section(work.my_work(CLERK, department="retail", after=first.next, limit=2))
    assert ids(second.items) == made[3:5]
    third = section(work.my_work(CLERK, department="retail", after=second.next, limit=2))
    assert ids(third.items) == [newcomer] and third.next is None
    again = WorkCursor.parse(first.next.token())
    assert again == first.next


def test_a_page_address_gives_back_the_very_microsecond_it_was_made_of() -> None:
    for micros in (0, 1, 999_999, 1_780_000_000_123_457, 253_402_300_799_999_999):
        since = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
        cursor = WorkCursor(since, 42)
        assert cursor.token() == f"{micros}-42"
        assert WorkCursor.parse(cursor.token()) == cursor


def test_a_page_address_no_page_gave_out_is_refused_in_both_languages() -> None:
    for text in ("x", "12", "-3", "1-2-9", "９-1", "9" * 30 + "-1", "999999999999999999-1"):
        with pytest.raises(BadCursor) as refused:
            WorkCursor.parse(text)
        assert "after=" in str(refused.value) and "after=" in refused.value.message("zh")


def test_a_self_loop_keeps_the_time_in_the_state_a_step_elsewhere_resets_it(
    work: Engine, clock: FrozenClock
) -> None:
    reviewing = order(work, *IN_REVIEW)
    entered = clock.now()
    clock.advance(hours=2)
    work.claim(reviewing, AUDITOR)
    work.fire(reviewing, "note", AUDITOR)
    [item] = section(work.my_work(AUDITOR)).items
    assert item.since == entered
    assert item.assignee is not None and item.assignee.name == "李四"  # a step that stays keeps the claim
    clock.advance(minutes=5)
    work.fire(reviewing, "approve", AUDITOR)
    [ready] = section(work.my_work(WAREHOUSE)).items
    assert ready.since == clock.now() and ready.assignee is None  # a change of state lets the claim go


def test_orders_claimed_come_first_and_the_filters_mine_and_unassigned(
    work: Engine, clock: FrozenClock
) -> None:
    made = []
    for _ in range(4):
        made.append(order(work, *IN_REVIEW))
        clock.advance(minutes=1)
    work.claim(made[2], AUDITOR)
    work.claim(made[1], AUDITOR_TOO)
    found = section(work.my_work(AUDITOR))
    assert ids(found.items) == [made[2], made[0], made[1], made[3]]
    assert found.items[0].mine and found.items[0].assignee is not None
    other = found.items[2].assignee
    assert other is not None and (other.login, other.name) == ("wang.wu", "王五")
    assert ids(section(work.my_work(AUDITOR, claims=ClaimFilter.MINE)).items) == [made[2]]
    assert ids(section(work.my_work(AUDITOR, claims=ClaimFilter.UNASSIGNED)).items) == [made[0], made[3]]


def test_a_sections_counts_are_what_its_filter_lists_on_every_page(work: Engine, clock: FrozenClock) -> None:
    made = []
    for _ in range(5):
        made.append(order(work, *IN_REVIEW))
        clock.advance(minutes=1)
    ready = order(work, *READY)  # the auditor has no step in it: not his work
    work.claim(made[2], AUDITOR)
    work.claim(made[1], AUDITOR_TOO)
    place = ("work-order", "review")
    every = section(work.my_work(AUDITOR, limit=2))
    assert len(every.items) == 3 and every.count == 5 and every.counts == {place: 5}  # his claim, then 2
    mine = section(work.my_work(AUDITOR, claims=ClaimFilter.MINE))
    assert ids(mine.items) == [made[2]] and mine.count == 1 and mine.counts == {place: 1}
    nobodys = section(work.my_work(AUDITOR, claims=ClaimFilter.UNASSIGNED, limit=2))
    assert len(nobodys.items) == 2 and nobodys.count == 3 and nobodys.counts == {place: 3}
    later = section(
        work.my_work(AUDITOR, claims=ClaimFilter.UNASSIGNED, department="retail", after=nobodys.next)
    )
    assert ids(later.items) == [made[4]] and later.count == 3
    assert ready not in ids(every.items)


def test_claim_release_and_take_over_each_leave_an_audit_event(work: Engine) -> None:
    reviewing = order(work, *IN_REVIEW)
    before = work.get_order(reviewing, AUDITOR)
    claimed = work.claim(reviewing, AUDITOR)
    assert claimed.mine and claimed.assignee is not None and claimed.assignee.name == "李四"
    assert work.claim(reviewing, AUDITOR) == work.claim_view(reviewing, AUDITOR)  # again: nothing more
    with pytest.raises(ClaimConflict) as held:
        work.claim(reviewing, AUDITOR_TOO)
    assert held.value.holder.name == "李四" and held.value.holder.since is not None
    assert "李四" in held.value.message("zh") and "李四" in str(held.value)
    with pytest.raises(ClaimConflict):  # a take-over names the holder it saw: another is refused again
        work.claim(reviewing, AUDITOR_TOO, take_over_from="someone.else")
    with pytest.raises(Forbidden):  # only the holder lets it go
        work.release(reviewing, AUDITOR_TOO)
    taken = work.claim(reviewing, AUDITOR_TOO, take_over_from="li.si")
    assert taken.assignee is not None and taken.assignee.login == "wang.wu"
    view = work.claim_view(reviewing, AUDITOR)
    assert not view.mine and view.may_claim and view.assignee is not None
    released = work.release(reviewing, AUDITOR_TOO)
    assert released.assignee is None
    events = [e for e in work.history(reviewing, AUDITOR) if e.trigger in CLAIM_TRIGGERS]
    assert [(e.trigger, e.actor, e.reason) for e in events] == [
        ("work.claim", "li.si", None),
        ("work.take_over", "wang.wu", "li.si"),
        ("work.release", "wang.wu", None),
    ]
    assert all(e.from_state == e.to_state == "review" and e.data_changes == {} for e in events)
    after = work.get_order(reviewing, AUDITOR)
    assert (after.state, after.data) == (before.state, before.data)
    assert after.lock_version == before.lock_version + 3  # each event has its own seq
    work.fire(reviewing, "approve", AUDITOR)  # the step sees the order as it is now


def test_only_a_person_with_a_step_claims_and_only_in_their_departments(work: Engine) -> None:
    reviewing = order(work, *IN_REVIEW)
    with pytest.raises(Forbidden) as refused:
        work.claim(reviewing, CLERK)  # the review is the auditors'
    assert "zhang.san" in str(refused.value) and refused.value.message("zh") != str(refused.value)
    with pytest.raises(NotFound):
        work.claim(reviewing, ELSEWHERE)
    assert not work.claim_view(reviewing, CLERK).may_claim


def test_a_claim_after_a_change_the_claimer_did_not_see_is_a_conflict(work: Engine, store: Store) -> None:
    reviewing = order(work, *IN_REVIEW)
    with store.transaction() as tx:
        row = tx.load_order(reviewing)
        assert row is not None
        assert not tx.set_assignee(
            reviewing, expected_lock_version=row.lock_version - 1, holder=None, assignee="li.si", at=None
        )
        assert not tx.set_assignee(
            reviewing, expected_lock_version=row.lock_version, holder="x", assignee="li.si", at=None
        )
    assert work.claim_view(reviewing, AUDITOR).assignee is None


def test_two_people_racing_for_an_order_one_claims_it_the_other_is_told_who(work: Engine) -> None:
    for _ in range(3):
        reviewing = order(work, *IN_REVIEW)
        barrier = threading.Barrier(2)
        results: dict[str, Any] = {}

        def race(
            actor: Actor, order_id: int = reviewing, barrier: Any = barrier, results: Any = results
        ) -> None:
            barrier.wait()
            try:
                results[actor.name] = work.claim(order_id, actor)
            except ConflictError as error:
                results[actor.name] = error

        threads = [threading.Thread(target=race, args=(a,)) for a in (AUDITOR, AUDITOR_TOO)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [name for name, r in results.items() if not isinstance(r, Exception)]
        lost = [r for r in results.values() if isinstance(r, Exception)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], ClaimConflict) and lost[0].holder.login == won[0]
        holder = work.claim_view(reviewing, AUDITOR).assignee
        assert holder is not None and holder.login == won[0]
        claims = [e for e in work.history(reviewing, AUDITOR) if e.trigger in CLAIM_TRIGGERS]
        assert len(claims) == 1


def test_queues_with_their_counts_and_the_oldest_order_and_its_page(work: Engine, clock: FrozenClock) -> None:
    first = order(work, *IN_REVIEW)
    entered = clock.now()
    clock.advance(minutes=30)
    second = order(work, *IN_REVIEW)
    order(work)
    [queues] = [s for s in work.my_work(AUDITOR).sections if isinstance(s, QueuesSection)]
    [queue] = queues.queues
    [theirs] = [s for s in work.my_work(CLERK).sections if isinstance(s, QueuesSection)]
    assert theirs.queues == ()  # the clerk takes no step in it: not on their work, though its page opens
    assert (queue.department, queue.name, queue.count, queue.oldest) == ("retail", "risk-review", 2, entered)
    assert [label.en for label in queue.labels] == ["In review"]
    page = work.queue_page(CLERK, "retail", "risk-review")
    assert ids(page.items) == [first, second]
    assert page.items[0].steps == ()  # a clerk sees the queue, the auditors take its steps
    one = work.queue_page(CLERK, "retail", "risk-review", limit=1)
    assert ids(one.items) == [first] and one.next is not None
    rest = work.queue_page(CLERK, "retail", "risk-review", after=one.next, limit=1)
    assert ids(rest.items) == [second] and rest.next is None
    # each state's count is its orders on every page, not the page's one
    assert one.counts == rest.counts == {("work-order", "review"): 2}
    with pytest.raises(NotFound):
        work.queue_page(ELSEWHERE, "retail", "risk-review")
    with pytest.raises(NotFound):
        work.queue_page(CLERK, "retail", "no-such-queue")
    work.fire(first, "approve", AUDITOR)
    [queues] = [s for s in work.my_work(AUDITOR).sections if isinstance(s, QueuesSection)]
    assert (queues.queues[0].count, queues.queues[0].oldest) == (1, entered + timedelta(minutes=30))


# -- assigning (指派) ----------------------------------------------------------------------------


def with_roles(store: Store, **roles: list[str]) -> None:
    with store.transaction() as tx:
        for name, given in roles.items():
            tx.connection.execute(update(users).where(users.c.name == name).values(roles=given))


def test_an_order_assigned_is_the_colleagues_with_an_event_naming_them(work: Engine, store: Store) -> None:
    with_roles(store, **{"li.si": ["auditor"], "wang.wu": ["auditor"]})
    first, second = order(work, *IN_REVIEW), order(work, *IN_REVIEW)
    lock = work.get_order(first, AUDITOR).lock_version
    given = work.workspace.assign(first, AUDITOR, "wang.wu", lock)
    assert (given.login, given.name) == ("wang.wu", "王五")
    assert work.get_order(first, AUDITOR).assignee == "wang.wu"
    event = [e for e in work.history(first, AUDITOR) if e.trigger in CLAIM_TRIGGERS]
    assert [(e.trigger, e.actor, e.reason, e.from_state, e.to_state) for e in event] == [
        ("work.assign", "li.si", "wang.wu", "review", "review")
    ]
    page = work.order_page(first, AUDITOR)
    assert [page.actions[e.id].zh for e in page.history][-1] == "指派给 王五"
    shown = section(work.my_work(AUDITOR_TOO))
    assert [item.order.id for item in shown.items][:1] == [first] and shown.items[0].mine
    assert {item.order.id for item in shown.items} == {first, second}
    again = work.workspace.assign(first, AUDITOR, "wang.wu", lock + 1)  # theirs already: nothing written
    assert again.login == "wang.wu" and work.get_order(first, AUDITOR).lock_version == lock + 1


def test_an_assignment_is_refused_with_why_and_writes_nothing(work: Engine, store: Store) -> None:
    with_roles(store, **{"li.si": ["auditor"], "zhang.san": ["clerk"]})
    with store.transaction() as tx:
        tx.connection.execute(
            insert(users).values(
                name="zhao.liu",
                display_name="赵六",
                password_hash="-",
                roles=["auditor"],
                departments=["wholesale"],
                active=True,
                created_at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )
    reviewing = order(work, *IN_REVIEW)
    lock = work.get_order(reviewing, AUDITOR).lock_version
    cases = {
        ("zhang.san", AUDITOR): (RefusalCode.ROLE, "张三 has no step to take in “In review”"),
        ("zhao.liu", AUDITOR): (RefusalCode.DEPARTMENT, "赵六 does not work in department"),
        ("nobody", AUDITOR): (RefusalCode.DEPARTMENT, "no active user nobody"),
        ("li.si", CLERK): (RefusalCode.ROLE, "has no step of yours in “In review”"),
    }
    for (to, actor), (code, words) in cases.items():
        with pytest.raises(TransitionRejected) as refused:
            work.workspace.assign(reviewing, actor, to, lock)
        assert refused.value.refusals[0].code == code and words in refused.value.refusals[0].en
    with pytest.raises(ConflictError, match="changed since the page was drawn"):
        work.workspace.assign(reviewing, AUDITOR, "li.si", lock - 1)
    with pytest.raises(NotFound):
        work.workspace.assign(reviewing, ELSEWHERE, "li.si", lock)
    assert work.get_order(reviewing, AUDITOR).assignee is None
    assert work.get_order(reviewing, AUDITOR).lock_version == lock
