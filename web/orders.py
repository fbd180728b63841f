"""The clerk's pages: a new order through its channel's intake form, an order's page, firing a trigger.

``GET/POST /orders/new/<department>/<workflow>/<channel>`` shows the form the newest published version
takes orders from that channel in (its intake form, else the workflow's data form), rendered by
``web.forms`` from the layout published with the version; a submit goes to ``Engine.create_order`` and
on to the new order's page. ``GET /orders/<id>`` shows the order: its state, its data, its timeline
(``Engine.history``) and a button per trigger the user may fire now. ``GET/POST
/orders/<id>/fire/<trigger>`` shows the transition's form (or a confirm button when it takes none) and
fires through ``Engine.fire`` with the lock version the page was drawn with.

A new-order page carries a key (``_key``): the same page sent twice creates one order. A page drawn again
by the back button has a new key but the browser puts back what was typed; so the login's session also
remembers what its last intakes created (a digest of workflow, channel and data, for
``SAME_AGAIN_WINDOW``), and the same order sent again within it is not created but shown beside the order
it already made, with a button that creates another anyway (``_again``).

The engine decides: a refusal comes back as the form again, filled, each refusal that names a field
(``details.path``) beside it and the others (role, department, guard, rules) in the summary, in the
page's language. Pages refresh computed fields and conditional groups through ``web.forms``'s one
refresh function. An order, workflow or channel outside the user's departments is a 404.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import HTTPException

from engine.api import (
    FILTER_FIELDS,
    MIGRATE_TRIGGER,
    SORTS,
    STATE_JOIN,
    CreditStanding,
    DecisionWhy,
    Engine,
    IntakeOriginal,
    OrderAbout,
    OrderList,
    OrderPage,
    OrderView,
    RunningTimer,
    StepPage,
    Text,
    TriggerInfo,
    UnsetTimer,
    WorkflowSpec,
    guard_beside_field,
    read_list_query,
    refusal_words,
    state_words,
    term,
    translate,
)
from engine.api.forms import ITEMS, FieldError, FieldLayout, FormLayout
from engine.errors import (
    ConflictError,
    ContentionError,
    NotFound,
    Refusal,
    RefusalCode,
    StoredDocumentError,
    TransitionRejected,
)
from web.approvals import panel_view
from web.auth import current_actor
from web.formdata import choice_text, input_value, local_day, local_input, local_time
from web.forms import (
    CompiledForm,
    Control,
    ErrorItem,
    FormView,
    form_view,
    posted_data,
    posted_row_action,
    published_form,
    refresh_response,
)
from web.i18n import RELANG_FIELD, current_lang, relanged, time_left
from web.original_order import refunded_about, shown_about, shown_original
from web.params import whole_number

orders = Blueprint("orders", __name__)

LOCK_FIELD = "_lock_version"  # the order's lock version the page was drawn with
LOCK_DIGITS = 9  # more changes than one order ever has
KEY_FIELD = "_key"  # an idempotency key per drawn intake page: a double submit creates one order
AGAIN_FIELD = "_again"  # "create another order anyway", when the same order was created a moment ago
# in the login's session, newest first: [digest of workflow, channel and data, order id, unix seconds, key]
RECENT_INTAKES = "recent_intakes"
SAME_AGAIN_WINDOW = timedelta(minutes=30)
RECENT_KEPT = 8


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


def _field_errors(
    refusals: Sequence[Refusal], form: FormLayout | None = None, order: FormLayout | None = None
) -> tuple[list[FieldError], list[str]]:
    """Refusals naming a field (``details.path``) as field errors, and a guard's refusal beside the
    field of ``form`` it compared (with the values, labelled by ``form`` and the order's ``order``
    layout); the others as sentences."""
    lang = current_lang()
    fields: list[FieldError] = []
    others: list[str] = []
    for refusal in refusals:
        path = refusal.details.get("path")
        beside = guard_beside_field(refusal, form, order)
        if isinstance(path, str) and path.startswith("$"):
            keyword = str(refusal.details.get("keyword", refusal.code))
            name = str(refusal.details.get("field", ""))
            fields.append(FieldError(path, name, keyword, refusal.zh, refusal.en))
        elif beside is not None:
            words = beside.words
            fields.append(FieldError(f"$.{beside.field}", beside.field, "guard", words.zh, words.en))
        else:
            others.append(refusal_words(refusal).get(lang))
    return fields, others


def _form_page(
    form: CompiledForm | None,
    data: Mapping[str, Any],
    errors: Sequence[FieldError],
    problems: Sequence[str],
    focus: str | None,
    action: str,
    refresh: str,
    known: Mapping[str, Any] | None = None,
) -> FormView | None:
    """The view of an order page's form (None: the step takes no form), the refusals no field shows
    first in its summary. A field's help may say what the order knows of it (``{prefill}``: the amount
    due a transfer's amount starts at), whatever was typed over it since."""
    if form is None:
        return None
    view = form_view(form, data, errors, focus, action=action, refresh=refresh)
    view.errors = [ErrorItem(text, None) for text in problems] + view.errors
    for node in view.walk():
        if isinstance(node, Control) and node.help and PREFILL_WORD in node.help:
            spec = form.layout.fields.get(node.name)
            value = (known or {}).get(node.name)
            shown = input_value(value, spec) if value is not None and spec is not None else "—"
            node.help = node.help.replace(PREFILL_WORD, shown)
    return view


PREFILL_WORD = "{prefill}"  # in a field's help: what the form's prefill computed for it


# --------------------------------------------------------------------------------------------------
# A new order


@dataclass(frozen=True)
class Relang:
    """The form's button that draws it again in the other language, what was typed kept."""

    field: str
    action: str


def _relang(action: str) -> Relang:
    other = "en" if current_lang() == "zh" else "zh"
    return Relang(RELANG_FIELD, f"{action}?lang={other}")


@dataclass(frozen=True)
class _Intake:
    spec: WorkflowSpec
    form: CompiledForm | None
    action: str
    refresh: str
    fill: str | None = None  # filled from the original order its number names (``original_order:``)


def _intake(department: str, workflow: str, channel: str) -> _Intake:
    actor = current_actor()
    try:
        page = _engine().intake_page(actor, department, workflow, channel)
    except NotFound:
        abort(404)
    spec = page.spec
    if not spec.takes_orders_from(actor.roles):
        lang = current_lang()
        roles = " / ".join(term("role", role, lang) for role in spec.create_roles)
        page_html = render_template(
            "error.html", code=403, key="orders.may_not_create", values={"roles": roles}
        )
        abort(Response(page_html, status=403))
    where = {"department": department, "workflow": workflow, "channel": channel}
    return _Intake(
        spec,
        published_form(page.form, department),
        url_for("orders.new", **where),
        url_for("orders.new_refresh", **where),
        url_for("orders.new_original", **where) if spec.original_order is not None else None,
    )


@dataclass(frozen=True)
class SameAgain:
    """An order this login created a moment ago from the same workflow, channel and data."""

    order_id: int
    minutes: int


