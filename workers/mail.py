"""Delivering outbox messages from ``orderloom worker``: one e-mail per message, by topic.

Every topic the built-in actions write for the outside world has a delivery here (``ROUTES``), checked
against what they declare (``PluginRegistry.topics``) by the tests and, for rule files' suggestions,
by the worker when it starts. Who it goes to is the topic's *audience*:

==================================  ==========  ===============================================
topic                               audience    what it asks
==================================  ==========  ===============================================
``notifications.order_status``      customer    where the order went (the customer's ``email``
                                                when the order has one, else the service desk)
``payments.captured``               operations  a payment to book (finance)
``payments.refunded``               operations  money to pay back to the original payment
``logistics.waybill_created``       operations  a parcel for the carrier to collect
``inventory.replenishment_suggested`` operations  stock to reorder (the correlation feed's
                                                suggestion, rules/retail/fraud.yaml)
``stock.low``                       approvers   a stock row fell below its safety stock: a reorder
                                                suggestion, to the users with the purchaser role
``approvals.task``                  approvers   an approval task arrived (the engine writes it:
                                                to the user, or the role's users, with an e-mail)
``approvals.timeout``               approvers   an approval's deadline passed, and what it did
==================================  ==========  ===============================================

The operations mailbox is ``ORDERLOOM_MAIL_TO`` (the service desk's). A mail says what happened in
zh and en; one to the operations desk also carries the message's data (as JSON) to act on, one to a
customer never does (no ids, no mobile). ``account_created``,
``payment_failed`` and ``stock_changed`` are events for the correlation feed alone: the actions write
them ``internal`` and no worker delivers them.

Mail leaves through ``ORDERLOOM_SMTP_URL`` (``smtp://host:port``), or, without one, into the Maildir
``ORDERLOOM_MAIL_DIR`` (``orderloom run`` uses ``var/mail``), where a mail client or ``ls`` reads it.
Each mail carries a ``Message-ID`` made from its topic and payload, the same at every attempt, so a
receiver drops a second copy (delivery is at least once).

What can go wrong, and what the engine then does (engine/runtime/outbox.py): a topic without a route,
a payload that is not an object, no recipient, or a recipient the server refuses for good (5xx) raise
``Undeliverable`` (a dead letter at once); a server that cannot be reached raises ``Unreachable`` (the
rest of the batch waits); anything else (a 4xx answer, a full disk) is a failed attempt, tried again
later.
"""

from __future__ import annotations

import hashlib
import json
import mailbox
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from engine.api import CHINA_TIME, Undeliverable, Unreachable

DEFAULT_SMTP_PORT = 25
Audience = Literal["customer", "operations", "approvers"]

__all__ = [
    "ROUTES",
    "MailDelivery",
    "MaildirTransport",
    "Route",
    "SmtpServer",
    "SmtpTransport",
    "Undeliverable",
    "Unreachable",
    "undelivered_topics",
]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """``smtp://host:port`` (port 25 when left out); anything else is a ValueError."""
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"ORDERLOOM_SMTP_URL must look like smtp://host:port, got {url!r}")
        try:
            port = parts.port or DEFAULT_SMTP_PORT
        except ValueError:
            raise ValueError(f"ORDERLOOM_SMTP_URL has an invalid port: {url!r}") from None
        return cls(parts.hostname, port)


class Transport(Protocol):
    """Where composed mail goes."""

    where: str  # said when the worker starts

    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP conversation per mail (stdlib ``smtplib``)."""

    def __init__(self, server: SmtpServer, timeout: float = 10.0) -> None:
        self.server = server
        self.timeout = timeout
        self.where = f"the SMTP server {server.host}:{server.port}"

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.server.host, self.server.port, timeout=self.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(code >= 500 for code in codes):
                raise Undeliverable(
                    f"the mail server refused the recipient for good: {error.recipients}",
                    zh=f"邮件服务器永久拒绝了收件人：{error.recipients}",
                ) from error
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            if error.smtp_code >= 500:
                detail = error.smtp_error.decode(errors="replace")
                raise Undeliverable(
                    f"the mail server refused the mail for good: {error.smtp_code} {detail}",
                    zh=f"邮件服务器永久拒收该邮件：{error.smtp_code} {detail}",
                ) from error
            raise
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as error:
            where = f"{self.server.host}:{self.server.port}"
            raise Unreachable(
                f"the mail server {where} cannot be reached: {type(error).__name__}: {error}",
                zh=f"无法连接邮件服务器 {where}：{type(error).__name__}: {error}",
            ) from error


class MaildirTransport:
    """Each mail as a file of the Maildir ``folder`` (``new/``), made when missing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = f"the Maildir {folder}"

    def send(self, message: EmailMessage) -> None:
        box = mailbox.Maildir(self.folder, create=True)
        box.add(message)


