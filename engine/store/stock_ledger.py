"""The stock ledger (库存台账): every change to a stock row's ``on_hand``, appended in the transaction that
makes it, and what the ledger tells (the units shipped lately, a reorder suggestion).

Each function takes a SQLAlchemy ``Connection``: the inventory actions write through their step's
connection (``ActionContext.connection``), the stock operations (``engine.runtime.stock``) through their
transaction's. There is no function here, nor anywhere, that changes or deletes a ledger row; the
database refuses it too (triggers of migration 0020).

A low-stock alert (库存预警) is a stock row whose units free to reserve (on hand less reserved) are below
its safety stock. When a change takes a row below it, the purchasing role is told: one ``stock.low``
message to the outbox, mailed to every active user with the ``purchaser`` role and an e-mail address,
carrying the reorder suggestion (:func:`reorder_suggestion`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, case, false, func, insert, select, true, update

from engine.store.statements import PreparedStatements
from engine.store.tables import stock, stock_ledger, stock_transfers, users

__all__ = [
    "IN_TRANSIT",
    "LOW_STOCK_TOPIC",
    "PURCHASER_ROLE",
    "SALES_WINDOW",
    "LedgerKind",
    "ReorderSuggestion",
    "TransferState",
    "ledger_entry",
    "low_stock_payload",
    "purchaser_emails",
    "rearmed",
    "reorder_suggestion",
    "utc",
]

LOW_STOCK_TOPIC = "stock.low"  # mailed to the purchasing role (workers/mail.py)
PURCHASER_ROLE = "purchaser"
SALES_WINDOW = timedelta(days=30)  # the sales a reorder suggestion is drawn from


class LedgerKind(StrEnum):
    """Why ``on_hand`` changed: the very strings the ledger's ``kind`` column holds."""

    OPENING = "opening"  # what a row held when the ledger began (migration 0020)
    RECEIVE = "receive"  # goods received into a warehouse
    TRANSFER_OUT = "transfer_out"  # left for another warehouse (in transit)
    TRANSFER_IN = "transfer_in"  # a transfer received
    COUNT = "count"  # a stock-take's difference against the book
    ADJUST = "adjust"  # an adjustment, with its reason
    SHIP = "ship"  # shipped on an order (inventory.deduct)
    RESTOCK = "restock"  # a returned item put back on hand (inventory.restock)
    EXCHANGE_RETURN = "exchange_return"  # the item an exchange took back, put back on hand


class TransferState(StrEnum):
    IN_TRANSIT = "in_transit"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"


IN_TRANSIT = (TransferState.IN_TRANSIT, TransferState.PARTLY_RECEIVED)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite keeps a time's fields as written: always UTC, as tables.py says)."""
    return moment.astimezone(UTC)


def ledger_entry(
    connection: Connection,
    *,
    sku: str,
    warehouse: str,
    change: int,
    kind: LedgerKind,
    actor: str,
    at: datetime,
    reference: str | None = None,
    note: str | None = None,
) -> None:
    """Append one change of ``on_hand`` to the ledger (a change of 0 writes nothing)."""
    if change == 0:
        return
    _SQL.run(
        connection,
        "append",
        {
            "sku": sku,
            "warehouse": warehouse,
            "change": change,
            "kind": kind.value,
            "reference": reference,
            "actor": actor,
            "note": note,
            "at": _SQL.time(connection, at),
        },
    )


# Built once and run on the driver cursor: every shipment writes an entry per line, and through
# SQLAlchemy's ``Connection.execute`` each cost more than running it (bench/lifecycle.py).
_SQL = PreparedStatements(
    {
        "append": insert(stock_ledger).values(
            {
                name: bindparam(name)
                for name in ("sku", "warehouse", "change", "kind", "reference", "actor", "note", "at")
            }
        )
    }
)


@dataclass(frozen=True)
class ReorderSuggestion:
    """How many units to order for a stock row, and the figures it came from: the units shipped from the
    row in the last 30 days, what is free now, what is on its way there, and its safety stock. Enough
    for the next 30 days' sales at the last 30 days' pace, on top of the safety stock:
    ``suggested = max(0, shipped_30d + safety_stock - available - in_transit)``."""

    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    safety_stock: int
    shipped_30d: int
    in_transit: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def suggested(self) -> int:
        return max(0, math.ceil(self.shipped_30d + self.safety_stock - self.available - self.in_transit))

    @property
    def covered(self) -> bool:
        """Nothing to reorder because what is in transit makes up the shortfall (said so, not a bare 0)."""
        return self.suggested == 0 and self.in_transit > 0


