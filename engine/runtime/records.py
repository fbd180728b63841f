"""An order's child records moving: a record added, a record's trigger fired.

Each runs inside the transaction of the order's step (or of the record step a person fires), with the
order's discipline: the role, the form, the guard, the actions, the record's data contract, an audit
event naming the record, outbox messages. Nothing is written here: the records changed are written with
the order (``Commands.write``), where their lock versions still match.

The names a record transition's condition reads are the order's (``order``, ``data``, ``actor``,
``now``, ``records``) and ``record``: the record it moves, its fields with ``number`` and ``state``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from engine.common.suggest import did_you_mean, near_miss
from engine.common.text import Text
from engine.errors import PluginError, Refusal, RefusalCode, TransitionRejected
from engine.forms.per_record import per_record_fields
from engine.plugins import ActionContext, ClaimOn
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.compiled import (
    CompiledRecordKind,
    CompiledTransition,
    CompiledVersion,
    StateConfig,
    joined,
    named_state_active,
)
from engine.runtime.decisions import Moving, action_refusal, check_guard, condition_env, role_refusal
from engine.runtime.record_state import LiveRecord, RecordEvent
from engine.runtime.results import RecordStep, RecordView

ADD = "add"  # the audit trail's trigger for a record added: ``payment.add``


def record_kind(moving: Moving, kind: str) -> CompiledRecordKind:
    """The compiled kind, or a refusal naming the kinds the workflow declares."""
    found = moving.cv.records.get(kind)
    if found is not None:
        return found
    kinds = sorted(moving.cv.records)
    raise TransitionRejected(
        [
            Refusal(
                RefusalCode.UNKNOWN_TRIGGER,
                f"流程 {moving.cv.spec.name} 没有记录类型 {kind!r}；已声明：{'、'.join(kinds) or '无'}"
                f"{did_you_mean(kind, kinds, 'zh')}",
                f"workflow {moving.cv.spec.name} has no record kind {kind!r}; declared: "
                f"{', '.join(kinds) or 'none'}{did_you_mean(kind, kinds)}",
                {"kind": kind, "kinds": kinds, "suggestion": near_miss(kind, kinds)},
            )
        ]
    )


def find_record(moving: Moving, kind: str, number: int) -> LiveRecord:
    record_kind(moving, kind)
    for record in (moving.order.records or {}).get(kind, []):
        if record.number == number:
            return record
    label = moving.cv.records[kind].spec.label
    raise TransitionRejected(
        [
            Refusal(
                RefusalCode.NOT_FOUND,
                f"订单 #{moving.order.id} 没有{label.zh} #{number}",
                f"order #{moving.order.id} has no {label.en.lower()} #{number}",
                {"kind": kind, "number": number},
            )
        ]
    )


def add_record(moving: Moving, kind: str, data: Mapping[str, Any], actor: Actor) -> LiveRecord:
    """Add a record of ``kind`` in its initial state, numbered after the order's others of its kind."""
    compiled = record_kind(moving, kind)
    records = (moving.order.records or {}).setdefault(kind, [])
    number = max((r.number for r in records), default=0) + 1
    record = LiveRecord(None, kind, number, compiled.spec.initial, dict(data), 0, changed=True)
    contract_refusals(compiled, record)
    records.append(record)
    changes: dict[str, Any] = {f"{record.name}.state": [None, record.state]}
    changes.update((f"{record.name}.{key}", [None, value]) for key, value in record.data.items())
    moving.record_events.append(RecordEvent(f"{kind}.{ADD}", actor.name, changes))
    return record


def contract_refusals(compiled: CompiledRecordKind, record: LiveRecord) -> None:
    """Refuse a record whose fields break its kind's data contract (``form:`` of the kind)."""
    if compiled.form is None or compiled.spec.form is None:
        return
    errors = compiled.form.messages(record.data, None)
    if errors:
        raise TransitionRejected([error.refusal(compiled.spec.form) for error in errors])


