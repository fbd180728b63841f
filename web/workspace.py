"""My work (我的工作): ``GET /work``, the orders the user may take a step on now, per department, and the
review queues of their departments; ``GET /work/queues/<department>/<queue>``, a queue's orders;
``POST /orders/<id>/claim`` and ``/release``, an order taken in hand and let go.

Each page asks the engine once (``Engine.my_work``, ``Engine.queue_page``) and draws the sections it
answers with, in the order given; a section of a kind this page does not know is not drawn. A list is
paged by keyset (``after``: where the last page ended, given out by the page itself); ``claims``
filters by who handles the orders (all, unassigned, mine). A filter or a page address that no page gave
out is a 400 page saying which and what to do, in the page's language.

A claim of an order someone else handles answers 409 with who and since when, and a button that takes
it over on purpose (it sends the holder it saw: a third person claiming meanwhile is refused again).
The order page shows the claim through ``orders/_claim.html`` (``OrderPage.claim``, read with the order).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from engine.api import ADMIN_ROLE, Engine, term, translate
from engine.api.stock import buys_stock, low_stock_alerts, product_names, warehouse_names
from engine.api.workspace import (
    ApprovalItem,
    ApprovalsSection,
    BadCursor,
    ClaimConflict,
    ClaimFilter,
    ClaimView,
    OrdersSection,
    Queue,
    QueuesSection,
    RowSummary,
    WorkCursor,
    WorkItem,
    row_summary,
)
from engine.errors import ConflictError, ContentionError, Forbidden, NotFound
from web.auth import current_actor
from web.formdata import local_time
from web.i18n import current_lang, say_done, time_span
from web.orders import state_label, timer_off
from web.params import local_path

work = Blueprint("work", __name__)

PAGE_SIZE = 30
FILTERS = {"any": ClaimFilter.ANY, "unassigned": ClaimFilter.UNASSIGNED, "mine": ClaimFilter.MINE}


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


def _refused(key: str, message: str, status: int) -> Response:
    page = render_template("work/refused.html", code=status, key=key, message=message)
    return Response(page, status=status)


def age_text(since: datetime | None, now: datetime, lang: str) -> str:
    """How long ago ``since`` was, in the largest whole unit: 12 分钟 / 3 h / 2 d."""
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return translate("work.age.now", lang)
    if minutes < 120:
        return translate("work.age.minutes", lang).format(n=minutes)
    if minutes < 48 * 60:
        return translate("work.age.hours", lang).format(n=minutes // 60)
    return translate("work.age.days", lang).format(n=minutes // (24 * 60))


def _after() -> WorkCursor | None:
    sent = request.args.get("after")
    if not sent:
        return None
    try:
        return WorkCursor.parse(sent)
    except BadCursor as bad:
        abort(_refused("work.bad_after", bad.message(current_lang()), 400))


def _claims() -> ClaimFilter:
    sent = request.args.get("claims") or "any"
    found = FILTERS.get(sent)
    if found is None:
        shown = sent if len(sent) <= 40 else sent[:39] + "…"
        message = translate("work.bad_filter", current_lang()).format(sent=shown)
        abort(_refused("work.bad_filter", message, 400))
    return found


def _what(summary: RowSummary, lang: str) -> dict[str, Any]:
    """What a row says of an order beside its number (``engine.runtime.row_summary``): who it is for,
    its kind, the refund it asks and the order it is about, linked only when the reader may open it."""
    original = summary.original
    return {
        "who": " · ".join(summary.names),
        "total": f"{summary.total:.2f}" if summary.total is not None else "",
        "kind": summary.kind.get(lang) if summary.kind is not None else "",
        "asked": translate("work.row.asked", lang).format(amount=f"{summary.asked:.2f}")
        if summary.asked is not None
        else "",
        "original": {
            "text": translate("work.row.original", lang).format(id=original.id),
            "url": url_for("orders.show", order_id=original.id) if original.opens else None,
        }
        if original is not None
        else None,
    }


def _item(item: WorkItem, now: datetime, lang: str) -> dict[str, Any]:
    """What a row of my work shows of an order, in the page's language."""
    order, spec = item.order, item.spec
    return {
        **_what(row_summary(spec, order.data, current_actor()), lang),
        "id": order.id,
        "place": (order.workflow, order.state),  # the batch it is selected for: its workflow and state
        "workflow": spec.title.get(lang),
        "state": state_label(spec, order.state, lang),
        "age": age_text(item.since, now, lang),
        "steps": [(s.trigger, s.label.get(lang) if s.label is not None else s.trigger) for s in item.steps],
        # the steps that end the order (a cancel), last and never styled as the one to take
        "ends": [s.trigger for s in item.steps if s.ends],
        # a record's step is taken on the order's page, at that record
        "record_steps": [
            (
                f"record-{offer.kind}-{offer.number}",
                translate("work.record_step", lang).format(
                    record=translate("orders.record.title", lang).format(
                        kind=offer.kind_label.get(lang), number=offer.number
                    ),
                    action=offer.step.label.get(lang),
                ),
            )
            for offer in item.record_steps
        ],
        # what a batch of the row's workflow and state may take on it: its steps, and its records' steps
        # by kind (``shipment.ship``: every shipment of each order ticked that may take it)
        "batch_steps": [
            *((s.trigger, s.label.get(lang) if s.label is not None else s.trigger) for s in item.steps),
            *dict.fromkeys(
                (
                    f"{offer.kind}.{offer.step.trigger}",
                    translate("work.record_step", lang).format(
                        record=offer.kind_label.get(lang), action=offer.step.label.get(lang)
                    ),
                )
                for offer in item.record_steps
            ),
        ],
        "waiting": [r.zh if lang == "zh" else r.en for r in item.waiting],
        "held": item.held.get(lang) if item.held is not None else None,  # why a rule held it here
        # when its soonest timer moves it by itself, and how: "28 分钟后将自动取消（超时未支付自动取消）"
        "due": _due_text(item, now, lang),
        "due_at": item.due.due_at.isoformat() if item.due is not None else None,
        # its condition does not hold now: it will not fire unless it comes to
        "due_off": timer_off(item.due, lang) if item.due is not None else None,
        "later": item.later,
        "refused": item.refused,  # every step of the person's refused now: set apart, not counted
        "assignee": item.assignee.name if item.assignee is not None else None,
        "mine": item.mine,
        "may_claim": bool(item.steps or item.record_steps or item.waiting),
    }


