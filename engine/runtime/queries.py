"""Queries: what the pages and the CLI read, each in one read transaction (never a write).

An order, the orders of a department, an order's history, the triggers a person could fire now and why
not, the forms a version publishes, and the calls a page makes in one go (``pages``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from engine.common.list_keys import LOOKUPS
from engine.common.text import Text
from engine.dsl.spec import WorkflowSpec
from engine.errors import Refusal, RefusalCode
from engine.forms.validation import FormValidator
from engine.runtime.actor import Actor
from engine.runtime.commands import load_order
from engine.runtime.compiled import CompiledVersion, StateConfig, split
from engine.runtime.decisions import (
    LiveOrder,
    Moving,
    approval_state,
    check_guard,
    condition_env,
    join_refusal,
    read_records,
    role_refusal,
)
from engine.runtime.named_lists import ReadLookups
from engine.runtime.parts import Parts
from engine.runtime.records import due_transitions, kind_step_label, record_views
from engine.runtime.results import (
    AuditEvent,
    AutoStep,
    OrderView,
    PublishedForm,
    PublishedVersion,
    RecordView,
    TriggerInfo,
    order_view,
)
from engine.store import Store


class Queries:
    """Reads of versions, orders and their forms."""

    def __init__(self, parts: Parts) -> None:
        self.parts = parts

    def versions(self, workflow: str) -> list[PublishedVersion]:
        with self.parts.store.read() as tx:
            rows = tx.versions(workflow)
        return [PublishedVersion(r.workflow, r.version, r.content_hash, created=False) for r in rows]

    def spec(self, workflow: str, version: int | None = None) -> WorkflowSpec:
        with self.parts.store.read() as tx:
            return self.parts.compiled(tx, workflow, version).spec

    def get_order(self, order_id: int, actor: Actor) -> OrderView:
        with self.parts.store.read() as tx:
            return order_view(load_order(tx, order_id, actor))

    def list_orders(
        self,
        actor: Actor,
        department: str | None = None,
        state: str | None = None,
        limit: int = 50,
        offset: int = 0,
        workflow: str | None = None,
    ) -> list[OrderView]:
        with self.parts.store.read() as tx:
            rows = tx.list_orders(
                departments=actor.scope,
                department=department,
                state=state,
                workflow=workflow,
                limit=limit,
                offset=offset,
            )
        return [order_view(r) for r in rows]

    def history(self, order_id: int, actor: Actor) -> list[AuditEvent]:
        with self.parts.store.read() as tx:
            load_order(tx, order_id, actor)
            return tx.history(order_id)

    def records(self, order_id: int, actor: Actor) -> list[RecordView]:
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            return record_views(Moving(tx, cv, LiveOrder.from_row(row), self.parts.clock.now()), actor)

    def available_triggers(self, order_id: int, actor: Actor) -> list[TriggerInfo]:
        """Every trigger a person could fire from the order's state, and why each is not allowed.

        The role is always checked (the department already was: an order outside the actor's
        departments is not found). A guard is evaluated now unless it reads what the transition's
        form fills (``data``, or an ``order`` field the form has); such a guard is listed in
        ``on_submit`` as decided when the form is submitted, and the conditions of its top-level
        ``and`` that read the order alone (``before_form``) are judged now all the same.
        """
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            live = read_records(tx, cv, LiveOrder.from_row(row))
        return offered(cv, live, actor, self.parts.clock.now(), self.parts.store)

    def intake_form(self, workflow: str, channel: str | None) -> PublishedForm | None:
        """The form a new order of ``workflow`` from ``channel`` is filled in, as the newest version
        publishes it: the channel's intake form, else the workflow's data form (None: it names neither).
        ``NotFound`` when the workflow is not published."""
        with self.parts.store.read() as tx:
            cv = self.parts.compiled(tx, workflow, None)
        return intake_form_of(cv, channel)

    def published_forms(self, workflow: str, version: int | None = None) -> list[PublishedForm]:
        """Every form a version of ``workflow`` publishes (the newest when ``version`` is None): the data
        form, then the channels' intake forms, then the transitions' forms, each once."""
        with self.parts.store.read() as tx:
            cv = self.parts.compiled(tx, workflow, version)
        return forms_of(cv)

    def transition_form(self, order_id: int, trigger: str, actor: Actor) -> PublishedForm | None:
        """The form a person fills to fire ``trigger`` on the order now (the transition leaving its
        active state), as the order's version publishes it; None when that step takes no form or no
        such step leaves the state. ``NotFound`` when the order is outside the actor's departments."""
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
        return step_form(cv, split(row.state), trigger)


