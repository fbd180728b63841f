"""The calls the pages make: what one page shows, read in one transaction, the order read once.

The home page's counts, a page of orders, an order's page, a step's page, a step taken from its page,
a new order's page. Each is one call of the ``Engine`` facade: the view asks, renders what it gets, and
never asks again for the same page (docs/architecture.md follows one clerk's click through them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.common.text import Text
from engine.common.words import WORDS
from engine.errors import ConflictError, NotFound, TransitionRejected
from engine.forms.numbers import unstorable_refusals
from engine.forms.per_record import per_record_fields, without_fields
from engine.runtime.accounts import credit_standing
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.approvals import panel_of
from engine.runtime.catalogue import catalogue_form, line_names, named_record_lines
from engine.runtime.commands import Commands, StepRequest, load_order
from engine.runtime.compiled import CompiledVersion, active_paths, split
from engine.runtime.decisions import LiveOrder, Moving, condition_env, read_records
from engine.runtime.finding import (
    ListQuery,
    cursor_text,
    cursor_value,
    matched_text,
    order_number,
    search_term,
)
from engine.runtime.masking import MOBILE, mask, masked_data, reveals
from engine.runtime.moments import unset_moments
from engine.runtime.order_why import (
    actor_text,
    decision_why,
    event_action,
    hidden_operands,
    logins_in,
    money_names,
    order_operands,
    people_labels,
    running_timers,
    step_said,
    unset_timers,
    user_fields,
    value_labels,
    version_labels,
    why_here,
)
from engine.runtime.original_order import (
    UNCLAIMED_CODE,
    has_unclaimed,
    orders_about,
    original_fill,
    original_order_refusals,
    original_summary,
    unclaimed_left,
    unclaimed_prefill,
)
from engine.runtime.parts import Parts
from engine.runtime.queries import batch_steps, ending_steps, forms_of, intake_form_of, offered, step_form
from engine.runtime.records import ADD, kind_step, kind_step_label, record_views, steps_due, takers
from engine.runtime.results import (
    IntakeOriginal,
    IntakePage,
    ListedOrder,
    NewOrders,
    OrderList,
    OrderPage,
    OrderView,
    PublishedForm,
    ShownFields,
    StepPage,
    StepTaken,
    TriggerInfo,
    WorkflowCounts,
    order_view,
)
from engine.runtime.timer_conditions import timers_holding
from engine.runtime.workspace import ASSIGN, claim_view_in
from engine.store import AuditRow, OrderRow, Tx
from engine.store.approvals import PENDING
from engine.store.orders import Keyset
from engine.store.products import catalogue_size
from engine.store.reports import read_state_counts
from engine.store.statements import MAX_ID
from engine.store.users import display_names
from engine.store.versions import newest_versions

# What a step's page sent, read with the step's page in hand: the data to fire with, or None when the
# page is to be shown again without firing (a row added or removed without JavaScript).
Submission = Callable[[StepPage], Mapping[str, Any] | None]


class Pages:
    """One call per page; reads in one read transaction, a step taken in one write transaction."""

    def __init__(self, parts: Parts, commands: Commands) -> None:
        self.parts = parts
        self.commands = commands

    def new_orders(self, actor: Actor) -> list[NewOrders]:
        """The workflows whose newest version is in the actor's departments and takes new orders from
        the actor's roles, with its channels: what the overview offers, without the counts."""
        with self.parts.store.read() as tx:
            compiled = self._newest(tx, actor)
        return [
            NewOrders(department, cv.spec.name, cv.spec.title, cv.spec.channels)
            for department, cv in compiled
            if cv.spec.channels and cv.spec.takes_orders_from(actor.roles)
        ]

    def _newest(self, tx: Tx, actor: Actor) -> list[tuple[str, CompiledVersion]]:
        """(department, compiled version) of each workflow's newest version in the actor's departments."""
        newest = newest_versions(tx.connection, actor.scope)
        return [(department, self.parts.compiled(tx, w, v)) for department, w, v in newest]

    def home(self, actor: Actor) -> list[WorkflowCounts]:
        """Every workflow whose newest version is in the actor's departments, with its orders by state
        (exact as read: the kept counts plus the audit events since) and the channels the actor may
        take its new orders from."""
        with self.parts.store.read() as tx:
            compiled = self._newest(tx, actor)
            counts = read_state_counts(tx, actor.scope)
            # A workflow whose newer version moved to another department has orders in both: one count
            # per state.
            by_state: dict[str, Counter[str]] = {cv.spec.name: Counter() for _, cv in compiled}
            for (_department, workflow, state), count in counts.items():
                if workflow in by_state:
                    by_state[workflow][state] += count
            labels = {cv.spec.name: self._state_labels(tx, cv, by_state[cv.spec.name]) for _, cv in compiled}
        rows = []
        for department, cv in compiled:
            spec, states = cv.spec, by_state[cv.spec.name]
            rows.append(
                WorkflowCounts(
                    department=department,
                    workflow=spec.name,
                    version=cv.version,
                    title=spec.title,
                    total=sum(states.values()),
                    by_state=tuple(sorted(states.items(), key=lambda item: (-item[1], item[0]))),
                    labels=labels[spec.name],
                    channels=spec.channels if spec.takes_orders_from(actor.roles) else (),
                )
            )
        return rows

    def _state_labels(self, tx: Tx, newest: CompiledVersion, states: Counter[str]) -> dict[str, Text]:
        """The label of every state of the newest version, and of each state orders are in that it
        lacks (orders still on an earlier version, after a rollback or before a migration): from the
        newest earlier version that has it, the version such orders run on."""
        labels = {state.name: state.label for state in newest.spec.states}
        missing = {leaf for state in states for leaf in split(state)} - labels.keys()
        for version in range(newest.version - 1, 0, -1):
            if not missing:
                break
            try:
                earlier = self.parts.compiled(tx, newest.spec.name, version)
            except NotFound:  # no such version (numbers start at 1 and have no gaps): nothing to read
                continue
            for state in earlier.spec.states:
                if state.name in missing:
                    labels[state.name] = state.label
                    missing.discard(state.name)
        return labels

    def order_list(self, actor: Actor, query: ListQuery | None = None, *, limit: int = 50) -> OrderList:
        """A page of the orders of the actor's departments as ``query`` asks (newest first by default):
        narrowed by its filters, in its sort, from its keyset cursor; or, with a search query (``q``),
        the orders it names, newest first. Each order with the version it runs on, its mobile and ID
        numbers masked unless the actor's role reveals them."""
        query = query or ListQuery()
        with self.parts.store.read() as tx:
            newest = newest_versions(tx.connection, actor.scope)
            workflows = tuple(self.parts.compiled(tx, w, v).spec for _, w, v in newest)
            every = sorted(actor.scope) if actor.scope is not None else tx.order_departments()
            departments = [d for d in every if query.department in (None, d)]
            if query.q:
                found = self._search(tx, actor, query, departments, limit)
            else:
                found = self._listed(tx, actor, query, departments, limit)
            filtered = None
            steps: tuple[tuple[str, Text], ...] = ()
            ending: frozenset[str] = frozenset()
            if query.workflow is not None:
                newest_of = {w: v for _, w, v in newest}
                if query.workflow in newest_of:
                    cv = self.parts.compiled(tx, query.workflow, newest_of[query.workflow])
                    filtered = cv.spec
                    if query.state is not None and not query.q:
                        steps = batch_steps(cv, query.state, actor)
                        ending = ending_steps(cv, query.state)
        return replace(
            found,
            workflow=filtered,
            workflows=workflows,
            departments=tuple(every),
            steps=steps,
            ending=ending,
        )

    def _shown(self, tx: Tx, row: OrderRow, actor: Actor, matched: Text | None = None) -> ListedOrder:
        cv = self.parts.compiled(tx, row.workflow, row.version)
        return ListedOrder(shown_view(cv, row, actor), cv.spec, matched)

    def _listed(
        self, tx: Tx, actor: Actor, query: ListQuery, departments: list[str], limit: int
    ) -> OrderList:
        cursor = query.cursor
        keyset = None
        if cursor is not None:
            keyset = Keyset(cursor_value(cursor.value, query.sort), cursor.id, cursor.before)
        rows = tx.orders_by_keyset(
            departments=departments,
            filters=query.list_filter(),
            sort=query.sort,
            keyset=keyset,
            limit=limit + 1,
        )
        backward = keyset is not None and keyset.before
        extra = len(rows) > limit
        if extra:  # one more than the page: orders lie beyond it, the way it was read
            rows = rows[1:] if backward else rows[:limit]
        more = extra if not backward else True
        previous = extra if backward else keyset is not None
        listed = tuple(self._shown(tx, row, actor) for row in rows)
        return OrderList(
            listed,
            more=more and bool(rows),
            previous=previous and bool(rows),
            next_after=cursor_text(rows[-1], query.sort) if rows else None,
            previous_before=cursor_text(rows[0], query.sort) if rows else None,
        )

    def _search(
        self, tx: Tx, actor: Actor, query: ListQuery, departments: list[str], limit: int
    ) -> OrderList:
        """The orders the search box's query names, newest first: the order of that number, then the
        orders holding the query as a term (engine.store.search), a page at a time below the cursor."""
        typed = query.q or ""
        below = query.cursor.id if query.cursor is not None and not query.cursor.before else MAX_ID
        found: dict[int, tuple[OrderRow, str]] = {}
        number = order_number(typed)
        if number is not None and number < below:
            row = tx.load_order(number)
            if row is not None and row.department in departments:
                found[row.id] = (row, "number")
        term = search_term(typed)
        matches = []
        if term:
            for department in departments:
                matches.extend(tx.find_term(term, department, below, limit + 1))
        matches.sort(key=lambda match: match.order_id, reverse=True)
        kinds: dict[int, str] = {}
        for match in matches:
            if match.order_id not in found:
                kinds.setdefault(match.order_id, match.kind)
        wanted = sorted(kinds, reverse=True)[: limit + 1]  # one more than the page: whether more follow
        for order_id, row in tx.load_orders(wanted).items():
            found[order_id] = (row, kinds[order_id])
        ids = sorted(found, reverse=True)
        listed = []
        for order_id in ids[:limit]:
            row, kind = found[order_id]
            cv = self.parts.compiled(tx, row.workflow, row.version)
            shown = typed.strip()
            if kind == "number":
                shown = f"#{row.id}"
            elif kind == "mobile":  # its digits, as stored; masked unless the actor's role reveals it
                whole = reveals(cv.spec, actor.roles, actor.is_system)
                shown = term if whole else mask(term, MOBILE)
            listed.append(ListedOrder(shown_view(cv, row, actor), cv.spec, matched_text(kind, shown)))
        last = listed[-1].order.id if listed else None
        return OrderList(
            tuple(listed),
            more=len(ids) > limit,
            previous=query.cursor is not None,
            next_after=f"{last}_{last}" if last is not None else None,
            searched=True,
        )

    def order_page(self, order_id: int, actor: Actor) -> OrderPage:
        """The order, its version, its history, the triggers a person could fire now (and why not) and
        the version's forms, the order's intake form first. ``NotFound`` outside the actor's
        departments."""
        now = self.parts.clock.now()
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            history = tuple(tx.history(order_id))
            approval = panel_of(tx, cv, row, actor, now)
            claim = claim_view_in(tx, cv, row, actor)
            timer_rows = tx.order_timers(order_id)
            assignees = {event.reason for event in history if event.trigger == ASSIGN and event.reason}
            people = logins_in(row.data, user_fields(cv.spec))
            named = {event.actor for event in history} | assignees
            names = display_names(tx, named.union(*people.values()))
            live = read_records(tx, cv, LiveOrder.from_row(row))
            timers = running_timers(cv, timer_rows, timers_holding(tx, cv, live, timer_rows, now))
            env = condition_env(live, SYSTEM, {}, now)
            unset = unset_timers(cv, unset_moments(cv, active_paths(live.config), env, timer_rows))
            records = named_record_lines(row.data, record_views(Moving(tx, cv, live, now), actor))
            credit = credit_standing(tx, row)
            products = line_names(
                tx,
                row.data,
                *(record.data for kind in (live.records or {}).values() for record in kind),
                *(_sent(event) for event in history),
            )
            original = original_summary(tx, self.parts, cv.spec, row.data, row.id)
            about = tuple(orders_about(tx, self.parts, row.department, row.id))
            data_form = cv.spec.forms.get(cv.spec.data_form) if cv.spec.data_form else None
            shown_row = (
                # its rows of goods (x-unclaimed) less what the orders about it name back and its own
                # return under way takes, as its forms offer them
                replace(row, data=unclaimed_prefill(tx, self.parts, row, data_form, row.data))
                if data_form is not None and has_unclaimed(data_form)
                else row
            )
        spec = cv.spec
        forms = forms_by_intake(cv, row)
        triggers = offered(cv, live, actor, now, self.parts.store)
        if about:  # a step whose rows of goods the orders about this one name all of is not offered
            with self.parts.store.read() as tx:
                triggers = [_unclaimed_step(tx, self.parts, cv, live, row, t, actor, now) for t in triggers]
        labels, money, operands = version_labels(cv), money_names(cv), order_operands(cv)
        hidden = hidden_operands(cv, actor.roles, actor.is_system)
        revealed = reveals(spec, actor.roles, actor.is_system)
        decisions = {}
        for event in history:
            ruleset = labels.get(str((event.rules or {}).get("ruleset")))
            why = decision_why(event.rules, ruleset, money, operands, hidden)
            if why is not None:
                decisions[event.id] = why
        timer_reasons = {t.reason for ts in cv.timers.values() for t in ts if t.reason is not None}
        step_labels = _step_labels(cv)
        signing = (
            [(task.approver_kind, task.approver) for task in approval.tasks if task.status == PENDING]
            if approval is not None
            else None
        )
        due = steps_due(cv, live.config)
        acts = (
            any(t.allowed for t in triggers)
            # a record step offered that is the order's work in its state (order_states:)
            or any(
                step.allowed and (record.kind, step.trigger) in due
                for record in records
                for step in record.steps
            )
            or (approval is not None and any(task.yours for task in approval.tasks))
        )
        here = why_here(
            cv,
            row.state,
            history,
            acts=acts,
            approvers=signing,
            names={**names, **(approval.names if approval is not None else {})},
            timer_reasons=timer_reasons,
        )
        return OrderPage(
            split_shown(shown_view(cv, shown_row, actor)),
            spec,
            history,
            tuple(triggers),
            tuple(forms),
            approval=approval,
            claim=claim,
            decisions=decisions,
            actors={event.id: actor_text(event, names, timer_reasons) for event in history},
            actions={event.id: event_action(event, step_labels, names) for event in history},
            said={event.id: said for event in history if (said := step_said(cv, event, revealed))},
            timers=timers,
            unset_timers=unset,
            now=now,
            value_labels={**value_labels(cv, labels), **people_labels(people, names), **products},
            here=here,
            records=records,
            credit=credit,
            original=original,
            about=about,
        )

    def step_page(self, order_id: int, trigger: str, actor: Actor) -> StepPage:
        """The order, the step ``trigger`` from where it is now (or why not) and the step's form.
        ``NotFound`` outside the actor's departments."""
        now = self.parts.clock.now()
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            return step_page_of(tx, self.parts, cv, row, trigger, actor, now)

    def take_step(
        self,
        order_id: int,
        trigger: str,
        actor: Actor,
        submission: Submission,
        *,
        expected_lock_version: int | None = None,
    ) -> StepTaken:
        """The step ``trigger`` taken from its page in one write transaction, the order read once:
        the step's page built, ``submission(page)`` asked for the data sent with it, and the trigger
        fired with that data (as ``Engine.fire``). A refusal or a conflict comes back with the page,
        nothing written; a step not offered now, or a submission that answers None, is not fired."""
        return self.parts.store.retrying(
            lambda: self._take_step(order_id, trigger, actor, submission, expected_lock_version)
        )

    def _take_step(
        self,
        order_id: int,
        trigger: str,
        actor: Actor,
        submission: Submission,
        expected_lock_version: int | None,
    ) -> StepTaken:
        page: StepPage | None = None
        try:
            with self.parts.store.transaction() as tx:
                row = load_order(tx, order_id, actor)
                cv = self.parts.compiled(tx, row.workflow, row.version)
                page = step_page_of(tx, self.parts, cv, row, trigger, actor, self.parts.clock.now())
                claimed = (
                    [r for r in page.info.why_not if r.code == UNCLAIMED_CODE]
                    if page.info is not None
                    else []
                )
                if claimed:  # nothing left of the rows it must send: said as its page says it
                    raise TransitionRejected(claimed)
                data = submission(page) if page.info is not None else None
                if data is None:
                    return StepTaken(page)
                unstorable = unstorable_refusals(data)
                if unstorable:
                    raise TransitionRejected(unstorable)
                request = StepRequest(order_id, trigger, actor, data, expected_lock_version)
                return StepTaken(page, result=self.commands.fire_in(tx, request, row))
        except TransitionRejected as rejected:  # rolled back whole: nothing of the step is written
            if page is None:
                raise
            return StepTaken(page, rejected=rejected)
        except ConflictError as conflict:  # changed since the page was drawn (``retrying`` raises
            # ContentionError outside this transaction, where the same step may simply be sent again)
            if page is None:
                raise
            return StepTaken(page, conflict=conflict)

    def intake_page(self, actor: Actor, department: str, workflow: str, channel: str) -> IntakePage:
        """The newest version of ``workflow`` and the form its new orders from ``channel`` are filled in.
        ``NotFound`` when the workflow is not published in ``department`` (or outside the actor's
        departments) or takes no orders from ``channel``."""
        with self.parts.store.read() as tx:
            cv = self.parts.compiled(tx, workflow, None) if actor.in_department(department) else None
            kept = cv is not None and cv.spec.catalogue is not None and catalogue_size(tx.connection) > 0
        if cv is None or cv.spec.department != department or channel not in cv.spec.channels:
            raise NotFound(
                f"no new {workflow} order from channel {channel} in department {department}",
                zh=f"部门 {department} 没有渠道 {channel} 的流程 {workflow} 新订单",
            )
        form = intake_form_of(cv, channel)
        # a kept catalogue names (and may price) every line; an empty one decides nothing: the clerk types
        return IntakePage(cv.spec, catalogue_form(form, cv.spec.catalogue) if kept else form)

    def intake_original(
        self, actor: Actor, department: str, workflow: str, channel: str, number: str
    ) -> IntakeOriginal:
        """The original order a new ``workflow`` order from ``channel`` names by ``number``
        (``original_order:``): its summary and what the channel's intake form takes from it. ``NotFound``
        as for the intake page, and for a person who may not take such orders or a workflow that names
        no original order."""
        with self.parts.store.read() as tx:
            cv = self.parts.compiled(tx, workflow, None) if actor.in_department(department) else None
            if (
                cv is None
                or cv.spec.department != department
                or channel not in cv.spec.channels
                or cv.spec.original_order is None
                or not (actor.is_system or cv.spec.takes_orders_from(actor.roles))
            ):
                raise NotFound(
                    f"no original order to read for a new {workflow} order from channel {channel} "
                    f"in department {department}",
                    zh=f"部门 {department} 渠道 {channel} 的流程 {workflow} 新订单没有可读取的原订单",
                )
            wanted = cv.spec.original_order
            summary = original_summary(tx, self.parts, cv.spec, {wanted.field: number})
            form = intake_form_of(cv, channel)
            schema = form.schema if form is not None else {}
            # no such order, or one that may not be asked about yet (not delivered): said by the field
            refusals = original_order_refusals(tx, cv.spec, {wanted.field: number})
            fill = (
                original_fill(tx, cv.spec, schema, number) if summary is not None and not refusals else None
            )
            names = line_names(tx, fill) if fill else {}
        return IntakeOriginal(number, summary, fill, tuple(refusals), fill_names=names)


