"""One step on many orders at once: the batch's page, then the results as each order's step commits.

``GET /orders/batch?trigger=<step>&o=<id>&o=<id>…`` (the list's selection sends it) shows the step's
form once and the orders it will be taken on: those of the first order's workflow and state, where the
person may take it now. The others are listed apart, each with the reason it is left out (another
workflow or state, not possible now, not found). ``POST /orders/batch`` checks the form once (its
errors come back beside the fields, with no order touched), then takes the step on each order in its
own transaction (``Engine.take_batch``) with the lock version the page was drawn with, and streams a
row per order as it commits or is refused: done (where the order is now) or refused (why). A script
(``batch.js``) turns the rows into a progress bar; without scripts the rows appear as they come. The
page carries a key: the same batch sent twice takes each order's step once.

A batch is chosen on the list, on my work or on a queue page: ``next`` (a path of this site) is the page
it returns to. The same two pages assign orders to a colleague (指派): ``GET /orders/batch/assign?o=…``
shows the orders, who handles each, why one may not be assigned, and the department's people who may
act on them; ``POST`` gives them to the one chosen (``Engine.assign_batch``), a row per order. And
``POST /work/approvals/batch`` signs the approval tasks selected on my work, approved or declined with one
comment (``Engine.sign_batch``, each through the approval panel's call), a row per task; a decline
asks to be confirmed and, without a comment (its reason), is refused before any task is touched, on a
page that keeps the tasks selected for the reason to be written there.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_template, url_for

from engine.api import ApprovalAction, Engine, StepPage, TriggerInfo, WorkflowSpec, translate
from engine.api.batch import (
    MAX_BATCH,
    SIGNING,
    Assigned,
    BatchOutcome,
    Selected,
    SelectedTask,
    Signed,
    names_of,
)
from engine.api.forms import FieldError
from engine.api.workspace import AssignPage
from engine.errors import TransitionRejected
from web.auth import current_actor
from web.forms import CompiledForm, FormView, form_view, posted_data, published_form
from web.i18n import current_lang, with_roles
from web.orders import leads_to, state_label
from web.params import local_path, whole_number

batch = Blueprint("batch", __name__)

KEY_FIELD = "_key"
NEXT_FIELD = "next"  # the page the batch was chosen on, and returns to
SELECTED_FIELD = "o"  # an order of the batch: "<id>" on the way in, "<id>:<lock version>" on the page
TASK_FIELD = "t"  # an approval task: "<order>:<task>:<lock version>"
ID_DIGITS = 18
LOCK_DIGITS = 9


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


@dataclass(frozen=True)
class Left:
    """An order selected but left out of the batch, and why."""

    order_id: int
    why: str


@dataclass(frozen=True)
class Shown:
    """An order a batch is taken on, as its page lists it: the number, the amount and who it is for (as
    the reader sees the order: masked where the order page masks)."""

    order_id: int
    total: str
    names: str


def _shown(order: Any, spec: WorkflowSpec) -> Shown:
    total = order.data.get("total")
    money = isinstance(total, int | float) and not isinstance(total, bool)
    return Shown(order.id, f"¥{total:.2f}" if money else "", " · ".join(names_of(spec, order.data)))


def _back_words(back: str | None, lang: str) -> str:
    """The way back's words: the page the batch was chosen on by name (my work, a queue, the list)."""
    if back is None:
        return translate("orders.batch.back", lang)
    path = back.split("?", 1)[0].rstrip("/")
    if path == "/work":
        return translate("orders.batch.back_work", lang)
    if path.startswith("/work/queues/"):
        return translate("orders.batch.back_queue", lang)
    if path == "/orders":
        return translate("orders.batch.back", lang)
    return translate("orders.batch.back_here", lang)


@dataclass(frozen=True)
class Plan:
    """What the batch will do: the step, the orders it is taken on (their pages), those left out."""

    trigger: str
    label: str
    spec: WorkflowSpec | None
    state: str
    taken: tuple[StepPage, ...]
    left: tuple[Left, ...]
    form: CompiledForm | None
    back: str = ""  # the page the batch was chosen on (else the list of the orders' workflow and state)
    came_from: bool = False  # ``back`` is the page the batch was chosen on
    back_text: str = ""  # the way back's words, naming that page
    shown: tuple[Shown, ...] = ()  # the orders taken, as the page lists them
    leads: str | None = None  # where the step takes the orders, told before it is taken


