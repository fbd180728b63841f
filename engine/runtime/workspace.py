"""My work (我的工作): the orders in which a person may take a step now, the review queues of their
departments, and claims (认领): an order taken in hand, let go, or taken over.

Where to look is worked out from the published versions, not from the orders: the kept counts
(``order_state_counts``, exact as read) name every stored state that holds orders in the person's
departments (a parallel order's joined leaves included), and a (workflow, state) is work for the person
when, in some published version of the workflow, a step that is not automatic leaves that state, its
roles are the person's, and (for a step out of a parallel state) every region is done. Only those
states' orders are read, each by index (``engine.store.workspace``), the most urgent first
(``Urgency``: those a timer of their state presses, soonest due first; then those nothing presses,
oldest in their state first; the same again for the states where the person's only steps end the order,
a cancel; then those waiting for an ``expected`` timer, their steps optional; a claim moves an order
first among those of its state, never its state before a more urgent one), a
page at a time after the last one shown (keyset pagination: a state's timer is due a fixed delay after
entering it, so its orders stay one range of the state index). Each row says when its soonest timer
moves it by itself (the page's timers read in one statement).

Each order shown is then judged as the order page judges it (``queries.offered``): the steps the
person may take now, or, when a guard that the order alone decides says no to all of them, why it
waits ("waiting: the amount is not yet paid"). Such an order is shown, marked as waiting with its
reason, not left out: a page of a keyset never shrinks, and the person sees why it is not theirs yet.

The page is a list of sections (one of orders per department, then the queues): another kind of work
(approval tasks) is one more kind of section.

A claim names the person handling the order (处理人), shown to everyone who sees it. Only a person who
may act on the order (a step whose roles they have leaves its state) claims it; an order someone else
holds is refused (``ClaimConflict``: who and since when) unless taken over on purpose, naming the
holder seen (if the holder changed meanwhile, that is refused again). Only the holder lets it go. Each
is an audit event that changes neither the state nor the data (``CLAIM_TRIGGERS``); a change of the
order's state lets the claim go (the next step is someone else's to claim).

Assigning (指派) gives an order to a colleague of its department: the one who assigns may act on the
order (as a claim or a take-over asks: whoever may take it over may as well hand it on), and so may the
one it is given to (else it would not be their work). It is the same write as a take-over, with the
lock version the page was drawn with (an order changed meanwhile, a claim included, is refused), and an
audit event of its own (``work.assign``, the assignee's login as its reason). The assignee finds it first
among the orders of its state in my work, with the orders they claimed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar, Literal

from engine.common.text import Text
from engine.common.words import term
from engine.dsl.spec import ALL_DEPARTMENTS, APPROVAL_TIMEOUT, ASSIGN_TRIGGER, WorkflowSpec
from engine.errors import (
    ConflictError,
    EngineError,
    Forbidden,
    NotFound,
    Refusal,
    RefusalCode,
    TransitionRejected,
)
from engine.rules.ruleset import HOLD
from engine.runtime.actor import Actor
from engine.runtime.commands import load_order
from engine.runtime.compiled import (
    CompiledTransition,
    CompiledVersion,
    StateConfig,
    active_paths,
    split,
    state_words,
)
from engine.runtime.decisions import LiveOrder, Moving, read_records, role_refusal
from engine.runtime.order_why import (
    RunningTimer,
    decision_why,
    hidden_operands,
    money_names,
    order_operands,
    running_timers,
    version_labels,
)
from engine.runtime.parts import Parts
from engine.runtime.queries import offered
from engine.runtime.records import due_transitions, record_views
from engine.runtime.results import Assignee, ClaimView, OrderView, RecordStep, TriggerInfo, order_view
from engine.runtime.timer_conditions import timers_holding
from engine.store import OrderRow, Tx
from engine.store.reports import read_state_counts
from engine.store.statuses import TimerStatus
from engine.store.timer_queue import TimerRow
from engine.store.users import is_api_login, people_of, user_named
from engine.store.workspace import ClaimFilter

__all__ = [
    "CLAIM_TRIGGERS",
    "ApprovalItem",
    "ApprovalsSection",
    "AssignChoice",
    "AssignPage",
    "Assignee",
    "BadCursor",
    "ClaimConflict",
    "ClaimFilter",
    "ClaimView",
    "MyWork",
    "OrdersSection",
    "Queue",
    "QueuePage",
    "QueuesSection",
    "RecordOffer",
    "Urgency",
    "WorkCursor",
    "WorkItem",
    "WorkSection",
    "Workspace",
]

# The audit trail's name of each claim event: a workflow's triggers never hold a dot.
CLAIM = "work.claim"
RELEASE = "work.release"
TAKE_OVER = "work.take_over"
ASSIGN = ASSIGN_TRIGGER
CLAIM_TRIGGERS = frozenset({CLAIM, RELEASE, TAKE_OVER, ASSIGN})
APPROVALS_SHOWN = 50  # approval tasks on my work's first page, oldest first
MY_CLAIMS_SHOWN = 50  # claimed orders listed first in a department's section, at most
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class BadCursor(EngineError):
    """A page's ``after`` that no page of my work gave out."""


@dataclass(frozen=True)
class WorkCursor:
    """Where a page of orders ends: the last order's urgency (``rank``, as ``Urgency`` ranks it), its
    time on that rank's clock (when its soonest timer fires, else when it entered its state) and its id."""

    since: datetime
    id: int
    rank: int = 0

    @property
    def key(self) -> tuple[datetime, int]:
        return (self.since, self.id)

    def token(self) -> str:
        micros = (self.since - _EPOCH) // _MICROSECOND  # exact: a float would round some away
        return f"{micros}-{self.id}" + (f"-{self.rank}" if self.rank else "")

    @classmethod
    def parse(cls, text: str) -> WorkCursor:
        """A token of ``token()``; ``BadCursor`` (zh and en) for anything else."""
        micros, _, rest = text.partition("-")
        number, _, rank = rest.partition("-")
        if not (micros.isascii() and micros.isdigit() and number.isascii() and number.isdigit()):
            raise cls._bad(text)
        if len(micros) > 18 or len(number) > 18 or rank not in ("", *(str(r) for r in RANKS)):
            raise cls._bad(text)
        try:
            since = _EPOCH + int(micros) * _MICROSECOND
        except OverflowError:
            raise cls._bad(text) from None
        return cls(since, int(number), int(rank or 0))

    @staticmethod
    def _bad(text: str) -> BadCursor:
        shown = text if len(text) <= 40 else text[:39] + "…"
        return BadCursor(
            f"the page address 'after={shown}' is not one this list gave out; open the first page again",
            zh=f"页面地址中的 after={shown} 不是此列表给出的位置；请重新打开第一页",
        )


