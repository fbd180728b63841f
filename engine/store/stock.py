"""Stock on hand: what routing reads, and the one order in which a transaction locks stock rows
(docs/architecture.md, "Stock: the last units, one lock order, retries")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache

from sqlalchemy import Connection, String, any_, bindparam, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql as postgresql_dialect

from engine.store.statements import PreparedStatements, Statement
from engine.store.stock_ledger import LedgerKind, ledger_entry, rearmed
from engine.store.tables import stock
from engine.store.transaction import TxCore

# The one order in which a transaction locks stock rows on PostgreSQL, wherever it locks them (routing's
# read, the inventory actions, a restock): by primary key, sku then warehouse. Two transactions that
# lock rows in the same order wait for each other and never deadlock; locked in order-line order, two
# orders holding the same items in another order would.
STOCK_LOCK_ORDER = (stock.c.sku, stock.c.warehouse)
_STOCK_LOCK = PreparedStatements(
    {
        "lock": select(stock.c.sku)
        .where(stock.c.sku == any_(bindparam("skus", type_=postgresql_dialect.ARRAY(String))))
        .order_by(*STOCK_LOCK_ORDER)
        .with_for_update()
    }
)


def lock_stock(connection: Connection, skus: Iterable[str]) -> None:
    """Lock the stock rows of ``skus`` (in every warehouse) until the transaction ends, in
    :data:`STOCK_LOCK_ORDER` and in one statement, before changing any of them.

    PostgreSQL only: a transaction that changes stock calls it first with every sku of its order, so
    the rows it will change are all taken in the same order as any other transaction takes them. On
    SQLite it does nothing: a write transaction holds the database's one write lock already.
    """
    if connection.dialect.name != "postgresql":
        return
    wanted = sorted(set(skus))
    if wanted:
        _STOCK_LOCK.run(connection, "lock", {"skus": wanted}).fetchall()


@cache
def stock_available_statement(count: int, lock: bool) -> Statement:
    """The stock on hand of ``count`` skus (``:sku_0`` …), built once per count: routing reads it on the
    fire path, where building and compiling a Core statement costs more than running it. ``lock``:
    ``FOR UPDATE``, the rows locked in :data:`STOCK_LOCK_ORDER` (PostgreSQL)."""
    free = stock.c.on_hand - stock.c.reserved
    names = stock.c.sku.in_([bindparam(f"sku_{i}") for i in range(count)])
    query = select(stock.c.sku, stock.c.warehouse, free).where(names).order_by(*STOCK_LOCK_ORDER)
    return Statement(
        f"stock_available_{count}{'_locked' if lock else ''}", query.with_for_update() if lock else query
    )


ADD_STOCK = Statement(
    "add_stock",
    update(stock)
    .where(stock.c.sku == bindparam("sku"), stock.c.warehouse == bindparam("warehouse"))
    .values(
        on_hand=stock.c.on_hand + bindparam("units"),
        low_alerted=rearmed(stock.c.on_hand + bindparam("units") - stock.c.reserved),
    ),
)
INSERT_STOCK = Statement(
    "insert_stock",
    insert(stock).values(
        sku=bindparam("sku"),
        warehouse=bindparam("warehouse"),
        on_hand=bindparam("units"),
        reserved=literal_column("0"),
    ),
)


class StockLevels(TxCore):
    """The stock a transaction reads, and units received into it."""

    def add_stock(
        self,
        levels: Mapping[tuple[str, str], int],
        *,
        actor: str = "system",
        at: datetime | None = None,
        reference: str | None = None,
        note: str | None = None,
    ) -> None:
        """Receive units on hand per (sku, warehouse); a row is created for a new sku and warehouse, and
        each change is written to the stock ledger (kind ``receive``). The rows are changed in
        :data:`STOCK_LOCK_ORDER`, so a restock never deadlocks with a step changing the same rows on
        PostgreSQL. ``engine.runtime.stock.receive`` is the checked way in, for people."""
        moment = at or datetime.now(UTC)
        for (sku, warehouse), units in sorted(levels.items()):
            params = {"sku": sku, "warehouse": warehouse, "units": units}
            if self.run(ADD_STOCK, params).rowcount == 0:
                self.run(INSERT_STOCK, params)
            ledger_entry(
                self.connection,
                sku=sku,
                warehouse=warehouse,
                change=units,
                kind=LedgerKind.RECEIVE,
                actor=actor,
                at=moment,
                reference=reference,
                note=note,
            )

    def stock_available(self, skus: Sequence[str]) -> dict[str, dict[str, int]]:
        """Units free to reserve (on hand minus reserved) per sku and warehouse, for routing.

        In a write transaction on PostgreSQL the rows are locked as they are read (``FOR UPDATE``, in
        :data:`STOCK_LOCK_ORDER`): routing then decides on stock no other transaction can take before
        this one commits, and reads it after any transaction that was changing it has committed, as
        SQLite's single writer does. Otherwise two orders racing for the last unit would both be
        routed to it, and the one whose reservation then found it gone refused whole."""
        wanted = sorted(set(skus))
        if not wanted:
            return {}
        statement = stock_available_statement(len(wanted), self._locks)
        cursor = self.run(statement, {f"sku_{i}": sku for i, sku in enumerate(wanted)})
        available: dict[str, dict[str, int]] = {}
        for sku, warehouse, units in cursor.fetchall():
            available.setdefault(sku, {})[warehouse] = int(units)
        return available


__all__ = [
    "ADD_STOCK",
    "INSERT_STOCK",
    "STOCK_LOCK_ORDER",
    "StockLevels",
    "lock_stock",
    "stock_available_statement",
]