def _nothing_ticked(fallback: str) -> None:
    """A batch button pressed with no order ticked: said so, with the way back to the page it came from
    (else ``fallback``); nothing is done."""
    came = _next()
    lang = current_lang()
    back = (came or fallback, _back_words(came, lang) if came else translate("orders.batch.back_here", lang))
    page = render_template("error.html", code=400, key="orders.batch.nothing_ticked", values={}, back=back)
    abort(Response(page, status=400))


def _selected_ids(values: Sequence[str], fallback: str) -> list[int]:
    ids = []
    for value in values:
        number = whole_number(value.split(":", 1)[0].strip(), ID_DIGITS)
        if number is None or number == 0:
            abort(400)
        ids.append(number)
    if not ids:
        _nothing_ticked(fallback)
    return ids[:MAX_BATCH]


def _next() -> str | None:
    return local_path(request.values.get(NEXT_FIELD))


def _plan(order_ids: Sequence[int], trigger: str) -> Plan:
    """The batch's page: the orders of the first taken order's workflow and state where the step may be
    taken now, and each other order with the reason it is left out."""
    lang = current_lang()
    page = _engine().batch_page(order_ids, trigger, current_actor())
    taken: list[StepPage] = []
    left = [Left(order_id, translate("orders.batch.not_found", lang)) for order_id in page.missing]
    first: StepPage | None = None
    for step in page.steps:
        order = step.order
        if step.info is None:
            where = state_label(step.spec, order.state, lang)
            left.append(Left(order.id, translate("orders.batch.not_from_here", lang).format(state=where)))
        elif not step.info.allowed:
            left.append(Left(order.id, "；".join(r.zh if lang == "zh" else r.en for r in step.info.why_not)))
        elif first is not None and (order.workflow, order.state) != (first.order.workflow, first.order.state):
            where = f"{step.spec.title.get(lang)} · {state_label(step.spec, order.state, lang)}"
            left.append(Left(order.id, translate("orders.batch.other_place", lang).format(where=where)))
        else:
            first = first or step
            taken.append(step)
    if first is None:
        spec = page.steps[0].spec if page.steps else None
        named = next((step.info.label for step in page.steps if step.info and step.info.label), None)
        transition = next((t for t in spec.transitions if t.trigger == trigger), None) if spec else None
        words = transition.label if transition and transition.label else named  # a record kind's: its own
        label = words.get(lang) if words is not None else trigger
        came = _next()
        words = _back_words(came, lang)
        return Plan(trigger, label, spec, "", (), tuple(left), None, came or "", came is not None, words)
    info = first.info
    label = info.label.get(lang) if info is not None and info.label is not None else trigger
    state = state_label(first.spec, first.order.state, lang)
    form = published_form(first.form, first.order.department)
    came = _next()
    back = came or url_for("orders.index", workflow=first.order.workflow, state=first.order.state)
    return Plan(
        trigger,
        label,
        first.spec,
        state,
        tuple(taken),
        tuple(left),
        form,
        back,
        came is not None,
        _back_words(came, lang),
        tuple(_shown(step.order, step.spec) for step in taken),
        # where each order goes may differ (a receipt that ends one order returned, another partly
        # returned): every order's, said as either
        leads_to(first.spec, _every_dest(info, taken), label, lang, many=True, state=first.order.state)
        if info is not None
        else None,
    )


def _every_dest(info: TriggerInfo, taken: Sequence[StepPage]) -> TriggerInfo:
    """``info`` leading to where any of the orders ``taken`` goes, in the order first met."""
    dests = tuple(dict.fromkeys(d for step in taken if step.info is not None for d in step.info.dests))
    return replace(info, dests=dests) if dests else info


def _view(plan: Plan, data: Mapping[str, Any], errors: Sequence[FieldError] = ()) -> FormView | None:
    if plan.form is None:
        return None
    return form_view(plan.form, data, errors, action=url_for("batch.run"))


def _render(plan: Plan, data: Mapping[str, Any], key: str, errors: Sequence[FieldError] = ()) -> str:
    return render_template(
        "orders/batch.html",
        plan=plan,
        view=_view(plan, data, errors),
        hidden=[
            ("trigger", plan.trigger),
            (KEY_FIELD, key),
            *(((NEXT_FIELD, plan.back),) if plan.came_from else ()),
            *((SELECTED_FIELD, f"{step.order.id}:{step.order.lock_version}") for step in plan.taken),
        ],
    )


