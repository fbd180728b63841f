"""The correlation feed (事件关联的工作端): events of the audit trail and the outbox fed to a correlator,
and its matches acted on.

:class:`CorrelationFeed` reads new audit events and outbox messages after a durable cursor
(``correlation_cursor``), turns them into events (:func:`event_from_audit`, :func:`event_from_outbox`),
feeds them to a :class:`~engine.rules.correlation.Correlator`, acts on matches through ``Engine.fire``
(actor ``correlation:<ruleset>``) or the outbox, records each match with its rule set version
(``correlation_matches``) and advances the cursor. On start, and whenever it takes the feed over from
another worker, it replays the last window of events so that no partial pattern is lost.

Events are expected in time order (the feed reads them by id; on PostgreSQL, where ids are taken before
commit, each round first waits for the transactions writing the logs and reads no further than the
newest id it then sees, so no event still being written is passed over). The language of correlation
rule sets and the correlator are ``engine.rules.correlation``'s; :func:`load_correlation_rulesets` reads
them from the definitions root.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engine.dsl.spec import CREATE_TRIGGER
from engine.errors import DefinitionError, EngineError, Problem, TransitionRejected
from engine.rules.checks import check_rules_file
from engine.rules.correlation import (
    CorrelationMatch,
    CorrelationRuleset,
    Correlator,
    FireAction,
    address_key,
)
from engine.rules.kinds import compile_ruleset
from engine.runtime.actor import Actor
from engine.store import UnreadableRow, is_lock_timeout
from engine.store.tables import audit_events, orders, outbox

if TYPE_CHECKING:
    from engine.runtime.engine import Engine
    from engine.store import AuditRow, OrderRow, OutboxRow


__all__ = [
    "CorrelationFeed",
    "FeedReport",
    "event_from_audit",
    "event_from_outbox",
    "load_correlation_rulesets",
]

MAX_TARGETS = 200  # orders one address match acts on (open_order_ids_where gives as many per mobile)
# PostgreSQL: how long a feed round waits for the transactions writing the logs before it leaves the
# reading to the next round (new writes queue behind a waiting lock request).
FEED_LOCK_TIMEOUT_MS = 50


def load_correlation_rulesets(root: Path) -> list[CorrelationRuleset]:
    """Every ``kind: correlation`` file under ``root/rules`` (sorted by path), compiled.

    Raises :class:`DefinitionError` with every problem of every such file (positions included).
    """
    found: list[CorrelationRuleset] = []
    problems: list[Problem] = []
    for path in sorted((root / "rules").rglob("*.yaml")):
        shown = path.relative_to(root).as_posix()
        head = path.read_text(encoding="utf-8", errors="replace")
        if not re.search(r"^kind:\s*['\"]?correlation['\"]?\s*(#.*)?$", head, re.MULTILINE):
            continue
        tree, file_problems = check_rules_file(path, shown)
        problems.extend(p for p in file_problems if p.severity == "error")  # warnings do not stop it
        if tree is not None:
            found.append(compile_ruleset(tree, shown))
    if problems:
        raise DefinitionError(problems)
    return found


# --------------------------------------------------------------------------------------------------
# Events from the audit trail and the outbox
# --------------------------------------------------------------------------------------------------


def _customer_mobile(data: Mapping[str, Any]) -> str | None:
    customer = data.get("customer")
    mobile = customer.get("mobile") if isinstance(customer, Mapping) else None
    return mobile if isinstance(mobile, str) and mobile else None


def event_from_audit(row: AuditRow, order: OrderRow) -> dict[str, Any]:
    """An audit event as a correlation event: ``type`` is the trigger (``order_created`` for the
    creation), with the order's department, workflow, state and data as they are now."""
    data = order.data
    return {
        "id": f"audit:{row.id}",
        "type": "order_created" if row.trigger == CREATE_TRIGGER else row.trigger,
        "source": "audit",
        "trigger": row.trigger,
        "order_id": row.order_id,
        "department": order.department,
        "workflow": order.workflow,
        "at": row.at,
        "actor": row.actor,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": row.reason,
        "order": data,
        "customer_mobile": _customer_mobile(data),
        "address_key": address_key(data.get("address")),
    }


