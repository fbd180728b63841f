"""The repository: every read and write the runtime makes, one method each.

The statements are SQLAlchemy Core constructs built once per ``Store`` and compiled once for its
dialect; a transaction runs them on the driver connection underneath SQLAlchemy's, which skips the
per-call statement handling that costs as much as the database on the fire path. Plugins receive the
SQLAlchemy ``Connection`` of the same transaction (``Tx.connection``) and may use Core freely.

SQLite runs in WAL mode with a busy timeout and foreign keys on; write transactions start with
``BEGIN IMMEDIATE`` (the SQLAlchemy recipe for pysqlite transactional control), so two writers queue
instead of failing at commit. Read transactions start with a plain ``BEGIN``.

WAL checkpoints (copying committed pages back into the database file, with its sync) run off the
committing request: a file-backed SQLite ``Store`` wakes a background thread after commits, which runs
``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection (it never blocks readers or writers). SQLite's
own autocheckpoint stays on as the fallback, at ``WAL_AUTOCHECKPOINT_PAGES``, so the WAL stays bounded
even when the thread falls behind or is stopped.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import orjson
import psycopg
from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    String,
    and_,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql as postgresql_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import ClauseElement, ColumnClause

from engine.errors import ContentionError, StoredDocumentError
from engine.store import documents
from engine.store.documents import (
    AUDIT_EVENT,
    CORRELATION_MATCH,
    IDEMPOTENT_RESULT,
    ORDER_DATA,
    OUTBOX_PAYLOAD,
    WORKFLOW_BUNDLE,
)
from engine.store.tables import (
    SCHEMA_VERSION,
    STATE_JOIN,
    audit_events,
    correlation_cursor,
    correlation_matches,
    idempotency,
    orders,
    outbox,
    stock,
    timers,
    workflow_versions,
)

# An integrity violation (a unique key a concurrent transaction took first), whichever layer reports
# it: statements run on the driver's cursor raise the driver's own error, SQLAlchemy wraps it.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    IntegrityError,
    sqlite3.IntegrityError,
    psycopg.IntegrityError,
)
# The largest id or version number a row can hold (a signed 64-bit integer on both databases): a larger
# number, typed by a user (`orders show 99999999999999999999999`), finds nothing instead of making the
# SQLite driver raise OverflowError.
MAX_ID = 2**63 - 1
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"
_READ_ONLY = "orderloom_read_only"
# Constants are written into the SQL text, so every parameter of a statement is a named one.
_SV: ColumnClause[Any] = literal_column(str(SCHEMA_VERSION))
_SCHEDULED: ColumnClause[Any] = literal_column("'scheduled'")
_ONE: ColumnClause[Any] = literal_column("1")
_PENDING: ColumnClause[Any] = literal_column("'pending'")
_DEAD: ColumnClause[Any] = literal_column("'dead'")
_STATE_BAR: ColumnClause[Any] = literal_column(f"'{STATE_JOIN}'", String)


def _like_escaped(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern whose escape character is a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class OrderRow:
    id: int
    department: str
    workflow: str
    version: int
    channel: str | None
    state: str
    data: dict[str, Any]
    lock_version: int
    created_at: datetime
    updated_at: datetime
    final: bool


@dataclass(frozen=True)
class VersionRow:
    workflow: str
    version: int
    content_hash: str
    department: str
    bundle: Any
    published_at: datetime
    published_by: str | None


@dataclass(frozen=True)
class AuditRow:
    id: int
    order_id: int
    seq: int
    at: datetime
    actor: str
    trigger: str
    from_state: str | None
    to_state: str
    data_changes: dict[str, Any]
    guards: list[Any]
    rules: dict[str, Any] | None
    reason: str | None


@dataclass(frozen=True)
class TimerRow:
    id: int
    order_id: int
    state: str
    trigger: str
    reason: str | None
    due_at: datetime
    status: str
    claimed_by: str | None
    # why it was cancelled, when not simply for leaving its state; on a scheduled timer, why it could not
    # fire the last time it was due (it is tried again)
    note: str | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    payload: Any
    created_at: datetime
    attempts: int
    last_error: str | None
    claimed_by: str | None
    sent_at: datetime | None
    status: str = "pending"  # pending, sent, dead, internal (tables.OUTBOX_STATUSES)
    next_attempt_at: datetime | None = None  # a pending message is not tried before it
    dead_at: datetime | None = None
    department: str | None = None
    last_attempt_at: datetime | None = None
    replayed_by: str | None = None
    replayed_at: datetime | None = None
    # Why this OrderLoom cannot read the payload (then None): written by a newer one, or changed outside
    # OrderLoom. Only the lists and the message an operator looks at carry such a row; no worker
    # delivers it (``claim_outbox`` gives it back).
    unreadable: StoredDocumentError | None = field(default=None, compare=False)


@dataclass(frozen=True)
class UnreadableRow:
    """A row of the audit trail, the outbox or the correlation matches whose stored document (for an
    audit event, also its order's data) this OrderLoom cannot read: what the correlation feed passes
    over, saying so, instead of stopping at it."""

    table: str  # "audit_events", "outbox" or "correlation_matches"
    id: int
    at: datetime
    error: StoredDocumentError

    def describe(self, lang: str = "en") -> str:
        """``audit event 7: <why>`` in ``lang`` (only the why when it names the row itself)."""
        what = _ROW_NAMES[self.table]
        name = f"{what[1] if lang.startswith('zh') else what[0]} {self.id}"
        why = self.error.message(lang)
        return why if why.startswith(f"{name} ") else f"{name}: {why}"


_ROW_NAMES = {
    "audit_events": ("audit event", "审计事件"),
    "outbox": ("outbox message", "发件箱消息"),
    "correlation_matches": ("correlation match", "关联匹配"),
}


@dataclass(frozen=True)
class CorrelationCursorRow:
    name: str
    last_audit_id: int
    last_outbox_id: int
    claimed_by: str | None
    claimed_at: datetime | None


_ORDER_COLUMNS = (
    orders.c.id,
    orders.c.department,
    orders.c.workflow,
    orders.c.version,
    orders.c.channel,
    orders.c.state,
    orders.c.data,
    orders.c.lock_version,
    orders.c.created_at,
    orders.c.updated_at,
    orders.c.final,
    orders.c.schema_version,  # of the data (engine.store.documents)
)
_VERSION_COLUMNS = (
    workflow_versions.c.workflow,
    workflow_versions.c.version,
    workflow_versions.c.content_hash,
    workflow_versions.c.department,
    workflow_versions.c.bundle,
    workflow_versions.c.published_at,
    workflow_versions.c.published_by,
    workflow_versions.c.schema_version,
)
_AUDIT_COLUMNS = (
    audit_events.c.id,
    audit_events.c.order_id,
    audit_events.c.seq,
    audit_events.c.at,
    audit_events.c.actor,
    audit_events.c.trigger,
    audit_events.c.from_state,
    audit_events.c.to_state,
    audit_events.c.data_changes,
    audit_events.c.guards,
    audit_events.c.rules,
    audit_events.c.reason,
    audit_events.c.schema_version,
)
_TIMER_COLUMNS = (
    timers.c.id,
    timers.c.order_id,
    timers.c.state,
    timers.c.trigger,
    timers.c.reason,
    timers.c.due_at,
    timers.c.status,
    timers.c.claimed_by,
    timers.c.note,
)


_OUTBOX_COLUMNS = (
    outbox.c.id,
    outbox.c.topic,
    outbox.c.payload,
    outbox.c.created_at,
    outbox.c.attempts,
    outbox.c.last_error,
    outbox.c.claimed_by,
    outbox.c.sent_at,
    outbox.c.status,
    outbox.c.next_attempt_at,
    outbox.c.dead_at,
    outbox.c.department,
    outbox.c.last_attempt_at,
    outbox.c.replayed_by,
    outbox.c.replayed_at,
    outbox.c.schema_version,
)
DEFAULT_LEASE = timedelta(minutes=5)


def _statements() -> dict[str, Executable]:
    """Every fixed statement of the repository, built once."""
    b = bindparam
    return {
        "order_by_id": select(*_ORDER_COLUMNS).where(orders.c.id == b("id")),
        "insert_order": insert(orders)
        .values(
            department=b("department"),
            workflow=b("workflow"),
            version=b("version"),
            channel=b("channel"),
            state=b("state"),
            data=b("data"),
            schema_version=_SV,
            lock_version=b("lock_version"),
            created_at=b("at"),
            updated_at=b("at"),
            final=b("final"),
        )
        .returning(orders.c.id),
        # Without the version: a column an index holds costs the index a write (a page more in the
        # WAL of every step) even when its value stays; only a migration changes it.
        "update_order": update(orders)
        .where(and_(orders.c.id == b("id"), orders.c.lock_version == b("expected")))
        .values(
            state=b("state"),
            data=b("data"),
            lock_version=b("lock_version"),
            updated_at=b("at"),
            final=b("final"),
        ),
        "update_order_version": update(orders)
        .where(and_(orders.c.id == b("id"), orders.c.lock_version == b("expected")))
        .values(
            state=b("state"),
            data=b("data"),
            version=b("version"),
            lock_version=b("lock_version"),
            updated_at=b("at"),
            final=b("final"),
        ),
        "insert_audit": insert(audit_events)
        .values(
            order_id=b("order_id"),
            seq=b("seq"),
            at=b("at"),
            actor=b("actor"),
            trigger=b("trigger"),
            from_state=b("from_state"),
            to_state=b("to_state"),
            data_changes=b("data_changes"),
            guards=b("guards"),
            rules=b("rules"),
            reason=b("reason"),
            schema_version=_SV,
        )
        .returning(audit_events.c.id),
        "history": select(*_AUDIT_COLUMNS)
        .where(audit_events.c.order_id == b("order_id"))
        .order_by(audit_events.c.seq),
        "insert_timer": insert(timers).values(
            order_id=b("order_id"),
            state=b("state"),
            trigger=b("trigger"),
            reason=b("reason"),
            due_at=b("due_at"),
            status=_SCHEDULED,
        ),
        "cancel_timers": update(timers)
        .where(
            and_(
                timers.c.order_id == b("order_id"),
                timers.c.state == b("state"),
                timers.c.status == _SCHEDULED,
            )
        )
        .values(status=literal_column("'cancelled'")),
        "timer_by_id": select(*_TIMER_COLUMNS).where(timers.c.id == b("id")),
        "finish_timer": update(timers)
        .where(timers.c.id == b("id"))
        .values(status=b("status"), note=b("note")),
        "due_timer_ids": _due_timers(),
        "claim_timer": update(timers)
        .where(and_(timers.c.id == b("id"), timers.c.status == _SCHEDULED, _claimable(timers)))
        .values(claimed_by=b("worker"), claimed_at=b("now")),
        "fire_timer": update(timers)
        .where(
            and_(timers.c.id == b("id"), timers.c.status == _SCHEDULED, timers.c.claimed_by == b("worker"))
        )
        .values(status=literal_column("'fired'"), note=null()),
        "note_timer": update(timers)
        .where(
            and_(timers.c.id == b("id"), timers.c.status == _SCHEDULED, timers.c.claimed_by == b("worker"))
        )
        .values(note=b("note")),
        "order_timers": select(*_TIMER_COLUMNS)
        .where(timers.c.order_id == b("order_id"))
        .order_by(timers.c.id),
        "insert_outbox": insert(outbox).values(
            topic=b("topic"),
            payload=b("payload"),
            schema_version=_SV,
            created_at=b("at"),
            status=b("status"),
            next_attempt_at=b("next_attempt_at"),
            department=b("department"),
        ),
        "get_idempotent": select(
            idempotency.c.result, idempotency.c.request_hash, idempotency.c.schema_version
        ).where(and_(idempotency.c.actor == b("actor"), idempotency.c.key == b("key"))),
        "put_idempotent": insert(idempotency).values(
            actor=b("actor"),
            key=b("key"),
            order_id=b("order_id"),
            result=b("result"),
            request_hash=b("request_hash"),
            schema_version=_SV,
            created_at=b("at"),
        ),
        "version": select(*_VERSION_COLUMNS).where(
            and_(workflow_versions.c.workflow == b("workflow"), workflow_versions.c.version == b("version"))
        ),
        "version_by_hash": select(*_VERSION_COLUMNS).where(
            and_(
                workflow_versions.c.workflow == b("workflow"),
                workflow_versions.c.content_hash == b("content_hash"),
            )
        ),
        "versions": select(*_VERSION_COLUMNS)
        .where(workflow_versions.c.workflow == b("workflow"))
        .order_by(workflow_versions.c.version),
        "latest_version": select(*_VERSION_COLUMNS)
        .where(workflow_versions.c.workflow == b("workflow"))
        .order_by(workflow_versions.c.version.desc())
        .limit(b("limit"))
        .offset(b("offset")),
        "workflow_names": select(workflow_versions.c.workflow)
        .distinct()
        .order_by(workflow_versions.c.workflow),
        "latest_version_number": select(workflow_versions.c.version)
        .where(workflow_versions.c.workflow == b("workflow"))
        .order_by(workflow_versions.c.version.desc())
        .limit(b("limit"))
        .offset(b("offset")),
        "insert_version": insert(workflow_versions).values(
            workflow=b("workflow"),
            version=b("version"),
            content_hash=b("content_hash"),
            department=b("department"),
            bundle=b("bundle"),
            schema_version=_SV,
            published_at=b("at"),
            published_by=b("published_by"),
        ),
        "orders_on_version": select(*_ORDER_COLUMNS)
        .where(and_(orders.c.workflow == b("workflow"), orders.c.version == b("version")))
        .order_by(orders.c.id),
        "pending_outbox": select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.schema_version)
        .where(outbox.c.status == _PENDING)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(b("limit"))
        .offset(b("offset")),
        "outbox_ids": _pending_outbox(),
        "claim_outbox": update(outbox)
        .where(and_(outbox.c.id == b("id"), outbox.c.status == _PENDING, _claimable(outbox)))
        .values(claimed_by=b("worker"), claimed_at=b("now")),
        "outbox_by_id": select(*_OUTBOX_COLUMNS).where(outbox.c.id == b("id")),
        "outbox_unclaim": update(outbox)
        .where(and_(outbox.c.id == b("id"), outbox.c.claimed_by == b("worker")))
        .values(claimed_by=null(), claimed_at=null()),
        "outbox_sent": update(outbox)
        .where(_held_by_worker())
        .values(
            status=literal_column("'sent'"),
            sent_at=b("at"),
            attempts=outbox.c.attempts + _ONE,
            last_error=null(),
            last_attempt_at=b("at"),
        ),
        "outbox_retry": update(outbox)
        .where(_held_by_worker())
        .values(
            attempts=outbox.c.attempts + _ONE,
            last_error=b("error"),
            last_attempt_at=b("at"),
            next_attempt_at=b("retry_at"),
            claimed_by=null(),
            claimed_at=null(),
        ),
        "outbox_dead": update(outbox)
        .where(_held_by_worker())
        .values(
            status=_DEAD,
            dead_at=b("at"),
            attempts=outbox.c.attempts + _ONE,
            last_error=b("error"),
            last_attempt_at=b("at"),
            claimed_by=null(),
            claimed_at=null(),
        ),
        "outbox_release": update(outbox)
        .where(_held_by_worker())
        .values(claimed_by=null(), claimed_at=null()),
        "release_outbox_claims": update(outbox)
        .where(and_(outbox.c.status == _PENDING, outbox.c.claimed_by == b("worker")))
        .values(claimed_by=null(), claimed_at=null()),
        "release_timer_claims": update(timers)
        .where(and_(timers.c.status == _SCHEDULED, timers.c.claimed_by == b("worker")))
        .values(claimed_by=null(), claimed_at=null()),
        # Back to be delivered: a dead letter, or a pending message nobody is sending now (tried at
        # once instead of when its back-off ends). Its attempts start again from none.
        "outbox_replay": update(outbox)
        .where(
            and_(
                outbox.c.id == b("id"),
                or_(
                    outbox.c.status == _DEAD,
                    and_(outbox.c.status == _PENDING, _claimable(outbox)),
                ),
            )
        )
        .values(
            status=_PENDING,
            next_attempt_at=b("now"),
            dead_at=null(),
            attempts=literal_column("0"),
            claimed_by=null(),
            claimed_at=null(),
            replayed_by=b("by"),
            replayed_at=b("now"),
        ),
    }


def _held_by_worker() -> Any:
    """The pending message ``:id`` while worker ``:worker`` holds its claim."""
    return and_(
        outbox.c.id == bindparam("id"),
        outbox.c.status == _PENDING,
        outbox.c.claimed_by == bindparam("worker"),
    )


def _claimable(table: Any) -> Any:
    """Nobody holds the row, or its holder's lease ran out (claimed at or before ``:stale``)."""
    return or_(table.c.claimed_by.is_(None), table.c.claimed_at <= bindparam("stale"))


def _due_timers() -> Any:
    return (
        select(timers.c.id)
        .where(and_(timers.c.status == _SCHEDULED, timers.c.due_at <= bindparam("now"), _claimable(timers)))
        .order_by(timers.c.due_at, timers.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


def _pending_outbox() -> Any:
    """Pending messages whose time has come, by that time: one failing again and again is put off
    further each time and never stands before the messages written after it (``ix_outbox_pending``)."""
    return (
        select(outbox.c.id)
        .where(
            and_(
                outbox.c.status == _PENDING, outbox.c.next_attempt_at <= bindparam("now"), _claimable(outbox)
            )
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is, anything else JSON lacks (dates, decimals) as ``str``.

    orjson writes it about ten times faster than the standard library, which writes what orjson
    refuses (keys that are not strings, integers beyond 64 bits). NaN and infinities, which JSON
    does not have, are written as ``null``.
    """
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def loads(text: str | bytes) -> Any:
    """JSON text read back; the standard library reads what orjson refuses (``NaN`` of older rows)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Tx:
    """One open database transaction: the repository methods the runtime calls.

    ``writing``: a write transaction (``Store.transaction``). On PostgreSQL it locks what it reads to
    change, in one order everywhere (see :data:`STOCK_LOCK_ORDER`): the order it loads, then the
    stock rows routing reads."""

    def __init__(self, store: Store, connection: Connection, *, writing: bool = False) -> None:
        self.store = store
        self.connection = connection  # for plugins: SQLAlchemy Core on the same transaction
        self.writing = writing
        self._locks = writing and not store.is_sqlite
        driver = connection.connection.driver_connection
        assert driver is not None
        self._cursor = driver.cursor()
        self._sql = store._sql
        self._sqlite = store.is_sqlite
        self._last_time: datetime | None = None
        self._last_ts: Any = None

    # -- conversions between Python values and the driver's ------------------------------------

    def ts(self, value: datetime) -> Any:
        if value is self._last_time:  # a step writes the same moment into several rows
            return self._last_ts
        converted = value.astimezone(UTC)
        stamp = converted.replace(tzinfo=None).isoformat(" ", "microseconds") if self._sqlite else converted
        self._last_time, self._last_ts = value, stamp
        return stamp

    def _time(self, value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @staticmethod
    def _json(value: Any) -> Any:
        return loads(value) if isinstance(value, str | bytes) else value

    @staticmethod
    def dumps(value: Any) -> str:
        return dumps(value)

    # -- execution -----------------------------------------------------------------------------

    def run(self, name: str, params: Mapping[str, Any]) -> Any:
        cursor = self._cursor
        cursor.execute(self._sql[name], params)
        return cursor

    def run_statement(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        """Compile and run a one-off statement (filters built per call) on the driver connection."""
        sql = self.store.render(statement)
        cursor = self._cursor
        cursor.execute(sql, dict(params or {}))
        return cursor

    # -- orders --------------------------------------------------------------------------------

    def _order(self, row: Sequence[Any]) -> OrderRow:
        return OrderRow(
            id=row[0],
            department=row[1],
            workflow=row[2],
            version=row[3],
            channel=row[4],
            state=row[5],
            data=documents.read(ORDER_DATA, row[11], self._json(row[6]), row[0]),
            lock_version=row[7],
            created_at=self._time(row[8]),
            updated_at=self._time(row[9]),
            final=bool(row[10]),
        )

    def load_order(self, order_id: int) -> OrderRow | None:
        """The order; in a write transaction on PostgreSQL its row stays locked until the end, so a
        second change to the order waits here and then reads the first one's result (as on SQLite)."""
        if not 0 < order_id <= MAX_ID:  # no row holds it (and SQLite's driver refuses past 64 bits)
            return None
        row = self.run("order_by_id_locked" if self._locks else "order_by_id", {"id": order_id}).fetchone()
        return None if row is None else self._order(row)

    def insert_order(
        self,
        *,
        department: str,
        workflow: str,
        version: int,
        channel: str | None,
        state: str,
        data: Mapping[str, Any],
        final: bool,
        at: datetime,
    ) -> int:
        row = self.run(
            "insert_order",
            {
                "department": department,
                "workflow": workflow,
                "version": version,
                "channel": channel,
                "state": state,
                "data": self.dumps(data),
                "lock_version": 1,
                "at": self.ts(at),
                "final": final,
            },
        ).fetchone()
        return int(row[0])

    def update_order(
        self,
        order_id: int,
        *,
        expected_lock_version: int,
        new_lock_version: int | None = None,
        state: str,
        data: Mapping[str, Any],
        version: int | None = None,
        final: bool,
        at: datetime,
    ) -> bool:
        """Write the order if nobody changed it since ``expected_lock_version``; False otherwise.

        ``new_lock_version`` defaults to one more; a transaction that takes several steps (automatic
        transitions) bumps it once per step, so every audit event keeps ``seq == lock_version``.
        ``version`` moves the order to another workflow version (a migration); None keeps its own.
        """
        params = {
            "id": order_id,
            "expected": expected_lock_version,
            "state": state,
            "data": self.dumps(data),
            "lock_version": new_lock_version or expected_lock_version + 1,
            "at": self.ts(at),
            "final": final,
        }
        if version is None:
            cursor = self.run("update_order", params)
        else:
            cursor = self.run("update_order_version", {**params, "version": version})
        return bool(cursor.rowcount == 1)

    def list_orders(
        self,
        *,
        departments: frozenset[str] | None,
        department: str | None = None,
        state: str | None = None,
        workflow: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OrderRow]:
        """Orders newest first; ``departments=None`` means every department.

        ``state`` matches an order one of whose leaves is the state itself or one of its children
        (``fulfilling`` and ``fulfilling.payment`` both match ``fulfilling.payment.awaiting``), in
        any position of a parallel order's ``|``-joined leaves; a mere prefix of a name never does.
        A ``state`` holding ``|`` is a whole parallel state and matches only orders in exactly it.

        One department is read newest first from the index ``(department, id)``, stopping at
        ``limit``. Filtered over several, the database would gather every matching order and sort
        them (2 s at a million orders): each department is read that way instead, and the newest
        merged.
        """
        names: list[str] | None = None
        if departments is not None:
            names = sorted(departments if department is None else departments & {department})
            if not names:
                return []
        elif department is not None:
            names = [department]
        elif state is not None or workflow is not None:
            names = self.order_departments()
        if names is None or len(names) == 1:
            return self._orders_newest_first(names[0] if names else None, state, workflow, limit, offset)
        found = [
            row
            for name in names
            for row in self._orders_newest_first(name, state, workflow, offset + limit, 0)
        ]
        found.sort(key=lambda row: row.id, reverse=True)
        return found[offset : offset + limit]

    def order_departments(self) -> list[str]:
        """The departments that have orders, in order: one index look-up per department (a loose index
        scan of ``(department, id)``), not a pass over every order."""
        rows = self.run_statement(
            text(
                "WITH RECURSIVE d(name) AS ("
                " SELECT min(department) FROM orders"
                " UNION ALL SELECT (SELECT min(department) FROM orders WHERE department > d.name)"
                " FROM d WHERE d.name IS NOT NULL)"
                " SELECT name FROM d WHERE name IS NOT NULL"
            )
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _orders_newest_first(
        self, department: str | None, state: str | None, workflow: str | None, limit: int, offset: int
    ) -> list[OrderRow]:
        query = select(*_ORDER_COLUMNS)
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if department is not None:
            query = query.where(orders.c.department == bindparam("department"))
            params["department"] = department
        if workflow is not None:
            query = query.where(orders.c.workflow == bindparam("workflow"))
            params["workflow"] = workflow
        if state is not None and STATE_JOIN in state:  # a whole parallel state, leaves joined
            query = query.where(orders.c.state == bindparam("state"))
            params["state"] = state
        elif state is not None:
            # Leaves never hold the separator, so "|" + state + "|" brackets every leaf.
            bracketed = _STATE_BAR.concat(orders.c.state).concat(_STATE_BAR)
            query = query.where(
                or_(
                    bracketed.like(bindparam("state_leaf"), escape="\\"),
                    bracketed.like(bindparam("state_child"), escape="\\"),
                )
            )
            name = _like_escaped(state)
            bar = STATE_JOIN
            params.update(state_leaf=f"%{bar}{name}{bar}%", state_child=f"%{bar}{name}.%")
        query = query.order_by(orders.c.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))
        rows = self.run_statement(query, params).fetchall()
        return [self._order(row) for row in rows]

    def orders_on_version(self, workflow: str, version: int) -> list[OrderRow]:
        rows = self.run("orders_on_version", {"workflow": workflow, "version": version}).fetchall()
        return [self._order(row) for row in rows]

    # -- audit ---------------------------------------------------------------------------------

    def insert_audit(
        self,
        *,
        order_id: int,
        seq: int,
        at: datetime,
        actor: str,
        trigger: str,
        from_state: str | None,
        to_state: str,
        data_changes: Mapping[str, Any],
        guards: Sequence[Any],
        rules: Mapping[str, Any] | None,
        reason: str | None,
    ) -> int:
        row = self.run(
            "insert_audit",
            {
                "order_id": order_id,
                "seq": seq,
                "at": self.ts(at),
                "actor": actor,
                "trigger": trigger,
                "from_state": from_state,
                "to_state": to_state,
                "data_changes": self.dumps(data_changes),
                "guards": self.dumps(list(guards)),
                "rules": None if rules is None else self.dumps(rules),
                "reason": reason,
            },
        ).fetchone()
        return int(row[0])

    def history(self, order_id: int) -> list[AuditRow]:
        rows = self.run("history", {"order_id": order_id}).fetchall()
        return [self._audit(r) for r in rows]

    # -- timers --------------------------------------------------------------------------------

    def schedule_timer(
        self, *, order_id: int, state: str, trigger: str, reason: str | None, due_at: datetime
    ) -> None:
        self.run(
            "insert_timer",
            {
                "order_id": order_id,
                "state": state,
                "trigger": trigger,
                "reason": reason,
                "due_at": self.ts(due_at),
            },
        )

    def stock_available(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        """Units free to reserve (on hand minus reserved) per sku and warehouse, for routing.

        In a write transaction on PostgreSQL the rows are locked as they are read (``FOR UPDATE``, in
        :data:`STOCK_LOCK_ORDER`): routing then decides on stock no other transaction can take before
        this one commits, and reads it after any transaction that was changing it has committed, as
        SQLite's single writer does. Otherwise two orders racing for the last unit would both be
        routed to it, and the one whose reservation then found it gone refused whole."""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        cursor = self._cursor
        sql = self.store.stock_sql(len(wanted), lock=self._locks)
        cursor.execute(sql, {f"sku_{i}": sku for i, sku in enumerate(wanted)})
        available: dict[str, dict[str, int]] = {}
        for sku, warehouse, units in cursor.fetchall():
            available.setdefault(sku, {})[warehouse] = int(units)
        return available

    def cancel_timers(self, order_id: int, state: str) -> int:
        """Cancel the scheduled timers an order holds in ``state`` (the order left it)."""
        return int(self.run("cancel_timers", {"order_id": order_id, "state": state}).rowcount)

    def _timer(self, r: Sequence[Any]) -> TimerRow:
        return TimerRow(
            id=r[0],
            order_id=r[1],
            state=r[2],
            trigger=r[3],
            reason=r[4],
            due_at=self._time(r[5]),
            status=r[6],
            claimed_by=r[7],
            note=r[8],
        )

    def timer(self, timer_id: int) -> TimerRow | None:
        row = self.run("timer_by_id", {"id": timer_id}).fetchone()
        return None if row is None else self._timer(row)

    def order_timers(self, order_id: int) -> list[TimerRow]:
        return [self._timer(r) for r in self.run("order_timers", {"order_id": order_id}).fetchall()]

    def finish_timer(self, timer_id: int, status: str, note: str | None = None) -> None:
        """Set a claimed timer's final status, whatever it was (only its claiming worker calls this);
        ``note`` says why, where leaving its state is not the whole story."""
        self.run("finish_timer", {"id": timer_id, "status": status, "note": note})

    def note_timer(self, timer_id: int, worker_id: str, note: str) -> bool:
        """Keep why a timer could not fire on it, leaving it scheduled and claimed by ``worker_id`` (so
        it is tried again once the claim's lease runs out); False when the worker no longer holds it."""
        return bool(self.run("note_timer", {"id": timer_id, "worker": worker_id, "note": note}).rowcount == 1)

    def fire_timer(self, timer_id: int, worker_id: str) -> bool:
        """Mark a timer fired if it is still scheduled and claimed by ``worker_id``; False otherwise.

        Called in the transaction that fires the timer's transition, so the two commit together. On
        PostgreSQL the update locks the row: a worker that reclaimed the timer after a lapsed lease
        waits here and then finds it no longer scheduled.
        """
        return bool(self.run("fire_timer", {"id": timer_id, "worker": worker_id}).rowcount == 1)

    def _claim(
        self, pick: str, claim: str, worker_id: str, now: datetime, limit: int, lease: timedelta
    ) -> list[int]:
        """Candidates from statement ``pick``, each then taken with the conditional UPDATE ``claim``."""
        at, stale = self.ts(now), self.ts(now - lease)
        if not self._sqlite:
            pick += "_locked"
        params = {"now": at, "stale": stale, "limit": limit, "offset": 0}
        ids = [r[0] for r in self.run(pick, params).fetchall()]
        taking = {"worker": worker_id, "now": at, "stale": stale}
        return [row_id for row_id in ids if self.run(claim, {**taking, "id": row_id}).rowcount == 1]

    def claim_due_timers(
        self, worker_id: str, now: datetime, limit: int, lease: timedelta = DEFAULT_LEASE
    ) -> list[int]:
        """Claim up to ``limit`` due timers for ``worker_id``; each timer is claimed by one worker only.

        A claim older than ``lease`` (its worker died or hangs) may be taken over by another worker.
        PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so racing workers take disjoint rows.
        SQLite: a conditional ``UPDATE ... WHERE claimed_by IS NULL OR claimed_at <= :stale`` each.
        """
        return self._claim("due_timer_ids", "claim_timer", worker_id, now, limit, lease)

    def release_claims(self, worker_id: str) -> tuple[int, int]:
        """Let go of every timer and outbox message ``worker_id`` claimed and has not finished (it is
        stopping): others take them at once instead of after the lease. Returns (timers, messages)."""
        params = {"worker": worker_id}
        timers_released = int(self.run("release_timer_claims", params).rowcount)
        return timers_released, int(self.run("release_outbox_claims", params).rowcount)

    # -- outbox and idempotency ----------------------------------------------------------------

    def insert_outbox(
        self,
        topic: str,
        payload: Mapping[str, Any],
        at: datetime,
        *,
        department: str | None = None,
        deliver: bool = True,
    ) -> None:
        """Write a message; ``deliver=False`` writes an event for the correlation feed alone
        (``internal``: no worker ever delivers it)."""
        stamp = self.ts(at)
        self.run(
            "insert_outbox",
            {
                "topic": topic,
                "payload": self.dumps(payload),
                "at": stamp,
                "status": "pending" if deliver else "internal",
                "next_attempt_at": stamp if deliver else None,
                "department": department,
            },
        )

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, Any]]:
        """The pending messages (due or not), in the order they will be tried: (id, topic, payload)."""
        rows = self.run("pending_outbox", {"limit": limit, "offset": 0}).fetchall()
        return [(r[0], r[1], documents.read(OUTBOX_PAYLOAD, r[3], self._json(r[2]), r[0])) for r in rows]

    def claim_outbox(
        self, worker_id: str, now: datetime, limit: int, lease: timedelta = DEFAULT_LEASE
    ) -> list[OutboxRow]:
        """Claim up to ``limit`` pending messages whose next attempt is due, the earliest due first, the
        way timers are claimed.

        A message whose payload this code cannot read (written by a newer OrderLoom) is not this
        worker's to send: its claim is given back at once, for a worker that reads it."""
        ids = self._claim("outbox_ids", "claim_outbox", worker_id, now, limit, lease)
        claimed = []
        for row_id in ids:
            try:
                claimed.append(self._outbox(self.run("outbox_by_id", {"id": row_id}).fetchone()))
            except StoredDocumentError:
                self.run("outbox_unclaim", {"id": row_id, "worker": worker_id})
        return claimed

    def outbox_message(self, outbox_id: int) -> OutboxRow | None:
        """The message, also one whose payload this code cannot read (``unreadable`` says why)."""
        if not 0 < outbox_id <= MAX_ID:  # no row holds it (and SQLite's driver refuses past 64 bits)
            return None
        row = self.run("outbox_by_id", {"id": outbox_id}).fetchone()
        return None if row is None else self._outbox(row, lenient=True)

    def outbox_sent(self, outbox_id: int, worker_id: str, at: datetime) -> bool:
        """Mark a message sent if ``worker_id`` still holds it; False when its claim was taken over."""
        params = {"id": outbox_id, "worker": worker_id, "at": self.ts(at)}
        return bool(self.run("outbox_sent", params).rowcount == 1)

    def outbox_failed(
        self, outbox_id: int, worker_id: str, error: str, at: datetime, retry_at: datetime | None = None
    ) -> bool:
        """Count a failed attempt and keep its error; the message is tried again from ``retry_at``, or,
        with ``retry_at=None``, given up on (``dead``). The claim is released either way. False when
        ``worker_id`` no longer holds the message."""
        params: dict[str, Any] = {"id": outbox_id, "worker": worker_id, "error": error, "at": self.ts(at)}
        if retry_at is None:
            return bool(self.run("outbox_dead", params).rowcount == 1)
        params["retry_at"] = self.ts(retry_at)
        return bool(self.run("outbox_retry", params).rowcount == 1)

    def outbox_release(self, outbox_id: int, worker_id: str) -> bool:
        """Give a claimed message back untried (no attempt counted): another round takes it."""
        return bool(self.run("outbox_release", {"id": outbox_id, "worker": worker_id}).rowcount == 1)

    def outbox_replay(self, outbox_id: int, by: str, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
        """Send a dead letter (or a pending message nobody is sending now) back to be delivered at once,
        its attempts counted from none again; False for a message that is sent, internal, being sent
        or not there."""
        params = {"id": outbox_id, "by": by, "now": self.ts(now), "stale": self.ts(now - lease)}
        return bool(self.run("outbox_replay", params).rowcount == 1)

    def outbox_list(
        self,
        *,
        departments: frozenset[str] | None,
        status: str | None = None,
        topic: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OutboxRow]:
        """Messages newest first, of ``status`` and ``topic`` when given; ``departments=None`` means
        every message, else only those of these departments. A message whose payload this code cannot
        read is listed too, its ``unreadable`` saying why."""
        o = outbox.c
        query = select(*_OUTBOX_COLUMNS)
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            query = query.where(o.status == bindparam("status"))
            params["status"] = status
        if topic is not None:
            query = query.where(o.topic == bindparam("topic"))
            params["topic"] = topic
        if departments is not None:
            names = sorted(departments)
            if not names:
                return []
            query = query.where(o.department.in_([bindparam(f"department_{i}") for i in range(len(names))]))
            params.update({f"department_{i}": name for i, name in enumerate(names)})
        query = query.order_by(o.id.desc()).limit(bindparam("limit")).offset(bindparam("offset"))
        return [self._outbox(r, lenient=True) for r in self.run_statement(query, params).fetchall()]

    def outbox_counts(self, *, departments: frozenset[str] | None) -> dict[str, int]:
        """How many messages are pending and dead (each read from its own small index)."""
        o = outbox.c
        counts: dict[str, int] = {}
        for status in ("pending", "dead"):
            query = select(func.count()).select_from(outbox).where(o.status == bindparam("status"))
            params: dict[str, Any] = {"status": status}
            if departments is not None:
                names = sorted(departments)
                if not names:
                    counts[status] = 0
                    continue
                query = query.where(o.department.in_([bindparam(f"d_{i}") for i in range(len(names))]))
                params.update({f"d_{i}": name for i, name in enumerate(names)})
            counts[status] = int(self.run_statement(query, params).fetchone()[0])
        return counts

    def _outbox(self, r: Sequence[Any], *, lenient: bool = False) -> OutboxRow:
        """The row; a payload this code cannot read raises ``StoredDocumentError``, or, ``lenient``,
        gives the row without it (``payload`` None, ``unreadable`` saying why)."""
        unreadable: StoredDocumentError | None = None
        try:
            payload = documents.read(OUTBOX_PAYLOAD, r[15], self._json(r[2]), r[0])
        except StoredDocumentError as error:
            if not lenient:
                raise
            payload, unreadable = None, error
        return OutboxRow(
            id=r[0],
            topic=r[1],
            payload=payload,
            created_at=self._time(r[3]),
            attempts=r[4],
            last_error=r[5],
            claimed_by=r[6],
            sent_at=None if r[7] is None else self._time(r[7]),
            status=r[8],
            next_attempt_at=None if r[9] is None else self._time(r[9]),
            dead_at=None if r[10] is None else self._time(r[10]),
            department=r[11],
            last_attempt_at=None if r[12] is None else self._time(r[12]),
            replayed_by=r[13],
            replayed_at=None if r[14] is None else self._time(r[14]),
            unreadable=unreadable,
        )

    def get_idempotent(self, actor: str, key: str) -> Any | None:
        found = self.idempotent_entry(actor, key)
        return None if found is None else found[0]

    def idempotent_entry(self, actor: str, key: str) -> tuple[Any, str | None] | None:
        """The stored result of ``actor``'s ``key`` and the fingerprint of its request (None on old rows)."""
        row = self.run("get_idempotent", {"actor": actor, "key": key}).fetchone()
        if row is None:
            return None
        return documents.read(IDEMPOTENT_RESULT, row[2], self._json(row[0]), f"{key!r} of {actor}"), row[1]

    def put_idempotent(
        self,
        actor: str,
        key: str,
        order_id: int,
        result: Any,
        at: datetime,
        request_hash: str | None = None,
    ) -> None:
        self.run(
            "put_idempotent",
            {
                "actor": actor,
                "key": key,
                "order_id": order_id,
                "result": self.dumps(result),
                "request_hash": request_hash,
                "at": self.ts(at),
            },
        )

    # -- published versions --------------------------------------------------------------------

    def _version(self, r: Sequence[Any]) -> VersionRow:
        return VersionRow(
            workflow=r[0],
            version=r[1],
            content_hash=r[2],
            department=r[3],
            bundle=documents.read(WORKFLOW_BUNDLE, r[7], self._json(r[4]), f"{r[0]} v{r[1]}"),
            published_at=self._time(r[5]),
            published_by=r[6],
        )

    def version(self, workflow: str, version: int) -> VersionRow | None:
        if not 0 < version <= MAX_ID:
            return None
        row = self.run("version", {"workflow": workflow, "version": version}).fetchone()
        return None if row is None else self._version(row)

    def version_by_hash(self, workflow: str, content_hash: str) -> VersionRow | None:
        row = self.run("version_by_hash", {"workflow": workflow, "content_hash": content_hash}).fetchone()
        return None if row is None else self._version(row)

    def latest_version(self, workflow: str) -> VersionRow | None:
        row = self.run("latest_version", {"workflow": workflow, "limit": 1, "offset": 0}).fetchone()
        return None if row is None else self._version(row)

    def latest_version_number(self, workflow: str) -> int | None:
        """The newest published version of ``workflow`` (its number only: no bundle to decode)."""
        row = self.run("latest_version_number", {"workflow": workflow, "limit": 1, "offset": 0}).fetchone()
        return None if row is None else int(row[0])

    def workflow_names(self) -> list[str]:
        """The name of every workflow with a published version, sorted."""
        return [str(r[0]) for r in self.run("workflow_names", {}).fetchall()]

    def versions(self, workflow: str) -> list[VersionRow]:
        return [self._version(r) for r in self.run("versions", {"workflow": workflow}).fetchall()]

    def insert_version(
        self,
        *,
        workflow: str,
        version: int,
        content_hash: str,
        department: str,
        bundle: Any,
        at: datetime,
        published_by: str | None,
    ) -> None:
        self.run(
            "insert_version",
            {
                "workflow": workflow,
                "version": version,
                "content_hash": content_hash,
                "department": department,
                "bundle": self.dumps(bundle),
                "at": self.ts(at),
                "published_by": published_by,
            },
        )

    # -- correlation feed (engine.rules.correlation) --------------------------------------------

    def correlation_cursor(self, name: str) -> CorrelationCursorRow | None:
        c = correlation_cursor.c
        row = self.connection.execute(
            select(c.name, c.last_audit_id, c.last_outbox_id, c.claimed_by, c.claimed_at).where(
                c.name == name
            )
        ).fetchone()
        if row is None:
            return None
        return CorrelationCursorRow(
            row[0], int(row[1]), int(row[2]), row[3], None if row[4] is None else self._time(row[4])
        )

    def claim_correlation_cursor(self, name: str, worker_id: str, now: datetime, lease: timedelta) -> bool:
        """Take (or keep) the feed ``name`` for ``worker_id``: free, already ours, or its lease ran out.

        The row is created on first use (at the start of both logs); a worker that loses the race to
        create it simply does not hold the feed this round.
        """
        c = correlation_cursor.c
        now = now.astimezone(UTC)
        if self.correlation_cursor(name) is None:
            try:
                with self.connection.begin_nested():
                    self.connection.execute(
                        insert(correlation_cursor).values(
                            name=name,
                            last_audit_id=0,
                            last_outbox_id=0,
                            claimed_by=worker_id,
                            claimed_at=now,
                            updated_at=now,
                        )
                    )
                return True
            except INTEGRITY_ERRORS:
                return False
        taken = self.connection.execute(
            update(correlation_cursor)
            .where(
                c.name == name,
                or_(c.claimed_by.is_(None), c.claimed_by == worker_id, c.claimed_at <= now - lease),
            )
            .values(claimed_by=worker_id, claimed_at=now)
        )
        return bool(taken.rowcount == 1)

    def release_correlation_cursor(self, name: str, worker_id: str) -> bool:
        """Let go of the feed ``name`` if ``worker_id`` holds it (the worker is stopping): another worker
        takes it at its next round instead of after the lease. False when it was not held by it."""
        c = correlation_cursor.c
        released = self.connection.execute(
            update(correlation_cursor)
            .where(c.name == name, c.claimed_by == worker_id)
            .values(claimed_by=None, claimed_at=None)
        )
        return bool(released.rowcount == 1)

    def advance_correlation_cursor(
        self, name: str, worker_id: str, last_audit_id: int, last_outbox_id: int, now: datetime
    ) -> bool:
        """Move the feed's cursor forward, only while ``worker_id`` holds it; False when it lost it."""
        c = correlation_cursor.c
        now = now.astimezone(UTC)
        moved = self.connection.execute(
            update(correlation_cursor)
            .where(c.name == name, c.claimed_by == worker_id)
            .values(
                last_audit_id=last_audit_id, last_outbox_id=last_outbox_id, updated_at=now, claimed_at=now
            )
        )
        return bool(moved.rowcount == 1)

    def audit_feed(
        self, *, after_id: int, up_to_id: int | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[tuple[AuditRow, OrderRow] | UnreadableRow]:
        """Audit events with ``after_id < id <= up_to_id`` (and ``at >= since``), oldest id first, each
        with its order as it is now; an event this code cannot read (the event, or its order's data,
        of a version it does not know) as an :class:`UnreadableRow` in its place."""
        a = audit_events.c
        conditions = [a.id > after_id]
        if up_to_id is not None:
            conditions.append(a.id <= up_to_id)
        if since is not None:
            conditions.append(a.at >= since.astimezone(UTC))
        rows = self.connection.execute(
            select(*_AUDIT_COLUMNS, *_ORDER_COLUMNS)
            .join(orders, orders.c.id == a.order_id)
            .where(*conditions)
            .order_by(a.id)
            .limit(limit)
        ).fetchall()
        width = len(_AUDIT_COLUMNS)
        found: list[tuple[AuditRow, OrderRow] | UnreadableRow] = []
        for r in rows:
            try:
                found.append((self._audit(r[:width]), self._order(r[width:])))
            except StoredDocumentError as error:
                found.append(UnreadableRow("audit_events", r[0], self._time(r[3]), error))
        return found

    def _audit(self, r: Sequence[Any]) -> AuditRow:
        changes, guards, rules = self._json(r[8]), self._json(r[9]), self._json(r[10])
        if r[12] != AUDIT_EVENT.current:  # one document in three columns, upgraded as one
            event = {"data_changes": changes, "guards": guards, "rules": rules}
            event = documents.read(AUDIT_EVENT, r[12], event, {"order": r[1], "seq": r[2]})
            changes, guards, rules = event["data_changes"], event["guards"], event["rules"]
        return AuditRow(
            id=r[0],
            order_id=r[1],
            seq=r[2],
            at=self._time(r[3]),
            actor=r[4],
            trigger=r[5],
            from_state=r[6],
            to_state=r[7],
            data_changes=changes,
            guards=guards,
            rules=rules,
            reason=r[11],
        )

    def outbox_feed(
        self, *, after_id: int, up_to_id: int | None = None, since: datetime | None = None, limit: int = 500
    ) -> list[OutboxRow | UnreadableRow]:
        """Outbox messages (sent or not) with ``after_id < id <= up_to_id`` and ``created_at >= since``,
        oldest id first; one whose payload this code cannot read as an :class:`UnreadableRow`."""
        o = outbox.c
        conditions = [o.id > after_id]
        if up_to_id is not None:
            conditions.append(o.id <= up_to_id)
        if since is not None:
            conditions.append(o.created_at >= since.astimezone(UTC))
        rows = self.connection.execute(
            select(*_OUTBOX_COLUMNS).where(*conditions).order_by(o.id).limit(limit)
        ).fetchall()
        found: list[OutboxRow | UnreadableRow] = []
        for r in rows:
            message = self._outbox(r, lenient=True)
            if message.unreadable is None:
                found.append(message)
            else:
                found.append(UnreadableRow("outbox", message.id, message.created_at, message.unreadable))
        return found

    def open_order_ids_where(
        self,
        path: Sequence[str],
        value: str,
        limit: int = 200,
        departments: Collection[str] | None = None,
    ) -> list[int]:
        """The ids of the unfinished orders (of ``departments``; None: of every one) whose data holds the
        text ``value`` at ``path`` (``["customer", "mobile"]``), in id order. Only the ids are read: an
        order whose data this code cannot read is found too (and refused when acted on).

        No index serves this (the data is JSON): it reads every unfinished order, which is what a
        correlation match, rare by design, can afford.
        """
        at_path: Any = orders.c.data
        for key in path:
            at_path = at_path[key]
        query = select(orders.c.id).where(orders.c.final.is_(False), at_path.as_string() == value)
        if departments is not None:
            query = query.where(orders.c.department.in_(sorted(departments)))
        return [int(i) for i in self.connection.execute(query.order_by(orders.c.id).limit(limit)).scalars()]

    def insert_correlation_match(
        self,
        *,
        feed: str,
        ruleset: str,
        version: str,
        pattern: str,
        key: str,
        at: datetime,
        events: Sequence[Mapping[str, Any]],
        actions: Sequence[Mapping[str, Any]],
    ) -> None:
        self.connection.execute(
            insert(correlation_matches).values(
                feed=feed,
                ruleset=ruleset,
                version=version,
                pattern=pattern,
                match_key=key,
                at=at.astimezone(UTC),
                events=list(events),
                actions=list(actions),
                schema_version=SCHEMA_VERSION,
            )
        )

    def correlation_matches(self, feed: str, since: datetime) -> list[dict[str, Any] | UnreadableRow]:
        """The matches of ``feed`` recorded at or after ``since``, oldest first; one this code cannot read
        as an :class:`UnreadableRow`."""
        m = correlation_matches.c
        rows = self.connection.execute(
            select(
                m.ruleset,
                m.version,
                m.pattern,
                m.match_key,
                m.at,
                m.events,
                m.actions,
                m.schema_version,
                m.id,
            )
            .where(m.feed == feed, m.at >= since.astimezone(UTC))
            .order_by(m.id)
        ).fetchall()
        found: list[dict[str, Any] | UnreadableRow] = []
        for r in rows:
            match = {"events": self._json(r[5]), "actions": self._json(r[6])}
            try:
                match = documents.read(CORRELATION_MATCH, r[7], match, r[8])
            except StoredDocumentError as error:
                found.append(UnreadableRow("correlation_matches", r[8], self._time(r[4]), error))
                continue
            found.append(
                {
                    "ruleset": r[0],
                    "version": r[1],
                    "pattern": r[2],
                    "key": r[3],
                    "at": self._time(r[4]),
                    "events": match["events"],
                    "actions": match["actions"],
                }
            )
        return found


def driver_dialect(dialect: Dialect) -> Dialect:
    """The dialect whose compiled SQL the driver cursor takes with a dict of named parameters."""
    if dialect.name == "sqlite":
        return sqlite_dialect.dialect(paramstyle="named")  # sqlite3 takes ``:name`` from a dict
    return dialect


class PreparedStatements:
    """Fixed statements built once and compiled once per dialect, run on the driver cursor.

    For plugins on the fire path: ``Connection.execute`` of a Core statement spends as long in
    SQLAlchemy as SQLite spends running it. ``run`` takes the SQLAlchemy ``Connection`` of the open
    transaction (``ActionContext.connection``) and executes on the driver connection underneath it,
    so the statement is part of the same transaction. Every parameter is a named ``bindparam``.
    """

    def __init__(self, statements: Mapping[str, Executable]) -> None:
        self._statements = dict(statements)
        self._compiled: dict[str, dict[str, str]] = {}  # dialect name -> statement name -> SQL
        self._lock = threading.Lock()

    def sql(self, dialect: Dialect, name: str) -> str:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            target = driver_dialect(dialect)
            rendered = {}
            for key, statement in self._statements.items():
                assert isinstance(statement, ClauseElement)
                rendered[key] = str(statement.compile(dialect=target))
            with self._lock:
                compiled = self._compiled.setdefault(dialect.name, rendered)
        return compiled[name]

    def run(self, connection: Connection, name: str, params: Mapping[str, Any]) -> Any:
        """Execute statement ``name``; returns the driver cursor (``rowcount``, ``fetchall``)."""
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.execute(self.sql(connection.dialect, name), dict(params))
        return cursor


# The one order in which a transaction locks stock rows on PostgreSQL, wherever it locks them (routing's
# read, the inventory actions, a restock): by primary key, sku then warehouse. Two transactions that
# lock rows in the same order wait for each other and never deadlock; locked in order-line order, two
# orders holding the same items in another order would.
STOCK_LOCK_ORDER = (stock.c.sku, stock.c.warehouse)
_STOCK_LOCK = PreparedStatements(
    {
        "lock": select(stock.c.sku)
        .where(stock.c.sku == any_(bindparam("skus", type_=postgresql_dialect.ARRAY(String))))
        .order_by(*STOCK_LOCK_ORDER)
        .with_for_update()
    }
)


def lock_stock(connection: Connection, skus: Iterable[str]) -> None:
    """Lock the stock rows of ``skus`` (in every warehouse) until the transaction ends, in
    :data:`STOCK_LOCK_ORDER` and in one statement, before changing any of them.

    PostgreSQL only: a transaction that changes stock calls it first with every sku of its order, so
    the rows it will change are all taken in the same order as any other transaction takes them. On
    SQLite it does nothing: a write transaction holds the database's one write lock already.
    """
    if connection.dialect.name != "postgresql":
        return
    wanted = sorted(set(skus))
    if wanted:
        _STOCK_LOCK.run(connection, "lock", {"skus": wanted}).fetchall()


# Write transactions on a file-backed SQLite database keep at most this many connections open between
# transactions (checked out of SQLAlchemy's pool, which holds 15).
IDLE_CONNECTIONS = 4

# SQLite's own checkpoint on commit, the fallback behind the background checkpointer (pages of 4 KiB).
WAL_AUTOCHECKPOINT_PAGES = 4000
# The background checkpointer runs at most this often (seconds).
CHECKPOINT_INTERVAL = 0.05


class WalCheckpointer:
    """PASSIVE WAL checkpoints on a daemon thread, woken by commits, at most every ``interval`` seconds.

    The thread holds its own driver connection and no reference to the ``Store``; ``stop`` ends it.
    A checkpoint that fails (the file is gone, the database is busy) is skipped: the next commit wakes
    the thread again, and SQLite's autocheckpoint remains underneath.
    """

    def __init__(self, path: str, interval: float = CHECKPOINT_INTERVAL) -> None:
        self._path = path
        self._interval = interval
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def poke(self) -> None:
        """A transaction committed: checkpoint soon."""
        if self._thread is None:
            self._start()
        if not self._wake.is_set():  # already woken: setting it again only takes its lock
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopped.is_set():
                thread = threading.Thread(target=self._run, name="orderloom-wal-checkpoint", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return
        try:
            while True:
                self._wake.wait()
                if self._stopped.is_set():
                    return
                self._wake.clear()
                with suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if self._stopped.wait(self._interval):
                    return
        finally:
            connection.close()

    def stop(self) -> None:
        """End the thread (it finishes a checkpoint under way first)."""
        self._stopped.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)


def _sqlite_file(engine: Engine) -> str | None:
    """The database file of a file-backed SQLite engine; ``None`` for in-memory databases."""
    url = engine.url
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        return None
    return database


_T = TypeVar("_T")

# Tries of a write transaction PostgreSQL rolled back for a deadlock or a serialization failure
# (``Store.retrying``), the first one included.
TRANSACTION_ATTEMPTS = 5
# The pause before the n-th retry is random, up to n times this many seconds.
RETRY_PAUSE = 0.01
# SQLSTATEs after which PostgreSQL has rolled the transaction back and the same work, run again, may
# well succeed: deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def retryable_sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of ``error`` when it is a deadlock or a serialization failure (whether the driver
    raised it or SQLAlchemy wrapped it), else None."""
    original = getattr(error, "orig", None) or error
    sqlstate = getattr(original, "sqlstate", None)
    return sqlstate if sqlstate in RETRYABLE_SQLSTATES else None


def _relation(error: BaseException) -> str | None:
    """The table a PostgreSQL lock error names in its context (``… in relation "stock"``), if any."""
    original = getattr(error, "orig", None) or error
    diag = getattr(original, "diag", None)
    context = getattr(diag, "context", None) or ""
    found = re.search(r'relation "([^"]+)"', str(context))
    return found.group(1) if found else None


class Store:
    """The database behind the engine: an SQLAlchemy ``Engine`` plus compiled statements."""

    def __init__(
        self,
        url: str,
        *,
        engine: Engine | None = None,
        transaction_attempts: int = TRANSACTION_ATTEMPTS,
        **engine_options: Any,
    ) -> None:
        if transaction_attempts < 1:
            raise ValueError("transaction_attempts must be at least 1")
        self.url = url
        # How many times ``retrying`` runs a transaction the database rolled back for a deadlock or a
        # serialization failure, the first time included.
        self.transaction_attempts = transaction_attempts
        self.engine = engine or create_engine(url, **engine_options)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._checkpointer: WalCheckpointer | None = None
        # Connections kept open between write transactions (file-backed SQLite only): checking one
        # out of SQLAlchemy's pool and back in costs as much as a small transaction itself.
        self._idle: list[Connection] | None = None
        self._idle_pid = os.getpid()
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            path = _sqlite_file(self.engine)
            if path is not None:
                self._checkpointer = WalCheckpointer(path)
                weakref.finalize(self, self._checkpointer.stop)
                self._idle = []
        self._dialect: Dialect = driver_dialect(self.engine.dialect)
        statements = _statements()
        # PostgreSQL: racing workers skip the rows another one is claiming instead of waiting.
        statements["due_timer_ids_locked"] = _due_timers().with_for_update(skip_locked=True)
        statements["outbox_ids_locked"] = _pending_outbox().with_for_update(skip_locked=True)
        # PostgreSQL: a write transaction locks the order it loads (Tx.load_order).
        statements["order_by_id_locked"] = (
            select(*_ORDER_COLUMNS).where(orders.c.id == bindparam("id")).with_for_update()
        )
        self._sql = {name: self.render(stmt) for name, stmt in statements.items()}
        self._stock_sql: dict[tuple[int, bool], str] = {}

    def render(self, statement: Executable) -> str:
        assert isinstance(statement, ClauseElement)
        return str(statement.compile(dialect=self._dialect))

    def stock_sql(self, count: int, *, lock: bool = False) -> str:
        """The stock on hand of ``count`` skus (``:sku_0`` …), rendered once per count: routing reads
        it on the fire path, where building and compiling a Core statement costs more than running it.
        ``lock``: ``FOR UPDATE``, the rows locked in :data:`STOCK_LOCK_ORDER` (PostgreSQL)."""
        sql = self._stock_sql.get((count, lock))
        if sql is None:
            free = stock.c.on_hand - stock.c.reserved
            names = stock.c.sku.in_([bindparam(f"sku_{i}") for i in range(count)])
            query = select(stock.c.sku, stock.c.warehouse, free).where(names).order_by(*STOCK_LOCK_ORDER)
            sql = self.render(query.with_for_update() if lock else query)
            self._stock_sql[(count, lock)] = sql
        return sql

    def upgrade(self) -> None:
        """Create or update the tables (Alembic, to the newest revision)."""
        from engine.store.migrate import upgrade

        upgrade(self.url)

    @contextmanager
    def transaction(self, lock_timeout_ms: int | None = None) -> Iterator[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        ``lock_timeout_ms``: how long to wait for a lock before giving up with ``OperationalError``
        (:func:`is_lock_timeout` tells it apart): SQLite's write lock (instead of
        ``BUSY_TIMEOUT_MS``), PostgreSQL's ``lock_timeout`` for this transaction's locks."""
        connection = self._checkout()
        committed = False
        try:
            if self.is_sqlite:
                with _sqlite_write(connection, lock_timeout_ms):
                    yield Tx(self, connection, writing=True)
            else:
                with connection.begin():
                    if lock_timeout_ms is not None:
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
                    yield Tx(self, connection, writing=True)
            committed = True
        finally:
            self._checkin(connection, committed)
        if self._checkpointer is not None:
            self._checkpointer.poke()

    def retrying(self, work: Callable[[], _T]) -> _T:
        """``work()``, which runs one write transaction, run again whole when the database rolled that
        transaction back for a deadlock (SQLSTATE 40P01) or a serialization failure (40001), after a
        short random pause; ``transaction_attempts`` tries in all, then :class:`ContentionError`.

        Only PostgreSQL reports these; SQLite's writers queue for one lock (``BEGIN IMMEDIATE``) and
        never deadlock. ``work`` must be the whole transaction (what it reads, decides and writes),
        not a part of one: a retry starts from a fresh read, so an idempotency key looked up inside it
        is looked up again, and what a rolled-back try wrote was never seen by anyone.
        """
        for attempt in range(1, self.transaction_attempts + 1):
            try:
                return work()
            except Exception as error:
                sqlstate = retryable_sqlstate(error)
                if sqlstate is None:
                    raise
                if attempt == self.transaction_attempts:
                    raise ContentionError(sqlstate, attempt, _relation(error)) from error
            # The transactions that deadlocked were released together: a random pause, longer at each
            # try, keeps them from meeting in the same place again.
            time.sleep(random.uniform(0, RETRY_PAUSE * attempt))  # noqa: S311 - a pause's jitter, not a secret
        raise AssertionError("unreachable: transaction_attempts is at least 1")

    def _checkout(self) -> Connection:
        idle = self._idle
        if idle is not None:
            if os.getpid() != self._idle_pid:
                # A forked child must not touch (or close) its parent's SQLite handles.
                _ORPHANED.append(idle)
                self._idle, self._idle_pid = [], os.getpid()
            else:
                with suppress(IndexError):
                    return idle.pop()  # list.pop is atomic: two threads never get one connection
        return self.engine.connect()

    def _checkin(self, connection: Connection, committed: bool) -> None:
        """Keep a healthy connection for the next transaction; close (return to the pool) the rest."""
        idle = self._idle
        if (
            committed
            and idle is not None
            and len(idle) < IDLE_CONNECTIONS
            and not connection.invalidated
            and not connection.in_transaction()
            and os.getpid() == self._idle_pid
        ):
            idle.append(connection)
        else:
            connection.close()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction (on SQLite a plain ``BEGIN``, which takes no write lock)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{_READ_ONLY: True})
            with connection.begin():
                yield Tx(self, connection)

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        idle = self._idle
        while idle:
            idle.pop().close()
        self.engine.dispose()


# Idle connections a forked child inherited: kept referenced so they are never closed in the child.
_ORPHANED: list[list[Connection]] = []


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None
        if driver.in_transaction:
            return  # Core used inside a write transaction ``_sqlite_write`` began on the driver
        driver.execute("BEGIN" if connection.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


# How long a SQLite connection waits for another's write lock before it raises "database is locked".
BUSY_TIMEOUT_MS = 30_000


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` is a lock not obtained in time: SQLite's "database is locked", PostgreSQL's
    ``lock_not_available`` (SQLSTATE 55P03)."""
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) == "55P03":
        return True
    return isinstance(original, sqlite3.OperationalError) and "database is locked" in str(original)


@contextmanager
def _sqlite_write(connection: Connection, lock_timeout_ms: int | None = None) -> Iterator[None]:
    """A write transaction begun and ended on the SQLite driver itself, under SQLAlchemy's ``Connection``.

    SQLAlchemy's own begin and commit cost about a tenth of a small transaction (events, a transaction
    object, two layers of commit), so on the fire path they are skipped. Core used on the connection
    inside (plugins, savepoints) makes SQLAlchemy begin its own transaction, which the ``begin`` listener
    lets join the driver's; SQLAlchemy then ends it, so that its state and the driver's agree.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    if lock_timeout_ms is None:
        driver.execute("BEGIN IMMEDIATE")
    else:
        driver.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        try:
            driver.execute("BEGIN IMMEDIATE")
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        yield
    except BaseException:
        if connection.in_transaction():
            connection.rollback()
        if driver.in_transaction:
            driver.rollback()
        raise
    if connection.in_transaction():
        connection.commit()
    else:
        driver.commit()


__all__ = [
    "DEFAULT_LEASE",
    "RETRYABLE_SQLSTATES",
    "STOCK_LOCK_ORDER",
    "TRANSACTION_ATTEMPTS",
    "AuditRow",
    "CorrelationCursorRow",
    "OrderRow",
    "OutboxRow",
    "PreparedStatements",
    "Store",
    "TimerRow",
    "Tx",
    "VersionRow",
    "driver_dialect",
    "lock_stock",
    "retryable_sqlstate",
]
