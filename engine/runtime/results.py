"""What the Engine facade answers with: published versions, orders, steps taken, triggers, forms, plans.

Frozen dataclasses (but the reports a call fills as it goes); nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.common.text import Text
from engine.dsl.spec import TransitionSpec, WorkflowSpec
from engine.errors import ConflictError, EngineError, Refusal, TransitionRejected
from engine.forms.data_paths import ITEMS
from engine.forms.ui import FormLayout
from engine.forms.validation import FormValidator
from engine.runtime.compiled import config_words, split
from engine.runtime.order_why import DecisionWhy, RunningTimer, StepSaid, UnsetTimer, WhyHere
from engine.runtime.original_order import OrderAbout, OriginalSummary
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
    state_since: datetime | None = None  # when it entered its state
    assignee: str | None = None  # the login that claimed it (处理人), and since when
    assigned_at: datetime | None = None


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
class AutoStep:
    """An automatic step that may be taken right after a step, in its transaction, if its condition
    holds then (a payment that completes what is due: 已付清 → 已支付): its label and where it goes."""

    trigger: str
    label: Text | None
    dests: tuple[str, ...]


@dataclass(frozen=True)
class TriggerInfo:
    trigger: str
    label: Text | None
    dests: tuple[str, ...]
    form: str | None
    allowed: bool  # nothing known now refuses it (``on_submit`` may still, once the form is filled)
    why_not: tuple[Refusal, ...] = ()
    on_submit: tuple[Refusal, ...] = ()  # checks that wait for the form's data (code "on-submit")
    then: tuple[AutoStep, ...] = ()  # the automatic steps that may follow at once, from where it leads
    ends: bool = False  # it takes the order to a final state (a cancel): never the page's first step
    shows: tuple[str, ...] = ()  # the order's fields its page shows read-only (``shows:``)


@dataclass(frozen=True)
class PublishedForm:
    """A form as a workflow version publishes it: what a page renders, and what the engine checks a
    submission with (the same schema, layout and validator)."""

    path: str  # forms/<department>/<name>.json, as the workflow names it
    schema: Mapping[str, Any]
    layout: FormLayout
    validator: FormValidator


class BlockedCode(StrEnum):
    """Why a migration leaves an order where it is (the strings ``orderloom migrate`` prints)."""

    STATE_GONE = "state-gone"  # its state is in no published version and the mapping names none
    CONFLICTING_STATES = "conflicting-states"  # its states cannot be active together in the new version
    FINAL_STATE = "final-state"  # it would land in a final state: finish it with a transition instead
    DATA_INVALID = "data-invalid"  # its data fails the new version's data form


@dataclass
class MigrationPlan:
    workflow: str
    to_version: int
    moves: list[dict[str, Any]] = field(default_factory=list)  # order_id, from/to version and state
    blocked: list[dict[str, Any]] = field(default_factory=list)  # order_id, state, code (BlockedCode), en, zh
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
        state_since=row.state_since,
        assignee=row.assignee,
        assigned_at=row.assigned_at,
    )


# -- what a page shows, read in one call (``engine.runtime.pages``) -----------------------------------


@dataclass(frozen=True)
class NewOrders:
    """A published workflow the actor may take new orders of, and the channels they come from."""

    department: str
    workflow: str
    title: Text
    channels: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowCounts:
    """A published workflow on the home page: its newest version, its orders by state (most first),
    and the channels the actor may take a new order from (none: the actor may not create its orders)."""

    department: str
    workflow: str
    version: int
    title: Text
    total: int
    by_state: tuple[tuple[str, int], ...]
    labels: Mapping[str, Text]  # state -> label: of the newest version, else of the one its orders run on
    channels: tuple[str, ...]

    def label(self, state: str, lang: str) -> str:
        """A state's label; an order in a parallel state shows one label per region."""
        return config_words(self.labels, state).get(lang)