def intake_form_of(cv: CompiledVersion, channel: str | None) -> PublishedForm | None:
    """The form a new order from ``channel`` is filled in: the channel's intake form, else the
    workflow's data form (None: it names neither)."""
    spec = cv.spec
    path = spec.intake_forms.get(channel) if channel is not None else None
    validator = cv.intake_forms.get(channel) if channel is not None else None
    if path is None or validator is None:
        path, validator = spec.data_form, cv.data_form
    if path is None or validator is None:
        return None
    return PublishedForm(path, spec.forms[path], cv.layouts[path], validator)


def forms_of(cv: CompiledVersion) -> list[PublishedForm]:
    """Every form the version publishes: the data form, the channels' intake forms, the transitions'
    forms, each once."""
    spec = cv.spec
    validators: dict[str, FormValidator] = {}
    if spec.data_form is not None and cv.data_form is not None:
        validators[spec.data_form] = cv.data_form
    for channel, path in spec.intake_forms.items():
        validators.setdefault(path, cv.intake_forms[channel])
    for ct in cv.transitions:
        if ct.spec.form is not None and ct.form is not None:
            validators.setdefault(ct.spec.form, ct.form)
    for kind in cv.records.values():  # a record's data contract and its steps' forms
        if kind.spec.form is not None and kind.form is not None:
            validators.setdefault(kind.spec.form, kind.form)
        for ct in kind.transitions:
            if ct.spec.form is not None and ct.form is not None:
                validators.setdefault(ct.spec.form, ct.form)
    return [PublishedForm(p, spec.forms[p], cv.layouts[p], v) for p, v in validators.items()]


def step_form(cv: CompiledVersion, config: StateConfig, trigger: str) -> PublishedForm | None:
    """The form of the step ``trigger`` leaving ``config``; None when it takes none or none leaves."""
    for ct in cv.by_trigger.get(trigger, ()):
        if ct.spec.auto or not cv.source_matches(ct, config):
            continue
        if ct.form is None or ct.spec.form is None:
            return None
        path = ct.spec.form
        return PublishedForm(path, cv.spec.forms[path], cv.layouts[path], ct.form)
    return None


def offered(
    cv: CompiledVersion, live: LiveOrder, actor: Actor, now: datetime, store: Store | None = None
) -> list[TriggerInfo]:
    """Every trigger a person could fire from the order's state, and why each is not allowed
    (``Engine.available_triggers``); ``store``: where a guard's ``in_list(...)`` and customer facts
    are read (each in a read transaction of its own)."""
    env = condition_env(live, actor, {}, now)
    if store is not None:
        env[LOOKUPS] = ReadLookups(store, live.department, live.id, env["order"], now)
    found = []
    for ct in cv.transitions:
        if ct.spec.auto or approval_state(cv, live, ct.spec.trigger) is not None:
            continue  # taken without a person, or by the approval panel once approvers decided
        why: list[Refusal] = []
        later: list[Refusal] = []
        if not cv.source_matches(ct, live.config):
            waiting = cv.waiting_for(ct, live.config)
            if not waiting:
                continue
            why.append(join_refusal(cv, ct, waiting))  # listed, not offered: regions still run
        role = role_refusal(ct, actor)
        if role is not None:
            why.append(role)
        if ct.guard is not None and ct.guard_reads_form:
            if ct.before_form is not None:  # what the order alone decides, judged now
                _, failed = check_guard(ct, env, ct.before_form)
                if failed is not None:
                    why.append(failed)
            later.append(
                Refusal(
                    RefusalCode.ON_SUBMIT,
                    f"提交表单时判定：{ct.spec.when}",
                    f"decided when the form is submitted: {ct.spec.when}",
                    {"when": ct.spec.when, "form": ct.spec.form},
                )
            )
        else:
            _, failed = check_guard(ct, env)
            if failed is not None:
                why.append(failed)
        found.append(
            TriggerInfo(
                trigger=ct.spec.trigger,
                label=ct.spec.label,
                dests=ct.dests,
                form=ct.spec.form,
                allowed=not why,
                why_not=tuple(why),
                on_submit=tuple(later),
                then=then_auto(cv, ct.dests),
                ends=cv.ends(ct),
                shows=ct.spec.shows,
            )
        )
    # a step that ends the order (a cancel) after the others: never the first, the one a key takes
    return sorted(found, key=lambda info: info.ends)


