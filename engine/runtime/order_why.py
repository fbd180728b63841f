"""Why an order is where it is (订单页说明原因), for its page: each rule decision of its timeline in
words, with the values it compared; the timers running on it; the people and processes that moved it
by their names, as the people its data names (a field a form marks ``x-user``: the account manager);
the warehouse routing chose by its label. And for a step's page: a guard's refusal
beside the field of the form it compared (:func:`guard_beside_field`), a role refusal with the roles'
names (:func:`refusal_words`).

Everything is read from what is stored: an audit event's ``rules`` (the decision's ``to_dict()``:
outcome, reasons with their words, trace entries with the values each rule compared), the order's
scheduled timers, and the users' display names. Nothing is evaluated again: the page says what was
decided then, with the values of then. The words are those of the rule files and of the catalogue, in
both languages (:class:`Text`); the page picks its own. Decisions are explained with the studio
console's labels (``engine.rules.labels``): outcomes by the glossary, a routing file's warehouses and
carriers, a decision table's inputs, the condition with its values written in (:func:`compared`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.common.regions import CITY_NAMES, DISTRICT_NAMES, PROVINCE_NAMES
from engine.common.text import Text
from engine.common.words import WORDS, term
from engine.dsl.spec import (
    APPROVAL_TIMEOUT,
    ASSIGN_TRIGGER,
    CREATE_TRIGGER,
    MIGRATE_TRIGGER,
    TimerSpec,
    WorkflowSpec,
)
from engine.errors import Refusal, RefusalCode
from engine.forms.data_paths import ITEMS, data_paths
from engine.forms.formats import CODE_KINDS
from engine.forms.ui import FieldLayout, FormLayout
from engine.rules.expr import ExpressionError, parse
from engine.rules.labels import Operand, RuleLabels, number_text, rule_labels, said
from engine.runtime.compiled import (
    CompiledTransition,
    CompiledVersion,
    active_paths,
    named_state_active,
    split,
)
from engine.runtime.masking import mask, masked_data, masked_fields, reveals
from engine.runtime.moments import Moment
from engine.store import AuditRow, TimerRow
from engine.store.statuses import TimerStatus

__all__ = [
    "BesideField",
    "DecisionWhy",
    "Fact",
    "RuleReason",
    "RunningTimer",
    "StepSaid",
    "WhyHere",
    "actor_text",
    "decision_why",
    "event_action",
    "guard_beside_field",
    "hidden_operands",
    "logins_in",
    "money_names",
    "order_operands",
    "people_labels",
    "refusal_words",
    "running_timers",
    "step_said",
    "user_fields",
    "value_labels",
    "version_labels",
    "why_here",
]

SYSTEM_NAME = "system"
APPROVAL_RETURN = "approval.return"  # an approver's return (its reason: the approver's comment)
APPROVAL_DECLINE = "approval.decline"  # an approver's decline (its reason: the approver's comment)
DECLINED_STEP = "approval_declined"  # the reason of the step a decline fires
REGIONS_SOURCE = "regions"  # the option source of provinces (plugins/options.py)
CORRELATION_PREFIX = "correlation:"  # a correlation rule set acting on an order (the fraud watch)


def _words(key: str, **values: Any) -> Text:
    text = WORDS[key]
    return Text(text.zh.format(**values), text.en.format(**values))


def _both(make: Callable[[str], str]) -> Text:
    return Text(make("zh"), make("en"))


@dataclass(frozen=True)
class RuleReason:
    """A rule that decided: its words, and its condition with the values it compared (``5,128.00 >
    5,000``; a rule that could not be evaluated says why instead)."""

    rule: str
    words: Text
    compared: Text | None = None


@dataclass(frozen=True)
class Fact:
    """One labelled value of a decision: the warehouse and the carrier routing chose, a decision
    table's row and each of its inputs."""

    label: Text
    value: Text


@dataclass(frozen=True)
class DecisionWhy:
    """A rule decision as the order page tells it: the outcome in words, the reasons of the rules that
    decided, and the facts it was decided on or decided (routing's choice, a table's row and inputs)."""

    ruleset: str
    kind: str
    outcome: Text
    reasons: tuple[RuleReason, ...]
    facts: tuple[Fact, ...] = ()


def money_names(cv: CompiledVersion) -> frozenset[str]:
    """The names the conditions read that hold money (``order.total``: the data form says the field is
    money), so a compared value is shown with two decimals."""
    layout = cv.layouts.get(cv.spec.data_form) if cv.spec.data_form is not None else None
    if layout is None:
        return frozenset()
    return frozenset(
        f"order.{path}"
        for path, field in layout.fields.items()
        if field.widget == "money" or field.format == "money"
    )


def order_operands(cv: CompiledVersion) -> dict[str, Operand]:
    """What the conditions of the version's rules read of an order, by the names they read it by
    (``order.account.tier``): each field's label and its choices' labels, from the workflow's data form
    first, then the other forms (a field several forms have is named by the first); money by the data
    form, as :func:`money_names` says."""
    money = money_names(cv)
    data_form = cv.spec.data_form
    layouts = [cv.layouts[data_form]] if data_form is not None and data_form in cv.layouts else []
    layouts.extend(layout for path, layout in cv.layouts.items() if path != data_form)
    found: dict[str, Operand] = {}
    for layout in layouts:
        for path, spec in layout.fields.items():
            name = f"order.{path}"
            if "[]" in path:
                continue
            known = found.get(name)
            choices = dict(known.choices) if known is not None else {}
            for option in spec.options:
                if isinstance(option.value, str | int | float | bool):
                    choices.setdefault(option.value, option.label)
            label = known.label if known is not None else spec.label
            found[name] = Operand(label, choices, name in money)
    found.update(record_operands(cv))
    return found


