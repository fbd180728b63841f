"""Routing on a transition: stock on hand from the database decides, the outputs become order data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import stock
from tests.engine.runtime.conftest import CLERK, make_engine

ROOT = Path(__file__).resolve().parent / "fixtures" / "routing"


def routed_engine(store: Store, on_hand: dict[tuple[str, str], int]) -> Engine:
    engine = make_engine(store, FrozenClock())
    engine.publish(load_bundle(ROOT / "workflows" / "routed-order.yaml", ROOT, action_names={}, workflows={}))
    with store.transaction() as tx:
        rows = [{"sku": s, "warehouse": w, "on_hand": n, "reserved": 0} for (s, w), n in on_hand.items()]
        tx.connection.execute(insert(stock), rows)
    return engine


def place(engine: Engine, province: str, lines: list[dict[str, object]]) -> dict[str, object]:
    order = engine.create_order(
        CLERK, "retail", "routed-order", None, {"address": {"province": province}, "lines": lines}
    )
    return {"state": order.state, **order.data}


def test_the_warehouse_with_the_stock_ships_and_its_choice_is_order_data(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 0, ("A", "BJ-01"): 5})
    order = place(engine, "上海", [{"sku": "A", "qty": 2}])
    assert (order["state"], order["warehouse"], order["split"]) == ("pending_payment", "BJ-01", [])
    assert order["carrier"] in ("sf", "zto")
    [event] = [e for e in engine.history(1, CLERK) if e.trigger == "place"]
    assert event.rules is not None and event.rules["kind"] == "routing" and event.rules["outcome"] == "routed"
    assert event.rules["version"]  # the version of the rule set that decided
    assert event.data_changes["warehouse"] == [None, "BJ-01"]


def test_nearer_warehouse_wins_when_both_hold_the_stock(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 5, ("A", "BJ-01"): 5})
    assert place(engine, "北京", [{"sku": "A", "qty": 1}])["warehouse"] == "BJ-01"
    assert place(engine, "上海", [{"sku": "A", "qty": 1}])["warehouse"] == "SH-01"


def test_split_across_warehouses_and_no_stock_goes_to_review(store: Store) -> None:
    engine = routed_engine(store, {("A", "SH-01"): 1, ("A", "BJ-01"): 1})
    split = place(engine, "上海", [{"sku": "A", "qty": 2}])
    assert split["state"] == "pending_payment"
    assert sorted(part["warehouse"] for part in split["split"]) == ["BJ-01", "SH-01"]  # type: ignore[attr-defined]
    assert place(engine, "上海", [{"sku": "A", "qty": 3}])["state"] == "out_of_stock"
