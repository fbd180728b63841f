"""The studio's record (工作室记录): one writer for its lines, whoever writes one — the studio's drafts and
publishing (``engine.runtime.studio``), a department's users (``engine.runtime.department_users``) and
the batches of a migration (``engine.runtime.studio_migration``) — so every line says when it was
written by the same clock and names who did it the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.clock import Clock
from engine.runtime.actor import Actor
from engine.store import Tx
from engine.store.studio import record_event

__all__ = ["StudioAction", "record"]


class StudioAction:
    """What the studio's record says was done (``studio_events.action``)."""

    SAVE = "save"
    SUBMIT = "submit"  # asked a second admin to approve (four eyes)
    PUBLISH = "publish"
    ROLLBACK = "rollback"
    DISCARD = "discard"  # went back to the published text; the draft's revisions stay readable
    WITHDRAW = "withdraw"  # the submitter took a draft back from approval
    SEND_BACK = "send_back"  # another admin returned a submitted draft to its writer, with why
    FOUR_EYES = "four_eyes"
    MIGRATE = "migrate"
    USER = "user"


def record(
    tx: Tx,
    clock: Clock,
    department: str,
    actor: Actor,
    action: str,
    subject: str,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """One line of ``department``'s studio record in ``tx``, at ``clock``'s now, by ``actor``: ``action``
    done to ``subject`` (a file, a workflow, a user), with ``detail``; the line's id."""
    return record_event(
        tx,
        department=department,
        at=clock.now(),
        actor=actor.name,
        action=action,
        subject=subject,
        detail=detail,
    )