# -- what each topic says --------------------------------------------------------------------------


def _order_status(p: Mapping[str, Any]) -> tuple[str, str]:
    """Where the order went, in the names people know (the step's ``labels``; a message written before
    they were carried names the codes)."""
    labels = p.get("labels") if isinstance(p.get("labels"), Mapping) else {}

    def named(key: str, code: str, lang: str) -> Any:
        text = labels.get(key)
        return text.get(lang, p.get(code)) if isinstance(text, Mapping) else p.get(code)

    order_id = p.get("order_id")
    zh = {key: named(key, code, "zh") for key, code in _STATUS_NAMES}
    en = {key: named(key, code, "en") for key, code in _STATUS_NAMES}
    subject = f"订单 {order_id}：{zh['to']} / Order {order_id}: {en['to']}"
    body = (
        f"订单 {order_id}（{zh['workflow']}）现为「{zh['to']}」"
        f"（{zh['trigger']}；此前为「{zh['from']}」）。\n"
        f'Order {order_id} ({en["workflow"]}) is now "{en["to"]}" ({en["trigger"]}; it was "{en["from"]}").\n'
    )
    return subject, body


_STATUS_NAMES = (("workflow", "workflow"), ("trigger", "trigger"), ("from", "from"), ("to", "to"))


def _captured(p: Mapping[str, Any]) -> tuple[str, str]:
    order_id, amount = p.get("order_id"), p.get("amount")
    subject = f"收款 订单 {order_id}：{amount} 元 / Payment captured on order {order_id}: {amount} CNY"
    body = (
        f"订单 {order_id} 已收款 {amount} 元（{p.get('method')}，"
        f"交易号 {p.get('transaction_ref')}），请入账。\n"
        f"Order {order_id} was paid {amount} CNY ({p.get('method')}, transaction "
        f"{p.get('transaction_ref')}): book it.\n"
    )
    return subject, body


def _refunded(p: Mapping[str, Any]) -> tuple[str, str]:
    order_id, amount = p.get("order_id"), p.get("amount")
    ref, original = p.get("original_transaction_ref"), p.get("original_order_no")
    subject = f"退款 订单 {order_id}：应退 {amount} 元 / Refund due on order {order_id}: {amount} CNY"
    if ref is None and original is not None:  # goods returned on a request, paid on their own order
        body = (
            f"售后申请 {order_id} 应退款 {amount} 元，请按原订单 {original} 的支付方式退回。\n"
            f"Request {order_id}: pay back {amount} CNY the way original order {original} was paid.\n"
        )
        return subject, body
    body = (
        f"订单 {order_id} 应退款 {amount} 元，请按原支付方式（{p.get('method')}，交易号 {ref}）退回。\n"
        f"Order {order_id}: pay back {amount} CNY to the original payment ({p.get('method')}, "
        f"transaction {ref}).\n"
    )
    return subject, body


def _waybill(p: Mapping[str, Any]) -> tuple[str, str]:
    order_id, number, carrier = p.get("order_id"), p.get("waybill"), p.get("carrier")
    items = p.get("items") if isinstance(p.get("items"), list) else []
    listed = ", ".join(
        f"{item.get('sku')} × {item.get('qty')}" for item in items if isinstance(item, Mapping)
    )
    subject = f"运单 {number}（订单 {order_id}）/ Waybill {number} for order {order_id}"
    body = (
        f"承运商 {carrier} 请揽收订单 {order_id} 的包裹，运单号 {number}：{listed or '无明细'}。\n"
        f"Carrier {carrier}: collect the parcel of order {order_id}, waybill {number}: "
        f"{listed or 'no items listed'}.\n"
    )
    return subject, body


def _replenishment(p: Mapping[str, Any]) -> tuple[str, str]:
    sku, warehouse = p.get("sku"), p.get("warehouse")
    reason = p.get("reason") if isinstance(p.get("reason"), Mapping) else {}
    subject = f"补货建议：{sku} @ {warehouse} / Replenishment suggested: {sku} at {warehouse}"
    body = (
        f"商品 {sku} 在仓库 {warehouse} 的可用库存为 {p.get('available')}，安全库存 {p.get('safety_stock')}。"
        f"{reason.get('zh') or ''}\n"
        f"{sku} in warehouse {warehouse}: {p.get('available')} free, safety stock "
        f"{p.get('safety_stock')}. {reason.get('en') or ''}\n"
    )
    return subject, body


