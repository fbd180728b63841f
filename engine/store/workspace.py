"""My work (我的工作): a state's orders oldest first a page at a time, the oldest order of a state, the
orders one person has claimed, and claims taken and let go.

Every read goes through an index of migration 0017: ``(department, workflow, state, state_since, id)``
for a state's orders (a keyset page is one range scan of it, the oldest order one look-up) and
``ix_orders_assignee`` for one assignee's. A page starts after the ``(state_since, id)`` of the last
order of the page before (keyset pagination): an order that arrives meanwhile never shifts the pages.

A claim writes the assignee where the order's lock version is still the one read (and where the holder
is still the one the claimer saw): two people racing for an order, one claims it and the other is told
who. It bumps the lock version (its audit event takes the next ``seq``) and changes neither the state
nor the data.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, select, tuple_, update

from engine.store.orders import ORDER_COLUMNS, OrderRow, OrderRows
from engine.store.statements import Statement
from engine.store.tables import orders, users

_b = bindparam
_o = orders.c
_BY_ID_CHUNK = 100  # orders read by id in one statement at most


class ClaimFilter(StrEnum):
    """Which orders of a state a page lists, by who has claimed them."""

    ANY = "any"
    UNASSIGNED = "unassigned"  # nobody has
    MINE = "mine"  # ``:me`` has
    NOT_MINE = "not-mine"  # nobody, or someone else


@cache
def _state_keys(claims: ClaimFilter, after: bool) -> Statement:
    """Where a state's orders are, oldest first (``state_since``, then id): ``:limit`` of them, after
    ``(:since, :after_id)`` when ``after``; read from the index alone but for who claimed them. Built
    once per shape."""
    query = select(_o.state_since, _o.id).where(
        _o.department == _b("department"), _o.workflow == _b("workflow"), _o.state == _b("state")
    )
    if claims is ClaimFilter.UNASSIGNED:
        query = query.where(_o.assignee.is_(None))
    elif claims is ClaimFilter.MINE:
        query = query.where(_o.assignee == _b("me"))
    elif claims is ClaimFilter.NOT_MINE:
        query = query.where((_o.assignee.is_(None)) | (_o.assignee != _b("me")))
    if after:
        query = query.where(tuple_(_o.state_since, _o.id) > tuple_(_b("since"), _b("after_id")))
    # SQLite writes an OFFSET beside a bound LIMIT: it is named too, always 0
    query = query.order_by(_o.state_since, _o.id).limit(_b("limit")).offset(_b("offset"))
    return Statement(f"state_keys({claims.value}{', after' if after else ''})", query)


@cache
def _orders_by_id(count: int) -> Statement:
    """``count`` orders by their ids (``:id_0`` …)."""
    return Statement(
        f"orders_by_id({count})",
        select(*ORDER_COLUMNS).where(_o.id.in_([_b(f"id_{i}") for i in range(count)])),
    )


@cache
def _claimed_by(after: bool) -> Statement:
    query = select(*ORDER_COLUMNS).where(_o.assignee == _b("me"))
    if after:
        query = query.where(tuple_(_o.state_since, _o.id) > tuple_(_b("since"), _b("after_id")))
    return Statement(
        f"claimed_by({'after' if after else 'first'})",
        query.order_by(_o.state_since, _o.id).limit(_b("limit")).offset(_b("offset")),
    )


OLDEST_IN_STATE = Statement(
    "oldest_in_state",
    select(_o.state_since)
    .where(_o.department == _b("department"), _o.workflow == _b("workflow"), _o.state == _b("state"))
    .order_by(_o.state_since, _o.id)
    .limit(_b("limit"))
    .offset(_b("offset")),
)
# The holder the claimer saw (None: nobody) is still the holder, and nobody changed the order since.
SET_ASSIGNEE = Statement(
    "set_assignee",
    update(orders)
    .where(
        and_(
            _o.id == _b("id"),
            _o.lock_version == _b("expected"),
            _o.assignee.is_not_distinct_from(_b("holder")),
        )
    )
    .values(assignee=_b("assignee"), assigned_at=_b("at"), lock_version=_b("lock_version")),
)


class WorkItems(OrderRows):
    """The reads and writes of my work in a transaction."""

    def state_keys(
        self,
        department: str,
        workflow: str,
        state: str,
        *,
        after: tuple[datetime, int] | None = None,
        limit: int = 50,
        claims: ClaimFilter = ClaimFilter.ANY,
        me: str | None = None,
    ) -> list[tuple[datetime | None, int]]:
        """(state_since, id) of the orders of ``department``'s ``workflow`` in the stored ``state`` (a
        parallel order's joined leaves), oldest in it first, ``limit`` of them after ``after``."""
        params: dict[str, Any] = {
            "department": department,
            "workflow": workflow,
            "state": state,
            "limit": limit,
            "offset": 0,
        }
        if claims in (ClaimFilter.MINE, ClaimFilter.NOT_MINE):
            params["me"] = me
        if after is not None:
            params.update(since=self.ts(after[0]), after_id=after[1])
        rows = self.run(_state_keys(claims, after is not None), params).fetchall()
        return [(self._maybe_time(since), int(order_id)) for since, order_id in rows]

    def orders_by_id(self, ids: Sequence[int]) -> dict[int, OrderRow]:
        """The orders of ``ids`` (a page's worth) by id; an id no order has is left out."""
        found: dict[int, OrderRow] = {}
        for start in range(0, len(ids), _BY_ID_CHUNK):
            chunk = ids[start : start + _BY_ID_CHUNK]
            params = {f"id_{i}": order_id for i, order_id in enumerate(chunk)}
            for row in self.run(_orders_by_id(len(chunk)), params).fetchall():
                order = self._order(row)
                found[order.id] = order
        return found

    def claimed_by(
        self, assignee: str, *, after: tuple[datetime, int] | None = None, limit: int = 50
    ) -> list[OrderRow]:
        """The orders ``assignee`` has claimed, oldest in their state first (every department: the
        caller keeps those the reader may see)."""
        params: dict[str, Any] = {"me": assignee, "limit": limit, "offset": 0}
        if after is not None:
            params.update(since=self.ts(after[0]), after_id=after[1])
        rows = self.run(_claimed_by(after is not None), params).fetchall()
        return [self._order(row) for row in rows]

    def oldest_in_state(self, department: str, workflow: str, state: str) -> datetime | None:
        """When the order longest in ``state`` entered it (None: no order is in it)."""
        row = self.run(
            OLDEST_IN_STATE,
            {"department": department, "workflow": workflow, "state": state, "limit": 1, "offset": 0},
        ).fetchone()
        return None if row is None or row[0] is None else self._time(row[0])

    def set_assignee(
        self,
        order_id: int,
        *,
        expected_lock_version: int,
        holder: str | None,
        assignee: str | None,
        at: datetime | None,
    ) -> bool:
        """Give the order to ``assignee`` (None: to nobody) since ``at`` where its lock version is
        still ``expected_lock_version`` and ``holder`` still holds it; its lock version goes one up.
        False when either changed meanwhile (nothing written)."""
        cursor = self.run(
            SET_ASSIGNEE,
            {
                "id": order_id,
                "expected": expected_lock_version,
                "holder": holder,
                "assignee": assignee,
                "at": None if at is None else self.ts(at),
                "lock_version": expected_lock_version + 1,
            },
        )
        return bool(cursor.rowcount == 1)

    def display_names_of(self, logins: Collection[str]) -> dict[str, str]:
        """login -> display name of the users among ``logins`` (a login no user has is left out)."""
        wanted: Sequence[str] = sorted(set(logins))
        if not wanted:
            return {}
        query = select(users.c.name, users.c.display_name).where(users.c.name.in_(wanted))
        return {str(name): str(shown) for name, shown in self.connection.execute(query)}


__all__ = ["ClaimFilter", "WorkItems"]
