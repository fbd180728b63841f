"""A real SQLite file with the engine's tables, and an ActionContext builder for the built-in actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, insert

from engine.plugins import ActionContext
from engine.store.tables import metadata, stock

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The stock table on a SQLite file and on the session's PostgreSQL server."""
    if request.param == "postgresql":
        engine = create_engine(request.getfixturevalue("pg_url"), pool_size=15)
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'plugins.db'}", connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let BEGIN IMMEDIATE below take the write lock
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(stock),
            [
                {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 10, "reserved": 0},
                {"sku": "XM-BAND8", "warehouse": "GZ-01", "on_hand": 4, "reserved": 0},
                {"sku": "HR-BCD470", "warehouse": "SH-01", "on_hand": 2, "reserved": 0},
            ],
        )
    yield engine
    engine.dispose()


ContextMaker = Callable[..., ActionContext]


@pytest.fixture
def make_ctx() -> ContextMaker:
    def make(connection: Any, data: Mapping[str, Any], **overrides: Any) -> ActionContext:
        values: dict[str, Any] = {
            "connection": connection,
            "order_id": 42,
            "department": "retail",
            "workflow": "retail-order",
            "trigger": "pay",
            "source": "pending_payment",
            "dest": "paid",
            "actor": "clerk-li",
            "data": data,
            "now": NOW,
        }
        values.update(overrides)
        return ActionContext(**values)

    return make
