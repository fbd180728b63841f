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
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_template, url_for

from engine.api import Engine, StepPage, WorkflowSpec, translate
from engine.api.batch import MAX_BATCH, BatchOutcome, Selected
from engine.api.forms import FieldError
from web.auth import current_actor
from web.forms import CompiledForm, FormView, form_view, posted_data, published_form
from web.i18n import current_lang
from web.orders import state_label
from web.params import whole_number

batch = Blueprint("batch", __name__)

KEY_FIELD = "_key"
SELECTED_FIELD = "o"  # an order of the batch: "<id>" on the way in, "<id>:<lock version>" on the page
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
class Plan:
    """What the batch will do: the step, the orders it is taken on (their pages), those left out."""

    trigger: str
    label: str
    spec: WorkflowSpec | None
    state: str
    taken: tuple[StepPage, ...]
    left: tuple[Left, ...]
    form: CompiledForm | None
    back: str = ""  # the list of the orders' workflow and state, where the batch was chosen


def _selected_ids(values: Sequence[str]) -> list[int]:
    ids = []
    for value in values:
        number = whole_number(value.split(":", 1)[0].strip(), ID_DIGITS)
        if number is None or number == 0:
            abort(400)
        ids.append(number)
    if not ids:
        abort(400)
    return ids[:MAX_BATCH]


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
        transition = next((t for t in spec.transitions if t.trigger == trigger), None) if spec else None
        label = transition.label.get(lang) if transition and transition.label else trigger
        return Plan(trigger, label, spec, "", (), tuple(left), None)
    info = first.info
    label = info.label.get(lang) if info is not None and info.label is not None else trigger
    state = state_label(first.spec, first.order.state, lang)
    form = published_form(first.form, first.order.department)
    back = url_for("orders.index", workflow=first.order.workflow, state=first.order.state)
    return Plan(trigger, label, first.spec, state, tuple(taken), tuple(left), form, back)


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
            *((SELECTED_FIELD, f"{step.order.id}:{step.order.lock_version}") for step in plan.taken),
        ],
    )


@batch.get("/orders/batch")
def page() -> Any:
    trigger = request.args.get("trigger", "").strip()
    if not trigger:
        abort(400)
    plan = _plan(_selected_ids(request.args.getlist(SELECTED_FIELD)), trigger)
    data = plan.form.layout.prepare(plan.form.layout.blank()) if plan.form is not None else {}
    return _render(plan, data, uuid.uuid4().hex)


@dataclass(frozen=True)
class Row:
    """One order's result as the results page shows it."""

    order_id: int
    done: bool
    text: str


def _rows(outcomes: Iterator[BatchOutcome], specs: Mapping[int, WorkflowSpec], lang: str) -> Iterator[Row]:
    for outcome in outcomes:
        if outcome.result is not None:
            where = state_label(specs[outcome.order_id], outcome.result.to_state, lang)
            yield Row(outcome.order_id, True, where)
        else:
            why = "；".join(r.zh if lang == "zh" else r.en for r in outcome.refusals)
            yield Row(outcome.order_id, False, why)


@batch.post("/orders/batch")
def run() -> Any:
    trigger = request.form.get("trigger", "").strip()
    if not trigger:
        abort(400)
    sent = request.form.getlist(SELECTED_FIELD)
    locks: dict[int, int] = {}
    for value in sent:
        number, _, lock = value.partition(":")
        order_id = whole_number(number.strip(), ID_DIGITS)
        lock_version = whole_number(lock.strip(), LOCK_DIGITS)
        if order_id is None or lock_version is None:  # the page always sends both: without the lock
            abort(400)  # version, a change made meanwhile would go unseen
        locks.setdefault(order_id, lock_version)
    if not locks:
        abort(400)
    plan = _plan(list(locks), trigger)
    key = request.form.get(KEY_FIELD) or uuid.uuid4().hex
    data: dict[str, Any] = {}
    if plan.form is not None:
        data = plan.form.layout.prepare(posted_data(plan.form))
        errors = plan.form.validator.messages(data, plan.form.layout)
        if errors:  # said once, beside the fields: no order was touched
            return _render(plan, data, key, errors), 422
    lang = current_lang()
    specs = {step.order.id: step.spec for step in plan.taken}
    chosen = [Selected(step.order.id, locks[step.order.id]) for step in plan.taken]
    outcomes = _engine().take_batch(chosen, trigger, current_actor(), data, key)
    response = Response(
        stream_template(
            "orders/batch_run.html", plan=plan, rows=_rows(outcomes, specs, lang), count=len(chosen)
        )
    )
    # A page closed while the batch runs does not stop it: the orders not yet taken are taken when the
    # answer closes, as they would have been with the page open.
    response.call_on_close(lambda: deque(outcomes, maxlen=0))
    return response