def fire_record_step(
    moving: Moving,
    kind: str,
    number: int,
    trigger: str,
    actor: Actor,
    data: Mapping[str, Any],
    access: RecordOps,
) -> LiveRecord:
    """Fire ``trigger`` on the record: pick its transition (role, form, guard), run the actions, move
    it. ``TransitionRejected`` says why not; the order's own data changes only through ``set_order``."""
    compiled = record_kind(moving, kind)
    record = find_record(moving, kind, number)
    live = moving.order
    if not actor.is_system and moving.cv.is_final(live.config):
        raise TransitionRejected([_closed(moving, compiled, {"number": number})])
    found = [ct for ct in compiled.by_trigger.get(trigger, ()) if record.state in ct.spec.sources]
    if not found:
        raise TransitionRejected([_unavailable(compiled, record, trigger)])
    refusals: list[Refusal] = []
    for ct in found:
        refusal = role_refusal(ct, actor) or order_state_refusal(moving.cv, compiled, ct, live.config)
        if refusal is not None:
            refusals.append(refusal)
            continue
        _check_form(ct, kind, trigger, data)
        env = condition_env(live, actor, data, moving.now)
        env["record"] = record.view()
        guards, failed = check_guard(ct, env)
        if failed is not None:
            refusals.append(failed)
            continue
        _move(moving, compiled, ct, record, actor, data, guards, access)
        return record
    raise TransitionRejected(refusals)


def _closed(moving: Moving, compiled: CompiledRecordKind, details: Mapping[str, Any]) -> Refusal:
    live, label = moving.order, compiled.spec.label
    return Refusal(
        RefusalCode.STATE,
        f"订单 #{live.id} 已结束，它的{label.zh}不能再变动",
        f"order #{live.id} is closed: its {label.en.lower()} records no longer change",
        {"state": joined(live.config), "kind": compiled.spec.name, **details},
    )


def kind_step(cv: CompiledVersion, trigger: str) -> tuple[str, str] | None:
    """``(kind, trigger)`` when ``trigger`` names a step of one of the version's record kinds as the audit
    trail does, ``<kind>.<trigger>`` (``shipment.ship``: a step taken on many orders' records at once);
    None when it names no record kind of the version (an order's own step)."""
    kind, dot, step = trigger.partition(".")
    return (kind, step) if dot and kind in cv.records else None


def kind_step_label(compiled: CompiledRecordKind, trigger: str) -> Text:
    """A record kind's step as a page names it: the kind's label and the step's (``发货单：发货`` /
    ``Shipment: Ship``)."""
    step, kind = _step_label(compiled, trigger), compiled.spec.label
    return Text(f"{kind.zh}：{step.zh}", f"{kind.en}: {step.en}")


def _step_label(compiled: CompiledRecordKind, trigger: str) -> Text:
    labels = [ct.spec.label for ct in compiled.by_trigger.get(trigger, ()) if ct.spec.label is not None]
    return labels[0] if labels else Text(trigger, trigger)


def takers(
    moving: Moving, compiled: CompiledRecordKind, trigger: str, actor: Actor, *, judged: bool
) -> tuple[tuple[int, ...], tuple[Refusal, ...]]:
    """The numbers of the order's records of the kind ``actor`` may take ``trigger`` on now: each in a
    state the step leaves, with a role of the step's; ``judged``: their guards judged too, those that
    read nothing the step's form fills (as a page offers a step). When there are none, why not: each
    refusal met, else that no record is where the step leaves from (the records' states said). A kind's
    step is taken on many orders where it is the order's work, as my work counts it: where its
    ``order_states:`` name the order's state (``due_transitions``); elsewhere the order is refused
    with why, whatever its records."""
    live, kind = moving.order, compiled.spec.name
    if not actor.is_system and moving.cv.is_final(live.config):
        return (), (_closed(moving, compiled, {"trigger": trigger}),)
    elsewhere = _not_due(moving.cv, compiled, trigger, live.config)
    if elsewhere is not None:
        return (), (elsewhere,)
    numbers: list[int] = []
    refusals: list[Refusal] = []
    records = (live.records or {}).get(kind, [])
    for record in records:
        found = [ct for ct in compiled.by_trigger.get(trigger, ()) if record.state in ct.spec.sources]
        why: list[Refusal] = []
        for ct in found:
            refusal = role_refusal(ct, actor)
            if refusal is None and judged and (not ct.guard_reads_form or ct.before_form is not None):
                env = condition_env(live, actor, {}, moving.now)
                env["record"] = record.view()
                part = ct.before_form if ct.guard_reads_form else None
                refusal = check_guard(ct, env, part)[1]
            if refusal is None:
                numbers.append(record.number)
                break
            why.append(refusal)
        else:
            refusals.extend(r for r in why if r not in refusals)
    if numbers or refusals:
        return tuple(numbers), () if numbers else tuple(refusals)
    return (), (_none_takes(moving, compiled, trigger, records),)


