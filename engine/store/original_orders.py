"""The orders of a workflow that name another order by its number (after-sales requests about a retail
order, ``original_order:`` of the workflow): read when a new one is taken, to know what the others
already claim of that order's money, and for the pages of both orders.

The link is data: ``order_links`` holds each such order and the id its field names, written in the
transaction that creates the order or changes the field (``link_order``), so the orders about an order
are read through the index on ``original_id`` (``orders_naming``), never by a scan of the orders' JSON
data. ``link_workflow`` writes a workflow's links afresh from its orders' data (migration 0026, and a
published version that declares another field)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, delete, insert, select

from engine.common.order_numbers import order_digits
from engine.store.codec import loads
from engine.store.tables import order_links, orders

MAX_ID = 2**63 - 1  # the largest id a row holds (a bigint)
MAX_DIGITS = len(str(MAX_ID))
BATCH = 5000  # orders read at once while a workflow is linked afresh


@dataclass(frozen=True)
class NamingOrder:
    """An order naming another by its number: its id, state, whether that state is final, its data."""

    id: int
    state: str
    final: bool
    data: Mapping[str, Any]


def named_id(value: Any) -> int | None:
    """The order id a field names: an order number as people type it (digits, ``#236``, full-width
    ``＃２３６``, spaces around; or a whole number); None for anything else (no order is named)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        digits = order_digits(value)
        value = int(digits) if digits is not None and len(digits) <= MAX_DIGITS else None
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def orders_naming(
    connection: Connection, department: str, workflow: str, number: int, but: int | None = None
) -> list[NamingOrder]:
    """Each order of ``workflow`` in ``department`` whose original order is ``number``, oldest first
    (through the index on ``order_links.original_id``); the order ``but`` left out (the one asking)."""
    query = naming_query(department, workflow, number, but)
    return [
        NamingOrder(int(id_), str(state), bool(final), loads(data) if isinstance(data, str | bytes) else data)
        for id_, state, final, data in connection.execute(query).fetchall()
    ]


def naming_query(department: str, workflow: str, number: int, but: int | None = None) -> Select[Any]:
    """The statement ``orders_naming`` runs: the links of ``number`` by their index, joined to their
    orders by id."""
    query = (
        select(orders.c.id, orders.c.state, orders.c.final, orders.c.data)
        .select_from(order_links.join(orders, orders.c.id == order_links.c.order_id))
        .where(
            order_links.c.original_id == number,
            order_links.c.department == department,
            order_links.c.workflow == workflow,
        )
        .order_by(order_links.c.order_id)
    )
    if but is not None:
        query = query.where(order_links.c.order_id != but)
    return query


def link_order(connection: Connection, order_id: int, department: str, workflow: str, value: Any) -> None:
    """Link order ``order_id`` to the order its field's ``value`` names (none: no link), replacing the
    link it had."""
    connection.execute(delete(order_links).where(order_links.c.order_id == order_id))
    original = named_id(value)
    if original is not None:
        connection.execute(
            insert(order_links).values(
                order_id=order_id, original_id=original, department=department, workflow=workflow
            )
        )


def link_workflow(connection: Connection, department: str, workflow: str, field: str) -> int:
    """Link every order of ``workflow`` in ``department`` afresh by its data field ``field``, a batch of
    orders at a time; how many are linked."""
    connection.execute(
        delete(order_links).where(order_links.c.department == department, order_links.c.workflow == workflow)
    )
    last, linked = 0, 0
    while True:
        rows = connection.execute(
            select(orders.c.id, orders.c.data)
            .where(orders.c.department == department, orders.c.workflow == workflow, orders.c.id > last)
            .order_by(orders.c.id)
            .limit(BATCH)
        ).fetchall()
        if not rows:
            return linked
        links = []
        for order_id, stored in rows:
            data = loads(stored) if isinstance(stored, str | bytes) else stored
            original = named_id(data.get(field)) if isinstance(data, Mapping) else None
            if original is not None:
                links.append(
                    {
                        "order_id": order_id,
                        "original_id": original,
                        "department": department,
                        "workflow": workflow,
                    }
                )
        if links:
            connection.execute(insert(order_links), links)
            linked += len(links)
        last = rows[-1][0]
