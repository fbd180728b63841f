"""The orders of a workflow that name another order by its number (after-sales requests about a retail
order, ``original_order:`` of the workflow): read when a new one is taken, to know what the others
already claim of that order's money, and for the pages of both orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from engine.store.codec import loads
from engine.store.tables import orders


@dataclass(frozen=True)
class NamingOrder:
    """An order naming another by its number: its id, state, whether that state is final, its data."""

    id: int
    state: str
    final: bool
    data: Mapping[str, Any]


def orders_naming(
    connection: Connection, department: str, workflow: str, field: str, number: str, but: int | None = None
) -> list[NamingOrder]:
    """Each order of ``workflow`` in ``department`` whose data field ``field`` holds ``number``, oldest
    first; the order ``but`` left out (the one asking)."""
    query = (
        select(orders.c.id, orders.c.state, orders.c.final, orders.c.data)
        .where(
            orders.c.department == department,
            orders.c.workflow == workflow,
            orders.c.data[field].as_string() == number,
        )
        .order_by(orders.c.id)
    )
    if but is not None:
        query = query.where(orders.c.id != but)
    return [
        NamingOrder(int(id_), str(state), bool(final), loads(data) if isinstance(data, str | bytes) else data)
        for id_, state, final, data in connection.execute(query).fetchall()
    ]