@dataclass(frozen=True)
class ListedOrder:
    """An order of a list, with the version it runs on (for its workflow's title and state labels)."""

    order: OrderView
    spec: WorkflowSpec
    matched: Text | None = None  # what the search matched: "手机尾号 1234" / "mobile ending 1234"


@dataclass(frozen=True)
class OrderList:
    """A page of orders in the order asked for. ``more``: orders follow after it (``next_after`` is the
    cursor of the next page); ``previous``: orders come before it (``previous_before``). ``workflow``:
    the newest version of the workflow the list is filtered by (None: no filter, or a workflow not
    published). ``workflows``: the newest version of each workflow of the actor's departments, and
    ``departments`` the departments the actor may narrow the list to (for the filters' choices)."""

    orders: tuple[ListedOrder, ...]
    more: bool
    workflow: WorkflowSpec | None = None
    previous: bool = False
    next_after: str | None = None
    previous_before: str | None = None
    workflows: tuple[WorkflowSpec, ...] = ()
    departments: tuple[str, ...] = ()
    searched: bool = False  # the list is what the search box found
    # filtered to one workflow and state: the steps the actor may take on its orders from there, as one
    # batch (engine.runtime.batch), each (trigger, label); the first is what the key ``a`` takes
    steps: tuple[tuple[str, Text], ...] = ()
    ending: frozenset[str] = frozenset()  # of those, the steps that end the order (a cancel): listed last


# -- approval steps (engine/runtime/approvals.py) ----------------------------------------------


@dataclass(frozen=True)
class ApprovalResult:
    order_id: int
    action: str
    state: str  # where the order is now
    lock_version: int
    fired: str | None = None  # the approval's approve or decline trigger, when this action decided it


@dataclass(frozen=True)
class ApprovalTask:
    """One approver's task as a page shows it."""

    id: int
    approver_kind: str  # "role" | "user"
    approver: str
    origin: str  # "declared" | "added" | "escalated"
    status: str
    seq: int
    added_by: str | None
    decided_by: str | None
    comment: str | None
    created_at: datetime
    decided_at: datetime | None
    deadline: datetime | None
    yours: bool  # the person asking may act on it now


@dataclass(frozen=True)
class ApprovalPanel:
    """An order's approval at its current state: who signed, who is pending, the deadline, what may be
    done (``Engine.approval``)."""

    order_id: int
    state: str
    state_label: Text
    sign: str | int
    required: int
    approved: int
    tasks: tuple[ApprovalTask, ...]
    deadline: datetime | None
    can_decline: bool
    return_to: tuple[tuple[str, Text], ...]  # state, label
    lock_version: int
    timeout: str | None = None  # what the timeout does: remind, approve, return, escalate
    names: Mapping[str, str] = field(default_factory=dict)  # login name -> display name, of the people named
    # whom the user may add or transfer their task to: (login, display name, roles), the department's
    # active people but the user and those holding a step of this approval (empty: no task of theirs)
    people: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    decline_to: Text | None = None  # the label of the state a decline takes the order to, when it names one
    own_order: bool = False  # the reader created the order: they may not sign it (separation of duties)
    declared: int = 0  # the approvers the workflow asks (a transferred task counts as its successor)
    # the approvers added by another (加签) yet to sign, in their order: (login, added before the one
    # who added them); the order waits for them whatever ``sign`` says
    awaiting_added: tuple[tuple[str, bool], ...] = ()
    # the role of each open step asking a role -> the active people of the department holding it who may
    # sign it (the order's creator left out), by login: whom the step waits for, named (none: nobody)
    holders: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def person(self, name: str | None) -> str:
        """How a page names a login: by its display name (the engine itself: "system")."""
        return "" if name is None else self.names.get(name, name)


@dataclass(frozen=True)
class OpenTask:
    """A task the person may sign now, for their to-do list."""

    task_id: int
    order_id: int
    department: str
    workflow: str
    state: str
    approver_kind: str
    approver: str
    created_at: datetime
    deadline: datetime | None


