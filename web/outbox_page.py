"""The outbox page (发件箱) for a department's admins: what waits, what was sent, the dead letters, and
replaying them.

``GET /outbox`` lists the messages of the admin's departments, newest first, 50 a page: every status at
first (the latest messages, whatever became of them), or one (``status``: ``dead``, the dead letters,
with their count on the tab; ``pending``, ``sent``, ``internal``), and one topic (``topic``). A topic is
named in words (``term.topic.*``: 订单状态通知（给顾客） / Order status notice (to the customer)); one the
catalogue does not name (a plugin's, a rule file's suggestion) is shown as it is written, marked
未登记的主题 / unlisted topic.
``GET /outbox/<id>`` shows one: its topic, payload, attempts, last error and times. A message whose
payload this OrderLoom cannot read (written by a newer one) is listed and shown marked "unreadable"
(无法读取), with why, and without its payload; it is not replayed from here (409), nor by "send all
again".
``POST /outbox/<id>/replay`` sends it back to be delivered at the worker's next round
(``Engine.replay_outbox``); ``POST /outbox/replay`` does so for every dead letter shown (of the topic
filtered on). The engine decides who may: an admin of the message's department (``Forbidden``: 403 for
anyone else, ``NotFound``: 404 outside their departments, ``ConflictError``: 409 for a message sent
already, internal, being sent, or unreadable). Every page's header links here for admins, with the
number of dead letters when there are any. A page number or a count in the query string, and a
message's id in the address, are read by ``web.params``: anything but a whole number in range is a 404.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from engine.api import ADMIN_ROLE, Engine, OutboxMessage, OutboxStatus, known_term
from engine.errors import ConflictError, Forbidden, NotFound
from web.auth import current_actor
from web.formdata import local_time
from web.i18n import current_lang
from web.params import MAX_ID, query_number

outbox_page = Blueprint("outbox", __name__)

PAGE_SIZE = 50
MAX_PAGE = 10_000
# The tab of every status, which the page opens on (the latest messages).
ALL = "all"
# One tab per status after it: the dead letters first (what an operator comes for), then the others as the
# enum lists them.
TABS: tuple[str, ...] = (
    ALL,
    OutboxStatus.DEAD,
    *(status for status in OutboxStatus if status is not OutboxStatus.DEAD),
)
# The statuses whose messages show their last error: those still to be tried, or given up on.
ERROR_SHOWN = frozenset({OutboxStatus.PENDING, OutboxStatus.DEAD})


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


def _local(moment: datetime | None) -> str:
    return "" if moment is None else local_time(moment, seconds=True)


@dataclass(frozen=True)
class Row:
    """A message as the list shows it."""

    id: int
    topic: str
    topic_title: str  # the topic in words, in the page's language ("" for a topic the catalogue lacks)
    status: OutboxStatus
    department: str | None
    order_id: Any
    attempts: int
    when: str  # the time that matters for its status: next try, sent, dead since, written
    error: str
    unreadable: str  # why this OrderLoom cannot read its payload, in the page's language ("" when it can)


def _row(message: OutboxMessage, every: bool = False) -> Row:
    """The message as a row; ``every``: of the list of every status, where the time is when it was
    written (the order the list reads in), not the one its status makes matter."""
    when = {
        OutboxStatus.PENDING: message.next_attempt_at,
        OutboxStatus.SENT: message.sent_at,
        OutboxStatus.DEAD: message.dead_at,
        OutboxStatus.INTERNAL: message.created_at,
    }[message.status]
    if every:
        when = message.created_at
    payload = message.payload if isinstance(message.payload, dict) else {}
    error = (message.last_error or "") if message.status in ERROR_SHOWN else ""
    why = message.unreadable
    return Row(
        id=message.id,
        topic=message.topic,
        topic_title=topic_title(message.topic),
        status=message.status,
        department=message.department,
        order_id=payload.get("order_id"),
        attempts=message.attempts,
        when=_local(when),
        error=error if len(error) <= 160 else error[:159] + "…",
        unreadable=why.message(current_lang()) if why is not None else "",
    )


def topic_title(topic: str) -> str:
    """The topic in words in the page's language; "" for one the catalogue does not name."""
    title = known_term("topic", topic)
    return title.get(current_lang()) if title is not None else ""


