"""The audit trail: appended, never changed."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from engine.store import Store
from engine.store.tables import audit_events
from tests.engine.store.support import NOW, retail_order


def test_audit_trail_refuses_update_and_delete(store: Store) -> None:
    order_id = retail_order(store)
    with store.transaction() as tx:
        tx.insert_audit(
            order_id=order_id,
            seq=1,
            at=NOW,
            actor="ann",
            trigger="create",
            from_state=None,
            to_state="pending_payment",
            data_changes={"total": [None, 12]},
            guards=[],
            rules=None,
            reason=None,
        )
    for statement in (
        update(audit_events).values(actor="mallory"),
        audit_events.delete(),
        text("DELETE FROM audit_events"),
    ):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.execute(statement)
    with store.read() as tx:
        assert [e.actor for e in tx.history(order_id)] == ["ann"]