# The ranks of my work's orders, most urgent first: those waiting on the person (a step of theirs
# moves the order on), a timer's first; then those where the person may only end the order (cancel),
# a timer's first; then those that move on by themselves.
PRESSED, FREE, ASIDE_PRESSED, ASIDE_FREE, LATER = 0, 1, 2, 3, 4
RANKS = (PRESSED, FREE, ASIDE_PRESSED, ASIDE_FREE, LATER)
_ASIDE = {PRESSED: ASIDE_PRESSED, FREE: ASIDE_FREE}


@dataclass(frozen=True)
class Urgency:
    """How urgent the orders of a (workflow, state) are, as my work lists them: ``PRESSED`` where a
    timer of the state fires (a cancel of the unpaid), soonest first; ``FREE`` where none does, oldest
    in their state first; the same again (``ASIDE_PRESSED``, ``ASIDE_FREE``) after them where the
    person's only steps end the order (a cancel: the order waits on someone else); ``LATER`` where the
    order waits for a timer of its own that is how it is meant to leave (``expected: true``, the
    automatic receipt), the person's steps there optional.
    ``delay``: from entering the state to the soonest such timer (a timer is due ``after`` from entry,
    so within a state the soonest due is the longest there: one index range still reads them)."""

    rank: int
    delay: timedelta = timedelta(0)


def urgency_of(cv: CompiledVersion, state: str, actor: Actor | None = None) -> Urgency:
    """The urgency of the orders of ``cv`` in the stored ``state`` (a parallel state's joined leaves):
    its timers' and its ancestors' (an approval's timeout aside: the approvers are reminded); set
    aside for ``actor`` when their only steps there end the order (``only_ends``)."""
    found = _timed(cv, state)
    if actor is not None and found.rank in _ASIDE and only_ends(cv, actor, split(state)):
        return Urgency(_ASIDE[found.rank], found.delay)
    return found


def only_ends(cv: CompiledVersion, actor: Actor, config: StateConfig) -> bool:
    """The person's steps out of ``config`` all take the order to a final state (a cancel) and no
    record step of theirs is due there: the order does not wait on them, someone else moves it on."""
    if due_transitions(cv, config, actor):
        return False
    theirs = _steps_of(cv, actor, config)
    return bool(theirs) and all(cv.ends(ct) for ct in theirs)


def _timed(cv: CompiledVersion, state: str) -> Urgency:
    """The urgency the timers of the stored ``state`` give its orders."""
    found = [
        timer
        for path in active_paths(split(state))
        for timer in cv.timers.get(path, ())
        if timer.trigger != APPROVAL_TIMEOUT
    ]
    # a timer at a moment the order holds (``at:``) is due whenever that is: counted as due on entry,
    # so its orders come oldest in the state first among the pressed
    pressing = [timer.after_seconds or 0 for timer in found if not timer.expected]
    if pressing:
        return Urgency(PRESSED, timedelta(seconds=min(pressing)))
    awaited = [timer.after_seconds or 0 for timer in found if timer.expected]
    if awaited:
        return Urgency(LATER, timedelta(seconds=min(awaited)))
    return Urgency(FREE)


@dataclass(frozen=True)
class WorkItem:
    """An order of my work: the steps the person may take on it now, or why it waits."""

    order: OrderView
    spec: WorkflowSpec
    since: datetime | None  # when it entered its state
    steps: tuple[TriggerInfo, ...]  # the steps the person may take now
    waiting: tuple[Refusal, ...]  # why none can be taken now (empty when ``steps`` or ``record_steps`` are)
    assignee: Assignee | None
    mine: bool  # claimed by the person reading
    record_steps: tuple[RecordOffer, ...] = ()  # the steps the person may take now on its records
    due: RunningTimer | None = None  # its soonest timer, when one runs (what it does, when)
    later: bool = False  # it moves on by itself (``Urgency`` LATER): the person's steps are optional
    # why a rule held it where it is (``hold``): the reasons of the rules that held it, as its page says
    held: Text | None = None

    @property
    def refused(self) -> bool:
        """Every step of the person's on it is refused now (it only says why it waits): not their work
        yet, so set apart and left out of the counts."""
        return bool(self.waiting) and not self.steps and not self.record_steps


@dataclass(frozen=True)
class RecordOffer:
    """A step a person may take now on one of an order's child records (taken on the order's page)."""

    kind: str
    kind_label: Text
    number: int
    step: RecordStep


@dataclass(frozen=True)
class OrdersSection:
    """A department's orders in which the person may take a step, the most urgent first (``Urgency``),
    those they claimed first among the orders of their state (all on the first page); ``next``: where
    the next page starts."""

    kind: ClassVar[Literal["orders"]] = "orders"
    department: str
    # orders the filter lists in the states that are the person's work (all: the kept counts), less the
    # rows read whose every step of the person's is refused (``WorkItem.refused``)
    count: int
    items: tuple[WorkItem, ...]
    next: WorkCursor | None
    # (workflow, stored state) -> the orders the filter lists in it, on every page: a group's own count
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Queue:
    """A review queue a published workflow declares (``queue:`` on states) in a department."""

    department: str
    name: str
    labels: tuple[Text, ...]  # of its states, as the newest versions name them
    count: int
    oldest: datetime | None  # when its longest-waiting order entered its state


@dataclass(frozen=True)
class QueuesSection:
    """The queues holding a step or an approval of the person's; ``others``: the rest of their
    departments' queues, where nothing is theirs to do (the page says so rather than that none is
    declared)."""

    kind: ClassVar[Literal["queues"]] = "queues"
    queues: tuple[Queue, ...]
    others: tuple[Queue, ...] = ()