def event_from_outbox(row: OutboxRow) -> dict[str, Any]:
    """An outbox message as a correlation event: ``type`` is its topic; the payload's fields are kept
    (``order_id``, ``sku``, ``available`` …) unless they would hide ``id``, ``type`` or ``at``. A
    payload with a ``customer`` (``mobile``) or an ``address`` and without ``customer_mobile`` or
    ``address_key`` gets them, made as for audit events."""
    payload = row.payload if isinstance(row.payload, Mapping) else {"payload": row.payload}
    event: dict[str, Any] = dict(payload)
    if event.get("customer_mobile") is None:
        event["customer_mobile"] = _customer_mobile(payload)
    if event.get("address_key") is None:
        event["address_key"] = address_key(payload.get("address"))
    event.update({"id": f"outbox:{row.id}", "type": row.topic, "source": "outbox", "at": row.created_at})
    return event


# --------------------------------------------------------------------------------------------------
# The worker's feed
# --------------------------------------------------------------------------------------------------


@dataclass
class FeedReport:
    holding: bool = False  # this worker holds the feed (another one does otherwise)
    held_by: str | None = None  # the worker holding it when this one does not
    held_until: datetime | None = None  # when that worker's lease runs out unless it renews it
    replayed: int = 0  # events replayed from the last window (on start or take-over)
    events: int = 0  # new events fed
    matches: int = 0
    fired: int = 0  # triggers fired on orders
    skipped: int = 0  # orders where the trigger was not available (recorded, not fired)
    suggested: int = 0  # outbox suggestions written
    # rows this OrderLoom cannot read (written by a newer one), passed over: the cursor moves past them
    unreadable: list[UnreadableRow] = field(default_factory=list)