def _due_text(item: WorkItem, now: datetime, lang: str) -> str | None:
    timer = item.due
    if timer is None:
        return None
    span = time_span(timer.due_at, now, lang)
    when = translate("work.due.in", lang).format(span=span) if span else translate("work.due.now", lang)
    if timer.sentence is not None:  # an approval's timeout: what it does, said with when
        return timer.sentence.get(lang).format(when=when)
    key = "work.due" if timer.reason is not None else "work.due.no_reason"
    return translate(key, lang).format(
        when=when,
        step=timer.step.get(lang),
        reason=timer.reason.get(lang) if timer.reason is not None else "",
    )


def _task(item: ApprovalItem, now: datetime, lang: str) -> dict[str, Any]:
    """What a row of my work shows of an approval task: its order, how long it has waited, its deadline."""
    row = _item(WorkItem(item.order, item.spec, item.since, (), (), None, False), now, lang)
    row["task"] = f"{item.order.id}:{item.task_id}:{item.order.lock_version}"  # what signing it sends
    row["by_role"] = term("role", item.by_role, lang) if item.by_role is not None else None
    row["why"] = item.why.get(lang) if item.why is not None else None  # the rules that sent it here
    row["deadline"] = local_time(item.deadline) if item.deadline is not None else None
    row["overdue"] = item.deadline is not None and item.deadline <= now
    return row


