"""The runtime: the Engine facade, actors, and one shared compiled machine per published version."""

from engine.runtime.actor import ALL_DEPARTMENTS, SYSTEM, Actor
from engine.runtime.engine import Engine
from engine.runtime.outbox import (
    ADMIN_ROLE,
    OUTBOX_STATUSES,
    DispatchReport,
    OutboxMessage,
    RetryPolicy,
    Undeliverable,
    Unreachable,
)
from engine.runtime.results import (
    AuditEvent,
    FireResult,
    MigrationPlan,
    OrderView,
    PublishedForm,
    PublishedVersion,
    TimerReport,
    TriggerInfo,
    UnfiredTimer,
)

__all__ = [
    "ADMIN_ROLE",
    "ALL_DEPARTMENTS",
    "OUTBOX_STATUSES",
    "SYSTEM",
    "Actor",
    "AuditEvent",
    "DispatchReport",
    "Engine",
    "FireResult",
    "MigrationPlan",
    "OrderView",
    "OutboxMessage",
    "PublishedForm",
    "PublishedVersion",
    "RetryPolicy",
    "TimerReport",
    "TriggerInfo",
    "Undeliverable",
    "UnfiredTimer",
    "Unreachable",
]
