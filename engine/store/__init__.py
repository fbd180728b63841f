"""Storage: SQLAlchemy Core tables, Alembic migrations, and the repository the runtime uses."""

from engine.store.audit import AuditRow
from engine.store.connection import INTEGRITY_ERRORS, is_lock_timeout
from engine.store.correlation_feed import CorrelationCursorRow, UnreadableRow
from engine.store.migrate import upgrade
from engine.store.orders import OrderRow
from engine.store.outbox_queue import OutboxRow
from engine.store.statements import PreparedStatements
from engine.store.statuses import OUTBOX_STATUSES, OutboxStatus, TimerStatus
from engine.store.stock import STOCK_LOCK_ORDER, lock_stock
from engine.store.store import Store, Tx
from engine.store.tables import STATE_JOIN, metadata
from engine.store.timer_queue import TimerRow
from engine.store.transaction import DEFAULT_LEASE
from engine.store.versions import VersionRow

__all__ = [
    "DEFAULT_LEASE",
    "INTEGRITY_ERRORS",
    "OUTBOX_STATUSES",
    "STATE_JOIN",
    "STOCK_LOCK_ORDER",
    "AuditRow",
    "CorrelationCursorRow",
    "OrderRow",
    "OutboxRow",
    "OutboxStatus",
    "PreparedStatements",
    "Store",
    "TimerRow",
    "TimerStatus",
    "Tx",
    "UnreadableRow",
    "VersionRow",
    "is_lock_timeout",
    "lock_stock",
    "metadata",
    "upgrade",
]
