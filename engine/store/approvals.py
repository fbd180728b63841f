"""Approval tasks (审批任务): one row per approver of an approval step, written in the transaction of the
step that entered the state, changed by the approver's action, closed when the order leaves the state
(docs/workflow-language.md, "Approval steps")."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update

from engine.store.statements import Statement, constant
from engine.store.tables import approval_tasks, orders
from engine.store.transaction import TxCore

PENDING = "pending"  # the approver may sign now
WAITING = "waiting"  # an approver added before this one has not signed yet
OPEN = (PENDING, WAITING)
_OPEN = or_(approval_tasks.c.status == constant(PENDING), approval_tasks.c.status == constant(WAITING))


@dataclass(frozen=True)
class TaskRow:
    id: int
    order_id: int
    state: str
    entered_seq: int
    seq: int
    approver_kind: str  # "role" | "user"
    approver: str
    origin: str  # "declared" | "added" | "escalated"
    status: str
    blocks: int | None
    added_by: str | None
    decided_by: str | None
    comment: str | None
    created_at: datetime
    decided_at: datetime | None
    deadline: datetime | None

    @property
    def open(self) -> bool:
        return self.status in OPEN


TASK_COLUMNS = (
    approval_tasks.c.id,
    approval_tasks.c.order_id,
    approval_tasks.c.state,
    approval_tasks.c.entered_seq,
    approval_tasks.c.seq,
    approval_tasks.c.approver_kind,
    approval_tasks.c.approver,
    approval_tasks.c.origin,
    approval_tasks.c.status,
    approval_tasks.c.blocks,
    approval_tasks.c.added_by,
    approval_tasks.c.decided_by,
    approval_tasks.c.comment,
    approval_tasks.c.created_at,
    approval_tasks.c.decided_at,
    approval_tasks.c.deadline,
)

_b = bindparam
INSERT_TASK = Statement(
    "insert_approval_task",
    insert(approval_tasks)
    .values(
        order_id=_b("order_id"),
        state=_b("state"),
        entered_seq=_b("entered_seq"),
        seq=_b("seq"),
        approver_kind=_b("approver_kind"),
        approver=_b("approver"),
        origin=_b("origin"),
        status=_b("status"),
        blocks=_b("blocks"),
        added_by=_b("added_by"),
        comment=_b("comment"),
        created_at=_b("at"),
        deadline=_b("deadline"),
    )
    .returning(approval_tasks.c.id),
)
ORDER_TASKS = Statement(
    "order_approval_tasks",
    select(*TASK_COLUMNS).where(approval_tasks.c.order_id == _b("order_id")).order_by(approval_tasks.c.id),
)
# A task's status changed only from the status it was read in: two approvers racing for one task, one wins.
DECIDE_TASK = Statement(
    "decide_approval_task",
    update(approval_tasks)
    .where(and_(approval_tasks.c.id == _b("id"), approval_tasks.c.status == _b("expected")))
    .values(status=_b("status"), decided_by=_b("by"), decided_at=_b("at"), comment=_b("comment")),
)
REOPEN_TASK = Statement(
    "reopen_approval_task",
    update(approval_tasks)
    .where(and_(approval_tasks.c.id == _b("id"), approval_tasks.c.status == _b("expected")))
    .values(status=_b("status")),
)
CLOSE_OPEN_TASKS = Statement(
    "close_open_approval_tasks",
    update(approval_tasks)
    .where(
        and_(
            approval_tasks.c.order_id == _b("order_id"),
            approval_tasks.c.state == _b("state"),
            _OPEN,
        )
    )
    .values(status=_b("status"), decided_at=_b("at")),
)


class ApprovalTasks(TxCore):
    """The approval tasks of a transaction."""

    def insert_task(
        self,
        *,
        order_id: int,
        state: str,
        entered_seq: int,
        seq: int,
        approver_kind: str,
        approver: str,
        origin: str,
        at: datetime,
        status: str = PENDING,
        blocks: int | None = None,
        added_by: str | None = None,
        comment: str | None = None,
        deadline: datetime | None = None,
    ) -> int:
        params = {
            "order_id": order_id,
            "state": state,
            "entered_seq": entered_seq,
            "seq": seq,
            "approver_kind": approver_kind,
            "approver": approver,
            "origin": origin,
            "status": status,
            "blocks": blocks,
            "added_by": added_by,
            "comment": comment,
            "at": self.ts(at),
            "deadline": None if deadline is None else self.ts(deadline),
        }
        return int(self.run(INSERT_TASK, params).fetchone()[0])

    def _task(self, r: Sequence[Any]) -> TaskRow:
        return TaskRow(
            id=r[0],
            order_id=r[1],
            state=r[2],
            entered_seq=r[3],
            seq=r[4],
            approver_kind=r[5],
            approver=r[6],
            origin=r[7],
            status=r[8],
            blocks=r[9],
            added_by=r[10],
            decided_by=r[11],
            comment=r[12],
            created_at=self._time(r[13]),
            decided_at=self._maybe_time(r[14]),
            deadline=self._maybe_time(r[15]),
        )

    def order_tasks(self, order_id: int) -> list[TaskRow]:
        """Every approval task the order ever had, oldest first."""
        return [self._task(r) for r in self.run(ORDER_TASKS, {"order_id": order_id}).fetchall()]

    def decide_task(
        self, task_id: int, expected: str, status: str, by: str | None, at: datetime, comment: str | None
    ) -> bool:
        """Set a task's outcome if it is still ``expected``; False when someone changed it first."""
        params = {"id": task_id, "expected": expected, "status": status, "by": by, "at": self.ts(at)}
        return bool(self.run(DECIDE_TASK, {**params, "comment": comment}).rowcount == 1)

    def reopen_task(self, task_id: int, expected: str, status: str) -> bool:
        return bool(
            self.run(REOPEN_TASK, {"id": task_id, "expected": expected, "status": status}).rowcount == 1
        )

    def close_open_tasks(self, order_id: int, state: str, status: str, at: datetime) -> int:
        """Close the tasks still open in ``state`` (the order left it): how many."""
        params = {"order_id": order_id, "state": state, "status": status, "at": self.ts(at)}
        return int(self.run(CLOSE_OPEN_TASKS, params).rowcount)

    def open_tasks_for(
        self, user: str, roles: Collection[str], departments: Collection[str] | None, limit: int
    ) -> list[tuple[TaskRow, str, str]]:
        """The open tasks ``user`` (holding ``roles``, seeing ``departments``; None: all) may sign, oldest
        first, each with its order's department and workflow. Served by the (approver, status) index."""
        params: dict[str, Any] = {"user": user, "limit": limit, "offset": 0}
        kind, approver = approval_tasks.c.approver_kind, approval_tasks.c.approver
        mine = and_(kind == constant("user"), approver == _b("user"))
        if roles:
            params.update((f"role_{i}", role) for i, role in enumerate(sorted(roles)))
            names: list[Any] = [_b(f"role_{i}") for i in range(len(roles))]
            mine = or_(mine, and_(kind == constant("role"), or_(*(approver == name for name in names))))
        query = (
            select(*TASK_COLUMNS, orders.c.department, orders.c.workflow)
            .join(orders, orders.c.id == approval_tasks.c.order_id)
            .where(and_(approval_tasks.c.status == constant(PENDING), mine))
            .order_by(approval_tasks.c.created_at, approval_tasks.c.id)
            .limit(_b("limit"))
            .offset(_b("offset"))
        )
        if departments is not None:
            params.update((f"department_{i}", d) for i, d in enumerate(sorted(departments)))
            wanted = [orders.c.department == _b(f"department_{i}") for i in range(len(departments))]
            query = query.where(or_(*wanted) if wanted else constant("1") == constant("0"))
        rows = self.run_statement(query, params).fetchall()
        return [(self._task(r[:16]), r[16], r[17]) for r in rows]


__all__ = ["OPEN", "PENDING", "WAITING", "ApprovalTasks", "TaskRow"]
