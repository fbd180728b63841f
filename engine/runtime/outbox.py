"""Delivering the outbox: claims, back-off, dead letters, and what operators see and replay.

A message is ``pending`` until a worker delivered it (``sent``) or gave up on it (``dead``); an
``internal`` one is an event for the correlation feed alone and is never delivered. A worker claims the
pending messages whose ``next_attempt_at`` has come, earliest first, and hands each to ``send(topic,
payload)`` outside any transaction. What ``send`` raises decides what happens next:

* nothing: the message is marked ``sent``;
* :class:`Undeliverable` (no delivery for its topic, no recipient, a payload that cannot be read): trying
  again cannot help, so it is dead at once;
* :class:`Unreachable` (the mail server does not answer): this attempt counts, and the rest of the
  batch is given back untried (no attempt counted), since each would wait for the same server; the
  report says so and the worker pauses delivery for the policy's first delay;
* anything else: a failed attempt. The message is put off by the :class:`RetryPolicy` (30 s, doubling,
  at most an hour) and is dead after ``max_attempts`` attempts.

A failing message is put off, never back at the head of the queue, so it never holds up the messages
written after it. Dead letters stay until an operator replays them (``Engine.replay_outbox``): their
attempts start again from none, and who replayed them is kept. A message whose payload this OrderLoom
cannot read (written by a newer one) is listed and shown with why (``OutboxMessage.unreadable``), but
not replayed here: no worker of this OrderLoom would deliver it. Operators are the admins (role
``admin``) of a department, who see the messages of their departments' orders; an admin of every
department (``*``) sees all of them, messages of no department too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.clock import CHINA_TIME, Clock
from engine.errors import ConflictError, EngineError, Forbidden, NotFound
from engine.runtime.actor import Actor
from engine.store import OutboxRow, Store
from engine.store.statuses import OUTBOX_STATUSES, OutboxStatus

ADMIN_ROLE = "admin"
Send = Callable[[str, Any], None]

__all__ = [
    "ADMIN_ROLE",
    "OUTBOX_STATUSES",
    "DispatchReport",
    "OutboxMessage",
    "OutboxStatus",
    "RetryPolicy",
    "Undeliverable",
    "Unreachable",
]

OutboxMessage = OutboxRow


class Undeliverable(EngineError):
    """This message can never be delivered as it is: it is a dead letter at once (an operator may
    replay it once what was missing is there, a recipient, a delivery for its topic)."""


class Unreachable(EngineError):
    """Where the message goes cannot be reached now (the mail server is down): the rest of the batch
    is given back untried."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long a failed message waits before its next attempt: ``first_delay`` after the first
    failure, twice as long after each next one, never more than ``max_delay``; after ``max_attempts``
    attempts it is dead."""

    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    max_attempts: int = 12

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ValueError("first_delay must be positive and max_delay at least first_delay")

    def delay(self, attempts: int) -> timedelta:
        """The wait after ``attempts`` failed attempts (1 for the first)."""
        doublings = min(max(attempts - 1, 0), 32)  # 2**32 times any delay is past the cap already
        return min(self.first_delay * (1 << doublings), self.max_delay)

    def retry_at(self, attempts: int, now: datetime) -> datetime | None:
        """When to try again after ``attempts`` failed attempts; None when the message is given up."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay(attempts)


