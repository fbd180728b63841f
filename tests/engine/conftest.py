"""Database fixtures for the engine's storage and runtime tests: each runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.store import Store


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh database URL: a SQLite file, then a new database on the real PostgreSQL server."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store on ``db_url``."""
    store = Store(db_url)
    store.upgrade()
    yield store
    store.dispose()
