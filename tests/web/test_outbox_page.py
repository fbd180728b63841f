"""The outbox page for a department's admins (web/outbox_page.py), through the test client: who sees
it and which messages, the dead letters first, replaying one and all, and each refusal as a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.runtime import Undeliverable
from engine.store import Store
from engine.store.tables import outbox
from tests.web.conftest import DEFS, add_user, log_in, make_app, settings_for

AT = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app with four messages: a retail and a wholesale dead letter, a sent retail one, a retail
    internal event; ``ria`` administers retail, ``cleo`` is a retail clerk."""
    app = make_app(settings_for(tmp_path, DEFS, "outbox-page-tests"))
    add_user(app, "ria", "ria-password", ("admin",), ("retail",))
    add_user(app, "cleo", "cleo-password", ("clerk",), ("retail",))
    services = app.extensions["orderloom"]
    store: Store = services.store
    with store.transaction() as tx:
        tx.insert_outbox("notifications.order_status", {"order_id": 1, "to": "paid"}, AT, department="retail")
        tx.insert_outbox("payments.captured", {"order_id": 2, "amount": "9.00"}, AT, department="wholesale")
        tx.insert_outbox("notifications.order_status", {"order_id": 3, "to": "paid"}, AT, department="retail")
        tx.insert_outbox("account_created", {"customer_id": 1}, AT, department="retail", deliver=False)

    def send(topic: str, payload: Any) -> None:
        if payload["order_id"] != 3:
            raise Undeliverable("no recipient: ORDERLOOM_MAIL_TO is not set", zh="没有收件人")

    assert services.engine.dispatch_outbox("w1", send).dead == 2
    yield app
    services.close()


def client_of(app: Flask, name: str, password: str) -> FlaskClient:
    return log_in(app.test_client(), name, password)


def test_an_admin_of_every_department_is_led_to_the_dead_letters_by_a_link_with_their_count(
    app: Flask,
) -> None:
    client = client_of(app, "tester", "tester-password")
    home = client.get("/?lang=en").get_data(as_text=True)
    assert (
        'id="outbox-link" href="/outbox?status=dead">Outbox <b class="badge" '
        'title="2 dead letter(s) to look at">2</b>'
    ) in home
    page = client.get("/outbox?status=dead&lang=en").get_data(as_text=True)
    assert "Outbox: waiting, sent and dead letters" in page
    assert 'aria-current="page">Dead letters <b>2</b>' in page
    assert page.count('<a href="/outbox/') == 2  # the two dead letters, not the sent one nor the event
    assert "no recipient: ORDERLOOM_MAIL_TO is not set" in page
    assert 'id="replay-all"' in page
    zh = client.get("/outbox?status=dead&lang=zh").get_data(as_text=True)
    assert "发件箱：待发送、已发送与死信" in zh and 'aria-current="page">死信 <b>2</b>' in zh
    sent = client.get("/outbox?status=sent&lang=en").get_data(as_text=True)
    assert '<a href="/outbox/3">#3</a>' in sent and "Sent</th>" in sent
    internal = client.get("/outbox?status=internal&lang=en").get_data(as_text=True)
    assert '<a href="/outbox/4">#4</a>' in internal
    assert client.get("/outbox?status=lost").status_code == 404


