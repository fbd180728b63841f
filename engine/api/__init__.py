"""The engine's public surface, for the web app, the CLI and the studio: the ``Engine`` facade, what
it answers with, and the few values that go with them. A caller outside ``engine/`` imports from here,
from ``engine.api.forms`` (the form model pages are drawn from), from ``engine.api.accounts`` (logins)
and from ``engine.errors``, never from a module inside the engine: those may move, this stays.
"""

from engine.clock import CHINA_TIME, Clock, FrozenClock, SystemClock
from engine.common.text import Text
from engine.common.words import term, translate
from engine.dsl.spec import TransitionSpec, WorkflowSpec
from engine.plugins import PluginRegistry
from engine.runtime import (
    ADMIN_ROLE,
    ALL_DEPARTMENTS,
    OUTBOX_STATUSES,
    SYSTEM,
    Actor,
    AuditEvent,
    DispatchReport,
    Engine,
    FireResult,
    IntakePage,
    ListedOrder,
    MigrationPlan,
    OrderList,
    OrderPage,
    OrderView,
    OutboxMessage,
    PublishedForm,
    PublishedVersion,
    RetryPolicy,
    StepPage,
    StepTaken,
    TimerReport,
    TriggerInfo,
    Undeliverable,
    UnfiredTimer,
    Unreachable,
    WorkflowCounts,
)
from engine.store import STATE_JOIN, Store

__all__ = [
    "ADMIN_ROLE",
    "ALL_DEPARTMENTS",
    "CHINA_TIME",
    "OUTBOX_STATUSES",
    "STATE_JOIN",
    "SYSTEM",
    "Actor",
    "AuditEvent",
    "Clock",
    "DispatchReport",
    "Engine",
    "FireResult",
    "FrozenClock",
    "IntakePage",
    "ListedOrder",
    "MigrationPlan",
    "OrderList",
    "OrderPage",
    "OrderView",
    "OutboxMessage",
    "PluginRegistry",
    "PublishedForm",
    "PublishedVersion",
    "RetryPolicy",
    "StepPage",
    "StepTaken",
    "Store",
    "SystemClock",
    "Text",
    "TimerReport",
    "TransitionSpec",
    "TriggerInfo",
    "Undeliverable",
    "UnfiredTimer",
    "Unreachable",
    "WorkflowCounts",
    "WorkflowSpec",
    "term",
    "translate",
]