class CorrelationFeed:
    """Feeds new audit events and outbox messages to a :class:`Correlator` once each, and acts.

    One worker holds a feed at a time (a lease on its ``correlation_cursor`` row, renewed each round);
    the others skip it, and their report says who holds it and until when. A worker that stops in good
    order lets go of it (:meth:`release`), so the next one takes it at once instead of after the lease.
    Acting on a match happens before the cursor moves past its last event, so a crash in between acts
    again on restart (at least once); firing the same trigger again is then usually refused by the
    order's state, which is recorded as skipped.

    A row this OrderLoom cannot read (an audit event, its order's data or an outbox message of a
    ``schema_version`` it does not know: written by a newer OrderLoom) is passed over: the cursor moves
    past it and the round's report lists it (``FeedReport.unreadable``), so one such row never stops the
    feed. A round that fails half-way lets the next one start again from the cursor, replaying the last
    window first, so no event is fed twice.
    """

    def __init__(
        self,
        engine: Engine,
        rulesets: Sequence[CorrelationRuleset],
        worker_id: str,
        name: str = "default",
        *,
        lease: timedelta | None = None,
        batch: int = 500,
    ) -> None:
        self.engine = engine
        self.rulesets = tuple(rulesets)
        self.worker_id = worker_id
        self.name = name
        self.lease = lease or engine.lease
        self.batch = batch
        self.correlator = Correlator(self.rulesets)
        self._holding = False
        self._window = timedelta(seconds=max((r.longest_window for r in self.rulesets), default=0))
        self._actors = {r.name: _actor(r) for r in self.rulesets}

    def close(self) -> None:
        """Let go of the correlator's durable-rules states (the cursor and its lease stay as they are)."""
        self.correlator.close()

    def release(self) -> bool:
        """Let go of the feed's lease if this worker holds it (it is stopping): another worker takes the
        feed at its next round. True when it was held by this worker."""
        self._holding = False
        if not self.rulesets:
            return False
        with self.engine.store.transaction() as tx:
            return tx.release_correlation_cursor(self.name, self.worker_id)

    def round(self) -> FeedReport:
        """Take (or keep) the feed, replay if newly taken, feed what is new, act on matches."""
        report = FeedReport()
        if not self.rulesets:
            return report
        try:
            return self._round(report)
        except BaseException:
            # The correlator may hold events past the cursor: the next round replays before it feeds.
            self._holding = False
            raise

    def _round(self, report: FeedReport) -> FeedReport:
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            holding = tx.claim_correlation_cursor(self.name, self.worker_id, now, self.lease)
            cursor = tx.correlation_cursor(self.name)
        if not holding or cursor is None:
            self._holding = False
            if cursor is not None and cursor.claimed_by is not None and cursor.claimed_at is not None:
                report.held_by, report.held_until = cursor.claimed_by, cursor.claimed_at + self.lease
            return report
        report.holding = True
        if not self._holding:
            report.replayed = self._replay(cursor.last_audit_id, cursor.last_outbox_id, now, report)
            self._holding = True
        self.correlator.expire(now)
        audit_after, outbox_after = cursor.last_audit_id, cursor.last_outbox_id
        settled = self._settled(audit_after, outbox_after)
        if settled is False:
            return report  # the logs were being written past the lock timeout: the next round reads
        more = True
        while more:
            events, more = self._read(audit_after, outbox_after, up_to=settled, since=None)
            for event, audit_id, outbox_id in events:
                audit_after, outbox_after = max(audit_after, audit_id), max(outbox_after, outbox_id)
                if isinstance(event, UnreadableRow):
                    report.unreadable.append(event)
                    continue
                report.events += 1
                matches = self.correlator.feed(event)
                records = [self._act(match, report) for match in matches]
                due = records or report.events % self.batch == 0
                if due and not self._advance(audit_after, outbox_after, records):
                    self._holding = False
                    return report
        if not self._advance(audit_after, outbox_after, []):
            self._holding = False
        return report

    # -- reading -----------------------------------------------------------------------------------

    def _settled(self, audit_after: int, outbox_after: int) -> tuple[int, int] | Literal[False] | None:
        """How far the logs may be read without passing an event still being written: on PostgreSQL
        ids are taken before commit, so an open transaction can hold a smaller id than one already
        committed, and a cursor moved past it would never feed it. A short lock on both logs waits for
        the transactions writing them; every id up to the newest it then sees is committed. Nothing
        committed past the cursors: no lock (a round of an idle worker holds no writer back), nothing
        read. ``None``: no bound needed (SQLite has one writer at a time). ``False``: the lock was not
        had in time."""
        store = self.engine.store
        if store.is_sqlite:
            return None
        with store.read() as tx:
            newest = _newest_ids(tx.connection)
        if newest[0] <= audit_after and newest[1] <= outbox_after:
            return newest
        try:
            with store.transaction(lock_timeout_ms=FEED_LOCK_TIMEOUT_MS) as tx:
                tx.connection.exec_driver_sql("LOCK TABLE audit_events, outbox IN SHARE ROW EXCLUSIVE MODE")
                return _newest_ids(tx.connection)
        except OperationalError as error:
            if not is_lock_timeout(error):
                raise
            return False

    def _read(
        self, audit_after: int, outbox_after: int, up_to: tuple[int, int] | None, since: datetime | None
    ) -> tuple[list[tuple[dict[str, Any] | UnreadableRow, int, int]], bool]:
        """Events after the cursors, audit and outbox merged in time order (audit first on a tie), and
        whether more may follow; a row this code cannot read stands in its place as itself."""
        with self.engine.store.read() as tx:
            audits = tx.audit_feed(
                after_id=audit_after,
                up_to_id=None if up_to is None else up_to[0],
                since=since,
                limit=self.batch,
            )
            messages = tx.outbox_feed(
                after_id=outbox_after,
                up_to_id=None if up_to is None else up_to[1],
                since=since,
                limit=self.batch,
            )
        merged: list[tuple[datetime, int, int, dict[str, Any] | UnreadableRow, int, int]] = []
        for item in audits:
            if isinstance(item, UnreadableRow):
                merged.append((item.at, 0, item.id, item, item.id, 0))
            else:
                row, order = item
                merged.append((row.at, 0, row.id, event_from_audit(row, order), row.id, 0))
        for message in messages:
            if isinstance(message, UnreadableRow):
                merged.append((message.at, 1, message.id, message, 0, message.id))
            else:
                merged.append((message.created_at, 1, message.id, event_from_outbox(message), 0, message.id))
        # A full batch of one log may stop before the other's next events: feed only up to the
        # earlier of the two last times, so the merge stays in time order across batches.
        limit_at: datetime | None = None
        if len(audits) == self.batch and audits:
            limit_at = _feed_time(audits[-1])
        if len(messages) == self.batch and messages:
            last = _feed_time(messages[-1])
            limit_at = last if limit_at is None else min(limit_at, last)
        merged.sort(key=lambda item: (item[0], item[1], item[2]))
        events = [
            (event, audit_id, outbox_id)
            for at, _, _, event, audit_id, outbox_id in merged
            if limit_at is None or at <= limit_at
        ]
        return events, limit_at is not None

    def _replay(self, audit_upto: int, outbox_upto: int, now: datetime, report: FeedReport) -> int:
        """Feed the last window of already-read events again, without acting: partial patterns come
        back; events that a recorded match consumed are left out, so nothing matches twice. Rows it
        cannot read were passed over (and said) when first read; a recorded match it cannot read is
        said (the events it consumed may then be replayed)."""
        self.correlator.close()
        self.correlator = Correlator(self.rulesets)
        since = now - self._window
        consumed: set[str] = set()
        with self.engine.store.read() as tx:
            for match in tx.correlation_matches(self.name, since - self._window):
                if isinstance(match, UnreadableRow):
                    report.unreadable.append(match)
                else:
                    consumed.update(str(event.get("id")) for event in match["events"])
        replayed = 0
        audit_after = outbox_after = 0
        more = True
        while more:
            events, more = self._read(audit_after, outbox_after, up_to=(audit_upto, outbox_upto), since=since)
            for event, audit_id, outbox_id in events:
                audit_after, outbox_after = max(audit_after, audit_id), max(outbox_after, outbox_id)
                if isinstance(event, UnreadableRow) or event["id"] in consumed:
                    continue
                replayed += 1
                self.correlator.feed(event)  # matches here were acted on before, or will never be
        return replayed

    def _advance(self, audit_id: int, outbox_id: int, records: Sequence[Mapping[str, Any]]) -> bool:
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            if not tx.advance_correlation_cursor(self.name, self.worker_id, audit_id, outbox_id, now):
                return False
            for record in records:
                tx.insert_correlation_match(feed=self.name, **record)
        return True

    # -- acting ------------------------------------------------------------------------------------

    def _act(self, match: CorrelationMatch, report: FeedReport) -> dict[str, Any]:
        """Do what the pattern says; the record of the match, for ``correlation_matches``."""
        report.matches += 1
        pattern = match.pattern
        actions: list[dict[str, Any]] = []
        if isinstance(pattern.then, FireAction):
            reason = (
                f"correlation {match.ruleset}#{match.version} {pattern.name}: "
                f"{pattern.reason.en} | {pattern.reason.zh}"
            )
            actor = self._actors[match.ruleset]
            for order_id in self._targets(pattern.then.on, match, actor):
                actions.append(self._fire(order_id, pattern.then.trigger, actor, reason, report))
        else:
            payload = {
                **pattern.then.fields,
                "ruleset": match.ruleset,
                "version": match.version,
                "pattern": pattern.name,
                "key": match.key,
                "reason": {"zh": pattern.reason.zh, "en": pattern.reason.en},
                "events": [_summary(event) for event in match.events],
            }
            for name in ("sku", "warehouse", "available", "safety_stock", "department"):
                if name in match.events[-1] and name not in payload:
                    payload[name] = match.events[-1][name]
            department = payload.get("department")  # whose admins see the suggestion in the outbox
            with self.engine.store.transaction() as tx:
                tx.insert_outbox(
                    pattern.then.topic,
                    payload,
                    self.engine.clock.now(),
                    department=department if isinstance(department, str) else None,
                )
            report.suggested += 1
            actions.append({"suggested": pattern.then.topic})
        return {
            "ruleset": match.ruleset,
            "version": match.version,
            "pattern": pattern.name,
            "key": match.key,
            "at": match.at,
            "events": [_summary(event) for event in match.events],
            "actions": actions,
        }

    def _targets(self, on: str, match: CorrelationMatch, actor: Actor) -> list[int]:
        """The orders a match acts on: of the departments the rule file acts on (``actor.scope``)."""
        scope = actor.scope
        ids: dict[int, None] = {}
        if on == "event_order":
            for event in match.events:
                if isinstance(event.get("order_id"), int):
                    ids[event["order_id"]] = None
            with self.engine.store.read() as tx:
                return _of_departments(tx.connection, list(ids), scope)
        field_name = "customer_mobile" if on == "customer_open_orders" else "address_key"
        values = {str(event[field_name]) for event in match.events if event.get(field_name)}
        with self.engine.store.read() as tx:
            if on == "customer_open_orders":
                for value in sorted(values):
                    found = tx.open_order_ids_where(("customer", "mobile"), value, departments=scope)
                    ids.update(dict.fromkeys(found))
            else:
                ids.update(dict.fromkeys(_open_orders_at(tx.connection, values, scope)))
        return sorted(ids)

    def _fire(
        self, order_id: int, trigger: str, actor: Actor, reason: str, report: FeedReport
    ) -> dict[str, Any]:
        try:
            result = self.engine.fire(order_id, trigger, actor, reason=reason)
        except TransitionRejected as error:
            report.skipped += 1
            return {
                "order_id": order_id,
                "trigger": trigger,
                "result": "skipped",
                "why": [refusal.en for refusal in error.refusals],
            }
        except EngineError as error:  # changed meanwhile, gone, or stored in a shape this code cannot read
            report.skipped += 1
            return {"order_id": order_id, "trigger": trigger, "result": "skipped", "why": [str(error)]}
        report.fired += 1
        return {
            "order_id": order_id,
            "trigger": trigger,
            "result": "fired",
            "to_state": result.to_state,
            "audit_event_id": result.audit_event_id,
        }


