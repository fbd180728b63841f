"""inventory.reserve / release / deduct against a real stock table, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, insert, select, update

from engine.errors import PluginError
from engine.store.tables import metadata, stock, stock_ledger
from plugins import inventory
from plugins._common import ActionRefused

from .conftest import ContextMaker

LINES = [
    {"sku": "XM-BAND8", "name": "小米手环8", "qty": 3, "unit_price": 239},
    {"sku": "HR-BCD470", "name": "海尔冰箱 BCD-470", "qty": 1, "unit_price": 3299},
]


def levels(db: Engine) -> dict[tuple[str, str], tuple[int, int]]:
    with db.connect() as connection:
        rows = connection.execute(select(stock.c.sku, stock.c.warehouse, stock.c.on_hand, stock.c.reserved))
        return {(r.sku, r.warehouse): (r.on_hand, r.reserved) for r in rows}


def test_reserve_takes_the_warehouse_with_most_free_stock_and_records_it(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": LINES}))
    assert changes == {
        "stock_reserved": [
            {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 3},
            {"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 1},
        ]
    }
    assert levels(db)[("XM-BAND8", "SH-01")] == (10, 3)
    assert levels(db)[("HR-BCD470", "SH-01")] == (2, 1)


def test_reserve_honours_the_warehouse_the_order_names(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": LINES[:1], "warehouse": "GZ-01"}))
    assert changes == {"stock_reserved": [{"sku": "XM-BAND8", "warehouse": "GZ-01", "qty": 3}]}
    assert levels(db)[("XM-BAND8", "GZ-01")] == (4, 3)


def test_the_warehouse_routing_chose_wins_over_a_line_s_own(db: Engine, make_ctx: ContextMaker) -> None:
    """Routing chose SH-01: a line naming GZ-01, which holds enough, takes nothing there."""
    lines = [{**LINES[0], "warehouse": "GZ-01"}]
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": lines, "warehouse": "SH-01"}))
    assert changes == {"stock_reserved": [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 3}]}
    assert (levels(db)[("XM-BAND8", "SH-01")], levels(db)[("XM-BAND8", "GZ-01")]) == ((10, 3), (4, 0))


def test_a_line_naming_a_warehouse_without_stock_is_reserved_where_routing_chose(
    db: Engine, make_ctx: ContextMaker
) -> None:
    """CD-01 holds no bands; routing found them in SH-01: the order is reserved there, not refused."""
    lines = [{**LINES[0], "warehouse": "CD-01"}]
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": lines, "warehouse": "SH-01"}))
    assert changes == {"stock_reserved": [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 3}]}


def test_a_line_s_own_warehouse_counts_for_an_order_naming_none(db: Engine, make_ctx: ContextMaker) -> None:
    """No routing, no warehouse for the order: the line's GZ-01, though SH-01 has more free."""
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": [{**LINES[0], "warehouse": "GZ-01"}]}))
    assert changes == {"stock_reserved": [{"sku": "XM-BAND8", "warehouse": "GZ-01", "qty": 3}]}


