"""Named statements: each fixed statement of the repository is a module-level :class:`Statement`, built
once when its module loads and compiled once per ``Store`` for its dialect (:class:`CompiledStatements`),
then run on the driver cursor. A misspelt name is an ``ImportError`` or a ``NameError`` that ruff and
mypy see, not a ``KeyError`` in the middle of a step.

Plugins on the hot path use :class:`PreparedStatements` the same way over the SQLAlchemy ``Connection``
they are given.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Executable, String, bindparam, literal_column, or_
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.expression import ClauseElement, ColumnClause

from engine.store.tables import SCHEMA_VERSION, STATE_JOIN

# The largest id or version number a row can hold (a signed 64-bit integer on both databases): a larger
# number, typed by a user (`orders show 99999999999999999999999`), finds nothing instead of making the
# SQLite driver raise OverflowError.
MAX_ID = 2**63 - 1

# Constants are written into the SQL text, so every parameter of a statement is a named one.
SV: ColumnClause[Any] = literal_column(str(SCHEMA_VERSION))
ONE: ColumnClause[Any] = literal_column("1")
ZERO: ColumnClause[Any] = literal_column("0")
STATE_BAR: ColumnClause[Any] = literal_column(f"'{STATE_JOIN}'", String)


def constant(value: str) -> ColumnClause[Any]:
    """A string constant written into the SQL text (a status: ``'scheduled'``)."""
    return literal_column(f"'{value}'")


class Statement:
    """A fixed statement of the repository with its name (for errors and logs), built once."""

    __slots__ = ("name", "statement")

    def __init__(self, name: str, statement: Executable) -> None:
        self.name = name
        self.statement = statement

    def __repr__(self) -> str:
        return f"Statement({self.name!r})"


class CompiledStatements(dict[Statement, str]):
    """The SQL of each :class:`Statement` for one dialect, compiled the first time it runs."""

    def __init__(self, dialect: Dialect) -> None:
        super().__init__()
        self.dialect = dialect

    def render(self, statement: Executable) -> str:
        assert isinstance(statement, ClauseElement)
        return str(statement.compile(dialect=self.dialect))

    def __missing__(self, statement: Statement) -> str:
        # Two threads compiling the same statement at once write the same text: no lock needed.
        sql = self[statement] = self.render(statement.statement)
        return sql


def claimable(table: Any) -> Any:
    """Nobody holds the row, or its holder's lease ran out (claimed at or before ``:stale``)."""
    return or_(table.c.claimed_by.is_(None), table.c.claimed_at <= bindparam("stale"))


def like_escaped(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern whose escape character is a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def driver_time(sqlite: bool, value: datetime) -> Any:
    """A time as the driver takes it for a ``DateTime(timezone=True)`` column, written as SQLAlchemy
    writes it: on SQLite the UTC moment's text without its zone (``2026-03-02 09:00:00.000000``), on
    PostgreSQL the time itself."""
    converted = value.astimezone(UTC)
    return converted.replace(tzinfo=None).isoformat(" ", "microseconds") if sqlite else converted


def driver_dialect(dialect: Dialect) -> Dialect:
    """The dialect whose compiled SQL the driver cursor takes with a dict of named parameters."""
    if dialect.name == "sqlite":
        return sqlite_dialect.dialect(paramstyle="named")  # sqlite3 takes ``:name`` from a dict
    return dialect


class PreparedStatements:
    """Fixed statements built once and compiled once per dialect, run on the driver cursor.

    For plugins on the fire path: ``Connection.execute`` of a Core statement spends as long in
    SQLAlchemy as SQLite spends running it. ``run`` takes the SQLAlchemy ``Connection`` of the open
    transaction (``ActionContext.connection``) and executes on the driver connection underneath it,
    so the statement is part of the same transaction. Every parameter is a named ``bindparam``.
    """

    def __init__(self, statements: Mapping[str, Executable]) -> None:
        self._statements = dict(statements)
        self._compiled: dict[str, dict[str, str]] = {}  # dialect name -> statement name -> SQL
        self._lock = threading.Lock()

    def sql(self, dialect: Dialect, name: str) -> str:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            target = driver_dialect(dialect)
            rendered = {}
            for key, statement in self._statements.items():
                assert isinstance(statement, ClauseElement)
                rendered[key] = str(statement.compile(dialect=target))
            with self._lock:
                compiled = self._compiled.setdefault(dialect.name, rendered)
        return compiled[name]

    @staticmethod
    def time(connection: Connection, value: datetime) -> Any:
        """``value`` as ``run`` passes a time to the driver (``driver_time``)."""
        return driver_time(connection.dialect.name == "sqlite", value)

    def run(self, connection: Connection, name: str, params: Mapping[str, Any]) -> Any:
        """Execute statement ``name``; returns the driver cursor (``rowcount``, ``fetchall``)."""
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        cursor.execute(self.sql(connection.dialect, name), dict(params))
        return cursor


__all__ = [
    "MAX_ID",
    "ONE",
    "STATE_BAR",
    "SV",
    "ZERO",
    "CompiledStatements",
    "PreparedStatements",
    "Statement",
    "claimable",
    "constant",
    "driver_dialect",
    "driver_time",
    "like_escaped",
]
