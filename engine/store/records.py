"""An order's child records (payments, shipments): one row each, numbered within the order and its kind,
written in the transaction of the step that adds or moves it (docs/workflow-language.md, "Child records").
A record changes only where its ``lock_version`` still matches: two steps racing on one record, one wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from engine.store.statements import ONE, SV, Statement
from engine.store.tables import order_records
from engine.store.transaction import TxCore


@dataclass(frozen=True)
class RecordRow:
    id: int
    order_id: int
    kind: str
    number: int
    state: str
    data: Mapping[str, Any]
    lock_version: int
    created_at: datetime
    updated_at: datetime


RECORD_COLUMNS = (
    order_records.c.id,
    order_records.c.order_id,
    order_records.c.kind,
    order_records.c.number,
    order_records.c.state,
    order_records.c.data,
    order_records.c.lock_version,
    order_records.c.created_at,
    order_records.c.updated_at,
)

_b = bindparam
INSERT_RECORD = Statement(
    "insert_order_record",
    insert(order_records)
    .values(
        order_id=_b("order_id"),
        kind=_b("kind"),
        number=_b("number"),
        state=_b("state"),
        data=_b("data"),
        schema_version=SV,
        lock_version=ONE,
        created_at=_b("at"),
        updated_at=_b("at"),
    )
    .returning(order_records.c.id),
)
ORDER_RECORDS = Statement(
    "order_records_of_order",
    select(*RECORD_COLUMNS)
    .where(order_records.c.order_id == _b("order_id"))
    .order_by(order_records.c.kind, order_records.c.number),
)
_BY_ORDER_CHUNK = 100  # orders whose records are read in one statement at most


@cache
def _records_of_orders(count: int) -> Statement:
    """Every record of ``count`` orders (``:id_0`` …), by order, kind, then number."""
    return Statement(
        f"order_records_of_orders({count})",
        select(*RECORD_COLUMNS)
        .where(order_records.c.order_id.in_([_b(f"id_{i}") for i in range(count)]))
        .order_by(order_records.c.order_id, order_records.c.kind, order_records.c.number),
    )


UPDATE_RECORD = Statement(
    "update_order_record",
    update(order_records)
    .where(and_(order_records.c.id == _b("id"), order_records.c.lock_version == _b("expected")))
    .values(state=_b("state"), data=_b("data"), lock_version=_b("lock_version"), updated_at=_b("at")),
)


class OrderRecords(TxCore):
    """The child records of a transaction."""

    def insert_record(
        self, *, order_id: int, kind: str, number: int, state: str, data: Mapping[str, Any], at: datetime
    ) -> int:
        params = {
            "order_id": order_id,
            "kind": kind,
            "number": number,
            "state": state,
            "data": self.dumps(data),
            "at": self.ts(at),
        }
        return int(self.run(INSERT_RECORD, params).fetchone()[0])

    def order_records(self, order_id: int) -> list[RecordRow]:
        """Every record of the order, by kind, then number."""
        return [self._record(r) for r in self.run(ORDER_RECORDS, {"order_id": order_id}).fetchall()]

    def records_of_orders(self, order_ids: Sequence[int]) -> dict[int, list[RecordRow]]:
        """Every record of each order of ``order_ids`` (a page's worth), by kind, then number; an order
        with none is left out. One statement per hundred orders."""
        found: dict[int, list[RecordRow]] = {}
        ids = list(dict.fromkeys(order_ids))
        for start in range(0, len(ids), _BY_ORDER_CHUNK):
            chunk = ids[start : start + _BY_ORDER_CHUNK]
            params = {f"id_{i}": order_id for i, order_id in enumerate(chunk)}
            for r in self.run(_records_of_orders(len(chunk)), params).fetchall():
                record = self._record(r)
                found.setdefault(record.order_id, []).append(record)
        return found

    def update_record(
        self, record_id: int, *, expected_lock_version: int, state: str, data: Mapping[str, Any], at: datetime
    ) -> bool:
        """Write the record if nobody changed it since ``expected_lock_version``; False otherwise."""
        params = {
            "id": record_id,
            "expected": expected_lock_version,
            "state": state,
            "data": self.dumps(data),
            "lock_version": expected_lock_version + 1,
            "at": self.ts(at),
        }
        return bool(self.run(UPDATE_RECORD, params).rowcount == 1)

    def _record(self, r: Sequence[Any]) -> RecordRow:
        return RecordRow(
            id=r[0],
            order_id=r[1],
            kind=r[2],
            number=r[3],
            state=r[4],
            data=self._json(r[5]),
            lock_version=r[6],
            created_at=self._time(r[7]),
            updated_at=self._time(r[8]),
        )


__all__ = ["OrderRecords", "RecordRow"]