def then_auto(cv: CompiledVersion, dests: Iterable[str]) -> tuple[AutoStep, ...]:
    """The automatic steps that may be taken at once after a step into one of ``dests``, in the step's
    transaction, when their conditions hold then: what the step's page says follows (a payment that
    pays what is due is followed by 已付清, to 已支付), since the step's own dest alone would mislead."""
    configs = [split(dest) for dest in dict.fromkeys(dests)]
    return tuple(
        AutoStep(ct.spec.trigger, ct.spec.label, ct.dests)
        for ct in cv.auto
        if any(cv.source_matches(ct, config) for config in configs)
    )


def batch_steps(cv: CompiledVersion, state: str, actor: Actor) -> tuple[tuple[str, Text], ...]:
    """The steps ``actor`` may take from ``state`` of ``cv`` on many orders at once, each (trigger,
    label) once, in the workflow's order: a person's steps (not automatic ones, nor those an approval
    step fires once its approvers decided) whose roles the actor has. Guards are judged per order, on the
    batch's page."""
    config = split(state)
    decided = {t for leaf in config for t in cv.approval_triggers.get(leaf, ())}
    found: dict[str, Text] = {}
    ending: dict[str, Text] = {}  # the steps that end the order (a cancel): after the others
    for ct in cv.transitions:
        trigger = ct.spec.trigger
        if ct.spec.auto or trigger in decided or trigger in found or trigger in ending:
            continue
        if not cv.source_matches(ct, config) or ct.spec.form in cv.per_record_forms:
            continue  # not from here; each order's own (the lines a return names): not one form for many
        if role_refusal(ct, actor) is None:
            label = ct.spec.label if ct.spec.label is not None else Text(trigger, trigger)
            (ending if cv.ends(ct) else found)[trigger] = label
    found.update(_record_batch_steps(cv, config, actor))
    return tuple(found.items()) + tuple(ending.items())


def ending_steps(cv: CompiledVersion, state: str) -> frozenset[str]:
    """The triggers of the steps from ``state`` that end the order (a cancel: into a final state)."""
    config = split(state)
    return frozenset(
        ct.spec.trigger for ct in cv.transitions if cv.source_matches(ct, config) and cv.ends(ct)
    )


def _record_batch_steps(cv: CompiledVersion, config: StateConfig, actor: Actor) -> dict[str, Text]:
    """The record kinds' steps ``actor`` may take on many orders at once from ``config``: those that are
    the order's work there, as my work counts them (``records.due_transitions``: their ``order_states:``
    name the state, their roles are the actor's), named ``<kind>.<trigger>`` and by the kind's and the
    step's labels. Which records of an order may take one is judged per order, on the batch's page."""
    found: dict[str, Text] = {}
    for kind, ct in due_transitions(cv, config, actor):
        if ct.spec.form in cv.per_record_forms:
            continue
        found.setdefault(f"{kind}.{ct.spec.trigger}", kind_step_label(cv.records[kind], ct.spec.trigger))
    return found
