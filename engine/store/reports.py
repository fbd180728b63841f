"""Summaries over the order tables (the home page, the CLI): order counts by workflow and state.

Counting every order on every read took 1.2–1.6 s at a million orders on SQLite. The counts are kept
instead, off the step's path: ``order_state_counts`` holds them as of one audit event
(``order_counts_folded.last_audit_id``), and a read adds what the audit events after it moved: each
event takes its order out of ``from_state`` (none for a creation) and into ``to_state``, and every change
of an order's state is such an event (steps, automatic steps, timers, version migrations). One
statement reads both, so it sees one snapshot, and the counts are exact whenever they are read.

:func:`fold_order_counts` adds the events since the last fold into the kept counts (the home page calls
it, at most every ``FOLD_INTERVAL``), so a read only adds the events of the last few seconds. A fold
must not pass an event whose transaction has not committed yet, or it would never count it: on SQLite
the fold's write transaction waits for any other to end (one writer at a time); on PostgreSQL it takes
a ``SHARE ROW EXCLUSIVE`` lock on the audit trail, which waits for the transactions writing it and holds
new ones back for the few milliseconds it takes, and gives up after ``FOLD_LOCK_TIMEOUT`` rather than
stall them (the counts stay exact: the read adds what was not folded).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from engine.dsl.compiler import Bundle, compile_bundle
from engine.dsl.spec import Text
from engine.store.store import Store
from engine.store.tables import (
    STATE_JOIN,
    audit_events,
    order_counts_folded,
    order_state_counts,
    orders,
    workflow_versions,
)

# The home page folds at most this often; a read between two folds adds the events since the last.
FOLD_INTERVAL = timedelta(seconds=10)
# PostgreSQL: how long a fold waits for the transactions writing the audit trail before it gives up.
FOLD_LOCK_TIMEOUT_MS = 200


@dataclass
class WorkflowCount:
    department: str
    workflow: str
    version: int  # the newest published version
    title_zh: str
    title_en: str
    total: int = 0
    by_state: list[tuple[str, int]] = field(default_factory=list)
    labels: dict[str, Text] = field(default_factory=dict)  # state -> label of the newest version

    def label(self, state: str, lang: str) -> str:
        """A state's label; an order in a parallel state shows one label per region."""
        parts = state.split(STATE_JOIN)
        return " | ".join(self.labels[p].get(lang) if p in self.labels else p for p in parts)


def _moves(after: Any, upto: Any = None, departments: Collection[str] | None = None) -> Any:
    """Rows (department, workflow, state, n): +1 into ``to_state`` and -1 out of ``from_state`` for each
    audit event after id ``after`` (and up to ``upto``)."""
    joined = audit_events.join(orders, orders.c.id == audit_events.c.order_id)
    window = [audit_events.c.id > after]
    if upto is not None:
        window.append(audit_events.c.id <= upto)
    if departments is not None:
        window.append(orders.c.department.in_(list(departments)))
    into = (
        select(
            orders.c.department,
            orders.c.workflow,
            audit_events.c.to_state.label("state"),
            literal(1).label("n"),
        )
        .select_from(joined)
        .where(*window)
    )
    out = (
        select(
            orders.c.department,
            orders.c.workflow,
            audit_events.c.from_state.label("state"),
            literal(-1).label("n"),
        )
        .select_from(joined)
        .where(*window, audit_events.c.from_state.is_not(None))
    )
    return union_all(into, out).subquery("moves")


def state_counts(store: Store, departments: Collection[str] | None = None) -> dict[tuple[str, str, str], int]:
    """Orders by (department, workflow, state), exact as of now: the kept counts plus the audit events
    after them, read in one statement (one snapshot)."""
    folded = (
        select(order_counts_folded.c.last_audit_id).where(order_counts_folded.c.id == 1).scalar_subquery()
    )
    kept = select(
        order_state_counts.c.department,
        order_state_counts.c.workflow,
        order_state_counts.c.state,
        order_state_counts.c.orders.label("n"),
    )
    if departments is not None:
        kept = kept.where(order_state_counts.c.department.in_(list(departments)))
    moves = _moves(folded, departments=departments)
    both = union_all(kept, select(moves.c.department, moves.c.workflow, moves.c.state, moves.c.n)).subquery()
    total = func.sum(both.c.n)
    query = (
        select(both.c.department, both.c.workflow, both.c.state, total)
        .group_by(both.c.department, both.c.workflow, both.c.state)
        .having(total != 0)
    )
    with store.engine.connect() as connection:
        return {(d, w, s): int(n) for d, w, s, n in connection.execute(query)}


