"""Every fixed statement of the repository is a named module-level ``Statement``: each compiles on both
databases, names are unique, and a ``Store`` compiles each one once; plugins' prepared statements run in
the open transaction."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

import engine.store
from engine.store import PreparedStatements, Store
from engine.store.orders import ORDER_BY_ID
from engine.store.statements import CompiledStatements, Statement, driver_dialect
from engine.store.tables import orders, stock
from tests.engine.store.support import bare_order


def named_statements() -> dict[str, Statement]:
    """Every ``Statement`` a module of engine.store defines, by its module and variable name."""
    found: dict[str, Statement] = {}
    for info in pkgutil.iter_modules(engine.store.__path__, "engine.store."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Statement) and value.__class__.__module__ == "engine.store.statements":
                found.setdefault(f"{module.__name__}.{name}", value)
    return found


def test_every_named_statement_compiles_on_both_databases_under_its_own_name() -> None:
    statements = named_statements()
    assert len(statements) >= 40  # orders, audit, timers, outbox, idempotency, versions
    names = [s.name for s in {id(s): s for s in statements.values()}.values()]
    assert len(names) == len(set(names)), "two statements share a name"
    for dialect in (driver_dialect(sqlite.dialect()), postgresql.dialect()):
        compiled = CompiledStatements(dialect)
        for where, statement in statements.items():
            sql = compiled[statement]
            assert sql.strip(), where
            assert compiled[statement] is sql  # compiled once


def test_a_store_runs_a_named_statement_compiled_for_its_dialect(store: Store) -> None:
    with store.transaction() as tx:
        order_id = bare_order(tx)
    assert ORDER_BY_ID.name == "order_by_id" and repr(ORDER_BY_ID) == "Statement('order_by_id')"
    with store.read() as tx:
        row = tx.run(ORDER_BY_ID, {"id": order_id}).fetchone()
    assert row[0] == order_id
    sql = store.compiled[ORDER_BY_ID]
    assert (":id" if store.is_sqlite else "%(id)s") in sql  # named parameters, as the driver takes them
    one_off = select(orders.c.id).where(orders.c.id == order_id)
    assert str(one_off.compile(dialect=store.compiled.dialect)) == store.render(one_off)


def test_prepared_statements_run_in_the_open_transaction(store: Store) -> None:
    qty = bindparam("qty")
    prepared = PreparedStatements(
        {
            "take": update(stock)
            .where(stock.c.sku == bindparam("sku"), stock.c.on_hand >= qty)
            .values(on_hand=stock.c.on_hand - qty),
            "on_hand": select(stock.c.on_hand).where(stock.c.sku == bindparam("sku")),
        }
    )
    with store.engine.begin() as conn:
        conn.execute(insert(stock).values(sku="A", warehouse="main", on_hand=3, reserved=0))
    with store.transaction() as tx:
        assert prepared.run(tx.connection, "take", {"sku": "A", "qty": 2}).rowcount == 1
        assert prepared.run(tx.connection, "take", {"sku": "A", "qty": 2}).rowcount == 0
        assert prepared.run(tx.connection, "on_hand", {"sku": "A"}).fetchone()[0] == 1
    with pytest.raises(RuntimeError), store.transaction() as tx:  # rolled back with its transaction
        prepared.run(tx.connection, "take", {"sku": "A", "qty": 1})
        raise RuntimeError("refused")
    with store.engine.connect() as conn:
        assert conn.execute(select(stock.c.on_hand)).scalar_one() == 1
