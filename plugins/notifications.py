"""Notification action: notify (通知客户).

Queues one outbox message saying where the order went; the sender outside the database (SMS, mail,
a webhook) picks a template by ``template`` (``<workflow>.<state>``) and fills it from the payload. Nothing
is sent inside the transaction, so a rolled-back transition never notifies anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.plugins import ActionContext, writes
from plugins._common import mobile_of


@writes()
def notify(ctx: ActionContext) -> Mapping[str, Any] | None:
    ctx.emit(
        "notifications.order_status",
        {
            "order_id": ctx.order_id,
            "department": ctx.department,
            "workflow": ctx.workflow,
            "trigger": ctx.trigger,
            "from": ctx.source,
            "to": ctx.dest,
            "template": f"{ctx.workflow}.{ctx.dest}",
            "mobile": mobile_of(ctx.data),
            "at": ctx.now.isoformat(),
        },
    )
    return None
