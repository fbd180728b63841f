"""Orders: the rows the runtime loads, inserts, updates and lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from sqlalchemy import and_, bindparam, case, insert, null, or_, select, text, update

from engine.store import documents
from engine.store.documents import ORDER_DATA
from engine.store.statements import MAX_ID, STATE_BAR, SV, Statement, like_escaped
from engine.store.tables import STATE_JOIN, orders
from engine.store.transaction import TxCore


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
    state_since: datetime | None = None  # when it entered its state (migration 0017)
    assignee: str | None = None  # the login that claimed it, and since when
    assigned_at: datetime | None = None


ORDER_COLUMNS = (
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
    orders.c.state_since,
    orders.c.assignee,
    orders.c.assigned_at,
)

_b = bindparam
ORDER_BY_ID = Statement("order_by_id", select(*ORDER_COLUMNS).where(orders.c.id == _b("id")))
# PostgreSQL: a write transaction locks the order it loads (Tx.load_order).
ORDER_BY_ID_LOCKED = Statement(
    "order_by_id_locked", select(*ORDER_COLUMNS).where(orders.c.id == _b("id")).with_for_update()
)
INSERT_ORDER = Statement(
    "insert_order",
    insert(orders)
    .values(
        department=_b("department"),
        workflow=_b("workflow"),
        version=_b("version"),
        channel=_b("channel"),
        state=_b("state"),
        data=_b("data"),
        schema_version=SV,
        lock_version=_b("lock_version"),
        created_at=_b("at"),
        updated_at=_b("at"),
        final=_b("final"),
        state_since=_b("at"),
    )
    .returning(orders.c.id),
)


def _kept_unless_moved(column: Any, moved: Any) -> Any:
    """``column`` as it is while the order stays in its state, else ``moved`` (the SET clause reads the
    row as it was before the statement)."""
    return case((orders.c.state == _b("state"), column), else_=moved)


# A change of state: the time it was entered, and the claim let go (the next step is someone else's to
# claim); a step that stays where it is keeps both.
_ON_STATE_CHANGE = {
    "state_since": _kept_unless_moved(orders.c.state_since, _b("at")),
    "assignee": _kept_unless_moved(orders.c.assignee, null()),
    "assigned_at": _kept_unless_moved(orders.c.assigned_at, null()),
}
# Without the version: a column an index holds costs the index a write (a page more in the WAL of every
# step) even when its value stays; only a migration changes it.
UPDATE_ORDER = Statement(
    "update_order",
    update(orders)
    .where(and_(orders.c.id == _b("id"), orders.c.lock_version == _b("expected")))
    .values(
        state=_b("state"),
        data=_b("data"),
        lock_version=_b("lock_version"),
        updated_at=_b("at"),
        final=_b("final"),
        **_ON_STATE_CHANGE,
    ),
)
UPDATE_ORDER_VERSION = Statement(
    "update_order_version",
    update(orders)
    .where(and_(orders.c.id == _b("id"), orders.c.lock_version == _b("expected")))
    .values(
        state=_b("state"),
        data=_b("data"),
        version=_b("version"),
        lock_version=_b("lock_version"),
        updated_at=_b("at"),
        final=_b("final"),
        **_ON_STATE_CHANGE,
    ),
)
ORDERS_ON_VERSION = Statement(
    "orders_on_version",
    select(*ORDER_COLUMNS)
    .where(and_(orders.c.workflow == _b("workflow"), orders.c.version == _b("version")))
    .order_by(orders.c.id),
)
# The departments that have orders: one index look-up per department (a loose index scan of
# ``(department, id)``), not a pass over every order.
ORDER_DEPARTMENTS = Statement(
    "order_departments",
    text(
        "WITH RECURSIVE d(name) AS ("
        " SELECT min(department) FROM orders"
        " UNION ALL SELECT (SELECT min(department) FROM orders WHERE department > d.name)"
        " FROM d WHERE d.name IS NOT NULL)"
        " SELECT name FROM d WHERE name IS NOT NULL"
    ),
)


@cache
def orders_newest_first(
    department: bool, workflow: bool, state: Literal["whole", "leaf"] | None
) -> Statement:
    """The order list of one shape, newest first, a page at a time (``:limit``, ``:offset``), built once
    per shape: of ``:department``, of ``:workflow``, in the ``whole`` parallel state ``:state`` or with a
    ``leaf`` matching ``:state_leaf`` or ``:state_child``."""
    query = select(*ORDER_COLUMNS)
    if department:
        query = query.where(orders.c.department == _b("department"))
    if workflow:
        query = query.where(orders.c.workflow == _b("workflow"))
    if state == "whole":
        query = query.where(orders.c.state == _b("state"))
    elif state == "leaf":
        # Leaves never hold the separator, so "|" + state + "|" brackets every leaf.
        bracketed = STATE_BAR.concat(orders.c.state).concat(STATE_BAR)
        query = query.where(
            or_(
                bracketed.like(_b("state_leaf"), escape="\\"),
                bracketed.like(_b("state_child"), escape="\\"),
            )
        )
    query = query.order_by(orders.c.id.desc()).limit(_b("limit")).offset(_b("offset"))
    filters = [name for name, on in (("department", department), ("workflow", workflow)) if on]
    filters += [f"{state}_state"] if state else []
    return Statement(f"orders_newest_first({', '.join(filters)})", query)


class OrderRows(TxCore):
    """The orders of a transaction."""

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
            state_since=self._maybe_time(row[12]),
            assignee=row[13],
            assigned_at=self._maybe_time(row[14]),
        )

    def load_order(self, order_id: int) -> OrderRow | None:
        """The order; in a write transaction on PostgreSQL its row stays locked until the end, so a
        second change to the order waits here and then reads the first one's result (as on SQLite)."""
        if not 0 < order_id <= MAX_ID:  # no row holds it (and SQLite's driver refuses past 64 bits)
            return None
        row = self.run(ORDER_BY_ID_LOCKED if self._locks else ORDER_BY_ID, {"id": order_id}).fetchone()
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
            INSERT_ORDER,
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
            cursor = self.run(UPDATE_ORDER, params)
        else:
            cursor = self.run(UPDATE_ORDER_VERSION, {**params, "version": version})
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
        """The departments that have orders, in order (an index look-up per department)."""
        return [str(row[0]) for row in self.run(ORDER_DEPARTMENTS, {}).fetchall()]

    def _orders_newest_first(
        self, department: str | None, state: str | None, workflow: str | None, limit: int, offset: int
    ) -> list[OrderRow]:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if department is not None:
            params["department"] = department
        if workflow is not None:
            params["workflow"] = workflow
        whole = state is not None and STATE_JOIN in state  # a whole parallel state, leaves joined
        if state is not None and whole:
            params["state"] = state
        elif state is not None:
            name = like_escaped(state)
            bar = STATE_JOIN
            params.update(state_leaf=f"%{bar}{name}{bar}%", state_child=f"%{bar}{name}.%")
        statement = orders_newest_first(
            department is not None,
            workflow is not None,
            None if state is None else "whole" if whole else "leaf",
        )
        return [self._order(row) for row in self.run(statement, params).fetchall()]

    def orders_on_version(self, workflow: str, version: int) -> list[OrderRow]:
        rows = self.run(ORDERS_ON_VERSION, {"workflow": workflow, "version": version}).fetchall()
        return [self._order(row) for row in rows]


__all__ = ["ORDER_COLUMNS", "OrderRow", "OrderRows"]
