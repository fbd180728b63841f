"""The link from an order to the order it is about (``order_links``, migration 0027): backfilled from the
orders' data by the field the newest published version declares, read through its index. On SQLite and on
PostgreSQL (``db_url`` runs both)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, inspect

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.original_orders import link_order, naming_query, orders_naming
from engine.store.store import Tx
from engine.store.tables import workflow_versions
from tests.engine.store.support import NOW, bare_order, query_plan

REQUEST = "after-sales-request"


def _version(tx: Tx, version: int, declared: dict[str, Any] | None) -> None:
    """A published version of the after-sales request, as stored: its bundle's workflow declaring
    ``original_order:`` or not."""
    workflow: dict[str, Any] = {"workflow": REQUEST, "department": "after_sales"}
    if declared is not None:
        workflow["original_order"] = declared
    tx.connection.execute(
        insert(workflow_versions).values(
            workflow=REQUEST,
            version=version,
            content_hash=f"h{version}",
            department="after_sales",
            bundle={"schema_version": 1, "bundle": {"workflow": workflow, "forms": {}, "rulesets": {}}},
            schema_version=1,
            published_at=NOW,
        )
    )


def _request(tx: Tx, number: Any, workflow: str = REQUEST) -> int:
    return bare_order(
        tx, "awaiting_goods", department="after_sales", workflow=workflow, data={"original_order_no": number}
    )


def _naming(store: Store, number: int, workflow: str = REQUEST) -> list[int]:
    with store.read() as tx:
        return [found.id for found in orders_naming(tx.connection, "after_sales", workflow, number)]


def test_0027_links_the_orders_by_the_field_the_newest_version_declares(db_url: str) -> None:
    """Requests of both versions are linked by the newest version's field (digits or a whole number);
    a value that names no order, an order of another workflow, are not; downgraded, the table goes."""
    store = Store(db_url)
    upgrade(db_url, "0026")
    with store.transaction() as tx:
        first, second = bare_order(tx, "delivered"), bare_order(tx, "delivered")
        _version(tx, 1, None)
        _version(tx, 2, {"field": "original_order_no", "department": "retail"})
        old = _request(tx, str(first))  # taken on version 1, before the declaration
        again = _request(tx, f" {first} ")
        whole = _request(tx, second)
        _request(tx, "RO2026120100001")  # the old made-up shape: no order
        _request(tx, str(first), workflow="ticket")  # no version of it declares original_order
    upgrade(db_url, "0027")
    assert (_naming(store, first), _naming(store, second)) == ([old, again], [whole])
    assert _naming(store, first, "ticket") == []
    downgrade(db_url, "0026")
    assert "order_links" not in inspect(store.engine).get_table_names()
    upgrade(db_url)
    assert _naming(store, first) == [old, again]
    store.dispose()


def test_the_orders_about_an_order_are_read_through_the_index(store: Store) -> None:
    """The plan of ``orders_naming`` searches ``order_links`` by its index on the original's id and
    reads each order by its key: no scan of the orders' JSON data."""
    with store.transaction() as tx:
        originals = [bare_order(tx, "delivered") for _ in range(3)]
        for original in originals:
            for _ in range(3):
                order_id = _request(tx, str(original))
                link_order(tx.connection, order_id, "after_sales", REQUEST, str(original))
    assert len(_naming(store, originals[1])) == 3
    with store.transaction() as tx:
        plan = query_plan(tx, naming_query("after_sales", REQUEST, originals[1], but=originals[0]))
    assert "ix_order_links_original_id_department_workflow_order_id" in plan, plan
    if store.is_sqlite:
        assert "SEARCH order_links USING" in plan and "SEARCH orders USING INTEGER PRIMARY KEY" in plan, plan
        assert "SCAN" not in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
