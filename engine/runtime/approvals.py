"""Approval steps (审批): what approvers do on an order waiting at an approval state, each in one
transaction (docs/workflow-language.md, "Approval steps").

An approver approves, declines, adds an approver before or after themselves (加签), transfers the task
to another user (转交) or returns the order to an earlier step the workflow allows (回退), each with a
comment and each an event of the audit trail (``approval.approve`` …; the event's ``guards`` hold one
record ``{"approval": …}`` saying which task, and to whom). Once enough have approved (``sign``: any,
all, a number; an approver added by another must approve too), the approval's ``approve`` trigger is
fired through the engine in the same transaction, with the same guards, rules and actions as any step;
one who declines fires ``decline``. A timeout (``approval.timeout``, run by the timers' worker) reminds,
approves, returns or escalates.

Refusals, in both languages (code ``approval``): not your task, decided already, the order moved on.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.common.text import Text
from engine.common.words import term
from engine.dsl.spec import ALL_DEPARTMENTS, APPROVAL_TIMEOUT, CREATE_TRIGGER, ApproverSpec
from engine.errors import ConflictError, Refusal, RefusalCode, TransitionRejected
from engine.runtime.actor import SYSTEM, Actor
from engine.runtime.approval_entry import CANCELLED, TASK_TOPIC, TIMEOUT_TOPIC, approver_name, mail_task
from engine.runtime.commands import Commands, Step, load_order
from engine.runtime.compiled import CompiledApproval, CompiledVersion, Move, joined
from engine.runtime.decisions import Decision, LiveOrder, Moving, decide
from engine.runtime.parts import Parts, retried
from engine.runtime.results import ApprovalPanel, ApprovalResult, ApprovalTask, OpenTask
from engine.store import OrderRow, TimerRow, Tx
from engine.store.approvals import PENDING, WAITING, TaskRow
from engine.store.users import UserRow, display_names, is_api_login, people_of, user_named

APPROVED, DECLINED, TRANSFERRED, RETURNED = "approved", "declined", "transferred", "returned"
EXPIRED, ESCALATED = "expired", "escalated"  # closed by a timeout that approved, returned or escalated
APPROVAL_TOPICS = (TASK_TOPIC, TIMEOUT_TOPIC)  # the outbox topics of the mail to approvers


class ApprovalAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    ADD_BEFORE = "add_before"  # 加签 (前): the added approver signs first, then this one
    ADD_AFTER = "add_after"  # 加签 (后): this one approves, the added approver must approve too
    TRANSFER = "transfer"  # 转交: the task becomes another user's
    RETURN = "return"  # 回退: the order goes back to a state of the approval's return_to


# The audit trail's name of each action (docs/workflow-language.md)
EVENT = {
    ApprovalAction.APPROVE: "approval.approve",
    ApprovalAction.DECLINE: "approval.decline",
    ApprovalAction.ADD_BEFORE: "approval.add",
    ApprovalAction.ADD_AFTER: "approval.add",
    ApprovalAction.TRANSFER: "approval.transfer",
    ApprovalAction.RETURN: "approval.return",
}


@dataclass(frozen=True)
class ApprovalRequest:
    """An approver's action on a task, as asked for."""

    order_id: int
    task_id: int
    action: ApprovalAction
    actor: Actor
    comment: str = ""
    target: str | None = None  # the user added or transferred to, or the state returned to
    expected_lock_version: int | None = None


@dataclass
class _Visit:
    """The order at its approval state, inside one transaction."""

    moving: Moving
    approval: CompiledApproval
    tasks: list[TaskRow] = field(default_factory=list)


COMMENT_LIMIT = 2000  # characters of an approval's comment: a longer one is refused, not cut


def refusal(zh: str, en: str, **details: Any) -> TransitionRejected:
    return TransitionRejected([Refusal(RefusalCode.APPROVAL, zh, en, details)])