@dataclass
class DispatchReport:
    """What one ``dispatch_outbox`` round did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # failed, to be tried again later
    dead: int = 0  # given up: dead letters
    released: int = 0  # given back untried: their destination was unreachable
    lost: int = 0  # claims another worker took over while this one was sending (lease too short)
    unreachable: str | None = None  # why the destination could not be reached, when it could not
    errors: list[tuple[int, str]] = field(default_factory=list)  # (message id, error) of each failure


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def dispatch(
    store: Store,
    clock: Clock,
    worker_id: str,
    send: Send,
    *,
    limit: int,
    lease: timedelta,
    policy: RetryPolicy,
    stop: Callable[[], bool] | None = None,
) -> DispatchReport:
    """One round of delivery (module docstring); ``Engine.dispatch_outbox`` is the entry point. When
    ``stop()`` turns true (the worker is asked to stop), the messages not yet tried are given back."""
    now = clock.now()
    with store.transaction() as tx:
        claimed = tx.claim_outbox(worker_id, now, limit, lease)
    report = DispatchReport(claimed=len(claimed))
    for index, message in enumerate(claimed):
        if stop is not None and stop():
            with store.transaction() as tx:
                report.released += sum(tx.outbox_release(m.id, worker_id) for m in claimed[index:])
            break
        try:
            send(message.topic, message.payload)
        except Undeliverable as error:
            _failed(store, message, worker_id, _error_text(error), clock.now(), None, report)
        except Exception as error:  # any failure of the receiver: recorded on the row, tried again later
            at = clock.now()
            retry_at = policy.retry_at(message.attempts + 1, at)
            _failed(store, message, worker_id, _error_text(error), at, retry_at, report)
            if isinstance(error, Unreachable):  # the server is down: the rest of the batch waits for it
                report.unreachable = str(error)
                with store.transaction() as tx:
                    report.released += sum(tx.outbox_release(m.id, worker_id) for m in claimed[index + 1 :])
                break
        else:
            with store.transaction() as tx:
                if tx.outbox_sent(message.id, worker_id, clock.now()):
                    report.sent += 1
                else:
                    report.lost += 1
    return report


def _failed(
    store: Store,
    message: OutboxRow,
    worker_id: str,
    error: str,
    at: datetime,
    retry_at: datetime | None,
    report: DispatchReport,
) -> None:
    with store.transaction() as tx:
        recorded = tx.outbox_failed(message.id, worker_id, error, at, retry_at)
    report.errors.append((message.id, error))
    if not recorded:
        report.lost += 1
    elif retry_at is None:
        report.dead += 1
    else:
        report.retried += 1


# -- what operators see and do --------------------------------------------------------------------


def operator_scope(actor: Actor) -> frozenset[str] | None:
    """The departments whose messages ``actor`` sees (None: every message); ``Forbidden`` for anyone
    but an admin (or the engine itself)."""
    if not (actor.is_system or ADMIN_ROLE in actor.roles):
        raise Forbidden(
            f"{actor.name} is not an admin: only a department's admin sees its outbox",
            zh=f"{actor.name} 不是管理员：只有部门管理员可以查看其发件箱",
        )
    return actor.scope


def outbox_status(status: str | None) -> OutboxStatus | None:
    """The :class:`OutboxStatus` a caller names (a page's tab, the CLI's ``--status``); ``NotFound``
    naming the statuses there are for any other word."""
    if status is None:
        return None
    try:
        return OutboxStatus(status)
    except ValueError:
        known = ", ".join(OUTBOX_STATUSES)
        raise NotFound(
            f"no outbox status {status!r}; the statuses are {known}",
            zh=f"没有发件箱状态 {status!r}；可用的状态为 {known}",
        ) from None


def visible_message(store: Store, message_id: int, actor: Actor) -> OutboxRow:
    """The message, if ``actor`` may see it; ``NotFound`` otherwise (as for a message that is not there)."""
    scope = operator_scope(actor)
    with store.read() as tx:
        message = tx.outbox_message(message_id)
    if message is None or (scope is not None and message.department not in scope):
        raise NotFound(f"no outbox message {message_id}", zh=f"没有发件箱消息 {message_id}")
    return message


def replay(store: Store, clock: Clock, message_ids: Sequence[int], actor: Actor, lease: timedelta) -> int:
    """Send these messages back to be delivered now (each must be dead or pending and not being sent,
    and readable by this OrderLoom): all of them or, with the first that cannot be, none. Returns how
    many."""
    messages = [visible_message(store, message_id, actor) for message_id in message_ids]
    for message in messages:
        if message.unreadable is not None:
            raise _unreadable(message)
    now = clock.now()
    with store.transaction() as tx:
        for message in messages:
            if not tx.outbox_replay(message.id, actor.name, now, lease):
                current = tx.outbox_message(message.id)
                raise _not_replayable(current or message)
    return len(messages)


def replay_dead(store: Store, clock: Clock, actor: Actor, topic: str | None, lease: timedelta) -> int:
    """Send every dead letter ``actor`` sees (of ``topic`` when given) back to be delivered now, but
    those this OrderLoom cannot read: no worker of it would deliver them, so they stay dead (and listed
    as unreadable) for the OrderLoom that wrote them."""
    scope = operator_scope(actor)
    now = clock.now()
    replayed = kept = 0  # kept: dead letters left dead, which the next page of the list starts after
    with store.transaction() as tx:
        while True:
            dead = tx.outbox_list(
                departments=scope, status=OutboxStatus.DEAD, topic=topic, limit=500, offset=kept
            )
            if not dead:
                return replayed
            for message in dead:
                if message.unreadable is None and tx.outbox_replay(message.id, actor.name, now, lease):
                    replayed += 1
                else:
                    kept += 1


def _unreadable(message: OutboxRow) -> ConflictError:
    why = message.unreadable
    assert why is not None
    return ConflictError(
        f"{why}; no worker of this OrderLoom delivers it: replay it from an OrderLoom that reads it",
        zh=f"{why.message('zh')}；本版本 OrderLoom 的工作进程不会投递它：请在能读取它的 OrderLoom 中重新发送",
    )


def _not_replayable(message: OutboxRow) -> ConflictError:
    if message.status is OutboxStatus.SENT:
        # China time, as every page shows times, to the second
        when = (
            f"{message.sent_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S} (UTC+8)" if message.sent_at else "?"
        )
        return ConflictError(
            f"outbox message {message.id} was sent already ({when}): nothing to replay",
            zh=f"发件箱消息 {message.id} 已于 {when} 发出：无需重发",
        )
    if message.status is OutboxStatus.INTERNAL:
        return ConflictError(
            f"outbox message {message.id} is an internal event for the correlation feed: nothing delivers it",
            zh=f"发件箱消息 {message.id} 是供事件关联读取的内部事件：不会投递",
        )
    return ConflictError(
        f"outbox message {message.id} is being sent by {message.claimed_by} now: try again in a moment",
        zh=f"发件箱消息 {message.id} 正由 {message.claimed_by} 发送：请稍后再试",
    )