def _digest(workflow: str, channel: str, data: Mapping[str, Any]) -> str:
    text = json.dumps([workflow, channel, data], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _recent_intakes(now: datetime) -> list[list[Any]]:
    """The login's recent intakes still inside the window; anything unreadable in the cookie is dropped."""
    kept = session.get(RECENT_INTAKES)
    since = (now - SAME_AGAIN_WINDOW).timestamp()
    return [
        entry
        for entry in (kept if isinstance(kept, list) else [])
        if isinstance(entry, list)
        and len(entry) == 4
        and isinstance(entry[0], str)
        and isinstance(entry[1], int)
        and isinstance(entry[2], (int, float))
        and isinstance(entry[3], str)
        and since <= entry[2] <= now.timestamp()
    ]


def _same_again(digest: str, key: str, now: datetime) -> SameAgain | None:
    """The order this login created from the same data a moment ago through another page (its key
    differs: the same page sent twice is the engine's idempotency, which answers with that order)."""
    for kept, order_id, at, made_by in _recent_intakes(now):
        if kept == digest and made_by != key:
            return SameAgain(order_id, max(0, int((now.timestamp() - at) // 60)))
    return None


def _remember_intake(digest: str, order_id: int, key: str, now: datetime) -> None:
    entries = [entry for entry in _recent_intakes(now) if entry[0] != digest]
    session[RECENT_INTAKES] = [[digest, order_id, int(now.timestamp()), key], *entries][:RECENT_KEPT]


def _render_intake(
    intake: _Intake,
    data: Mapping[str, Any],
    key: str,
    errors: Sequence[FieldError] = (),
    problems: Sequence[str] = (),
    focus: str | None = None,
    same_again: SameAgain | None = None,
    original: IntakeOriginal | None = None,
    summary: bool = True,
) -> str:
    """The intake page; ``summary``: the problems listed above the form too (False: beside their fields
    only, as when the fill finds no original order and nothing was submitted)."""
    view = _form_page(intake.form, data, errors, problems, focus, intake.action, intake.refresh)
    if view is not None and not summary:
        view.errors = []
    lang = current_lang()
    wanted = intake.spec.original_order
    found = original.summary if original is not None else None
    return render_template(
        "orders/new.html",
        spec=intake.spec,
        view=view,
        problems=problems,
        action=intake.action,
        hidden={KEY_FIELD: key},
        channel=request.view_args["channel"] if request.view_args else "",
        same_again=same_again,
        again_field=AGAIN_FIELD,
        relang=_relang(intake.action),
        original_field=wanted.field if wanted is not None else None,
        fill_action=intake.fill,
        original=shown_original(found, lang, _about_url) if found is not None else None,
        filled_from=found.id if found is not None and original and original.fill is not None else None,
    )


@orders.route("/orders/new/<department>/<workflow>/<channel>", methods=["GET", "POST"])
def new(department: str, workflow: str, channel: str) -> Any:
    intake = _intake(department, workflow, channel)
    compiled = intake.form
    if request.method == "GET":
        data = compiled.layout.prepare(compiled.layout.blank()) if compiled is not None else {}
        return _render_intake(intake, data, uuid.uuid4().hex)
    key = request.form.get(KEY_FIELD) or uuid.uuid4().hex
    data = posted_data(compiled) if compiled is not None else {}
    if compiled is not None:
        rows = posted_row_action(compiled, data)
        if rows is not None:  # a row added or removed without JavaScript
            return _render_intake(intake, rows[0], key, focus=rows[1])
        data = compiled.layout.prepare(data)
        if relanged():  # the other language: the same page (and key), what was typed kept
            return _render_intake(intake, data, key)
    engine = _engine()
    now = engine.clock.now()
    digest = _digest(workflow, channel, data)
    if request.form.get(AGAIN_FIELD) != "1":
        same = _same_again(digest, key, now)
        if same is not None:  # the back button and the same page sent again: nothing created
            # a new key: "create another anyway" creates one more, even where this page's key made one
            return _render_intake(intake, data, uuid.uuid4().hex, same_again=same), 409
    try:
        order = engine.create_order(
            current_actor(), department, workflow, channel, data, idempotency_key=f"web-intake:{key}"
        )
    except ContentionError as busy:  # nothing was written: the same page (and key) may be sent again
        return _render_intake(intake, data, key, problems=[busy.message(current_lang())]), 409
    except TransitionRejected as rejected:
        if any(r.code == RefusalCode.IDEMPOTENCY for r in rejected.refusals):
            # this page created an order already and was changed and sent again (the back button):
            # say so, and give the page a new key, so sending it now creates another order
            again = [translate("orders.submitted_before", current_lang())]
            return _render_intake(intake, data, uuid.uuid4().hex, problems=again), 409
        errors, problems = _field_errors(rejected.refusals)
        return _render_intake(intake, data, key, errors, problems), 422
    _remember_intake(digest, order.id, key, now)
    return redirect(url_for("orders.show", order_id=order.id))


@orders.post("/orders/new/<department>/<workflow>/<channel>/original")
def new_original(department: str, workflow: str, channel: str) -> Any:
    """The intake drawn again, filled from the original order its number names (the button, or htmx
    once the number is typed): the summary beside it, "no such order" by the field; nothing created."""
    intake = _intake(department, workflow, channel)
    wanted = intake.spec.original_order
    if intake.form is None or wanted is None:
        abort(404)
    key = request.form.get(KEY_FIELD) or uuid.uuid4().hex
    data = posted_data(intake.form)
    number = data.get(wanted.field)
    if not isinstance(number, str) or not number.strip():
        return _render_intake(intake, intake.form.layout.prepare(data), key, focus=wanted.field)
    try:
        found = _engine().intake_original(current_actor(), department, workflow, channel, number.strip())
    except NotFound:
        abort(404)
    if found.fill is None:  # said beside the field only: nothing was submitted
        errors, _ = _field_errors(found.refusals)
        prepared = intake.form.layout.prepare(data)
        return _render_intake(intake, prepared, key, errors, focus=wanted.field, summary=False)
    # the refund the lines are worth, unless the clerk typed one (kept only while the form asks it)
    fill = {
        k: v
        for k, v in found.fill_in(current_lang()).items()
        if k != wanted.refund or data.get(k) in (None, "")
    }
    filled = intake.form.layout.prepare({**data, **fill})
    return _render_intake(intake, filled, key, original=found)


@orders.post("/orders/new/<department>/<workflow>/<channel>/refresh")
def new_refresh(department: str, workflow: str, channel: str) -> Any:
    intake = _intake(department, workflow, channel)
    if intake.form is None:
        abort(404)
    return refresh_response(intake.form, action=intake.action, refresh=intake.refresh)


# --------------------------------------------------------------------------------------------------
# The list of orders

PAGE_SIZE = 50
# the full-width digits and number sign an input method types, as ASCII
FULL_WIDTH = str.maketrans({**{chr(0xFF10 + n): str(n) for n in range(10)}, "＃": "#"})


@dataclass(frozen=True)
class Listed:
    """One order of the list, as the list shows it."""

    id: int
    workflow: str
    state: str
    channel: str | None
    created: str
    updated: str
    total: str
    matched: str | None = None  # what the search matched: "手机尾号 1234"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: tuple[Choice, ...]


def _listed(found: OrderList, lang: str) -> list[Listed]:
    rows = []
    for listed in found.orders:
        order, spec = listed.order, listed.spec
        total = order.data.get("total")
        money = isinstance(total, int | float) and not isinstance(total, bool)
        rows.append(
            Listed(
                id=order.id,
                workflow=spec.title.get(lang),
                state=state_label(spec, order.state, lang),
                channel=order.channel,
                created=local_time(order.created_at),
                updated=local_time(order.updated_at),
                total=f"{total:.2f}" if money else "",
                matched=listed.matched.get(lang) if listed.matched is not None else None,
            )
        )
    return rows


STATE_OF = ":"  # a state picked under a workflow's title, when no workflow is filtered: retail-order:paid


def _state_groups(found: OrderList, lang: str) -> list[ChoiceGroup]:
    """The states to filter by: of the workflow filtered by, else of each workflow under its title, each
    state then naming its workflow too (``retail-order:paid``), so that 已支付 picked under 零售订单 lists
    the retail orders paid, not every workflow's."""
    if found.workflow is not None:
        spec = found.workflow
        return [
            ChoiceGroup(
                spec.title.get(lang),
                tuple(
                    Choice(state.name, state.label.get(lang)) for state in spec.states if not state.regions
                ),
            )
        ]
    return [
        ChoiceGroup(
            spec.title.get(lang),
            tuple(
                Choice(f"{spec.name}{STATE_OF}{state.name}", state.label.get(lang))
                for state in spec.states
                if not state.regions
            ),
        )
        for spec in found.workflows
    ]


def _state_of_workflow(args: dict[str, str]) -> None:
    """A state picked under a workflow's title (``retail-order:paid``) filters by that workflow and state."""
    workflow, said, state = args["state"].partition(STATE_OF)
    if said and workflow and state:
        args["workflow"], args["state"] = workflow, state


@orders.get("/orders")
def index() -> Any:
    """The orders of the user's departments a page at a time: filtered by department, workflow, state,
    channel, the day created and the amount, in the sort asked for, the pages linked by a keyset cursor
    (``engine.runtime.finding``); or what the search box (``q``) finds: an order number, a mobile (whole
    or its last 4 digits), a name, a waybill, a payment reference. And "go to order #…" (``id``). A value
    that cannot be read is said beside its field, kept as typed, and the list shown without it (400)."""
    typed = request.args.get("id", "").strip()
    wanted = typed.translate(FULL_WIDTH).strip().lstrip("#")  # ２９４ and ＃294 are 294 (not ², NFKC's 2)
    not_a_number, not_found = None, False
    if wanted:
        order_id = whole_number(wanted)
        if order_id is not None and order_id != 0 and _may_open(order_id):
            return redirect(url_for("orders.show", order_id=order_id))
        if wanted.isascii() and wanted.isdigit():  # no such order of the user's: said on the list
            not_a_number = translate("orders.go_not_found", current_lang()).format(typed=typed[:40])
            not_found = True
        else:  # not a number: said on the list, with what was typed kept in the box
            not_a_number = translate("orders.go_not_a_number", current_lang()).format(typed=typed[:40])
    lang = current_lang()
    args = {key: request.args.get(key, "") for key in (*FILTER_FIELDS, "sort", "q", "after", "before")}
    _state_of_workflow(args)
    query, problems = read_list_query(args)
    found = _engine().order_list(current_actor(), query, limit=PAGE_SIZE)
    kept = query.params()
    typed_values = {key: args[key][:100] for key in (*FILTER_FIELDS, "q")}  # as typed, bad ones too
    errors = {problem.field: problem.words.get(lang) for problem in problems}
    workflows = [Choice(spec.name, spec.title.get(lang)) for spec in found.workflows]
    channels = sorted({c for spec in found.workflows for c in spec.channels})
    newer = older = None
    if found.previous:
        if found.searched or found.previous_before is None:
            newer = url_for("orders.index", **kept)  # a search goes back to its first page
        else:
            newer = url_for("orders.index", **kept, before=found.previous_before)
    if found.more and found.next_after is not None:
        older = url_for("orders.index", **kept, after=found.next_after)
    shown = {}  # the filters by the names people know, where the workflow is known
    if query.workflow:
        shown["workflow"] = found.workflow.title.get(lang) if found.workflow else query.workflow
    if query.state:
        # without a workflow: the state by its label in each workflow listed that has it
        specs = [found.workflow] if found.workflow else list(found.workflows)
        labels = dict.fromkeys(
            state_label(spec, query.state, lang) for spec in specs if _has_state(spec, query.state)
        )
        shown["state"] = " / ".join(labels) or query.state
    page_html = render_template(
        "orders/index.html",
        rows=_listed(found, lang),
        query=query,
        typed_values=typed_values,
        errors=errors,
        departments=[Choice(d, term("department", d, lang)) for d in found.departments],
        workflows=workflows,
        state_groups=_state_groups(found, lang),
        channels=[Choice(c, term("channel", c, lang)) for c in channels],
        sorts=[Choice(sort, translate(f"orders.sort.{sort}", lang)) for sort in SORTS],
        searched=found.searched,
        filtered=bool(kept),
        # a state or a workflow alone: the batch needs both, and the page says so
        batch_needs_both=bool(query.workflow) != bool(query.state) and not found.searched,
        shown_filters=shown,
        typed=typed if not_a_number else "",
        not_a_number=not_a_number,
        newer=newer,
        older=older,
        # filtered to one workflow and state: its orders selected and one step taken on them all
        steps=[(trigger, label.get(lang)) for trigger, label in found.steps],
        ending=found.ending,  # the steps that end the orders (a cancel): last, never the primary one
    )
    if not_found:
        return page_html, 404
    return (page_html, 400) if not_a_number or problems else page_html


# --------------------------------------------------------------------------------------------------
# An order's page


def _may_open(order_id: int) -> bool:
    """The order is one the user may open (another department's reads as none at all)."""
    try:
        _engine().get_order(order_id, current_actor())
    except NotFound:
        return False
    return True


def _has_state(spec: WorkflowSpec, state: str) -> bool:
    names = {s.name for s in spec.states}
    return all(part in names for part in state.split(STATE_JOIN))


def state_label(spec: WorkflowSpec, state: str, lang: str) -> str:
    """A state's label; an order in a parallel state shows one label per region."""
    return state_words(spec, state).get(lang)


def leads_to(
    spec: WorkflowSpec,
    info: TriggerInfo,
    action: str,
    lang: str,
    *,
    many: bool = False,
    state: str | None = None,
) -> str | None:
    """Where a step takes the order (or the orders of a batch), told before it is taken: the state's label,
    and that it is for good when that state is final; when an automatic step may follow at once (a
    payment that pays what is due: 已付清 → 已支付), that it stays or goes there and what follows if
    that step's condition holds, the state it goes on to named unless it is where the step took it (a
    return authorization issued at once: the state is named once). ``state``: where the order (a
    batch's orders, all in one) is now. None when the step may lead to more than one state."""
    if len(set(info.dests)) > 1 and many and not info.then:  # each order of the batch as its case decides
        either, quoted = translate("orders.then_either", lang), translate("orders.quoted", lang)
        states = either.join(
            quoted.format(name=state_label(spec, d, lang)) for d in dict.fromkeys(info.dests)
        )
        return translate("orders.batch.leads_to_either", lang).format(action=action, states=states)
    if len(set(info.dests)) != 1:
        return None
    [dest] = set(info.dests)
    shown = state_label(spec, dest, lang)
    if info.then:
        either, quoted = translate("orders.then_either", lang), translate("orders.quoted", lang)
        # where it goes on to (None: where the step took it) -> the automatic steps that go there
        steps: dict[str | None, list[str]] = {}
        for step in info.then:
            to = None
            if set(step.dests) != {dest}:
                to = either.join(
                    quoted.format(name=state_label(spec, d, lang)) for d in dict.fromkeys(step.dests)
                )
            steps.setdefault(to, []).append(
                quoted.format(name=step.label.get(lang) if step.label is not None else step.trigger)
            )
        then = translate("orders.then_or", lang).join(
            translate("orders.then_auto", lang).format(auto=either.join(autos), next=to)
            if to is not None
            else translate("orders.then_auto_stays", lang).format(auto=either.join(autos))
            for to, autos in steps.items()
        )
        key = ("orders.batch" if many else "orders") + (
            ".leads_to_stays_then" if dest == state else ".leads_to_then"
        )
        return translate(key, lang).format(action=action, state=shown, then=then)
    final = any(s.name == dest and s.final for s in spec.states)
    key = ("orders.batch.leads_to" if many else "orders.leads_to") + ("_final" if final else "")
    return translate(key, lang).format(action=action, state=shown)


@dataclass
class Entry:
    """One value of the order's data as the page shows it: text, fields of an object, or a table."""

    label: str
    text: str | None = None
    fields: list[Entry] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # a table's columns by their field names


def summarize(
    data: Mapping[str, Any],
    layouts: Sequence[FormLayout],
    lang: str,
    names: Mapping[str, Mapping[str, Text]] | None = None,
) -> list[Entry]:
    """The order's data with the forms' labels (and the choices' labels), in the layouts' order; a field
    several forms have is labelled by the first of them, its values by the first that names them. A
    field no form describes at its place is read as the order's field of the same name (a shipment's
    ``carrier`` as the order's carrier); money with two decimals, times as local time, an empty list as
    "none", records inside a table cell as text; a field holding nothing (None) is left out. ``names``:
    field path or name -> code -> its name, for codes no form names (a warehouse routing chose, a person
    by their display name)."""
    specs: dict[str, FieldLayout] = {}
    choices: dict[str, FieldLayout] = {}  # the first form whose field names its values (a step's form may)
    for layout in layouts:
        for path, spec in layout.fields.items():
            specs.setdefault(path, spec)
            if spec.options:
                choices.setdefault(path, spec)

    def spec_of(path: str, key: str) -> FieldLayout | None:
        return specs.get(path) or specs.get(key)

    def label(path: str, key: str) -> str:
        spec = spec_of(path, key)
        return spec.label.get(lang) if spec is not None else key

    def text(path: str, key: str, value: Any) -> str:
        spec = spec_of(path, key)
        chosen = choices.get(path) or choices.get(key)  # the field's choices, or the order's field's
        options = chosen.options if chosen is not None else ()
        for option in options:
            if choice_text(option.value) == choice_text(value):
                return option.label.get(lang)
        known = names or {}
        named = (known.get(path) or known.get(key, {})).get(value) if isinstance(value, str) else None
        if named is not None:
            return named.get(lang)
        money = spec is not None and (spec.widget == "money" or spec.format == "money")
        if money and isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:.2f}"
        if spec is not None and spec.format == "date-time" and isinstance(value, str):
            with suppress(ValueError, OverflowError):  # year 1 in China time is out of range: as sent
                return local_time(datetime.fromisoformat(value))
        if isinstance(value, bool):
            return translate("orders.yes" if value else "orders.no", lang)
        if value is None:
            return ""
        if isinstance(value, list) and not value:
            return translate("orders.none", lang)
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            return "；".join(record(f"{path}{ITEMS}", item) for item in value)
        if isinstance(value, Mapping):
            return record(path, value)
        return choice_text(value)

    def record(path: str, value: Mapping[str, Any]) -> str:
        """A record inside a table cell: its labelled values on one line."""
        return " · ".join(f"{label(f'{path}.{k}', k)} {text(f'{path}.{k}', k, v)}" for k, v in value.items())

    def entry(path: str, key: str, value: Any) -> Entry:
        if isinstance(value, Mapping):
            return Entry(label(path, key), fields=[entry(f"{path}.{k}", k, v) for k, v in value.items()])
        if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
            keys = list(dict.fromkeys(k for item in value for k in item))
            inner = f"{path}{ITEMS}"
            return Entry(
                label(path, key),
                headers=[label(f"{inner}.{k}", k) for k in keys],
                rows=[[text(f"{inner}.{k}", k, item.get(k)) for k in keys] for item in value],
                keys=keys,
            )
        if isinstance(value, list) and value:
            joined = "、" if lang.startswith("zh") else ", "
            return Entry(label(path, key), text=joined.join(text(f"{path}{ITEMS}", key, v) for v in value))
        return Entry(label(path, key), text=text(path, key, value))

    order = {path: n for n, path in enumerate(specs)}
    keys = sorted((k for k in data if data[k] is not None), key=lambda k: order.get(k, len(order)))
    return [entry(k, k, data[k]) for k in keys]  # a field cleared (a refund paid: refund_due) is not shown


@dataclass
class Shown:
    """A rule decision as the timeline shows it, in the page's language: the outcome, each deciding
    rule's words with the values it compared, and what it chose or read (routing, a decision table)."""

    outcome: str
    reasons: list[tuple[str, str | None]]
    facts: list[tuple[str, str]]


@dataclass
class Event:
    at: str
    actor: str
    action: str
    from_label: str | None  # None: the order was created, or the step left it where it was
    to_label: str
    reason: str | None
    why: Shown | None = None
    said: list[Entry] = field(default_factory=list)  # what a person sent with the step (a reason)
    changed: list[str] = field(default_factory=list)  # what the step corrected, old → new
    stayed: bool = False  # the step left the order in the state it was in (a payment still short)


@dataclass
class Timer:
    """A timer running on the order, in the page's language: when, what it does, and the time left."""

    text: str
    when: str | None
    due: str  # the deadline in ISO 8601, for the <time> element
    off: str | None = None  # its condition does not hold now: it will not fire unless it comes to


def shown_decision(why: DecisionWhy, lang: str) -> Shown:
    return Shown(
        outcome=why.outcome.get(lang),
        reasons=[(r.words.get(lang), r.compared.get(lang) if r.compared else None) for r in why.reasons],
        facts=[(f.label.get(lang), f.value.get(lang)) for f in why.facts],
    )


def shown_timer(timer: RunningTimer, now: datetime, lang: str) -> Timer:
    """``17:15 取消（超时未支付自动取消）— 还剩 12 分钟``: the deadline in local time (its time alone
    when it is today), the step's label, the reason's words and the time left."""
    at = local_time(timer.due_at)
    if at[:10] == local_time(now)[:10]:
        at = at[11:]
    if timer.at is not None:  # at a moment the order holds: the day it falls on
        text = translate("orders.timer.at", lang).format(
            day=local_day(timer.due_at, lang, now),
            step=timer.step.get(lang),
            left=time_left(timer.due_at, now, lang),
        )
        when = translate("orders.timer.when", lang).format(when=timer.when.get(lang)) if timer.when else None
        return Timer(text, when, timer.due_at.isoformat(), timer_off(timer, lang))
    key = "orders.timer" if timer.reason is not None else "orders.timer.no_reason"
    text = translate(key, lang).format(
        at=at,
        step=timer.step.get(lang),
        reason=timer.reason.get(lang) if timer.reason is not None else "",
        left=time_left(timer.due_at, now, lang),
    )
    when = translate("orders.timer.when", lang).format(when=timer.when.get(lang)) if timer.when else None
    return Timer(text, when, timer.due_at.isoformat(), timer_off(timer, lang))


def timer_off(timer: RunningTimer, lang: str) -> str | None:
    """当前条件不成立，到期时不会执行 for a timer whose condition does not hold now; None otherwise."""
    return translate("orders.timer.off", lang) if timer.holds is False else None


def shown_unset_timer(timer: UnsetTimer, lang: str) -> str:
    """``确认收货 未设定：order.return_by 尚无值``: a timer at a moment the order does not hold, and why."""
    if timer.why is not None:
        return translate("orders.timer.unset_why", lang).format(
            step=timer.step.get(lang), at=timer.at, why=timer.why.get(lang)
        )
    return translate("orders.timer.unset", lang).format(step=timer.step.get(lang), at=timer.at)


@orders.get("/orders/<id:order_id>")
def show(order_id: int) -> Any:
    typed, said = _take_refused(order_id)
    return _order_page(order_id, said, typed=typed)


# in the login's session, once: the record step of an order refused a moment ago (``record_step``), what
# its form sent and why, each reason beside its field or by the records, in both languages
REFUSED_RECORD_STEP = "refused_record_step"
MAX_TYPED = 500  # characters kept of each value typed into a refused record step's form


def _top_fields(layout: FormLayout) -> set[str]:
    """The fields a record step's small form shows (``_record_inputs``): its plain top-level ones."""
    return {path for path, spec in layout.fields.items() if "." not in path and ITEMS not in path}


def _keep_refused(
    order_id: int, typed: Typed, beside: Mapping[str, list[str]], said: list[list[str]]
) -> None:
    session[REFUSED_RECORD_STEP] = {
        "order": order_id,
        "kind": typed.kind,
        "number": typed.number,
        "trigger": typed.trigger,
        "values": dict(typed.values),
        "beside": dict(beside),
        "said": said,
    }


def _take_refused(order_id: int) -> tuple[Typed | None, list[str]]:
    """The record step of this order refused a moment ago, read once: what was typed with the reasons
    beside its fields, and the other reasons in the page's language."""
    kept = session.get(REFUSED_RECORD_STEP)
    if not isinstance(kept, dict) or kept.get("order") != order_id:
        return None, []
    session.pop(REFUSED_RECORD_STEP)
    at = 0 if current_lang() == "zh" else 1
    try:
        typed = Typed(
            str(kept["kind"]),
            int(kept["number"]),
            str(kept["trigger"]),
            {str(k): str(v) for k, v in kept["values"].items()},
            {str(k): str(v[at]) for k, v in kept["beside"].items()},
        )
        return typed, [str(words[at]) for words in kept["said"]]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None, []  # kept by another version of this page: nothing to show again


def _order_page(
    order_id: int, problems: Sequence[str] = (), status: int = 200, typed: Typed | None = None
) -> Any:
    """The order's page; ``problems``: why a step on one of its records was refused, shown by them, and
    ``typed`` what was sent with it, filled in that step's form again."""
    try:
        page = _engine().order_page(order_id, current_actor())
    except NotFound:
        abort(404)
    order, spec, lang = page.order, page.spec, current_lang()
    events = []
    for event in page.history:
        action, actor, why, said = (
            page.actions.get(event.id),
            page.actors.get(event.id),
            page.decisions.get(event.id),
            page.said.get(event.id),
        )
        stayed = event.from_state == event.to_state
        events.append(
            Event(
                at=local_time(event.at),
                actor=actor.get(lang) if actor is not None else event.actor,
                action=action.get(lang) if action is not None else event.trigger,
                from_label=state_label(spec, event.from_state, lang)
                if event.from_state and not stayed
                else None,
                to_label=state_label(spec, event.to_state, lang),
                # a migration's reason is its versions, which its action says in words
                reason=event.reason if event.trigger != MIGRATE_TRIGGER else None,
                why=shown_decision(why, lang) if why is not None else None,
                said=summarize(said.data, list(said.layouts), lang, page.value_labels) if said else [],
                changed=[c.get(lang) for c in said.changed] if said else [],
                stayed=stayed,
            )
        )
    triggers = [
        (info.trigger, info.label.get(lang) if info.label is not None else info.trigger)
        for info in page.triggers
        if info.allowed
    ]
    ending = {info.trigger for info in page.triggers if info.ends}  # a cancel: last, styled apart
    now = page.now or _engine().clock.now()
    here = shown_here(page, events, lang)
    # none to take: the reader's steps that a condition of the order refuses now say why (货到付款收款：
    # 货到付款须在全部发货后收款), as my work does; a step of another's role is not theirs to wait for
    waiting: dict[str, None] = {}
    if not triggers:
        for info in page.triggers:
            if info.allowed or any(r.code != RefusalCode.GUARD for r in info.why_not):
                continue
            label = info.label.get(lang) if info.label is not None else info.trigger
            for refusal in info.why_not:
                words = refusal_words(refusal).get(lang)
                waiting[translate("orders.refused_step", lang).format(action=label, reason=words)] = None
    return render_template(
        "orders/show.html",
        order=order,
        spec=spec,
        state=state_label(spec, order.state, lang),
        summary=summarize(order.data, [form.layout for form in page.forms], lang, page.value_labels),
        events=events,
        timers=[shown_timer(timer, now, lang) for timer in page.timers],
        unset_timers=[shown_unset_timer(timer, lang) for timer in page.unset_timers],
        triggers=triggers,
        waiting=list(waiting),
        ending=ending,
        # the approval panel (orders/_approval.html), read with the order in the page's one read
        approval=panel_view(page.approval, lang, _engine().clock.now()) if page.approval else None,
        claim=page.claim,
        here=here,
        records=shown_records(page, lang, typed),
        record_problems=list(problems),
        credit=shown_credit(page.credit, lang),
        original=shown_original(page.original, lang, _about_url) if page.original else None,
        about=shown_about(page.about, lang, _about_url),
        about_refunded=refunded_about(page.about, lang),
        # beside the payments' own refunds: after the last record that holds what it refunded
        records_refunded_about=refunded_about(page.about, lang, "orders.records.refunded_about"),
        records_refunded_after=next(
            (f"record-{r.kind}-{r.number}" for r in reversed(page.records) if "refunded" in r.data), None
        ),
    ), status


def _about_url(about: OrderAbout) -> str | None:
    """An order about another, linked only for a reader of its department (another's is a 404)."""
    if not current_actor().in_department(about.department):
        return None
    return url_for("orders.show", order_id=about.id)


def shown_credit(credit: CreditStanding | None, lang: str) -> list[tuple[str, str]]:
    """A business account's credit as the page lists it, label and amount (none for an order without
    an account): the limit, what it owes besides this order (the part that is its opening balance said
    beside it), what this order still owes, what is left."""
    if credit is None:
        return []
    figures = (
        ("orders.credit.limit", credit.limit),
        ("orders.credit.owed", credit.owed),
        ("orders.credit.this_order", credit.this_order),
        ("orders.credit.left", credit.left),
    )
    shown = [(translate(key, lang), f"{amount:.2f}") for key, amount in figures]
    if credit.opening:
        said = translate("orders.credit.owed_opening", lang)
        shown[1] = (shown[1][0], said.format(owed=shown[1][1], opening=f"{credit.opening:.2f}"))
    return shown


@dataclass
class RecordInput:
    """One field of a record step's form, as a plain input: a number, a yes/no, a choice, a time or a
    text, with what the order knows of it (the form's ``prefill``) filled in."""

    name: str
    label: str
    kind: str  # "number" | "integer" | "checkbox" | "select" | "datetime" | "text"
    required: bool
    options: list[tuple[str, str]]
    value: str = ""
    error: str = ""  # why the step sent with this value was refused


@dataclass
class RecordAction:
    trigger: str
    label: str
    url: str
    inputs: list[RecordInput]
    confirm: str = ""  # a step that cannot be undone: the question asked before it is taken


@dataclass
class ShownRecord:
    """A child record on the order's page: its title (支付 #1), state, fields, and the reader's steps."""

    id: str
    title: str
    state: str
    final: bool
    summary: list[Entry]
    actions: list[RecordAction]


@dataclass(frozen=True)
class Typed:
    """What a record step's form sent, as typed: shown in that form again when the step is refused."""

    kind: str
    number: int
    trigger: str
    values: Mapping[str, str]
    errors: Mapping[str, str] = field(default_factory=dict)  # why, beside the field it names


_LOCAL_MOMENT = re.compile(r"(\d{4,6})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d))?")


def _picker_holds(value: str) -> bool:
    """Whether a ``datetime-local`` input can show ``value``: its shape, and a moment the calendar has (a
    browser empties the input given 2026-02-30T10:00, and the clerk would see the refusal beside nothing).
    Years up to 275760, as the input takes them."""
    found = _LOCAL_MOMENT.fullmatch(value)
    if found is None:
        return False
    year, month, day, hour, minute = (int(part) for part in found.groups()[:5])
    second = int(found.group(6) or 0)
    if not (1 <= year <= 275760 and 1 <= month <= 12 and hour < 24 and minute < 60 and second < 60):
        return False
    return 1 <= day <= calendar.mdays[month] + (month == 2 and calendar.isleap(year))


def shown_records(page: OrderPage, lang: str, typed: Typed | None = None) -> list[ShownRecord]:
    forms = {form.path: form for form in page.forms}
    shown = []
    for record in page.records:
        title = translate("orders.record.title", lang).format(
            kind=record.kind_label.get(lang), number=record.number
        )
        kind_form = page.spec.records[record.kind].form
        # its own form first, then the order's forms: the choices they name (a payment's method) read
        # by their labels, not their codes
        own = [forms[kind_form].layout] if kind_form in forms else []
        layouts = own + [form.layout for form in page.forms if form.path != kind_form]
        actions = [
            RecordAction(
                step.trigger,
                step.label.get(lang),
                url_for(
                    "orders.record_step",
                    order_id=page.order.id,
                    kind=record.kind,
                    number=record.number,
                    trigger=step.trigger,
                ),
                _record_inputs(
                    forms[step.form].layout,
                    lang,
                    step.prefill,
                    typed
                    if typed is not None
                    and (typed.kind, typed.number, typed.trigger)
                    == (record.kind, record.number, step.trigger)
                    else None,
                )
                if step.form in forms
                else [],
                translate("orders.record.confirm", lang).format(action=step.label.get(lang), record=title)
                if step.closes
                else "",
            )
            for step in record.steps
            if step.allowed
        ]
        shown.append(
            ShownRecord(
                f"record-{record.kind}-{record.number}",
                title,
                record.state_label.get(lang),
                record.final,
                summarize(record.data, layouts, lang, {**page.value_labels, **record.value_labels}),
                actions,
            )
        )
    return shown


def _record_inputs(
    layout: FormLayout, lang: str, prefill: Mapping[str, Any], typed: Typed | None
) -> list[RecordInput]:
    """The form's plain inputs, filled with what was typed (a refused step, each reason naming a field
    beside it) or else what the order knows; a time typed in another shape than the picker's is shown as
    it is, in a text box."""
    inputs = []
    for path, spec in layout.fields.items():
        if "." in path or ITEMS in path or spec.hidden or spec.computed is not None:
            continue
        kind = spec.schema.get("type")
        shown = (
            "select"
            if spec.options
            else "checkbox"
            if kind == "boolean"
            else kind
            if kind in ("number", "integer")
            else "datetime"
            if spec.widget == "datetime"  # a delivery's time: typed in China time, sent as RFC 3339
            else "text"
        )
        options = [(str(o.value), o.label.get(lang)) for o in spec.options]
        known = prefill.get(path)
        value = "" if known is None else str(known)
        if shown == "datetime" and value:
            value = local_input(value, "datetime") or ""
        error = ""
        if typed is not None:
            value, error = typed.values.get(path, ""), typed.errors.get(path, "")
            if shown == "datetime" and value and not _picker_holds(value):
                shown = "text"
        required = spec.required and kind != "boolean"
        inputs.append(RecordInput(path, spec.label.get(lang), shown, required, options, value, error))
    return inputs


@orders.post("/orders/<id:order_id>/records/<kind>/<int:number>/<trigger>")
def record_step(order_id: int, kind: str, number: int, trigger: str) -> Any:
    """Fire a step on one of the order's records (a payment's refund) from the order's page. Refused, back
    to the order's page (303: a reload sends nothing again), that step's form filled with what was typed
    and each refusal naming one of its fields beside that field, the others by the records
    (``_keep_refused``, read once by the page)."""
    engine, actor, lang = _engine(), current_actor(), current_lang()
    lock_version = whole_number(request.form.get(LOCK_FIELD) or "", LOCK_DIGITS)
    try:
        page = engine.order_page(order_id, actor)
    except NotFound:
        abort(404)
    record = next((r for r in page.records if (r.kind, r.number) == (kind, number)), None)
    step = next((s for s in record.steps if s.trigger == trigger), None) if record is not None else None
    if record is None or step is None:
        abort(404)
    form = next((f for f in page.forms if f.path == step.form), None) if step.form else None
    compiled = published_form(form, page.order.department)
    data = compiled.layout.prepare(posted_data(compiled)) if compiled is not None else {}
    try:
        engine.fire_record(order_id, kind, number, trigger, actor, data, expected_lock_version=lock_version)
    except TransitionRejected as rejected:
        fields = _top_fields(compiled.layout) if compiled is not None else set()
        beside: dict[str, list[str]] = {}
        said: list[list[str]] = []
        for refusal in rejected.refusals:
            words = refusal_words(refusal)
            path = refusal.details.get("path")
            name = path[2:] if isinstance(path, str) and path.startswith("$.") else None
            if name in fields:
                beside.setdefault(str(name), [words.zh, words.en])
                continue
            said.append(
                [
                    translate("orders.record.refused", at).format(
                        record=translate("orders.record.title", at).format(
                            kind=record.kind_label.get(at), number=number
                        ),
                        reason=words.get(at),
                    )
                    for at in ("zh", "en")
                ]
            )
        typed = {key: request.form.get(key, "")[:MAX_TYPED] for key in fields if key in request.form}
        _keep_refused(order_id, Typed(kind, number, trigger, typed), beside, said)
        return redirect(url_for("orders.show", order_id=order_id) + f"#record-{kind}-{number}", 303)
    except ConflictError:
        return _order_page(order_id, [translate("orders.conflict", lang)], 409)
    except ContentionError as busy:
        return _order_page(order_id, [busy.message(lang)], 409)
    return redirect(url_for("orders.show", order_id=order_id) + f"#record-{kind}-{number}")


@dataclass
class Here:
    """The top of the order page in the page's language: why the order is where it is (the decision
    that brought it there, else the step and who took it), who acts next, and the queue it waits in."""

    title: str
    why: Shown | None
    step: str | None
    acts: bool
    next: str | None
    queue: str | None
    queue_url: str | None


def said_text(said: Sequence[Entry], lang: str) -> str:
    """What a step was sent with on one line: ``驳回原因：收货地址与历史欺诈订单一致``, field by field;
    a table row by row, each by its first cell and the others by their column
    (``明细：HR-BCD470 数量 20``), a row of goods as one reads (``退货商品：XM-BAND8 小米手环8 ×1、YL-MILK24
    伊利纯牛奶 ×2``), an object by its fields."""
    words = translate("orders.said", lang)
    joined = "；" if lang.startswith("zh") else "; "
    return joined.join(
        words.format(label=e.label, value=value) for e in said if (value := _entry_text(e, lang))
    )


def _entry_text(entry: Entry, lang: str) -> str:
    """An entry's value on one line (see ``said_text``)."""
    if entry.text:
        return entry.text
    if entry.fields:
        return " ".join(f"{f.label} {text}" for f in entry.fields if (text := _entry_text(f, lang)))
    if GOODS_KEYS[0] in entry.keys and GOODS_KEYS[2] in entry.keys:
        rows = [text for row in entry.rows if row and (text := _goods_text(entry, row))]
    else:
        columns = entry.headers[1:]
        rows = [
            " ".join([row[0], *(f"{h} {cell}" for h, cell in zip(columns, row[1:], strict=True) if cell)])
            for row in entry.rows
            if row
        ]
    return ("、" if lang.startswith("zh") else ", ").join(rows)


GOODS_KEYS = ("sku", "name", "qty")  # a row of goods (a return's lines): read as XM-BAND8 小米手环8 ×1


def _goods_text(entry: Entry, row: list[str]) -> str:
    """A row of goods on one line, its SKU, name and quantity as a line of goods reads
    (``XM-BAND8 小米手环8 ×1``), any other column by its label after them; none for a row left at 0 (not
    coming back)."""
    cells = dict(zip(entry.keys, row, strict=True))
    sku, name, qty = (cells.get(key, "") for key in GOODS_KEYS)
    if qty == "0":
        return ""
    others = [
        f"{label} {cell}"
        for key, label, cell in zip(entry.keys, entry.headers, row, strict=True)
        if key not in GOODS_KEYS and cell
    ]
    return " ".join(part for part in (sku, name, f"×{qty}" if qty else "", *others) if part)


def shown_here(page: OrderPage, events: list[Event], lang: str) -> Here | None:
    here = page.here
    if here is None:
        return None
    why = page.decisions.get(here.event_id) if here.event_id is not None else None
    step = None
    if why is None and here.event_id is not None:
        shown = next(
            (e for e, row in zip(events, page.history, strict=True) if row.id == here.event_id), None
        )
        if shown is not None:
            # an approver's comment, else what the step was sent with (a reviewer's reason to reject), else
            # the reason of the timer that took it
            said, words = here.said, "orders.here.step_said"
            if not said and shown.said:
                said, words = said_text(shown.said, lang), "orders.here.step_sent"
            if not said and here.timer_reason is not None:
                said = here.timer_reason.get(lang)
            words = words if said else "orders.here.step"
            step = translate(words, lang).format(action=shown.action, actor=shown.actor, said=said)
        # the rule decision that set off the automatic step (the audit's rejection an order's cancel
        # follows), told after it
        why = page.decisions.get(here.cause) if here.cause is not None else None
    who = ("、" if lang.startswith("zh") else ", ").join(name.get(lang) for name in here.next)
    return Here(
        title=translate("orders.here.approval" if page.approval else "orders.here", lang),
        why=shown_decision(why, lang) if why is not None else None,
        step=step,
        acts=here.acts,
        next=translate("orders.here.next", lang).format(who=who) if who else None,
        queue=here.queue_label.get(lang) if here.queue_label is not None else None,
        queue_url=url_for("work.queue", department=page.order.department, queue=here.queue)
        if here.queue is not None
        else None,
    )


# --------------------------------------------------------------------------------------------------
# Firing a trigger


@dataclass(frozen=True)
class _Step:
    order: OrderView
    spec: WorkflowSpec
    trigger: str
    label: str
    allowed: bool
    why_not: tuple[str, ...]
    form: CompiledForm | None
    action: str
    refresh: str
    prefill: Mapping[str, Any] = field(default_factory=dict)
    leads: str | None = None  # where the step takes the order, told before it is taken
    shows: list[Entry] = field(default_factory=list)  # what it acts on (``shows:``), read-only


def _step(order_id: int, trigger: str) -> _Step:
    try:
        page = _engine().step_page(order_id, trigger, current_actor())
    except NotFound:
        abort(404)
    return _step_of(page)


def _step_of(page: StepPage) -> _Step:
    """The step's page as the view draws it: a 404 for a step the workflow has not, a 409 for one not
    possible from where the order is now."""
    order, info, lang = page.order, page.info, current_lang()
    trigger = page.trigger
    if info is None:
        known = page.transition
        if known is None:
            abort(404)
        # A step of this workflow, not possible from where the order is now: done already (a form
        # sent twice, a page left open), or by someone else.
        action = known.label.get(lang) if known.label is not None else trigger
        not_now = render_template(
            "orders/not_now.html",
            order=order,
            message=translate("orders.not_now", lang).format(
                order=order.id, state=state_label(page.spec, order.state, lang), action=action
            ),
        )
        abort(Response(not_now, status=409))
    label = info.label.get(lang) if info.label is not None else trigger
    return _Step(
        order=order,
        spec=page.spec,
        trigger=trigger,
        label=label,
        allowed=info.allowed,
        why_not=tuple(refusal_words(r).get(lang) for r in info.why_not),
        form=published_form(page.form, order.department),
        action=url_for("orders.fire", order_id=order.id, trigger=trigger),
        refresh=url_for("orders.fire_refresh", order_id=order.id, trigger=trigger),
        prefill=page.prefill_in(lang),
        leads=leads_to(page.spec, info, label, lang, state=order.state),
        shows=step_shows(page, lang),
    )


def step_shows(page: StepPage, lang: str) -> list[Entry]:
    """The order's fields the step's page shows read-only (its ``shows:``), in the order it lists them,
    each as the order's page shows its data (``summarize``)."""
    shown = page.shows
    if shown is None:
        return []
    return [
        entry
        for name, value in shown.data.items()
        for entry in summarize({name: value}, shown.layouts, lang, shown.names)
    ]


def _render_step(
    step: _Step,
    data: Mapping[str, Any],
    lock_version: int,
    errors: Sequence[FieldError] = (),
    problems: Sequence[str] = (),
    focus: str | None = None,
    conflict: bool = False,
) -> str:
    view = _form_page(step.form, data, errors, problems, focus, step.action, step.refresh, step.prefill)
    lang = current_lang()
    return render_template(
        "orders/fire.html",
        step=step,
        order=step.order,
        state=state_label(step.spec, step.order.state, lang),
        view=view,
        problems=problems,
        conflict=conflict,
        hidden={LOCK_FIELD: str(lock_version)},
        relang=_relang(step.action),
    )


@orders.route("/orders/<id:order_id>/fire/<trigger>", methods=["GET", "POST"])
def fire(order_id: int, trigger: str) -> Any:
    if request.method == "GET":
        step = _step(order_id, trigger)
        compiled = step.form
        # what the order knows of the form's fields first (the amount due, the carrier routing chose)
        data = (
            compiled.layout.prepare(compiled.layout.blank(data=step.prefill)) if compiled is not None else {}
        )
        if not step.allowed:
            return _render_step(step, data, step.order.lock_version, problems=step.why_not), 403
        return _render_step(step, data, step.order.lock_version)
    sent_lock = request.form.get(LOCK_FIELD) or ""
    lock_version = whole_number(sent_lock, LOCK_DIGITS)
    if lock_version is None:
        _step(order_id, trigger)  # an order or a step that is not there is that first
        # Without the version the page was drawn with, a change made meanwhile would go unnoticed:
        # nothing is done (the step's own page always sends it).
        shown = sent_lock if len(sent_lock) <= 40 else sent_lock[:39] + "…"
        key, values = (
            ("orders.bad_lock_version", {"sent": shown}) if sent_lock else ("orders.no_lock_version", {})
        )
        page = render_template("error.html", code=400, key=key, values=values)
        abort(Response(page, status=400))
    sent = _Sent()
    try:
        taken = _engine().take_step(
            order_id, trigger, current_actor(), sent.read, expected_lock_version=lock_version
        )
    except ContentionError as busy:  # not a change by someone else: the same step may be sent again
        step = sent.step or _step(order_id, trigger)
        return _render_step(step, sent.data, lock_version, problems=[busy.message(current_lang())]), 409
    except NotFound:
        abort(404)
    step = sent.step or _step_of(taken.page)
    if (
        sent.rows is not None
    ):  # a row added or removed without JavaScript, or the other language: nothing fired
        return _render_step(step, sent.rows[0], lock_version, focus=sent.rows[1])
    if taken.conflict is not None:
        problem = translate("orders.conflict", current_lang())
        return _render_step(step, sent.data, lock_version, problems=[problem], conflict=True), 409
    if taken.rejected is not None:
        layout = step.form.layout if step.form is not None else None
        errors, problems = _field_errors(taken.rejected.refusals, layout, taken.page.order_layout)
        return _render_step(step, sent.data, lock_version, errors, problems), 422
    return redirect(url_for("orders.show", order_id=order_id))


@dataclass
class _Sent:
    """What a step's page sent, read by ``Engine.take_step`` with the step's page in hand."""

    step: _Step | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    rows: tuple[dict[str, Any], str | None] | None = (
        None  # a row added or removed: the data, the field to focus
    )

    def read(self, page: StepPage) -> Mapping[str, Any] | None:
        self.step = step = _step_of(page)
        compiled = step.form
        data = posted_data(compiled) if compiled is not None else {}
        self.rows = posted_row_action(compiled, data) if compiled is not None else None
        if self.rows is None and compiled is not None and relanged():  # the other language: not fired
            self.rows = (compiled.layout.prepare(data), None)
        if self.rows is not None:
            return None
        self.data = compiled.layout.prepare(data) if compiled is not None else data
        return self.data


@orders.post("/orders/<id:order_id>/fire/<trigger>/refresh")
def fire_refresh(order_id: int, trigger: str) -> Any:
    step = _step(order_id, trigger)
    if step.form is None:
        abort(404)
    return refresh_response(step.form, action=step.action, refresh=step.refresh)


@orders.errorhandler(404)
def not_found(error: HTTPException) -> Any:
    return render_template("forms/error.html", code=404, key="orders.not_found"), 404


@orders.errorhandler(StoredDocumentError)
def unreadable(error: StoredDocumentError) -> Any:
    """An order (or its workflow version) stored in a shape this version cannot read: which, and why."""
    problems = [error.message(current_lang())]
    return render_template("forms/error.html", code=500, key="orders.unreadable", problems=problems), 500
