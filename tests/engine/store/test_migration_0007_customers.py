"""0007 adds the customer store (one row per mobile in a department) and takes it away again."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import customers, orders
from tests.engine.store.support import NOW, bare_order


def tables(store: Store) -> set[str]:
    with store.read() as tx:
        return set(inspect(tx.connection).get_table_names())


def test_0007_adds_the_customers_table_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0006")
    assert "customers" not in tables(store)
    with store.transaction() as tx:
        order_id = bare_order(tx, "created")
    upgrade(db_url)
    assert "customers" in tables(store)
    row = {"department": "retail", "mobile": "13812345678", "name": "张伟", "created_at": NOW}
    with store.transaction() as tx:
        tx.connection.execute(insert(customers).values(**row, address_key="上海|上海市|浦东新区|x"))
        tx.connection.execute(insert(customers).values(**{**row, "department": "wholesale"}))
    with pytest.raises(IntegrityError), store.transaction() as tx:  # one mobile once per department
        tx.connection.execute(insert(customers).values(**row))
    with store.read() as tx:
        found = tx.connection.execute(select(customers.c.department, customers.c.created_at)).all()
        indexes = {i["name"] for i in inspect(tx.connection).get_indexes("customers")}
    assert sorted(d for d, _ in found) == ["retail", "wholesale"]
    assert all(t.replace(tzinfo=t.tzinfo or UTC) == NOW for _, t in found)
    assert "ix_customers_address_key" in indexes
    downgrade(db_url, "0006")
    assert "customers" not in tables(store)
    with store.read() as tx:
        assert tx.connection.execute(select(orders.c.id)).scalars().all() == [order_id]
    upgrade(db_url)
    store.dispose()