def record_operands(cv: CompiledVersion) -> dict[str, Operand]:
    """What an order's conditions read of its records, by the text they read it by: how many records a
    kind has (``len(records.shipment)``: 发货单数 / Shipment records) and how many are in a state
    (``count(pluck(records.payment, 'state'), 'authorized')``: 「已授权」的支付数 / Payment records
    authorized)."""
    found: dict[str, Operand] = {}
    for name, compiled in cv.records.items():
        kind = compiled.spec.label
        found[f"len(records.{name})"] = Operand(Text(f"{kind.zh}数", f"{kind.en} records"))
        for state in compiled.spec.states:
            label = state.label
            found[f"count(pluck(records.{name}, 'state'), {state.name!r})"] = Operand(
                Text(f"「{label.zh}」的{kind.zh}数", f"{kind.en} records {label.en.lower()}")
            )
    return found


def version_labels(cv: CompiledVersion) -> dict[str, RuleLabels]:
    """The labels of every rule set the version runs, by the rule set's name (as a decision names it)."""
    found: dict[str, RuleLabels] = {}
    for ct in cv.transitions:
        if ct.ruleset is None or ct.spec.rules is None:
            continue
        tree = cv.spec.rulesets.get(ct.spec.rules)
        found.setdefault(
            str(ct.ruleset.name), rule_labels(ct.ruleset, tree if isinstance(tree, Mapping) else None)
        )
    return found


def user_fields(spec: WorkflowSpec) -> frozenset[str]:
    """The data fields a form of the version marks ``x-user: true`` (they hold a user's login name, as
    the account manager ``account.manager``), by dotted path (``[]`` into lists)."""
    return frozenset(
        path
        for schema in spec.forms.values()
        for path, node in data_paths(schema).items()
        if node.get("x-user") is True
    )


def logins_in(data: Mapping[str, Any], fields: Collection[str]) -> dict[str, set[str]]:
    """The login names the order's data holds at ``fields``, by field (a text, non-empty)."""
    found: dict[str, set[str]] = {}
    for path in fields:
        values: list[Any] = [data]
        for part in path.replace(ITEMS, "." + ITEMS).split("."):
            if part == ITEMS:
                values = [item for value in values if isinstance(value, list) for item in value]
            else:
                values = [value.get(part) for value in values if isinstance(value, Mapping)]
        names = {value for value in values if isinstance(value, str) and value}
        if names:
            found[path] = names
    return found


def people_labels(logins: Mapping[str, set[str]], names: Mapping[str, str]) -> dict[str, dict[str, Text]]:
    """The display names of the people the order's data names (``logins_in``), by field, for the page to
    show instead of login names; a login no user has is left as it is."""
    return {
        path: {login: Text(names[login], names[login]) for login in found if login in names}
        for path, found in logins.items()
    }


def coded_fields(spec: WorkflowSpec) -> dict[str, str]:
    """The data fields a form of the version says hold a code of a kind (``"x-kind": "warehouse"``),
    by dotted path (``[]`` into lists), with the kind."""
    return {
        path: str(node["x-kind"])
        for schema in spec.forms.values()
        for path, node in data_paths(schema).items()
        if node.get("x-kind") in CODE_KINDS
    }


def value_labels(cv: CompiledVersion, labels: Mapping[str, RuleLabels]) -> dict[str, dict[str, Text]]:
    """The names of the codes an order's data holds, by the field that holds them, decided by its forms:
    a field that says it holds a warehouse or a carrier (``x-kind``) by the routing files' labels
    (``SH-01`` is 上海仓), and a field offered from the ``regions`` option source by the province's name
    in each language (陕西省 is Shaanxi on an English page), the city and the district fields beside it
    by theirs (西安市 is Xi'an, 雁塔区 Yanta District); the value stays as stored."""
    named: dict[str, dict[str, Text]] = {kind: {} for kind in CODE_KINDS}
    for found in labels.values():
        for name, label in found.warehouses.items():
            named["warehouse"].setdefault(name, label)
        for name, label in found.carriers.items():
            named["carrier"].setdefault(name, label)
    names = {path: named[kind] for path, kind in coded_fields(cv.spec).items() if named[kind]}
    for layout in cv.layouts.values():
        for path, spec in layout.fields.items():
            if spec.source is not None and spec.source.source == REGIONS_SOURCE:
                names[path] = dict(PROVINCE_NAMES)
                # the city and the district beside it (address.city, address.district) by their names
                parent, dot, _ = path.rpartition(".")
                for field, known in (("city", CITY_NAMES), ("district", DISTRICT_NAMES)):
                    if f"{parent}{dot}{field}" in layout.fields:
                        names[f"{parent}{dot}{field}"] = dict(known)
    return names


def _value(value: Any, money: bool = False) -> Text:
    if value is None:
        return Text("无", "none")
    if isinstance(value, bool):
        return Text("是", "yes") if value else Text("否", "no")
    if isinstance(value, int | float):
        shown = number_text(value, money)
        return Text(shown, shown)
    return Text(str(value), str(value))


