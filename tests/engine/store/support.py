"""What the store's tests share: a moment, and an order row with nothing behind it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from engine.store.store import Tx

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def bare_order(
    tx: Tx,
    state: str = "created",
    *,
    department: str = "retail",
    workflow: str = "w",
    channel: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """An order row as a migration or a store test needs one: version 1, no workflow published, no audit
    event; its id."""
    return tx.insert_order(
        department=department,
        workflow=workflow,
        version=1,
        channel=channel,
        state=state,
        data=data or {},
        final=False,
        at=NOW,
    )