def missing_reason(action: ApprovalAction, comment: str) -> TransitionRejected | None:
    """A decline or a return asked for without a comment, its reason, or a comment longer than is kept
    (refused beside the comment field, before anything is touched: never cut without a word); None when
    the comment will do."""
    if len(comment) > COMMENT_LIMIT:
        return refusal(
            f"意见最多 {COMMENT_LIMIT:,} 字，现有 {len(comment):,} 字：请删减后再提交",
            f"Comment: at most {COMMENT_LIMIT:,} characters; this one has {len(comment):,}. Shorten it",
            field="comment",
        )
    if comment.strip() or action not in (ApprovalAction.DECLINE, ApprovalAction.RETURN):
        return None
    if action is ApprovalAction.DECLINE:
        return refusal(
            "驳回须写明理由：请在意见中填写为何驳回",
            "a decline needs a reason: say in the comment why you decline",
            field="comment",
        )
    return refusal(
        "退回须写明理由：请在意见中填写为何退回",
        "a return needs a reason: say in the comment why the order goes back",
        field="comment",
    )


def visit_tasks(tasks: Sequence[TaskRow], state: str) -> list[TaskRow]:
    """The tasks of the order's latest visit to ``state``, in their order (``seq``, then made)."""
    mine = [t for t in tasks if t.state == state]
    if not mine:
        return []
    latest = max(t.entered_seq for t in mine)
    return sorted((t for t in mine if t.entered_seq == latest), key=lambda t: (t.seq, t.id))


def may_sign(task: TaskRow, actor: Actor) -> bool:
    if task.approver_kind == "user":
        return actor.name == task.approver
    return task.approver in actor.roles


def approved_count(approval: CompiledApproval, tasks: Sequence[TaskRow]) -> tuple[int, int]:
    """(approved, required): ``sign`` of the declared approvers, and every approver added by another (加签,
    before or after them: each must approve too); a transferred task counts as its successor."""
    standing = [t for t in tasks if t.status not in (TRANSFERRED, ESCALATED)]
    declared = [t for t in standing if t.origin == "declared"]
    added = [t for t in standing if t.origin == "added"]
    required = approval.spec.required(len(declared))
    signed = min(sum(1 for t in declared if t.status == APPROVED), required)  # "any": one counts, not two
    return signed + sum(1 for t in added if t.status == APPROVED), required + len(added)


def complete(approval: CompiledApproval, tasks: Sequence[TaskRow]) -> bool:
    """Enough have approved: ``sign`` of the declared approvers (or the role a timeout escalated to), and
    every approver added by another."""
    if any(t.origin == "added" and t.open for t in tasks):
        return False
    escalated = [t for t in tasks if t.origin == "escalated"]
    if escalated:
        return any(t.status == APPROVED for t in escalated)
    approved, required = approved_count(approval, tasks)
    return approved >= required


def escalated_to_signed(approval: CompiledApproval, tasks: Sequence[TaskRow]) -> bool:
    """The approval's timeout escalates to a role whose step of this visit is approved already: the
    escalation would only ask again one who signed (and one person signs once)."""
    timeout = approval.spec.timeout
    if timeout is None or timeout.then != "escalate":
        return False
    role = timeout.escalate_to
    return any(t.approver_kind == "role" and t.approver == role and t.status == APPROVED for t in tasks)


