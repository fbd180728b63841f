"""Orders: the rows the runtime loads, inserts, updates and lists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    case,
    func,
    insert,
    null,
    or_,
    select,
    text,
    tuple_,
    update,
)

from engine.common.list_keys import customer_key
from engine.store import documents
from engine.store.documents import ORDER_DATA
from engine.store.search import SearchTermRows
from engine.store.statements import MAX_ID, STATE_BAR, SV, ZERO, Statement, like_escaped
from engine.store.tables import STATE_JOIN, orders


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
    total: float = 0.0  # the data's total as the list sorts it (``order_total``)
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
    orders.c.total,
    orders.c.state_since,
    orders.c.assignee,
    orders.c.assigned_at,
)

_b = bindparam
MAX_TOTAL = 10**14  # the column holds 16 digits, 2 after the point
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
        total=_b("total"),
        state_since=_b("at"),
        customer_key=_b("customer_key"),
        due=_b("due"),
        returned_at=_b("returned_at"),
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
        total=_b("total"),
        due=_b("due"),
        returned_at=func.coalesce(orders.c.returned_at, _b("returned_at")),
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
        total=_b("total"),
        due=_b("due"),
        returned_at=func.coalesce(orders.c.returned_at, _b("returned_at")),
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


def order_total(data: Mapping[str, Any]) -> float:
    """The order's ``total`` as the list filters and sorts it: its data's, 0 where it has none."""
    total = data.get("total")
    if isinstance(total, bool) or not isinstance(total, int | float):
        return 0.0
    return float(total) if -MAX_TOTAL < total < MAX_TOTAL else 0.0


def order_due(data: Mapping[str, Any]) -> float:
    """What the order still owes (``orders.due``): its total less what it has been paid (``paid_amount``
    less ``refunded_amount``), never below 0 nor above the total."""
    total = order_total(data)
    paid = _amount(data.get("paid_amount")) - _amount(data.get("refunded_amount"))
    return round(min(max(total - paid, 0.0), max(total, 0.0)), 2)


def _amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value) if -MAX_TOTAL < value < MAX_TOTAL else 0.0


def asks_return(data: Mapping[str, Any]) -> bool:
    """Whether the order's data asks for a return (its ``refund_amount``, which a return request sets:
    the after-sales request; or the ``refund_due`` it authorized: workflows/retail's ``request_return``,
    whose amount defaults to the price of the lines returned): ``orders.returned_at`` is then set."""
    return data.get("refund_amount") is not None or data.get("refund_due") is not None


# The list's sorts: the column read, and whether the newest (largest) comes first; ties by id likewise.
SORT_COLUMNS: Mapping[str, tuple[Any, bool]] = {
    "newest": (orders.c.created_at, True),
    "oldest": (orders.c.created_at, False),
    "updated": (orders.c.updated_at, True),
    "amount_high": (orders.c.total, True),
    "amount_low": (orders.c.total, False),
}


@dataclass(frozen=True)
class ListFilter:
    """What the order list is narrowed to; None: not narrowed by it. Times are UTC instants
    (``created_before`` excluded), amounts compare with the order's total."""

    workflow: str | None = None
    state: str | None = None
    channel: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    amount_from: float | None = None
    amount_to: float | None = None


@dataclass(frozen=True)
class Keyset:
    """Where a page of the list starts: after the order with sort value ``value`` and ``id`` (``before``:
    the page before it, read the other way)."""

    value: Any
    id: int
    before: bool = False


def _state_condition(state: str) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """An order in ``state``: a whole parallel state exactly, else a leaf that is it or its child."""
    if STATE_JOIN in state:
        return orders.c.state == _b("state"), {"state": state}
    bracketed = STATE_BAR.concat(orders.c.state).concat(STATE_BAR)
    name = like_escaped(state)
    condition = or_(
        orders.c.state == _b("state"),
        bracketed.like(_b("state_leaf"), escape="\\"),
        bracketed.like(_b("state_child"), escape="\\"),
    )
    bar = STATE_JOIN
    return condition, {"state": state, "state_leaf": f"%{bar}{name}{bar}%", "state_child": f"%{bar}{name}.%"}


