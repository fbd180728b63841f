"""The repository: the ``Store`` (the database, its connections and transactions) and ``Tx`` (one open
transaction, every read and write the runtime makes, one method each).

``Tx`` is put together from one part per concern, each in its own module with its rows and its named
statements: orders (:mod:`engine.store.orders`), the audit trail (:mod:`~engine.store.audit`), the
timer and outbox queues (:mod:`~engine.store.timer_queue`, :mod:`~engine.store.outbox_queue`),
idempotency keys, published versions, stock, and the correlation feed. The statements are SQLAlchemy
Core constructs built once (:mod:`~engine.store.statements`) and compiled once per ``Store`` for its
dialect; a transaction runs them on the driver connection underneath SQLAlchemy's, which skips the
per-call statement handling that costs as much as the database on the fire path. Plugins receive the
SQLAlchemy ``Connection`` of the same transaction (``Tx.connection``) and may use Core freely.

Connection set-up (SQLite's pragmas, ``BEGIN IMMEDIATE``) is :mod:`~engine.store.connection`, the WAL
checkpoint thread :mod:`~engine.store.checkpoint`, the JSON codec :mod:`~engine.store.codec`, telling a
retryable rollback :mod:`~engine.store.retry`.
"""

from __future__ import annotations

import os
import random
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Executable, create_engine

from engine.errors import ContentionError
from engine.store.approvals import ApprovalTasks
from engine.store.checkpoint import WalCheckpointer
from engine.store.connection import IDLE_CONNECTIONS, READ_ONLY, configure_sqlite, sqlite_file, sqlite_write
from engine.store.correlation_feed import CorrelationFeedRows
from engine.store.idempotency import IdempotencyKeys
from engine.store.migrate import upgrade
from engine.store.records import OrderRecords
from engine.store.retry import RETRY_PAUSE, TRANSACTION_ATTEMPTS, locked_relation, retryable_sqlstate
from engine.store.statements import CompiledStatements, driver_dialect
from engine.store.stock import StockLevels
from engine.store.timer_queue import TimerQueue
from engine.store.versions import PublishedVersions
from engine.store.workspace import WorkItems


class Tx(
    CorrelationFeedRows,
    WorkItems,
    TimerQueue,
    IdempotencyKeys,
    PublishedVersions,
    StockLevels,
    ApprovalTasks,
    OrderRecords,
):
    """One open database transaction: the repository methods the runtime calls (orders, audit trail,
    timers, outbox, idempotency keys, versions, stock, the correlation feed)."""

    store: Store

    def release_claims(self, worker_id: str) -> tuple[int, int]:
        """Let go of every timer and outbox message ``worker_id`` claimed and has not finished (it is
        stopping): others take them at once instead of after the lease. Returns (timers, messages)."""
        return self.release_timer_claims(worker_id), self.release_outbox_claims(worker_id)


_T = TypeVar("_T")


