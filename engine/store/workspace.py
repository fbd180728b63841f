"""My work (我的工作): a state's orders oldest first a page at a time, the oldest order of a state, the
orders one person has claimed, and claims taken and let go.

Every read goes through an index of migration 0017: ``(department, workflow, state, state_since, id)``
for a state's orders (a keyset page is one range scan of it, the oldest order one look-up; the states
of one page are read in one statement, each its own range, so that a page costs one round trip to
PostgreSQL, not one per state) and ``ix_orders_assignee`` for one assignee's. A page starts after the
``(state_since, id)`` of the last order of the page before (keyset pagination): an order that arrives
meanwhile never shifts the pages.

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

from sqlalchemy import and_, bindparam, func, literal_column, select, tuple_, union_all, update

from engine.store.orders import ORDER_COLUMNS, OrderRow, OrderRows
from engine.store.statements import Statement
from engine.store.tables import orders, users

_b = bindparam
_o = orders.c
_BY_ID_CHUNK = 100  # orders read by id in one statement at most
_PLACES_CHUNK = 24  # states read in one statement at most


class ClaimFilter(StrEnum):
    """Which orders of a state a page lists, by who has claimed them."""

    ANY = "any"
    UNASSIGNED = "unassigned"  # nobody has
    MINE = "mine"  # ``:me`` has
    NOT_MINE = "not-mine"  # nobody, or someone else


def _where_place(query: Any, i: int) -> Any:
    return query.where(
        _o.department == _b(f"department_{i}"),
        _o.workflow == _b(f"workflow_{i}"),
        _o.state == _b(f"state_{i}"),
    )


def _where_claims(query: Any, claims: ClaimFilter) -> Any:
    """Only the orders ``claims`` lists: nobody's, ``:me``'s, or all but ``:me``'s."""
    if claims is ClaimFilter.UNASSIGNED:
        return query.where(_o.assignee.is_(None))
    if claims is ClaimFilter.MINE:
        return query.where(_o.assignee == _b("me"))
    if claims is ClaimFilter.NOT_MINE:
        return query.where((_o.assignee.is_(None)) | (_o.assignee != _b("me")))
    return query


@cache
def _claimed_counts(claims: ClaimFilter, places: int) -> Statement:
    """How many orders of each of ``places`` states ``claims`` lists: (place, count), a range of the
    state index each, in one statement."""
    parts = [
        _where_claims(_where_place(select(literal_column(str(i)).label("place"), func.count()), i), claims)
        for i in range(places)
    ]
    return Statement(
        f"claimed_counts({claims.value}, {places})", union_all(*parts) if len(parts) > 1 else parts[0]
    )


@cache
def _many_state_keys(claims: ClaimFilter, afters: tuple[bool, ...]) -> Statement:
    """Where the orders of ``len(afters)`` states are, oldest first (``state_since``, then id), read from
    the index alone but for who claimed them: of each state (``:department_0``, ``:workflow_0``,
    ``:state_0`` …) its own index range, ``:limit`` each, from its start or (where ``afters`` says so)
    after its own ``(:since_0, :after_id_0)``, one after the other, in one statement."""
    parts = []
    for i, after in enumerate(afters):
        query = _where_claims(_where_place(select(_o.state_since, _o.id), i), claims)
        if after:
            query = query.where(tuple_(_o.state_since, _o.id) > tuple_(_b(f"since_{i}"), _b(f"after_id_{i}")))
        inner = query.order_by(_o.state_since, _o.id).limit(_b("limit")).offset(_b("offset")).subquery()
        parts.append(select(literal_column(str(i)).label("place"), inner.c.state_since, inner.c.id))
    shape = f"{claims.value}, {''.join('a' if after else '-' for after in afters)}"
    return Statement(f"many_state_keys({shape})", union_all(*parts) if len(parts) > 1 else parts[0])


@cache
def _oldest_of(places: int) -> Statement:
    """When the longest-waiting order of each of ``places`` states entered it: (place, state_since)."""
    parts = []
    for i in range(places):
        inner = (
            _where_place(select(_o.state_since), i)
            .order_by(_o.state_since, _o.id)
            .limit(_b("limit"))
            .offset(_b("offset"))
            .subquery()
        )
        parts.append(select(literal_column(str(i)).label("place"), inner.c.state_since))
    return Statement(f"oldest_of({places})", union_all(*parts) if len(parts) > 1 else parts[0])


@cache
def _orders_by_id(count: int) -> Statement:
    """``count`` orders by their ids (``:id_0`` …)."""
    return Statement(
        f"orders_by_id({count})",
        select(*ORDER_COLUMNS).where(_o.id.in_([_b(f"id_{i}") for i in range(count)])),
    )