class Approvals:
    """Approvers' actions, the approval panel, a person's open tasks, and approval timeouts."""

    def __init__(self, parts: Parts, commands: Commands) -> None:
        self.parts = parts
        self.commands = commands

    # -- reading -------------------------------------------------------------------------------

    def panel(self, order_id: int, actor: Actor) -> ApprovalPanel | None:
        """The order's approval at its state, or None when the order is not at an approval step."""
        with self.parts.store.read() as tx:
            row = load_order(tx, order_id, actor)
            cv = self.parts.compiled(tx, row.workflow, row.version)
            return panel_of(tx, cv, row, actor, self.parts.clock.now())

    def open_tasks(self, actor: Actor, limit: int = 100) -> list[OpenTask]:
        """The tasks ``actor`` may sign now (theirs by name, or their roles'), oldest first."""
        with self.parts.store.read() as tx:
            found = tx.open_tasks_for(actor.name, actor.roles, actor.scope, limit)
        return [
            OpenTask(
                t.id,
                t.order_id,
                department,
                workflow,
                t.state,
                t.approver_kind,
                t.approver,
                t.created_at,
                t.deadline,
            )
            for t, department, workflow in found
        ]

    # -- acting --------------------------------------------------------------------------------

    @retried
    def act(self, request: ApprovalRequest) -> ApprovalResult:
        """Take an approver's action in one transaction (see the module docstring)."""
        now = self.parts.clock.now()
        actor = request.actor
        with self.parts.store.transaction() as tx:
            row = load_order(tx, request.order_id, actor)
            if (
                request.expected_lock_version is not None
                and row.lock_version != request.expected_lock_version
            ):
                raise ConflictError(
                    f"order #{row.id} changed (version {row.lock_version}, expected "
                    f"{request.expected_lock_version}); reload it",
                    zh=f"订单 #{row.id} 已被修改；请刷新后重试",
                )
            cv = self.parts.compiled(tx, row.workflow, row.version)
            visit = self._visit(tx, cv, row, now)
            task = self._task(visit, request)
            action = request.action
            missing = missing_reason(action, request.comment)
            if missing is not None:
                raise missing
            comment = request.comment.strip() or None
            detail: dict[str, Any] = {"task": task.id, "action": str(action)}
            if action is ApprovalAction.RETURN:
                return self._return(visit, task, actor, comment, request.target)
            signing = action in (ApprovalAction.APPROVE, ApprovalAction.ADD_AFTER)
            if signing and actor.name == creator_of(tx, row.id):
                raise refusal(
                    "您创建了此订单，不能审批它（职责分离）：请转交给另一位审批人，或退回",
                    "you created this order and cannot approve it (separation of duties): transfer it to "
                    "another approver, or return it",
                    task=task.id,
                )
            if signing and any(t.decided_by == actor.name and t.status == APPROVED for t in visit.tasks):
                raise refusal(
                    "你已在此审批中签署过一次；同一人不能签两次",
                    "you have signed this approval once already; one person signs once",
                    task=task.id,
                )
            if action is ApprovalAction.DECLINE and visit.approval.spec.decline is None:
                raise refusal(
                    "此审批不能驳回：工作流没有为它写 decline",
                    "this approval cannot be declined: the workflow gives it no decline",
                    task=task.id,
                )
            if action in (ApprovalAction.ADD_BEFORE, ApprovalAction.ADD_AFTER, ApprovalAction.TRANSFER):
                target = self._user(tx, cv, row, request.target, task, now)
                _may_be_given(visit.tasks, target, action, actor, display_names(tx, {target})[target], task)
                detail["to"] = target
            if action is ApprovalAction.APPROVE:
                self._decide(tx, task, APPROVED, actor, comment, now)
            elif action is ApprovalAction.DECLINE:
                self._decide(tx, task, DECLINED, actor, comment, now)
            elif action is ApprovalAction.ADD_AFTER:
                self._decide(tx, task, APPROVED, actor, comment, now)
                self._add(tx, task, target, task.seq + 1, None, actor, comment, now)
            elif action is ApprovalAction.ADD_BEFORE:
                if not tx.reopen_task(task.id, PENDING, WAITING):
                    raise _changed(row.id)
                self._add(tx, task, target, task.seq - 1, task.id, actor, comment, now)
            elif action is ApprovalAction.TRANSFER:
                self._decide(tx, task, TRANSFERRED, actor, comment, now)
                moved = task
                for waiting in _own_behind(visit.tasks, task, actor):  # the user's own step moves too
                    if not tx.decide_task(waiting.id, WAITING, TRANSFERRED, actor.name, now, comment):
                        raise _changed(row.id)
                    moved = waiting
                tx.insert_task(
                    order_id=row.id,
                    state=moved.state,
                    entered_seq=moved.entered_seq,
                    seq=moved.seq,
                    approver_kind="user",
                    approver=target,
                    origin=moved.origin,
                    at=now,
                    blocks=moved.blocks,
                    added_by=actor.name,
                    comment=comment,
                    deadline=task.deadline,
                )
            if action in (ApprovalAction.ADD_BEFORE, ApprovalAction.ADD_AFTER, ApprovalAction.TRANSFER):
                mail_task(tx, cv, visit.moving.order, task.state, "user", target, now, task.deadline)
            steps = [self._event(visit, EVENT[action], actor, comment, detail)]
            fired = self._conclude(tx, visit, actor, action is ApprovalAction.DECLINE, steps, now)
            self.commands.write(visit.moving, steps)
            live = visit.moving.order
            return ApprovalResult(row.id, str(action), joined(live.config), live.lock_version, fired)

    def _visit(self, tx: Tx, cv: CompiledVersion, row: OrderRow, now: datetime) -> _Visit:
        live = LiveOrder.from_row(row)
        state = next((s for s in live.config if s in cv.approvals), None)
        if state is None:
            raise refusal(
                f"订单 #{row.id} 已不在审批步骤（现在：{cv.state_words(live.config).zh}）",
                f"order #{row.id} is no longer at an approval step (now: {cv.state_words(live.config).en})",
                state=joined(live.config),
            )
        visit = _Visit(Moving(tx, cv, live, now), cv.approvals[state])
        visit.tasks = visit_tasks(tx.order_tasks(row.id), state)
        return visit

    def _task(self, visit: _Visit, request: ApprovalRequest) -> TaskRow:
        task = next((t for t in visit.tasks if t.id == request.task_id), None)
        if task is None:
            raise refusal(
                f"审批任务 {request.task_id} 不属于订单 #{request.order_id} 当前的审批",
                f"approval task {request.task_id} is not part of order #{request.order_id}'s current "
                "approval",
                task=request.task_id,
            )
        if not may_sign(task, request.actor):
            whose = f"角色 {task.approver}" if task.approver_kind == "role" else task.approver
            whose_en = f"role {task.approver}" if task.approver_kind == "role" else task.approver
            raise refusal(
                f"这不是你的审批任务：它属于 {whose}",
                f"this approval task is not yours: it is for {whose_en}",
                task=task.id,
                approver=task.approver,
            )
        if task.status == WAITING:
            raise refusal(
                "此任务在等待加签的审批人先签署",
                "this task waits for the approver added before it to sign first",
                task=task.id,
            )
        if task.status != PENDING:
            raise refusal(
                f"此审批任务已处理（{task.status}，{task.decided_by or ''}）",
                f"this approval task is decided already ({task.status} by {task.decided_by or 'the engine'})",
                task=task.id,
                status=task.status,
            )
        return task

    def _user(
        self, tx: Tx, cv: CompiledVersion, row: OrderRow, name: str | None, task: TaskRow, now: datetime
    ) -> str:
        """The active person named by ``name``: a login (not an API login), or the display name of one of
        the department's people (refused when none, or more than one, has it), who could be an approver of
        the order and did not create it (see :func:`not_approver`)."""
        given = (name or "").strip()
        if not given:
            raise refusal(
                "请选择要加签或转交给的人",
                "choose the person to add or to transfer the task to",
                task=task.id,
                field="user",
            )
        found = user_named(tx, given)
        if found is None:
            named = [p for p in people_of(tx, row.department) if p.display_name == given]
            found = named[0] if len(named) == 1 else None
        if found is None or not found.active:
            raise refusal(
                f"找不到可用的用户 {given}",
                f"no active user {given}",
                task=task.id,
                user=given,
                field="user",
            )
        if is_api_login(tx, found.name):
            raise refusal(
                f"{found.display_name} 是接口登录，不是人：不能加签或转交给其审批",
                f"{found.display_name} is an API login, not a person: an approval is not added or "
                "transferred to it",
                task=task.id,
                user=found.name,
                field="user",
            )
        if ALL_DEPARTMENTS not in found.departments and row.department not in found.departments:
            raise refusal(
                f"{found.display_name} 不在{term('department', row.department, 'zh')}部门，不能审批此订单",
                f"{found.display_name} does not work in {term('department', row.department, 'en')} "
                "and cannot approve this order",
                task=task.id,
                user=found.name,
                field="user",
            )
        why = not_approver(found, Eligible.of(tx, cv, row, now))
        if why is not None:
            zh, en = _NOT_GIVEN[why]
            who = found.display_name
            raise refusal(zh.format(who=who), en.format(who=who), task=task.id, user=found.name, field="user")
        return found.name

    @staticmethod
    def _decide(tx: Tx, task: TaskRow, status: str, actor: Actor, comment: str | None, now: datetime) -> None:
        if not tx.decide_task(task.id, PENDING, status, actor.name, now, comment):
            raise _changed(task.order_id)
        if status == APPROVED and task.blocks is not None:
            tx.reopen_task(task.blocks, WAITING, PENDING)  # the task it was added before may be signed now

    @staticmethod
    def _add(
        tx: Tx,
        task: TaskRow,
        user: str,
        seq: int,
        blocks: int | None,
        actor: Actor,
        comment: str | None,
        now: datetime,
    ) -> None:
        tx.insert_task(
            order_id=task.order_id,
            state=task.state,
            entered_seq=task.entered_seq,
            seq=seq,
            approver_kind="user",
            approver=user,
            origin="added",
            at=now,
            blocks=blocks,
            added_by=actor.name,
            comment=comment,
            deadline=task.deadline,
        )

    @staticmethod
    def _event(visit: _Visit, event: str, actor: Actor, comment: str | None, detail: dict[str, Any]) -> Step:
        """An approver's action as an event of the audit trail: the order stays where it is."""
        live = visit.moving.order
        here = joined(live.config)
        return Step(
            trigger=event,
            actor=actor.name,
            from_state=here,
            move=Move(live.config, (), ()),
            changes={},
            guards=[{"approval": detail}],
            rules=None,
            reason=comment,
            outbox=[],
        )

    def _conclude(
        self, tx: Tx, visit: _Visit, actor: Actor, declined: bool, steps: list[Step], now: datetime
    ) -> str | None:
        """Fire the approval's decline (one declined) or approve (enough approved) trigger, and the
        automatic steps after it; the trigger fired, or None while the approval waits."""
        approval = visit.approval
        visit.tasks = visit_tasks(tx.order_tasks(visit.moving.order.id), approval.state)
        trigger = approval.spec.decline if declined else approval.spec.approve
        if trigger is None or (not declined and not complete(approval, visit.tasks)):
            if escalated_to_signed(approval, visit.tasks):  # nobody left to escalate to: the timeout ends
                tx.cancel_trigger_timers(visit.moving.order.id, approval.state, APPROVAL_TIMEOUT)
            return None
        # The approval stands in for the transition's roles; its guards, rules and actions decide as
        # for anyone. The audit trail names the approver who concluded it.
        deciding = Actor(actor.name, actor.roles, actor.departments, is_system=True)
        decision = decide(visit.moving, trigger, deciding, {})
        reason = "approval_declined" if declined else "approval"  # the timeline's words for the step
        steps.append(self.commands.apply(visit.moving, decision, deciding, reason))
        steps.extend(self.commands.follow_auto(visit.moving))
        return trigger

    def _return(
        self, visit: _Visit, task: TaskRow, actor: Actor, comment: str | None, target: str | None
    ) -> ApprovalResult:
        moving, approval = visit.moving, visit.approval
        tx, now = moving.tx, moving.now
        move = approval.returns.get(target or "")
        if move is None:
            allowed = list(approval.returns)
            raise refusal(
                f"不能退回到 {target or '（未选择）'}；此审批可退回到：{'、'.join(allowed) or '无'}",
                f"the order cannot be returned to {target or '(none chosen)'}; this approval returns to: "
                f"{', '.join(allowed) or 'nowhere'}",
                task=task.id,
                return_to=allowed,
            )
        self._decide(tx, task, RETURNED, actor, comment, now)
        detail = {"task": task.id, "action": "return", "to": target}
        step = self.commands.apply(moving, Decision(move, move.spec.dest or "", [], None, {}), actor, comment)
        step.guards = [{"approval": detail}]
        steps = [step, *self.commands.follow_auto(moving)]
        self.commands.write(moving, steps)
        live = moving.order
        return ApprovalResult(live.id, "return", joined(live.config), live.lock_version)

    # -- timeouts ------------------------------------------------------------------------------

    def timeout_in(self, tx: Tx, row: OrderRow, timer: TimerRow) -> bool:
        """An approval's timeout came due (the timers' worker, inside its transaction, the timer marked
        fired): remind the approvers, approve for them, return the order or escalate. False when there
        was nothing left to do (the approval is decided)."""
        now = self.parts.clock.now()
        cv = self.parts.compiled(tx, row.workflow, row.version)
        visit = self._visit(tx, cv, row, now)
        timeout = visit.approval.spec.timeout
        pending = [t for t in visit.tasks if t.open]
        if timeout is None or not pending or escalated_to_signed(visit.approval, visit.tasks):
            return False
        then = timeout.then
        detail: dict[str, Any] = {"action": "timeout", "then": then, "tasks": [t.id for t in pending]}
        steps = [self._event(visit, APPROVAL_TIMEOUT, SYSTEM, None, detail)]
        steps[0].reason = "approval_timeout"  # what it did is the record's ``then``
        for task in pending:  # the approvers told their deadline passed, and what it did
            mail_task(
                tx, cv, visit.moving.order, task.state, task.approver_kind, task.approver, now,
                task.deadline, TIMEOUT_TOPIC, then,
            )  # fmt: skip
        if then == "remind":
            self.commands.write(visit.moving, steps)
            return True
        status = ESCALATED if then == "escalate" else EXPIRED
        tx.close_open_tasks(row.id, visit.approval.state, status, now)
        if then == "escalate":
            assert timeout.escalate_to is not None  # validate requires it
            detail["to"] = timeout.escalate_to
            tx.insert_task(
                order_id=row.id,
                state=visit.approval.state,
                entered_seq=pending[0].entered_seq,
                seq=max(t.seq for t in visit.tasks) + 1,
                approver_kind="role",
                approver=timeout.escalate_to,
                origin="escalated",
                at=now,
                added_by=SYSTEM.name,
            )
            mail_task(
                tx, cv, visit.moving.order, visit.approval.state, "role", timeout.escalate_to, now, None
            )
        elif then == "approve":
            decision = decide(visit.moving, visit.approval.spec.approve, SYSTEM, {})
            steps.append(self.commands.apply(visit.moving, decision, SYSTEM, "approval_timeout"))
            steps.extend(self.commands.follow_auto(visit.moving))
        elif then == "return":
            target = timeout.return_to or visit.approval.spec.return_to[0]
            move = visit.approval.returns[target]
            detail["to"] = target
            steps.append(
                self.commands.apply(
                    visit.moving, Decision(move, target, [], None, {}), SYSTEM, "approval_timeout"
                )
            )
            steps.extend(self.commands.follow_auto(visit.moving))
        self.commands.write(visit.moving, steps)
        return True


