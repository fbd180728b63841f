"""The runtime: the Engine facade, actors, and one shared compiled machine per published version."""

from engine.runtime.actor import ALL_DEPARTMENTS, SYSTEM, Actor
from engine.runtime.engine import (
    AuditEvent,
    Engine,
    FireResult,
    MigrationPlan,
    OrderView,
    PublishedVersion,
    TriggerInfo,
)

__all__ = [
    "ALL_DEPARTMENTS",
    "SYSTEM",
    "Actor",
    "AuditEvent",
    "Engine",
    "FireResult",
    "MigrationPlan",
    "OrderView",
    "PublishedVersion",
    "TriggerInfo",
]