@cache
def _claimed_by(after: bool) -> Statement:
    query = select(*ORDER_COLUMNS).where(_o.assignee == _b("me"), _o.department == _b("department"))
    if after:
        query = query.where(tuple_(_o.state_since, _o.id) > tuple_(_b("since"), _b("after_id")))
    return Statement(
        f"claimed_by({'after' if after else 'first'})",
        query.order_by(_o.state_since, _o.id).limit(_b("limit")).offset(_b("offset")),
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

    def many_state_keys(
        self,
        places: Sequence[tuple[str, str, str]],
        *,
        after: tuple[datetime, int] | None = None,
        limit: int = 50,
        claims: ClaimFilter = ClaimFilter.ANY,
        me: str | None = None,
        afters: Sequence[tuple[datetime, int] | None] | None = None,
    ) -> list[tuple[int, datetime | None, int]]:
        """(place, state_since, id) of the orders of each of ``places`` (department, workflow, stored
        state: a parallel order's joined leaves; ``place`` its index in ``places``), oldest in their
        state first, ``limit`` of each after ``after`` (or after each place's own of ``afters``, None:
        from its start), not merged; one statement per ``_PLACES_CHUNK`` states."""
        starts = list(afters) if afters is not None else [after] * len(places)
        found: list[tuple[int, datetime | None, int]] = []
        for start in range(0, len(places), _PLACES_CHUNK):
            chunk = places[start : start + _PLACES_CHUNK]
            froms = starts[start : start + _PLACES_CHUNK]
            params: dict[str, Any] = {"limit": limit, "offset": 0}
            for i, (department, workflow, state) in enumerate(chunk):
                params.update({f"department_{i}": department, f"workflow_{i}": workflow, f"state_{i}": state})
                begin = froms[i]
                if begin is not None:
                    since, after_id = begin
                    params.update({f"since_{i}": self.ts(since), f"after_id_{i}": after_id})
            if claims in (ClaimFilter.MINE, ClaimFilter.NOT_MINE):
                params["me"] = me
            statement = _many_state_keys(claims, tuple(f is not None for f in froms))
            rows = self.run(statement, params).fetchall()
            found.extend(
                (start + int(i), self._maybe_time(since), int(order_id)) for i, since, order_id in rows
            )
        return found

    def claimed_counts(
        self, places: Sequence[tuple[str, str, str]], claims: ClaimFilter, me: str | None = None
    ) -> list[int]:
        """How many orders of each of ``places`` (department, workflow, stored state) ``claims`` lists
        (nobody's, ``me``'s, all but ``me``'s), in their order; one statement per ``_PLACES_CHUNK``
        states."""
        found: list[int] = []
        for start in range(0, len(places), _PLACES_CHUNK):
            chunk = places[start : start + _PLACES_CHUNK]
            params: dict[str, Any] = {}
            for i, (department, workflow, state) in enumerate(chunk):
                params.update({f"department_{i}": department, f"workflow_{i}": workflow, f"state_{i}": state})
            if claims in (ClaimFilter.MINE, ClaimFilter.NOT_MINE):
                params["me"] = me
            counted = [0] * len(chunk)
            for place, count in self.run(_claimed_counts(claims, len(chunk)), params).fetchall():
                counted[int(place)] = int(count)
            found.extend(counted)
        return found

    def oldest_of(self, places: Sequence[tuple[str, str, str]]) -> list[datetime | None]:
        """When the longest-waiting order of each of ``places`` entered its state (None: no order is
        in it), in their order; one statement per ``_PLACES_CHUNK`` states."""
        found: list[datetime | None] = []
        for start in range(0, len(places), _PLACES_CHUNK):
            chunk = places[start : start + _PLACES_CHUNK]
            params: dict[str, Any] = {"limit": 1, "offset": 0}
            for i, (department, workflow, state) in enumerate(chunk):
                params.update({f"department_{i}": department, f"workflow_{i}": workflow, f"state_{i}": state})
            at: list[datetime | None] = [None] * len(chunk)
            for place, since in self.run(_oldest_of(len(chunk)), params).fetchall():
                at[int(place)] = self._maybe_time(since)
            found.extend(at)
        return found

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
        self, assignee: str, department: str, *, after: tuple[datetime, int] | None = None, limit: int = 50
    ) -> list[OrderRow]:
        """The orders of ``department`` that ``assignee`` has claimed, oldest in their state first."""
        params: dict[str, Any] = {"me": assignee, "department": department, "limit": limit, "offset": 0}
        if after is not None:
            params.update(since=self.ts(after[0]), after_id=after[1])
        rows = self.run(_claimed_by(after is not None), params).fetchall()
        return [self._order(row) for row in rows]

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
