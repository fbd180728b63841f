"""Outbox delivery from ``orderloom worker``: e-mail to a real SMTP server on localhost (aiosmtpd).

Without ORDERLOOM_SMTP_URL the worker says once that delivery is off and leaves every row unsent.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from engine.store import OutboxRow, Store
from web.cli import main
from web.outbox import MailSender, SmtpServer, Undeliverable

DEFS = Path(__file__).resolve().parent / "defs"
NOTE = {
    "order_id": 7,
    "department": "desk",
    "workflow": "desk-order",
    "trigger": "pay",
    "from": "pending_payment",
    "to": "paid",
    "template": "desk-order.paid",
    "mobile": "13812345678",
    "at": "2026-03-02T10:00:00+00:00",
}


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's hook name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    url = f"sqlite:///{tmp_path / 'var' / 'orderloom.db'}"
    (tmp_path / "var").mkdir()
    store = Store(url)
    store.upgrade()
    yield url, store
    store.dispose()


def queue(store: Store, topic: str, payload: dict[str, Any]) -> None:
    with store.transaction() as tx:
        tx.insert_outbox(topic, payload, datetime(2026, 3, 2, 10, tzinfo=UTC))


def rows(store: Store) -> list[OutboxRow]:
    with store.read() as tx:
        found = [tx.outbox_message(i) for i in range(1, 20)]
    return [row for row in found if row is not None]


def worker(url: str, **env: str) -> Result:
    environ = {"ORDERLOOM_DEFINITIONS": str(DEFS), "ORDERLOOM_DATABASE_URL": url, **env}
    result = CliRunner().invoke(main, ["worker", "--once", "--id", "w1"], env=environ, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_worker_mails_order_notifications_to_the_smtp_server(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, port = smtp
    queue(store, "notifications.order_status", NOTE)
    queue(store, "notifications.order_status", {**NOTE, "order_id": 8, "email": "wang.fang@example.com"})
    out = worker(
        url,
        ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}",
        ORDERLOOM_MAIL_TO="service@example.com",
        ORDERLOOM_MAIL_FROM="orders@example.com",
    ).output
    assert f"outbox e-mail goes to 127.0.0.1:{port}" in out
    assert "fired 0 timer(s), sent 2 message(s)" in out
    assert inbox.envelopes == [
        ("orders@example.com", ["service@example.com"]),
        ("orders@example.com", ["wang.fang@example.com"]),
    ]
    first = inbox.messages[0]
    assert first["Subject"] == "订单 7 状态更新 / Order 7: pending_payment → paid"
    assert first["X-OrderLoom-Order"] == "7"
    body = first.get_content()
    assert "Order 7 (desk-order) moved from pending_payment to paid by pay." in body
    assert "订单 7（desk-order）经 pay 从 pending_payment 变为 paid。" in body
    sent = rows(store)
    assert len(sent) == 2
    assert all(row.sent_at is not None and (row.attempts, row.last_error) == (1, None) for row in sent)
    # Sent rows are not sent again.
    assert "sent 0 message(s)" in worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}").output
    assert len(inbox.messages) == 2


def test_topics_without_a_delivery_and_mail_without_a_recipient_stay_unsent(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, port = smtp
    queue(store, "payments.captured", {"order_id": 7, "amount": "120.00"})
    queue(store, "notifications.order_status", NOTE)  # no email in the payload, no ORDERLOOM_MAIL_TO
    out = worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}").output
    assert "sent 0 message(s)" in out
    assert inbox.messages == []
    payment, note = rows(store)
    assert payment.sent_at is None and payment.attempts == 1 and payment.claimed_by is None
    assert payment.last_error == (
        "Undeliverable: no delivery for topic 'payments.captured' here "
        "(e-mail covers notifications.order_status)"
    )
    assert note.sent_at is None and note.attempts == 1
    assert note.last_error is not None and "ORDERLOOM_MAIL_TO is not set" in note.last_error


def test_a_server_that_is_down_leaves_the_row_unsent_with_the_error(db: tuple[str, Store]) -> None:
    url, store = db
    queue(store, "notifications.order_status", NOTE)
    out = worker(
        url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{_free_port()}", ORDERLOOM_MAIL_TO="a@b.cn"
    ).output
    assert "sent 0 message(s)" in out
    [row] = rows(store)
    assert row.sent_at is None and row.attempts == 1
    assert row.last_error is not None and row.last_error.startswith("ConnectionRefusedError")


def test_without_an_smtp_url_delivery_is_off_and_rows_stay_unsent(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, _ = smtp
    queue(store, "notifications.order_status", {**NOTE, "email": "wang.fang@example.com"})
    out = worker(url).output
    assert out.count("outbox delivery is off (ORDERLOOM_SMTP_URL is not set); messages stay unsent") == 1
    assert "fired 0 timer(s), sent 0 message(s)" in out
    [row] = rows(store)
    assert (row.sent_at, row.attempts, row.claimed_by, row.last_error) == (None, 0, None, None)
    assert inbox.messages == []


@pytest.mark.parametrize("bad", ["http://127.0.0.1:25", "smtp://", "smtp://host:notaport", "127.0.0.1:25"])
def test_a_malformed_smtp_url_is_a_usage_error(db: tuple[str, Store], bad: str) -> None:
    url, _ = db
    environ = {"ORDERLOOM_DEFINITIONS": str(DEFS), "ORDERLOOM_DATABASE_URL": url, "ORDERLOOM_SMTP_URL": bad}
    result = CliRunner().invoke(main, ["worker", "--once"], env=environ)
    assert result.exit_code == 2
    assert "ORDERLOOM_SMTP_URL" in result.output


def test_smtp_server_from_url_defaults_to_port_25() -> None:
    assert SmtpServer.from_url("smtp://mail.example.com") == SmtpServer("mail.example.com", 25)
    assert SmtpServer.from_url("smtp://127.0.0.1:2525") == SmtpServer("127.0.0.1", 2525)


def test_the_sender_refuses_a_payload_that_is_not_an_object() -> None:
    send = MailSender(SmtpServer("127.0.0.1", 1), "a@b.cn", "c@d.cn")
    with pytest.raises(Undeliverable, match="not an object"):
        send("notifications.order_status", ["not", "a", "mapping"])
