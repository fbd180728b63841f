"""An admin replays a dead letter in a real browser (Debian's Chromium), and it reaches the mail server.

Two order notifications are delivered by a worker round whose service desk is not set: the one with the
customer's address reaches the SMTP server (aiosmtpd on localhost), the other becomes a dead letter.
The admin sees the number of dead letters beside "Outbox" in the header, opens the list, reads why the
message died, opens it and sends it again; the service desk is set, a worker round delivers it, and the
page shows it sent. Screenshots of each step go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect
from sqlalchemy import update

from engine.runtime import Undeliverable
from engine.store.tables import outbox
from tests.web.conftest import DEFS, LiveServer, log_in_page, make_app, serve, settings_for
from tests.workers.test_mail import Inbox, _free_port
from workers.mail import MailDelivery, SmtpServer, SmtpTransport

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    yield from serve(make_app(settings_for(tmp_path, DEFS, "outbox-browser-tests")))


def test_an_admin_replays_a_dead_letter_and_it_is_delivered(
    page: Page, server: LiveServer, smtp: tuple[Inbox, int], screenshot: Callable[[str], Path]
) -> None:
    inbox, port = smtp
    services = server.app.extensions["orderloom"]
    note = {"order_id": 7, "department": "retail", "trigger": "pay", "from": "pending_payment", "to": "paid"}
    with services.store.transaction() as tx:
        tx.insert_outbox(
            "notifications.order_status", {**note, "email": "li.na@example.com"}, AT, department="retail"
        )
        tx.insert_outbox("notifications.order_status", {**note, "order_id": 8}, AT, department="retail")
    transport = SmtpTransport(SmtpServer("127.0.0.1", port))
    report = services.engine.dispatch_outbox("w1", MailDelivery(transport, "orders@example.com", None))
    assert (report.sent, report.dead) == (1, 1)

    log_in_page(page, server)
    page.goto(server("/?lang=en"))
    link = page.locator("#outbox-link")
    expect(link).to_have_text("Outbox 1")
    screenshot("1-header-with-dead-letters")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox: waiting, sent and dead letters")
    rows = page.locator("#outbox-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(
        "Undeliverable: no recipient: the payload has no email and ORDERLOOM_MAIL_TO is not set"
    )
    screenshot("2-dead-letters")
    rows.first.get_by_role("link", name="#2").click()
    expect(page.locator("#outbox-status")).to_have_text("Dead letter (no more attempts)")
    expect(page.locator("pre.payload")).to_contain_text('"order_id": 8')
    screenshot("3-the-dead-letter")

    page.get_by_role("button", name="Send again").click()  # the service desk is set before the next round
    expect(page.get_by_role("status")).to_have_text("Queued again: the worker delivers it at its next round.")
    expect(page.locator("#outbox-status")).to_have_text("Waiting to be delivered")
    screenshot("4-queued-again")
    desk = MailDelivery(transport, "orders@example.com", "service@example.com")
    assert services.engine.dispatch_outbox("w1", desk).sent == 1
    page.reload()
    expect(page.locator("#outbox-status")).to_have_text("Sent")
    expect(link).to_have_text("Outbox")  # no dead letter left
    assert [envelope[1] for envelope in inbox.envelopes] == [["li.na@example.com"], ["service@example.com"]]
    assert inbox.messages[1]["X-OrderLoom-Order"] == "8"

    page.goto(server("/outbox?lang=zh"))
    expect(page.get_by_role("heading", level=1)).to_have_text("发件箱：待发送、已发送与死信")
    expect(page.locator("#outbox-link")).to_have_text("发件箱")
    screenshot("5-zh")


def test_a_dead_letter_this_orderloom_cannot_read_is_shown_unreadable_and_left_dead(
    page: Page, server: LiveServer, screenshot: Callable[[str], Path]
) -> None:
    """Written by a newer OrderLoom (schema_version 2): listed with an "unreadable" mark, opened with why
    and no payload nor button, and left dead when every dead letter is sent again."""
    services = server.app.extensions["orderloom"]
    note = {"department": "retail", "trigger": "pay", "from": "pending_payment", "to": "paid"}
    with services.store.transaction() as tx:
        for order_id in (7, 8):
            tx.insert_outbox(
                "notifications.order_status", {**note, "order_id": order_id}, AT, department="retail"
            )

    def nobody(topic: str, payload: object) -> None:
        raise Undeliverable("no recipient", zh="没有收件人")

    assert services.engine.dispatch_outbox("w1", nobody).dead == 2
    with services.store.transaction() as tx:
        tx.connection.execute(update(outbox).where(outbox.c.id == 1).values(schema_version=2))

    log_in_page(page, server)
    page.goto(server("/outbox?lang=en"))
    rows = page.locator("#outbox-list tbody tr")
    expect(rows).to_have_count(2)
    newer = rows.filter(has=page.get_by_role("link", name="#1"))
    expect(newer.locator(".unreadable")).to_have_text("unreadable")
    expect(rows.filter(has=page.get_by_role("link", name="#2")).locator(".unreadable")).to_have_count(0)
    screenshot("1-listed-unreadable")

    newer.get_by_role("link", name="#1").click()
    expect(page.locator("#outbox-unreadable")).to_contain_text(
        "outbox message 1 has schema_version 2, newer than this OrderLoom reads (up to 1)"
    )
    expect(page.locator("pre.payload")).to_have_count(0)
    expect(page.get_by_role("button", name="Send again")).to_have_count(0)
    screenshot("2-the-unreadable-message")

    page.get_by_role("link", name="Back to the outbox").click()
    page.get_by_role("button", name="Send all these dead letters again").click()
    expect(page.get_by_role("status")).to_have_text(
        "1 dead letter(s) queued again: the worker delivers them at its next round."
    )
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".unreadable")).to_have_text("unreadable")
    page.goto(server("/outbox/1?lang=zh"))
    expect(page.locator("#outbox-unreadable")).to_contain_text("无法读取")
    expect(page.locator("#outbox-unreadable")).to_contain_text("发件箱消息 1 的 schema_version 为 2")
    screenshot("3-zh")
