"""My work (我的工作): the approval tasks waiting for a person, the orders they may take a step on
now, the review queues of their departments, claims and assigning (``engine.runtime.workspace``; the
``Engine`` facade's ``my_work``, ``queue_page``, ``claim_view``, ``claim``, ``release``, ``assign_page``)."""

from engine.runtime.row_summary import OriginalNamed, RowSummary, row_summary
from engine.runtime.workspace import (
    CLAIM_TRIGGERS,
    ApprovalItem,
    ApprovalsSection,
    AssignChoice,
    Assignee,
    AssignPage,
    BadCursor,
    ClaimConflict,
    ClaimFilter,
    ClaimView,
    MyWork,
    OrdersSection,
    Queue,
    QueuePage,
    QueuesSection,
    WorkCursor,
    WorkItem,
    WorkSection,
)

__all__ = [
    "CLAIM_TRIGGERS",
    "ApprovalItem",
    "ApprovalsSection",
    "AssignChoice",
    "AssignPage",
    "Assignee",
    "BadCursor",
    "ClaimConflict",
    "ClaimFilter",
    "ClaimView",
    "MyWork",
    "OrdersSection",
    "OriginalNamed",
    "Queue",
    "QueuePage",
    "QueuesSection",
    "RowSummary",
    "WorkCursor",
    "WorkItem",
    "WorkSection",
    "row_summary",
]
