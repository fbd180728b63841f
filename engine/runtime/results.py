"""What the Engine facade answers with: published versions, orders, steps taken, triggers, forms, plans.

Frozen dataclasses (but the reports a call fills as it goes); nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from engine.dsl.spec import Text
from engine.errors import EngineError, Refusal
from engine.forms.ui import FormLayout
from engine.forms.validation import FormValidator
from engine.runtime.compiled import split
from engine.store import AuditRow, OrderRow

AuditEvent = AuditRow


@dataclass(frozen=True)
class PublishedVersion:
    workflow: str
    version: int
    content_hash: str
    created: bool  # False when the same content was already published


@dataclass(frozen=True)
class OrderView:
    id: int
    department: str
    workflow: str
    version: int
    channel: str | None
    state: str  # parallel: leaves joined with "|"
    states: tuple[str, ...]
    data: Mapping[str, Any]
    lock_version: int
    final: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class FireResult:
    order_id: int
    trigger: str
    from_state: str
    to_state: str  # where the order is after automatic transitions, too
    lock_version: int
    audit_event_id: int
    outcome: str | None = None
    decision: Mapping[str, Any] | None = None
    auto: tuple[str, ...] = ()  # automatic triggers taken after this one

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "auto": list(self.auto), "schema_version": 1}

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> FireResult:
        fields = {k: v for k, v in doc.items() if k != "schema_version"}
        fields["auto"] = tuple(fields.get("auto", ()))
        return cls(**fields)


@dataclass(frozen=True)
class TriggerInfo:
    trigger: str
    label: Text | None
    dests: tuple[str, ...]
    form: str | None
    allowed: bool  # nothing known now refuses it (``on_submit`` may still, once the form is filled)
    why_not: tuple[Refusal, ...] = ()
    on_submit: tuple[Refusal, ...] = ()  # checks that wait for the form's data (code "on-submit")


@dataclass(frozen=True)
class PublishedForm:
    """A form as a workflow version publishes it: what a page renders, and what the engine checks a
    submission with (the same schema, layout and validator)."""

    path: str  # forms/<department>/<name>.json, as the workflow names it
    schema: Mapping[str, Any]
    layout: FormLayout
    validator: FormValidator


@dataclass
class MigrationPlan:
    workflow: str
    to_version: int
    moves: list[dict[str, Any]] = field(default_factory=list)  # order_id, from/to version and state
    blocked: list[dict[str, Any]] = field(default_factory=list)  # order_id, state, code, en, zh
    applied: bool = False


@dataclass(frozen=True)
class UnfiredTimer:
    """A due timer that could not fire for a reason of its own: its order or its workflow version is
    stored in a shape this OrderLoom cannot read (``StoredDocumentError``), or firing failed with
    another ``EngineError``. It stays scheduled, its note says why, and it is tried again once its
    claim's lease runs out (or at once by another worker, when this one stops and lets go of it)."""

    timer_id: int
    error: EngineError


@dataclass
class TimerReport:
    """What one ``fire_due_timers`` round did."""

    fired: int = 0
    unfired: list[UnfiredTimer] = field(default_factory=list)


def order_view(row: OrderRow) -> OrderView:
    return OrderView(
        id=row.id,
        department=row.department,
        workflow=row.workflow,
        version=row.version,
        channel=row.channel,
        state=row.state,
        states=split(row.state),
        data=row.data,
        lock_version=row.lock_version,
        final=row.final,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