def _holder(tasks: Sequence[TaskRow], user: str) -> str | None:
    """Why ``user`` may not be given a step of this approval: "open" (a step of theirs by name is
    pending or waiting), "signed" (they approved it, and one person signs once), else None."""
    if any(t.open and t.approver_kind == "user" and t.approver == user for t in tasks):
        return "open"
    if any(t.decided_by == user and t.status == APPROVED for t in tasks):
        return "signed"
    return None


# Why a person may not be given a step of the approval: (zh, en), {who} the person by their name
_NOT_GIVEN = {
    "self_transfer": (
        "不能转交给自己：请选择另一位同事",
        "you cannot transfer it to yourself: choose a colleague",
    ),
    "self_add": (
        "不能加签自己：您已是此步骤的审批人",
        "you cannot add yourself: you approve this step already",
    ),
    "open": (
        "{who} 已有此审批的待办，不能再加签或转交给他/她",
        "{who} already holds a pending step of this approval and cannot be given another",
    ),
    "signed": (
        "{who} 已签署过此审批；同一人不能签两次",
        "{who} has signed this approval already; one person signs once",
    ),
    "no_role": (
        "{who} 不担任此工作流任何审批所需的角色，不能审批此订单",
        "{who} holds no role that this workflow's approvals name and cannot approve this order",
    ),
    "creator": (
        "{who} 创建了此订单；创建人不能审批自己的订单（职责分离）",
        "{who} created this order, and its creator cannot approve it (separation of duties)",
    ),
}


