"""What the correlation feed (engine.rules.correlation) reads and keeps: its cursor over the audit trail
and the outbox (held by one worker under a lease), the events past that cursor, the orders a match acts
on, and the matches it recorded."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update

from engine.errors import StoredDocumentError
from engine.store import documents
from engine.store.audit import AUDIT_COLUMNS, AuditRow, AuditTrail
from engine.store.connection import INTEGRITY_ERRORS
from engine.store.documents import CORRELATION_MATCH
from engine.store.orders import ORDER_COLUMNS, OrderRow, OrderRows
from engine.store.outbox_queue import OUTBOX_COLUMNS, OutboxQueue, OutboxRow
from engine.store.tables import (
    SCHEMA_VERSION,
    audit_events,
    correlation_cursor,
    correlation_matches,
    orders,
    outbox,
)


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


# The feed's statements run through SQLAlchemy's ``Connection`` (off the fire path, with its types). A
# parameter never takes a column's name: SQLAlchemy would read it as a value to set.
_b = bindparam
_c = correlation_cursor.c
_m = correlation_matches.c
CURSOR_BY_NAME = select(_c.name, _c.last_audit_id, _c.last_outbox_id, _c.claimed_by, _c.claimed_at).where(
    _c.name == _b("feed")
)
INSERT_CURSOR = insert(correlation_cursor)  # its columns given by name
CLAIM_CURSOR = (
    update(correlation_cursor)
    .where(
        _c.name == _b("feed"),
        or_(_c.claimed_by.is_(None), _c.claimed_by == _b("worker"), _c.claimed_at <= _b("stale")),
    )
    .values(claimed_by=_b("worker"), claimed_at=_b("now"))
)
RELEASE_CURSOR = (
    update(correlation_cursor)
    .where(_c.name == _b("feed"), _c.claimed_by == _b("worker"))
    .values(claimed_by=None, claimed_at=None)
)
ADVANCE_CURSOR = (
    update(correlation_cursor)
    .where(_c.name == _b("feed"), _c.claimed_by == _b("worker"))
    .values(
        last_audit_id=_b("audit_id"),
        last_outbox_id=_b("outbox_id"),
        updated_at=_b("now"),
        claimed_at=_b("now"),
    )
)
INSERT_MATCH = insert(correlation_matches)  # its columns given by name
MATCHES_SINCE = (
    select(
        _m.ruleset,
        _m.version,
        _m.pattern,
        _m.match_key,
        _m.at,
        _m.events,
        _m.actions,
        _m.schema_version,
        _m.id,
    )
    .where(_m.feed == _b("feed"), _m.at >= _b("since"))
    .order_by(_m.id)
)


class CorrelationFeedRows(OrderRows, AuditTrail, OutboxQueue):
    """The correlation feed's reads and writes in a transaction."""

    def correlation_cursor(self, name: str) -> CorrelationCursorRow | None:
        row = self.connection.execute(CURSOR_BY_NAME, {"feed": name}).fetchone()
        if row is None:
            return None
        return CorrelationCursorRow(row[0], int(row[1]), int(row[2]), row[3], self._maybe_time(row[4]))

    def claim_correlation_cursor(self, name: str, worker_id: str, now: datetime, lease: timedelta) -> bool:
        """Take (or keep) the feed ``name`` for ``worker_id``: free, already ours, or its lease ran out.

        The row is created on first use (at the start of both logs); a worker that loses the race to
        create it simply does not hold the feed this round.
        """
        now = now.astimezone(UTC)
        if self.correlation_cursor(name) is None:
            try:
                with self.connection.begin_nested():
                    row = {"name": name, "last_audit_id": 0, "last_outbox_id": 0, "claimed_by": worker_id}
                    self.connection.execute(INSERT_CURSOR, {**row, "claimed_at": now, "updated_at": now})
                return True
            except INTEGRITY_ERRORS:
                return False
        params = {"feed": name, "worker": worker_id, "now": now, "stale": now - lease}
        return bool(self.connection.execute(CLAIM_CURSOR, params).rowcount == 1)

    def release_correlation_cursor(self, name: str, worker_id: str) -> bool:
        """Let go of the feed ``name`` if ``worker_id`` holds it (the worker is stopping): another worker
        takes it at its next round instead of after the lease. False when it was not held by it."""
        released = self.connection.execute(RELEASE_CURSOR, {"feed": name, "worker": worker_id})
        return bool(released.rowcount == 1)

    def advance_correlation_cursor(
        self, name: str, worker_id: str, last_audit_id: int, last_outbox_id: int, now: datetime
    ) -> bool:
        """Move the feed's cursor forward, only while ``worker_id`` holds it; False when it lost it."""
        params = {
            "feed": name,
            "worker": worker_id,
            "audit_id": last_audit_id,
            "outbox_id": last_outbox_id,
            "now": now.astimezone(UTC),
        }
        return bool(self.connection.execute(ADVANCE_CURSOR, params).rowcount == 1)

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
            select(*AUDIT_COLUMNS, *ORDER_COLUMNS)
            .join(orders, orders.c.id == a.order_id)
            .where(*conditions)
            .order_by(a.id)
            .limit(limit)
        ).fetchall()
        width = len(AUDIT_COLUMNS)
        found: list[tuple[AuditRow, OrderRow] | UnreadableRow] = []
        for r in rows:
            try:
                found.append((self._audit(r[:width]), self._order(r[width:])))
            except StoredDocumentError as error:
                found.append(UnreadableRow("audit_events", r[0], self._time(r[3]), error))
        return found

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
            select(*OUTBOX_COLUMNS).where(*conditions).order_by(o.id).limit(limit)
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
        params = {
            "feed": feed,
            "ruleset": ruleset,
            "version": version,
            "pattern": pattern,
            "match_key": key,
            "at": at.astimezone(UTC),
            "events": list(events),
            "actions": list(actions),
            "schema_version": SCHEMA_VERSION,
        }
        self.connection.execute(INSERT_MATCH, params)

    def correlation_matches(self, feed: str, since: datetime) -> list[dict[str, Any] | UnreadableRow]:
        """The matches of ``feed`` recorded at or after ``since``, oldest first; one this code cannot read
        as an :class:`UnreadableRow`."""
        rows = self.connection.execute(
            MATCHES_SINCE, {"feed": feed, "since": since.astimezone(UTC)}
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


__all__ = ["CorrelationCursorRow", "CorrelationFeedRows", "UnreadableRow"]