def batches(
    rows: list[dict[str, Any]], prefix: str, counts: Mapping[tuple[str, str], int] | None = None
) -> list[dict[str, Any]]:
    """The rows by workflow and state, in the order first met (so a person's own orders stay first in
    each): a batch is taken on orders of one workflow in one state. Each group has its form's id and the
    steps its rows offer (a record kind's too: 发货单：发货 ships the ticked orders' shipments);
    ``selectable`` when the person may act on one of its rows at least (they may then take those steps,
    or assign the rows, through the batch pages); ``count``, its orders on every page (``counts``, else
    those of this page), and ``shown``, those of this page."""
    groups: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for row in rows:
        key = (*row["place"], bool(row.get("refused")))  # the refused rows of a place apart
        group = groups.get(key)
        if group is None:
            group = groups[key] = {
                "form": f"{prefix}-{len(groups) + 1}",
                "workflow": row["workflow"],
                "state": row["state"],
                "steps": [],
                "rows": [],
            }
        group["rows"].append(row)
        for step in row.get("batch_steps", row["steps"]):
            if step not in group["steps"]:
                group["steps"].append(step)
        group.setdefault("ends", set()).update(row.get("ends", ()))
    for (workflow, state, refused), group in groups.items():
        # a step that ends the orders (a cancel) after the others: never the primary one, nor the key's
        group["steps"].sort(key=lambda step: step[0] in group["ends"])
        group["selectable"] = any(row["may_claim"] for row in group["rows"])
        group["refused"] = refused
        group["later"] = not refused and all(row.get("later") for row in group["rows"])  # moves on by itself
        group["shown"] = len(group["rows"])
        group["count"] = (
            group["shown"] if refused else max((counts or {}).get((workflow, state), 0), group["shown"])
        )
    return list(groups.values())


def _queue_shown(q: Queue, now: datetime, lang: str) -> dict[str, Any]:
    return {
        "department": q.department,
        "name": q.name,
        "label": q.labels[0].get(lang) if q.labels else q.name,
        "count": q.count,
        "oldest": age_text(q.oldest, now, lang),
        "url": url_for("work.queue", department=q.department, queue=q.name),
    }


@work.get("/work")
def index() -> Any:
    claims, after = _claims(), _after()
    department = request.args.get("department") or None
    lang = current_lang()
    found = _engine().my_work(
        current_actor(), claims=claims, department=department, after=after, limit=PAGE_SIZE
    )
    sections: list[dict[str, Any]] = []
    for section in found.sections:
        if isinstance(section, ApprovalsSection):
            sections.append(
                {"kind": section.kind, "items": [_task(item, found.now, lang) for item in section.items]}
            )
        elif isinstance(section, OrdersSection):
            sections.append(
                {
                    "kind": section.kind,
                    "department": section.department,
                    "count": section.count,
                    "groups": batches(
                        [_item(item, found.now, lang) for item in section.items],
                        f"batch-{section.department}",
                        section.counts,
                    ),
                    "more": url_for(
                        "work.index",
                        department=section.department,
                        after=section.next.token(),
                        **({"claims": claims.value} if claims is not ClaimFilter.ANY else {}),
                    )
                    if section.next is not None
                    else None,
                }
            )
        elif isinstance(section, QueuesSection):
            sections.append(
                {
                    "kind": section.kind,
                    "queues": [_queue_shown(q, found.now, lang) for q in section.queues],
                    "others": bool(section.others),  # queues others work: said, not listed
                }
            )
    shown_filter = next(name for name, value in FILTERS.items() if value is claims)
    # the new orders the person may take, as the overview offers them (a salesperson starts here)
    new_orders = [
        {
            "label": f"{row.title.get(lang)} · {term('channel', channel, lang)}",
            "url": url_for("orders.new", department=row.department, workflow=row.workflow, channel=channel),
        }
        for row in _engine().new_orders(current_actor())
        for channel in row.channels
    ]
    stock = _stock_work(lang) if department is None else None
    return render_template(
        "work/index.html",
        new_orders=new_orders,
        stock=stock,
        sections=sections,
        claims=shown_filter,
        filters=list(FILTERS),
        paged=department is not None,
        has_orders=any(s.get("items") or s.get("groups") for s in sections) or bool(stock),
    )