@dataclass(frozen=True)
class ApprovalItem:
    """An approval task the person may sign now (theirs by name, or their role's), with its order."""

    task_id: int
    order: OrderView
    spec: WorkflowSpec
    since: datetime  # when the task arrived
    deadline: datetime | None
    by_role: str | None  # the role it is asked of (None: the person by name)
    # why the order waits for approval: the reasons of the rules that sent it into the approval's state
    # (a credit hold's, with the amounts they compared; the approval table's row), None when no rule did
    why: Text | None = None


@dataclass(frozen=True)
class ApprovalsSection:
    """The approval tasks waiting for the person, oldest first (engine.runtime.approvals)."""

    kind: ClassVar[Literal["approvals"]] = "approvals"
    items: tuple[ApprovalItem, ...]


WorkSection = ApprovalsSection | OrdersSection | QueuesSection


@dataclass(frozen=True)
class MyWork:
    sections: tuple[WorkSection, ...]
    claims: ClaimFilter
    now: datetime


@dataclass(frozen=True)
class QueuePage:
    """A queue's orders, oldest in their state first."""

    queue: Queue
    items: tuple[WorkItem, ...]
    next: WorkCursor | None
    now: datetime
    # (workflow, stored state) -> the queue's orders in it, on every page: a group's own count
    counts: Mapping[tuple[str, str], int] = field(default_factory=dict)


class ClaimConflict(ConflictError):
    """The order is held by someone else (``holder``): taking it needs a take-over on purpose."""

    def __init__(self, order_id: int, holder: Assignee) -> None:
        self.order_id = order_id
        self.holder = holder
        since = holder.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if holder.since else "?"
        super().__init__(
            f"order #{order_id} is being handled by {holder.name} since {since}; take it over to handle it",
            zh=f"订单 #{order_id} 已由 {holder.name} 自 {since} 起处理；如需处理请接手",
        )


@dataclass(frozen=True)
class AssignChoice:
    """An order selected to be assigned: who handles it now, and why the person may not assign it
    (empty: they may)."""

    order: OrderView
    spec: WorkflowSpec
    holder: Assignee | None
    refusals: tuple[Refusal, ...]


@dataclass(frozen=True)
class AssignPage:
    """The orders selected to be assigned (of the first one's department; the others say why not), the
    numbers of those not found, and the department's people who may act on one of them at least."""

    department: str | None
    orders: tuple[AssignChoice, ...]
    missing: tuple[int, ...]
    people: tuple[Assignee, ...]


# (department, workflow, stored state) -> how many orders are in it
_Place = tuple[str, str, str]