def fold_order_counts(store: Store, now: datetime, interval: timedelta | None = FOLD_INTERVAL) -> int | None:
    """Add the audit events since the last fold into the kept counts, unless the last fold is younger
    than ``interval``; returns how many events were folded (``None``: not now, or the audit trail was
    busy past the lock timeout on PostgreSQL)."""
    with store.engine.connect() as connection:
        folded_at, folded = connection.execute(
            select(order_counts_folded.c.folded_at, order_counts_folded.c.last_audit_id)
        ).one()
        if interval is not None and folded_at is not None and _aware(folded_at) > now - interval:
            return None
        newest = connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
    if newest is None or newest <= folded:
        return 0  # nothing committed since: no write, no lock (what is still open comes in a later fold)
    try:
        with store.transaction() as tx:
            connection = tx.connection
            if not store.is_sqlite:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{FOLD_LOCK_TIMEOUT_MS}ms'")
                connection.exec_driver_sql("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")
            after = connection.execute(select(order_counts_folded.c.last_audit_id)).scalar_one()
            upto = connection.execute(select(func.max(audit_events.c.id))).scalar_one()
            if upto <= after:  # another fold took them meanwhile
                return 0
            moves = _moves(after, upto)
            sums = connection.execute(
                select(moves.c.department, moves.c.workflow, moves.c.state, func.sum(moves.c.n)).group_by(
                    moves.c.department, moves.c.workflow, moves.c.state
                )
            ).all()
            rows = [
                {"department": d, "workflow": w, "state": s, "orders": int(n)} for d, w, s, n in sums if n
            ]
            if rows:
                insert = sqlite_insert if store.is_sqlite else postgresql_insert
                statement = insert(order_state_counts)
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["department", "workflow", "state"],
                        set_={"orders": order_state_counts.c.orders + statement.excluded.orders},
                    ),
                    rows,
                )
            events = connection.execute(
                select(func.count())
                .select_from(audit_events)
                .where(audit_events.c.id > after, audit_events.c.id <= upto)
            ).scalar_one()
            connection.execute(update(order_counts_folded).values(last_audit_id=upto, folded_at=now))
            return int(events)
    except OperationalError:
        if store.is_sqlite:
            raise
        return None  # lock_timeout: writers were busy; the next fold takes these events


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def order_counts(store: Store, departments: Collection[str] | None = None) -> list[WorkflowCount]:
    """Every published workflow (in the given departments, or all) with its order counts by state."""
    newest = (
        select(workflow_versions.c.workflow, func.max(workflow_versions.c.version).label("version"))
        .group_by(workflow_versions.c.workflow)
        .subquery()
    )
    versions_query = select(
        workflow_versions.c.department,
        workflow_versions.c.workflow,
        workflow_versions.c.version,
        workflow_versions.c.bundle,
    ).join(
        newest,
        (newest.c.workflow == workflow_versions.c.workflow)
        & (newest.c.version == workflow_versions.c.version),
    )
    if departments is not None:
        versions_query = versions_query.where(workflow_versions.c.department.in_(list(departments)))
    rows: dict[str, WorkflowCount] = {}
    with store.engine.connect() as connection:
        for department, workflow, version, bundle in connection.execute(versions_query):
            spec = compile_bundle(Bundle.from_json(bundle["bundle"]), int(version))
            rows[workflow] = WorkflowCount(
                department=department,
                workflow=workflow,
                version=int(version),
                title_zh=spec.title.zh,
                title_en=spec.title.en,
                labels={state.name: state.label for state in spec.states},
            )
    for (_department, workflow, state), count in state_counts(store, departments).items():
        if workflow in rows:
            rows[workflow].by_state.append((state, count))
            rows[workflow].total += count
    for row in rows.values():
        row.by_state.sort(key=lambda item: (-item[1], item[0]))
    return sorted(rows.values(), key=lambda r: (r.department, r.workflow))
