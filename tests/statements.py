"""What a call costs the database, counted from the SQLite driver itself.

``Statements.listening()`` gives every SQLite connection opened while it lasts a trace callback (the
store runs its hot path on the driver's cursor, out of SQLAlchemy's events, so only the driver sees
every statement); ``during()`` records what this thread runs on them. ``cost`` counts a recording:
statements (not BEGIN, COMMIT, ROLLBACK, savepoints or PRAGMA), transactions (each BEGIN), writes
(BEGIN IMMEDIATE: SQLite's write lock) and reads of one order's row by its id.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import Pool

_NOT_COUNTED = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)
_ORDER_READ = re.compile(
    r"^\s*SELECT\b.*\bFROM orders\b.*\bWHERE\s+(orders\.)?id\s*=", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class Cost:
    statements: int
    transactions: int
    writes: int
    order_reads: int


def cost(statements: list[str]) -> Cost:
    begins = [s for s in statements if s.strip().upper().startswith("BEGIN")]
    return Cost(
        statements=sum(1 for s in statements if not _NOT_COUNTED.match(s)),
        transactions=len(begins),
        writes=sum(1 for s in begins if "IMMEDIATE" in s.upper()),
        order_reads=sum(1 for s in statements if _ORDER_READ.match(s)),
    )


@dataclass
class Statements:
    recording: bool = False
    thread: int | None = None
    seen: list[str] = field(default_factory=list)

    def _trace(self, sql: str) -> None:
        if self.recording and threading.get_ident() == self.thread:
            self.seen.append(sql)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(self._trace)

    @contextmanager
    def listening(self) -> Iterator[Statements]:
        event.listen(Pool, "connect", self._on_connect)
        try:
            yield self
        finally:
            event.remove(Pool, "connect", self._on_connect)

    @contextmanager
    def during(self) -> Iterator[list[str]]:
        self.seen = []
        self.thread, self.recording = threading.get_ident(), True
        try:
            yield self.seen
        finally:
            self.recording = False
