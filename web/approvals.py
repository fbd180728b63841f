"""The approval panel of an order page and what an approver does there (engine/runtime/approvals.py).

``orders/_approval.html`` is included in the order page, which reads the order's approval at its state
with the order (``OrderPage.approval``, one read; a refusal's page asks ``approval_panel(order_id)``):
the approvers with what each did, the deadline, and, on the tasks the user may act on, one form: a
comment, a person chosen among the department's (to add or transfer to), a state to return to, and a
button per action; a decline is confirmed in a disclosure that says where it takes the order (no script
needed), and a decline or a return without a comment is refused beside the comment field.
``POST /orders/<id>/approval/<task>`` takes the action through ``Engine.act_on_approval`` with the lock
version the page was drawn with; a refusal answers with the
panel again, the comment as typed and the reason in the page's language (422), a change made
meanwhile with 409. Works without scripts, in zh and en, at 390 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from engine.api import (
    ApprovalAction,
    ApprovalPanel,
    ApprovalRequest,
    ApprovalTask,
    Engine,
    Text,
    term,
    translate,
)
from engine.errors import ConflictError, ContentionError, NotFound, TransitionRejected
from web.auth import current_actor
from web.formdata import local_time
from web.i18n import current_lang, say_done, time_left, with_roles
from web.params import whole_number

approvals = Blueprint("approvals", __name__)

LOCK_FIELD = "_lock_version"
LOCK_DIGITS = 9


def _engine() -> Engine:
    found: Engine = current_app.extensions["orderloom"].engine
    return found


@dataclass(frozen=True)
class TaskView:
    id: int
    who: str
    status: str
    status_label: str
    note: str  # who added or transferred it, or that a timeout escalated it
    decided: str  # who decided it, and when
    comment: str | None
    yours: bool


@dataclass(frozen=True)
class PanelView:
    order_id: int
    state_label: str
    sign: str
    progress: str
    deadline: str | None
    timeout: str | None
    tasks: tuple[TaskView, ...]
    can_decline: bool
    return_to: tuple[tuple[str, str], ...]
    lock_version: int
    people: tuple[tuple[str, str], ...] = ()  # whom the user may add or transfer to: login, name shown
    decline_note: str = ""  # what a decline does, said before it is confirmed
    own_order: bool = False  # the user created the order: no approve, no add after (they would sign)

    @property
    def actionable(self) -> bool:
        """The user has a task to act on here (the order page then does not say there is nothing to do)."""
        return any(task.yours for task in self.tasks)


def _who(panel: ApprovalPanel, task: ApprovalTask, lang: str) -> str:
    if task.approver_kind == "role":
        role = term("role", task.approver, lang)
        holders = panel.holders.get(task.approver)
        if holders is None:  # a step decided: the role it asked
            return translate("approval.role", lang).format(role=role)
        if not holders:
            return translate("approval.role.nobody", lang).format(role=role)
        who = ("、" if lang.startswith("zh") else ", ").join(panel.person(name) for name in holders)
        return translate("approval.role.held", lang).format(role=role, who=who)
    return panel.person(task.approver)


def _decided(panel: ApprovalPanel, task: ApprovalTask) -> str:
    """When the task was decided, and by whom unless the task already names them (a person's own task)."""
    if not task.decided_by or not task.decided_at:
        return ""
    at = local_time(task.decided_at)
    if task.approver_kind == "user" and task.decided_by == task.approver:
        return at
    return f"{panel.person(task.decided_by)} · {at}"


def _note(panel: ApprovalPanel, task: ApprovalTask, lang: str) -> str:
    if task.origin == "escalated":
        return translate("approval.escalated", lang)
    if task.added_by is None:
        return ""
    key = "approval.added_by" if task.origin == "added" else "approval.transferred_by"
    return translate(key, lang).format(who=panel.person(task.added_by))


def _people(panel: ApprovalPanel, lang: str) -> tuple[tuple[str, str], ...]:
    """The people offered, by the name they are known by with their roles (高军（销售总监）); two of one
    name told apart by their logins."""
    shown = [name for _, name, _ in panel.people]
    return tuple(
        (login, with_roles(name if shown.count(name) == 1 else f"{name} {login}", roles, lang))
        for login, name, roles in panel.people
    )


def _progress(panel: ApprovalPanel, lang: str) -> str:
    """How far the approval is, saying what it waits for: an approver added by another (已通过 1 人，等待
    加签的 高军 审批), any one of several ("0 approved; any one of 2 may approve"), else so many of so
    many."""
    if panel.awaiting_added:
        who = [
            translate("approval.added.before" if before else "approval.added.after", lang).format(
                who=panel.person(login)
            )
            for login, before in panel.awaiting_added
        ]
        joined = ("、" if lang == "zh" else "; ").join(who)
        return translate("approval.progress.added", lang).format(approved=panel.approved, who=joined)
    if panel.sign == "any" and panel.declared > 1 and panel.approved < panel.required:
        return translate("approval.progress.any", lang).format(approved=panel.approved, n=panel.declared)
    return translate("approval.progress", lang).format(approved=panel.approved, required=panel.required)


def panel_view(panel: ApprovalPanel, lang: str, now: datetime) -> PanelView:
    """The panel as the page shows it: people by their names, roles and states by their labels."""
    if panel.sign in ("any", "all"):
        sign = translate(f"approval.sign.{panel.sign}", lang)
    else:
        sign = translate("approval.sign.n", lang).format(n=panel.sign)
    deadline = None
    if panel.deadline is not None:
        at = local_time(panel.deadline)
        deadline = (
            translate("approval.overdue", lang).format(at=at)
            if panel.deadline <= now
            else translate("approval.deadline", lang).format(at=at, left=time_left(panel.deadline, now, lang))
        )
    tasks = tuple(
        TaskView(
            id=task.id,
            who=_who(panel, task, lang),
            status=task.status,
            status_label=translate(f"approval.status.{task.status}", lang),
            note=_note(panel, task, lang),
            decided=_decided(panel, task),
            comment=task.comment,
            yours=task.yours,
        )
        for task in panel.tasks
    )
    return PanelView(
        order_id=panel.order_id,
        state_label=panel.state_label.get(lang),
        sign=sign,
        progress=_progress(panel, lang),
        deadline=deadline,
        timeout=translate(f"approval.timeout.{panel.timeout}", lang) if panel.timeout else None,
        tasks=tasks,
        can_decline=panel.can_decline,
        return_to=tuple((state, label.get(lang)) for state, label in panel.return_to),
        lock_version=panel.lock_version,
        people=_people(panel, lang),
        own_order=panel.own_order,
        decline_note=(
            translate("approval.decline_to", lang).format(state=panel.decline_to.get(lang))
            if panel.decline_to is not None
            else translate("approval.decline_ends", lang)
        ),
    )


@approvals.app_template_global()
def approval_panel(order_id: int) -> PanelView | None:
    """The order's approval, for a page that did not read it with the order (the refusal's page; the
    order page passes ``approval`` read in its one read). None: not at an approval step."""
    try:
        panel = _engine().approval(order_id, current_actor())
    except NotFound:
        return None
    return None if panel is None else panel_view(panel, current_lang(), _engine().clock.now())


@approvals.post("/orders/<id:order_id>/approval/<id:task_id>")
def act(order_id: int, task_id: int) -> Any:
    lang = current_lang()
    comment = request.form.get("comment", "")
    sent = {
        "comment": comment,
        "user": request.form.get("user", ""),
        "return_to": request.form.get("return_to"),
        "action": request.form.get("action", ""),
    }
    try:
        action = ApprovalAction(request.form.get("action", ""))
    except ValueError:
        message = translate("approval.unknown_action", lang).format(action=request.form.get("action", ""))
        return _refused(order_id, [message], sent, 422)
    lock = whole_number(request.form.get(LOCK_FIELD) or "", LOCK_DIGITS)
    target = (
        sent["user"]
        if action in (ApprovalAction.ADD_BEFORE, ApprovalAction.ADD_AFTER, ApprovalAction.TRANSFER)
        else None
    )
    if action is ApprovalAction.RETURN:
        target = sent["return_to"]
    asked = ApprovalRequest(order_id, task_id, action, current_actor(), comment, target, lock)
    try:
        before = _engine().approval(order_id, current_actor())  # whom and where, named as the page named them
        _engine().act_on_approval(asked)
    except NotFound:
        abort(404)
    except TransitionRejected as refused:
        said = [(r.details.get("field"), r.zh if lang == "zh" else r.en) for r in refused.refusals]
        errors = {str(field): message for field, message in said if field}
        return _refused(order_id, [message for _, message in said], sent, 422, errors)
    except (ConflictError, ContentionError) as changed:
        return _refused(order_id, [changed.message(lang)], sent, 409)
    _say_done(action, target, before)
    return redirect(url_for("orders.show", order_id=order_id))


def _say_done(action: ApprovalAction, target: str | None, panel: ApprovalPanel | None) -> None:
    """What the action did, said on the order page it returns to: the person added or transferred to by
    their name, the step returned to by its label."""
    if action is ApprovalAction.RETURN:
        labels = dict(panel.return_to) if panel is not None else {}
        step = labels.get(target or "") or Text(target or "", target or "")
        say_done("approval.done.return", state=step)
        return
    person = panel.person(target) if panel is not None else target
    say_done(f"approval.done.{action.value}", who=person or "")


def _refused(
    order_id: int,
    problems: list[str],
    sent: dict[str, Any],
    status: int,
    errors: dict[str, str] | None = None,
) -> Any:
    """The panel again with why (beside the field it is about, when it is about one: ``errors``, field
    -> message), and what was typed kept. The order is one the user may open (the engine said so by
    refusing rather than not finding it); its approval may be over (another signed or declined it
    meanwhile): the page then says why, with the way back to the order, and no panel."""
    panel = approval_panel(order_id)
    page = render_template(
        "approvals/refused.html",
        order_id=order_id,
        panel=panel,
        problems=[problem[:1].upper() + problem[1:] for problem in problems],  # each a sentence of its own
        sent=sent,
        errors=errors or {},
    )
    return page, status