@dataclass(frozen=True)
class Assignee:
    """Who handles an order (处理人): the login, the name people know them by, and since when."""

    login: str
    name: str
    since: datetime | None
    roles: tuple[str, ...] = ()  # the person's roles, where a page names them beside the name (a picker)


@dataclass(frozen=True)
class ClaimView:
    """An order's claim as its page shows it: who holds it, and what the reader may do about it."""

    order_id: int
    assignee: Assignee | None
    may_claim: bool  # the reader may act on the order (a step of theirs leaves its state)
    mine: bool


@dataclass(frozen=True)
class RecordStep:
    """A step a reader could take on a record: its trigger and label, its form, whether it is allowed
    now and, when not, why (the role; a guard that reads nothing of the form)."""

    trigger: str
    label: Text
    form: str | None
    allowed: bool
    why_not: tuple[Refusal, ...] = ()
    # what the order knows of the form's fields (its UI file's ``prefill``: the carrier routing chose)
    prefill: Mapping[str, Any] = field(default_factory=dict)
    # a step without a form that ends the record for good (a payment's void, into a final state): the
    # order's page asks to confirm it first, as other steps that cannot be undone
    closes: bool = False


@dataclass(frozen=True)
class RecordView:
    """One of an order's child records as a page shows it."""

    kind: str
    kind_label: Text
    number: int
    state: str
    state_label: Text
    final: bool
    data: Mapping[str, Any]
    steps: tuple[RecordStep, ...]
    # the names of values the record holds in both languages at once (an automatic refund's reason, the
    # order's step by its label ``取消 / Cancel``): field -> stored value -> its words, one language a page
    value_labels: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)


@dataclass(frozen=True)
class CreditStanding:
    """A business account's credit as its order's page shows it: the credit limit (from the account's
    record), what the account owes besides this order (``owed()``, what the credit check reads: the
    record's opening balance and its other open orders' totals less what they were paid), what this
    order still owes while it is open, the credit left once both are counted, and how much of what it
    owes is the opening balance (期初欠款)."""

    limit: float
    owed: float
    this_order: float
    left: float
    opening: float = 0.0


@dataclass(frozen=True)
class OrderPage:
    """What an order's page shows: the order, its version, its history, the triggers a person could fire
    now (and why not), and the version's forms (the order's intake form first: its labels)."""

    order: OrderView
    spec: WorkflowSpec
    history: tuple[AuditEvent, ...]
    triggers: tuple[TriggerInfo, ...]
    forms: tuple[PublishedForm, ...]
    approval: ApprovalPanel | None = None  # at an approval step: who signed, who is pending, the deadline
    claim: ClaimView | None = None  # who handles it (engine.runtime.workspace)
    # why it is where it is (engine.runtime.order_why): each event's rule decision (by the event's id),
    # who took each step and what it did, in words; the timers running on it, and when the page was read
    decisions: Mapping[int, DecisionWhy] = field(default_factory=dict)
    actors: Mapping[int, Text] = field(default_factory=dict)
    actions: Mapping[int, Text] = field(default_factory=dict)
    # what a person sent with a step (a reason, a note), by the event's id (engine.runtime.order_why)
    said: Mapping[int, StepSaid] = field(default_factory=dict)
    timers: tuple[RunningTimer, ...] = ()
    unset_timers: tuple[UnsetTimer, ...] = ()  # timers at a moment the order does not hold (yet)
    now: datetime | None = None
    # field name (or dotted path) -> code -> its name, for codes no form names: a warehouse routing
    # chose, a person a field names by login (``account.manager``) by their display name
    value_labels: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)
    # why it is in its state, who acts next and the queue it waits in, for the top of the page
    here: WhyHere | None = None
    # its child records (payments, shipments), each with the steps the reader may take on it
    records: tuple[RecordView, ...] = ()
    # a business account's credit: its limit, what it owes on its open orders, what is left
    credit: CreditStanding | None = None
    # the order of another department it is about (``original_order:``), read-only, with the others
    # about that order; and the orders of other workflows about this one (after-sales requests)
    original: OriginalSummary | None = None
    about: tuple[OrderAbout, ...] = ()