@dataclass(frozen=True)
class Eligible:
    """Who could approve an order: the roles the approvals of its workflow version name (their
    approvers, ``else`` and ``escalate_to``), the users they name (``user:``, or an expression naming
    one on this order), and the order's creator, who may not."""

    roles: frozenset[str]
    users: frozenset[str]
    creator: str | None

    @classmethod
    def of(cls, tx: Tx, cv: CompiledVersion, row: OrderRow, now: datetime) -> Eligible:
        live = LiveOrder.from_row(row)
        roles: set[str] = set()
        users: set[str] = set()
        for approval in cv.approvals.values():
            pending: list[ApproverSpec] = list(approval.spec.approvers)
            while pending:
                approver = pending.pop()
                if approver.kind == "role":
                    roles.add(approver.value)
                elif approver.kind == "user":
                    users.add(approver.value)
                else:
                    with suppress(TransitionRejected):  # else it names nobody on this order
                        users.add(approver_name(approval, approver.value, live, now))
                if approver.fallback is not None:
                    pending.append(approver.fallback)
            timeout = approval.spec.timeout
            if timeout is not None and timeout.escalate_to is not None:
                roles.add(timeout.escalate_to)
        return cls(frozenset(roles), frozenset(users), creator_of(tx, row.id))


def creator_of(tx: Tx, order_id: int) -> str | None:
    """Who created the order: the actor of its ``create`` event in the audit trail."""
    return next((e.actor for e in tx.history(order_id) if e.trigger == CREATE_TRIGGER), None)


