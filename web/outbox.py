"""Delivering outbox messages from ``orderloom worker``: e-mail over SMTP, when a server is configured.

``ORDERLOOM_SMTP_URL`` (``smtp://host:port``) names the server. Order notifications
(``notifications.order_status``, queued by ``notifications.notify``) become one e-mail each, sent to the
address in the payload's ``email`` if it has one, else to ``ORDERLOOM_MAIL_TO`` (the service desk's
mailbox). Every other topic (payments, waybills) has no delivery here: sending it raises
``Undeliverable``, which the engine records on the row as a failed attempt, so the row stays unsent
and is retried once a delivery for it exists. Nothing is ever marked sent that was not sent.
"""

from __future__ import annotations

import json
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

MAIL_TOPICS = frozenset({"notifications.order_status"})
DEFAULT_SMTP_PORT = 25


class Undeliverable(Exception):
    """This message cannot be delivered from here; the row stays unsent and its error is recorded."""


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


class MailSender:
    """``send(topic, payload)`` for ``Engine.dispatch_outbox``: one e-mail per order notification."""

    def __init__(
        self, server: SmtpServer, mail_from: str, mail_to: str | None, timeout: float = 10.0
    ) -> None:
        self.server = server
        self.mail_from = mail_from
        self.mail_to = mail_to
        self.timeout = timeout

    def __call__(self, topic: str, payload: Any) -> None:
        if topic not in MAIL_TOPICS:
            covered = ", ".join(sorted(MAIL_TOPICS))
            raise Undeliverable(f"no delivery for topic {topic!r} here (e-mail covers {covered})")
        if not isinstance(payload, Mapping):
            raise Undeliverable(f"payload of {topic!r} is not an object")
        to = payload.get("email") or self.mail_to
        if not isinstance(to, str) or "@" not in to:
            raise Undeliverable("no recipient: the payload has no email and ORDERLOOM_MAIL_TO is not set")
        with smtplib.SMTP(self.server.host, self.server.port, timeout=self.timeout) as smtp:
            smtp.send_message(order_status_mail(payload, self.mail_from, to))


def order_status_mail(payload: Mapping[str, Any], mail_from: str, to: str) -> EmailMessage:
    """The e-mail for one ``notifications.order_status`` payload, in Chinese and English."""
    order_id, dest, source = payload.get("order_id"), payload.get("to"), payload.get("from")
    workflow = payload.get("workflow")
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = f"订单 {order_id} 状态更新 / Order {order_id}: {source} → {dest}"
    # Receivers deduplicate on this: delivery is at least once.
    message["X-OrderLoom-Order"] = str(order_id)
    message["X-OrderLoom-Template"] = str(payload.get("template") or "")
    message.set_content(
        f"订单 {order_id}（{workflow}）经 {payload.get('trigger')} 从 {source} 变为 {dest}。\n"
        f"Order {order_id} ({workflow}) moved from {source} to {dest} by {payload.get('trigger')}.\n"
        f"\n{json.dumps(dict(payload), ensure_ascii=False, indent=2, default=str)}\n"
    )
    return message