def _not_due(
    cv: CompiledVersion, compiled: CompiledRecordKind, trigger: str, config: StateConfig
) -> Refusal | None:
    """Why the kind's step ``trigger`` is not taken on the order's records at once in ``config`` (None:
    the ``order_states:`` of one of its transitions name an active state, or the kind has no such
    step, said by ``_none_takes``): the states it is taken in, or that it names none (it is taken on
    one record, on the order's page)."""
    found = compiled.by_trigger.get(trigger, ())
    if not found or any(named_state_active(ct.spec.order_states, config) for ct in found):
        return None
    for ct in found:
        refusal = order_state_refusal(cv, compiled, ct, config)
        if refusal is not None:
            return refusal
    kind, step = compiled.spec.label, _step_label(compiled, trigger)
    return Refusal(
        RefusalCode.STATE,
        f"{kind.zh}的「{step.zh}」不批量执行：它没有指明在哪些订单状态执行（order_states），"
        "请在订单页面逐条执行",
        f"{step.en} on a {kind.en.lower()} is not taken on many orders: it names no order states "
        "(order_states); take it on each record from the order's page",
        {"kind": compiled.spec.name, "trigger": trigger, "state": joined(config)},
    )


def _none_takes(
    moving: Moving, compiled: CompiledRecordKind, trigger: str, records: Sequence[LiveRecord]
) -> Refusal:
    if trigger not in compiled.by_trigger:
        return _unknown_trigger(compiled, trigger)
    label, step = compiled.spec.label, _step_label(compiled, trigger)
    shown = [(r.number, compiled.spec.state(r.state).label) for r in records]
    return Refusal(
        RefusalCode.STATE,
        f"订单 #{moving.order.id} 没有可{step.zh}的{label.zh}"
        f"（{'，'.join(f'#{n} {s.zh}' for n, s in shown) or '一个也没有'}）",
        f"order #{moving.order.id} has no {label.en.lower()} to {step.en.lower()} now "
        f"({', '.join(f'#{n} {s.en.lower()}' for n, s in shown) or 'it has none'})",
        {"kind": compiled.spec.name, "trigger": trigger, "states": {str(r.number): r.state for r in records}},
    )


def fire_kind_step(
    moving: Moving, kind: str, trigger: str, actor: Actor, data: Mapping[str, Any], access: RecordOps
) -> tuple[int, ...]:
    """Fire ``trigger`` with ``data`` on each of the order's records of ``kind`` that may take it now (in
    a state it leaves, a role of the step's), one after the other in the order's transaction; the
    numbers of those moved. ``TransitionRejected`` when none may, or when one of them is refused (its
    guard, its form, an action): then none of them is written."""
    compiled = record_kind(moving, kind)
    separate = _per_record_posted(moving.cv, compiled, trigger, data)
    if separate:
        raise TransitionRejected(separate)
    numbers, refusals = takers(moving, compiled, trigger, actor, judged=False)
    if not numbers:
        raise TransitionRejected(list(refusals))
    for number in numbers:
        fire_record_step(moving, kind, number, trigger, actor, data, access)
    return numbers


def _per_record_posted(
    cv: CompiledVersion, compiled: CompiledRecordKind, trigger: str, data: Mapping[str, Any]
) -> list[Refusal]:
    """A field the step's form marks ``x-per-record`` (a waybill number: each parcel's own) sent for
    many records at once: one refusal naming each, by its label; the batch's form never offers it."""
    refusals: list[Refusal] = []
    for path in dict.fromkeys(ct.spec.form for ct in compiled.by_trigger.get(trigger, ()) if ct.spec.form):
        schema = cv.spec.forms[path]
        for name in per_record_fields(schema):
            if name in data and name not in {r.details.get("field") for r in refusals}:
                label = cv.layouts[path].fields[name].label if name in cv.layouts[path].fields else None
                words = label or Text(name, name)
                refusals.append(
                    Refusal(
                        RefusalCode.FORM,
                        f"「{words.zh}」每条{compiled.spec.label.zh}各不相同，不能在批量操作中统一填写；"
                        "请留空，或在订单页面逐条填写",
                        f"{words.en} differs for each {compiled.spec.label.en.lower()}: it is not given to "
                        "many at once; leave it out, or fill it in on each record from the order's page",
                        {"field": name, "form": path},
                    )
                )
    return refusals


