"""One step taken on many orders at once: the batch's page, then each order in its own transaction.

A clerk selects orders of one workflow in one state on the list and takes one step for all of them with
one form (approve, ship, cancel). ``Batch.page`` reads what the batch page shows, the orders read once in
one read transaction: each selected order's step page (is the step possible from where it is, may this
person take it, and if not, why). ``Batch.take`` then fires the step on each order in its own write
transaction, with the lock version the page was drawn with: an order changed since is refused, never
overwritten; one order refused leaves the others as they are. The same batch sent twice (the same
``key``) fires each order once: each order's step carries the idempotency key ``batch:<key>:<order>``.
Results come one order at a time, as each commits, so a page can show progress while the batch runs.
A step named ``<kind>.<trigger>`` (``shipment.ship``) is a record kind's: on each order it is taken on
every record of the kind that may take it now, in the order's one transaction (``records.takers``).

Two more things are done to many at once in the same way, each in its own transaction with a result of
its own: orders assigned to a colleague (``Batch.assign``, through ``Workspace.assign``, the lock version
the page was drawn with), and approval tasks signed, approved or declined with one comment
(``Batch.sign``, through ``Approvals.act``, the call the approval panel makes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from engine.common.text import Text
from engine.errors import ConflictError, EngineError, NotFound, Refusal, RefusalCode, TransitionRejected
from engine.runtime.actor import Actor
from engine.runtime.approvals import ApprovalAction, ApprovalRequest, Approvals, missing_reason
from engine.runtime.commands import Commands, StepRequest, load_order
from engine.runtime.pages import kind_step_page_of, step_page_of
from engine.runtime.parts import Parts
from engine.runtime.records import kind_step
from engine.runtime.results import ApprovalResult, Assignee, FireResult, StepPage
from engine.runtime.workspace import Workspace, state_text

MAX_BATCH = 200  # orders one batch takes: a page of the list, four times over


@dataclass(frozen=True)
class BatchPage:
    """The selected orders' step pages (in the order selected) and the numbers of those not found
    (another department's, or none such: the same to the person asking)."""

    trigger: str
    steps: tuple[StepPage, ...]
    missing: tuple[int, ...]


@dataclass(frozen=True)
class Selected:
    """An order of the batch, with the lock version its page was drawn with."""

    order_id: int
    lock_version: int


@dataclass(frozen=True)
class BatchOutcome:
    """What the step did to one order: ``result`` when it was taken, else the refusals saying why not
    (nothing of it written)."""

    order_id: int
    result: FireResult | None
    refusals: tuple[Refusal, ...] = ()

    @property
    def done(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Assigned:
    """What assigning did to one order: ``assignee`` when it is theirs now, else the refusals saying
    why not (nothing of it written)."""

    order_id: int
    assignee: Assignee | None
    refusals: tuple[Refusal, ...] = ()

    @property
    def done(self) -> bool:
        return self.assignee is not None


@dataclass(frozen=True)
class SelectedTask:
    """An approval task of the batch, its order and the order's lock version as the page was drawn."""

    order_id: int
    task_id: int
    lock_version: int


@dataclass(frozen=True)
class Signed:
    """What signing did to one task: ``result`` when it was signed, else the refusals saying why not."""

    task: SelectedTask
    result: ApprovalResult | None
    refusals: tuple[Refusal, ...] = ()
    where: Text | None = None  # the state the order is in after it, by its label

    @property
    def done(self) -> bool:
        return self.result is not None


SIGNING = frozenset({ApprovalAction.APPROVE, ApprovalAction.DECLINE})  # what many tasks are signed with


class Batch:
    def __init__(self, parts: Parts, commands: Commands, workspace: Workspace, approvals: Approvals) -> None:
        self.parts = parts
        self.commands = commands
        self.workspace = workspace
        self.approvals = approvals

    def page(self, order_ids: Sequence[int], trigger: str, actor: Actor) -> BatchPage:
        """The step ``trigger`` of each order of ``order_ids`` (at most ``MAX_BATCH``, each once), read
        in one transaction."""
        wanted = list(dict.fromkeys(order_ids))[:MAX_BATCH]
        now = self.parts.clock.now()
        steps: list[StepPage] = []
        missing: list[int] = []
        with self.parts.store.read() as tx:
            for order_id in wanted:
                try:
                    row = load_order(tx, order_id, actor)
                except NotFound:
                    missing.append(order_id)
                    continue
                cv = self.parts.compiled(tx, row.workflow, row.version)
                if kind_step(cv, trigger) is not None:
                    steps.append(kind_step_page_of(tx, cv, row, trigger, actor, now))
                else:
                    steps.append(step_page_of(tx, self.parts, cv, row, trigger, actor, now))
        return BatchPage(trigger, tuple(steps), tuple(missing))

    def take(
        self,
        selected: Sequence[Selected],
        trigger: str,
        actor: Actor,
        data: Mapping[str, Any],
        key: str,
    ) -> Iterator[BatchOutcome]:
        """Fire ``trigger`` with ``data`` on each selected order (at most ``MAX_BATCH``), each in its own
        transaction, yielding each order's outcome as it commits or is refused."""
        for chosen in list(dict.fromkeys(selected))[:MAX_BATCH]:
            request = StepRequest(chosen.order_id, trigger, actor, data, chosen.lock_version)
            try:
                result = self.parts.store.retrying(
                    partial(self.commands.fire, request, f"batch:{key}:{chosen.order_id}", batched=True)
                )
            except TransitionRejected as rejected:
                yield BatchOutcome(chosen.order_id, None, tuple(rejected.refusals))
            except ConflictError as conflict:  # changed since the page was drawn, or kept colliding
                yield BatchOutcome(chosen.order_id, None, (_refusal(RefusalCode.CONFLICT, conflict),))
            except NotFound as missing:
                yield BatchOutcome(chosen.order_id, None, (_refusal(RefusalCode.NOT_FOUND, missing),))
            else:
                yield BatchOutcome(chosen.order_id, result)

    def assign(self, selected: Sequence[Selected], to: str, actor: Actor) -> Iterator[Assigned]:
        """Give each selected order (at most ``MAX_BATCH``) to the user ``to``, each in its own
        transaction, yielding each order's outcome as it commits or is refused."""
        for chosen in list(dict.fromkeys(selected))[:MAX_BATCH]:
            try:
                given = self.workspace.assign(chosen.order_id, actor, to, chosen.lock_version)
            except TransitionRejected as rejected:
                yield Assigned(chosen.order_id, None, tuple(rejected.refusals))
            except ConflictError as conflict:
                yield Assigned(chosen.order_id, None, (_refusal(RefusalCode.CONFLICT, conflict),))
            except NotFound as missing:
                yield Assigned(chosen.order_id, None, (_refusal(RefusalCode.NOT_FOUND, missing),))
            else:
                yield Assigned(chosen.order_id, given)

    def sign(
        self, tasks: Sequence[SelectedTask], action: ApprovalAction, actor: Actor, comment: str
    ) -> Iterator[Signed]:
        """Approve or decline (``action``) each of ``tasks`` (at most ``MAX_BATCH``) with one comment, each
        in its own transaction through ``Approvals.act``, yielding each task's outcome as it commits or
        is refused. Another action is a ``ValueError``: it asks for a person or a state per task. A decline
        without a comment (its reason) is refused (``TransitionRejected``) before any task is touched."""
        if action not in SIGNING:
            raise ValueError(f"many tasks are approved or declined, not {action}")
        missing = missing_reason(action, comment)
        if missing is not None:  # refused here, before any task is touched
            raise missing
        return self._signing(tasks, action, actor, comment)

    def _signing(
        self, tasks: Sequence[SelectedTask], action: ApprovalAction, actor: Actor, comment: str
    ) -> Iterator[Signed]:
        for task in list(dict.fromkeys(tasks))[:MAX_BATCH]:
            request = ApprovalRequest(
                task.order_id, task.task_id, action, actor, comment, None, task.lock_version
            )
            try:
                result = self.approvals.act(request)
            except TransitionRejected as rejected:
                yield Signed(task, None, tuple(rejected.refusals))
            except ConflictError as conflict:
                yield Signed(task, None, (_refusal(RefusalCode.CONFLICT, conflict),))
            except NotFound as missing:
                yield Signed(task, None, (_refusal(RefusalCode.NOT_FOUND, missing),))
            else:
                with self.parts.store.read() as tx:
                    row = load_order(tx, task.order_id, actor)
                    where = state_text(self.parts.compiled(tx, row.workflow, row.version), result.state)
                yield Signed(task, result, where=where)


def _refusal(code: RefusalCode, error: EngineError) -> Refusal:
    words = Text(error.message("zh"), error.message("en"))
    return Refusal(code, words.zh, words.en)
