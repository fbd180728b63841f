"""The audit trail: one event per step of an order, appended, never changed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select

from engine.store import documents
from engine.store.documents import AUDIT_EVENT
from engine.store.statements import SV, Statement
from engine.store.tables import audit_events
from engine.store.transaction import TxCore


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


AUDIT_COLUMNS = (
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

_b = bindparam
INSERT_AUDIT = Statement(
    "insert_audit",
    insert(audit_events)
    .values(
        order_id=_b("order_id"),
        seq=_b("seq"),
        at=_b("at"),
        actor=_b("actor"),
        trigger=_b("trigger"),
        from_state=_b("from_state"),
        to_state=_b("to_state"),
        data_changes=_b("data_changes"),
        guards=_b("guards"),
        rules=_b("rules"),
        reason=_b("reason"),
        schema_version=SV,
    )
    .returning(audit_events.c.id),
)
# How many orders one read of their decisions names at most (a bound parameter each).
_DECIDED_CHUNK = 200


@cache
def _decisions_statement(count: int) -> Statement:
    """The rule decisions stored with the audit events of ``count`` orders (``:order_0`` …), in order."""
    return Statement(
        f"decisions_{count}",
        select(audit_events.c.order_id, audit_events.c.at, audit_events.c.rules)
        .where(
            audit_events.c.order_id.in_([_b(f"order_{i}") for i in range(count)]),
            audit_events.c.rules.is_not(None),
        )
        .order_by(audit_events.c.order_id, audit_events.c.seq),
    )


@cache
def _entered_statement(count: int) -> Statement:
    """The state changes decided by rules of ``count`` orders (``:order_0`` …), newest last."""
    return Statement(
        f"entered_by_rules_{count}",
        select(
            audit_events.c.order_id,
            audit_events.c.at,
            audit_events.c.from_state,
            audit_events.c.to_state,
            audit_events.c.rules,
        )
        .where(
            audit_events.c.order_id.in_([_b(f"order_{i}") for i in range(count)]),
            audit_events.c.rules.is_not(None),
        )
        .order_by(audit_events.c.order_id, audit_events.c.seq),
    )


HISTORY = Statement(
    "history",
    select(*AUDIT_COLUMNS).where(audit_events.c.order_id == _b("order_id")).order_by(audit_events.c.seq),
)


class AuditTrail(TxCore):
    """The audit events of a transaction."""

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
            INSERT_AUDIT,
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
        rows = self.run(HISTORY, {"order_id": order_id}).fetchall()
        return [self._audit(r) for r in rows]

    def decided_at(self, order_ids: Sequence[int], ruleset: str) -> dict[int, datetime]:
        """Order id -> when rule set ``ruleset`` last decided it (the time of that step's audit event), for
        each of ``order_ids`` it has decided."""
        found: dict[int, datetime] = {}
        for start in range(0, len(order_ids), _DECIDED_CHUNK):
            chunk = order_ids[start : start + _DECIDED_CHUNK]
            params = {f"order_{i}": order_id for i, order_id in enumerate(chunk)}
            for order_id, at, rules in self.run(_decisions_statement(len(chunk)), params).fetchall():
                decided = self._json(rules)
                if isinstance(decided, Mapping) and decided.get("ruleset") == ruleset:
                    found[int(order_id)] = self._time(at)
        return found

    def entered_by_rules(self, entered: Mapping[int, tuple[str, datetime]]) -> dict[int, Mapping[str, Any]]:
        """Order id -> the rule decision that moved it into the state it holds, for each order of
        ``entered`` (id -> its state and when it entered it) whose state a rule set decided: the newest
        event with a decision that changed the order's state into that one at that time or after."""
        found: dict[int, Mapping[str, Any]] = {}
        order_ids = sorted(entered)
        for start in range(0, len(order_ids), _DECIDED_CHUNK):
            chunk = order_ids[start : start + _DECIDED_CHUNK]
            params = {f"order_{i}": order_id for i, order_id in enumerate(chunk)}
            for order_id, at, from_state, to_state, rules in self.run(
                _entered_statement(len(chunk)), params
            ).fetchall():
                state, since = entered[int(order_id)]
                decided = self._json(rules)
                if (
                    to_state == state
                    and from_state != to_state
                    and self._time(at) >= since
                    and isinstance(decided, Mapping)
                ):
                    found[int(order_id)] = decided
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


__all__ = ["AUDIT_COLUMNS", "AuditRow", "AuditTrail"]
