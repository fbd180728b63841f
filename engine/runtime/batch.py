"""One step taken on many orders at once: the batch's page, then each order in its own transaction.

A clerk selects orders of one workflow in one state on the list and takes one step for all of them with
one form (approve, ship, cancel). ``Batch.page`` reads what the batch page shows, the orders read once in
one read transaction: each selected order's step page (is the step possible from where it is, may this
person take it, and if not, why). ``Batch.take`` then fires the step on each order in its own write
transaction, with the lock version the page was drawn with: an order changed since is refused, never
overwritten; one order refused leaves the others as they are. The same batch sent twice (the same
``key``) fires each order once: each order's step carries the idempotency key ``batch:<key>:<order>``.
Results come one order at a time, as each commits, so a page can show progress while the batch runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from engine.common.text import Text
from engine.errors import ConflictError, EngineError, NotFound, Refusal, RefusalCode, TransitionRejected
from engine.runtime.actor import Actor
from engine.runtime.commands import Commands, StepRequest, load_order
from engine.runtime.pages import step_page_of
from engine.runtime.parts import Parts
from engine.runtime.results import FireResult, StepPage

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


class Batch:
    def __init__(self, parts: Parts, commands: Commands) -> None:
        self.parts = parts
        self.commands = commands

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
                steps.append(step_page_of(cv, row, trigger, actor, now))
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
                    partial(self.commands.fire, request, f"batch:{key}:{chosen.order_id}")
                )
            except TransitionRejected as rejected:
                yield BatchOutcome(chosen.order_id, None, tuple(rejected.refusals))
            except ConflictError as conflict:  # changed since the page was drawn, or kept colliding
                yield BatchOutcome(chosen.order_id, None, (_refusal(RefusalCode.CONFLICT, conflict),))
            except NotFound as missing:
                yield BatchOutcome(chosen.order_id, None, (_refusal(RefusalCode.NOT_FOUND, missing),))
            else:
                yield BatchOutcome(chosen.order_id, result)


def _refusal(code: RefusalCode, error: EngineError) -> Refusal:
    words = Text(error.message("zh"), error.message("en"))
    return Refusal(code, words.zh, words.en)
