"""Connection set-up: SQLite's pragmas and transactions begun on its driver, lock time-outs, and the
errors that mean a unique key was taken first.

SQLite runs in WAL mode with a busy timeout and foreign keys on; write transactions start with
``BEGIN IMMEDIATE`` (the SQLAlchemy recipe for pysqlite transactional control), so two writers queue
instead of failing at commit. Read transactions start with a plain ``BEGIN``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import IntegrityError

from engine.store.checkpoint import WAL_AUTOCHECKPOINT_PAGES

# An integrity violation (a unique key a concurrent transaction took first), whichever layer reports
# it: statements run on the driver's cursor raise the driver's own error, SQLAlchemy wraps it.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (
    IntegrityError,
    sqlite3.IntegrityError,
    psycopg.IntegrityError,
)
# How long a SQLite connection waits for another's write lock before it raises "database is locked".
BUSY_TIMEOUT_MS = 30_000
# Write transactions on a file-backed SQLite database keep at most this many connections open between
# transactions (checked out of SQLAlchemy's pool, which holds 15).
IDLE_CONNECTIONS = 4
# The execution option that marks a read transaction (SQLite: a plain ``BEGIN``).
READ_ONLY = "orderloom_read_only"


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a file-backed SQLite engine; ``None`` for in-memory databases."""
    url = engine.url
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        return None
    return database


def configure_sqlite(engine: Engine) -> None:
    """Every connection of ``engine`` in WAL mode with a busy timeout and foreign keys on, and its
    transactions begun by SQLAlchemy's ``begin`` (``BEGIN IMMEDIATE`` unless read-only)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() emit BEGIN itself instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None
        if driver.in_transaction:
            return  # Core used inside a write transaction ``sqlite_write`` began on the driver
        driver.execute("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def is_lock_timeout(error: BaseException) -> bool:
    """Whether ``error`` is a lock not obtained in time: SQLite's "database is locked", PostgreSQL's
    ``lock_not_available`` (SQLSTATE 55P03)."""
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) == "55P03":
        return True
    return isinstance(original, sqlite3.OperationalError) and "database is locked" in str(original)


@contextmanager
def sqlite_write(connection: Connection, lock_timeout_ms: int | None = None) -> Iterator[None]:
    """A write transaction begun and ended on the SQLite driver itself, under SQLAlchemy's ``Connection``.

    SQLAlchemy's own begin and commit cost about a tenth of a small transaction (events, a transaction
    object, two layers of commit), so on the fire path they are skipped. Core used on the connection
    inside (plugins, savepoints) makes SQLAlchemy begin its own transaction, which the ``begin`` listener
    lets join the driver's; SQLAlchemy then ends it, so that its state and the driver's agree.
    """
    driver = connection.connection.driver_connection
    assert driver is not None
    if lock_timeout_ms is None:
        driver.execute("BEGIN IMMEDIATE")
    else:
        driver.execute(f"PRAGMA busy_timeout={int(lock_timeout_ms)}")
        try:
            driver.execute("BEGIN IMMEDIATE")
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        yield
    except BaseException:
        if connection.in_transaction():
            connection.rollback()
        if driver.in_transaction:
            driver.rollback()
        raise
    if connection.in_transaction():
        connection.commit()
    else:
        driver.commit()


__all__ = [
    "BUSY_TIMEOUT_MS",
    "IDLE_CONNECTIONS",
    "INTEGRITY_ERRORS",
    "READ_ONLY",
    "configure_sqlite",
    "is_lock_timeout",
    "sqlite_file",
    "sqlite_write",
]
