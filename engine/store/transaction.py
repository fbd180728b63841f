"""What every part of a transaction shares: the driver cursor its named statements run on, and the
conversions between Python's values and the driver's (times, JSON).

``Tx`` (engine/store/store.py) is this core plus one part per concern: orders, the audit trail, the
timer and outbox queues, idempotency keys, published versions, stock and the correlation feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, Executable

from engine.store.codec import dumps, loads
from engine.store.statements import CompiledStatements, Statement, driver_time

# How long a worker's claim on a timer or an outbox message holds before another worker may take it.
DEFAULT_LEASE = timedelta(minutes=5)


class Database(Protocol):
    """What a transaction needs of its ``Store``: its dialect and its compiled statements."""

    @property
    def is_sqlite(self) -> bool: ...

    @property
    def compiled(self) -> CompiledStatements: ...


class TxCore:
    """One open database transaction: its connection, cursor and conversions.

    ``writing``: a write transaction (``Store.transaction``). On PostgreSQL it locks what it reads to
    change, in one order everywhere (see ``engine.store.stock.STOCK_LOCK_ORDER``): the order it loads,
    then the stock rows routing reads."""

    def __init__(self, store: Database, connection: Connection, *, writing: bool = False) -> None:
        self.store = store
        self.connection = connection  # for plugins: SQLAlchemy Core on the same transaction
        self.writing = writing
        self._sqlite = store.is_sqlite
        self._locks = writing and not self._sqlite
        driver = connection.connection.driver_connection
        assert driver is not None
        self._cursor = driver.cursor()
        self._sql = store.compiled
        self._last_time: datetime | None = None
        self._last_ts: Any = None

    # -- conversions between Python values and the driver's ------------------------------------

    def ts(self, value: datetime) -> Any:
        if value is self._last_time:  # a step writes the same moment into several rows
            return self._last_ts
        stamp = driver_time(self._sqlite, value)
        self._last_time, self._last_ts = value, stamp
        return stamp

    def read_time(self, value: Any) -> datetime:
        """A time as the driver gives it back, as UTC (SQLite gives its text, without the zone)."""
        return self._time(value)

    def _time(self, value: Any) -> datetime:
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def _maybe_time(self, value: Any) -> datetime | None:
        return None if value is None else self._time(value)

    @staticmethod
    def _json(value: Any) -> Any:
        return loads(value) if isinstance(value, str | bytes) else value

    @staticmethod
    def dumps(value: Any) -> str:
        return dumps(value)

    # -- execution -----------------------------------------------------------------------------

    def run(self, statement: Statement, params: Mapping[str, Any]) -> Any:
        """Run a named statement on the driver cursor; returns the cursor."""
        cursor = self._cursor
        cursor.execute(self._sql[statement], params)
        return cursor

    def run_many(self, statement: Statement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a named statement once per row of parameters, in one call to the driver."""
        if rows:
            self._cursor.executemany(self._sql[statement], rows)

    def run_statement(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Any:
        """Compile and run a one-off statement (filters built per call) on the driver connection."""
        sql = self._sql.render(statement)
        cursor = self._cursor
        cursor.execute(sql, dict(params or {}))
        return cursor

    def _claim(
        self,
        pick: Statement,
        pick_locked: Statement,
        claim: Statement,
        worker_id: str,
        now: datetime,
        limit: int,
        lease: timedelta,
    ) -> list[int]:
        """Candidates from ``pick`` (``pick_locked`` on PostgreSQL: ``FOR UPDATE SKIP LOCKED``), each then
        taken with the conditional UPDATE ``claim``: a queue's rows claimed by one worker each."""
        at, stale = self.ts(now), self.ts(now - lease)
        params = {"now": at, "stale": stale, "limit": limit, "offset": 0}
        ids = [r[0] for r in self.run(pick if self._sqlite else pick_locked, params).fetchall()]
        taking = {"worker": worker_id, "now": at, "stale": stale}
        return [row_id for row_id in ids if self.run(claim, {**taking, "id": row_id}).rowcount == 1]


__all__ = ["DEFAULT_LEASE", "Database", "TxCore"]
