"""0017 adds when an order entered its state (backfilled from the audit trail) and who claimed it, with
their indexes, and takes them away again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert, inspect, select, update

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import audit_events, orders
from tests.engine.store.support import NOW, bare_order


def columns(store: Store) -> set[str]:
    with store.read() as tx:
        return {c["name"] for c in inspect(tx.connection).get_columns("orders")}


def event(order_id: int, seq: int, minutes: int, from_state: str | None, to_state: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "seq": seq,
        "at": NOW + timedelta(minutes=minutes),
        "actor": "ann",
        "trigger": "t",
        "from_state": from_state,
        "to_state": to_state,
        "data_changes": {},
        "guards": [],
        "schema_version": 1,
    }


def test_0017_backfills_the_time_each_order_entered_its_state_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0015")
    assert "state_since" not in columns(store)
    with store.transaction() as tx:
        moved = bare_order(tx, "review")  # created, paid into review at +10, a self-loop at +20
        created = bare_order(tx, "pending_payment")  # only created, at +1
        back = bare_order(tx, "review")  # into review at +2, out at +3, back in at +4
        silent = bare_order(tx, "paid")  # no audit event at all: its updated_at
        tx.connection.execute(
            update(orders).where(orders.c.id == silent).values(updated_at=NOW + timedelta(hours=1))
        )
        tx.connection.execute(
            insert(audit_events),
            [
                event(moved, 1, 0, None, "pending_payment"),
                event(moved, 2, 10, "pending_payment", "review"),
                event(moved, 3, 20, "review", "review"),
                event(created, 1, 1, None, "pending_payment"),
                event(back, 1, 0, None, "review"),
                event(back, 2, 2, "pending_payment", "review"),
                event(back, 3, 3, "review", "hold"),
                event(back, 4, 4, "hold", "review"),
            ],
        )
    upgrade(db_url)
    assert {"state_since", "assignee", "assigned_at"} <= columns(store)
    with store.read() as tx:
        found = {row.id: row for row in (tx.load_order(i) for i in (moved, created, back, silent)) if row}
        indexes = {i["name"] for i in inspect(tx.connection).get_indexes("orders")}
    assert found[moved].state_since == NOW + timedelta(minutes=10)
    assert found[created].state_since == NOW + timedelta(minutes=1)
    assert found[back].state_since == NOW + timedelta(minutes=4)
    assert found[silent].state_since == NOW + timedelta(hours=1)
    assert all(row.assignee is None and row.assigned_at is None for row in found.values())
    assert {"ix_orders_department_workflow_state_state_since_id", "ix_orders_assignee"} <= indexes
    downgrade(db_url, "0015")
    assert not {"state_since", "assignee", "assigned_at"} & columns(store)
    with store.read() as tx:
        assert sorted(tx.connection.execute(select(orders.c.id)).scalars()) == sorted(found)
    upgrade(db_url)
    store.dispose()