def reorder_suggestion(
    connection: Connection, sku: str, warehouse: str, now: datetime
) -> ReorderSuggestion | None:
    """The suggestion for the row (``sku``, ``warehouse``), or None when it has no safety stock."""
    row = connection.execute(
        select(stock.c.on_hand, stock.c.reserved, stock.c.safety_stock).where(
            stock.c.sku == sku, stock.c.warehouse == warehouse
        )
    ).first()
    if row is None or row.safety_stock is None:
        return None
    return ReorderSuggestion(
        sku=sku,
        warehouse=warehouse,
        on_hand=int(row.on_hand),
        reserved=int(row.reserved),
        safety_stock=int(row.safety_stock),
        shipped_30d=shipped_since(connection, [(sku, warehouse)], now - SALES_WINDOW).get(
            (sku, warehouse), 0
        ),
        in_transit=in_transit_to(connection, [(sku, warehouse)]).get((sku, warehouse), 0),
    )


def shipped_since(
    connection: Connection, rows: Sequence[tuple[str, str]], since: datetime
) -> dict[tuple[str, str], int]:
    """Units shipped (the ledger's ``ship`` entries) per (sku, warehouse) of ``rows`` since ``since``."""
    if not rows:
        return {}
    skus = sorted({sku for sku, _ in rows})
    query = (
        select(stock_ledger.c.sku, stock_ledger.c.warehouse, func.sum(-stock_ledger.c.change))
        .where(
            stock_ledger.c.kind == LedgerKind.SHIP.value,
            stock_ledger.c.at >= utc(since),
            stock_ledger.c.sku.in_(skus),
        )
        .group_by(stock_ledger.c.sku, stock_ledger.c.warehouse)
    )
    wanted = set(rows)
    return {
        (sku, warehouse): int(units)
        for sku, warehouse, units in connection.execute(query)
        if (sku, warehouse) in wanted
    }


def in_transit_to(connection: Connection, rows: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Units on their way to each (sku, warehouse) of ``rows``: sent and not yet received."""
    if not rows:
        return {}
    skus = sorted({sku for sku, _ in rows})
    query = (
        select(
            stock_transfers.c.sku,
            stock_transfers.c.to_warehouse,
            func.sum(stock_transfers.c.qty - stock_transfers.c.received),
        )
        .where(stock_transfers.c.state.in_([s.value for s in IN_TRANSIT]), stock_transfers.c.sku.in_(skus))
        .group_by(stock_transfers.c.sku, stock_transfers.c.to_warehouse)
    )
    wanted = set(rows)
    return {
        (sku, warehouse): int(units)
        for sku, warehouse, units in connection.execute(query)
        if (sku, warehouse) in wanted
    }


def purchaser_emails(connection: Connection) -> list[str]:
    """The addresses of the active users with the ``purchaser`` role (any department)."""
    query = select(users.c.roles, users.c.email).where(users.c.active.is_(True), users.c.email.is_not(None))
    found = {
        str(email)
        for roles, email in connection.execute(query)
        if PURCHASER_ROLE in (roles or ()) and isinstance(email, str) and "@" in email
    }
    return sorted(found)


def rearmed(free_after: ColumnElement[Any]) -> ColumnElement[Any]:
    """``low_alerted`` as a statement that leaves ``free_after`` units free sets it (its SET clauses read
    the row as it was): cleared once the row is back above its safety stock, else as it was."""
    return case((free_after > stock.c.safety_stock, false()), else_=stock.c.low_alerted)


_CLAIM_ALERT = (
    update(stock)
    .where(
        stock.c.sku == bindparam("row_sku"),
        stock.c.warehouse == bindparam("row_warehouse"),
        stock.c.low_alerted == false(),
        stock.c.safety_stock.is_not(None),
        stock.c.on_hand - stock.c.reserved < stock.c.safety_stock,
    )
    .values(low_alerted=true())
)


def low_stock_payload(
    connection: Connection, sku: str, warehouse: str, now: datetime
) -> dict[str, Any] | None:
    """The ``stock.low`` message of a row below its safety stock whose purchasers were not told yet, the
    row marked told (``low_alerted``) in the caller's transaction; None for a row not below, or told
    already and not back above its safety stock since: the row, the reorder suggestion with its figures,
    and the purchasers' addresses."""
    found = reorder_suggestion(connection, sku, warehouse, now)
    if found is None or found.available >= found.safety_stock:
        return None
    if connection.execute(_CLAIM_ALERT, {"row_sku": sku, "row_warehouse": warehouse}).rowcount != 1:
        return None  # told already
    return {
        "sku": sku,
        "warehouse": warehouse,
        "on_hand": found.on_hand,
        "reserved": found.reserved,
        "available": found.available,
        "safety_stock": found.safety_stock,
        "shipped_30d": found.shipped_30d,
        "in_transit": found.in_transit,
        "suggested": found.suggested,
        "emails": purchaser_emails(connection),
    }
