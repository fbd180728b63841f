"""Stored JSON documents read through named upgrade steps: every kind at its version, a version this code
does not know as a clear error naming the row (never a KeyError), and the steps' order."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Table, insert, select, update

from engine.errors import EngineError, StoredDocumentError
from engine.store import Store, UnreadableRow
from engine.store.documents import (
    AUDIT_EVENT,
    CORRELATION_MATCH,
    IDEMPOTENT_RESULT,
    KINDS,
    ORDER_DATA,
    OUTBOX_PAYLOAD,
    STOCK_REQUEST_RESULT,
    WORKFLOW_BUNDLE,
    DocumentKind,
    Upgrade,
    bundle_of,
    read,
)
from engine.store.stock_requests import keep_request, stored_request
from engine.store.tables import (
    audit_events,
    correlation_matches,
    idempotency,
    orders,
    outbox,
    stock_requests,
    workflow_versions,
)
from tests.engine.store.support import NOW, bare_order

BUNDLE = {"schema_version": 1, "bundle": {"schema_version": 1, "workflow": {"workflow": "w"}, "forms": {}}}


EVENT = {
    "data_changes": {"total": [None, 239]},
    "guards": [{"when": "order.total > 0", "result": True}],
    "rules": {"ruleset": "retail-audit", "outcome": "approve"},
}


def stored_rows(store: Store, audit_version: int = 1) -> int:
    """One row of every kind of stored document, as the runtime writes them; the order's id. The audit
    trail is append-only: an event of another version is written so, as a newer OrderLoom would."""
    with store.transaction() as tx:
        order_id = bare_order(tx, "paid", data={"total": 239, "客户": "王芳"})
        event = {"order_id": order_id, "seq": 1, "at": NOW, "actor": "li.na", "trigger": "create"}
        tx.connection.execute(
            insert(audit_events).values(**event, to_state="paid", **EVENT, schema_version=audit_version)
        )
        tx.put_idempotent("li.na", "pay-1", order_id, {"order_id": order_id, "schema_version": 1}, NOW)
        tx.insert_outbox("payments.captured", {"order_id": order_id, "amount": "239.00"}, NOW)
        made = {"sku": "XM-BAND8", "warehouse": "SH-01"}
        keep_request(tx.connection, "zhao.lei", "form-1", "receive", "0" * 64, made, NOW)
        tx.insert_version(
            workflow="w",
            version=1,
            content_hash="h1",
            department="retail",
            bundle=BUNDLE,
            at=NOW,
            published_by="admin",
        )
        tx.insert_correlation_match(
            feed="f",
            ruleset="retail-fraud",
            version="1",
            pattern="p",
            key="13812345678",
            at=NOW,
            events=[{"id": 1}],
            actions=[{"trigger": "hold"}],
        )
    return order_id


def read_back(store: Store, order_id: int) -> dict[str, Any]:
    """Every stored document read back through the repository, by kind."""
    with store.read() as tx:
        order = tx.load_order(order_id)
        [event] = tx.history(order_id)
        result = tx.get_idempotent("li.na", "pay-1")
        [(_id, _topic, payload)] = tx.pending_outbox()
        version = tx.version("w", 1)
        [match] = tx.correlation_matches("f", NOW)
        stocked = stored_request(tx.connection, "zhao.lei", "form-1")
    assert stocked is not None
    if isinstance(match, UnreadableRow):  # listed in its place, for the feed to say (and go on)
        raise match.error
    assert order is not None and version is not None
    return {
        ORDER_DATA.name: order.data,
        AUDIT_EVENT.name: (event.data_changes, event.guards, event.rules),
        IDEMPOTENT_RESULT.name: result,
        STOCK_REQUEST_RESULT.name: stocked.result,
        OUTBOX_PAYLOAD.name: payload,
        WORKFLOW_BUNDLE.name: version.bundle,
        CORRELATION_MATCH.name: (match["events"], match["actions"]),
    }


def test_every_kind_of_stored_document_is_read_at_its_version(store: Store) -> None:
    order_id = stored_rows(store)
    assert read_back(store, order_id) == {
        "order_data": {"total": 239, "客户": "王芳"},
        "audit_event": (
            {"total": [None, 239]},
            [{"when": "order.total > 0", "result": True}],
            {"ruleset": "retail-audit", "outcome": "approve"},
        ),
        "idempotent_result": {"order_id": order_id, "schema_version": 1},
        "stock_request_result": {"sku": "XM-BAND8", "warehouse": "SH-01"},
        "outbox_payload": {"order_id": order_id, "amount": "239.00"},
        "workflow_bundle": BUNDLE,
        "correlation_match": ([{"id": 1}], [{"trigger": "hold"}]),
    }
    assert set(KINDS) == set(read_back(store, order_id))  # every kind the registry has is stored here


TABLES: dict[str, tuple[Table, str]] = {
    "order_data": (orders, "the data of order {order_id}"),
    "audit_event": (audit_events, "audit event 1 of order {order_id}"),
    "idempotent_result": (idempotency, "the result stored for idempotency key 'pay-1' of li.na"),
    "outbox_payload": (outbox, "outbox message 1"),
    "stock_request_result": (stock_requests, "the result stored for stock request 'form-1' of zhao.lei"),
    "workflow_bundle": (workflow_versions, "the bundle of workflow w v1"),
    "correlation_match": (correlation_matches, "correlation match 1"),
}


@pytest.mark.parametrize("kind", sorted(TABLES))
def test_a_version_newer_than_this_code_reads_is_a_clear_error_naming_the_row(
    store: Store, kind: str
) -> None:
    table, where = TABLES[kind]
    order_id = stored_rows(store, audit_version=2 if table is audit_events else 1)
    if table is not audit_events:
        with store.transaction() as tx:
            tx.connection.execute(update(table).values(schema_version=2))
    with pytest.raises(StoredDocumentError) as caught:
        read_back(store, order_id)
    error = caught.value
    assert (error.kind, error.version) == (kind, 2)
    named = where.format(order_id=order_id)
    assert error.message("en") == (
        f"{named} has schema_version 2, newer than this OrderLoom reads (up to 1): it was written by a "
        "newer OrderLoom; run that version, or upgrade this one"
    )
    assert "的 schema_version 为 2，比本版本 OrderLoom 能读取的（最高 1）更新" in error.message("zh")
    assert isinstance(error, EngineError)


@pytest.mark.parametrize("version", [0, -1])
def test_a_version_no_orderloom_writes_says_the_row_was_changed(store: Store, version: int) -> None:
    order_id = stored_rows(store)
    with store.transaction() as tx:
        tx.connection.execute(update(orders).values(schema_version=version))
    with pytest.raises(StoredDocumentError, match=f"has schema_version {version}, which no OrderLoom writes"):
        read_back(store, order_id)


def test_upgrade_steps_run_in_order_from_the_stored_version() -> None:
    def money_as_text(document: Any) -> Any:
        return {**document, "total": f"{document['total']:.2f}"}

    def total_in_a_record(document: Any) -> Any:
        rest = {key: value for key, value in document.items() if key != "total"}
        return {**rest, "amounts": {"total": document["total"]}}

    kind = DocumentKind(
        "order_data",
        "the data of order {where}",
        "订单 {where} 的数据",
        current=3,
        upgrades=(
            Upgrade("money-as-text", 2, money_as_text),
            Upgrade("total-in-a-record", 3, total_in_a_record),
        ),
    )
    first = {"total": 239, "customer": "王芳"}
    assert read(kind, 1, first, 5) == {"customer": "王芳", "amounts": {"total": "239.00"}}
    assert read(kind, 2, {"total": "239.00"}, 5) == {"amounts": {"total": "239.00"}}
    current = {"amounts": {"total": "1.00"}}
    assert read(kind, 3, current, 5) is current  # the current version is read as it is
    assert first == {"total": 239, "customer": "王芳"}  # steps make new documents
    with pytest.raises(StoredDocumentError, match="schema_version 4, newer than this OrderLoom reads"):
        read(kind, 4, current, 5)
    with pytest.raises(StoredDocumentError, match="schema_version None, which no OrderLoom writes"):
        read(kind, None, current, 5)
    with pytest.raises(ValueError, match="the upgrades must lead from 1 to 3"):
        DocumentKind("x", "x", "x", current=3, upgrades=(Upgrade("only-to-3", 3, money_as_text),))


def test_a_bundle_reads_as_a_document_or_as_the_json_text_of_older_rows() -> None:
    inner = BUNDLE["bundle"]
    assert bundle_of(BUNDLE, "w v1") == inner
    assert bundle_of({"schema_version": 1, "bundle": json.dumps(inner)}, "w v1") == inner


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        (
            {"schema_version": 1},
            "the bundle of workflow w v1 is not the shape its schema_version 1 describes",
        ),
        ({"schema_version": 1, "bundle": "{not json"}, "is not the shape its schema_version 1 describes"),
        ([1, 2], "is not the shape its schema_version 1 describes"),
        (
            {"schema_version": 1, "bundle": {"schema_version": 2, "workflow": {}}},
            r"written in version 2 of the definition language, which this OrderLoom does not read \(it reads",
        ),
    ],
)
def test_a_bundle_of_another_shape_is_a_clear_error(stored: Any, message: str) -> None:
    with pytest.raises(StoredDocumentError, match=message) as caught:
        bundle_of(stored, "w v1")
    assert caught.value.message("zh").startswith("流程 w v1 的定义包")


def test_a_worker_gives_back_an_outbox_message_it_cannot_read(store: Store) -> None:
    stored_rows(store)
    with store.transaction() as tx:
        tx.insert_outbox("notifications.order_status", {"order_id": 1}, NOW)
        tx.connection.execute(update(outbox).where(outbox.c.id == 1).values(schema_version=2))
    with store.transaction() as tx:
        claimed = tx.claim_outbox("old-worker", NOW, 10)
    assert [(m.id, m.topic) for m in claimed] == [(2, "notifications.order_status")]
    with store.read() as tx:
        unread = tx.connection.execute(select(outbox.c.claimed_by).where(outbox.c.id == 1)).scalar_one()
    assert unread is None  # left for a worker that reads version 2, not held for a lease