class Store:
    """The database behind the engine: an SQLAlchemy ``Engine`` plus compiled statements."""

    def __init__(
        self,
        url: str,
        *,
        engine: Engine | None = None,
        transaction_attempts: int = TRANSACTION_ATTEMPTS,
        **engine_options: Any,
    ) -> None:
        if transaction_attempts < 1:
            raise ValueError("transaction_attempts must be at least 1")
        self.url = url
        # How many times ``retrying`` runs a transaction the database rolled back for a deadlock or a
        # serialization failure, the first time included.
        self.transaction_attempts = transaction_attempts
        self.engine = engine or create_engine(url, **engine_options)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._checkpointer: WalCheckpointer | None = None
        # Connections kept open between write transactions (file-backed SQLite only): checking one
        # out of SQLAlchemy's pool and back in costs as much as a small transaction itself.
        self._idle: list[Connection] | None = None
        self._idle_pid = os.getpid()
        if self.is_sqlite:
            configure_sqlite(self.engine)
            path = sqlite_file(self.engine)
            if path is not None:
                self._checkpointer = WalCheckpointer(path)
                weakref.finalize(self, self._checkpointer.stop)
                self._idle = []
        # Every named statement's SQL for this database, compiled the first time it runs.
        self.compiled = CompiledStatements(driver_dialect(self.engine.dialect))

    def render(self, statement: Executable) -> str:
        return self.compiled.render(statement)

    def upgrade(self) -> None:
        """Create or update the tables (Alembic, to the newest revision)."""
        upgrade(self.url)

    @contextmanager
    def transaction(self, lock_timeout_ms: int | None = None) -> Iterator[Tx]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        ``lock_timeout_ms``: how long to wait for a lock before giving up with ``OperationalError``
        (:func:`~engine.store.connection.is_lock_timeout` tells it apart): SQLite's write lock (instead
        of ``BUSY_TIMEOUT_MS``), PostgreSQL's ``lock_timeout`` for this transaction's locks."""
        connection = self._checkout()
        committed = False
        try:
            if self.is_sqlite:
                with sqlite_write(connection, lock_timeout_ms):
                    yield Tx(self, connection, writing=True)
            else:
                with connection.begin():
                    if lock_timeout_ms is not None:
                        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
                    yield Tx(self, connection, writing=True)
            committed = True
        finally:
            self._checkin(connection, committed)
        if self._checkpointer is not None:
            self._checkpointer.poke()

    def retrying(self, work: Callable[[], _T]) -> _T:
        """``work()``, which runs one write transaction, run again whole when the database rolled that
        transaction back for a deadlock (SQLSTATE 40P01) or a serialization failure (40001), after a
        short random pause; ``transaction_attempts`` tries in all, then :class:`ContentionError`.

        Only PostgreSQL reports these; SQLite's writers queue for one lock (``BEGIN IMMEDIATE``) and
        never deadlock. ``work`` must be the whole transaction (what it reads, decides and writes),
        not a part of one: a retry starts from a fresh read, so an idempotency key looked up inside it
        is looked up again, and what a rolled-back try wrote was never seen by anyone.
        """
        for attempt in range(1, self.transaction_attempts + 1):
            try:
                return work()
            except Exception as error:
                sqlstate = retryable_sqlstate(error)
                if sqlstate is None:
                    raise
                if attempt == self.transaction_attempts:
                    raise ContentionError(sqlstate, attempt, locked_relation(error)) from error
            # The transactions that deadlocked were released together: a random pause, longer at each
            # try, keeps them from meeting in the same place again.
            time.sleep(random.uniform(0, RETRY_PAUSE * attempt))  # noqa: S311 - a pause's jitter, not a secret
        raise AssertionError("unreachable: transaction_attempts is at least 1")

    def _checkout(self) -> Connection:
        idle = self._idle
        if idle is not None:
            if os.getpid() != self._idle_pid:
                # A forked child must not touch (or close) its parent's SQLite handles.
                _ORPHANED.append(idle)
                self._idle, self._idle_pid = [], os.getpid()
            else:
                with suppress(IndexError):
                    return idle.pop()  # list.pop is atomic: two threads never get one connection
        return self.engine.connect()

    def _checkin(self, connection: Connection, committed: bool) -> None:
        """Keep a healthy connection for the next transaction; close (return to the pool) the rest."""
        idle = self._idle
        if (
            committed
            and idle is not None
            and len(idle) < IDLE_CONNECTIONS
            and not connection.invalidated
            and not connection.in_transaction()
            and os.getpid() == self._idle_pid
        ):
            idle.append(connection)
        else:
            connection.close()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction (on SQLite a plain ``BEGIN``, which takes no write lock)."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**{READ_ONLY: True})
            with connection.begin():
                yield Tx(self, connection)

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        idle = self._idle
        while idle:
            idle.pop().close()
        self.engine.dispose()


# Idle connections a forked child inherited: kept referenced so they are never closed in the child.
_ORPHANED: list[list[Connection]] = []


__all__ = ["Store", "Tx"]
