"""Outbox delivery from ``orderloom worker`` (workers/mail.py): e-mail to a real SMTP server on localhost
(aiosmtpd), or into a Maildir; a route for every topic the shipped actions deliver.

Without ORDERLOOM_SMTP_URL or ORDERLOOM_MAIL_DIR the worker says once that delivery is off and leaves
every row unsent.
"""

from __future__ import annotations

import mailbox
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

from cli.main import main
from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.runtime.approvals import APPROVAL_TOPICS, ApprovalAction, ApprovalRequest
from engine.store import OutboxRow, Store
from engine.store.users import add_user, set_email
from workers.mail import ROUTES, MailDelivery, SmtpServer, SmtpTransport, Undeliverable, undelivered_topics

DEFS = Path(__file__).resolve().parents[1] / "web" / "defs"  # the test definitions the web tests use too
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
    """An aiosmtpd handler keeping every message it receives; it refuses the addresses in ``refused``
    for good (550), as a server does a mailbox that does not exist."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused: set[str] = set()

    async def handle_RCPT(  # aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

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
        return sorted(tx.outbox_list(departments=None), key=lambda row: row.id)


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
    assert (
        f"outbox mail goes to the SMTP server 127.0.0.1:{port} (the service desk: service@example.com)" in out
    )
    assert "fired 0 timer(s), sent 2 message(s)" in out
    assert inbox.envelopes == [
        ("orders@example.com", ["service@example.com"]),
        ("orders@example.com", ["wang.fang@example.com"]),
    ]
    first = inbox.messages[0]  # written without labels (as before they were carried): the codes
    assert first["Subject"] == "订单 7：paid / Order 7: paid"
    assert first["X-OrderLoom-Order"] == "7"
    body = first.get_content()
    assert 'Order 7 (desk-order) is now "paid" (pay; it was "pending_payment").' in body
    assert "订单 7（desk-order）现为「paid」（pay；此前为「pending_payment」）。" in body
    sent = rows(store)
    assert len(sent) == 2
    assert all(row.sent_at is not None and (row.attempts, row.last_error) == (1, None) for row in sent)
    # Sent rows are not sent again.
    assert "sent 0 message(s)" in worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}").output
    assert len(inbox.messages) == 2


def test_a_topic_without_a_route_and_mail_without_a_recipient_are_dead_letters_at_once(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, port = smtp
    queue(store, "loyalty.points_awarded", {"order_id": 7, "points": 120})
    queue(store, "payments.captured", {"order_id": 7, "amount": "120.00"})  # no ORDERLOOM_MAIL_TO
    queue(store, "notifications.order_status", NOTE)  # no email in the payload either
    queue(store, "notifications.order_status", {**NOTE, "order_id": 8, "email": "wang.fang@example.com"})
    out = worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}").output
    assert "sent 1 message(s), 0 correlation match(es); 0 message(s) to try again, 3 dead letter(s)" in out
    assert "3 became dead letter(s) (`orderloom outbox list --status dead`)" in out
    assert [envelope[1] for envelope in inbox.envelopes] == [["wang.fang@example.com"]]
    unknown, payment, note, sent = rows(store)
    assert (unknown.status, unknown.attempts, unknown.claimed_by) == ("dead", 1, None)
    assert unknown.last_error is not None and unknown.last_error.startswith(
        "Undeliverable: no delivery for topic 'loyalty.points_awarded' here (mail covers "
    )
    assert (payment.status, payment.last_error) == (
        "dead",
        "Undeliverable: no recipient: ORDERLOOM_MAIL_TO is not set",
    )
    assert (note.status, note.last_error) == (
        "dead",
        "Undeliverable: no recipient: the payload has no email and ORDERLOOM_MAIL_TO is not set",
    )
    assert sent.status == "sent"


def test_a_mailbox_the_server_refuses_for_good_is_a_dead_letter_and_holds_up_no_other(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, port = smtp
    inbox.refused.add("gone@example.com")
    for order_id, email in ((1, "a@example.com"), (2, "gone@example.com"), (3, "c@example.com")):
        queue(store, "notifications.order_status", {**NOTE, "order_id": order_id, "email": email})
    out = worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}").output
    assert "sent 2 message(s)" in out
    assert [envelope[1] for envelope in inbox.envelopes] == [["a@example.com"], ["c@example.com"]]
    first, refused, third = rows(store)
    assert (first.status, refused.status, third.status) == ("sent", "dead", "sent")
    assert refused.last_error is not None and refused.last_error.startswith(
        "Undeliverable: the mail server refused the recipient for good: {'gone@example.com': (550,"
    )


def test_every_topic_written_for_delivery_has_a_route() -> None:
    """The topics the shipped actions declare for delivery and those the shipped correlation rule files
    suggest: each has a delivery here (the worker names any that has none when it starts)."""
    from engine.rules.correlation import SuggestAction
    from engine.runtime.correlation_feed import load_correlation_rulesets
    from wiring.settings import REPO_ROOT

    suggested = {
        pattern.then.topic
        for ruleset in load_correlation_rulesets(REPO_ROOT)
        for pattern in ruleset.patterns
        if isinstance(pattern.then, SuggestAction)
    }
    assert suggested <= set(ROUTES)  # none today: a low stock row is the engine's own stock.low
    topics = PluginRegistry.from_entry_points().topics
    assert undelivered_topics(topics, suggested | {"inventory.replenishment_suggested"}) == []
    assert undelivered_topics({**topics, "loyalty.points_awarded": True}, {"x.y"}) == [
        "loyalty.points_awarded",
        "x.y",
    ]


def test_the_demos_messages_all_reach_the_smtp_server(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    """`orderloom demo` writes every shipped topic; a worker with an SMTP server and a service desk
    delivers every message meant for the outside, round after round, and none is left or dead."""
    inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = {"ORDERLOOM_DATABASE_URL": url}
    demo = CliRunner().invoke(
        main, ["demo", "--orders", "60", "--seed", "3"], env=env, catch_exceptions=False
    )
    assert demo.exit_code == 0, demo.output
    store = Store(url)
    try:
        with store.read() as tx:
            written = tx.outbox_list(departments=None, limit=10_000)
        from engine.plugins import PluginRegistry

        declared = PluginRegistry.from_entry_points().topics
        # every topic written is declared (by the actions, or the engine's mail to approvers)
        assert {m.topic for m in written} <= set(declared) | set(APPROVAL_TOPICS)
        assert {m.topic for m in written if m.status == "pending"} == {
            "approvals.task",  # the demo's logins have an address: the wholesale approvers are mailed
            "notifications.order_status",
            "payments.captured",
            "payments.refunded",
            "logistics.waybill_created",
            "stock.low",  # a laptop row fell below its safety stock: the purchaser (qian.hui) is mailed
        }
        deliverable = sum(1 for m in written if m.status == "pending")
        mail = {
            "ORDERLOOM_DATABASE_URL": url,
            "ORDERLOOM_SMTP_URL": f"smtp://127.0.0.1:{port}",
            "ORDERLOOM_MAIL_TO": "service@example.com",
        }
        for _ in range(deliverable // 50 + 3):  # rounds of 50 until one sends nothing
            result = CliRunner().invoke(
                main, ["worker", "--once", "--id", "w", "--batch", "50"], env=mail, catch_exceptions=False
            )
            assert result.exit_code == 0, result.output
            if "sent 0 message(s)" in result.output:
                break
        assert "sent 0 message(s)" in result.output
        with store.read() as tx:
            after = tx.outbox_list(departments=None, limit=10_000)
            assert tx.outbox_counts(departments=None) == {"pending": 0, "dead": 0}
    finally:
        store.dispose()
    sent = [m for m in after if m.status == "sent"]
    assert len(inbox.messages) == len(sent) >= deliverable  # suggestions of the rule files too
    by_topic = {m["X-OrderLoom-Topic"] for m in inbox.messages}
    assert by_topic >= {"payments.captured", "payments.refunded", "logistics.waybill_created", "stock.low"}
    low = next(m for m in inbox.messages if m["X-OrderLoom-Topic"] == "stock.low")
    assert low["To"] == "qian.hui@demo.orderloom.example"
    assert "建议补货" in low["Subject"] and "reorder" in low["Subject"]
    assert {m.status for m in after} == {"sent", "internal"}
    refund = next(m for m in inbox.messages if m["X-OrderLoom-Topic"] == "payments.refunded")
    assert refund["To"] == "service@example.com" and "pay back" in refund.get_content()


def test_mail_without_a_server_goes_into_the_maildir(db: tuple[str, Store], tmp_path: Path) -> None:
    url, store = db
    queue(
        store,
        "logistics.waybill_created",
        {
            "order_id": 6,
            "carrier": "jd",
            "waybill": "JD0000000006015",
            "items": [{"sku": "HW-FBP3", "qty": 1}],
        },
    )
    folder = tmp_path / "mail"
    out = worker(url, ORDERLOOM_MAIL_DIR=str(folder), ORDERLOOM_MAIL_TO="warehouse@example.com").output
    assert f"outbox mail goes to the Maildir {folder} (the service desk: warehouse@example.com)" in out
    assert "sent 1 message(s)" in out
    [key] = mailbox.Maildir(folder, create=False).keys()
    stored = message_from_bytes(mailbox.Maildir(folder).get_bytes(key), policy=policy.default)
    assert stored["To"] == "warehouse@example.com"
    assert stored["Subject"] == "运单 JD0000000006015（订单 6）/ Waybill JD0000000006015 for order 6"
    assert rows(store)[0].status == "sent"


class KeptMail:
    """A mailer that keeps what it is given, in a list."""

    where = "a list"

    def __init__(self) -> None:
        self.kept: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.kept.append(message)


def test_an_order_status_mail_names_the_step_and_the_states_as_people_know_them() -> None:
    keep = KeptMail()
    labels = {
        "workflow": {"zh": "批发订单", "en": "Wholesale order"},
        "trigger": {"zh": "分批发货", "en": "Ship a parcel"},
        "from": {"zh": "待收款 | 分批发货中", "en": "Awaiting payment | Shipping in parts"},
        "to": {"zh": "待收款 | 已全部发货", "en": "Awaiting payment | All shipped"},
    }
    MailDelivery(keep, "a@b.cn", "desk@b.cn")("notifications.order_status", {**NOTE, "labels": labels})
    [mail] = keep.kept
    assert mail["Subject"] == "订单 7：待收款 | 已全部发货 / Order 7: Awaiting payment | All shipped"
    body = mail.get_content()
    assert (
        "订单 7（批发订单）现为「待收款 | 已全部发货」（分批发货；此前为「待收款 | 分批发货中」）。" in body
    )
    assert 'Order 7 (Wholesale order) is now "Awaiting payment | All shipped" (Ship a parcel; it was' in body
    # the customer reads words only: no ids, no data of the message (its mobile, its workflow's id)
    assert "{" not in body and "pending" not in body and "desk-order" not in body
    assert NOTE["mobile"] not in body


def test_a_message_has_the_same_message_id_at_every_attempt() -> None:
    keep = KeptMail()
    send = MailDelivery(keep, "a@b.cn", "desk@b.cn")
    send("notifications.order_status", NOTE)
    send("notifications.order_status", dict(NOTE))
    send("notifications.order_status", {**NOTE, "order_id": 8})
    first, again, other = (m["Message-ID"] for m in keep.kept)
    assert first == again != other and first.endswith("@orderloom>")


def test_a_refund_of_returned_goods_names_the_order_they_were_paid_on() -> None:
    keep = KeptMail()
    send = MailDelivery(keep, "a@b.cn", "desk@b.cn")
    goods = {"order_id": 9, "department": "after_sales", "amount": "199.00", "original_order_no": "RO2026"}
    send("payments.refunded", goods)
    paid_here = {"order_id": 3, "department": "retail", "amount": "239.00", "method": "alipay"}
    send("payments.refunded", {**paid_here, "original_transaction_ref": "2026112322001"})
    request, order = (m.get_content() for m in keep.kept)
    assert "pay back 199.00 CNY the way original order RO2026 was paid" in request
    assert "None" not in request
    assert "(alipay, transaction 2026112322001)" in order


def test_a_server_that_is_down_leaves_the_row_unsent_with_the_error(db: tuple[str, Store]) -> None:
    url, store = db
    queue(store, "notifications.order_status", NOTE)
    queue(store, "notifications.order_status", {**NOTE, "order_id": 8})
    port = _free_port()
    out = worker(url, ORDERLOOM_SMTP_URL=f"smtp://127.0.0.1:{port}", ORDERLOOM_MAIL_TO="a@b.cn").output
    assert "sent 0 message(s)" in out
    assert f"outbox: the mail server 127.0.0.1:{port} cannot be reached: ConnectionRefusedError" in out
    tried, untried = rows(store)
    assert (tried.status, tried.attempts, tried.sent_at) == ("pending", 1, None)
    assert tried.last_error is not None and tried.last_error.startswith(
        f"Unreachable: the mail server 127.0.0.1:{port} cannot be reached: ConnectionRefusedError"
    )
    assert (untried.status, untried.attempts, untried.claimed_by) == ("pending", 0, None)  # not tried


def test_without_an_smtp_url_delivery_is_off_and_rows_stay_unsent(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    url, store = db
    inbox, _ = smtp
    queue(store, "notifications.order_status", {**NOTE, "email": "wang.fang@example.com"})
    out = worker(url).output
    off = "outbox delivery is off (neither ORDERLOOM_SMTP_URL nor ORDERLOOM_MAIL_DIR is set); messages wait"
    assert out.count(off) == 1
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
    send = MailDelivery(SmtpTransport(SmtpServer("127.0.0.1", 1)), "a@b.cn", "c@d.cn")
    with pytest.raises(Undeliverable, match="not an object") as refused:
        send("notifications.order_status", ["not", "a", "mapping"])
    assert refused.value.message("zh") == "主题 'notifications.order_status' 的消息内容不是对象"


APPROVALS = Path(__file__).resolve().parents[1] / "engine" / "runtime" / "fixtures" / "approvals"


def test_approvers_are_mailed_when_a_task_arrives_and_when_it_times_out(
    db: tuple[str, Store], smtp: tuple[Inbox, int]
) -> None:
    """The engine writes the mail of an approval's tasks into the outbox in the step's transaction, with
    the addresses of the approvers (a role's users of the department, a user); the worker's delivery
    sends it to the real SMTP server."""
    from engine.plugins import PluginRegistry

    _, store = db
    inbox, port = smtp
    clock = FrozenClock(datetime(2026, 3, 2, 10, tzinfo=UTC))
    engine = Engine(store, PluginRegistry({}), clock)
    path = APPROVALS / "workflows" / "approval-order.yaml"
    engine.publish(load_bundle(path, APPROVALS, action_names={}, workflows={}))
    people = {
        "mia": (["manager"], ["wholesale"], "mia@example.com"),
        "max": (["manager"], ["retail"], "max@example.com"),  # a manager of another department
        "ken": (["sales"], ["wholesale"], "ken@example.com"),
        "fay": (["finance"], ["wholesale"], "fay@example.com"),
        "dan": (["director"], ["wholesale"], None),  # no address: his mail cannot go
    }
    for name, (roles, departments, email) in people.items():
        add_user(store, name=name, display_name=name, password_hash="x", roles=roles,
                 departments=departments, at=clock.now())  # fmt: skip
        with store.transaction() as tx:
            set_email(tx, name, email)
    sales = Actor("sam", frozenset({"sales"}), frozenset({"wholesale"}))
    data = {"total": 5, "account_manager": "ken"}
    order = engine.create_order(sales, "wholesale", "approval-order", data=data)
    engine.fire(order.id, "submit", sales)
    send = MailDelivery(SmtpTransport(SmtpServer("127.0.0.1", port)), "orders@example.com", None)
    report = engine.dispatch_outbox("w1", send)
    assert report.sent == 2
    assert [to for _, to in inbox.envelopes] == [["mia@example.com"], ["ken@example.com"]]
    first = inbox.messages[0]
    assert first["Subject"] == "待审批：订单 1（经理审批）/ To approve: order 1 (Manager review)"
    assert 'Order 1 (Approval order) waits for your approval at "Manager review".' in first.get_content()
    assert "mobile" not in first.get_content()  # people read words, never the message's data

    manager = Actor("mia", frozenset({"manager"}), frozenset({"wholesale"}))
    panel = engine.approval(order.id, manager)
    assert panel is not None
    engine.act_on_approval(ApprovalRequest(order.id, panel.tasks[0].id, ApprovalAction.APPROVE, manager))
    clock.advance(days=2)
    assert engine.fire_due_timers("w1").fired == 1  # the board review's deadline: the order returned
    report = engine.dispatch_outbox("w1", send)
    topics = [m["X-OrderLoom-Topic"] for m in inbox.messages[2:]]
    assert topics == ["approvals.task", "approvals.timeout"]  # fay's task, then her deadline
    timeout = inbox.messages[3]
    assert timeout["To"] == "fay@example.com"
    assert (
        "passed its deadline (2026-03-04 18:00 China time): the order was returned." in timeout.get_content()
    )
    assert "T10:00:00" not in timeout.get_content()  # never the stored instant
    assert "已超过截止时间" in timeout.get_content() and "订单已退回" in timeout.get_content()
    assert report.dead == 2  # the director's task and its timeout: he has no address


@pytest.mark.parametrize(
    ("in_transit", "suggested", "subject", "zh", "en"),
    [
        (
            20, 0,
            "库存预警：QH-MUG01 @ GZ-01，在途 20 件可补足，暂不需补货 / Low stock: QH-MUG01 at GZ-01, the 20 "
            "in transit cover it: nothing to reorder",
            "在途的 20 件已计入：到货后足以补足近30天的发货和安全库存，暂不需补货",
            "The 20 in transit are counted: once received they cover the last 30 days' shipments and the "
            "safety stock, so nothing needs reordering now",
        ),
        (
            0, 30,
            "库存预警：QH-MUG01 @ GZ-01，建议补货 30 件 / Low stock: QH-MUG01 at GZ-01, reorder 30",
            "建议补货 30 件（近30天发货 + 安全库存 - 可用 - 在途）。",
            "Reorder 30 (30 days' shipments + safety stock - free - in transit).",
        ),
    ],
)  # fmt: skip
def test_a_low_stock_mail_says_why_it_suggests_what_it_does(
    in_transit: int, suggested: int, subject: str, zh: str, en: str
) -> None:
    payload = {
        "sku": "QH-MUG01", "warehouse": "GZ-01", "available": 50, "safety_stock": 80,
        "shipped_30d": 0, "in_transit": in_transit, "suggested": suggested,
    }  # fmt: skip
    if in_transit:
        payload["available"] = 60  # 0 + 80 - 60 - 20 = 0: what is on its way makes it up
    said_subject, body = ROUTES["stock.low"].compose(payload)
    assert said_subject == subject and zh in body and en in body
