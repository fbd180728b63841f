"""The outbox queue: messages written in a step's transaction, claimed by workers under a lease,
delivered at least once, put off after a failure, given up on as dead letters, replayed by operators
(docs/architecture.md, "The outbox")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, null, or_, select, update

from engine.errors import StoredDocumentError
from engine.store import documents
from engine.store.documents import OUTBOX_PAYLOAD
from engine.store.statements import MAX_ID, ONE, SV, ZERO, Statement, claimable, constant
from engine.store.statuses import OutboxStatus
from engine.store.tables import outbox
from engine.store.transaction import DEFAULT_LEASE, TxCore


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
    status: OutboxStatus = OutboxStatus.PENDING
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


OUTBOX_COLUMNS = (
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

_b = bindparam
_PENDING = constant(OutboxStatus.PENDING)
_DEAD = constant(OutboxStatus.DEAD)
# The pending message ``:id`` while worker ``:worker`` holds its claim.
_HELD = and_(outbox.c.id == _b("id"), outbox.c.status == _PENDING, outbox.c.claimed_by == _b("worker"))

INSERT_OUTBOX = Statement(
    "insert_outbox",
    insert(outbox).values(
        topic=_b("topic"),
        payload=_b("payload"),
        schema_version=SV,
        created_at=_b("at"),
        status=_b("status"),
        next_attempt_at=_b("next_attempt_at"),
        department=_b("department"),
    ),
)
PENDING_OUTBOX = Statement(
    "pending_outbox",
    select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.schema_version)
    .where(outbox.c.status == _PENDING)
    .order_by(outbox.c.next_attempt_at, outbox.c.id)
    .limit(_b("limit"))
    .offset(_b("offset")),
)
# Pending messages whose time has come, by that time: one failing again and again is put off further
# each time and never stands before the messages written after it (``ix_outbox_pending``).
_due = (
    select(outbox.c.id)
    .where(and_(outbox.c.status == _PENDING, outbox.c.next_attempt_at <= _b("now"), claimable(outbox)))
    .order_by(outbox.c.next_attempt_at, outbox.c.id)
    .limit(_b("limit"))
    .offset(_b("offset"))
)
DUE_OUTBOX_IDS = Statement("outbox_ids", _due)
# PostgreSQL: racing workers skip the rows another one is claiming instead of waiting.
DUE_OUTBOX_IDS_LOCKED = Statement("outbox_ids_locked", _due.with_for_update(skip_locked=True))
CLAIM_OUTBOX = Statement(
    "claim_outbox",
    update(outbox)
    .where(and_(outbox.c.id == _b("id"), outbox.c.status == _PENDING, claimable(outbox)))
    .values(claimed_by=_b("worker"), claimed_at=_b("now")),
)
OUTBOX_BY_ID = Statement("outbox_by_id", select(*OUTBOX_COLUMNS).where(outbox.c.id == _b("id")))
OUTBOX_UNCLAIM = Statement(
    "outbox_unclaim",
    update(outbox)
    .where(and_(outbox.c.id == _b("id"), outbox.c.claimed_by == _b("worker")))
    .values(claimed_by=null(), claimed_at=null()),
)
OUTBOX_SENT = Statement(
    "outbox_sent",
    update(outbox)
    .where(_HELD)
    .values(
        status=constant(OutboxStatus.SENT),
        sent_at=_b("at"),
        attempts=outbox.c.attempts + ONE,
        last_error=null(),
        last_attempt_at=_b("at"),
    ),
)
OUTBOX_RETRY = Statement(
    "outbox_retry",
    update(outbox)
    .where(_HELD)
    .values(
        attempts=outbox.c.attempts + ONE,
        last_error=_b("error"),
        last_attempt_at=_b("at"),
        next_attempt_at=_b("retry_at"),
        claimed_by=null(),
        claimed_at=null(),
    ),
)
OUTBOX_DEAD = Statement(
    "outbox_dead",
    update(outbox)
    .where(_HELD)
    .values(
        status=_DEAD,
        dead_at=_b("at"),
        attempts=outbox.c.attempts + ONE,
        last_error=_b("error"),
        last_attempt_at=_b("at"),
        claimed_by=null(),
        claimed_at=null(),
    ),
)
OUTBOX_RELEASE = Statement(
    "outbox_release", update(outbox).where(_HELD).values(claimed_by=null(), claimed_at=null())
)
RELEASE_OUTBOX_CLAIMS = Statement(
    "release_outbox_claims",
    update(outbox)
    .where(and_(outbox.c.status == _PENDING, outbox.c.claimed_by == _b("worker")))
    .values(claimed_by=null(), claimed_at=null()),
)
# Back to be delivered: a dead letter, or a pending message nobody is sending now (tried at once instead
# of when its back-off ends). Its attempts start again from none.
OUTBOX_REPLAY = Statement(
    "outbox_replay",
    update(outbox)
    .where(
        and_(
            outbox.c.id == _b("id"),
            or_(outbox.c.status == _DEAD, and_(outbox.c.status == _PENDING, claimable(outbox))),
        )
    )
    .values(
        status=_PENDING,
        next_attempt_at=_b("now"),
        dead_at=null(),
        attempts=ZERO,
        claimed_by=null(),
        claimed_at=null(),
        replayed_by=_b("by"),
        replayed_at=_b("now"),
    ),
)
# The statuses the operators count (each read from its own small index).
_COUNTED = (OutboxStatus.PENDING, OutboxStatus.DEAD)


def _of_departments(count: int | None) -> list[Any]:
    """The condition ``department IN (:department_0, …)`` of ``count`` departments (None: no condition)."""
    if count is None:
        return []
    return [outbox.c.department.in_([_b(f"department_{i}") for i in range(count)])]


@cache
def outbox_newest_first(status: bool, topic: bool, departments: int | None) -> Statement:
    """The operators' list of one shape, newest first, a page at a time (``:limit``, ``:offset``), built
    once per shape: of ``:status``, of ``:topic``, of ``departments`` departments (``:department_0`` …)."""
    o = outbox.c
    query = select(*OUTBOX_COLUMNS).where(*_of_departments(departments))
    if status:
        query = query.where(o.status == _b("status"))
    if topic:
        query = query.where(o.topic == _b("topic"))
    query = query.order_by(o.id.desc()).limit(_b("limit")).offset(_b("offset"))
    filters = [name for name, on in (("status", status), ("topic", topic)) if on]
    filters += [] if departments is None else [f"{departments} departments"]
    return Statement(f"outbox_newest_first({', '.join(filters)})", query)


@cache
def outbox_count(departments: int | None) -> Statement:
    """How many messages have ``:status`` (of ``departments`` departments: ``:department_0`` …)."""
    query = select(func.count()).select_from(outbox).where(outbox.c.status == _b("status"))
    query = query.where(*_of_departments(departments))
    return Statement(f"outbox_count({'' if departments is None else f'{departments} departments'})", query)


class OutboxQueue(TxCore):
    """The outbox of a transaction."""

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
            INSERT_OUTBOX,
            {
                "topic": topic,
                "payload": self.dumps(payload),
                "at": stamp,
                "status": (OutboxStatus.PENDING if deliver else OutboxStatus.INTERNAL).value,
                "next_attempt_at": stamp if deliver else None,
                "department": department,
            },
        )

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, Any]]:
        """The pending messages (due or not), in the order they will be tried: (id, topic, payload)."""
        rows = self.run(PENDING_OUTBOX, {"limit": limit, "offset": 0}).fetchall()
        return [(r[0], r[1], documents.read(OUTBOX_PAYLOAD, r[3], self._json(r[2]), r[0])) for r in rows]

    def claim_outbox(
        self, worker_id: str, now: datetime, limit: int, lease: timedelta = DEFAULT_LEASE
    ) -> list[OutboxRow]:
        """Claim up to ``limit`` pending messages whose next attempt is due, the earliest due first, the
        way timers are claimed.

        A message whose payload this code cannot read (written by a newer OrderLoom) is not this
        worker's to send: its claim is given back at once, for a worker that reads it."""
        ids = self._claim(DUE_OUTBOX_IDS, DUE_OUTBOX_IDS_LOCKED, CLAIM_OUTBOX, worker_id, now, limit, lease)
        claimed = []
        for row_id in ids:
            try:
                claimed.append(self._outbox(self.run(OUTBOX_BY_ID, {"id": row_id}).fetchone()))
            except StoredDocumentError:
                self.run(OUTBOX_UNCLAIM, {"id": row_id, "worker": worker_id})
        return claimed

    def outbox_message(self, outbox_id: int) -> OutboxRow | None:
        """The message, also one whose payload this code cannot read (``unreadable`` says why)."""
        if not 0 < outbox_id <= MAX_ID:  # no row holds it (and SQLite's driver refuses past 64 bits)
            return None
        row = self.run(OUTBOX_BY_ID, {"id": outbox_id}).fetchone()
        return None if row is None else self._outbox(row, lenient=True)

    def outbox_sent(self, outbox_id: int, worker_id: str, at: datetime) -> bool:
        """Mark a message sent if ``worker_id`` still holds it; False when its claim was taken over."""
        params = {"id": outbox_id, "worker": worker_id, "at": self.ts(at)}
        return bool(self.run(OUTBOX_SENT, params).rowcount == 1)

    def outbox_failed(
        self, outbox_id: int, worker_id: str, error: str, at: datetime, retry_at: datetime | None = None
    ) -> bool:
        """Count a failed attempt and keep its error; the message is tried again from ``retry_at``, or,
        with ``retry_at=None``, given up on (``dead``). The claim is released either way. False when
        ``worker_id`` no longer holds the message."""
        params: dict[str, Any] = {"id": outbox_id, "worker": worker_id, "error": error, "at": self.ts(at)}
        if retry_at is None:
            return bool(self.run(OUTBOX_DEAD, params).rowcount == 1)
        params["retry_at"] = self.ts(retry_at)
        return bool(self.run(OUTBOX_RETRY, params).rowcount == 1)

    def outbox_release(self, outbox_id: int, worker_id: str) -> bool:
        """Give a claimed message back untried (no attempt counted): another round takes it."""
        return bool(self.run(OUTBOX_RELEASE, {"id": outbox_id, "worker": worker_id}).rowcount == 1)

    def outbox_replay(self, outbox_id: int, by: str, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
        """Send a dead letter (or a pending message nobody is sending now) back to be delivered at once,
        its attempts counted from none again; False for a message that is sent, internal, being sent
        or not there."""
        params = {"id": outbox_id, "by": by, "now": self.ts(now), "stale": self.ts(now - lease)}
        return bool(self.run(OUTBOX_REPLAY, params).rowcount == 1)

    def release_outbox_claims(self, worker_id: str) -> int:
        """Let go of the messages ``worker_id`` claimed and has not finished; how many."""
        return int(self.run(RELEASE_OUTBOX_CLAIMS, {"worker": worker_id}).rowcount)

    def outbox_list(
        self,
        *,
        departments: frozenset[str] | None,
        status: OutboxStatus | None = None,
        topic: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[OutboxRow]:
        """Messages newest first, of ``status`` and ``topic`` when given; ``departments=None`` means
        every message, else only those of these departments. A message whose payload this code cannot
        read is listed too, its ``unreadable`` saying why. A status that is not an
        :class:`OutboxStatus` raises ``ValueError``."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status is not None:
            params["status"] = OutboxStatus(status).value
        if topic is not None:
            params["topic"] = topic
        names = None if departments is None else sorted(departments)
        if names is not None:
            if not names:
                return []
            params.update({f"department_{i}": name for i, name in enumerate(names)})
        statement = outbox_newest_first(
            status is not None, topic is not None, None if names is None else len(names)
        )
        return [self._outbox(r, lenient=True) for r in self.run(statement, params).fetchall()]

    def outbox_counts(self, *, departments: frozenset[str] | None) -> dict[OutboxStatus, int]:
        """How many messages are pending and dead (each read from its own small index)."""
        names = None if departments is None else sorted(departments)
        if names is not None and not names:
            return dict.fromkeys(_COUNTED, 0)
        statement = outbox_count(None if names is None else len(names))
        params: dict[str, Any] = {f"department_{i}": name for i, name in enumerate(names or ())}
        return {
            status: int(self.run(statement, {**params, "status": status.value}).fetchone()[0])
            for status in _COUNTED
        }

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
            sent_at=self._maybe_time(r[7]),
            status=OutboxStatus(r[8]),
            next_attempt_at=self._maybe_time(r[9]),
            dead_at=self._maybe_time(r[10]),
            department=r[11],
            last_attempt_at=self._maybe_time(r[12]),
            replayed_by=r[13],
            replayed_at=self._maybe_time(r[14]),
            unreadable=unreadable,
        )


__all__ = ["OUTBOX_COLUMNS", "OutboxQueue", "OutboxRow"]