class Workspace:
    """My work, the queues and claims (the ``Engine`` facade hands these calls here)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    # -- reads ---------------------------------------------------------------------------------

    def my_work(
        self,
        actor: Actor,
        *,
        claims: ClaimFilter = ClaimFilter.ANY,
        department: str | None = None,
        after: WorkCursor | None = None,
        limit: int = 30,
    ) -> MyWork:
        """The person's work in one read: a section per department of theirs that has some (only
        ``department``'s, from ``after``, when a later page of it is asked for), then the queues of
        their departments in which they have a step (on the first page)."""
        now = self.parts.clock.now()
        with self.parts.store.read() as tx:
            counts = read_state_counts(tx, actor.scope)
            versions = _Versions(self.parts, tx, actor)
            places = _work_places(versions, actor, counts)
            sections: list[WorkSection] = []
            if department is None:  # the first page: the approvals waiting for the person first
                sections.append(ApprovalsSection(self._approvals(tx, versions, actor)))
            names = sorted(places) if department is None else [department] if department in places else []
            for name in names:
                sections.append(self._section(tx, versions, actor, name, places[name], claims, after, limit))
            if department is None:
                queues = _queues(tx, versions, counts, actor.scope)[0]
                mine = [_a_step_in_queue(tx, versions, actor, q) for q in queues]
                sections.append(
                    QueuesSection(
                        tuple(q for q, ours in zip(queues, mine, strict=True) if ours),
                        tuple(q for q, ours in zip(queues, mine, strict=True) if not ours),
                    )
                )
            return MyWork(tuple(sections), claims, now)

    def _approvals(self, tx: Tx, versions: _Versions, actor: Actor) -> tuple[ApprovalItem, ...]:
        tasks = [
            task for task, _, _ in tx.open_tasks_for(actor.name, actor.roles, actor.scope, APPROVALS_SHOWN)
        ]
        rows = tx.load_orders([task.order_id for task in tasks])  # in one statement
        # the rule decisions that sent each order into its approval's state, in one read
        entered = {
            row.id: (row.state, row.state_since) for row in rows.values() if row.state_since is not None
        }
        decided = tx.entered_by_rules(entered) if entered else {}
        items = []
        for task in tasks:
            row = rows.get(task.order_id)
            cv = versions.get(row.workflow, row.version) if row is not None else None
            if row is None or cv is None:
                continue
            by_role = task.approver if task.approver_kind == "role" else None
            why = decided_reason(cv, decided.get(row.id), actor)
            items.append(
                ApprovalItem(task.id, order_view(row), cv.spec, task.created_at, task.deadline, by_role, why)
            )
        return tuple(items)

    def queue_page(
        self, actor: Actor, department: str, name: str, *, after: WorkCursor | None = None, limit: int = 30
    ) -> QueuePage:
        """The orders of ``department``'s queue ``name``, oldest in their state first. ``NotFound`` when
        no published workflow of the person's departments declares it."""
        now = self.parts.clock.now()
        with self.parts.store.read() as tx:
            counts = read_state_counts(tx, actor.scope) if actor.in_department(department) else {}
            versions = _Versions(self.parts, tx)
            queues, places = _queues(tx, versions, counts, actor.scope)
            queue = next((q for q in queues if (q.department, q.name) == (department, name)), None)
            if queue is None:
                raise NotFound(
                    f"no queue {name} in department {department}",
                    zh=f"部门 {department} 没有队列 {name}",
                )
            paged = _page(tx, places[(department, name)], versions.urgency, after=after, limit=limit + 1)
            rows = [row for row, _ in paged]
            items = self._items(tx, versions, actor, rows[:limit], keep_unactionable=True)
        more = len(rows) > limit
        sizes = {
            (workflow, state): counts.get((d, workflow, state), 0)
            for d, workflow, state in places[(department, name)]
        }
        return QueuePage(queue, tuple(items), paged[limit - 1][1] if more else None, now, sizes)

    def claim_view(self, order_id: int, actor: Actor) -> ClaimView:
        """Who holds the order and whether the reader may claim it. ``NotFound`` outside their
        departments."""
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            return claim_view_in(tx, self.parts.compiled(tx, row.workflow, row.version), row, actor)

    # -- claims --------------------------------------------------------------------------------

    def claim(self, order_id: int, actor: Actor, *, take_over_from: str | None = None) -> ClaimView:
        """The order claimed by ``actor``; with ``take_over_from``, taken over from that holder.
        ``Forbidden`` when the actor may not act on it, ``ClaimConflict`` when someone else holds it
        (another than ``take_over_from``), ``NotFound`` outside their departments."""
        return self.parts.store.retrying(lambda: self._claim(order_id, actor, take_over_from))

    def _claim(self, order_id: int, actor: Actor, take_over_from: str | None) -> ClaimView:
        now = self.parts.clock.now()
        with self.parts.store.transaction() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            if not _may_act(cv, row, actor):
                raise Forbidden(
                    f"order #{order_id} has no step for {actor.name} in its state: only a person who may "
                    "take a step on it claims it",
                    zh=f"订单 #{order_id} 当前状态下没有 {actor.name} 可执行的操作：只有可处理它的人才能认领",
                )
            if row.assignee == actor.name:
                return ClaimView(order_id, _assignee(tx, row), True, True)
            if row.assignee is not None and row.assignee != take_over_from:
                holder = _assignee(tx, row)
                assert holder is not None
                raise ClaimConflict(order_id, holder)
            trigger = CLAIM if row.assignee is None else TAKE_OVER
            self._write(tx, row, actor, holder=row.assignee, assignee=actor.name, at=now, trigger=trigger)
            shown = tx.display_names_of([actor.name]).get(actor.name, actor.name)
            return ClaimView(order_id, Assignee(actor.name, shown, now), True, True)

    def release(self, order_id: int, actor: Actor) -> ClaimView:
        """The order let go by its holder. ``Forbidden`` when someone else holds it (they let it go, or
        it is taken over); nothing happens when nobody does."""
        return self.parts.store.retrying(lambda: self._release(order_id, actor))

    def _release(self, order_id: int, actor: Actor) -> ClaimView:
        now = self.parts.clock.now()
        with self.parts.store.transaction() as tx:
            row = load_order(tx, order_id, actor)
            may = _may_act(self.parts.compiled(tx, row.workflow, row.version), row, actor)
            if row.assignee is None:
                return ClaimView(order_id, None, may, False)
            if row.assignee != actor.name:
                holder = _assignee(tx, row)
                assert holder is not None
                raise Forbidden(
                    f"order #{order_id} is handled by {holder.name}: only they may unclaim it",
                    zh=f"订单 #{order_id} 由 {holder.name} 处理：只有处理人本人可以放弃认领",
                )
            self._write(tx, row, actor, holder=actor.name, assignee=None, at=now, trigger=RELEASE)
            return ClaimView(order_id, None, may, False)

    @staticmethod
    def _write(
        tx: Tx,
        row: OrderRow,
        actor: Actor,
        *,
        holder: str | None,
        assignee: str | None,
        at: datetime,
        trigger: str,
    ) -> None:
        if not tx.set_assignee(
            row.id,
            expected_lock_version=row.lock_version,
            holder=holder,
            assignee=assignee,
            at=at if assignee is not None else None,
        ):
            raise ConflictError(
                f"order #{row.id} was changed by someone else; reload it and try again",
                zh=f"订单 #{row.id} 已被他人修改；请刷新后重试",
            )
        tx.insert_audit(
            order_id=row.id,
            seq=row.lock_version + 1,
            at=at,
            actor=actor.name,
            trigger=trigger,
            from_state=row.state,
            to_state=row.state,
            data_changes={},
            guards=[],
            rules=None,
            # whom it was taken from, or given to
            reason=holder if trigger == TAKE_OVER else assignee if trigger == ASSIGN else None,
        )

    # -- assigning -----------------------------------------------------------------------------

    def assign_page(self, order_ids: Sequence[int], actor: Actor) -> AssignPage:
        """The orders of ``order_ids`` as the assign page shows them, read in one transaction."""
        choices: list[AssignChoice] = []
        missing: list[int] = []
        department: str | None = None
        with self.parts.store.read() as tx:
            rows = []
            for order_id in dict.fromkeys(order_ids):
                try:
                    rows.append(load_order(tx, order_id, actor))
                except NotFound:
                    missing.append(order_id)
            holders = tx.display_names_of({row.assignee for row in rows if row.assignee is not None})
            acting: list[tuple[CompiledVersion, OrderRow]] = []
            for row in rows:
                cv = self.parts.compiled(tx, row.workflow, row.version)
                department = department or row.department
                refusals = _assign_refusals(cv, row, actor, department)
                if not refusals:
                    acting.append((cv, row))
                holder = None
                if row.assignee is not None:
                    holder = Assignee(row.assignee, holders.get(row.assignee, row.assignee), row.assigned_at)
                choices.append(AssignChoice(order_view(row), cv.spec, holder, refusals))
            people = tuple(
                Assignee(user.name, user.display_name, None, tuple(user.roles))
                for user in (people_of(tx, department) if department is not None else ())
                if any(
                    _may_act(cv, row, _actor_of(user.name, user.roles, user.departments))
                    for cv, row in acting
                )
            )
        return AssignPage(department, tuple(choices), tuple(missing), people)

    def assign(self, order_id: int, actor: Actor, to: str, expected_lock_version: int) -> Assignee:
        """The order given to the user ``to`` by ``actor``, in one transaction, where its lock version is
        still ``expected_lock_version``. ``TransitionRejected`` says why not (the actor or ``to`` may not
        act on it, ``to`` is not of its department), ``ConflictError`` that it changed meanwhile,
        ``NotFound`` that it is outside the actor's departments. Given to the one who holds it already,
        nothing is written."""
        return self.parts.store.retrying(lambda: self._assign(order_id, actor, to, expected_lock_version))

    def _assign(self, order_id: int, actor: Actor, to: str, expected_lock_version: int) -> Assignee:
        now = self.parts.clock.now()
        with self.parts.store.transaction() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            if row.lock_version != expected_lock_version:
                holder = _assignee(tx, row)
                where = state_text(cv, row.state)
                by_zh = f"，现由 {holder.name} 处理" if holder is not None else ""
                by_en = f", handled by {holder.name}" if holder is not None else ""
                raise ConflictError(
                    f"order #{order_id} changed since the page was drawn (now: {where.en}{by_en}); "
                    "reload it and choose again",
                    zh=f"订单 #{order_id} 在页面打开后已被修改（现为「{where.zh}」{by_zh}）；"
                    "请刷新后重新选择",
                )
            refusals = _assign_refusals(cv, row, actor, row.department)
            if refusals:
                raise TransitionRejected(refusals)
            user = user_named(tx, to)
            if user is None or not user.active:
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.DEPARTMENT,
                            f"没有可用的用户 {to}",
                            f"no active user {to}",
                            {"user": to},
                        )
                    ]
                )
            if is_api_login(tx, user.name):
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.ROLE,
                            f"{user.display_name} 是接口登录，不是人：订单不能指派给其处理",
                            f"{user.display_name} is an API login, not a person: the order cannot be theirs",
                            {"user": to},
                        )
                    ]
                )
            if ALL_DEPARTMENTS not in user.departments and row.department not in user.departments:
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.DEPARTMENT,
                            f"{user.display_name} 不在部门 {term('department', row.department, 'zh')}，"
                            "不能指派给其处理",
                            f"{user.display_name} does not work in department "
                            f"{term('department', row.department, 'en')}: the order cannot be theirs",
                            {"user": to},
                        )
                    ]
                )
            if not _may_act(cv, row, _actor_of(user.name, user.roles, user.departments)):
                where = state_text(cv, row.state)
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.ROLE,
                            f"{user.display_name} 在「{where.zh}」没有可执行的操作，不能指派给其处理",
                            f"{user.display_name} has no step to take in “{where.en}”: the order cannot "
                            "be theirs",
                            {"user": to},
                        )
                    ]
                )
            given = Assignee(user.name, user.display_name, now)
            if row.assignee == user.name:
                return Assignee(user.name, user.display_name, row.assigned_at)
            self._write(tx, row, actor, holder=row.assignee, assignee=user.name, at=now, trigger=ASSIGN)
            return given

    # -- sections ------------------------------------------------------------------------------

    def _section(
        self,
        tx: Tx,
        versions: _Versions,
        actor: Actor,
        department: str,
        places: Mapping[tuple[str, str], int],
        claims: ClaimFilter,
        after: WorkCursor | None,
        limit: int,
    ) -> OrdersSection:
        key = after.key if after is not None else None
        first: list[OrderRow] = []
        if claims is ClaimFilter.MINE or (claims is ClaimFilter.ANY and after is None):
            # Mine first: read by the assignee's index, kept where they are the person's work here.
            budget = limit + 1 if claims is ClaimFilter.MINE else MY_CLAIMS_SHOWN
            first = [
                row
                for row in tx.claimed_by(
                    actor.name, department, after=key if claims is ClaimFilter.MINE else None, limit=budget
                )
                if (row.workflow, row.state) in places  # a claim outlives a role taken away
            ]
        rest: list[tuple[OrderRow, WorkCursor]] = []
        if claims is not ClaimFilter.MINE:
            wanted = ClaimFilter.NOT_MINE if claims is ClaimFilter.ANY else claims
            stored = [(department, w, s) for w, s in sorted(places)]
            rest = _page(
                tx, stored, versions.urgency, after=after, limit=limit + 1, claims=wanted, me=actor.name
            )
        next_at: WorkCursor | None
        if claims is ClaimFilter.MINE:
            rows = first[: limit + 1]
            more = len(first) > limit
            next_at = _cursor(first[limit - 1]) if more else None
        else:
            # a claim does not move its state's orders up: each where its urgency puts it, the
            # person's own first among the orders of their state
            rows = _claimed_first_in_place(first, [row for row, _ in rest[:limit]], versions.urgency)
            more = len(rest) > limit
            next_at = rest[limit - 1][1] if more else None
        shown = rows if claims is not ClaimFilter.MINE else rows[:limit]
        items = self._items(tx, versions, actor, shown, keep_unactionable=False)
        counts = dict(places)  # every order of the states: the kept counts
        if claims in (ClaimFilter.MINE, ClaimFilter.UNASSIGNED):  # only those the filter lists
            where = sorted(places)
            counted = tx.claimed_counts([(department, w, s) for w, s in where], claims, actor.name)
            counts = dict(zip(where, counted, strict=True))
        # a row on which every step of the person's is refused is not work: not counted
        for item in items:
            if item.refused:
                place = (item.order.workflow, item.order.state)
                counts[place] = max(counts.get(place, 0) - 1, 0)
        return OrdersSection(
            department,
            sum(counts.values()),
            tuple(items),
            next_at,
            counts,
        )

    def _items(
        self, tx: Tx, versions: _Versions, actor: Actor, rows: Sequence[OrderRow], *, keep_unactionable: bool
    ) -> list[WorkItem]:
        now = self.parts.clock.now()
        people = tx.display_names_of({row.assignee for row in rows if row.assignee is not None})
        compiled = {row.id: versions.get(row.workflow, row.version) for row in rows}
        # the records of the page's orders whose versions declare some, in one read: their guards and
        # record steps read them
        held = tx.records_of_orders([row.id for row in rows if _declares_records(compiled[row.id])])
        timers: dict[int, list[TimerRow]] = defaultdict(list)
        for timer in tx.scheduled_timers([row.id for row in rows]):  # in one read: each row's due time
            timers[timer.order_id].append(timer)
        # the rule decisions that held rows where they are (an audit rule set's ``hold``), in one read
        holding = {
            row.id: (row.state, row.state_since)
            for row in rows
            if row.state_since is not None
            and (cv := compiled[row.id]) is not None
            and _held_states(cv).intersection(split(row.state))
        }
        decided = tx.entered_by_rules(holding) if holding else {}
        items = []
        for row in rows:
            cv = compiled[row.id]
            if cv is None:
                continue
            live = read_records(tx, cv, LiveOrder.from_row(row), held.get(row.id, []))
            offers: tuple[RecordOffer, ...] = ()
            record_waiting: list[Refusal] = []
            if cv.records:
                offers, record_waiting = _record_work(Moving(tx, cv, live, now), actor)
            infos = offered(cv, live, actor, now, self.parts.store)  # as the order page judges
            steps = tuple(info for info in infos if info.allowed)
            mine = [info for info in infos if not _refused_for(info, RefusalCode.ROLE, RefusalCode.JOIN)]
            if not mine and not offers and not record_waiting and not keep_unactionable:
                continue  # on its version no step of the person's leaves this state
            waiting: tuple[Refusal, ...] = ()
            if not steps and not offers:
                # a trigger's twins (worded by what was paid) refused alike say it once
                said = {(r.zh, r.en): r for info in mine for r in info.why_not}
                waiting = tuple(said.values()) + tuple(record_waiting)
            holder = None
            if row.assignee is not None:
                holder = Assignee(row.assignee, people.get(row.assignee, row.assignee), row.assigned_at)
            items.append(
                WorkItem(
                    order=order_view(row),
                    spec=cv.spec,
                    since=row.state_since,
                    steps=steps,
                    waiting=waiting,
                    assignee=holder,
                    mine=row.assignee == actor.name,
                    record_steps=offers,
                    due=_soonest(tx, cv, live, timers[row.id], now),
                    later=versions.urgency(row.workflow, row.state).rank == LATER,
                    held=held_reason(decided.get(row.id)),
                )
            )
        return items