def _refused(error: Forbidden | NotFound | ConflictError, code: int) -> Any:
    return render_template("outbox/refused.html", code=code, message=error.message(current_lang())), code


@outbox_page.get("/outbox")
def index() -> Any:
    asked = request.args.get("status") or ALL
    try:
        status = None if asked == ALL else OutboxStatus(asked)
    except ValueError:
        abort(404)
    topic = request.args.get("topic") or None
    page = query_number("page", MAX_PAGE) or 1
    replayed = query_number("replayed", MAX_ID, minimum=0)
    engine, actor = _engine(), current_actor()
    try:
        counts = engine.outbox_counts(actor)
        found = engine.outbox_messages(
            actor, status=status, topic=topic, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
    except Forbidden as error:
        return _refused(error, 403)
    tab = status if status is not None else ALL
    filters = {**({"status": status} if status is not None else {}), **({"topic": topic} if topic else {})}
    return render_template(
        "outbox/index.html",
        rows=[_row(message, every=status is None) for message in found[:PAGE_SIZE]],
        status=tab,
        every=status is None,
        statuses=TABS,
        error_shown=status is None or status in ERROR_SHOWN,
        replay_all=status is OutboxStatus.DEAD,
        topic=topic,
        topic_named=topic_title(topic) if topic else "",
        counts=counts,
        replayed=replayed,
        newer=url_for("outbox.index", **filters, page=page - 1) if page > 1 else None,
        older=url_for("outbox.index", **filters, page=page + 1) if len(found) > PAGE_SIZE else None,
    )


@outbox_page.get("/outbox/<id:message_id>")
def show(message_id: int) -> Any:
    try:
        message = _engine().outbox_message(message_id, current_actor())
    except Forbidden as error:
        return _refused(error, 403)
    except NotFound as error:
        return _refused(error, 404)
    return render_template(
        "outbox/show.html",
        message=message,
        row=_row(message),
        times={
            "created": _local(message.created_at),
            "last_attempt": _local(message.last_attempt_at),
            "next_attempt": _local(message.next_attempt_at) if message.status is OutboxStatus.PENDING else "",
            "sent": _local(message.sent_at),
            "dead": _local(message.dead_at),
            "replayed": _local(message.replayed_at),
        },
        payload=json.dumps(message.payload, ensure_ascii=False, indent=2, default=str),
        replayable=message.unreadable is None
        and (
            message.status is OutboxStatus.DEAD
            or (message.status is OutboxStatus.PENDING and message.claimed_by is None)
        ),
        dead=message.status is OutboxStatus.DEAD,
        error_shown=message.status is not OutboxStatus.SENT,
        replayed=request.args.get("replayed") == "1",
    )


@outbox_page.post("/outbox/<id:message_id>/replay")
def replay(message_id: int) -> Any:
    try:
        _engine().replay_outbox([message_id], current_actor())
    except Forbidden as error:
        return _refused(error, 403)
    except NotFound as error:
        return _refused(error, 404)
    except ConflictError as error:
        return _refused(error, 409)
    return redirect(url_for("outbox.show", message_id=message_id, replayed=1), 303)


@outbox_page.post("/outbox/replay")
def replay_dead() -> Any:
    topic = request.form.get("topic") or None
    try:
        count = _engine().replay_dead_letters(current_actor(), topic)
    except Forbidden as error:
        return _refused(error, 403)
    filters = {"topic": topic} if topic else {}
    return redirect(url_for("outbox.index", status=OutboxStatus.DEAD.value, **filters, replayed=count), 303)


@outbox_page.app_context_processor
def outbox_link() -> dict[str, Any]:
    """For the header: whether the user is an admin (who gets the link) and, lazily, how many dead
    letters wait for them."""

    def dead_letters() -> int:
        return _engine().outbox_counts(current_actor())[OutboxStatus.DEAD]

    is_admin = bool(current_user and current_user.is_authenticated and ADMIN_ROLE in current_user.roles)
    return {"outbox_admin": is_admin, "outbox_dead_letters": dead_letters}
