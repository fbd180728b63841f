"""The orders of a workflow that name another order by its number (after-sales requests about a retail
order, ``original_order:`` of the workflow): read when a new one is taken, to know what the others
already claim of that order's money."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from engine.store.codec import loads
from engine.store.tables import orders


def orders_naming(
    connection: Connection, department: str, workflow: str, field: str, number: str, but: int | None = None
) -> list[tuple[bool, Mapping[str, Any]]]:
    """Whether each order of ``workflow`` in ``department`` whose data field ``field`` holds ``number`` is
    in a final state, with its data; the order ``but`` left out (the one asking)."""
    query = select(orders.c.final, orders.c.data).where(
        orders.c.department == department,
        orders.c.workflow == workflow,
        orders.c.data[field].as_string() == number,
    )
    if but is not None:
        query = query.where(orders.c.id != but)
    rows = connection.execute(query).fetchall()
    return [(bool(final), loads(data) if isinstance(data, str | bytes) else data) for final, data in rows]
