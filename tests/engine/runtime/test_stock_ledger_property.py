"""Any sequence of stock operations and order actions keeps the books (Hypothesis, stateful): per (sku,
warehouse) the ledger adds up to the stock on hand, on hand never goes below 0 nor below what is reserved,
and what left by transfer and has not arrived is exactly what the transfers hold in transit. On SQLite and
on PostgreSQL.

One migrated database serves every example: each example works on skus of its own (a fresh prefix), and
the invariants are read for those skus alone.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from engine.plugins import ActionContext
from engine.runtime.stock import (
    StockRefused,
    adjust_stock,
    enter_count,
    open_stock_take,
    post_stock_take,
    receive_stock,
    receive_transfer,
    transfer_stock,
)
from engine.store import Store
from engine.store.stock_ledger import LedgerKind
from engine.store.tables import stock, stock_ledger, stock_transfers
from plugins import inventory
from plugins._common import ActionRefused

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WAREHOUSES = ("SH-01", "GZ-01", "BJ-01")
_RUNS = itertools.count()


def stock_books(store: Store) -> type[RuleBasedStateMachine]:
    class StockBooks(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            run = next(_RUNS)
            self.skus = [f"P{run}-A", f"P{run}-B"]
            self.orders: dict[int, dict[str, Any]] = {}
            self.order_ids = itertools.count(run * 1000 + 1)
            self.transfer_ids: list[int] = []
            for sku in self.skus:  # every sku known in every warehouse, empty
                for warehouse in WAREHOUSES:
                    receive_stock(store, "qa", sku, warehouse, 1, NOW, new=True)

        def ctx(self, connection: Any, order_id: int, data: dict[str, Any], trigger: str) -> ActionContext:
            return ActionContext(
                connection=connection,
                order_id=order_id,
                department="retail",
                workflow="retail-order",
                trigger=trigger,
                source="a",
                dest="b",
                actor="qa",
                data=data,
                now=NOW,
            )

        sku = st.integers(0, 1)
        warehouse = st.sampled_from(WAREHOUSES)
        qty = st.integers(-2, 12)

        @rule(sku=sku, warehouse=warehouse, qty=qty)
        def receive(self, sku: int, warehouse: str, qty: int) -> None:
            try:
                receive_stock(store, "qa", self.skus[sku], warehouse, qty, NOW)
            except StockRefused:
                assert qty <= 0

        @rule(sku=sku, source=warehouse, dest=warehouse, qty=qty)
        def transfer(self, sku: int, source: str, dest: str, qty: int) -> None:
            with contextlib.suppress(StockRefused):
                self.transfer_ids.append(
                    transfer_stock(store, "qa", self.skus[sku], source, dest, qty, NOW).id
                )

        @rule(pick=st.integers(0, 20), qty=st.none() | st.integers(-1, 8))
        def receive_transfer(self, pick: int, qty: int | None) -> None:
            if self.transfer_ids:
                with contextlib.suppress(StockRefused):
                    receive_transfer(store, "qa", self.transfer_ids[pick % len(self.transfer_ids)], qty, NOW)

        @rule(
            warehouse=warehouse, counts=st.lists(st.tuples(sku, st.integers(0, 30)), min_size=1, max_size=2)
        )
        def count(self, warehouse: str, counts: list[tuple[int, int]]) -> None:
            take = open_stock_take(store, "qa", warehouse, NOW)
            for sku, counted in counts:
                enter_count(store, "qa", take.id, self.skus[sku], counted, NOW)
            try:
                post_stock_take(store, "qa", take.id, NOW)
            except StockRefused:
                from engine.runtime.stock import cancel_stock_take

                cancel_stock_take(store, "qa", take.id, NOW)

        @rule(sku=sku, warehouse=warehouse, change=st.integers(-10, 10))
        def adjust(self, sku: int, warehouse: str, change: int) -> None:
            with contextlib.suppress(StockRefused):
                adjust_stock(store, "qa", self.skus[sku], warehouse, change, "盘点差异", NOW)

        @rule(sku=sku, warehouse=st.none() | warehouse, qty=st.integers(1, 6))
        def reserve(self, sku: int, warehouse: str | None, qty: int) -> None:
            order_id = next(self.order_ids)
            line: dict[str, Any] = {"sku": self.skus[sku], "qty": qty}
            if warehouse:
                line["warehouse"] = warehouse
            data: dict[str, Any] = {"lines": [line]}
            try:
                with store.transaction() as tx:
                    data.update(inventory.reserve(self.ctx(tx.connection, order_id, data, "reserve")) or {})
            except ActionRefused:
                return
            self.orders[order_id] = data

        @rule(pick=st.integers(0, 50), part=st.booleans())
        def deduct(self, pick: int, part: bool) -> None:
            held = [oid for oid, data in self.orders.items() if data.get("stock_reserved")]
            if not held:
                return
            order_id = held[pick % len(held)]
            data = dict(self.orders[order_id])
            if part:
                first = data["stock_reserved"][0]
                data["parcel"] = [{"sku": first["sku"], "qty": 1}]
            with store.transaction() as tx:
                data.update(inventory.deduct(self.ctx(tx.connection, order_id, data, "ship")) or {})
            data.pop("parcel", None)
            self.orders[order_id] = data

        @rule(pick=st.integers(0, 50))
        def release(self, pick: int) -> None:
            held = [oid for oid, data in self.orders.items() if data.get("stock_reserved")]
            if held:
                order_id = held[pick % len(held)]
                data = self.orders[order_id]
                with store.transaction() as tx:
                    data.update(inventory.release(self.ctx(tx.connection, order_id, data, "cancel")) or {})

        @rule(pick=st.integers(0, 50), exchange=st.booleans(), warehouse=warehouse)
        def restock(self, pick: int, exchange: bool, warehouse: str) -> None:
            shipped = [oid for oid, data in self.orders.items() if data.get("shipped_qty")]
            if not shipped:
                return
            order_id = shipped[pick % len(shipped)]
            data = {**self.orders[order_id], "type": "exchange" if exchange else "return"}
            data["return_warehouse"] = warehouse
            try:
                with store.transaction() as tx:
                    inventory.restock(self.ctx(tx.connection, order_id, data, "refund"))
            except ActionRefused as refused:
                assert "back on hand already" in str(refused)

        @invariant()
        def the_books_hold(self) -> None:
            with store.read() as tx:
                rows = tx.connection.execute(
                    select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved).where(
                        stock.c.sku.in_(self.skus)
                    )
                ).all()
                sums = {
                    (s, w): int(t)
                    for s, w, t in tx.connection.execute(
                        select(stock_ledger.c.sku, stock_ledger.c.warehouse, func.sum(stock_ledger.c.change))
                        .where(stock_ledger.c.sku.in_(self.skus))
                        .group_by(stock_ledger.c.sku, stock_ledger.c.warehouse)
                    )
                }
                moved = dict(
                    tx.connection.execute(
                        select(stock_ledger.c.kind, func.sum(stock_ledger.c.change))
                        .where(
                            stock_ledger.c.sku.in_(self.skus),
                            stock_ledger.c.kind.in_(
                                [LedgerKind.TRANSFER_OUT.value, LedgerKind.TRANSFER_IN.value]
                            ),
                        )
                        .group_by(stock_ledger.c.kind)
                    ).all()
                )
                in_transit = tx.connection.execute(
                    select(
                        func.coalesce(func.sum(stock_transfers.c.qty - stock_transfers.c.received), 0)
                    ).where(stock_transfers.c.sku.in_(self.skus))
                ).scalar_one()
            for sku, warehouse, on_hand, reserved in rows:
                assert sums.get((sku, warehouse), 0) == on_hand, (sku, warehouse)
                assert 0 <= reserved <= on_hand, (sku, warehouse)
            sent = -int(moved.get(LedgerKind.TRANSFER_OUT.value) or 0)
            arrived = int(moved.get(LedgerKind.TRANSFER_IN.value) or 0)
            assert sent - arrived == int(in_transit)
            held = sum(h["qty"] for data in self.orders.values() for h in data.get("stock_reserved") or [])
            assert held == sum(reserved for *_, reserved in rows)

    return StockBooks


def test_the_ledger_adds_up_to_the_stock_on_hand_whatever_is_done(store: Store) -> None:
    machine = stock_books(store)
    machine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    machine.TestCase().runTest()