def _sent(event: AuditRow) -> dict[str, Any]:
    """What ``event``'s step wrote, field by field as its form names them (a record's step,
    ``shipment#1.lines``, by the record's field): where the timeline finds the lines a step sent."""
    written: dict[str, Any] = {}
    for key, change in (event.data_changes or {}).items():
        head, dot, rest = key.partition(".")
        if isinstance(change, list) and len(change) == 2:
            written[rest if dot and "#" in head else key] = change[1]
    return written


def _step_labels(cv: CompiledVersion) -> dict[str, Text]:
    """Each trigger's label (the first transition of that trigger that has one)."""
    found: dict[str, Text] = {}
    for ct in cv.transitions:
        if ct.spec.label is not None:
            found.setdefault(ct.spec.trigger, ct.spec.label)
    # a record's steps (``payment.capture``): the kind and the step, ``支付：收款``
    for kind, compiled in cv.records.items():
        named = compiled.spec.label
        added = WORDS["orders.record.added"]
        found[f"{kind}.{ADD}"] = Text(added.zh.format(kind=named.zh), added.en.format(kind=named.en))
        for ct in compiled.transitions:
            label = ct.spec.label or Text(ct.spec.trigger, ct.spec.trigger)
            found.setdefault(
                f"{kind}.{ct.spec.trigger}", Text(f"{named.zh}：{label.zh}", f"{named.en}: {label.en}")
            )
    return found


