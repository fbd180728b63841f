"""The statuses a queued row goes through, as enums: a timer's and an outbox message's.

Each member is the very string the ``status`` column stores (``StrEnum``: a member equals its string),
so rows written before these enums read back unchanged, and the tables' ``CHECK`` constraints and
partial indexes are written from the same members.
"""

from __future__ import annotations

from enum import StrEnum


class TimerStatus(StrEnum):
    """A timer is ``scheduled`` until it fires or is cancelled (its state left, its ``when`` no longer
    holding, its trigger refused)."""

    SCHEDULED = "scheduled"
    FIRED = "fired"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """An outbox message is ``pending`` until delivered (``sent``) or given up on (``dead``, a dead
    letter an operator can replay); an ``internal`` one is an event written for the correlation feed
    alone, never delivered."""

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"
    INTERNAL = "internal"


def sql_list(statuses: type[StrEnum]) -> str:
    """The members of ``statuses`` as an SQL list of literals: ``'pending', 'sent', …``."""
    return ", ".join(f"'{status.value}'" for status in statuses)


# The outbox statuses in the order the pages and the CLI name them.
OUTBOX_STATUSES: tuple[OutboxStatus, ...] = tuple(OutboxStatus)

__all__ = ["OUTBOX_STATUSES", "OutboxStatus", "TimerStatus", "sql_list"]
