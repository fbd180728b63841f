"""Frozen, compiled workflow specifications.

A ``WorkflowSpec`` is built once per published version and shared by every order on that version;
an order is a database row that points at it, never a copy of it.

State names are paths: a top-level state is ``paid``; a state inside a parallel region is
``fulfilling.payment.captured`` (state, region, child), joined with ``SEPARATOR``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from engine.common.text import Text
from engine.common.words import word

SEPARATOR = "."
ANY_SOURCE = "*"
ALL_DEPARTMENTS = "*"  # every department: in an actor's departments, a correlation's acts_on
SCHEMA_VERSION = 1
# The audit trail's name for what is not a transition: an order's creation and a version migration. A
# workflow may not name a trigger so (the history and the correlation feed would read it as one).
CREATE_TRIGGER = "create"
MIGRATE_TRIGGER = "migrate"
RESERVED_TRIGGERS = frozenset({CREATE_TRIGGER, MIGRATE_TRIGGER})
# The audit trail's names for what approvers do on an approval step (a dot: no workflow trigger has one),
# and the timer an approval's timeout runs on.
APPROVAL_EVENTS = (
    "approval.approve",
    "approval.decline",
    "approval.add",
    "approval.transfer",
    "approval.return",
)
APPROVAL_TIMEOUT = "approval.timeout"
# The audit trail's name for an order given to a colleague (指派; its reason: the assignee's login).
ASSIGN_TRIGGER = "work.assign"
# What a timeout does: remind the approvers, approve for them, return the order, or escalate to a role.
TIMEOUT_ACTIONS = ("remind", "approve", "return", "escalate")


# A transition's ``dest`` meaning "the state the order came from": the state it entered its current state
# from, as the audit trail records it (a hold that returns the order where it was held from).
PREVIOUS_STATE = "@previous"


def predecessors(transitions: Iterable[Any], everyone: Sequence[str]) -> dict[str, set[str]]:
    """State -> the states a transition of ``transitions`` (raw, as written) enters it from; ``"*"``
    stands for ``everyone``. A transition whose shape is wrong is skipped."""
    found: dict[str, set[str]] = {}
    for transition in transitions:
        if not isinstance(transition, Mapping):
            continue
        source, dest = transition.get("source"), transition.get("dest")
        sources = (
            list(everyone)
            if source == ANY_SOURCE
            else [source]
            if isinstance(source, str)
            else [s for s in source if isinstance(s, str)]
            if isinstance(source, list)
            else []
        )
        dests = [dest] if isinstance(dest, str) else list(dest.values()) if isinstance(dest, Mapping) else []
        for target in dests:
            if isinstance(target, str) and target != PREVIOUS_STATE:
                found.setdefault(target, set()).update(s for s in sources if s != target)
    return found


# The order's own fields, beside its data in every condition (``order.state``): they always win over a
# data field of the same name, and no form may declare one at its top.
ORDER_FIELDS: Mapping[str, Text] = MappingProxyType(
    {name: word(f"order_field.{name}") for name in ("id", "state", "department", "channel", "workflow")}
)


@dataclass(frozen=True)
class TimerSpec:
    """``after`` a delay in a state, or ``at`` the moment an expression on the order names, fire
    ``trigger`` (if ``when`` still holds), recording ``reason``. Exactly one of ``after_seconds`` and
    ``at`` is set. ``expected``: the way the order is meant to leave the state (自动确认收货), the steps
    people may take there meanwhile optional (my work lists such orders apart, after the rest)."""

    after_seconds: int | None
    trigger: str
    reason: str | None = None
    when: str | None = None
    expected: bool = False
    at: str | None = None  # an expression whose value is a moment (order.return_by); none: no timer


@dataclass(frozen=True)
class RegionSpec:
    """One region of a parallel state; the region is done when it reaches one of its final states."""

    name: str
    initial: str  # full path of the initial child state
    states: tuple[StateSpec, ...]


@dataclass(frozen=True)
class ApproverSpec:
    """Who signs an approval: a role (one signature any holder of it gives), a user by login name, or an
    expression naming a user (``order.account.manager``), with whom to ask instead (``fallback``, a role
    or a user) when it names nobody on the order or no active user of the order's department."""

    kind: str  # "role" | "user" | "expr"
    value: str
    fallback: ApproverSpec | None = None  # an expression's ``else``


@dataclass(frozen=True)
class ApprovalTimeoutSpec:
    """``after`` a delay with the approval still open, ``then`` remind, approve, return or escalate."""

    after_seconds: int
    then: str  # one of TIMEOUT_ACTIONS
    return_to: str | None = None  # for ``return``
    escalate_to: str | None = None  # the role, for ``escalate``


@dataclass(frozen=True)
class ApprovalSpec:
    """An approval step (或签 / 会签): approvers sign; once enough did, ``approve`` is fired; one who
    declines fires ``decline``; an approver may send the order back to a state of ``return_to``."""

    approvers: tuple[ApproverSpec, ...]
    sign: str | int  # "any", "all", or how many must approve
    approve: str
    decline: str | None = None
    return_to: tuple[str, ...] = ()
    timeout: ApprovalTimeoutSpec | None = None

    def required(self, declared: int) -> int:
        """How many of ``declared`` approvers must approve."""
        if self.sign == "any":
            return 1
        if self.sign == "all":
            return declared
        return min(int(self.sign), declared)