def _low_stock(p: Mapping[str, Any]) -> tuple[str, str]:
    sku, warehouse, suggested = p.get("sku"), p.get("warehouse"), p.get("suggested")
    figures = (p.get("available"), p.get("safety_stock"), p.get("shipped_30d"), p.get("in_transit"))
    covered = suggested == 0 and isinstance(figures[3], int) and figures[3] > 0
    if covered:  # what is on its way makes up the shortfall: said so, not a bare "reorder 0"
        subject = (
            f"库存预警：{sku} @ {warehouse}，在途 {figures[3]} 件可补足，暂不需补货 / "
            f"Low stock: {sku} at {warehouse}, the {figures[3]} in transit cover it: nothing to reorder"
        )
        why_zh = (
            f"在途的 {figures[3]} 件已计入：到货后足以补足近30天的发货和安全库存，暂不需补货"
            "（近30天发货 + 安全库存 - 可用 - 在途 不大于 0）。"
        )
        why_en = (
            f"The {figures[3]} in transit are counted: once received they cover the last 30 days' "
            "shipments and the safety stock, so nothing needs reordering now (30 days' shipments + "
            "safety stock - free - in transit is 0 or less)."
        )
    else:
        subject = (
            f"库存预警：{sku} @ {warehouse}，建议补货 {suggested} 件 / "
            f"Low stock: {sku} at {warehouse}, reorder {suggested}"
        )
        why_zh = f"建议补货 {suggested} 件（近30天发货 + 安全库存 - 可用 - 在途）。"
        why_en = f"Reorder {suggested} (30 days' shipments + safety stock - free - in transit)."
    body = (
        f"商品 {sku} 在仓库 {warehouse} 的可用库存为 {figures[0]}，低于安全库存 {figures[1]}。"
        f"近30天发货 {figures[2]} 件，在途 {figures[3]} 件。{why_zh}\n"
        f"{sku} in warehouse {warehouse}: {figures[0]} free, below its safety stock of {figures[1]}. "
        f"Shipped in the last 30 days: {figures[2]}; in transit: {figures[3]}. {why_en}\n"
    )
    return subject, body


def _approval_words(p: Mapping[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any], str]:
    labels = p.get("labels") if isinstance(p.get("labels"), Mapping) else {}
    workflow = labels.get("workflow") if isinstance(labels.get("workflow"), Mapping) else {}
    state = labels.get("state") if isinstance(labels.get("state"), Mapping) else {}
    zh = {"workflow": workflow.get("zh", ""), "state": state.get("zh", "")}
    en = {"workflow": workflow.get("en", ""), "state": state.get("en", "")}
    deadline = p.get("deadline")
    return p.get("order_id"), zh, en, _china_time(deadline) if isinstance(deadline, str) else ""


def _china_time(moment: str) -> str:
    """A stored instant (RFC 3339, UTC) as people read it, in China time to the minute
    (``2026-11-18 19:20``); a text that is no instant stays as it is."""
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if at.tzinfo is None:
        return moment
    local = at.astimezone(CHINA_TIME)
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def _approval_task(p: Mapping[str, Any]) -> tuple[str, str]:
    order_id, zh, en, deadline = _approval_words(p)
    subject = f"待审批：订单 {order_id}（{zh['state']}）/ To approve: order {order_id} ({en['state']})"
    body = (
        f"订单 {order_id}（{zh['workflow']}）在「{zh['state']}」等待您审批"
        f"{f'，截止北京时间 {deadline}' if deadline else ''}。\n"
        f'Order {order_id} ({en["workflow"]}) waits for your approval at "{en["state"]}"'
        f"{f', due {deadline} China time' if deadline else ''}.\n"
    )
    return subject, body


_THEN = {
    "remind": ("请尽快审批", "please approve it soon"),
    "approve": ("已自动通过", "it was approved automatically"),
    "return": ("订单已退回", "the order was returned"),
    "escalate": ("已升级给他人审批", "it was escalated to another approver"),
}


def _approval_timeout(p: Mapping[str, Any]) -> tuple[str, str]:
    order_id, zh, en, deadline = _approval_words(p)
    then_zh, then_en = _THEN.get(str(p.get("then")), ("", ""))
    subject = (
        f"审批超时：订单 {order_id}（{zh['state']}）/ Approval overdue: order {order_id} ({en['state']})"
    )
    body = (
        f"订单 {order_id}（{zh['workflow']}）在「{zh['state']}」的审批"
        f"已超过截止时间（北京时间 {deadline}）：{then_zh}。\n"
        f'The approval of order {order_id} ({en["workflow"]}) at "{en["state"]}" passed its deadline '
        f"({deadline} China time): {then_en}.\n"
    )
    return subject, body