def step_page_of(
    tx: Tx, parts: Parts, cv: CompiledVersion, row: OrderRow, trigger: str, actor: Actor, now: datetime
) -> StepPage:
    """A step's page: the step from where the order is now (or why not), its form, and what the order
    knows of the form's fields (its ``prefill``: never a value some roles see masked). A guard reads
    the order's child records as on the order's page (``records.shipment``), so they are read here."""
    live = read_records(tx, cv, LiveOrder.from_row(row))
    # of several transitions on the trigger from here, the one taken: the first its guard allows
    # (a receipt that ends the order returned, else partly returned), else the first, to say why not
    found = [t for t in offered(cv, live, actor, now) if t.trigger == trigger]
    info = next((t for t in found if t.allowed), found[0] if found else None)
    transition = next((t for t in cv.spec.transitions if t.trigger == trigger and not t.auto), None)
    data_form = cv.spec.data_form
    order_layout = cv.layouts.get(data_form) if data_form is not None else None
    form = step_form(cv, live.config, trigger)
    prefill: dict[str, Any] = {}
    if form is not None and form.layout.prefill and info is not None:
        order = condition_env(live, actor, {}, now)["order"]
        prefill = form.layout.prefilled(order, cv.never_prefilled, now)
        # rows of goods offered less what the orders about this one name back (x-unclaimed); none left
        # of rows it must send: the step is refused, saying which orders name them all
        prefill, claimed = unclaimed_left(tx, parts, row, form.schema, prefill)
        if claimed is not None and info.allowed:
            info = replace(info, allowed=False, why_not=(*info.why_not, claimed))
    shown = shown_view(cv, row, actor)
    # a line's name read in the page's language where the form shows it read-only (a return's lines): a
    # name the clerk may type over is the order's own words, kept, or the step would say it changed them
    fields = form.layout.fields if form is not None else {}
    names = {
        path: known
        for path, known in (line_names(tx, prefill) if prefill else {}).items()
        if path in fields and fields[path].readonly
    }
    return StepPage(
        shown,
        cv.spec,
        trigger,
        info,
        transition,
        form,
        order_layout,
        prefill,
        prefill_names=names,
        shows=shown_fields(tx, cv, row, shown, info.shows) if info is not None and info.shows else None,
    )