@dataclass(frozen=True)
class StateSpec:
    name: str  # full path, e.g. "fulfilling.payment.captured"
    label: Text
    final: bool = False
    queue: str | None = None
    timers: tuple[TimerSpec, ...] = ()
    regions: tuple[RegionSpec, ...] = ()  # non-empty: a parallel state that joins when all are done
    approval: ApprovalSpec | None = None  # an approval step: who signs, how many, what then


@dataclass(frozen=True)
class TransitionSpec:
    trigger: str
    sources: tuple[str, ...]  # full state paths; "*" is expanded at compile time
    dest: str | None = None  # one destination, or None when ``dest_by_outcome`` picks it
    dest_by_outcome: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    roles: tuple[str, ...] = ()  # empty: any role of the order's department
    form: str | None = None  # form path, relative to the definitions root
    when: str | None = None  # guard condition in the expression language
    rules: str | None = None  # rule file path, relative to the definitions root
    actions: tuple[str, ...] = ()  # registered plugin action names, run in order
    auto: bool = False  # taken without a person as soon as ``when`` holds
    # leaves a parallel state whatever its regions reached (a cancel); without it, leaving one waits
    # until every region is in a final state (the join)
    interrupts: bool = False
    label: Text | None = None
    refusal: Text | None = None  # told when ``when`` does not hold, instead of the condition itself
    # with ``dest`` PREVIOUS_STATE: the states the order may have come from (where it may go back to)
    previous: tuple[str, ...] = ()
    # ``set:``: dotted field path of the order's data -> an expression (text) giving its new value, or a
    # literal written in YAML (None clears the field); applied after guards and rules, before actions
    sets: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # a record transition's ``order_states:``: the order's states (top-level names or leaves of a parallel
    # state) in which it is taken; empty: in any state of the order
    order_states: tuple[str, ...] = ()
    # ``shows:``: top-level fields of the order's data the step's page shows read-only, in this order
    # (the lines a return brings back, the refund it pays), so the person sees what the step acts on
    shows: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordKindSpec:
    """A kind of child record an order holds (a payment, a shipment): its own small state machine.

    ``records:`` in a workflow declares each kind; an order holds any number of records of a kind,
    numbered 1, 2, … within the order. A record's transitions are fired by their triggers (by a person,
    or by an order transition's action), each in the order's audit trail as ``<kind>.<trigger>``; the
    order's conditions read its records through ``records.<kind>`` (docs/workflow-language.md)."""

    name: str
    label: Text
    initial: str
    states: tuple[StateSpec, ...]
    transitions: tuple[TransitionSpec, ...]
    form: str | None = None  # the record's data contract

    def state(self, name: str) -> StateSpec:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states if s.final)


@dataclass(frozen=True)
class OriginalOrderSpec:
    """``original_order:`` of a workflow whose orders are about an order of another department (an
    after-sales request about a retail order): the data field that names that order by its number, the
    department it must exist in, and the field of the amount asked back, never more than that order paid
    and has not refunded (less what the workflow's other orders about it claim)."""

    field: str
    department: str
    refund: str | None = None
    # the field that says what kind of order it is (a return, an exchange), in words on the other's page
    kind: str | None = None
    # the field of the lines it names ({sku, qty}), bounded per SKU by the other order's lines of that
    # name less what it returned or is returning and what the other orders about it name
    lines: str | None = None
    # the field set once the goods came back: a closed order about it counts its lines only then
    received: str | None = None
    # the field the intake fills with the warehouse the other order shipped from (goods come back there)
    warehouse: str | None = None
    # the field of when the goods were delivered: the other order's field of that name must be set (an
    # order about one not yet delivered is refused: it is cancelled, not returned)
    delivered: str | None = None


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    department: str
    title: Text
    initial: str
    states: tuple[StateSpec, ...]  # every state, nested ones included, parents before children
    transitions: tuple[TransitionSpec, ...]
    channels: tuple[str, ...] = ()
    data_form: str | None = None  # the order's data contract
    intake_forms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    roles: tuple[str, ...] = ()
    create_roles: tuple[str, ...] = ()  # who may create its orders; empty: any role of the department
    source_path: str = "<string>"
    content_hash: str = ""  # sha256 of the canonical resolved definition
    version: int | None = None  # set when loaded from a published version
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # Contents frozen with the version: form path -> JSON Schema, rule-file path -> parsed rule file.
    forms: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    rulesets: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    # form path -> its UI file (engine/forms/ui.py), for the forms that have one
    layouts: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    # ``search:``: which fields of the data the search box finds an order by, per kind of term (mobile,
    # name, waybill, payment_ref) -> dotted paths, ``[]`` stepping into a list (engine.store.search).
    search: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # ``reveal:``: the roles that see mobile and ID numbers whole; everyone else sees them masked.
    reveal: tuple[str, ...] = ()
    # ``catalogue:``: ``prices`` (lines priced from the product catalogue and marked virtual or not),
    # ``kinds`` (only marked), or None (neither): docs/catalogue.md.
    catalogue: str | None = None
    # ``records:``: the kinds of child records its orders hold (payments, shipments), by name
    records: Mapping[str, RecordKindSpec] = field(default_factory=lambda: MappingProxyType({}))
    # ``original_order:``: the order of another department each order is about, checked at intake
    original_order: OriginalOrderSpec | None = None

    def takes_orders_from(self, roles: frozenset[str]) -> bool:
        """Whether a login with ``roles`` may create this workflow's orders (``create_roles``; any role of
        the department when it names none)."""
        return not self.create_roles or not roles.isdisjoint(self.create_roles)

    def state(self, name: str) -> StateSpec:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def final_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states if s.final)