def test_reserve_sums_repeated_lines_of_one_sku(db: Engine, make_ctx: ContextMaker) -> None:
    lines = [{"sku": "HR-BCD470", "qty": 1}, {"sku": "HR-BCD470", "qty": 1}]
    with db.begin() as connection:
        changes = inventory.reserve(make_ctx(connection, {"lines": lines}))
    assert changes == {"stock_reserved": [{"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 2}]}


def test_reserve_refuses_naming_the_sku_and_rolls_back_every_line(db: Engine, make_ctx: ContextMaker) -> None:
    lines = [{"sku": "XM-BAND8", "qty": 2}, {"sku": "HR-BCD470", "qty": 3}]
    with pytest.raises(PluginError) as caught, db.begin() as connection:
        inventory.reserve(make_ctx(connection, {"lines": lines}))
    assert "HR-BCD470" in str(caught.value)
    assert "3 wanted, 2 available" in str(caught.value)
    assert "库存不足" in caught.value.zh  # type: ignore[attr-defined]
    assert levels(db)[("XM-BAND8", "SH-01")] == (10, 0)  # the first line's reservation was rolled back


def test_reserve_refuses_an_unknown_sku_and_a_bad_quantity(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        with pytest.raises(PluginError, match="NO-SUCH-SKU"):
            inventory.reserve(make_ctx(connection, {"lines": [{"sku": "NO-SUCH-SKU", "qty": 1}]}))
        with pytest.raises(PluginError, match="positive integer"):
            inventory.reserve(make_ctx(connection, {"lines": [{"sku": "XM-BAND8", "qty": 0}]}))
        with pytest.raises(PluginError, match="no lines"):
            inventory.reserve(make_ctx(connection, {"lines": []}))


def test_reserve_twice_is_refused(db: Engine, make_ctx: ContextMaker) -> None:
    held = [{"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 1}]
    with pytest.raises(PluginError, match="already holds"), db.begin() as connection:
        inventory.reserve(make_ctx(connection, {"lines": LINES, "stock_reserved": held}))


def test_virtual_lines_hold_no_stock_reserved_released_or_shipped(db: Engine, make_ctx: ContextMaker) -> None:
    card = {"sku": "GC-100", "qty": 2, "virtual": True}  # no stock row: reserving it would be refused
    with db.begin() as connection:
        held = inventory.reserve(make_ctx(connection, {"lines": [card, *LINES]}))
    assert held == {
        "stock_reserved": [
            {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 3},
            {"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 1},
        ]
    }
    data: dict[str, Any] = {"lines": [card, *LINES], **held}
    with db.begin() as connection:
        assert inventory.deduct(make_ctx(connection, data)) == {"stock_reserved": [], "shipped_qty": 4}
    with db.begin() as connection:  # an order of virtual lines only reserves nothing, and releases nothing
        assert inventory.reserve(make_ctx(connection, {"lines": [card]})) == {"stock_reserved": []}
        assert inventory.release(make_ctx(connection, {"lines": [card], "stock_reserved": []})) is None
    with pytest.raises(PluginError, match="GC-100"), db.begin() as connection:  # unmarked, it needs stock
        inventory.reserve(make_ctx(connection, {"lines": [{**card, "virtual": False}]}))


def test_release_gives_back_exactly_what_the_order_holds(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        data: dict[str, Any] = {"lines": LINES, **inventory.reserve(make_ctx(connection, {"lines": LINES}))}
    with db.begin() as connection:
        assert inventory.release(make_ctx(connection, data)) == {"stock_reserved": []}
    assert levels(db)[("XM-BAND8", "SH-01")] == (10, 0)
    assert levels(db)[("HR-BCD470", "SH-01")] == (2, 0)
    with db.begin() as connection:  # an order holding nothing has nothing to release
        assert inventory.release(make_ctx(connection, {"lines": LINES, "stock_reserved": []})) is None


def test_release_of_more_than_is_reserved_is_refused(db: Engine, make_ctx: ContextMaker) -> None:
    held = [{"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 1}]
    with pytest.raises(PluginError, match="HR-BCD470"), db.begin() as connection:
        inventory.release(make_ctx(connection, {"stock_reserved": held}))


def test_deduct_ships_everything_reserved(db: Engine, make_ctx: ContextMaker) -> None:
    with db.begin() as connection:
        data: dict[str, Any] = {"lines": LINES, **inventory.reserve(make_ctx(connection, {"lines": LINES}))}
    with db.begin() as connection:
        assert inventory.deduct(make_ctx(connection, data)) == {"stock_reserved": [], "shipped_qty": 4}
    assert levels(db)[("XM-BAND8", "SH-01")] == (7, 0)
    assert levels(db)[("HR-BCD470", "SH-01")] == (1, 0)


def test_deduct_ships_a_parcel_at_a_time_and_counts_what_was_shipped(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        data: dict[str, Any] = {"lines": LINES, **inventory.reserve(make_ctx(connection, {"lines": LINES}))}
    with db.begin() as connection:
        data |= inventory.deduct(make_ctx(connection, {**data, "parcel": [{"sku": "XM-BAND8", "qty": 2}]}))
    assert data["shipped_qty"] == 2
    assert data["stock_reserved"] == [
        {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 1},
        {"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 1},
    ]
    with pytest.raises(PluginError, match="exceeds what the order holds by 1"), db.begin() as connection:
        inventory.deduct(make_ctx(connection, {**data, "parcel": [{"sku": "XM-BAND8", "qty": 2}]}))
    with db.begin() as connection:
        parcel = [{"sku": "XM-BAND8", "qty": 1}, {"sku": "HR-BCD470", "qty": 1}]
        data |= inventory.deduct(make_ctx(connection, {**data, "parcel": parcel}))
    assert data["shipped_qty"] == 4
    assert data["stock_reserved"] == []
    assert levels(db)[("XM-BAND8", "SH-01")] == (7, 0)


def test_deduct_without_a_reservation_is_refused(db: Engine, make_ctx: ContextMaker) -> None:
    with pytest.raises(PluginError, match="holds no reserved stock"), db.begin() as connection:
        inventory.deduct(make_ctx(connection, {"lines": LINES}))


def race(db: Engine, make_ctx: ContextMaker, sku: str, shoppers: int) -> list[str]:
    """``shoppers`` threads reserve one unit of ``sku`` at the same moment; their outcomes, sorted."""
    barrier = threading.Barrier(shoppers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def shopper() -> None:
        barrier.wait()
        try:
            with db.begin() as connection:
                inventory.reserve(make_ctx(connection, {"lines": [{"sku": sku, "qty": 1}]}))
            outcome = "reserved"
        except PluginError:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=shopper) for _ in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_racing_for_the_last_units_never_oversells(db: Engine, make_ctx: ContextMaker) -> None:
    """Twelve shoppers race for the two fridges: exactly two win and the stock never goes negative."""
    assert race(db, make_ctx, "HR-BCD470", 12) == ["refused"] * 10 + ["reserved"] * 2
    assert levels(db)[("HR-BCD470", "SH-01")] == (2, 2)


def test_racing_over_two_warehouses_fills_both_never_oversells(db: Engine, make_ctx: ContextMaker) -> None:
    """Twenty shoppers race for the fourteen bands in two warehouses: the losers of a race for the
    warehouse with most stock free are served by the other one, and no stock row goes negative."""
    assert race(db, make_ctx, "XM-BAND8", 20) == ["refused"] * 6 + ["reserved"] * 14
    assert levels(db)[("XM-BAND8", "SH-01")] == (10, 10)
    assert levels(db)[("XM-BAND8", "GZ-01")] == (4, 4)


def test_a_reservation_that_crosses_the_safety_stock_reports_it_once(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        connection.execute(
            update(stock)
            .where(stock.c.sku == "XM-BAND8", stock.c.warehouse == "SH-01")
            .values(safety_stock=5)
        )
    messages = []
    for qty in (4, 2, 1):  # free 10 -> 6 (above), -> 4 (crossed), -> 3 (still below: not again)
        with db.begin() as connection:
            ctx = make_ctx(connection, {"lines": [{"sku": "XM-BAND8", "qty": qty, "warehouse": "SH-01"}]})
            inventory.reserve(ctx)
        messages.append(ctx.outbox)
    assert messages[0] == [] and messages[2] == []
    changed, low = messages[1]
    # the purchasers are told too, with the reorder suggestion and its figures (nothing shipped yet)
    assert low[0] == "stock.low"
    assert {k: low[1][k] for k in ("sku", "warehouse", "available", "safety_stock", "shipped_30d")} == {
        "sku": "XM-BAND8",
        "warehouse": "SH-01",
        "available": 4,
        "safety_stock": 5,
        "shipped_30d": 0,
    }
    assert low[1]["suggested"] == 1  # 0 shipped + 5 safety - 4 free - 0 in transit
    assert [changed] == [
        (
            "stock_changed",
            {
                "sku": "XM-BAND8",
                "warehouse": "SH-01",
                "available": 4,
                "safety_stock": 5,
                "order_id": 42,
                "department": "retail",
            },
        )
    ]
    # a row without a safety stock is never reported (GZ-01 now has the most free: 4 against 3)
    with db.begin() as connection:
        ctx = make_ctx(connection, {"lines": [{"sku": "XM-BAND8", "qty": 4}]})
        inventory.reserve(ctx)
    assert ctx.outbox == []
    assert levels(db)[("XM-BAND8", "GZ-01")] == (4, 4)


def test_the_purchasers_are_told_once_until_the_row_is_back_above_its_safety_stock(
    db: Engine, make_ctx: ContextMaker
) -> None:
    """Orders placed and cancelled at the edge: one low-stock mail, not one at each crossing (it was
    two, at 4 free and at 4 again), until the row is back above its safety stock."""
    with db.begin() as connection:
        connection.execute(
            update(stock)
            .where(stock.c.sku == "XM-BAND8", stock.c.warehouse == "SH-01")
            .values(safety_stock=5)
        )

    def reserve(qty: int) -> tuple[dict[str, Any], bool]:
        lines = [{"sku": "XM-BAND8", "qty": qty, "warehouse": "SH-01"}]
        with db.begin() as connection:
            ctx = make_ctx(connection, {"lines": lines})
            held = inventory.reserve(ctx)
        return {"lines": lines, **(held or {})}, any(topic == "stock.low" for topic, _ in ctx.outbox)

    def cancel(order: dict[str, Any]) -> None:
        with db.begin() as connection:
            inventory.release(make_ctx(connection, order))

    first, told = reserve(5)  # free 10 -> 5: at the safety stock, not below
    assert not told
    second, told = reserve(1)  # 4: below, told
    assert told
    cancel(second)  # 5: at it, not above
    _, told = reserve(1)  # 4 again: told already
    assert not told
    cancel(first)  # 9: back above
    _, told = reserve(5)  # 4: told again
    assert told


HELD = [
    {"sku": "XM-BAND8", "warehouse": "SH-01", "qty": 1},
    {"sku": "HR-BCD470", "warehouse": "SH-01", "qty": 1},
]


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("action", "data"),
    [
        (inventory.reserve, {"lines": [{"sku": "XM-BAND8", "qty": 1, "warehouse": "SH-01"}, LINES[1]]}),
        (inventory.release, {"lines": LINES, "stock_reserved": HELD}),
        (inventory.deduct, {"lines": LINES, "stock_reserved": HELD}),
    ],
    ids=["reserve", "release", "deduct"],
)
def test_each_action_locks_every_row_of_the_order_s_skus_by_sku_then_warehouse_first(
    pg_url: str, make_ctx: ContextMaker, action: Any, data: dict[str, Any]
) -> None:
    """The bands are named first, but the fridges (HR-...) sort first: they are locked while the action
    waits for a band row of another warehouse than its own, which the other client holds."""
    db = create_engine(pg_url)
    metadata.create_all(db)
    with db.begin() as connection:
        rows = [("XM-BAND8", "SH-01"), ("XM-BAND8", "GZ-01"), ("HR-BCD470", "SH-01")]
        connection.execute(
            insert(stock), [{"sku": s, "warehouse": w, "on_hand": 5, "reserved": 1} for s, w in rows]
        )
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    outcome: list[Any] = []

    def run() -> None:
        with db.begin() as connection:
            outcome.append(action(make_ctx(connection, data)))

    with psycopg.connect(plain) as holder, psycopg.connect(plain, autocommit=True) as other:
        holder.execute("SELECT 1 FROM stock WHERE sku = 'XM-BAND8' AND warehouse = 'GZ-01' FOR UPDATE")
        thread = threading.Thread(target=run)
        thread.start()
        waiting = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        for _ in range(10_000):  # a hang guard, not a time asserted
            row = other.execute(waiting).fetchone()
            if row is not None and row[0] == 1:
                break
            if not thread.is_alive():
                pytest.fail("the action did not wait for the band row in GZ-01")
            time.sleep(0.01)
        else:
            pytest.fail("the action never waited")
        # Waiting for the band row in GZ-01, it holds the fridges' row already.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            other.execute("SELECT 1 FROM stock WHERE sku = 'HR-BCD470' FOR UPDATE NOWAIT")
        assert outcome == []
        holder.rollback()
        thread.join(30)
    assert len(outcome) == 1
    db.dispose()


def test_restock_puts_the_returned_lines_back_on_hand_once_with_their_ledger_entries(
    db: Engine, make_ctx: ContextMaker
) -> None:
    returned = {
        "type": "return",
        "return_warehouse": "GZ-01",
        "lines": [{"sku": "XM-BAND8", "qty": 2}, {"sku": "NEW-SKU", "qty": 1, "warehouse": "SH-01"}],
    }
    with db.begin() as connection:
        assert inventory.restock(make_ctx(connection, returned)) is None
    assert levels(db)[("XM-BAND8", "GZ-01")] == (6, 0)
    assert levels(db)[("NEW-SKU", "GZ-01")] == (1, 0)  # the request's warehouse wins over the line's
    with db.connect() as connection:
        entries = connection.execute(
            select(stock_ledger.c.kind, stock_ledger.c.sku, stock_ledger.c.change, stock_ledger.c.reference)
        ).all()
    assert sorted(map(tuple, entries)) == [("restock", "NEW-SKU", 1, "42"), ("restock", "XM-BAND8", 2, "42")]
    with pytest.raises(ActionRefused, match="back on hand already"), db.begin() as connection:
        inventory.restock(make_ctx(connection, returned))
    assert levels(db)[("XM-BAND8", "GZ-01")] == (6, 0)
    # an exchange's returned item, on another order, to the line's warehouse when the request names none
    exchange = {"type": "exchange", "lines": [{"sku": "HR-BCD470", "qty": 1, "warehouse": "SH-01"}]}
    with db.begin() as connection:
        inventory.restock(make_ctx(connection, exchange, order_id=43))
    assert levels(db)[("HR-BCD470", "SH-01")] == (3, 0)
    with db.connect() as connection:
        kind = connection.execute(
            select(stock_ledger.c.kind).where(stock_ledger.c.reference == "43")
        ).scalar()
    assert kind == "exchange_return"
    nowhere = {"type": "return", "lines": [{"sku": "XM-BAND8", "qty": 1}]}
    with pytest.raises(ActionRefused, match="no warehouse to put it back in") as refused, db.begin() as c:
        inventory.restock(make_ctx(c, nowhere, order_id=44))
    assert "寄回仓库" in refused.value.message("zh")


def test_a_shipment_writes_its_ledger_entries_in_its_own_transaction(
    db: Engine, make_ctx: ContextMaker
) -> None:
    with db.begin() as connection:
        ctx = make_ctx(connection, {"lines": [{"sku": "XM-BAND8", "qty": 3, "warehouse": "SH-01"}]})
        held = inventory.reserve(ctx)
    data = {"lines": [{"sku": "XM-BAND8", "qty": 3}], **(held or {})}
    with pytest.raises(RuntimeError), db.begin() as connection:  # a later action fails: nothing stays
        inventory.deduct(make_ctx(connection, data))
        raise RuntimeError("the waybill could not be made")
    with db.connect() as connection:
        assert connection.execute(select(stock_ledger.c.id)).all() == []
    with db.begin() as connection:
        inventory.deduct(make_ctx(connection, data, trigger="ship", actor="zhao.lei"))
    with db.connect() as connection:
        row = connection.execute(
            select(stock_ledger.c.change, stock_ledger.c.kind, stock_ledger.c.actor)
        ).one()
    assert tuple(row) == (-3, "ship", "zhao.lei")
    assert levels(db)[("XM-BAND8", "SH-01")] == (7, 0)
