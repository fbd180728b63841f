"""Approval tasks made when an order enters an approval state and closed when it leaves, inside the
transaction of the step that moved it (``Commands.write`` calls these). What approvers then do is
:mod:`engine.runtime.approvals`.

A role approver is one task any holder of the role signs; a user approver one task for that user; an
expression approver (``order.account.manager``) is read now, on the order as the step left it, and
names a user. One that names nobody refuses the step, saying which approver of which state, unless it
has an ``else`` (``{expr: order.account.manager, else: {role: approver}}``): then the task is the
``else``'s, as it is when the name is no active user of the order's department, so no order waits on
someone who cannot sign.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.dsl.spec import ApproverSpec
from engine.errors import Refusal, RefusalCode, TransitionRejected
from engine.rules.expr import ExpressionEvaluationError
from engine.runtime.actor import SYSTEM
from engine.runtime.compiled import CompiledApproval, CompiledVersion
from engine.runtime.decisions import LiveOrder, condition_env
from engine.store import Tx
from engine.store.approvals import PENDING
from engine.store.users import approver_emails, people_of

# Mail through the outbox (workers/mail.py): a task arrived, or an approval's deadline passed.
TASK_TOPIC = "approvals.task"
TIMEOUT_TOPIC = "approvals.timeout"
SEQ_STEP = 100  # the declared approvers' seq apart: room for approvers added before and after each
CANCELLED = "cancelled"  # the order left the state before this task was signed


def approver_of(
    tx: Tx, approval: CompiledApproval, approver: ApproverSpec, live: LiveOrder, now: datetime
) -> tuple[str, str]:
    """(kind, name) of the task an approver gets on this order: a role or a user as declared; for an
    expression, the user it names, or its ``else`` when it names nobody or no active user of the
    order's department (``TransitionRejected`` when it names nobody and has no ``else``)."""
    if approver.kind != "expr":
        return approver.kind, approver.value
    fallback = approver.fallback
    if fallback is None:
        return "user", approver_name(approval, approver.value, live, now)
    try:
        name = approver_name(approval, approver.value, live, now)
    except TransitionRejected:
        return fallback.kind, fallback.value
    if any(user.name == name for user in people_of(tx, live.department)):
        return "user", name
    return fallback.kind, fallback.value


def approver_name(approval: CompiledApproval, text: str, live: LiveOrder, now: datetime) -> str:
    """The user an expression approver names on this order; ``TransitionRejected`` when it names nobody."""
    problem: str | None = None
    try:
        value: Any = approval.expressions[text](condition_env(live, SYSTEM, {}, now))
    except ExpressionEvaluationError as error:
        value, problem = None, str(error)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise TransitionRejected(
        [
            Refusal(
                RefusalCode.APPROVAL,
                f"审批步骤 {approval.state} 的审批人 {text} 在此订单上没有值（应为一个用户名）",
                f"the approver {text} of the approval step {approval.state} names nobody on this order "
                "(it should give a user's name)",
                {"state": approval.state, "expr": text, "value": value, "error": problem},
            )
        ]
    )


def open_tasks(
    tx: Tx, cv: CompiledVersion, live: LiveOrder, state: str, entered_seq: int, now: datetime
) -> list[int]:
    """The tasks of ``state``'s approval for this visit (``entered_seq``: the audit seq that entered it)."""
    approval = cv.approvals[state]
    timeout = approval.spec.timeout
    deadline = now + timedelta(seconds=timeout.after_seconds) if timeout is not None else None
    ids = []
    for position, approver in enumerate(approval.spec.approvers, 1):
        kind, name = approver_of(tx, approval, approver, live, now)
        mail_task(tx, cv, live, state, kind, name, now, deadline)
        ids.append(
            tx.insert_task(
                order_id=live.id,
                state=state,
                entered_seq=entered_seq,
                seq=position * SEQ_STEP,
                approver_kind=kind,
                approver=name,
                origin="declared",
                at=now,
                status=PENDING,
                deadline=deadline,
            )
        )
    return ids


def close_tasks(tx: Tx, order_id: int, state: str, now: datetime) -> int:
    """The order left ``state``: its tasks still open are cancelled."""
    return tx.close_open_tasks(order_id, state, CANCELLED, now)


def mail_task(
    tx: Tx,
    cv: CompiledVersion,
    live: LiveOrder,
    state: str,
    kind: str,
    approver: str,
    now: datetime,
    deadline: datetime | None,
    topic: str = TASK_TOPIC,
    then: str | None = None,
) -> None:
    """An outbox message to the approver (a user, or the users of a role in the order's department) that
    a task arrived (``TASK_TOPIC``) or timed out (``TIMEOUT_TOPIC``), with the addresses known now."""
    title, label = cv.spec.title, cv.states[state].label
    payload: dict[str, Any] = {
        "order_id": live.id,
        "approver_kind": kind,
        "approver": approver,
        "emails": approver_emails(tx, kind, approver, live.department),
        "labels": {"workflow": {"zh": title.zh, "en": title.en}, "state": {"zh": label.zh, "en": label.en}},
        "deadline": None if deadline is None else deadline.isoformat(),
    }
    if then is not None:
        payload["then"] = then
    tx.insert_outbox(topic, payload, now, department=live.department)