def _compared(
    entry: Mapping[str, Any],
    operands: Mapping[str, Operand],
    hidden: Collection[str] = (),
    lists: Mapping[str, Text] | None = None,
) -> Text | None:
    """A rule's condition in words with the values it compared (:func:`engine.rules.labels.said`), or
    why it could not be evaluated."""
    words = entry.get("error_words")
    if isinstance(words, Mapping):
        return Text(str(words.get("zh") or entry.get("error")), str(words.get("en") or entry.get("error")))
    values = entry.get("values")
    when = entry.get("when")
    if not isinstance(values, Mapping) or not values or not isinstance(when, str):
        return None
    zh, en = (
        said(when, values, operands, "zh", hidden, lists),
        said(when, values, operands, "en", hidden, lists),
    )
    return Text(zh, en) if zh is not None and en is not None else None


def _operands(money: Collection[str], operands: Mapping[str, Operand] | None) -> dict[str, Operand]:
    """``operands``, with the names of ``money`` that it lacks as money (labelled by their name)."""
    found = dict(operands or {})
    for name in money:
        known = found.get(name)
        found[name] = (
            Operand(known.label, known.choices, True)
            if known is not None
            else Operand(Text("", ""), money=True)
        )
    return found


def _reason_words(reason: Mapping[str, Any]) -> Text:
    rule = str(reason.get("rule", ""))
    return Text(
        str(reason.get("zh") or reason.get("en") or rule), str(reason.get("en") or reason.get("zh") or rule)
    )


def decision_why(
    rules: Mapping[str, Any] | None,
    labels: RuleLabels | None = None,
    money: Collection[str] = (),
    operands: Mapping[str, Operand] | None = None,
    hidden: Mapping[str, str] | None = None,
) -> DecisionWhy | None:
    """A stored decision (an audit event's ``rules``) as the order page tells it; None for an event
    without one. A rule set the version no longer runs is told without its labels (names as stored).
    ``operands`` name what the conditions read (:func:`order_operands`), ``money`` the names that hold
    money besides; ``hidden``: the names of the values the reader sees masked, with how each is masked
    (a mobile number: ``138****5678``), as the order's data on the page is."""
    if not isinstance(rules, Mapping) or not isinstance(rules.get("outcome"), str):
        return None
    labels = labels or RuleLabels()
    named = _operands(money, operands)
    kind = str(rules.get("kind") or "audit")
    code = rules["outcome"]
    outcome = _both(lambda lang: labels.outcome(code, lang))
    trace = [_masked(entry, hidden or {}) for entry in rules.get("trace") or () if isinstance(entry, Mapping)]
    by_rule = {str(entry.get("rule")): entry for entry in trace if not entry.get("candidate")}
    reasons: list[RuleReason] = []
    for reason in rules.get("reasons") or ():
        if not isinstance(reason, Mapping):
            continue
        rule = str(reason.get("rule", ""))
        entry = by_rule.get(rule)
        shown = (
            _compared(entry, named, hidden or {}, labels.lists)
            if entry is not None and kind != "routing"
            else None
        )
        words = _reason_words(reason)
        if kind == "decision_table" and shown is not None and words == _row_matched(rule):
            words, shown = shown, None  # a row without a reason of its own: its condition in words
        reasons.append(RuleReason(rule, words, shown))
    facts: list[Fact] = []
    outputs = rules.get("outputs")
    if kind == "routing" and isinstance(outputs, Mapping):
        facts.extend(_routing_facts(outputs, labels))
    elif kind == "decision_table":
        facts.extend(_table_facts(trace, labels, named))
    return DecisionWhy(str(rules.get("ruleset", "")), kind, outcome, tuple(reasons), tuple(facts))


def _routing_facts(outputs: Mapping[str, Any], labels: RuleLabels) -> Iterable[Fact]:
    split = [part for part in outputs.get("split") or () if isinstance(part, Mapping)]
    if split:
        names = [str(part.get("warehouse")) for part in split]
        yield Fact(
            _words("orders.why.split"),
            _both(
                lambda lang: ("、" if lang == "zh" else ", ").join(labels.warehouse(n, lang) for n in names)
            ),
        )
    elif outputs.get("warehouse") is not None:
        warehouse = outputs["warehouse"]
        yield Fact(_words("orders.why.warehouse"), _both(lambda lang: labels.warehouse(warehouse, lang)))
    if outputs.get("carrier") is not None:
        carrier = outputs["carrier"]
        yield Fact(_words("orders.why.carrier"), _both(lambda lang: labels.carrier(carrier, lang)))


