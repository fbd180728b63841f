"""Storage: SQLAlchemy Core tables, Alembic migrations, and the repository the runtime uses."""

from engine.store.migrate import upgrade
from engine.store.store import (
    DEFAULT_LEASE,
    INTEGRITY_ERRORS,
    AuditRow,
    OrderRow,
    OutboxRow,
    PreparedStatements,
    Store,
    TimerRow,
    Tx,
    UnreadableRow,
    VersionRow,
    lock_stock,
)
from engine.store.tables import STATE_JOIN, metadata

__all__ = [
    "DEFAULT_LEASE",
    "INTEGRITY_ERRORS",
    "STATE_JOIN",
    "AuditRow",
    "OrderRow",
    "OutboxRow",
    "PreparedStatements",
    "Store",
    "TimerRow",
    "Tx",
    "UnreadableRow",
    "VersionRow",
    "lock_stock",
    "metadata",
    "upgrade",
]