@batch.get("/orders/batch")
def page() -> Any:
    trigger = request.args.get("trigger", "").strip()
    if not trigger:
        abort(400)
    plan = _plan(_selected_ids(request.args.getlist(SELECTED_FIELD), url_for("orders.index")), trigger)
    data = plan.form.layout.prepare(plan.form.layout.blank()) if plan.form is not None else {}
    return _render(plan, data, uuid.uuid4().hex)


@dataclass(frozen=True)
class Row:
    """One order's result as the results page shows it."""

    order_id: int
    done: bool
    text: str


def _why(refusals: Sequence[Any], lang: str) -> str:
    return "；".join(r.zh if lang == "zh" else r.en for r in refusals)


def _rows(outcomes: Iterator[BatchOutcome], specs: Mapping[int, WorkflowSpec], lang: str) -> Iterator[Row]:
    now_in = translate("orders.batch.now_in", lang)
    for outcome in outcomes:
        if outcome.result is not None:
            where = state_label(specs[outcome.order_id], outcome.result.to_state, lang)
            yield Row(outcome.order_id, True, now_in.format(state=where))
        else:
            yield Row(outcome.order_id, False, _why(outcome.refusals, lang))


def _results(plan: Plan, rows: Iterator[Row], count: int, outcomes: Iterator[Any]) -> Response:
    """The results page, streamed a row per order as each commits or is refused."""
    response = Response(stream_template("orders/batch_run.html", plan=plan, rows=rows, count=count))
    # A page closed while the batch runs does not stop it: the orders not yet done are done when the
    # answer closes, as they would have been with the page open.
    response.call_on_close(lambda: deque(outcomes, maxlen=0))
    return response


def _locks(fallback: str) -> dict[int, int]:
    """The orders a batch page sent, each with the lock version it was drawn with; a 400 without."""
    locks: dict[int, int] = {}
    for value in request.form.getlist(SELECTED_FIELD)[:MAX_BATCH]:
        number, _, lock = value.partition(":")
        order_id = whole_number(number.strip(), ID_DIGITS)
        lock_version = whole_number(lock.strip(), LOCK_DIGITS)
        if order_id is None or order_id == 0 or lock_version is None:  # the page always sends both:
            abort(400)  # without the lock version, a change made meanwhile would go unseen
        locks.setdefault(order_id, lock_version)
    if not locks:
        _nothing_ticked(fallback)
    return locks


@batch.post("/orders/batch")
def run() -> Any:
    trigger = request.form.get("trigger", "").strip()
    if not trigger:
        abort(400)
    locks = _locks(url_for("orders.index"))
    plan = _plan(list(locks), trigger)
    key = request.form.get(KEY_FIELD) or uuid.uuid4().hex
    data: dict[str, Any] = {}
    if plan.form is not None:
        data = plan.form.layout.prepare(posted_data(plan.form))
        errors = plan.form.validator.messages(data, plan.form.layout)
        if errors:  # said once, beside the fields: no order was touched
            return _render(plan, data, key, errors), 422
        for name in plan.taken[0].per_record if plan.taken else ():  # each record's own: the engine
            if name in request.form:  # refuses it given to many at once, saying why
                data[name] = request.form[name]
    lang = current_lang()
    specs = {step.order.id: step.spec for step in plan.taken}
    chosen = [Selected(step.order.id, locks[step.order.id]) for step in plan.taken]
    outcomes = _engine().take_batch(chosen, trigger, current_actor(), data, key)
    return _results(plan, _rows(outcomes, specs, lang), len(chosen), outcomes)


# -- assigning (指派) -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignRow:
    """An order selected to be assigned: who handles it now (or nobody), and why it may not be."""

    order_id: int
    workflow: str
    state: str
    holder: str | None
    why: str
    shown: Shown


def _plan_of(label: str, left: Sequence[Left] = ()) -> Plan:
    """What orders assigned or tasks signed are shown under: no step, no form, back to the page they
    were chosen on (else my work)."""
    came = _next()
    back = came or url_for("work.index")
    words = _back_words(came, current_lang()) if came else translate("orders.batch.back_work", current_lang())
    return Plan("", label, None, "", (), tuple(left), None, back, came is not None, words)


def _assign_plan(page: AssignPage, lang: str) -> Plan:
    left = [Left(order_id, translate("orders.batch.not_found", lang)) for order_id in page.missing]
    left += [Left(c.order.id, _why(c.refusals, lang)) for c in page.orders if c.refusals]
    return _plan_of(translate("orders.assign.action", lang), left)