@dataclass(frozen=True)
class ShownFields:
    """Fields of the order's data as a page shows them: their values (masked as the reader sees them),
    in the order to show them, the layouts of the version's forms that label them and their choices (the
    order's intake form first, as on the order's page), and the names of the codes and products they hold
    (field path -> stored value -> its words)."""

    data: Mapping[str, Any]
    layouts: tuple[FormLayout, ...]
    names: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)


@dataclass(frozen=True)
class StepPage:
    """What a step's page shows: the order, its version, the step (``info`` None: it does not leave the
    order's state now), the transition of that trigger (None: the workflow has no such step a person
    fires) and the step's form (None: it takes none)."""

    order: OrderView
    spec: WorkflowSpec
    trigger: str
    info: TriggerInfo | None
    transition: TransitionSpec | None
    form: PublishedForm | None
    # the layout of the workflow's data form: the labels of the order's fields a guard compares with
    order_layout: FormLayout | None = None
    # what the order knows of the form's fields (its UI file's ``prefill``): what a new page starts with
    prefill: Mapping[str, Any] = field(default_factory=dict)
    # a batch's record step: the fields its form leaves out, each record's own (``x-per-record``)
    per_record: tuple[str, ...] = ()
    # the names of the products the prefill's lines name in read-only fields, in both languages (the
    # lines of a return)
    prefill_names: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)
    # the order's fields the step shows read-only (its transition's ``shows:``), as the order's page
    # shows its data
    shows: ShownFields | None = None

    def prefill_in(self, lang: str) -> Any:
        """What a new page starts with, each line naming a product of the catalogue by its name in
        ``lang`` (the lines a return form lists read in English on the English page)."""
        return read_in(self.prefill, self.prefill_names, lang)


def read_in(value: Any, names: Mapping[str, Mapping[str, Text]], lang: str, path: str = "") -> Any:
    """``value`` (at ``path``) with each text ``names`` knows at its path (``lines[].name`` -> stored
    text -> its words) read in ``lang``; what it does not know as it is. A copy: ``value`` is left."""
    if isinstance(value, Mapping):
        read = {}
        for key, inner in value.items():
            at = f"{path}.{key}" if path else str(key)
            named = names.get(at, {}).get(inner) if isinstance(inner, str) else None
            read[key] = named.get(lang) if named is not None else read_in(inner, names, lang, at)
        return read
    if isinstance(value, list):
        return [read_in(item, names, lang, f"{path}{ITEMS}") for item in value]
    return value


@dataclass(frozen=True)
class StepTaken:
    """What ``take_step`` did: the step's page as the order was before, and the step fired (``result``),
    or why not (``rejected``, ``conflict``), or neither (not offered now, or the submission asked for
    the page again: nothing written)."""

    page: StepPage
    result: FireResult | None = None
    rejected: TransitionRejected | None = None
    conflict: ConflictError | None = None


@dataclass(frozen=True)
class IntakeOriginal:
    """The original order a new order's number names, read while the order is entered: its summary and
    what the intake form takes from it (``original_order:``); both None when its department has no order
    of that number."""

    number: str
    summary: OriginalSummary | None
    fill: Mapping[str, Any] | None
    refusals: tuple[Refusal, ...] = ()  # why none is found, naming the field, as the intake would say
    # the names of the products the fill's lines name, in both languages
    fill_names: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)

    def fill_in(self, lang: str) -> Any:
        """The fill with each line naming a product of the catalogue by its name in ``lang``."""
        return read_in(self.fill, self.fill_names, lang) if self.fill is not None else None


@dataclass(frozen=True)
class IntakePage:
    """What a new-order page shows: the newest version of the workflow and the form of the channel."""

    spec: WorkflowSpec
    form: PublishedForm | None