def _actor(ruleset: CorrelationRuleset) -> Actor:
    """Who fires on a correlation match: the engine itself, named after the rule set, in the departments
    the rule set acts on (an order of another one is not found for it)."""
    return Actor(f"correlation:{ruleset.name}", frozenset({"system"}), ruleset.acts_on, is_system=True)


def _of_departments(connection: Any, ids: Sequence[int], departments: Collection[str] | None) -> list[int]:
    """``ids`` of orders in ``departments`` (every order's for None), in their order."""
    if departments is None or not ids:
        return list(ids)
    query = select(orders.c.id).where(orders.c.id.in_(ids), orders.c.department.in_(sorted(departments)))
    kept = set(connection.execute(query).scalars())
    return [order_id for order_id in ids if order_id in kept]


def _open_orders_at(
    connection: Any,
    keys: Collection[str],
    departments: Collection[str] | None = None,
    limit: int = MAX_TARGETS,
) -> list[int]:
    """The unfinished orders (of ``departments``; None: of every one) whose delivery address has one of
    ``keys`` (:func:`address_key`).

    The key folds what SQL cannot (full-width forms, every kind of space), so the addresses of the
    unfinished orders are read and keyed here: a scan, which a correlation match, rare by design, can
    afford (only the address of each order is read, not its data).
    """
    if not keys:
        return []
    found: list[int] = []
    query = (
        select(orders.c.id, orders.c.data["address"]).where(orders.c.final.is_(False)).order_by(orders.c.id)
    )
    if departments is not None:
        query = query.where(orders.c.department.in_(sorted(departments)))
    for order_id, address in connection.execute(query):
        if isinstance(address, str | bytes):
            address = json.loads(address)
        if address_key(address) in keys:
            found.append(int(order_id))
            if len(found) >= limit:
                break
    return found


_SUMMARY_FIELDS = ("id", "type", "order_id", "department", "at", "customer_mobile", "address_key", "sku")


def _summary(event: Mapping[str, Any]) -> dict[str, Any]:
    """The part of an event a match record keeps (not the order's whole data)."""
    kept = {name: event[name] for name in _SUMMARY_FIELDS if name in event}
    if isinstance(kept.get("at"), datetime):
        kept["at"] = kept["at"].isoformat()
    return kept


def _feed_time(item: tuple[AuditRow, OrderRow] | OutboxRow | UnreadableRow) -> datetime:
    """When a row read by the feed was written."""
    if isinstance(item, tuple):
        return item[0].at
    return item.at if isinstance(item, UnreadableRow) else item.created_at


def _newest_ids(connection: Any) -> tuple[int, int]:
    """The newest audit event's and outbox message's ids (0 for an empty log)."""
    audit = connection.execute(select(func.max(audit_events.c.id))).scalar_one_or_none()
    message = connection.execute(select(func.max(outbox.c.id))).scalar_one_or_none()
    return int(audit or 0), int(message or 0)