def forms_by_intake(cv: CompiledVersion, row: OrderRow) -> list[PublishedForm]:
    """Every form the version publishes, the one the order was taken with first: the labels the clerk
    saw first label its data."""
    intake = cv.spec.intake_forms.get(row.channel) if row.channel is not None else None
    return sorted(forms_of(cv), key=lambda form: form.path != intake)


def shown_fields(
    tx: Tx, cv: CompiledVersion, row: OrderRow, view: OrderView, fields: tuple[str, ...]
) -> ShownFields:
    """The order's ``fields`` (a step's ``shows:``) as its page shows its data: the values ``view``
    holds (masked for its reader), a field holding nothing left out, labelled by the version's forms,
    each code (a warehouse, a person) and each product line named as the order's page names them."""
    data = {name: view.data[name] for name in fields if view.data.get(name) is not None}
    people = logins_in(data, user_fields(cv.spec))
    names = display_names(tx, set().union(*people.values()))
    return ShownFields(
        data,
        tuple(form.layout for form in forms_by_intake(cv, row)),
        {
            **value_labels(cv, version_labels(cv)),
            **people_labels(people, names),
            **line_names(tx, data),
        },
    )


def _unclaimed_step(
    tx: Tx,
    parts: Parts,
    cv: CompiledVersion,
    live: LiveOrder,
    row: OrderRow,
    info: TriggerInfo,
    actor: Actor,
    now: datetime,
) -> TriggerInfo:
    """``info`` refused when its form's rows of goods (``x-unclaimed``) must hold one and the orders about
    the order leave none of them, as its page refuses it (``step_page_of``)."""
    if not info.allowed:
        return info
    form = step_form(cv, live.config, info.trigger)
    if form is None or not form.layout.prefill or not has_unclaimed(form.schema):
        return info
    order = condition_env(live, actor, {}, now)["order"]
    prefill = form.layout.prefilled(order, cv.never_prefilled, now)
    _, claimed = unclaimed_left(tx, parts, row, form.schema, prefill)
    return info if claimed is None else replace(info, allowed=False, why_not=(*info.why_not, claimed))