def not_approver(user: UserRow, eligible: Eligible) -> str | None:
    """Why ``user`` may not be given a step of the order's approval (a key of the refusals): "creator"
    (separation of duties), "no_role" (no approval of the workflow could ask them), else None."""
    if user.name == eligible.creator:
        return "creator"
    if user.name not in eligible.users and not eligible.roles & set(user.roles):
        return "no_role"
    return None


def _may_be_given(
    tasks: Sequence[TaskRow], user: str, action: ApprovalAction, actor: Actor, shown: str, task: TaskRow
) -> None:
    """Refuse adding oneself, transferring to oneself, and giving a step to one who holds a step of this
    approval or signed it already (they could sign only one: the order would wait for ever)."""
    if user == actor.name:
        why: str | None = "self_transfer" if action is ApprovalAction.TRANSFER else "self_add"
    else:
        why = _holder(tasks, user)
    if why is not None:
        zh, en = _NOT_GIVEN[why]
        raise refusal(zh.format(who=shown), en.format(who=shown), task=task.id, user=user, field="user")


def _own_behind(tasks: Sequence[TaskRow], task: TaskRow, actor: Actor) -> list[TaskRow]:
    """The actor's own steps (theirs by name) waiting behind ``task``, one behind another: a transfer
    moves them with it, so the order does not wait for the one who handed it on."""
    by_id = {t.id: t for t in tasks}
    found: list[TaskRow] = []
    blocked = by_id.get(task.blocks) if task.blocks is not None else None
    while (
        blocked is not None
        and blocked.status == WAITING
        and blocked.approver_kind == "user"
        and blocked.approver == actor.name
        and blocked not in found
    ):
        found.append(blocked)
        blocked = by_id.get(blocked.blocks) if blocked.blocks is not None else None
    return found


