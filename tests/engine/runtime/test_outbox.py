"""Delivering the outbox (engine/runtime/outbox.py): back-off, dead letters, replay, and who sees them.

Every test runs on a SQLite file and on the real PostgreSQL server; time moves by the injected clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from engine.clock import FrozenClock
from engine.errors import ConflictError, Forbidden, NotFound
from engine.plugins import ActionContext, PluginRegistry, emits
from engine.runtime import Actor, Engine, OutboxStatus, RetryPolicy, Undeliverable, Unreachable
from engine.store import OutboxRow, Store
from engine.store.tables import outbox
from tests.engine.runtime.conftest import ADMIN, CLERK, bundle, make_engine

RETAIL_ADMIN = Actor("ria", frozenset({"admin"}), frozenset({"retail"}))


def queue(store: Store, clock: FrozenClock, topic: str, payload: dict[str, Any], **options: Any) -> int:
    with store.transaction() as tx:
        tx.insert_outbox(topic, payload, clock.now(), **options)
        return int(tx.connection.exec_driver_sql("SELECT max(id) FROM outbox").scalar_one())


def message(store: Store, message_id: int) -> OutboxRow:
    with store.read() as tx:
        found = tx.outbox_message(message_id)
    assert found is not None
    return found


def test_messages_that_keep_failing_never_hold_up_the_ones_written_after_them(
    store: Store, clock: FrozenClock
) -> None:
    """150 messages nobody can deliver, then 10 that can be: a batch of 100 must not take the same
    failing ones again and again (they went straight back to the head of the queue)."""
    engine = make_engine(store, clock)
    with store.transaction() as tx:
        for n in range(150):
            tx.insert_outbox("payments.captured", {"n": n}, clock.now())
        for n in range(10):
            tx.insert_outbox("notifications.order_status", {"n": n}, clock.now())
    delivered: list[int] = []

    def send(topic: str, payload: Any) -> None:
        if topic != "notifications.order_status":
            raise RuntimeError(f"nothing here delivers {topic}")
        delivered.append(payload["n"])

    for _ in range(5):  # five rounds, a second apart
        engine.dispatch_outbox("w1", send, limit=100)
        clock.advance(seconds=1)
    assert sorted(delivered) == list(range(10))
    with store.read() as tx:
        waiting = [tx.outbox_message(i) for i in range(1, 151)]
    assert all(m is not None and m.sent_at is None and m.attempts == 1 for m in waiting)


def test_a_failing_message_backs_off_doubling_to_the_cap_then_is_a_dead_letter(
    store: Store, clock: FrozenClock
) -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=10), max_delay=timedelta(seconds=60), max_attempts=5)
    engine = make_engine(store, clock, outbox_retry=policy)
    message_id = queue(store, clock, "notifications.order_status", {"order_id": 7})

    def down(topic: str, payload: Any) -> None:
        raise TimeoutError("the mail server did not answer")

    waits = []
    for attempt in range(1, 5):
        started = clock.now()
        report = engine.dispatch_outbox("w1", down)
        assert (report.claimed, report.retried, report.dead) == (1, 1, 0)
        after = message(store, message_id)
        assert (after.status, after.attempts, after.claimed_by) == ("pending", attempt, None)
        assert after.last_error == "TimeoutError: the mail server did not answer"
        assert after.next_attempt_at is not None
        waits.append(after.next_attempt_at - started)
        clock.advance(seconds=waits[-1].total_seconds() - 1)
        assert engine.dispatch_outbox("w1", down).claimed == 0  # not before its time
        clock.advance(seconds=1)
    assert waits == [timedelta(seconds=s) for s in (10, 20, 40, 60)]
    report = engine.dispatch_outbox("w1", down)
    assert (report.retried, report.dead) == (0, 1)
    dead = message(store, message_id)
    assert (dead.status, dead.attempts, dead.dead_at, dead.sent_at) == ("dead", 5, clock.now(), None)
    clock.advance(days=30)
    assert engine.dispatch_outbox("w1", down).claimed == 0  # a dead letter is never taken again


def test_the_default_policy_waits_half_a_minute_doubling_to_an_hour_twelve_attempts() -> None:
    policy = RetryPolicy()
    assert [policy.delay(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert policy.delay(10_000) == timedelta(hours=1)
    start = FrozenClock().now()
    assert policy.retry_at(11, start) == start + timedelta(hours=1)
    assert policy.retry_at(12, start) is None
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_undeliverable_is_dead_at_once_and_unreachable_gives_the_rest_of_the_batch_back(
    store: Store, clock: FrozenClock
) -> None:
    engine = make_engine(store, clock)
    ids = [queue(store, clock, "notifications.order_status", {"n": n}) for n in range(6)]
    calls: list[int] = []

    def send(topic: str, payload: Any) -> None:
        calls.append(payload["n"])
        if payload["n"] == 1:
            raise Undeliverable("no recipient", zh="没有收件人")
        if payload["n"] == 3:
            raise Unreachable("the mail server 127.0.0.1:1 cannot be reached", zh="无法连接邮件服务器")

    report = engine.dispatch_outbox("w1", send)
    assert calls == [0, 1, 2, 3]  # 4 and 5 were not tried: they would wait for the same server
    assert (report.sent, report.dead, report.retried, report.released) == (2, 1, 1, 2)
    assert report.unreachable == "the mail server 127.0.0.1:1 cannot be reached"
    rows = [message(store, i) for i in ids]
    assert [r.status for r in rows] == ["sent", "dead", "sent", "pending", "pending", "pending"]
    assert rows[1].last_error == "Undeliverable: no recipient" and rows[1].attempts == 1
    assert rows[3].attempts == 1 and rows[3].next_attempt_at == clock.now() + timedelta(seconds=30)
    for untried in rows[4:]:  # given back as they were: no attempt counted, due now
        assert (untried.attempts, untried.claimed_by, untried.next_attempt_at) == (0, None, clock.now())
    assert sorted(m.id for m in engine.outbox_messages(ADMIN, status="pending")) == ids[3:]


def test_a_stopping_worker_gives_back_what_it_has_not_tried(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    ids = [queue(store, clock, "notifications.order_status", {"n": n}) for n in range(3)]
    sent: list[int] = []
    report = engine.dispatch_outbox(
        "w1", lambda topic, payload: sent.append(payload["n"]), stop=lambda: bool(sent)
    )
    assert (sent, report.sent, report.released) == ([0], 1, 2)
    assert [(m.status, m.claimed_by) for m in (message(store, i) for i in ids)] == [
        ("sent", "w1"),
        ("pending", None),
        ("pending", None),
    ]


def test_a_stopping_worker_lets_go_of_its_claimed_timers_and_messages(
    store: Store, clock: FrozenClock
) -> None:
    engine = make_engine(store, clock)
    engine.publish(bundle("retail-order"))
    engine.create_order(CLERK, "retail", "retail-order", "web", {"customer": "李四", "total": 88})
    queue(store, clock, "notifications.order_status", {"n": 1})
    clock.advance(minutes=30)
    with store.transaction() as tx:
        assert len(tx.claim_due_timers("w1", clock.now(), 10)) == 1
        assert len(tx.claim_outbox("w1", clock.now(), 10)) == 1
    assert engine.release_claims("w2") == (0, 0)  # only what w1 holds, and only by w1
    assert engine.release_claims("w1") == (1, 1)
    assert engine.run_due_timers("w2") == 1  # at once, not after the five minutes of the lease
    assert engine.dispatch_outbox("w2", lambda topic, payload: None).sent == 1


@emits("mail")
@emits("order_noted", deliver=False)
def notify_and_note(ctx: ActionContext) -> Mapping[str, Any] | None:
    ctx.emit("mail", {"order": ctx.order_id})
    ctx.emit("order_noted", {"order": ctx.order_id})
    return None


def test_topics_declared_internal_are_written_for_the_correlation_feed_and_never_delivered(
    store: Store, clock: FrozenClock
) -> None:
    registry = PluginRegistry({"notify": notify_and_note})
    assert dict(registry.topics) == {"mail": True, "order_noted": False}
    engine = Engine(store, registry, clock)
    engine.publish(bundle("retail-order"))
    order_id = engine.create_order(
        CLERK, "retail", "retail-order", "web", {"customer": "李四", "total": 88}
    ).id
    engine.fire(order_id, "pay", CLERK, {"amount": 88, "method": "card"})
    mail, noted = sorted(engine.outbox_messages(ADMIN), key=lambda m: m.id)
    assert (mail.topic, mail.status, mail.department) == ("mail", "pending", "retail")
    assert (noted.topic, noted.status, noted.department, noted.next_attempt_at) == (
        "order_noted",
        "internal",
        "retail",
        None,
    )
    delivered: list[str] = []
    clock.advance(days=1)
    engine.dispatch_outbox("w1", lambda topic, payload: delivered.append(topic))
    assert delivered == ["mail"]
    with store.read() as tx:  # the correlation feed reads both
        assert [m.topic for m in tx.outbox_feed(after_id=0)] == ["mail", "order_noted"]
    with pytest.raises(ConflictError, match="internal event for the correlation feed"):
        engine.replay_outbox([noted.id], ADMIN)


def test_admins_see_their_departments_dead_letters_and_replay_them(store: Store, clock: FrozenClock) -> None:
    engine = make_engine(store, clock)
    retail = queue(store, clock, "notifications.order_status", {"n": 1}, department="retail")
    wholesale = queue(store, clock, "notifications.order_status", {"n": 2}, department="wholesale")
    nobodys = queue(store, clock, "inventory.replenishment_suggested", {"n": 3})
    sent = queue(store, clock, "notifications.order_status", {"n": 4}, department="retail")

    def send(topic: str, payload: Any) -> None:
        if payload["n"] != 4:
            raise Undeliverable("ORDERLOOM_MAIL_TO is not set", zh="未设置 ORDERLOOM_MAIL_TO")

    assert engine.dispatch_outbox("w1", send).dead == 3
    assert {m.id for m in engine.outbox_messages(ADMIN, status="dead")} == {retail, wholesale, nobodys}
    assert [m.id for m in engine.outbox_messages(RETAIL_ADMIN, status="dead")] == [retail]
    assert engine.outbox_counts(RETAIL_ADMIN) == {"pending": 0, "dead": 1}
    assert engine.outbox_counts(ADMIN) == {"pending": 0, "dead": 3}
    # the statuses come back as the enum's members, and a member is taken where a word is
    assert [type(status) for status in engine.outbox_counts(ADMIN)] == [OutboxStatus, OutboxStatus]
    assert {m.status for m in engine.outbox_messages(ADMIN, status=OutboxStatus.DEAD)} == {OutboxStatus.DEAD}
    assert [m.id for m in engine.outbox_messages(RETAIL_ADMIN)] == [sent, retail]
    with pytest.raises(Forbidden) as refused:
        engine.outbox_messages(CLERK)
    assert refused.value.message("zh") == "ann 不是管理员：只有部门管理员可以查看其发件箱"
    with pytest.raises(NotFound, match=f"no outbox message {wholesale}"):
        engine.outbox_message(wholesale, RETAIL_ADMIN)
    with pytest.raises(NotFound):
        engine.replay_outbox([wholesale], RETAIL_ADMIN)
    with pytest.raises(NotFound, match="no outbox status 'lost'"):
        engine.outbox_messages(ADMIN, status="lost")

    with pytest.raises(ConflictError, match="was sent already") as refused_sent:
        engine.replay_outbox([retail, sent], RETAIL_ADMIN)
    china = (clock.now() + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")  # the clock is in UTC
    assert f"was sent already ({china} (UTC+8))" in str(refused_sent.value)
    assert f"已于 {china} (UTC+8) 发出" in refused_sent.value.message("zh")
    assert message(store, retail).status == "dead"  # all or none
    clock.advance(minutes=10)
    assert engine.replay_outbox([retail], RETAIL_ADMIN) == 1
    replayed = message(store, retail)
    assert (replayed.status, replayed.attempts, replayed.dead_at, replayed.next_attempt_at) == (
        "pending",
        0,
        None,
        clock.now(),
    )
    assert (replayed.replayed_by, replayed.replayed_at) == ("ria", clock.now())
    assert replayed.last_error == "Undeliverable: ORDERLOOM_MAIL_TO is not set"  # what happened before
    delivered: list[int] = []
    assert engine.dispatch_outbox("w2", lambda topic, payload: delivered.append(payload["n"])).sent == 1
    assert delivered == [1]

    assert engine.replay_dead_letters(ADMIN, topic="inventory.replenishment_suggested") == 1
    assert engine.replay_dead_letters(ADMIN) == 1  # the wholesale one; the other is pending now
    assert engine.outbox_counts(ADMIN) == {"pending": 2, "dead": 0}


def test_a_message_being_sent_is_not_replayed_and_one_put_off_is_taken_now(
    store: Store, clock: FrozenClock
) -> None:
    engine = make_engine(store, clock)
    message_id = queue(store, clock, "notifications.order_status", {"n": 1})
    with store.transaction() as tx:
        assert len(tx.claim_outbox("w1", clock.now(), 10)) == 1
    with pytest.raises(ConflictError, match="is being sent by w1 now") as refused:
        engine.replay_outbox([message_id], ADMIN)
    assert refused.value.message("zh") == f"发件箱消息 {message_id} 正由 w1 发送：请稍后再试"
    clock.advance(minutes=5)  # w1's lease ran out: it no longer holds it

    def disk_full(topic: str, payload: Any) -> None:
        raise OSError("disk full")

    assert engine.dispatch_outbox("w2", disk_full).retried == 1
    put_off = message(store, message_id)
    assert put_off.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert engine.replay_outbox([message_id], ADMIN) == 1  # retry now, not in half a minute
    assert engine.dispatch_outbox("w2", lambda topic, payload: None).sent == 1


def test_a_dead_letter_this_orderloom_cannot_read_is_listed_and_not_replayed(
    store: Store, clock: FrozenClock
) -> None:
    """Written by a newer OrderLoom: listed, said why, left dead for it; the others replay as ever."""
    engine = make_engine(store, clock)
    ids = [queue(store, clock, "notifications.order_status", {"n": n}, department="retail") for n in range(3)]

    def send(topic: str, payload: Any) -> None:
        raise Undeliverable("ORDERLOOM_MAIL_TO is not set", zh="未设置 ORDERLOOM_MAIL_TO")

    assert engine.dispatch_outbox("w1", send).dead == 3
    newer = ids[1]
    with store.transaction() as tx:
        tx.connection.execute(update(outbox).where(outbox.c.id == newer).values(schema_version=2))

    listed = engine.outbox_messages(RETAIL_ADMIN, status="dead")
    assert [(m.id, m.unreadable is not None) for m in listed] == [
        (ids[2], False),
        (newer, True),
        (ids[0], False),
    ]
    shown = engine.outbox_message(newer, RETAIL_ADMIN)
    assert (shown.status, shown.payload) == ("dead", None)
    with pytest.raises(ConflictError) as refused:
        engine.replay_outbox([ids[0], newer], RETAIL_ADMIN)
    assert str(refused.value) == (
        f"outbox message {newer} has schema_version 2, newer than this OrderLoom reads (up to 1): it was "
        "written by a newer OrderLoom; run that version, or upgrade this one; no worker of this OrderLoom "
        "delivers it: replay it from an OrderLoom that reads it"
    )
    assert refused.value.message("zh").endswith(
        "本版本 OrderLoom 的工作进程不会投递它：请在能读取它的 OrderLoom 中重新发送"
    )
    assert message(store, ids[0]).status == "dead"  # all or none

    assert engine.replay_dead_letters(RETAIL_ADMIN) == 2  # and it ends: the unreadable one stays dead
    assert [m.id for m in engine.outbox_messages(RETAIL_ADMIN, status="dead")] == [newer]
    assert engine.outbox_counts(RETAIL_ADMIN) == {"pending": 2, "dead": 1}
