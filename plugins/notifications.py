"""Notification action: notify (通知客户).

Queues one outbox message saying where the order went; ``orderloom worker`` mails it to the customer's
e-mail address when the order has one (``customer.email`` or ``contact.email``, as the department's form
keeps it), else to the service desk (workers/mail.py). A sender picks a template by ``template``
(``<workflow>.<state>``) and fills it from the payload. On a child record's step (a shipment shipped) the
address is the order's, the trigger the record's (``shipment.ship``). Nothing is sent inside the
transaction, so a rolled-back transition never notifies anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.plugins import ActionContext, emits, writes
from plugins._common import mobile_of

ORDER_STATUS = "notifications.order_status"


@writes()
@emits(ORDER_STATUS)
def notify(ctx: ActionContext) -> Mapping[str, Any] | None:
    # on a record's step (a shipment shipped) the customer is the order's, not the record's; the message
    # names the record (its number) and its template the kind (``<workflow>.<kind>.<state>``): one parcel
    # of a split order leaving is not the order shipped
    customer = ctx.order if ctx.record is not None and ctx.order is not None else ctx.data
    kind = ctx.trigger.partition(".")[0] if ctx.record is not None else None
    payload: dict[str, Any] = {
        "order_id": ctx.order_id,
        "department": ctx.department,
        "workflow": ctx.workflow,
        "trigger": ctx.trigger,
        "from": ctx.source,
        "to": ctx.dest,
        "template": f"{ctx.workflow}.{ctx.dest}" if kind is None else f"{ctx.workflow}.{kind}.{ctx.dest}",
        "mobile": mobile_of(customer),
        "at": ctx.now.isoformat(),
    }
    if ctx.record is not None:
        payload["record"] = ctx.record.get("number")
    if ctx.labels:  # what the message tells people: the names they know, not the codes
        payload["labels"] = {key: dict(text) for key, text in ctx.labels.items()}
    email = email_of(customer)
    if email is not None:
        payload["email"] = email
    ctx.emit(ORDER_STATUS, payload)
    return None


def email_of(data: Mapping[str, Any]) -> str | None:
    """The customer's e-mail address wherever the department's form keeps it, if it has one."""
    for holder in ("customer", "contact"):
        value = data.get(holder)
        if isinstance(value, Mapping):
            email = value.get("email")
            if isinstance(email, str) and "@" in email.strip():
                return email.strip()
    return None
