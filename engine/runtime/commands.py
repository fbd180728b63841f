"""Commands: an order created, a trigger fired; each one database transaction.

Load the order, check role, form, guards and rules (``decisions``), let the version's shared machine
compute the move, run the actions, write the audit event, timers and outbox rows, then update the
order where its ``lock_version`` still matches. Automatic transitions that become possible run in the
same transaction. Any refusal or error rolls it all back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from engine.common.text import Text
from engine.dsl.spec import CREATE_TRIGGER
from engine.errors import ConflictError, NotFound, PluginError, Refusal, RefusalCode, TransitionRejected
from engine.forms.numbers import unstorable_refusals
from engine.plugins import ActionContext
from engine.rules.expr import RANDOMNESS, ExpressionEvaluationError
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.approval_entry import close_tasks, open_tasks
from engine.runtime.catalogue import CATALOGUE_PRICES, line_products, marked_lines, named_lines, priced_lines
from engine.runtime.compiled import (
    CompiledTransition,
    CompiledVersion,
    FieldSet,
    Move,
    active_paths,
    joined,
    split,
)
from engine.runtime.decisions import (
    Decision,
    LiveOrder,
    Moving,
    action_refusal,
    condition_env,
    decide,
    intake_refusals,
    prepared_intake,
)
from engine.runtime.moments import moved_moments, timer_moment
from engine.runtime.named_lists import UnknownList
from engine.runtime.original_order import claims_on, link_original, original_order_refusals
from engine.runtime.parts import Parts, retried
from engine.runtime.record_state import RecordEvent
from engine.runtime.records import RecordOps, fire_kind_step, fire_record_step, kind_step
from engine.runtime.results import FireResult, OrderView, order_view
from engine.store import INTEGRITY_ERRORS, OrderRow, Tx
from engine.store.codec import dumps, loads
from engine.store.search import terms_of

AUTO_LIMIT = 20  # automatic transitions taken in a row before the engine stops following them
_DECISION_ONLY = frozenset({"outcome", "scores"})  # what the rules decide that stays in the audit event

TimerKey = tuple[str, str, str | None]  # a timer's state, trigger and reason


@dataclass(frozen=True)
class Intake:
    """A new order as asked for: by whom, where, through which channel, with what data."""

    actor: Actor
    department: str
    workflow: str
    channel: str | None
    data: dict[str, Any]
    idempotency_key: str | None = None
    request: str | None = None  # the request's fingerprint, when it has a key


@dataclass(frozen=True)
class StepRequest:
    """A trigger to fire on an order, as asked for."""

    order_id: int
    trigger: str
    actor: Actor
    data: Mapping[str, Any] = field(default_factory=dict)
    expected_lock_version: int | None = None  # the version the caller last saw
    reason: str | None = None


@dataclass(frozen=True)
class RecordStepRequest:
    """A trigger to fire on one of an order's child records (``payment`` #2's ``refund``), as asked for."""

    order_id: int
    kind: str
    number: int
    trigger: str
    actor: Actor
    data: Mapping[str, Any] = field(default_factory=dict)
    expected_lock_version: int | None = None  # the order's version the caller last saw


@dataclass
class Step:
    """One transition taken in memory, waiting to be written."""

    trigger: str
    actor: str
    from_state: str
    move: Move
    changes: dict[str, Any]
    guards: list[dict[str, Any]]
    rules: dict[str, Any] | None
    reason: str | None
    outbox: list[tuple[str, dict[str, Any]]]
    outcome: str | None = None
    # what the step's actions did to the order's child records, each an audit event after the step's own
    then: list[Step] = field(default_factory=list)


def load_order(tx: Tx, order_id: int, actor: Actor) -> OrderRow:
    """The order's row; ``NotFound`` when it is not there or outside the actor's departments."""
    row = tx.load_order(order_id)
    if row is None or not actor.in_department(row.department):
        raise NotFound(f"order #{order_id} not found", zh=f"找不到订单 #{order_id}")
    return row


class Commands:
    """Creating orders and firing triggers (the timers' worker fires through ``fire_in`` too)."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def create_order(self, intake: Intake) -> OrderView:
        unstorable = unstorable_refusals(intake.data)  # JSON has no NaN: refused before anything is written
        if unstorable:
            raise TransitionRejected(unstorable)
        if intake.idempotency_key is not None:
            request = request_hash(
                "create_order",
                department=intake.department,
                workflow=intake.workflow,
                channel=intake.channel,
                data=intake.data,
            )
            intake = replace(intake, request=request)
        now = self.parts.clock.now()
        try:
            return self._create_in(intake, now)
        except INTEGRITY_ERRORS:
            if intake.idempotency_key is None:
                raise
            # On PostgreSQL a concurrent request with the same key stored its order first (this
            # one rolled back whole): answer with that order, as a replay would.
            with self.parts.store.read() as tx:
                stored = replay(tx, intake.actor, intake.idempotency_key, intake.request)
                if stored is None:
                    raise
                return order_view(load_order(tx, int(stored["order_id"]), intake.actor))

    @retried
    def _create_in(self, intake: Intake, now: datetime) -> OrderView:
        actor, department, workflow, channel = (
            intake.actor,
            intake.department,
            intake.workflow,
            intake.channel,
        )
        with self.parts.store.transaction() as tx:
            if intake.idempotency_key is not None:
                stored = replay(tx, actor, intake.idempotency_key, intake.request)
                if stored is not None:
                    return order_view(load_order(tx, int(stored["order_id"]), actor))
            if not actor.in_department(department):
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.DEPARTMENT,
                            f"无权在部门 {department} 下单",
                            f"{actor.name} may not create orders in department {department}",
                            {"department": department},
                        )
                    ]
                )
            cv = self.parts.compiled(tx, workflow, None)
            if cv.spec.department != department:
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.DEPARTMENT,
                            f"流程 {workflow} 属于部门 {cv.spec.department}，不属于 {department}",
                            f"workflow {workflow} belongs to department {cv.spec.department}, "
                            f"not {department}",
                            {"department": department, "workflow_department": cv.spec.department},
                        )
                    ]
                )
            creators = cv.spec.create_roles
            if not actor.is_system and not cv.spec.takes_orders_from(actor.roles):
                title = cv.spec.title
                raise TransitionRejected(
                    [
                        Refusal(
                            RefusalCode.ROLE,
                            f"需要角色 {' 或 '.join(creators)} 才能创建{title.get('zh')}",
                            f"creating a {title.get('en').lower()} requires role {' or '.join(creators)}",
                            {"roles": list(creators), "actor_roles": sorted(actor.roles)},
                        )
                    ]
                )
            # a copy: the order's steps write into it, and a retried try starts again from what was sent
            data = dict(intake.data)
            priced: list[Refusal] = []
            known = line_products(tx, data) if cv.spec.catalogue is not None else {}
            data = named_lines(data, known)  # the catalogue's name, whatever the page sent
            if cv.spec.catalogue == CATALOGUE_PRICES:  # priced before the form computes amounts and total
                data, priced = priced_lines(tx, data, known)
            data = prepared_intake(cv, channel, data)
            refusals = intake_refusals(cv, channel, data)
            if not refusals:  # the form's own checks first: the number's pattern, the amount's format
                refusals = original_order_refusals(tx, cv.spec, data)
            if refusals or priced:
                raise TransitionRejected(priced + refusals)
            if cv.spec.catalogue is not None:
                data = marked_lines(data, known)
            order_id = tx.insert_order(
                department=department,
                workflow=workflow,
                version=cv.version,
                channel=channel,
                state=joined(cv.initial),
                data=data,
                final=cv.is_final(cv.initial),
                at=now,
            )
            link_original(tx, cv.spec, order_id, data)
            tx.insert_audit(
                order_id=order_id,
                seq=1,
                at=now,
                actor=actor.name,
                trigger=CREATE_TRIGGER,
                from_state=None,
                to_state=joined(cv.initial),
                data_changes={k: [None, v] for k, v in data.items()},
                guards=[],
                rules=None,
                reason=None,
            )
            live = LiveOrder(order_id, department, workflow, cv.version, channel, cv.initial, data, 1)
            schedule(
                tx,
                cv,
                order_id,
                sorted(active_paths(cv.initial)),
                now,
                env=condition_env(live, SYSTEM, {}, now),
            )
            if cv.spec.search:
                tx.put_search_terms(order_id, department, terms_of(data, cv.spec.search), replace=False)
            live.records = {kind: [] for kind in cv.records} if cv.records else None  # none yet
            for state in cv.initial:
                if state in cv.approvals:
                    open_tasks(tx, cv, live, state, 1, now)
            moving = Moving(tx, cv, live, now, by=actor)
            steps = self.follow_auto(moving)
            if steps:
                self.write(moving, steps)
            if intake.idempotency_key is not None:
                tx.put_idempotent(
                    actor.name,
                    intake.idempotency_key,
                    order_id,
                    {"order_id": order_id},
                    now,
                    request_hash=intake.request,
                )
            # What was just written, without reading it back: the data as its stored JSON reads.
            state, at = joined(live.config), now.astimezone(UTC)
            return OrderView(
                id=order_id,
                department=department,
                workflow=workflow,
                version=cv.version,
                channel=channel,
                state=state,
                states=split(state),
                data=loads(dumps(live.data)),
                lock_version=live.lock_version,
                final=cv.is_final(live.config),
                created_at=at,
                updated_at=at,
                state_since=at,
            )

    @retried
    def fire(
        self, request: StepRequest, idempotency_key: str | None = None, *, batched: bool = False
    ) -> FireResult:
        """Fire the trigger on the order in one transaction (see the module docstring); ``batched``: as
        a batch takes it, a record kind's step too (``fire_batched_in``)."""
        fingerprint = {"order_id": request.order_id, "trigger": request.trigger, "data": dict(request.data)}
        run = self.fire_batched_in if batched else self.fire_in
        return self.once(
            request.actor,
            request.data,
            idempotency_key,
            ("fire", fingerprint),
            lambda tx: run(tx, request),
        )

    def fire_batched_in(self, tx: Tx, request: StepRequest) -> FireResult:
        """A batch's step on one order inside ``tx``: the order's own step (``fire_in``); or, when
        ``request.trigger`` names a step of a record kind as ``<kind>.<trigger>`` (``shipment.ship``),
        that step on each of the order's records of the kind that may take it now
        (``records.fire_kind_step``: a split order's two shipments), then the order's automatic
        transitions its records now allow. A record refused refuses the order: nothing of it written."""
        row = load_order(tx, request.order_id, request.actor)
        cv = self.parts.compiled(tx, row.workflow, row.version)
        named = kind_step(cv, request.trigger)
        if named is None:
            return self.fire_in(tx, request, row)
        check_seen(row, request.expected_lock_version)
        moving = Moving(tx, cv, LiveOrder.from_row(row), self.parts.clock.now())
        kind, trigger = named
        fire_kind_step(moving, kind, trigger, request.actor, request.data, self.person_records(moving))
        return self.records_moved(moving, row, request.trigger)

    def once(
        self,
        actor: Actor,
        data: Mapping[str, Any],
        idempotency_key: str | None,
        fingerprint: tuple[str, Mapping[str, Any]],
        run: Callable[[Tx], FireResult],
    ) -> FireResult:
        """``run`` in one transaction, once per idempotency key: a key sent again replays the stored
        result (the same key with another request is refused). Data holding what JSON cannot store is
        refused before anything is written."""
        if data:
            unstorable = unstorable_refusals(data)
            if unstorable:
                raise TransitionRejected(unstorable)
        operation, arguments = fingerprint
        request = request_hash(operation, **arguments) if idempotency_key is not None else None
        with self.parts.store.transaction() as tx:
            if idempotency_key is not None:
                stored = replay(tx, actor, idempotency_key, request)
                if stored is not None:
                    return FireResult.from_dict(stored)
            result = run(tx)
            if idempotency_key is not None:
                tx.put_idempotent(
                    actor.name,
                    idempotency_key,
                    result.order_id,
                    result.to_dict(),
                    self.parts.clock.now(),
                    request_hash=request,
                )
            return result

    def fire_in(self, tx: Tx, request: StepRequest, row: OrderRow | None = None) -> FireResult:
        """Fire inside ``tx``; ``row``: the order as this transaction read it already (else read here)."""
        now = self.parts.clock.now()
        order_id, expected = request.order_id, request.expected_lock_version
        if row is None:
            row = load_order(tx, order_id, request.actor)
        check_seen(row, expected)
        cv = self.parts.compiled(tx, row.workflow, row.version)
        moving = Moving(tx, cv, LiveOrder.from_row(row), now)
        from_state = row.state
        decision = decide(moving, request.trigger, request.actor, request.data)
        step = self.apply(moving, decision, request.actor, request.reason)
        steps = [step, *self.follow_auto(moving)]
        audit_ids = self.write(moving, steps)
        return FireResult(
            order_id=order_id,
            trigger=request.trigger,
            from_state=from_state,
            to_state=joined(moving.order.config),
            lock_version=moving.order.lock_version,
            audit_event_id=audit_ids[0],
            outcome=step.outcome,
            decision=decision.rules,
            auto=tuple(s.trigger for s in steps[1:]),
        )

    @retried
    def fire_record(self, request: RecordStepRequest, idempotency_key: str | None = None) -> FireResult:
        """Fire a trigger on one of the order's child records, in one transaction: the record's role, form,
        guard and actions, its audit event, then the order's automatic transitions its records now allow
        (``paid`` once the payments captured reach the total)."""
        fingerprint = {
            "order_id": request.order_id,
            "kind": request.kind,
            "number": request.number,
            "trigger": request.trigger,
            "data": dict(request.data),
        }
        return self.once(
            request.actor,
            request.data,
            idempotency_key,
            ("fire_record", fingerprint),
            lambda tx: self.fire_record_in(tx, request),
        )

    def fire_record_in(self, tx: Tx, request: RecordStepRequest) -> FireResult:
        row = load_order(tx, request.order_id, request.actor)
        check_seen(row, request.expected_lock_version)
        cv = self.parts.compiled(tx, row.workflow, row.version)
        moving = Moving(tx, cv, LiveOrder.from_row(row), self.parts.clock.now(), by=request.actor)
        kind, number, trigger = request.kind, request.number, request.trigger
        fire_record_step(
            moving, kind, number, trigger, request.actor, request.data, self.person_records(moving)
        )
        return self.records_moved(moving, row, None)

    def person_records(self, moving: Moving) -> RecordOps:
        """The order's records as a person's record step reaches them: its actions read what the orders
        about this one claim of its money (a clerk's refund on a payment never pays that back)."""
        live, tx = moving.order, moving.tx
        return RecordOps(moving, claims=lambda: claims_on(tx, self.parts, live.department, live.id))

    def records_moved(self, moving: Moving, row: OrderRow, trigger: str | None) -> FireResult:
        """The record steps just taken on the order written as its audit events, after them the order's
        automatic transitions its records now allow; the result named ``trigger`` with the first step's
        audit event (None: the last record step's name and event)."""
        taken = self.record_steps(moving)
        steps = [*taken, *self.follow_auto(moving)]
        audit_ids = self.write(moving, steps)
        return FireResult(
            order_id=row.id,
            trigger=trigger or taken[-1].trigger,
            from_state=row.state,
            to_state=joined(moving.order.config),
            lock_version=moving.order.lock_version,
            audit_event_id=audit_ids[0 if trigger else len(taken) - 1],
            auto=tuple(s.trigger for s in steps[len(taken) :]),
        )

    def record_steps(self, moving: Moving) -> list[Step]:
        """The record events taken since the last call, as steps of the order that leave it where it is
        (the audit trail's ``<kind>.<trigger>`` events)."""
        events: list[RecordEvent] = list(moving.record_events)
        moving.record_events.clear()
        here = moving.order.config
        stay = Move(here, (), ())
        return [
            Step(
                trigger=event.trigger,
                actor=event.actor,
                from_state=joined(here),
                move=stay,
                changes=event.changes,
                guards=event.guards,
                rules=None,
                reason=None,
                outbox=event.outbox,
            )
            for event in events
        ]

    def apply(self, moving: Moving, decision: Decision, actor: Actor, reason: str | None) -> Step:
        """Move the order in memory and run the actions; the writes come after, in ``write``. The
        decision's ``dropped``: fields of the order the transition's form hides now (they leave it).

        What the decision's ``data`` (the step's submission) holds is merged into the order, but the
        owned fields it sends to this step's actions (``owned_inputs``): only what the actions return
        is kept of those.
        The actions see the order's data without what other steps sent (``step_fields`` this step did
        not send), with this step's submission over it."""
        tx, cv, live, now = moving.tx, moving.cv, moving.order, moving.now
        ct, dest, data, guards = decision.transition, decision.dest, decision.data, decision.guards
        rules = decision.rules
        if actor is not SYSTEM:  # a person's step (or an approver's): what follows it is on their behalf
            moving.by = actor
        acting = moving.by if actor is SYSTEM and moving.by is not None else actor
        before = dict(live.data)
        from_state = joined(live.config)
        move = cv.move(live.config, ct, dest)
        for key in decision.dropped:
            live.data.pop(key, None)
        inputs = {key: value for key, value in data.items() if key in ct.owned_inputs}
        live.data.update(data if not inputs else {k: v for k, v in data.items() if k not in inputs})
        if rules is not None and rules.get("outputs"):
            # What the rules decided becomes order data: routing's warehouse, carrier and split,
            # a decision table's outputs (the outcome and the scores stay in the audit event only).
            live.data.update(
                (key, value) for key, value in rules["outputs"].items() if key not in _DECISION_ONLY
            )
        if ct.sets:  # after guards and rules, before the actions: they see what the step set
            self.set_fields(moving, ct, actor, data)
        earlier = cv.step_fields.difference(data)  # what earlier steps sent, left out of the actions' view
        seen = {key: value for key, value in live.data.items() if key not in earlier}
        seen.update(inputs)
        outbox: list[tuple[str, dict[str, Any]]] = []
        labels = step_labels(cv, ct, from_state, joined(move.to)) if ct.actions else {}
        for name, action in ct.actions:
            ctx = ActionContext(
                connection=tx.connection,
                order_id=live.id,
                department=live.department,
                workflow=live.workflow,
                trigger=ct.spec.trigger,
                source=from_state,
                dest=joined(move.to),
                actor=acting.name,
                data=dict(seen),
                now=now,
                outbox=outbox,
                labels=labels,
                records=RecordOps(moving) if cv.records else None,
                claims=lambda: claims_on(tx, self.parts, live.department, live.id),
            )
            try:
                changes = action(ctx)
            except PluginError as error:
                raise TransitionRejected([action_refusal(name, ct.spec.trigger, error)]) from error
            if changes:
                live.data.update(changes)
                seen.update(changes)
        live.config = move.to
        # ``before`` is a shallow copy: a value no step touched is the same object, compared by identity
        # before its (deep) equality
        after = live.data
        diff = {
            key: [old, new]
            for key in before.keys() | after.keys()
            if (old := before.get(key)) is not (new := after.get(key)) and old != new
        }
        return Step(
            trigger=ct.spec.trigger,
            actor=actor.name,
            from_state=from_state,
            move=move,
            changes=diff,
            guards=guards,
            rules=rules,
            reason=reason,
            outbox=outbox,
            outcome=None if rules is None else rules.get("outcome"),
            then=self.record_steps(moving) if moving.record_events else [],
        )

    def set_fields(
        self, moving: Moving, ct: CompiledTransition, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        """The step's ``set:``: every value computed over the order as it was before any of them was
        set (the step's submission and the rules' outputs merged in), then written; refused, naming the
        field, when a value cannot be computed or stored, or leaves the order's data outside its data
        form (the transaction is rolled back: nothing is written)."""
        live, cv = moving.order, moving.cv
        env = condition_env(live, actor, data, moving.now)
        env[RANDOMNESS] = self.parts.randomness
        values: list[tuple[FieldSet, Any]] = []
        for field_set in ct.sets:
            value = field_set.literal
            if field_set.expression is not None:
                try:
                    value = field_set.expression(env)
                except ExpressionEvaluationError as error:
                    raise TransitionRejected(
                        [set_refusal(ct, field_set, error.detail_words, error)]
                    ) from None
            values.append((field_set, storable(ct, field_set, value)))
        for field_set, value in values:
            put(live.data, field_set.path, value)
        if cv.data_form is None or cv.spec.data_form is None:
            return
        names = [field_set.name for field_set, _ in values]
        refused = [
            error
            for error in cv.data_form.messages(live.data, cv.layouts.get(cv.spec.data_form))
            if any(error.field == n or error.field.startswith((f"{n}.", f"{n}[")) for n in names)
        ]
        if refused:
            raise TransitionRejected(
                [
                    Refusal(
                        RefusalCode.SET,
                        f"{ct.spec.trigger} 设置的字段不符合订单数据表单：{error.zh}",
                        f"{ct.spec.trigger!r} sets a field the order's data form refuses: {error.en}",
                        {
                            "trigger": ct.spec.trigger,
                            "field": error.field,
                            "path": error.path,
                            "keyword": error.keyword,
                            "form": cv.spec.data_form,
                        },
                    )
                    for error in refused
                ]
            )

    def follow_auto(self, moving: Moving) -> list[Step]:
        """Take automatic transitions while one is possible (at most ``AUTO_LIMIT`` in a row)."""
        cv, live = moving.cv, moving.order
        steps: list[Step] = []
        while cv.auto and len(steps) < AUTO_LIMIT:
            for ct in cv.auto:
                if not cv.source_matches(ct, live.config):
                    continue
                try:
                    decision = decide(moving, ct.spec.trigger, SYSTEM, {})
                except UnknownList:
                    raise  # a condition names a list that is not there: never "not taken" in silence
                except TransitionRejected:
                    continue
                if not decision.transition.spec.auto:
                    continue
                # what an automatic step takes is never a submission: no data, nothing dropped
                taken = Decision(decision.transition, decision.dest, decision.guards, decision.rules, {})
                steps.append(self.apply(moving, taken, SYSTEM, "auto"))
                break
            else:
                break
        return steps

    def write(self, moving: Moving, steps: Sequence[Step]) -> list[int]:
        """Write the steps taken in memory: the order where its lock version still matches, an audit
        event per step, the timers of the states left cancelled and those entered scheduled, the
        outbox messages. ``ConflictError`` when someone else changed the order meanwhile."""
        tx, cv, live, now = moving.tx, moving.cv, moving.order, moving.now
        steps = [taken for step in steps for taken in (step, *step.then)]  # record events after their step
        expected = live.lock_version
        live.lock_version = expected + len(steps)
        if not tx.update_order(
            live.id,
            expected_lock_version=expected,
            new_lock_version=live.lock_version,
            state=joined(live.config),
            data=live.data,
            final=cv.is_final(live.config),
            at=now,
        ):
            raise ConflictError(
                f"order #{live.id} was changed by someone else; reload it and try again",
                zh=f"订单 #{live.id} 已被他人修改；请刷新后重试",
            )
        self.write_records(moving)
        linked = cv.spec.original_order
        if linked is not None and any(linked.field in step.changes for step in steps):
            link_original(tx, cv.spec, live.id, live.data)  # the number changed: the link follows it
        if cv.search_roots and any(cv.search_roots.intersection(step.changes) for step in steps):
            # a searched field changed (a waybill, a payment reference): the order's terms are rewritten
            tx.put_search_terms(live.id, live.department, terms_of(live.data, cv.spec.search), replace=True)
        env = condition_env(
            live, SYSTEM, {}, now
        )  # what an ``at`` timer reads: the order as the steps left it
        timers_before = tx.order_timers(live.id) if cv.moment_states else []
        ids = []
        for k, step in enumerate(steps, 1):
            ids.append(
                tx.insert_audit(
                    order_id=live.id,
                    seq=expected + k,
                    at=now,
                    actor=step.actor,
                    trigger=step.trigger,
                    from_state=step.from_state,
                    to_state=joined(step.move.to),
                    data_changes=step.changes,
                    guards=step.guards,
                    rules=step.rules,
                    reason=step.reason,
                )
            )
            for state in step.move.left:
                if state in cv.timers:
                    tx.cancel_timers(live.id, state)
                if state in cv.approvals:
                    close_tasks(tx, live.id, state, now)
            schedule(tx, cv, live.id, step.move.entered, now, env=env)
            for state in step.move.entered:
                if state in cv.approvals:
                    open_tasks(tx, cv, live, state, expected + k, now)
            for topic, payload in step.outbox:
                internal = topic in self.parts.registry.internal_topics  # for the correlation feed alone
                tx.insert_outbox(topic, payload, now, department=live.department, deliver=not internal)
        # a step that leaves the order in a state timed ``at`` a moment may have moved that moment
        entered = {state for step in steps for state in step.move.entered}
        staying = [s for s in active_paths(live.config) if s in cv.moment_states and s not in entered]
        if staying:
            moved_moments(tx, cv, live.id, staying, env, timers_before)
        return ids

    @staticmethod
    def write_records(moving: Moving) -> None:
        """Write the order's records its steps added or changed, each where its lock version still matches."""
        tx, live, now = moving.tx, moving.order, moving.now
        for records in (live.records or {}).values():
            for record in records:
                if not record.changed:
                    continue
                if record.id is None:
                    record.id = tx.insert_record(
                        order_id=live.id,
                        kind=record.kind,
                        number=record.number,
                        state=record.state,
                        data=record.data,
                        at=now,
                    )
                    record.lock_version = 1
                elif tx.update_record(
                    record.id,
                    expected_lock_version=record.lock_version,
                    state=record.state,
                    data=record.data,
                    at=now,
                ):
                    record.lock_version += 1
                else:
                    raise ConflictError(
                        f"{record.name} of order #{live.id} was changed by someone else; reload and try "
                        "again",
                        zh=f"订单 #{live.id} 的 {record.name} 已被他人修改；请刷新后重试",
                    )
                record.changed = False


def check_seen(row: OrderRow, expected: int | None) -> None:
    """``ConflictError`` when the order changed since the caller saw it at version ``expected``."""
    if expected is not None and row.lock_version != expected:
        raise ConflictError(
            f"order #{row.id} changed (version {row.lock_version}, expected {expected})",
            zh=f"订单 #{row.id} 已被修改（当前版本 {row.lock_version}，预期 {expected}）；请刷新后重试",
        )


def schedule(
    tx: Tx,
    cv: CompiledVersion,
    order_id: int,
    states: Sequence[str],
    now: datetime,
    kept: Mapping[TimerKey, list[datetime]] | None = None,
    env: Mapping[str, Any] | None = None,
) -> None:
    """Schedule the timers of ``states``, due ``after`` from ``now``; a timer with a due time in
    ``kept`` (state, trigger, reason -> due times, earliest first) takes that one instead. A timer
    ``at`` a moment is due then, its expression read over ``env`` (the order's condition names); a
    moment that is none sets no timer."""
    for state in states:
        for timer in cv.timers.get(state, ()):
            if timer.at is not None:
                due_at = timer_moment(timer, env or {}).due_at
                if due_at is None:
                    continue
            else:
                due = kept.get((state, timer.trigger, timer.reason)) if kept else None
                assert timer.after_seconds is not None  # the checks ask for exactly one of after and at
                due_at = due.pop(0) if due else now + timedelta(seconds=timer.after_seconds)
            tx.schedule_timer(
                order_id=order_id, state=state, trigger=timer.trigger, reason=timer.reason, due_at=due_at
            )


def step_labels(
    cv: CompiledVersion, ct: CompiledTransition, source: str, dest: str
) -> dict[str, dict[str, str]]:
    """How people read a step, in both languages: the workflow's title, the transition's label (its
    trigger when it has none) and the states' labels (``CompiledVersion.state_words``)."""

    def state(name: str) -> dict[str, str]:
        words = cv.state_words(name)
        return {"zh": words.zh, "en": words.en}

    title, label = cv.spec.title, ct.spec.label
    trigger = ct.spec.trigger
    return {
        "workflow": {"zh": title.zh, "en": title.en},
        "trigger": {"zh": label.zh, "en": label.en} if label is not None else {"zh": trigger, "en": trigger},
        "from": state(source),
        "to": state(dest),
    }


def request_hash(operation: str, **arguments: Any) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of an operation and its arguments."""
    text = json.dumps(
        {"operation": operation, **arguments},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def replay(tx: Tx, actor: Actor, key: str, request: str | None) -> Any | None:
    """The stored result of ``actor``'s ``key``, or None when the key is new.

    The same key sent with a different request is refused (code ``idempotency``); a key stored
    before requests were fingerprinted replays its result whatever the request.
    """
    found = tx.idempotent_entry(actor.name, key)
    if found is None:
        return None
    result, stored = found
    if stored is not None and stored != request:
        raise TransitionRejected(
            [
                Refusal(
                    RefusalCode.IDEMPOTENCY,
                    f"幂等键 {key} 已用于另一个请求；新的请求请使用新的键",
                    f"idempotency key {key!r} was already used for a different request; "
                    "use a new key for a new request",
                    {"idempotency_key": key},
                )
            ]
        )
    return result


def set_refusal(
    ct: CompiledTransition, field_set: FieldSet, why: Text, error: Exception | None = None
) -> Refusal:
    """The refusal of a step whose ``set:`` of ``field_set`` failed, saying why."""
    trigger, name = ct.spec.trigger, field_set.name
    details: dict[str, Any] = {"trigger": trigger, "field": name}
    if field_set.source is not None:
        details["expression"] = field_set.source
    if isinstance(error, ExpressionEvaluationError) and error.part:
        details["part"] = error.part
    return Refusal(
        RefusalCode.SET,
        f"{trigger} 无法设置字段 {name}：{why.zh}",
        f"{trigger!r} cannot set the field {name!r}: {why.en}",
        details,
    )


def storable(ct: CompiledTransition, field_set: FieldSet, value: Any) -> Any:
    """``value`` as order data stores it: a moment as ISO-8601 text; a duration refused (it has no stored
    form: divide it by days(1) for a number of days)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        raise TransitionRejected(
            [
                set_refusal(
                    ct,
                    field_set,
                    Text(
                        "时长不能直接保存；除以 days(1) 得到天数，或加到某个日期上",
                        "a duration cannot be stored; divide it by days(1) for a number of days, "
                        "or add it to a date",
                    ),
                )
            ]
        )
    return value


def put(data: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """``data[a][b]... = value`` for ``path`` ``(a, b, ...)``; ``None`` removes the field instead (a
    cleared field is absent, as one never filled in is). Every record on the way is copied (the step's
    change is then seen against the data as it was), one made where none or no record is."""
    *parents, last = path
    record: dict[str, Any] = data
    for name in parents:
        inner = record.get(name)
        if value is None and not isinstance(inner, Mapping):
            return  # nothing there to clear
        record[name] = dict(inner) if isinstance(inner, Mapping) else {}
        record = record[name]
    if value is None:
        record.pop(last, None)
    else:
        record[last] = value
