"""0021 creates the product catalogue, whose checks refuse a negative price and an unknown kind, and
takes it away again."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import products

ROW = {
    "sku": "TEA-01",
    "name_zh": "龙井茶",
    "name_en": "Longjing tea",
    "price": Decimal("128.50"),
    "weight_kg": Decimal("0.25"),
    "volume_l": None,
    "kind": "shipped",
    "active": True,
    "updated_at": datetime(2026, 3, 2, tzinfo=UTC),
    "updated_by": "system",
}


def test_0021_creates_the_catalogue_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0019")
    assert "products" not in inspect(store.engine).get_table_names()
    upgrade(db_url)
    with store.transaction() as tx:
        tx.connection.execute(insert(products).values(ROW))
    with store.read() as tx:
        assert tx.connection.execute(select(products.c.price, products.c.weight_kg)).one() == (
            Decimal("128.50"),
            Decimal("0.250"),
        )
    for bad in ({"price": Decimal("-1")}, {"kind": "digital"}, {"weight_kg": Decimal("-0.1")}):
        with pytest.raises(IntegrityError), store.transaction() as tx:
            tx.connection.execute(insert(products).values({**ROW, "sku": "BAD-01", **bad}))
    downgrade(db_url, "0019")
    assert "products" not in inspect(store.engine).get_table_names()
    upgrade(db_url)
    store.dispose()