def _changed(order_id: int) -> ConflictError:
    return ConflictError(
        f"the approval of order #{order_id} was changed by someone else; reload it and try again",
        zh=f"订单 #{order_id} 的审批已被他人修改；请刷新后重试",
    )


def panel_of(tx: Tx, cv: CompiledVersion, row: OrderRow, actor: Actor, now: datetime) -> ApprovalPanel | None:
    """The approval panel of an order read in ``tx`` (None: not at an approval step)."""
    live = LiveOrder.from_row(row)
    state = next((s for s in live.config if s in cv.approvals), None)
    if state is None:
        return None
    approval = cv.approvals[state]
    tasks = visit_tasks(tx.order_tasks(row.id), state)
    signed = any(t.decided_by == actor.name and t.status == APPROVED for t in tasks)
    approved, required = approved_count(approval, tasks)
    deadlines = [t.deadline for t in tasks if t.open and t.deadline is not None]
    timeout = approval.spec.timeout
    yours = [t.status == PENDING and may_sign(t, actor) and not signed for t in tasks]
    return ApprovalPanel(
        order_id=row.id,
        state=state,
        state_label=cv.states[state].label,
        sign=approval.spec.sign,
        required=required,
        approved=approved,
        tasks=tuple(
            ApprovalTask(
                id=t.id,
                approver_kind=t.approver_kind,
                approver=t.approver,
                origin=t.origin,
                status=t.status,
                seq=t.seq,
                added_by=t.added_by,
                decided_by=t.decided_by,
                comment=t.comment,
                created_at=t.created_at,
                decided_at=t.decided_at,
                deadline=t.deadline,
                yours=mine,
            )
            for t, mine in zip(tasks, yours, strict=True)
        ),
        deadline=min(deadlines) if deadlines else None,
        can_decline=approval.spec.decline is not None,
        return_to=tuple((s, cv.states[s].label) for s in approval.spec.return_to),
        lock_version=row.lock_version,
        timeout=timeout.then if timeout is not None else None,
        names=display_names(tx),
        people=_people(tx, cv, row, tasks, actor, now) if any(yours) else (),
        decline_to=_decline_to(cv, approval),
        own_order=creator_of(tx, row.id) == actor.name,
        declared=sum(1 for t in tasks if t.origin == "declared" and t.status not in (TRANSFERRED, ESCALATED)),
        awaiting_added=tuple(
            (t.approver, t.blocks is not None) for t in tasks if t.origin == "added" and t.open
        ),
        holders=_holders(tx, row, tasks),
    )