def _stock_work(lang: str) -> list[dict[str, Any]] | None:
    """A purchaser's stock work: the open low-stock alerts, each with its reorder suggestion and its
    product and warehouse by name (None for one who buys nothing)."""
    actor = current_actor()
    if not buys_stock(actor.roles):
        return None
    engine = _engine()
    alerts = low_stock_alerts(engine.store, engine.clock.now())
    names = product_names(engine.store, {a.sku for a in alerts})
    places = warehouse_names(engine)
    return [
        {
            "sku": a.sku,
            "name": names[a.sku].get(lang) if a.sku in names else "",
            "warehouse": places[a.warehouse].get(lang) if a.warehouse in places else a.warehouse,
            "figures": translate("work.stock.row_covered" if a.covered else "work.stock.row", lang).format(
                available=a.available, safety=a.safety_stock, suggested=a.suggested, in_transit=a.in_transit
            ),
            "url": url_for("stock.ledger", sku=a.sku, warehouse=a.warehouse),
        }
        for a in alerts
    ]


@work.get("/work/queues/<department>/<queue>")
def queue(department: str, queue: str) -> Any:
    after = _after()
    lang = current_lang()
    try:
        page = _engine().queue_page(current_actor(), department, queue, after=after, limit=PAGE_SIZE)
    except NotFound:
        abort(404)
    q = page.queue
    return render_template(
        "work/queue.html",
        queue={
            "department": q.department,
            "name": q.name,
            "label": q.labels[0].get(lang) if q.labels else q.name,
            "count": q.count,
            "oldest": age_text(q.oldest, page.now, lang),
        },
        groups=batches([_item(item, page.now, lang) for item in page.items], "batch-queue", page.counts),
        more=url_for("work.queue", department=department, queue=queue, after=page.next.token())
        if page.next is not None
        else None,
        paged=after is not None,
    )


def _back(order_id: int) -> str:
    """Where a claim's form returns to: the page it was sent from (a path of this site), else the order."""
    return local_path(request.form.get("next")) or url_for("orders.show", order_id=order_id)


@work.post("/orders/<id:order_id>/claim")
def claim(order_id: int) -> Any:
    lang = current_lang()
    take_over = request.form.get("take_over") or None
    try:
        _engine().claim(order_id, current_actor(), take_over_from=take_over)
    except NotFound:
        abort(404)
    except Forbidden as refused:
        return _refused("work.refused", refused.message(lang), 403)
    except ClaimConflict as held:
        since = local_time(held.holder.since) if held.holder.since is not None else ""
        page = render_template(
            "work/conflict.html",
            order_id=order_id,
            holder=held.holder.login,
            message=translate("work.conflict", lang).format(id=order_id, name=held.holder.name, since=since),
            back=_back(order_id),
        )
        return page, 409
    except (ContentionError, ConflictError) as busy:
        return _refused("work.refused", busy.message(lang), 409)
    say_done("work.done.claim" if take_over is None else "work.done.take_over", id=str(order_id))
    return redirect(_back(order_id), 303)


@work.post("/orders/<id:order_id>/release")
def release(order_id: int) -> Any:
    lang = current_lang()
    try:
        _engine().release(order_id, current_actor())
    except NotFound:
        abort(404)
    except Forbidden as refused:
        return _refused("work.refused", refused.message(lang), 403)
    except ConflictError as busy:
        return _refused("work.refused", busy.message(lang), 409)
    say_done("work.done.release", id=str(order_id))
    return redirect(_back(order_id), 303)


@work.errorhandler(404)
def not_found(error: Any) -> Any:
    return render_template("forms/error.html", code=404, key="orders.not_found"), 404


@work.app_context_processor
def work_link() -> dict[str, Any]:
    """For the header: whether the user works orders (any role but admin alone) and gets the link to
    my work; for the order page's ``orders/_claim.html``, ``claimed_since(claim)`` in China time."""

    def claimed_since(view: ClaimView) -> str:
        holder = view.assignee
        return local_time(holder.since) if holder is not None and holder.since is not None else ""

    works = bool(
        current_user and current_user.is_authenticated and any(r != ADMIN_ROLE for r in current_user.roles)
    )
    return {"works_orders": works, "claimed_since": claimed_since}