def test_a_department_admin_sees_and_replays_only_that_departments_messages(app: Flask) -> None:
    client = client_of(app, "ria", "ria-password")
    listed = client.get("/outbox?lang=en").get_data(as_text=True)
    assert '<a href="/outbox/1">#1</a>' in listed and "/outbox/2" not in listed
    assert "Dead letters <b>1</b>" in listed
    other = client.get("/outbox/2?lang=en")
    assert other.status_code == 404 and "no outbox message 2" in other.get_data(as_text=True)
    assert client.post("/outbox/2/replay").status_code == 404

    shown = client.get("/outbox/1?lang=en").get_data(as_text=True)
    assert 'id="outbox-status">Dead letter (no more attempts)</dd>' in shown
    assert 'id="replay">Send again</button>' in shown
    answer = client.post("/outbox/1/replay")
    assert answer.status_code == 303 and answer.headers["Location"] == "/outbox/1?replayed=1"
    after = client.get("/outbox/1?replayed=1&lang=en").get_data(as_text=True)
    assert "Queued again: the worker delivers it at its next round." in after
    assert 'id="outbox-status">Waiting to be delivered</dd>' in after
    assert "Sent again by</dt><dd>ria" in after
    store: Store = app.extensions["orderloom"].store
    with store.read() as tx:
        message = tx.outbox_message(1)
    assert message is not None and (message.status, message.attempts, message.replayed_by) == (
        "pending",
        0,
        "ria",
    )

    again = client.post("/outbox/3/replay?lang=en")  # sent already
    assert again.status_code == 409 and "was sent already" in again.get_data(as_text=True)
    event = client.post("/outbox/4/replay?lang=zh")
    assert event.status_code == 409 and "是供事件关联读取的内部事件：不会投递" in event.get_data(as_text=True)


