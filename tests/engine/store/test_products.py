"""The catalogue in the store: products written (new, or new details of the same SKU) and read back, a
page by SKU after a SKU with a search in SKU and names, and what the order forms' pickers offer."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import insert

from engine.store import Store
from engine.store.products import (
    Product,
    catalogue_kept,
    find_products,
    offered_products,
    product_page,
    write_products,
)
from engine.store.tables import stock

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEA = Product("TEA-01", "龙井茶", "Longjing tea", Decimal("128.5"), Decimal("0.25"), Decimal("0.8"))
CARD = Product("GC-100", "礼品卡100元", "Gift card 100", Decimal("100"), kind="virtual")
OLD = Product("TEA-00", "旧茶", "Old tea_100%", Decimal("9.9"), active=False)


def test_products_are_written_then_changed_and_read_back(store: Store) -> None:
    with store.transaction() as tx:
        assert not catalogue_kept(tx)
        assert write_products(tx.connection, [TEA, CARD], AT, "admin") == (2, 0)
        changed = Product("TEA-01", "龙井", "Tea", Decimal("99"))
        assert write_products(tx.connection, [changed], AT, "li") == (0, 1)
    with store.read() as tx:
        found = find_products(tx, ["TEA-01", "GC-100", "NOPE-1"])
        assert catalogue_kept(tx)
    assert set(found) == {"TEA-01", "GC-100"}
    tea = found["TEA-01"]
    assert (tea.name_zh, tea.price, tea.weight_kg, tea.updated_by) == ("龙井", Decimal("99"), None, "li")
    assert tea.updated_at == AT  # as UTC, whatever the database gives back
    assert found["GC-100"].virtual and not tea.virtual
    assert tea.name("zh-CN") == "龙井" and tea.name("en") == "Tea"


def test_many_products_are_read_at_once_with_their_numbers_as_written(store: Store) -> None:
    many = [
        Product(f"SKU-{n:03d}", f"商品{n}", f"Item {n}", Decimal(f"{n}.9"), Decimal("0.125"), Decimal("2.5"))
        for n in range(70)
    ]
    with store.transaction() as tx:
        write_products(tx.connection, [*many, OLD], AT, "admin")
    with store.read() as tx:
        found = find_products(tx, [p.sku for p in many] + ["NOPE-1"])
    assert found == {p.sku: replace(p, updated_at=AT, updated_by="admin") for p in many}
    assert [str(found["SKU-019"].price), str(found["SKU-019"].weight_kg)] == ["19.90", "0.125"]


def test_a_page_follows_the_skus_and_searches_sku_and_names(store: Store) -> None:
    many = [Product(f"SKU-{n:03d}", f"商品{n}", f"Item {n}", Decimal(n)) for n in range(7)]
    with store.transaction() as tx:
        write_products(tx.connection, [*many, TEA, OLD], AT, "admin")
        first, more = product_page(tx.connection, "", None, 4)
        assert [p.sku for p in first] == ["SKU-000", "SKU-001", "SKU-002", "SKU-003"] and more
        rest, more = product_page(tx.connection, "", first[-1].sku, 10)
        assert [p.sku for p in rest] == ["SKU-004", "SKU-005", "SKU-006", "TEA-00", "TEA-01"] and not more
        assert [p.sku for p in product_page(tx.connection, "longjing", None, 10)[0]] == ["TEA-01"]
        assert [p.sku for p in product_page(tx.connection, "龙井", None, 10)[0]] == ["TEA-01"]
        assert [p.sku for p in product_page(tx.connection, "tea-0", None, 10)[0]] == ["TEA-00", "TEA-01"]
        # % and _ are searched for as themselves, not as wildcards
        assert [p.sku for p in product_page(tx.connection, "_100%", None, 10)[0]] == ["TEA-00"]
        assert product_page(tx.connection, "%", None, 10)[0][0].sku == "TEA-00"


def test_the_pickers_offer_active_products_and_in_stock_ones_with_the_virtual(store: Store) -> None:
    other = Product("MUG-01", "马克杯", "Mug", Decimal("39"))
    with store.transaction() as tx:
        write_products(tx.connection, [TEA, CARD, OLD, other], AT, "admin")
        tx.connection.execute(
            insert(stock),
            [
                {"sku": "TEA-01", "warehouse": "SH-01", "on_hand": 5, "reserved": 5},
                {"sku": "TEA-01", "warehouse": "BJ-01", "on_hand": 3, "reserved": 0},
                {"sku": "MUG-01", "warehouse": "SH-01", "on_hand": 2, "reserved": 2},
                {"sku": "TEA-00", "warehouse": "SH-01", "on_hand": 9, "reserved": 0},
            ],
        )
    with store.read() as tx:
        assert [p.sku for p in offered_products(tx.connection)] == ["GC-100", "MUG-01", "TEA-01"]
        assert [p.sku for p in offered_products(tx.connection, in_stock=True)] == ["GC-100", "TEA-01"]
        in_sh = offered_products(tx.connection, in_stock=True, warehouse="SH-01")
        assert [p.sku for p in in_sh] == ["GC-100"]
        assert [p.sku for p in offered_products(tx.connection, warehouse="SH-01")] == [
            "GC-100",
            "MUG-01",
            "TEA-01",
        ]