def _masked(entry: Mapping[str, Any], hidden: Mapping[str, str]) -> Mapping[str, Any]:
    """A trace entry with the values it read of ``hidden`` names masked."""
    values = entry.get("values")
    if not hidden or not isinstance(values, Mapping) or not hidden.keys() & values.keys():
        return entry
    shown = {
        name: mask(str(value), hidden[name])
        if name in hidden and isinstance(value, str | int) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return {**entry, "values": shown}


def hidden_operands(cv: CompiledVersion, roles: frozenset[str], is_system: bool = False) -> dict[str, str]:
    """The names conditions read masked values by (``order.customer.mobile``), with how each is
    masked, for a reader of ``roles``: none when the workflow's ``reveal:`` shows them whole."""
    if reveals(cv.spec, roles, is_system):
        return {}
    return {f"order.{path}": style for path, style in masked_fields(cv.spec).items() if "[]" not in path}


def _row_matched(rule: str) -> Text:
    """The words a decision table gives a row that has no reason of its own (engine.rules.tables)."""
    return Text(f"命中行 {rule}", f"row {rule} matched")


def _table_facts(
    trace: list[Mapping[str, Any]], labels: RuleLabels, operands: Mapping[str, Operand]
) -> Iterable[Fact]:
    """The inputs a decision table's deciding rows read, by the table's labels (else the fields'), each
    value by its choice's label; the row itself is told by its reason."""
    told: set[str] = set()
    for entry in trace:
        if not entry.get("decided"):
            continue
        values = entry.get("values")
        for name, value in values.items() if isinstance(values, Mapping) else ():
            name = str(name)
            if name in told:
                continue
            told.add(name)
            operand = operands.get(name)
            label = labels.inputs.get(name) or (operand.label if operand is not None else Text(name, name))
            yield Fact(label, _choice(value, operand))


def _choice(value: Any, operand: Operand | None) -> Text:
    """A value read by a condition, as the page shows it: a choice by its label, money with two
    decimals."""
    if operand is not None and isinstance(value, str | int | float | bool) and value in operand.choices:
        return operand.choices[value]
    return _value(value, operand is not None and operand.money)


@dataclass(frozen=True)
class RunningTimer:
    """A timer running on the order: when it fires, the step it takes (its label; an approval's timeout
    by what it does), the reason it records (in words) and its condition in words (it fires only if that
    still holds then)."""

    due_at: datetime
    trigger: str
    step: Text
    reason: Text | None
    when: Text | None
    at: str | None = None  # the moment's expression, for a timer at one (at: order.return_by)
    # an approval's timeout as a sentence with ``{when}`` left to fill ("{when}升级给销售总监（审批超时）")
    sentence: Text | None = None
    # whether its condition holds now, judged as the worker judges it when due (None: not judged, or
    # it has none): one that does not will not fire unless it comes to hold by then
    holds: bool | None = None


@dataclass(frozen=True)
class UnsetTimer:
    """A timer at a moment (``at``) of a state the order is in that runs on no moment: the step it would
    take, the reason it would record, its expression and why it gives no moment (None: it gives none, an
    empty field)."""

    step: Text
    reason: Text | None
    at: str
    why: Text | None


def _approval_timeout(cv: CompiledVersion, state: str, prefix: str = "orders.timer") -> Text | None:
    """What an approval's timeout at ``state`` does, in the words ``prefix.<then>`` of the catalogue
    (orders.timer: 审批超时：升级给 销售总监; work.due: {when}升级给销售总监（审批超时）); None when the
    state declares none."""
    spec = next((s for s in cv.spec.states if s.name == state), None)
    timeout = spec.approval.timeout if spec is not None and spec.approval is not None else None
    if timeout is None:
        return None
    words = WORDS.get(f"{prefix}.{timeout.then}")
    if words is None:
        return None
    role = timeout.escalate_to if timeout.then == "escalate" else None
    target = None
    if timeout.then == "return":
        target = timeout.return_to or (spec.approval.return_to[0] if spec and spec.approval else None)
    label = next((s.label for s in cv.spec.states if s.name == target), Text(target or "", target or ""))
    return _both(
        lambda lang: words.get(lang).format(
            role=term("role", role, lang) if role is not None else "", state=label.get(lang), when="{when}"
        )
    )


def running_timers(
    cv: CompiledVersion, timers: Iterable[TimerRow], holding: Mapping[int, bool] | None = None
) -> tuple[RunningTimer, ...]:
    """The order's scheduled timers, soonest first, told by the version's labels; ``holding``: whether
    the condition of each timer with one holds now, by the timer's id
    (``engine.runtime.timer_conditions.timers_holding``)."""
    running: list[RunningTimer] = []
    operands: dict[str, Operand] | None = None  # read once a timer has a condition to tell
    for timer in sorted(timers, key=lambda t: (t.due_at, t.id)):
        if timer.status != TimerStatus.SCHEDULED:
            continue
        if timer.trigger == APPROVAL_TIMEOUT:
            does = _approval_timeout(cv, timer.state)
            if does is not None:
                sentence = _approval_timeout(cv, timer.state, "work.due")
                running.append(RunningTimer(timer.due_at, timer.trigger, does, None, None, sentence=sentence))
                continue
        declared = next(
            (
                t
                for t in cv.timers.get(timer.state, ())
                if (t.trigger, t.reason) == (timer.trigger, timer.reason)
            ),
            None,
        )
        when = None
        if declared is not None and declared.when:
            operands = order_operands(cv) if operands is None else operands
            zh, en = said(declared.when, None, operands, "zh"), said(declared.when, None, operands, "en")
            when = Text(zh, en) if zh is not None and en is not None else Text(declared.when, declared.when)
        step, reason = _timer_step(cv, timer.state, timer.trigger), _reason(timer.reason)
        at = declared.at if declared is not None else None
        holds = (holding or {}).get(timer.id) if when is not None else None
        running.append(RunningTimer(timer.due_at, timer.trigger, step, reason, when, at, holds=holds))
    return tuple(running)


def _timer_step(cv: CompiledVersion, state: str, trigger: str) -> Text:
    """The step a timer of ``state`` takes, by its transition's label (its trigger without one)."""
    return (
        next(
            (
                ct.spec.label
                for ct in cv.by_trigger.get(trigger, ())
                if ct.spec.label is not None and state in ct.spec.sources
            ),
            None,
        )
        or next((ct.spec.label for ct in cv.by_trigger.get(trigger, ()) if ct.spec.label), None)
        or Text(trigger, trigger)
    )


def _reason(reason: str | None) -> Text | None:
    return None if reason is None else Text(term("reason", reason, "zh"), term("reason", reason, "en"))


def unset_timers(
    cv: CompiledVersion, unset: Iterable[tuple[str, TimerSpec, Moment]]
) -> tuple[UnsetTimer, ...]:
    """The timers at a moment that run on none (``engine.runtime.moments.unset_moments``), in words."""
    return tuple(
        UnsetTimer(_timer_step(cv, state, timer.trigger), _reason(timer.reason), timer.at or "", moment.why)
        for state, timer, moment in unset
    )


@dataclass(frozen=True)
class WhyHere:
    """Why the order is where it is, told under its state at the top of its page: the event that brought
    it into its state (the page tells its decision, if a rule set decided), who acts next when the
    reader has no step to take (the roles of the steps people take out of the state, or the approvers
    still to sign, by their names; empty otherwise), the queue it waits in (its name and label), and
    the reason an approver gave for returning it here or declining it (their comment), if that is how
    it came. An automatic step that brought it says what set it off: a timer by its reason in words
    (超时未支付自动取消); into a final state, a rule decision a few automatic steps before it by that
    event (a rejection the order's cancel follows; not the routing of an order placed after it)."""

    event_id: int | None
    acts: bool  # the reader has a step to take on it now
    next: tuple[Text, ...] = ()
    queue: str | None = None
    queue_label: Text | None = None
    said: str | None = None
    cause: int | None = None  # the earlier event whose rule decision set off the step that brought it
    timer_reason: Text | None = None  # the reason of the timer whose step brought it, in words


def why_here(
    cv: CompiledVersion,
    state: str,
    history: Iterable[AuditRow],
    *,
    acts: bool,
    approvers: Iterable[tuple[str, str]] | None = None,
    names: Mapping[str, str] | None = None,
    timer_reasons: Collection[str] = (),
) -> WhyHere:
    """Why an order in ``state`` is there: the last event of ``history`` that moved it into ``state``
    (a step that stays where it is does not count); ``acts``: the reader has a step to take (then no
    one else is named); ``approvers``: the approval's tasks still to sign, (kind, approver) — a role's
    or a person's, by ``names`` (login -> display name) — else the roles of the state's steps;
    ``timer_reasons``: the reasons the version's timers record (a system step with one is a timer's)."""
    events = list(history)
    entered, said, declined_for, at = None, None, None, -1
    for n, event in enumerate(events):
        if event.trigger == APPROVAL_DECLINE and event.actor != SYSTEM_NAME:
            declined_for = event.reason  # the approver's comment; the decline's step follows it
        if event.to_state == state and event.from_state != state:
            entered, at = event.id, n
            said = event.reason if event.trigger == APPROVAL_RETURN and event.actor != SYSTEM_NAME else None
            if event.reason == DECLINED_STEP:
                said = declined_for
    cause, timer_reason = _set_off(events, at, timer_reasons)
    if not cv.is_final(split(state)):
        cause = None  # a decision before the step only ends what it led to (the order cancelled by it)
    queue, queue_label = _queue_of(cv, state)
    if acts:
        return WhyHere(entered, True, (), queue, queue_label, said, cause, timer_reason)
    people: list[Text] = []
    if approvers is not None:
        for kind, approver in approvers:
            if kind == "role":
                people.append(Text(term("role", approver, "zh"), term("role", approver, "en")))
            else:
                shown = (names or {}).get(approver, approver)
                people.append(Text(shown, shown))
    else:
        config = split(state)
        # the record steps taken there first (a shipment shipped, a refund paid: what moves the order on)
        for record_kind in cv.records.values():
            for ct in record_kind.transitions:
                if ct.spec.order_states and named_state_active(ct.spec.order_states, config):
                    roles = [r for r in ct.spec.roles if r != "system"]
                    people.extend(Text(term("role", r, "zh"), term("role", r, "en")) for r in roles)
        for ct in cv.transitions:
            if ct.spec.auto or not cv.source_matches(ct, config):
                continue
            people.extend(Text(term("role", r, "zh"), term("role", r, "en")) for r in ct.spec.roles)
    return WhyHere(
        entered, False, tuple(dict.fromkeys(people)), queue, queue_label, said, cause, timer_reason
    )


def _set_off(
    events: list[AuditRow], at: int, timer_reasons: Collection[str]
) -> tuple[int | None, Text | None]:
    """What set off the automatic step ``events[at]`` (the system's, deciding nothing itself): the
    timer whose reason it records, in words; else the rule decision of the step before it, going back
    through the system's steps that led one into the other (驳回 by the audit, then 取消 by itself).
    (None, None) for a person's step or one that decided itself."""
    if at < 0:
        return None, None
    event = events[at]
    if event.actor != SYSTEM_NAME or event.rules:
        return None, None
    if event.reason is not None and event.reason in timer_reasons:
        return None, _reason(event.reason)
    while at > 0:
        before = events[at - 1]
        if before.to_state != events[at].from_state:
            return None, None  # not the step that led to this one
        if before.rules:
            return before.id, None
        if before.actor != SYSTEM_NAME:
            return None, None
        at -= 1
    return None, None


@dataclass(frozen=True)
class StepSaid:
    """What a person sent with a step, as its line of the timeline shows it: the fields of the step's
    form that the step wrote (a reason, a note, a failed payment's code and message), each as sent, with
    the form's layout that names them (its labels, a choice by its title, money as money)."""

    layout: FormLayout
    data: Mapping[str, Any]
    # what the step corrected of what the order held (a price, a line removed: the fields its form
    # corrects, ``FormLayout.corrected``): old → new, in words
    changed: tuple[Text, ...] = ()
    # on a record's step, the layout of the record's own form, which names what the step wrote on the
    # record beside what was sent (an amount refunded, a reference, a carrier and a waybill)
    record_layout: FormLayout | None = None

    @property
    def layouts(self) -> tuple[FormLayout, ...]:
        """The layouts that name the fields of ``data``: the step's form's, then the record's."""
        return (self.layout,) if self.record_layout is None else (self.layout, self.record_layout)


def _field_value(spec: FieldLayout | None, value: Any) -> Text:
    """A value of a field as the timeline words it: a choice by its title, money as money."""
    if spec is not None:
        for option in spec.options:
            if option.value == value:
                return option.label
    return _value(value, spec is not None and (spec.widget == "money" or spec.format == "money"))


def _worded(key: str, **values: Text | str) -> Text:
    """The catalogue's words of ``key`` with ``values`` (each in its language, or the same in both)."""
    text = WORDS[key]

    def put(lang: str) -> dict[str, str]:
        return {name: v if isinstance(v, str) else v.get(lang) for name, v in values.items()}

    return Text(text.zh.format(**put("zh")), text.en.format(**put("en")))


def _joined(parts: list[Text], zh: str, en: str) -> Text:
    return Text(zh.join(p.zh for p in parts), en.join(p.en for p in parts))


def _row_changes(layout: FormLayout, name: str, old: list[Any], new: list[Any]) -> list[Text]:
    """A list of rows (an order's lines) corrected, row by row: each matched by its first field (the
    SKU), named by its first two (``HR-BCD470 海尔冰箱``); a row's changed fields old → new, a row
    removed, a row added with its values."""
    prefix = f"{name}{ITEMS}."
    fields = [
        (path.removeprefix(prefix), spec) for path, spec in layout.fields.items() if path.startswith(prefix)
    ]
    if not fields or not all(isinstance(row, Mapping) for row in (*old, *new)):
        return []
    key = fields[0][0]

    def named(row: Mapping[str, Any]) -> str:
        return " ".join(str(row[f]) for f, _ in fields[:2] if row.get(f) not in (None, ""))

    def by_key(rows: list[Any]) -> dict[Any, Mapping[str, Any]]:
        found: dict[Any, Mapping[str, Any]] = {}
        for row in rows:
            found.setdefault(row.get(key), row)
        return found

    before, after = by_key(old), by_key(new)
    out: list[Text] = []
    for value, row in after.items():
        was = before.get(value)
        if was is None:
            values = [
                _joined([spec.label, _field_value(spec, row[f])], " ", " ")
                for f, spec in fields[2:]
                if row.get(f) is not None
            ]
            out.append(_worded("orders.changed.added", row=named(row), values=_joined(values, "，", ", ")))
            continue
        moved = [
            _worded(
                "orders.changed.field",
                label=spec.label,
                old=_field_value(spec, was.get(f)),
                new=_field_value(spec, row.get(f)),
            )
            for f, spec in fields
            if was.get(f) != row.get(f)
        ]
        if moved:
            out.append(_worded("orders.changed.row", row=named(row), changes=_joined(moved, "；", "; ")))
    out.extend(
        _worded("orders.changed.removed", row=named(row))
        for value, row in before.items()
        if value not in after
    )
    return out


def step_changes(layout: FormLayout, changes: Mapping[str, Any]) -> tuple[Text, ...]:
    """What a step changed of the fields of its form that the order held before (``data_changes``
    [old, new], old not none), in the form's order: a list of rows row by row (``_row_changes``), any
    other field ``订单金额（元）：53,540.00 → 12,982.00``."""
    out: list[Text] = []
    for name in [
        *(n for n in layout.fields if n in changes),
        *(n for n in changes if n not in layout.fields),
    ]:
        change = changes[name]
        if not (isinstance(change, list) and len(change) == 2) or change[0] is None or change[0] == change[1]:
            continue
        old, new = change
        if isinstance(old, list) and isinstance(new, list):
            out.extend(_row_changes(layout, name, old, new))
            continue
        spec = layout.fields.get(name)
        if spec is not None:
            was, now = _field_value(spec, old), _field_value(spec, new)
            out.append(_worded("orders.changed", label=spec.label, old=was, new=now))
    return tuple(out)


def _holds_masked(name: str, masked: Collection[str]) -> bool:
    """Whether the field ``name`` is, or holds, a field some roles see masked (``contact.mobile``)."""
    return any(path == name or path.startswith((f"{name}.", f"{name}{ITEMS}")) for path in masked)


def step_said(cv: CompiledVersion, event: AuditRow, revealed: bool = True) -> StepSaid | None:
    """What the step of ``event`` was sent with, from the changes it wrote (``data_changes``): the
    top-level fields of the step's form (an order's step, or a record's: ``payment.refund``, whose
    changes name the record, ``payment#1.refund_reason``) that it set to something; and, old → new,
    what it changed of the fields its form corrects (``FormLayout.corrected``: a wholesale order's
    lines and total on resubmit), never of the step's own input (a refund paid in two parts, a second
    return of the order: each as it was sent, not an edit of the one before), a field its action
    wrote from what was sent included (a carrier, the waybill the carrier issued). On a record's step,
    a person's or one the engine took for an order's step (a cancel's refund on a payment), what it
    wrote on the record besides, by the record's form (the amount refunded, a reference): what the
    step did, shown whoever took it. None for an order's step without a form, or whose form's fields
    it left as they were, and for the engine's own steps on the order. Masked fields masked unless
    ``revealed``."""
    kind, dot, step = event.trigger.partition(".")
    on_record = bool(dot) and kind in cv.records
    if event.actor == SYSTEM_NAME and not on_record:
        return None
    if on_record:
        transitions: Iterable[CompiledTransition] = cv.records[kind].by_trigger.get(step, ())
        changes = {
            key.partition(".")[2]: change
            for key, change in (event.data_changes or {}).items()
            if key.startswith(f"{kind}#")
        }
    else:
        transitions = cv.by_trigger.get(event.trigger, ())
        changes = dict(event.data_changes or {})
    said = None if event.actor == SYSTEM_NAME else _form_said(cv, transitions, changes, on_record, revealed)
    if not on_record:
        return said
    wrote = _record_wrote(cv, kind, changes, said, revealed)
    if wrote is None:
        return said
    layout, written = wrote
    if said is None:
        return StepSaid(layout, written)
    return replace(said, data={**said.data, **written}, record_layout=layout)


def _record_wrote(
    cv: CompiledVersion,
    kind: str,
    changes: Mapping[str, Any],
    said: StepSaid | None,
    revealed: bool,
) -> tuple[FormLayout, dict[str, Any]] | None:
    """What a record's step wrote on the record, by the record's form (an amount refunded, a reference,
    a carrier, a waybill), whoever took it (a person, or the system for an order's step): the fields it
    set or changed to something, beside what was sent, times left out (the line has its own). None
    when the kind has no form, or the step wrote none of its fields."""
    path = cv.records[kind].spec.form
    layout = cv.layouts.get(path) if path is not None else None
    if layout is None:
        return None
    sent = said.data if said is not None else {}
    written = {
        name: change[1]
        for name, change in changes.items()
        if name in layout.fields
        and name not in sent
        and layout.fields[name].format != "date-time"
        and isinstance(change, list)
        and len(change) == 2
        and change[0] != change[1]
        and change[1] not in (None, "", [])
    }
    if not written:
        return None
    shown = written if revealed or not cv.masked else masked_data(written, cv.masked)
    return layout, {name: shown[name] for name in layout.fields if name in shown}


def _form_said(
    cv: CompiledVersion,
    transitions: Iterable[CompiledTransition],
    changes: Mapping[str, Any],
    on_record: bool,
    revealed: bool,
) -> StepSaid | None:
    """What a person sent with the step: the fields of its form it set (``step_said``)."""
    for ct in transitions:
        if ct.layout is None:
            continue
        sent = {
            name: change[1]
            for name, change in changes.items()
            if name in ct.form_fields
            and isinstance(change, list)
            and len(change) == 2
            and change[1] not in (None, "", [])
        }
        if sent:
            shown = sent if revealed or not cv.masked else masked_data(sent, cv.masked)
            ordered = {name: shown[name] for name in ct.layout.fields if name in shown}
            # old → new, what it corrected of the order's: a record's step corrects nothing (a form
            # starts from the order's data, never from the record's)
            corrects = frozenset() if on_record else ct.layout.corrected()
            corrected = {
                name: changes[name]
                for name in sent
                if name in corrects and (revealed or not _holds_masked(name, cv.masked))
            }
            return StepSaid(ct.layout, {**ordered, **shown}, step_changes(ct.layout, corrected))
    return None


def _queue_of(cv: CompiledVersion, state: str) -> tuple[str | None, Text | None]:
    """The queue the order waits in at ``state`` (declared by a leaf or a state around it): its name,
    and its label (the glossary's, else the state's)."""
    paths = active_paths(split(state))
    for spec in cv.spec.states:
        if spec.name in paths and spec.queue is not None:
            return spec.queue, WORDS.get(f"term.queue.{spec.queue}", spec.label)
    return None, None


def event_action(event: AuditRow, labels: Mapping[str, Text], names: Mapping[str, str] | None = None) -> Text:
    """What an event of the timeline did: the step's label; an order's creation, a move to another
    version of its workflow (``迁移到第 4 版``), an approver's action, a claim and an order assigned
    (``指派给 王强``: the assignee by the name of ``names``, login -> display name) in words."""
    if event.trigger == CREATE_TRIGGER:
        return WORDS["orders.created"]
    if event.trigger == MIGRATE_TRIGGER:
        to = (event.reason or "").rpartition("v")[2]
        if to.isdigit():
            return _words("orders.why.migrated", version=int(to))
        return WORDS["orders.why.migrated_somewhere"]
    if event.trigger == ASSIGN_TRIGGER and event.reason:
        return _words("work.event.assign", name=(names or {}).get(event.reason, event.reason))
    label = labels.get(event.trigger)
    if label is not None:
        number = _record_number(event)
        return label if number is None else Text(f"{label.zh} #{number}", f"{label.en} #{number}")
    # an approver's action (approval.approve …), a claim, a release, a take-over: no step of the workflow
    trigger = event.trigger
    said = (
        WORDS.get(f"approval.event.{trigger}")
        if trigger.startswith("approval.")
        else WORDS.get(f"work.event.{trigger.removeprefix('work.')}")
        if trigger.startswith("work.")
        else None
    )
    return said if said is not None else Text(trigger, trigger)


def _record_number(event: AuditRow) -> str | None:
    """The number of the record a record's event (``payment.capture``) moved: its changes name it
    ``payment#2.<field>``; None for any other event."""
    kind, dot, _ = event.trigger.partition(".")
    if not dot:
        return None
    prefix = f"{kind}#"
    for key in event.data_changes:
        if key.startswith(prefix):
            number = key[len(prefix) :].partition(".")[0]
            if number.isdigit():
                return number
    return None


def actor_text(event: AuditRow, names: Mapping[str, str], timer_reasons: Collection[str]) -> Text:
    """Who took a step, by name: a person by the display name, the engine in words (a timer, or the
    system: a step taken by itself says so in its reason), a correlation watch as one."""
    actor = event.actor
    if actor == SYSTEM_NAME:
        if event.reason is not None and event.reason in timer_reasons:
            return WORDS["orders.why.actor.timer"]
        return WORDS["orders.why.actor.system"]
    if actor.startswith(CORRELATION_PREFIX):
        return WORDS["orders.why.actor.watch"]
    shown = names.get(actor)
    return Text(shown, shown) if shown else Text(actor, actor)


@dataclass(frozen=True)
class BesideField:
    """A guard's refusal told beside the field of the step's form it read (``data.amount``): the field
    and the values compared, by their labels (``到账金额 4,900.00 少于订单金额 5,128.00``)."""

    field: str
    words: Text


_FAILED = {ast.GtE: "ge", ast.Gt: "gt", ast.LtE: "le", ast.Lt: "lt", ast.Eq: "eq", ast.NotEq: "ne"}
_FORM, _ORDER = "data", "order"


def _side(node: ast.expr, value: Any, step: FormLayout, order: FormLayout | None) -> tuple[Text, str | None]:
    """One side of a comparison: its label and value (money by its field), and the step form's field
    it reads (``data.amount``: ``amount``), if any."""
    root = node.value.id if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) else None
    field: FieldLayout | None = None
    if root == _FORM and isinstance(node, ast.Attribute):
        field = step.fields.get(node.attr)
    elif root == _ORDER and isinstance(node, ast.Attribute) and order is not None:
        field = order.fields.get(node.attr)
    money = field is not None and (field.widget == "money" or field.format == "money")
    shown = _value(value, money)
    if field is None:
        return shown, None
    return Text(f"{field.label.zh} {shown.zh}", f"the {field.label.en} {shown.en}"), (
        node.attr if root == _FORM and isinstance(node, ast.Attribute) else None
    )