def test_replaying_every_dead_letter_and_the_refusals(app: Flask) -> None:
    client = client_of(app, "tester", "tester-password")
    answer = client.post("/outbox/replay", data={"topic": "payments.captured"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/outbox?status=dead&topic=payments.captured&replayed=1"
    page = client.get(answer.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "1 dead letter(s) queued again" in page and "No message here." in page
    assert client.post("/outbox/replay").headers["Location"] == "/outbox?status=dead&replayed=1"

    anonymous = app.test_client()
    assert anonymous.get("/outbox").status_code == 302  # to the login
    bare = log_in(app.test_client(), "ria", "ria-password")
    bare.csrf_token = None  # type: ignore[attr-defined]
    assert bare.post("/outbox/1/replay").status_code == 400  # no CSRF token: nothing done


def test_anyone_but_an_admin_is_told_the_outbox_is_for_admins(app: Flask) -> None:
    client = client_of(app, "cleo", "cleo-password")
    assert 'id="outbox-link"' not in client.get("/").get_data(as_text=True)
    refused = client.get("/outbox?lang=en")
    assert refused.status_code == 403
    assert "cleo is not an admin: only a department&#39;s admin sees its outbox" in refused.get_data(
        as_text=True
    )
    assert "cleo 不是管理员" in client.get("/outbox/1?lang=zh").get_data(as_text=True)
    assert client.post("/outbox/1/replay").status_code == 403
    page = refused.get_data(as_text=True)
    assert '<h1 id="problem-heading">Not allowed</h1>' in page
    assert 'href="/outbox"' not in page  # no link back to the page that refused them
    assert "无权查看" in client.get("/outbox?lang=zh").get_data(as_text=True)


def test_a_message_that_is_not_there_is_a_not_found_page_with_the_way_back(app: Flask) -> None:
    client = client_of(app, "tester", "tester-password")
    missing = client.get("/outbox/999?lang=en")
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert '<h1 id="problem-heading">Message not found</h1>' in page
    assert 'href="/outbox">Back to the outbox</a>' in page
    assert "找不到这条消息" in client.get("/outbox/999?lang=zh").get_data(as_text=True)
    zero = client.get("/outbox/0?lang=en")  # no message has id 0: the address itself is wrong
    assert zero.status_code == 404 and "There is nothing at this address." in zero.get_data(as_text=True)


def test_a_message_this_orderloom_cannot_read_is_listed_as_unreadable_not_a_500(app: Flask) -> None:
    """Written by a newer OrderLoom (schema_version 2): the list, the message, the header's count and
    replaying all answer, saying why; the message is not replayed from here."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash would be a 500 page, as in production
    store: Store = app.extensions["orderloom"].store
    with store.transaction() as tx:
        tx.connection.execute(update(outbox).where(outbox.c.id == 1).values(schema_version=2))
    client = client_of(app, "tester", "tester-password")
    why = "outbox message 1 has schema_version 2, newer than this OrderLoom reads (up to 1)"

    home = client.get("/?lang=en")
    assert home.status_code == 200 and 'title="2 dead letter(s) to look at">2</b>' in home.text
    listed = client.get("/outbox?lang=en")
    assert listed.status_code == 200
    row = listed.text.split('<a href="/outbox/1">#1</a>')[1].split("</tr>")[0]
    assert '<span class="unreadable" title="' + why in row and ">unreadable</span>" in row
    assert '<a href="/outbox/2">#2</a>' in listed.text  # the other dead letter, as ever
    assert ">无法读取</span>" in client.get("/outbox?lang=zh").text

    shown = client.get("/outbox/1?lang=en")
    assert shown.status_code == 200
    assert 'id="outbox-status">Dead letter (no more attempts)</dd>' in shown.text
    assert why in shown.text.split('id="outbox-unreadable">')[1]
    assert 'id="replay"' not in shown.text and "pre class" not in shown.text
    zh = client.get("/outbox/1?lang=zh").text
    assert "发件箱消息 1 的 schema_version 为 2，比本版本 OrderLoom 能读取的（最高 1）更新" in zh

    refused = client.post("/outbox/1/replay?lang=en")
    assert refused.status_code == 409 and "replay it from an OrderLoom that reads it" in refused.text
    replayed = client.post("/outbox/replay")
    assert replayed.status_code == 303 and replayed.headers["Location"] == "/outbox?status=dead&replayed=1"
    left = client.get("/outbox?status=dead&lang=en").text
    assert "Dead letters <b>1</b>" in left and '<a href="/outbox/1">#1</a>' in left


def test_a_number_in_the_address_or_the_query_that_is_no_number_in_range_is_a_404_page(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash would be a 500 page, as in production
    client = client_of(app, "tester", "tester-password")
    huge, too_long = "99999999999999999999", "9" * 5000
    for path in (
        f"/outbox/{huge}",
        f"/outbox/{2**63}",  # 19 digits, one past the largest id
        "/outbox/0",
        "/outbox/%D9%A3",  # "٣", an Arabic-Indic 3: a digit to Python, no address of ours
        "/outbox?page=%C2%B2",  # "²": a digit to str.isdigit(), not to int()
        "/outbox?replayed=%C2%B2",
        f"/outbox?page={too_long}",
        f"/outbox?replayed={too_long}",
        "/outbox?page=0",
        "/outbox?page=10001",
        "/outbox?page=-1",
        "/outbox?replayed=1.5",
    ):
        response = client.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert response.status_code == 404, path
        assert "Not found" in response.text and "Traceback" not in response.text, path
    largest = client.get(f"/outbox/{2**63 - 1}?lang=en")  # the largest id: no such message
    assert largest.status_code == 404 and f"no outbox message {2**63 - 1}" in largest.text
    for path in (f"/outbox/{huge}/replay", f"/outbox/{2**63 - 1}/replay", "/outbox/%D9%A3/replay"):
        assert client.post(path).status_code == 404, path
    assert client.get("/outbox?page=1&replayed=0").status_code == 200
    assert "1 dead letter(s) queued again" in client.get("/outbox?replayed=1&lang=en").text
    assert client.get("/outbox/1").status_code == 200


def test_the_outbox_pages_through_its_messages(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.outbox_page.PAGE_SIZE", 1)
    client = client_of(app, "tester", "tester-password")
    first = client.get("/outbox?status=dead&lang=zh").get_data(as_text=True)
    assert '<a href="/outbox?status=dead&amp;page=2" rel="next">较早的消息</a>' in first
    assert "较早的订单" not in first and 'rel="prev"' not in first
    every = client.get("/outbox?page=2&lang=zh").get_data(as_text=True)  # every status: no status asked
    assert '<a href="/outbox?page=1" rel="prev">较新的消息</a>' in every
    assert '<a href="/outbox?page=3" rel="next">较早的消息</a>' in every
    second = client.get("/outbox?status=dead&page=2&lang=en").get_data(as_text=True)
    assert '<a href="/outbox?status=dead&amp;page=1" rel="prev">Newer messages</a>' in second


@pytest.mark.parametrize(
    ("lang", "tab", "words", "kinds", "written"),
    [
        (
            "zh",
            "全部",
            ["新客户账户", "订单状态通知（给顾客）", "收款待入账", "订单状态通知（给顾客）"],
            ["内部事件", "已发送", "死信", "死信"],
            "写入于",
        ),
        (
            "en",
            "All",
            [
                "Customer account created",
                "Order status notice (to the customer)",
                "Payment captured, to book",
                "Order status notice (to the customer)",
            ],
            ["Internal event", "Sent", "Dead letter", "Dead letter"],
            "Written",
        ),
    ],
)
def test_the_outbox_opens_on_the_latest_messages_each_topic_in_words(
    app: Flask, lang: str, tab: str, words: list[str], kinds: list[str], written: str
) -> None:
    """Whatever became of them, newest first: each topic by its title, the raw topic beside it only for a
    topic no title names (marked so); a topic's filter keeps every status."""
    with app.extensions["orderloom"].store.transaction() as tx:
        tx.insert_outbox("acme.synced", {"order_id": 1}, AT, department="retail", deliver=False)
    client = client_of(app, "tester", "tester-password")
    page = client.get(f"/outbox?lang={lang}").get_data(as_text=True)
    assert f'aria-current="page">{tab}' in page and f'<th scope="col">{written}</th>' in page
    rows = re.findall(r"<tr>\s*<td data-label=\"#\">(.*?)</tr>", page, re.S)
    assert [re.findall(r"#(\d+)</a>", row)[0] for row in rows] == ["5", "4", "3", "2", "1"]
    unlisted = "未登记的主题" if lang == "zh" else "unlisted topic"
    assert "<code>acme.synced</code>" in rows[0] and f">{unlisted}</span>" in rows[0]
    for row, title, kind in zip(rows[1:], words, kinds, strict=True):
        assert f">{title}</span>" in row and f">{kind}</td>" in row and "<code>" not in row
        assert unlisted not in row
    assert "order.state_changed" not in page and "<code>notifications.order_status</code>" not in page
    only = client.get(f"/outbox?topic=notifications.order_status&lang={lang}").get_data(as_text=True)
    assert re.findall(r'<a href="/outbox/(\d+)">', only) == ["3", "1"]
    assert f"{words[1]}</span> · " in only  # the filter named in words
    shown = client.get(f"/outbox/2?lang={lang}").get_data(as_text=True)
    assert f"· {words[2]}</h1>" in shown
    assert f'<dd id="outbox-topic">{words[2]} · <code>payments.captured</code></dd>' in shown
    raw = client.get(f"/outbox/5?lang={lang}").get_data(as_text=True)
    assert "· acme.synced</h1>" in raw and f">{unlisted}</span></dd>" in raw
    assert 'id="outbox-link" href="/outbox?status=dead"' in page


def test_every_topic_the_product_writes_has_a_title_in_both_languages(app: Flask) -> None:
    from engine.api import known_term
    from engine.runtime.approvals import APPROVAL_TOPICS
    from workers.mail import ROUTES

    registry = app.extensions["orderloom"].registry
    topics = {*registry.topics, *ROUTES, *APPROVAL_TOPICS}
    assert "payment_failed" in topics and "approvals.timeout" in topics
    for topic in sorted(topics):
        title = known_term("topic", topic)
        assert title is not None and title.zh and title.en and title.zh != title.en, topic