@cache
def orders_by_keyset(shape: tuple[str, ...], sort: str, cursor: bool, backward: bool) -> Statement:
    """One department's orders of one filter shape (the names of the filters given), in ``sort`` order
    (the other way when ``backward``), after the keyset ``:key_value``, ``:key_id`` when ``cursor``,
    ``:limit`` of them: read from the index ``(department, <sort column>, id)``, never OFFSET."""
    column, newest_first = SORT_COLUMNS[sort]
    descending = newest_first != backward
    query = select(*ORDER_COLUMNS).where(orders.c.department == _b("department"))
    conditions = {
        "workflow": orders.c.workflow == _b("workflow"),
        "channel": orders.c.channel == _b("channel"),
        "created_from": orders.c.created_at >= _b("created_from"),
        "created_before": orders.c.created_at < _b("created_before"),
        "amount_from": orders.c.total >= _b("amount_from"),
        "amount_to": orders.c.total <= _b("amount_to"),
    }
    for name in shape:
        if name in ("state", "whole_state"):
            continue  # added with its own parameters (``_state_condition``)
        query = query.where(conditions[name])
    if "state" in shape:
        query = query.where(_STATE_SHAPES[shape.count("whole_state") > 0])
    if cursor:
        key = tuple_(column, orders.c.id)
        mark = tuple_(_b("key_value"), _b("key_id"))
        query = query.where(key < mark if descending else key > mark)
    if descending:
        query = query.order_by(column.desc(), orders.c.id.desc())
    else:
        query = query.order_by(column.asc(), orders.c.id.asc())
    direction = "backward" if backward else "forward"
    # OFFSET 0 written into the text: SQLite's compiler adds one to every LIMIT, as a parameter otherwise
    paged = query.limit(_b("limit")).offset(ZERO)
    return Statement(f"orders_by_keyset({sort}, {direction}, {', '.join(shape)})", paged)


@cache
def orders_by_id(department: bool, workflow: bool, locked: bool) -> Statement:
    """Every order (of ``:department``, of ``:workflow``) by id after ``:after``, ``:limit`` of them: a
    keyset page of the whole table, so a pass over a million orders holds one page at a time; ``locked``
    (PostgreSQL, a write transaction): the page's orders stay locked until it ends."""
    query = select(*ORDER_COLUMNS).where(orders.c.id > _b("after"))
    if department:
        query = query.where(orders.c.department == _b("department"))
    if workflow:
        query = query.where(orders.c.workflow == _b("workflow"))
    query = query.order_by(orders.c.id).limit(_b("limit")).offset(ZERO)
    filters = [name for name, on in (("department", department), ("workflow", workflow)) if on]
    if locked:
        return Statement(f"orders_by_id_locked({', '.join(filters)})", query.with_for_update())
    return Statement(f"orders_by_id({', '.join(filters)})", query)


_STATE_SHAPES = {True: _state_condition("a|b")[0], False: _state_condition("a")[0]}


