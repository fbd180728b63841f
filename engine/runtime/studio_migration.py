"""Migrating a workflow's running orders from the studio (迁移): the plan of ``orderloom migrate
--dry-run`` (who moves, who stays and why, the state map), then the migration run in batches, each
its own transaction with its line in the studio's record.

A run is named by the id of its first batch's record (``studio_events``, action ``migrate``); each
later batch's record carries that id as ``run``, with the orders it moved. The run's target, the
version it moves from (when one was chosen) and the mapping are those of its first batch, so every
batch of a run moves orders the same way. How far a run is comes from its record (the orders its
batches moved) and a dry run now (what is still to move): "n of m" with m = n + what is left, so a
change made meanwhile (an order finished, another admin's batch) is counted as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from engine.common.text import Text
from engine.errors import EngineError
from engine.runtime.actor import Actor
from engine.runtime.compiled import split
from engine.runtime.engine import Engine
from engine.runtime.results import BlockedCode, MigrationPlan
from engine.runtime.studio_record import record
from engine.store import Tx
from engine.store.studio import StudioEventRow, studio_events_since

__all__ = [
    "DEFAULT_BATCH",
    "MAX_BATCH",
    "MigrationRun",
    "MigrationView",
    "RunBatch",
    "StateMove",
    "Stays",
    "check_batch",
    "migration_run",
    "migration_view",
    "run_batch",
]

DEFAULT_BATCH = 100  # orders moved per batch: one transaction each
MAX_BATCH = 1000


def check_batch(batch: int) -> None:
    if not 1 <= batch <= MAX_BATCH:
        raise EngineError(
            f"a batch moves from 1 to {MAX_BATCH} orders, not {batch}",
            zh=f"每批迁移的订单数须在 1 到 {MAX_BATCH} 之间，而不是 {batch}",
        )


@dataclass(frozen=True)
class StateMove:
    """Orders that move from one state (of the version they are on) to one of the target version."""

    from_state: str
    to_state: str
    orders: int


@dataclass(frozen=True)
class Stays:
    """Orders in one state that stay where they are, for one reason."""

    state: str
    code: BlockedCode
    orders: int


@dataclass(frozen=True)
class MigrationView:
    """The plan of a migration (a dry run, nothing written): who moves and who stays and why, the state
    map with its counts, the states of the orders to move that the target lacks (each may be mapped to
    one of ``targets``), the labels of the target's states and those of the states the orders are in
    now, as their versions label them."""

    department: str
    workflow: str
    to_version: int
    from_version: int | None
    mapping: Mapping[str, str]
    plan: MigrationPlan
    state_map: tuple[StateMove, ...]
    stays: tuple[Stays, ...]
    unplaced: tuple[str, ...]
    targets: tuple[str, ...]
    labels: Mapping[str, Text]  # the target version's labels (a state it lacks: the newest version's)
    old_labels: Mapping[str, Text]  # the labels of the versions the orders are on now

    @property
    def moves(self) -> int:
        return len(self.plan.moves)


@dataclass(frozen=True)
class RunBatch:
    """One batch of a migration run as its record says it: the ``number``-th of the run's ``of``, how
    many orders it moved and how many it looked at and left where they are (None in a record written
    before batches counted them), the orders the run had moved once it was done, who ran it and when."""

    number: int
    of: int
    moved: int
    stayed: int | None
    moved_so_far: int
    actor: str
    at: datetime


@dataclass(frozen=True)
class MigrationRun:
    """A migration run: how many orders its batches moved, and what is left now."""

    id: int
    department: str
    workflow: str
    started_by: str
    started_at: datetime
    batches: tuple[StudioEventRow, ...]  # its records, oldest first
    moved: int  # orders its batches moved
    left: MigrationView  # a dry run now: what is still to move, what stays and why

    @property
    def total(self) -> int:
        """The orders the run moves in all: moved so far and still to move."""
        return self.moved + self.left.moves

    @property
    def done(self) -> bool:
        return self.left.moves == 0

    @property
    def last_batch(self) -> StudioEventRow:
        return self.batches[-1]

    @property
    def listed_batches(self) -> tuple[RunBatch, ...]:
        """Its batches, oldest first, each with what it moved and left."""
        listed: list[RunBatch] = []
        so_far = 0
        for number, event in enumerate(self.batches, start=1):
            moved = len(event.detail.get("moved") or ())
            stayed = event.detail.get("stayed")
            so_far += moved
            listed.append(
                RunBatch(
                    number,
                    len(self.batches),
                    moved,
                    stayed if isinstance(stayed, int) and not isinstance(stayed, bool) else None,
                    so_far,
                    event.actor,
                    event.at,
                )
            )
        return tuple(listed)


def migration_view(
    engine: Engine,
    department: str,
    workflow: str,
    to_version: int,
    actor: Actor,
    *,
    from_version: int | None = None,
    mapping: Mapping[str, str] | None = None,
) -> MigrationView:
    """The dry-run plan of moving the running orders of ``workflow`` onto ``to_version``."""
    mapping = dict(mapping or {})
    plan = engine.migrate(workflow, to_version, mapping, True, actor, from_version=from_version)
    unmapped = (
        plan
        if not mapping
        else engine.migrate(workflow, to_version, {}, True, actor, from_version=from_version)
    )
    target = engine.spec(workflow, to_version)
    targets = tuple(s.name for s in target.states)
    unplaced = sorted(
        {
            leaf
            for blocked in unmapped.blocked
            if blocked["code"] == BlockedCode.STATE_GONE
            for leaf in split(str(blocked["state"]))
            if leaf not in targets
        }
        | {old for old in mapping if old not in targets}
    )
    labels: dict[str, Text] = {}
    for published in engine.versions(workflow):  # the newest label of a name wins
        labels.update({s.name: s.label for s in engine.spec(workflow, published.version).states})
    labels.update({s.name: s.label for s in target.states})
    # The states orders are in now, labelled as the versions they run on label them (a state renamed
    # since keeps the old words on the left of the map): the version moved from, else the versions
    # the plan moves orders from, else every other version; the newest of them wins.
    if from_version is not None:
        sources = {from_version}
    else:
        sources = {int(m["from_version"]) for m in plan.moves} or {
            v.version for v in engine.versions(workflow) if v.version != to_version
        }
    old_labels = dict(labels)
    for version in sorted(sources):
        old_labels.update({s.name: s.label for s in engine.spec(workflow, version).states})
    moved = Counter((str(m["from_state"]), str(m["to_state"])) for m in plan.moves)
    stays = Counter((str(b["state"]), BlockedCode(b["code"])) for b in plan.blocked)
    return MigrationView(
        department,
        workflow,
        to_version,
        from_version,
        mapping,
        plan,
        tuple(StateMove(old, new, n) for (old, new), n in sorted(moved.items())),
        tuple(Stays(state, code, n) for (state, code), n in sorted(stays.items())),
        tuple(unplaced),
        targets,
        labels,
        old_labels,
    )


def run_batch(
    engine: Engine,
    department: str,
    workflow: str,
    actor: Actor,
    *,
    run: int | None,
    to_version: int,
    from_version: int | None,
    mapping: Mapping[str, str],
    batch: int,
    action: str,
) -> int | None:
    """Move the next ``batch`` orders and record it (as ``action``) in the same transaction: the run's
    id (the first batch's record, when ``run`` is None), or None when no order was left to move."""
    check_batch(batch)
    recorded: list[int] = []

    def record_batch(tx: Tx, plan: MigrationPlan) -> None:
        moved_from = sorted({int(m["from_version"]) for m in plan.moves})
        recorded.append(
            record(
                tx,
                engine.clock,
                department,
                actor,
                action,
                workflow,
                {
                    "run": run,
                    "version": to_version,
                    "from_version": ",".join(str(v) for v in moved_from),
                    "only_from": from_version,
                    "mapping": dict(mapping),
                    "batch": batch,
                    "moved": [int(m["order_id"]) for m in plan.moves],
                    "stayed": len(plan.blocked),  # the orders it looked at and left where they are
                },
            )
        )

    engine.migrate(
        workflow,
        to_version,
        mapping,
        False,
        actor,
        from_version=from_version,
        limit=batch,
        record=record_batch,
    )
    if not recorded:
        return None
    # On PostgreSQL a try rolled back for a deadlock is run again whole: the last record is the one
    # that committed.
    return run if run is not None else recorded[-1]


def migration_run(
    engine: Engine, department: str, workflow: str, run: int, actor: Actor, action: str
) -> MigrationRun | None:
    """The run ``run`` of ``workflow`` in ``department`` (its batches recorded as ``action``) and what
    is left of it; None when there is no such run."""
    with engine.store.read() as tx:
        found = [
            event
            for event in studio_events_since(tx, department, action, workflow, run)
            if event.id == run or event.detail.get("run") == run
        ]
    if not found or found[0].id != run or found[0].detail.get("run") is not None:
        return None
    first = found[0].detail
    to_version, from_version, mapping = first.get("version"), first.get("only_from"), first.get("mapping")
    if (
        not isinstance(to_version, int)
        or not isinstance(from_version, int | None)
        or not isinstance(mapping, dict)
    ):
        return None  # not the record of a batch
    left = migration_view(
        engine, department, workflow, to_version, actor, from_version=from_version, mapping=mapping
    )
    moved = sum(len(event.detail.get("moved") or ()) for event in found)
    return MigrationRun(run, department, workflow, found[0].actor, found[0].at, tuple(found), moved, left)