def guard_beside_field(
    refusal: Refusal, step: FormLayout | None, order: FormLayout | None
) -> BesideField | None:
    """Where a guard's refusal is shown on a step's page: beside the field of the step's form that the
    comparison which failed reads (``data.amount >= order.total``: beside ``amount``), with the values
    compared; None for another refusal, or one that reads no field of the form (the summary tells it)."""
    if refusal.code != RefusalCode.GUARD or step is None:
        return None
    for comparison in refusal.details.get("comparisons") or ():
        if not isinstance(comparison, Mapping) or comparison.get("result") is not False:
            continue
        try:
            tree = parse(str(comparison.get("expr", "")))
        except ExpressionError:
            continue
        compare = tree.body
        if not isinstance(compare, ast.Compare) or len(compare.ops) != 1:
            continue
        failed = _FAILED.get(type(compare.ops[0]))
        if failed is None:
            continue
        left, field = _side(compare.left, comparison.get("left"), step, order)
        right, other = _side(compare.comparators[0], comparison.get("right"), step, order)
        field = field or other
        if field is None:
            continue
        op = WORDS[f"orders.op.{failed}"]
        said = WORDS["orders.field_refused"]
        return BesideField(
            field,
            Text(
                said.zh.format(left=left.zh, op=op.zh, right=right.zh),
                _capital(said.en.format(left=left.en, op=op.en, right=right.en)),
            ),
        )
    return None


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def refusal_words(refusal: Refusal) -> Text:
    """A refusal as a clerk's page says it: one that names roles names them by the glossary (需要角色
    审核员 / needs the role Reviewer, not ``reviewer``); the others as the engine worded them."""
    roles = refusal.details.get("roles") if refusal.code == RefusalCode.ROLE else None
    if not isinstance(roles, list) or not roles:
        return Text(refusal.zh, refusal.en)
    said = WORDS["orders.needs_role"]
    return Text(
        said.zh.format(roles=" 或 ".join(term("role", str(r), "zh") for r in roles)),
        said.en.format(roles=" or ".join(term("role", str(r), "en") for r in roles)),
    )