class OrderRows(SearchTermRows):
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
            total=float(row[12] or 0),
            state_since=self._maybe_time(row[13]),
            assignee=row[14],
            assigned_at=self._maybe_time(row[15]),
        )

    def load_order(self, order_id: int) -> OrderRow | None:
        """The order; in a write transaction on PostgreSQL its row stays locked until the end, so a
        second change to the order waits here and then reads the first one's result (as on SQLite)."""
        if not 0 < order_id <= MAX_ID:  # no row holds it (and SQLite's driver refuses past 64 bits)
            return None
        row = self.run(ORDER_BY_ID_LOCKED if self._locks else ORDER_BY_ID, {"id": order_id}).fetchone()
        return None if row is None else self._order(row)

    def load_orders(self, order_ids: Sequence[int]) -> dict[int, OrderRow]:
        """The orders of ``order_ids`` that exist, by id, read in one statement (a search's results)."""
        wanted = [i for i in order_ids if 0 < i <= MAX_ID]
        if not wanted:
            return {}
        rows = self.connection.execute(select(*ORDER_COLUMNS).where(orders.c.id.in_(wanted))).fetchall()
        return {row[0]: self._order(row) for row in rows}

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
                "total": order_total(data),
                "customer_key": customer_key(data),
                "due": order_due(data),
                "returned_at": self.ts(at) if asks_return(data) else None,
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
            "total": order_total(data),
            "due": order_due(data),
            "returned_at": self.ts(at) if asks_return(data) else None,
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

    def orders_by_keyset(
        self,
        *,
        departments: Sequence[str],
        filters: ListFilter,
        sort: str,
        keyset: Keyset | None,
        limit: int,
    ) -> list[OrderRow]:
        """A page of the list: up to ``limit`` orders of ``departments`` narrowed by ``filters``, in
        ``sort`` order after ``keyset`` (before it, when the keyset says so: still in ``sort`` order).

        Each department is read from its index ``(department, <sort column>, id)`` from the keyset on,
        stopping at ``limit``, and the departments' pages merged: never OFFSET, never the whole
        department sorted."""
        column_name = {"newest": "created_at", "oldest": "created_at", "updated": "updated_at"}.get(
            sort, "total"
        )
        _, newest_first = SORT_COLUMNS[sort]
        backward = keyset is not None and keyset.before
        descending = newest_first != backward
        params: dict[str, Any] = {"limit": limit}
        shape: list[str] = []
        for name in ("workflow", "channel", "created_from", "created_before", "amount_from", "amount_to"):
            value = getattr(filters, name)
            if value is None:
                continue
            shape.append(name)
            params[name] = self.ts(value) if isinstance(value, datetime) else self._money(value)
        if filters.state is not None:
            condition_params = _state_condition(filters.state)[1]
            params.update(condition_params)
            shape += ["state", "whole_state"] if STATE_JOIN in filters.state else ["state"]
        if keyset is not None:
            value = keyset.value
            key_value = self.ts(value) if isinstance(value, datetime) else self._money(value)
            params.update(key_value=key_value, key_id=keyset.id)
        statement = orders_by_keyset(tuple(shape), sort, keyset is not None, backward)
        found: list[OrderRow] = []
        for department in departments:
            rows = self.run(statement, {**params, "department": department}).fetchall()
            found.extend(self._order(row) for row in rows)

        def key(row: OrderRow) -> tuple[Any, int]:
            return (getattr(row, column_name), row.id)

        found.sort(key=key, reverse=descending)
        page = found[:limit]
        return page[::-1] if backward else page

    def _money(self, value: Any) -> Any:
        """An amount as the driver binds it against a money column: PostgreSQL compares ``numeric`` with
        ``numeric`` (a float would turn the column into float and leave its index unused)."""
        if isinstance(value, float) and not self._sqlite:
            return Decimal(repr(value))
        return value

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

    def orders_after(
        self, after: int, *, department: str | None, workflow: str | None, limit: int
    ) -> list[OrderRow]:
        """Up to ``limit`` orders with an id above ``after``, by id, of ``department`` and ``workflow``
        when given (a page of a pass over every order; locked on PostgreSQL in a write transaction)."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if department is not None:
            params["department"] = department
        if workflow is not None:
            params["workflow"] = workflow
        statement = orders_by_id(department is not None, workflow is not None, self._locks)
        return [self._order(row) for row in self.run(statement, params).fetchall()]

    def orders_on_version(self, workflow: str, version: int) -> list[OrderRow]:
        rows = self.run(ORDERS_ON_VERSION, {"workflow": workflow, "version": version}).fetchall()
        return [self._order(row) for row in rows]


__all__ = ["ORDER_COLUMNS", "OrderRow", "OrderRows"]