def order_state_refusal(
    cv: CompiledVersion, compiled: CompiledRecordKind, ct: CompiledTransition, config: StateConfig
) -> Refusal | None:
    """Why the record step ``ct`` is not taken in the order's state (None: its ``order_states:`` name
    an active state of the order, or it names none): the order's state and the states it waits for."""
    named = ct.spec.order_states
    if not named or named_state_active(named, config):
        return None
    now, wanted = cv.state_words(config), [cv.state_words((name,)) for name in named]
    kind = compiled.spec.label
    step = ct.spec.label or Text(ct.spec.trigger, ct.spec.trigger)
    return Refusal(
        RefusalCode.STATE,
        f"订单处于「{now.zh}」：{kind.zh}的「{step.zh}」须在订单处于"
        f"{'或'.join(f'「{w.zh}」' for w in wanted)}时执行",
        f"the order is {now.en}: {step.en} on a {kind.en.lower()} is taken when the order is "
        f"{' or '.join(w.en for w in wanted)}",
        {"state": joined(config), "order_states": list(named), "kind": compiled.spec.name},
    )


def due_transitions(
    cv: CompiledVersion, config: StateConfig, actor: Actor | None = None
) -> list[tuple[str, CompiledTransition]]:
    """(kind, transition) of the record transitions whose ``order_states:`` name an active state of
    ``config`` (and, given ``actor``, whose roles are theirs): the record steps that are the order's work
    there. The one rule my work, the order page and a batch go by: who takes one acts on the order, and
    a batch offers it on the orders listed in that state."""
    return [
        (kind, ct)
        for kind, compiled in cv.records.items()
        for ct in compiled.transitions
        if ct.spec.order_states
        and named_state_active(ct.spec.order_states, config)
        and (actor is None or role_refusal(ct, actor) is None)
    ]


def steps_due(cv: CompiledVersion, config: StateConfig) -> frozenset[tuple[str, str]]:
    """(kind, trigger) of the record transitions whose ``order_states:`` name an active state of
    ``config``: the record steps that are the order's work there (who takes them acts on it)."""
    return frozenset((kind, ct.spec.trigger) for kind, ct in due_transitions(cv, config))


def _unknown_trigger(compiled: CompiledRecordKind, trigger: str) -> Refusal:
    """A trigger the record kind does not have, with the nearest it has."""
    label, known = compiled.spec.label, sorted(compiled.by_trigger)
    return Refusal(
        RefusalCode.UNKNOWN_TRIGGER,
        f"{label.zh}没有操作 {trigger!r}{did_you_mean(trigger, known, 'zh')}",
        f"a {label.en.lower()} has no trigger {trigger!r}{did_you_mean(trigger, known)}",
        {"trigger": trigger, "triggers": known, "suggestion": near_miss(trigger, known)},
    )


def _unavailable(compiled: CompiledRecordKind, record: LiveRecord, trigger: str) -> Refusal:
    if trigger not in compiled.by_trigger:
        return _unknown_trigger(compiled, trigger)
    label = compiled.spec.label
    possible = compiled.available(record.state)
    state = compiled.spec.state(record.state).label
    return Refusal(
        RefusalCode.STATE,
        f"{label.zh} #{record.number} 处于「{state.zh}」，不能执行 {trigger}；"
        f"当前可执行：{'、'.join(possible) or '无'}",
        f"{label.en} #{record.number} is {state.en}: {trigger!r} is not available; available now: "
        f"{', '.join(possible) or 'none'}",
        {"state": record.state, "trigger": trigger, "available": possible},
    )


def _check_form(ct: CompiledTransition, kind: str, trigger: str, data: Mapping[str, Any]) -> None:
    if ct.form is None or ct.spec.form is None:
        if data:
            raise TransitionRejected(
                [
                    Refusal(
                        RefusalCode.FORM,
                        f"{kind}.{trigger} 没有表单，不接收数据：{'、'.join(sorted(data))}",
                        f"{kind}.{trigger} has no form and takes no data: {', '.join(sorted(data))}",
                        {"fields": sorted(data)},
                    )
                ]
            )
        return
    unknown = sorted(key for key in data if key not in ct.form_fields)
    errors = [e.refusal(ct.spec.form) for e in ct.form.messages(dict(data), ct.layout)]
    if unknown:
        errors.insert(
            0,
            Refusal(
                RefusalCode.FORM,
                f"表单 {ct.spec.form} 没有字段：{'、'.join(unknown)}",
                f"form {ct.spec.form} has no field {', '.join(unknown)}",
                {"fields": unknown, "form": ct.spec.form},
            ),
        )
    if errors:
        raise TransitionRejected(errors)


