"""Idempotency keys, beside the outbox and the published versions a step writes with them."""

from __future__ import annotations

from engine.store import Store
from tests.engine.store.support import NOW, retail_order


def test_idempotency_outbox_and_versions(store: Store) -> None:
    order_id = retail_order(store)
    with store.transaction() as tx:
        tx.put_idempotent("ann", "k1", order_id, {"to": "paid"}, NOW)
        tx.insert_outbox("mail", {"to": "a@example.com"}, NOW)
        tx.insert_version(
            workflow="w",
            version=1,
            content_hash="h1",
            department="retail",
            bundle={"a": 1},
            at=NOW,
            published_by=None,
        )
    with store.transaction() as tx:
        assert tx.get_idempotent("ann", "k1") == {"to": "paid"}
        assert tx.get_idempotent("bob", "k1") is None
        [(outbox_id, topic, payload)] = tx.pending_outbox()
        assert (topic, payload) == ("mail", {"to": "a@example.com"})
        assert [m.id for m in tx.claim_outbox("w1", NOW, 10)] == [outbox_id]
        assert tx.outbox_sent(outbox_id, "w1", NOW)
        assert tx.pending_outbox() == []
        latest = tx.latest_version("w")
        assert latest is not None and latest.bundle == {"a": 1}
        assert tx.version_by_hash("w", "h1") == latest
        assert tx.version("w", 2) is None
