"""Order counts by workflow and state, kept off the step's path (the home page's summary,
``engine.runtime.order_counts``, adds the workflows' titles and labels).

Counting every order on every read took 1.2–1.6 s at a million orders on SQLite. The counts are kept
instead, off the step's path: ``order_state_counts`` holds them as of one audit event
(``order_counts_folded.last_audit_id``), and a read adds what the audit events after it moved: each
event takes its order out of ``from_state`` (none for a creation) and into ``to_state``, and every change
of an order's state is such an event (steps, automatic steps, timers, version migrations). One
statement reads both, so it sees one snapshot, and the counts are exact whenever they are read.

:func:`fold_order_counts` adds the events since the last fold into the kept counts (``orderloom worker``
calls it, pages only read; one fold begins per ``FOLD_INTERVAL``, in whichever process asks first), so
a read only adds the events of the last few seconds. A fold must not pass an event whose transaction has
not committed yet, or it would never count it: on SQLite the fold's write transaction waits for any other
to end (one writer at a time); on PostgreSQL it takes a ``SHARE ROW EXCLUSIVE`` lock on the audit trail,
which waits for the transactions writing it and holds new ones back for the few milliseconds it takes.
Either gives up after ``FOLD_LOCK_TIMEOUT_MS`` rather than stall the steps; on PostgreSQL, where the
attempt is noted without that lock, it is not tried again before the interval is over (on SQLite noting
it is a write too, so the next call tries). The counts stay exact meanwhile (the read adds what was not
folded). A backlog is
folded ``FOLD_CHUNK`` ids per transaction.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, literal_column, or_, select, union_all, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError

from engine.store.connection import is_lock_timeout
from engine.store.statements import ONE, ZERO, Statement
from engine.store.store import Store, Tx
from engine.store.tables import (
    audit_events,
    order_counts_folded,
    order_state_counts,
    orders,
)

# The worker folds at most this often; a read between two folds adds the events since the last.
FOLD_INTERVAL = timedelta(seconds=10)
# How long a fold waits for its lock before it gives up until the next interval: SQLite's write lock,
# PostgreSQL's lock on the audit trail (new steps queue behind a fold that waits for it).
FOLD_LOCK_TIMEOUT_MS = 50
# Audit ids folded per transaction: a backlog is folded in short transactions, not one long one.
FOLD_CHUNK = 20_000


def _moves(after: Any, upto: Any = None, departments: Collection[Any] | None = None) -> Any:
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
            literal_column("1").label("n"),
        )
        .select_from(joined)
        .where(*window)
    )
    out = (
        select(
            orders.c.department,
            orders.c.workflow,
            audit_events.c.from_state.label("state"),
            literal_column("-1").label("n"),
        )
        .select_from(joined)
        .where(*window, audit_events.c.from_state.is_not(None))
    )
    return union_all(into, out).subquery("moves")


def state_counts(store: Store, departments: Collection[str] | None = None) -> dict[tuple[str, str, str], int]:
    """Orders by (department, workflow, state), exact as of now: the kept counts plus the audit events
    after them, read in one statement (one snapshot)."""
    with store.read() as tx:  # a plain read: on SQLite it takes no write lock
        return read_state_counts(tx, departments)


def read_state_counts(tx: Tx, departments: Collection[str] | None = None) -> dict[tuple[str, str, str], int]:
    """``state_counts`` read inside ``tx`` (one statement, built once per number of departments)."""
    names = None if departments is None else sorted(departments)
    params = {} if names is None else {f"department_{i}": name for i, name in enumerate(names)}
    rows = tx.run(_counts_statement(None if names is None else len(names)), params).fetchall()
    return {(d, w, s): int(n) for d, w, s, n in rows}


@functools.cache
def _counts_statement(departments: int | None) -> Statement:
    """The kept counts plus the moves of the audit events after them, of ``departments`` departments
    (``:department_0`` …; None: of every one), summed by department, workflow and state."""
    folded = (
        select(order_counts_folded.c.last_audit_id).where(order_counts_folded.c.id == ONE).scalar_subquery()
    )
    kept = select(
        order_state_counts.c.department,
        order_state_counts.c.workflow,
        order_state_counts.c.state,
        order_state_counts.c.orders.label("n"),
    )
    names: list[Any] | None = None
    if departments is not None:
        names = [bindparam(f"department_{i}") for i in range(departments)]
    if names is not None:
        kept = kept.where(order_state_counts.c.department.in_(names))
    moves = _moves(folded, departments=names)
    both = union_all(kept, select(moves.c.department, moves.c.workflow, moves.c.state, moves.c.n)).subquery()
    total = func.sum(both.c.n)
    query = (
        select(both.c.department, both.c.workflow, both.c.state, total)
        .group_by(both.c.department, both.c.workflow, both.c.state)
        .having(total != ZERO)
    )
    return Statement(f"state_counts({'all' if departments is None else departments})", query)


def fold_order_counts(
    store: Store, now: datetime, interval: timedelta | None = FOLD_INTERVAL, chunk: int = FOLD_CHUNK
) -> int | None:
    """Add the audit events since the last fold into the kept counts; how many were folded.

    ``None``: not now. One fold begins per ``interval`` (``None``: whenever asked), in whichever process
    asks first, and a fold that could not get its lock in ``FOLD_LOCK_TIMEOUT_MS`` is not tried again
    before the interval is over, so a long transaction on the audit trail does not make every page
    queue for the lock. The events go in transactions of at most ``chunk`` ids each, so a long backlog
    never holds the lock long. Nothing committed since the last fold: nothing written, no lock."""
    stamp = now.astimezone(UTC)
    with store.read() as tx:
        last_fold_at, folded = tx.connection.execute(
            select(order_counts_folded.c.last_fold_at, order_counts_folded.c.last_audit_id)
        ).one()
        newest = tx.connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
    if interval is not None and last_fold_at is not None and _utc(last_fold_at) > stamp - interval:
        return None
    if newest is None or newest <= folded:
        return 0
    claim = update(order_counts_folded).values(last_fold_at=_stored(stamp, store))
    if interval is not None:
        due = _stored(stamp - interval, store)
        column = order_counts_folded.c.last_fold_at
        claim = claim.where(or_(column.is_(None), column <= due))
    try:
        with store.transaction(lock_timeout_ms=FOLD_LOCK_TIMEOUT_MS) as tx:
            if tx.connection.execute(claim).rowcount == 0:
                return None  # another process began this interval's fold
        total = 0
        while True:
            with store.transaction(lock_timeout_ms=FOLD_LOCK_TIMEOUT_MS) as tx:
                folded_now, more = _fold_chunk(store, tx.connection, chunk)
            total += folded_now
            if not more:
                return total
    except (OperationalError, sqlite3.OperationalError) as error:  # SQLite's BEGIN is on the driver
        if not is_lock_timeout(error):
            raise
        return None  # the audit trail was busy: the counts stay exact, the next fold takes these events


def _fold_chunk(store: Store, connection: Any, chunk: int) -> tuple[int, bool]:
    """Fold the events after the watermark, up to ``chunk`` ids; (events folded, whether more wait)."""
    if not store.is_sqlite:
        # Ids are taken before commit: wait for the transactions writing the audit trail, so that no
        # event below the new watermark is still uncommitted (and would never be counted).
        connection.exec_driver_sql("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE")
    after = connection.execute(select(order_counts_folded.c.last_audit_id)).scalar_one()
    newest = connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
    if newest is None or newest <= after:
        return 0, False
    upto = min(newest, after + chunk)
    moves = _moves(after, upto)
    sums = connection.execute(
        select(moves.c.department, moves.c.workflow, moves.c.state, func.sum(moves.c.n)).group_by(
            moves.c.department, moves.c.workflow, moves.c.state
        )
    ).all()
    rows = [{"department": d, "workflow": w, "state": s, "orders": int(n)} for d, w, s, n in sums if n]
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
    connection.execute(update(order_counts_folded).values(last_audit_id=upto))
    return int(events), upto < newest


def _stored(moment: datetime, store: Store) -> datetime:
    """``moment`` as the column stores it: SQLite keeps no zone, so UTC wall time, as ``Tx.ts`` does."""
    return moment.astimezone(UTC).replace(tzinfo=None) if store.is_sqlite else moment


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