def _move(
    moving: Moving,
    compiled: CompiledRecordKind,
    ct: CompiledTransition,
    record: LiveRecord,
    actor: Actor,
    data: Mapping[str, Any],
    guards: list[dict[str, Any]],
    access: RecordOps,
) -> None:
    live, kind = moving.order, compiled.spec.name
    trigger = f"{kind}.{ct.spec.trigger}"
    before, order_before = dict(record.data), dict(live.data)
    from_state = record.state
    dest = ct.spec.dest or from_state
    for name in _undone_fields(moving.cv, compiled, ct):  # a retry: the failure it retries is past
        record.data.pop(name, None)
    record.data.update(data)
    outbox: list[tuple[str, dict[str, Any]]] = []
    labels = _step_labels(moving, compiled, ct, record, from_state, dest) if ct.actions else {}
    for name, action in ct.actions:
        ctx = ActionContext(
            connection=moving.tx.connection,
            order_id=live.id,
            department=live.department,
            workflow=live.workflow,
            trigger=trigger,
            source=from_state,
            dest=dest,
            actor=actor.name,
            data=dict(record.data),
            now=moving.now,
            outbox=outbox,
            labels=labels,
            records=access,
            record=record.view(),
            order=dict(live.data),
            claims=access.claims,
        )
        try:
            changes = action(ctx)
        except PluginError as error:
            raise TransitionRejected([action_refusal(name, trigger, error)]) from error
        for field_name, value in (changes or {}).items():  # None takes the field off the record
            if value is None:
                record.data.pop(field_name, None)
            else:
                record.data[field_name] = value
        for key, value in ctx.order_changes.items():  # None removes the field, as ``set:`` null does
            if value is None:
                live.data.pop(key, None)
            else:
                live.data[key] = value
    record.state = dest
    record.changed = True
    contract_refusals(compiled, record)
    changes_seen: dict[str, Any] = {}
    if from_state != dest:
        changes_seen[f"{record.name}.state"] = [from_state, dest]
    for key in before.keys() | record.data.keys():
        old, new = before.get(key), record.data.get(key)
        if old != new:
            changes_seen[f"{record.name}.{key}"] = [old, new]
    for key in order_before.keys() | live.data.keys():
        old, new = order_before.get(key), live.data.get(key)
        if old != new:
            changes_seen[key] = [old, new]
    moving.record_events.append(RecordEvent(trigger, actor.name, changes_seen, guards, outbox))


def _undone_fields(cv: CompiledVersion, compiled: CompiledRecordKind, ct: CompiledTransition) -> list[str]:
    """The fields a record step clears because it goes back on an earlier step: a step from where that
    step led back to where it came from (a refund's ``retry``, failed → pending, after its ``fail``,
    pending → failed) clears what that step's form wrote (the failure's reason), so the record no
    longer reads as failed; the timeline keeps what was said. A field the record's form requires is
    kept, and steps that stay where they are (a part paid) go back on nothing."""
    dest = ct.spec.dest
    if dest is None or dest in ct.spec.sources:
        return []
    form = cv.spec.forms.get(compiled.spec.form) if compiled.spec.form is not None else None
    required = set(form.get("required") or ()) if form is not None else set()
    return sorted(
        name
        for earlier in compiled.transitions
        if earlier.layout is not None
        and earlier.spec.dest is not None
        and earlier.spec.dest in ct.spec.sources
        and earlier.spec.dest not in earlier.spec.sources
        and dest in earlier.spec.sources
        for name in earlier.form_fields
        if name not in required
    )


def _step_labels(
    moving: Moving,
    compiled: CompiledRecordKind,
    ct: CompiledTransition,
    record: LiveRecord,
    source: str,
    dest: str,
) -> dict[str, dict[str, str]]:
    """How people read a record's step, in both languages (as ``ActionContext.labels`` of an order's
    step): the workflow's title, the record and the step (``发货单 #2：发货`` / ``Shipment #2: Ship``), and
    the record's states."""
    kind, title = compiled.spec.label, moving.cv.spec.title
    step = ct.spec.label or Text(ct.spec.trigger, ct.spec.trigger)
    before, after = compiled.spec.state(source).label, compiled.spec.state(dest).label
    return {
        "workflow": {"zh": title.zh, "en": title.en},
        "trigger": {
            "zh": f"{kind.zh} #{record.number}：{step.zh}",
            "en": f"{kind.en} #{record.number}: {step.en}",
        },
        "from": {"zh": before.zh, "en": before.en},
        "to": {"zh": after.zh, "en": after.en},
    }


