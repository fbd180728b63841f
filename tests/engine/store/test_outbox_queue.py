"""The outbox queue: messages claimed, sent, failed and put off; an unreadable one listed saying why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from engine.errors import StoredDocumentError
from engine.store import Store
from engine.store.outbox_queue import outbox_count, outbox_newest_first
from engine.store.tables import outbox
from tests.engine.store.support import NOW, query_plan


def test_outbox_claimed_sent_and_failed(store: Store) -> None:
    lease = timedelta(minutes=5)
    with store.transaction() as tx:
        for n in range(3):
            tx.insert_outbox("mail", {"n": n}, NOW)
    with store.transaction() as tx:
        first = tx.claim_outbox("w1", NOW, 2, lease)
    assert [(m.payload, m.attempts, m.claimed_by, m.status) for m in first] == [
        ({"n": 0}, 0, "w1", "pending"),
        ({"n": 1}, 0, "w1", "pending"),
    ]
    with store.transaction() as tx:
        [rest] = tx.claim_outbox("w2", NOW, 10, lease)
        assert rest.payload == {"n": 2}
        assert tx.claim_outbox("w3", NOW, 10, lease) == []
        assert tx.outbox_sent(first[0].id, "w1", NOW)
        assert not tx.outbox_sent(first[0].id, "w1", NOW)  # already sent
        retry_at = NOW + timedelta(seconds=30)
        assert tx.outbox_failed(first[1].id, "w1", "ConnectionError: refused", NOW, retry_at)
        assert not tx.outbox_failed(rest.id, "w1", "not mine", NOW, retry_at)
    with store.transaction() as tx:
        # The failed one waits for its next attempt; w2's claim lapses only after the lease.
        assert tx.claim_outbox("w3", NOW + timedelta(seconds=29), 10, lease) == []
        [retry] = tx.claim_outbox("w3", retry_at, 10, lease)
        assert (retry.id, retry.attempts, retry.last_error) == (first[1].id, 1, "ConnectionError: refused")
        assert retry.next_attempt_at == retry_at and retry.last_attempt_at == NOW
        # By when each may be tried: w2's lapsed one (due at NOW) before w3's lapsed retry.
        assert [m.id for m in tx.claim_outbox("w4", retry_at + lease, 10, lease)] == [rest.id, retry.id]
        assert not tx.outbox_sent(rest.id, "w2", NOW + lease)  # taken over by w4
        sent = tx.outbox_message(first[0].id)
        assert sent is not None and sent.sent_at == NOW and sent.attempts == 1 and sent.status == "sent"
        assert tx.outbox_failed(rest.id, "w4", "SMTPDataError: 554", NOW + lease)  # no retry: dead
        dead = tx.outbox_message(rest.id)
        assert dead is not None and (dead.status, dead.dead_at, dead.attempts) == ("dead", NOW + lease, 1)
        assert dead.claimed_by is None and dead.last_error == "SMTPDataError: 554"
        later = tx.claim_outbox("w5", NOW + timedelta(days=1), 10, lease)
        assert [m.id for m in later] == [retry.id]  # w4's lapsed claim; the dead one is never claimed


def test_an_outbox_message_whose_payload_this_code_cannot_read_is_listed_saying_why(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_outbox("payments.captured", {"order_id": 1}, NOW, department="retail")
        tx.insert_outbox("payments.captured", {"order_id": 2}, NOW, department="retail")
        tx.connection.execute(update(outbox).where(outbox.c.id == 1).values(schema_version=2))
    with store.read() as tx:
        second, first = tx.outbox_list(departments=None)  # newest first
        shown = tx.outbox_message(1)
    with store.transaction() as tx:
        assert [m.id for m in tx.claim_outbox("w1", NOW, 10)] == [2]  # no worker gets it to deliver
    assert (second.id, second.payload, second.unreadable) == (2, {"order_id": 2}, None)
    assert (first.id, first.topic, first.status, first.payload) == (1, "payments.captured", "pending", None)
    assert shown == first and isinstance(first.unreadable, StoredDocumentError)
    assert str(first.unreadable).startswith("outbox message 1 has schema_version 2, newer than this")
    assert first.unreadable.message("zh").startswith("发件箱消息 1 的 schema_version 为 2")


def test_the_operators_lists_and_counts_are_named_statements_compiled_once(store: Store) -> None:
    with store.transaction() as tx:
        for department in ("retail", "wholesale", "retail"):
            tx.insert_outbox("mail", {"n": 1}, NOW, department=department)
    scope = frozenset({"retail", "wholesale"})
    with store.read() as tx:
        assert len(tx.outbox_list(departments=scope, status="pending")) == 3
        assert tx.outbox_counts(departments=frozenset({"retail"})) == {"pending": 2, "dead": 0}
        compiled = len(store.compiled)
        for status in ("pending", "dead", "sent"):
            tx.outbox_list(departments=frozenset({"retail", "finance"}), status=status)
        assert tx.outbox_counts(departments=frozenset({"wholesale"})) == {"pending": 1, "dead": 0}
        assert tx.outbox_counts(departments=frozenset()) == {"pending": 0, "dead": 0}
        assert len(store.compiled) == compiled  # the same shapes: nothing compiled again
    assert outbox_newest_first(True, False, 2).name == "outbox_newest_first(status, 2 departments)"
    assert outbox_count(1) in store.compiled and outbox_count(None).name == "outbox_count()"


def test_a_departments_and_a_topics_list_are_read_newest_first_through_their_index(store: Store) -> None:
    """The page's first tab (every status) of one department, and one topic's list: each a range of its
    own index (migration 0029), not the whole table walked backwards from the newest message."""
    with store.transaction() as tx:
        for n, department in enumerate(("retail", "wholesale", "after_sales") * 3):
            tx.insert_outbox("stock.low" if n % 2 else "mail", {"n": n}, NOW, department=department)
    with store.read() as tx:
        assert [m.department for m in tx.outbox_list(departments=frozenset({"after_sales"}))] == [
            "after_sales"
        ] * 3
    cases = (
        (outbox_newest_first(False, False, 1), {"department_0": "after_sales"}, "ix_outbox_department"),
        (outbox_newest_first(False, True, None), {"topic": "stock.low"}, "ix_outbox_topic"),
    )
    for statement, values, index in cases:
        with store.transaction() as tx:
            plan = query_plan(tx, statement.statement.params(limit=51, offset=0, **values))
        assert index in plan, plan
        if store.is_sqlite:
            assert "SCAN outbox" not in plan, plan
        else:
            assert "Seq Scan" not in plan, plan