def _soonest(
    tx: Tx, cv: CompiledVersion, live: LiveOrder, timers: Sequence[TimerRow], now: datetime
) -> RunningTimer | None:
    """The order's soonest timer, as its row says it, with whether its condition holds now (judged of
    that timer alone)."""
    scheduled = (timer for timer in timers if timer.status == TimerStatus.SCHEDULED)
    soonest = min(scheduled, key=lambda timer: (timer.due_at, timer.id), default=None)
    if soonest is None:
        return None
    return next(iter(running_timers(cv, [soonest], timers_holding(tx, cv, live, [soonest], now))), None)


def _held_states(cv: CompiledVersion) -> frozenset[str]:
    """The states a rule set's ``hold`` outcome leads to in the version."""
    return frozenset(
        ct.spec.dest_by_outcome[HOLD] for ct in cv.transitions if HOLD in ct.spec.dest_by_outcome
    )


def held_reason(rules: Mapping[str, object] | None) -> Text | None:
    """Why a rule decision held an order (its outcome ``hold``): the reasons of the rules that held it,
    in both languages, as the order page's 为何在此 says them; None for any other decision."""
    why = decision_why(rules) if rules is not None and rules.get("outcome") == HOLD else None
    if why is None or not why.reasons:
        return None
    return Text(
        "；".join(reason.words.zh for reason in why.reasons),
        "; ".join(reason.words.en for reason in why.reasons),
    )