@batch.get("/orders/batch/assign")
def assign_page() -> Any:
    lang = current_lang()
    ids = _selected_ids(request.args.getlist(SELECTED_FIELD), url_for("work.index"))
    page = _engine().assign_page(ids, current_actor())
    rows = [
        AssignRow(
            c.order.id,
            c.spec.title.get(lang),
            state_label(c.spec, c.order.state, lang),
            c.holder.name if c.holder is not None else None,
            _why(c.refusals, lang),
            _shown(c.order, c.spec),
        )
        for c in page.orders
    ]
    taken = [c for c in page.orders if not c.refusals]
    plan = _assign_plan(page, lang)
    hidden = [
        *(((NEXT_FIELD, plan.back),) if plan.came_from else ()),
        *((SELECTED_FIELD, f"{c.order.id}:{c.order.lock_version}") for c in taken),
    ]
    people = [(person.login, with_roles(person.name, person.roles, lang)) for person in page.people]
    # only the reader themself: no one else to give the orders to, said so rather than a list of one
    others = any(login != current_actor().name for login, _ in people)
    return render_template(
        "orders/assign.html",
        plan=plan,
        rows=rows,
        taken=len(taken),
        people=people if others else [],
        alone=bool(people) and not others,
        hidden=hidden,
    )


def _assigned_rows(outcomes: Iterator[Assigned], lang: str) -> Iterator[Row]:
    given = translate("work.event.assign", lang)
    for outcome in outcomes:
        if outcome.assignee is not None:
            yield Row(outcome.order_id, True, given.format(name=outcome.assignee.name))
        else:
            yield Row(outcome.order_id, False, _why(outcome.refusals, lang))


@batch.post("/orders/batch/assign")
def assign() -> Any:
    lang = current_lang()
    to = request.form.get("to", "").strip()
    if not to:
        abort(400)
    locks = _locks(url_for("work.index"))
    chosen = [Selected(order_id, lock) for order_id, lock in locks.items()]
    plan = _plan_of(translate("orders.assign.action", lang))
    outcomes = _engine().assign_batch(chosen, to, current_actor())
    return _results(plan, _assigned_rows(outcomes, lang), len(chosen), outcomes)


# -- approval tasks signed from my work ---------------------------------------------------------


def _tasks() -> list[SelectedTask]:
    tasks: list[SelectedTask] = []
    for value in request.form.getlist(TASK_FIELD)[:MAX_BATCH]:
        parts = value.split(":")
        numbers = [whole_number(part.strip(), ID_DIGITS) for part in parts]
        if len(numbers) != 3 or any(n is None for n in numbers):
            abort(400)
        order_id, task_id, lock = (int(n or 0) for n in numbers)
        if order_id == 0 or task_id == 0:
            abort(400)
        tasks.append(SelectedTask(order_id, task_id, lock))
    if not tasks:
        _nothing_ticked(url_for("work.index"))
    return tasks


def _signed_rows(outcomes: Iterator[Signed], lang: str) -> Iterator[Row]:
    now_in = translate("orders.batch.now_in", lang)
    for outcome in outcomes:
        order_id = outcome.task.order_id
        if outcome.result is not None:
            where = outcome.where.get(lang) if outcome.where is not None else outcome.result.state
            yield Row(order_id, True, now_in.format(state=where))
        else:
            yield Row(order_id, False, _why(outcome.refusals, lang))


@batch.post("/work/approvals/batch")
def sign() -> Any:
    lang = current_lang()
    try:
        action = ApprovalAction(request.form.get("action", ""))
    except ValueError:
        abort(400)
    if action not in SIGNING:
        abort(400)
    tasks = _tasks()
    comment = request.form.get("comment", "")
    plan = _plan_of(translate(f"work.approvals.{action.value}", lang))
    try:
        outcomes = _engine().sign_batch(tasks, action, current_actor(), comment)
    except TransitionRejected as refused:  # no reason for a decline, a comment too long: none touched
        page = render_template(
            "work/approvals_decline.html",
            problem=_why(refused.refusals, lang),
            tasks=[f"{t.order_id}:{t.task_id}:{t.lock_version}" for t in tasks],
            action=action.value,
            comment=comment,
            back=plan.back if plan.came_from else None,
        )
        return page, 422
    return _results(plan, _signed_rows(outcomes, lang), len(tasks), outcomes)