def kind_step_page_of(
    tx: Tx, cv: CompiledVersion, row: OrderRow, trigger: str, actor: Actor, now: datetime
) -> StepPage:
    """A batch's page of a record kind's step (``shipment.ship``, ``records.kind_step``) on one order:
    allowed when one of the order's records of the kind may take it now (``records.takers``), else why
    not; the step's form, filled once for all of them."""
    kind, step = kind_step(cv, trigger) or ("", "")
    moving = Moving(tx, cv, LiveOrder.from_row(row), now)
    compiled = cv.records[kind]
    numbers, why = takers(moving, compiled, step, actor, judged=True)
    found = compiled.by_trigger.get(step, ())
    path = found[0].spec.form if found else None
    validator = found[0].form if found else None
    form = None
    separate: tuple[str, ...] = ()
    if path is not None and validator is not None:
        # one form for every record: a field that must differ per record (a waybill) is left out
        schema, layout = cv.spec.forms[path], cv.layouts[path]
        separate = per_record_fields(schema)
        if separate:
            schema, layout = without_fields(schema, layout, separate)
        form = PublishedForm(path, schema, layout, validator)
    info = TriggerInfo(trigger, kind_step_label(compiled, step), (), path, bool(numbers), why)
    data_form = cv.spec.data_form
    order_layout = cv.layouts.get(data_form) if data_form is not None else None
    shown = shown_view(cv, row, actor)
    return StepPage(shown, cv.spec, trigger, info, None, form, order_layout, per_record=separate)


def split_shown(view: OrderView) -> OrderView:
    """An order routing split (its ``split``: a part per warehouse) as its page's data section shows it:
    its ``warehouse`` is every part's, in the split's order, not the first part's alone (each parcel's is
    on its shipment record)."""
    parts = view.data.get("split")
    if not isinstance(parts, list) or len(parts) < 2 or "warehouse" not in view.data:
        return view
    warehouses = [part["warehouse"] for part in parts if isinstance(part, Mapping) and "warehouse" in part]
    return replace(view, data={**view.data, "warehouse": list(dict.fromkeys(warehouses))})


def shown_view(cv: CompiledVersion, row: OrderRow, actor: Actor) -> OrderView:
    """The order as a page shows it to ``actor``: mobile and ID numbers masked unless a role of the
    actor is among the workflow's ``reveal:`` (engine.runtime.masking)."""
    view = order_view(row)
    if not cv.masked or reveals(cv.spec, actor.roles, actor.is_system):
        return view
    return replace(view, data=masked_data(row.data, cv.masked))