def decided_reason(cv: CompiledVersion, rules: Mapping[str, object] | None, actor: Actor) -> Text | None:
    """The reasons of a rule decision in both languages, short: an audit rule's with what its condition
    compared, as the order page's 为何在此 says it (欠款加本单金额超过信用额度：欠款 60,000.00 + 订单金额
    150,000.00 > 信用额度 200,000.00), values the reader sees masked masked; a decision table's row by its
    reason alone (its band is in its words); None without reasons."""
    if rules is None:
        return None
    why = decision_why(
        rules,
        version_labels(cv).get(str(rules.get("ruleset"))),
        money_names(cv),
        order_operands(cv),
        hidden_operands(cv, actor.roles, actor.is_system),
    )
    if why is None or not why.reasons:
        return None
    compared = why.kind == "audit"

    def said(lang: str) -> str:
        zh = lang == "zh"
        return ("；" if zh else "; ").join(
            reason.words.get(lang)
            + (
                ("：" if zh else ": ") + reason.compared.get(lang)
                if compared and reason.compared is not None
                else ""
            )
            for reason in why.reasons
        )

    return Text(said("zh"), said("en"))


def _declares_records(cv: CompiledVersion | None) -> bool:
    return cv is not None and bool(cv.records)


def _record_work(moving: Moving, actor: Actor) -> tuple[tuple[RecordOffer, ...], list[Refusal]]:
    """The record steps ``actor`` may take now on the order's records (as its page offers them) whose
    ``order_states:`` name the order's state (what makes the order their work), or, when there is none,
    why no record takes one of them now: a guard that says no, or no record in a state it leaves."""
    views = record_views(moving, actor)
    here: dict[str, list[CompiledTransition]] = {kind: [] for kind in moving.cv.records}
    for kind, ct in due_transitions(moving.cv, moving.order.config, actor):
        here[kind].append(ct)
    triggers = {kind: {ct.spec.trigger for ct in found} for kind, found in here.items()}
    offers = tuple(
        RecordOffer(view.kind, view.kind_label, view.number, step)
        for view in views
        for step in view.steps
        if step.allowed and step.trigger in triggers[view.kind]
    )
    if offers:
        return offers, []
    why: list[Refusal] = []
    for kind, compiled in moving.cv.records.items():
        for ct in here[kind]:
            held = [view for view in views if view.kind == kind and view.state in ct.spec.sources]
            refused = [
                r
                for view in held
                for step in view.steps
                if step.trigger == ct.spec.trigger
                for r in step.why_not
                if r.code not in (RefusalCode.ROLE, RefusalCode.STATE)
            ]
            if held:
                why.extend(r for r in refused if r not in why)
                continue
            label = compiled.spec.label
            sources = [compiled.spec.state(state).label for state in ct.spec.sources]
            refusal = Refusal(
                RefusalCode.STATE,
                f"没有{'或'.join(f'「{s.zh}」' for s in sources)}的{label.zh}",
                f"no {label.en.lower()} is {' or '.join(s.en.lower() for s in sources)}",
                {"kind": kind, "states": list(ct.spec.sources)},
            )
            if refusal not in why:
                why.append(refusal)
    return (), why