@dataclass(frozen=True)
class Route:
    """How one topic leaves: to whom, and what the mail says (subject and body, zh and en)."""

    audience: Audience
    compose: Callable[[Mapping[str, Any]], tuple[str, str]]


ROUTES: Mapping[str, Route] = {
    "notifications.order_status": Route("customer", _order_status),
    "payments.captured": Route("operations", _captured),
    "payments.refunded": Route("operations", _refunded),
    "logistics.waybill_created": Route("operations", _waybill),
    "inventory.replenishment_suggested": Route("operations", _replenishment),
    "stock.low": Route("approvers", _low_stock),  # to the purchasers the engine found (``emails``)
    "approvals.task": Route("approvers", _approval_task),
    "approvals.timeout": Route("approvers", _approval_timeout),
}


def undelivered_topics(topics: Mapping[str, bool], suggested: set[str] | frozenset[str]) -> list[str]:
    """The topics that would be written for delivery and have no route here: those the actions declare
    for delivery (``topics``: topic -> delivered) and those correlation rule files suggest."""
    wanted = {topic for topic, delivered in topics.items() if delivered} | set(suggested)
    return sorted(wanted - set(ROUTES))


class MailDelivery:
    """``send(topic, payload)`` for ``Engine.dispatch_outbox``: one e-mail per message, by ``ROUTES``."""

    def __init__(self, transport: Transport, mail_from: str, mail_to: str | None) -> None:
        self.transport = transport
        self.mail_from = mail_from
        self.mail_to = mail_to  # the service desk's mailbox: operations mail, customers without one

    def __call__(self, topic: str, payload: Any) -> None:
        route = ROUTES.get(topic)
        if route is None:
            known = ", ".join(sorted(ROUTES))
            raise Undeliverable(
                f"no delivery for topic {topic!r} here (mail covers {known})",
                zh=f"此处没有主题 {topic!r} 的投递方式（邮件投递的主题：{known}）",
            )
        if not isinstance(payload, Mapping):
            raise Undeliverable(
                f"the payload of {topic!r} is not an object", zh=f"主题 {topic!r} 的消息内容不是对象"
            )
        self.transport.send(self.compose(topic, route, payload))

    def recipient(self, route: Route, payload: Mapping[str, Any]) -> str:
        if route.audience == "approvers":  # the addresses the engine found for the task's approvers
            emails = payload.get("emails")
            found = [e for e in emails if isinstance(e, str) and "@" in e] if isinstance(emails, list) else []
            if not found:
                raise Undeliverable(
                    f"no recipient: no approver of {payload.get('approver')!r} has an e-mail address",
                    zh=f"没有收件人：审批人 {payload.get('approver')!r} 没有登记邮箱",
                )
            return ", ".join(found)
        email = payload.get("email") if route.audience == "customer" else None
        to = email if isinstance(email, str) and "@" in email else self.mail_to
        if not to or "@" not in to:
            whose = "the payload has no email and " if route.audience == "customer" else ""
            raise Undeliverable(
                f"no recipient: {whose}ORDERLOOM_MAIL_TO is not set",
                zh=f"没有收件人：{'消息中没有邮箱，且' if whose else ''}未设置 ORDERLOOM_MAIL_TO",
            )
        return to

    def compose(self, topic: str, route: Route, payload: Mapping[str, Any]) -> EmailMessage:
        subject, body = route.compose(payload)
        canonical = json.dumps(
            {"topic": topic, "payload": payload}, sort_keys=True, ensure_ascii=False, default=str
        )
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = self.recipient(route, payload)
        message["Subject"] = subject
        # The same at every attempt: a receiver keeps one copy of a message delivered twice.
        message["Message-ID"] = f"<{hashlib.sha256(canonical.encode()).hexdigest()[:40]}@orderloom>"
        message["X-OrderLoom-Topic"] = topic
        if payload.get("order_id") is not None:
            message["X-OrderLoom-Order"] = str(payload.get("order_id"))
        if payload.get("template"):
            message["X-OrderLoom-Template"] = str(payload.get("template"))
        if route.audience in ("customer", "approvers"):  # people read the words, never the message's data
            message.set_content(body)
        else:  # the operations desk also gets the message's data, to act on it
            details = json.dumps(dict(payload), ensure_ascii=False, indent=2, default=str)
            message.set_content(f"{body}\n{details}\n")
        return message