class RecordOps:
    """The order's records as actions reach them (``engine.plugins.RecordAccess``): what an order
    step's action adds or fires runs as the system, inside the same transaction. ``claims``: on a
    record's step taken by a person (a clerk's refund on a payment), what the orders about this one
    claim of its money (``ActionContext.claims``)."""

    def __init__(
        self,
        moving: Moving,
        actor: Actor = SYSTEM,
        claims: Callable[[], Sequence[ClaimOn]] | None = None,
    ) -> None:
        self.moving = moving
        self.actor = actor
        self.claims = claims

    def of(self, kind: str) -> list[Mapping[str, Any]]:
        record_kind(self.moving, kind)
        return [record.view() for record in (self.moving.order.records or {}).get(kind, [])]

    def add(self, kind: str, data: Mapping[str, Any]) -> int:
        return add_record(self.moving, kind, data, self.actor).number

    def fire(self, kind: str, number: int, trigger: str, data: Mapping[str, Any] | None = None) -> None:
        fire_record_step(self.moving, kind, number, trigger, SYSTEM, data or {}, self)


__all__ = [
    "ADD",
    "RecordOps",
    "RecordStep",
    "RecordView",
    "add_record",
    "due_transitions",
    "find_record",
    "fire_kind_step",
    "fire_record_step",
    "kind_step",
    "kind_step_label",
    "record_kind",
    "record_views",
    "steps_due",
    "takers",
]


def record_views(moving: Moving, actor: Actor) -> list[RecordView]:
    """The order's records, kind by kind as the workflow declares them, each with the steps ``actor``
    could take on it (none once the order is closed)."""
    live, cv = moving.order, moving.cv
    closed = cv.is_final(live.config)
    views: list[RecordView] = []
    for kind, compiled in cv.records.items():
        for record in (live.records or {}).get(kind, []):
            state = compiled.spec.state(record.state)
            steps: list[RecordStep] = []
            if not closed:
                for trigger in compiled.available(record.state):
                    steps.append(_offered(moving, compiled, record, trigger, actor))
            views.append(
                RecordView(
                    kind=kind,
                    kind_label=compiled.spec.label,
                    number=record.number,
                    state=record.state,
                    state_label=state.label,
                    final=state.final,
                    data=dict(record.data),
                    steps=tuple(steps),
                    value_labels=steps_named(record.data, cv.transitions),
                )
            )
    return views


def steps_named(
    data: Mapping[str, Any], transitions: Iterable[CompiledTransition]
) -> dict[str, dict[str, Text]]:
    """The values of a record's ``data`` that name one of the order's steps in both languages at once,
    as an action writes a reason it gives (``取消 / Cancel``: the step that refunded), each with the
    step's label, so a page reads it in its own language; the stored value stays as written."""
    both = {
        f"{label.zh} / {label.en}": label
        for ct in transitions
        if (label := ct.spec.label) is not None and label.zh != label.en
    }
    return {
        key: {value: both[value]} for key, value in data.items() if isinstance(value, str) and value in both
    }


def _offered(
    moving: Moving, compiled: CompiledRecordKind, record: LiveRecord, trigger: str, actor: Actor
) -> RecordStep:
    found = [ct for ct in compiled.by_trigger[trigger] if record.state in ct.spec.sources]
    first = found[0]
    label = first.spec.label or Text(trigger, trigger)
    refusals: list[Refusal] = []
    for ct in found:
        refusal = role_refusal(ct, actor) or order_state_refusal(moving.cv, compiled, ct, moving.order.config)
        if refusal is not None:
            refusals.append(refusal)
            continue
        if ct.form is not None:  # its guard may read what the form fills: decided on submit
            prefill: dict[str, Any] = {}
            if ct.layout is not None and ct.layout.prefill:
                order = condition_env(moving.order, actor, {}, moving.now)["order"]
                prefill = ct.layout.prefilled(order, moving.cv.never_prefilled, moving.now)
            return RecordStep(trigger, label, ct.spec.form, True, prefill=prefill)
        env = condition_env(moving.order, actor, {}, moving.now)
        env["record"] = record.view()
        _, failed = check_guard(ct, env)
        if failed is None:
            closes = ct.spec.dest in compiled.spec.final_states
            return RecordStep(trigger, label, ct.spec.form, True, closes=closes)
        refusals.append(failed)
    return RecordStep(trigger, label, first.spec.form, False, tuple(refusals))