class _Versions:
    """The published versions of the workflows a call looks at, compiled (shared by the process), each
    looked up once per call; a version this OrderLoom cannot read is left out (its page says why)."""

    def __init__(self, parts: Parts, tx: Tx, actor: Actor | None = None) -> None:
        self.parts, self.tx, self.actor = parts, tx, actor  # ``actor``: whose work sets urgency (my work)
        self._all: dict[str, list[CompiledVersion]] = {}
        self._queued: dict[str, dict[str, tuple[str, Text]]] = {}
        self._urgency: dict[tuple[str, str], Urgency] = {}

    def get(self, workflow: str, version: int) -> CompiledVersion | None:
        try:
            return self.parts.compiled(self.tx, workflow, version)
        except EngineError:
            return None

    def urgency(self, workflow: str, state: str) -> Urgency:
        """How urgent the orders of ``workflow`` in the stored ``state`` are (``urgency_of``), as the
        newest published version holding the state declares its timers; looked up once per call."""
        found = self._urgency.get((workflow, state))
        if found is None:
            leaves = split(state)
            cv = next((cv for cv in self.all(workflow) if all(leaf in cv.states for leaf in leaves)), None)
            found = urgency_of(cv, state, self.actor) if cv is not None else Urgency(FREE)
            self._urgency[(workflow, state)] = found
        return found

    def queued(self, workflow: str) -> dict[str, tuple[str, Text]]:
        """state path -> (queue, label) of every state a published version of ``workflow`` puts in a
        queue (the newest version's label)."""
        found = self._queued.get(workflow)
        if found is None:
            found = {}
            for cv in self.all(workflow):  # newest first
                for state in cv.spec.states:
                    if state.queue is not None:
                        found.setdefault(state.name, (state.queue, state.label))
            self._queued[workflow] = found
        return found

    def all(self, workflow: str) -> list[CompiledVersion]:
        found = self._all.get(workflow)
        if found is None:
            newest = self.tx.latest_version_number(workflow) or 0
            found = [cv for n in range(newest, 0, -1) if (cv := self.get(workflow, n)) is not None]
            self._all[workflow] = found
        return found


def _refused_for(info: TriggerInfo, *codes: RefusalCode) -> bool:
    return any(r.code in codes for r in info.why_not)


def _actor_of(name: str, roles: Iterable[str], departments: Iterable[str]) -> Actor:
    return Actor(name, frozenset(roles), frozenset(departments))


def state_text(cv: CompiledVersion, state: str) -> Text:
    """A stored state by its label in both languages (a parallel state: a label per region)."""
    return state_words(cv.spec, state)


def _assign_refusals(
    cv: CompiledVersion, row: OrderRow, actor: Actor, department: str
) -> tuple[Refusal, ...]:
    """Why ``actor`` may not assign the order (empty: they may): another department's than the one the
    page assigns in, or no step of theirs leaves its state."""
    if row.department != department:
        zh, en = term("department", row.department, "zh"), term("department", row.department, "en")
        return (
            Refusal(
                RefusalCode.DEPARTMENT,
                f"订单 #{row.id} 属于另一个部门（{zh}）：一次只指派一个部门的订单",
                f"order #{row.id} is of another department ({en}): one department's orders are "
                "assigned at once",
            ),
        )
    if not _may_act(cv, row, actor):
        where = state_text(cv, row.state)
        return (
            Refusal(
                RefusalCode.ROLE,
                f"订单 #{row.id} 在「{where.zh}」没有您可执行的操作：只有可处理它的人才能指派",
                f"order #{row.id} has no step of yours in “{where.en}”: only one who may act on it "
                "assigns it",
            ),
        )
    return ()


def _a_step_of(cv: CompiledVersion, actor: Actor, config: StateConfig) -> bool:
    """A step a person takes (neither automatic nor fired by an approval once its approvers decided)
    leaves ``config`` now and its roles are the actor's, or a record step of theirs names a state of
    ``config`` in its ``order_states:``: what the order page would offer them."""
    return bool(_steps_of(cv, actor, config)) or bool(due_transitions(cv, config, actor))


def _steps_of(cv: CompiledVersion, actor: Actor, config: StateConfig) -> list[CompiledTransition]:
    """The steps a person takes out of ``config`` (neither automatic nor fired by an approval) whose
    roles are the actor's."""
    signed = {trigger for leaf in config for trigger in cv.approval_triggers.get(leaf, ())}
    return [
        ct
        for ct in cv.transitions
        if not ct.spec.auto
        and ct.spec.trigger not in signed
        and role_refusal(ct, actor) is None
        and cv.source_matches(ct, config)
    ]


def _may_act(cv: CompiledVersion, row: OrderRow, actor: Actor) -> bool:
    """The actor has a step of their own on the order now (``_a_step_of``)."""
    return _a_step_of(cv, actor, split(row.state))


def _work_places(
    versions: _Versions, actor: Actor, counts: Mapping[_Place, int]
) -> dict[str, dict[tuple[str, str], int]]:
    """department -> {(workflow, stored state): orders} of the states that are the actor's work."""
    found: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for (department, workflow, state), count in counts.items():
        if count <= 0 or not actor.in_department(department):
            continue
        config = split(state)
        for cv in versions.all(workflow):
            if all(leaf in cv.states for leaf in config) and _a_step_of(cv, actor, config):
                found[department][(workflow, state)] = count
                break
    return dict(found)


def _in_queue(state: str, queued: Mapping[str, tuple[str, Text]]) -> list[str]:
    """The queues a stored state is in: those of each leaf and of each state around a leaf."""
    names = []
    for leaf in split(state):
        parts = leaf.split(".")
        for i in range(1, len(parts) + 1):
            hit = queued.get(".".join(parts[:i]))
            if hit is not None and hit[0] not in names:
                names.append(hit[0])
    return names


def _a_step_in_queue(tx: Tx, versions: _Versions, actor: Actor, queue: Queue) -> bool:
    """The actor takes a step out of some state of ``queue`` in a published version (``_a_step_of``), or
    signs its approval (``_signs_in``): a queue only others work on is not theirs to work through."""
    for workflow in tx.workflow_names():
        for cv in versions.all(workflow):
            if cv.spec.department != queue.department:
                break
            for state in cv.spec.states:
                if state.queue == queue.name and (
                    _a_step_of(cv, actor, split(state.name)) or _signs_in(cv, state.name, actor)
                ):
                    return True
    return False