def _holders(tx: Tx, row: OrderRow, tasks: Sequence[TaskRow]) -> dict[str, tuple[str, ...]]:
    """Who may sign each open step asking a role: the active people of the order's department holding
    it, but the order's creator (separation of duties); an empty tuple says nobody holds it."""
    roles = {t.approver for t in tasks if t.approver_kind == "role" and t.open}
    if not roles:
        return {}
    creator = creator_of(tx, row.id)
    people = [p for p in people_of(tx, row.department) if p.name != creator]
    return {role: tuple(p.name for p in people if role in p.roles) for role in sorted(roles)}


def _decline_to(cv: CompiledVersion, approval: CompiledApproval) -> Text | None:
    """The label of the state the approval's decline takes the order to (None: none, or one chosen by a
    rule's outcome), for the confirm step of the panel."""
    found = next(
        (
            t
            for t in cv.spec.transitions
            if t.trigger == approval.spec.decline and approval.state in t.sources
        ),
        None,
    )
    if found is None or found.dest is None or found.dest not in cv.states:
        return None
    return cv.states[found.dest].label


def _people(
    tx: Tx, cv: CompiledVersion, row: OrderRow, tasks: Sequence[TaskRow], actor: Actor, now: datetime
) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Whom the actor may add or transfer to: the active people of the order's department, (login,
    display name, roles), who could approve it (:func:`not_approver`), but themselves and those who hold
    a step of this approval or signed it."""
    eligible = Eligible.of(tx, cv, row, now)
    return tuple(
        (p.name, p.display_name, tuple(p.roles))
        for p in people_of(tx, row.department)
        if p.name != actor.name and _holder(tasks, p.name) is None and not_approver(p, eligible) is None
    )


__all__ = [
    "APPROVAL_TOPICS",
    "CANCELLED",
    "ApprovalAction",
    "ApprovalPanel",
    "ApprovalRequest",
    "ApprovalResult",
    "ApprovalTask",
    "Approvals",
    "OpenTask",
    "panel_of",
]