def _signs_in(cv: CompiledVersion, state: str, actor: Actor) -> bool:
    """The approval of ``state`` may ask the actor: a role of theirs or their name among its approvers,
    their ``else`` or the role its timeout escalates to (an expression's person is known per order only)."""
    approval = cv.approvals.get(state)
    if approval is None:
        return False
    asked = list(approval.spec.approvers)
    timeout = approval.spec.timeout
    found = {timeout.escalate_to} if timeout is not None and timeout.escalate_to is not None else set()
    while asked:
        approver = asked.pop()
        if approver.kind == "role" and approver.value in actor.roles:
            return True
        if approver.kind == "user" and approver.value == actor.name:
            return True
        if approver.fallback is not None:
            asked.append(approver.fallback)
    return bool(found & actor.roles)


def _queues(
    tx: Tx, versions: _Versions, counts: Mapping[_Place, int], scope: frozenset[str] | None
) -> tuple[list[Queue], dict[tuple[str, str], list[_Place]]]:
    """Every queue the published workflows of the departments ``scope`` declare, with its orders and
    the time its oldest entered its state (a queue no order is in is listed with none); and the stored
    states each queue's orders are in."""
    declared: dict[tuple[str, str], list[Text]] = {}
    for workflow in tx.workflow_names():
        published = versions.all(workflow)
        department = published[0].spec.department if published else None
        if department is None or (scope is not None and department not in scope):
            continue
        for queue, label in versions.queued(workflow).values():
            labels = declared.setdefault((department, queue), [])
            if label not in labels:
                labels.append(label)
    places: dict[tuple[str, str], list[_Place]] = {key: [] for key in declared}
    sizes: dict[tuple[str, str], int] = dict.fromkeys(declared, 0)
    for (department, workflow, state), count in sorted(counts.items()):
        if count <= 0:
            continue
        for queue in _in_queue(state, versions.queued(workflow)):
            key = (department, queue)
            if key in declared:
                places[key].append((department, workflow, state))
                sizes[key] += count
    queues = []
    queued = sorted({place for found in places.values() for place in found})
    oldest = dict(zip(queued, tx.oldest_of(queued), strict=True))  # one round trip for every queue
    for key, labels in sorted(declared.items()):
        times = [at for place in places[key] if (at := oldest[place]) is not None]
        queues.append(Queue(key[0], key[1], tuple(labels), sizes[key], min(times, default=None)))
    return queues, places


def _page(
    tx: Tx,
    places: Iterable[_Place],
    urgency: Callable[[str, str], Urgency],
    *,
    after: WorkCursor | None,
    limit: int,
    claims: ClaimFilter = ClaimFilter.ANY,
    me: str | None = None,
) -> list[tuple[OrderRow, WorkCursor]]:
    """The orders of several stored states as one page, the most urgent first (``Urgency``: those a
    timer presses, soonest due first; then those nothing presses, oldest in their state first; then
    those that move on by themselves), each with its cursor: where each state's first ``limit`` orders
    after ``after`` are (from the index: a state's rank and delay turn the cursor into a start in its
    own range, a state of a rank before the cursor's is not read), the first ``limit`` of them all, and
    only those orders read."""
    wanted_places = list(places)
    ranked = [urgency(workflow, state) for _, workflow, state in wanted_places]
    shown: list[_Place] = []
    kept: list[Urgency] = []
    starts: list[tuple[datetime, int] | None] = []
    for place, rank in zip(wanted_places, ranked, strict=True):
        if after is not None and rank.rank < after.rank:
            continue  # every order of it came on the pages before
        shown.append(place)
        kept.append(rank)
        same = after is not None and rank.rank == after.rank
        starts.append((after.since - rank.delay, after.id) if after is not None and same else None)
    keys = tx.many_state_keys(shown, afters=starts, limit=limit, claims=claims, me=me)
    cursors = {
        order_id: WorkCursor((since or _EPOCH) + kept[i].delay, order_id, kept[i].rank)
        for i, since, order_id in keys
    }
    ordered = sorted(cursors.values(), key=lambda c: (c.rank, c.since, c.id))[:limit]
    rows = tx.orders_by_id([cursor.id for cursor in ordered])
    return [(rows[cursor.id], cursor) for cursor in ordered if cursor.id in rows]


def _claimed_first_in_place(
    claimed: Sequence[OrderRow], others: Sequence[OrderRow], urgency: Callable[[str, str], Urgency]
) -> list[OrderRow]:
    """The page's rows, the most urgent first, the orders of one (workflow, state) together where the
    most urgent of them comes, the claimed ones first among them."""
    ranked = sorted([*claimed, *others], key=lambda row: _urgent_first(row, urgency))
    places: dict[tuple[str, str], int] = {}
    for row in ranked:
        places.setdefault((row.workflow, row.state), len(places))
    mine = {row.id for row in claimed}
    return sorted(ranked, key=lambda row: (places[(row.workflow, row.state)], row.id not in mine))


def _urgent_first(row: OrderRow, urgency: Callable[[str, str], Urgency]) -> tuple[int, datetime, int]:
    found = urgency(row.workflow, row.state)
    return (found.rank, _since(row) + found.delay, row.id)


def _since(row: OrderRow) -> datetime:
    return row.state_since or _EPOCH


def _cursor(row: OrderRow) -> WorkCursor:
    return WorkCursor(_since(row), row.id)


def claim_view_in(tx: Tx, cv: CompiledVersion, row: OrderRow, actor: Actor) -> ClaimView:
    """The order's claim as ``actor`` sees it, read in ``tx`` (the order page's own read)."""
    holder = _assignee(tx, row)
    mine = holder is not None and holder.login == actor.name
    return ClaimView(row.id, holder, _may_act(cv, row, actor), mine)


def _assignee(tx: Tx, row: OrderRow) -> Assignee | None:
    if row.assignee is None:
        return None
    shown = tx.display_names_of([row.assignee]).get(row.assignee, row.assignee)
    return Assignee(row.assignee, shown, row.assigned_at)
