"""Publishing (engine/runtime/publishing.py): the stored bundle is a JSON document that reads back to the
same bundle and spec."""

from __future__ import annotations

import pytest

from engine.dsl.compiler import Bundle, compile_bundle
from engine.runtime import Engine
from engine.store import Store
from engine.store.versions import VersionMeta
from tests.engine.runtime.conftest import CLERK, bundle

NAMES = ["retail-order", "wholesale-order", "audited-order", "versions/retail-order-gift"]


@pytest.mark.parametrize("name", NAMES)
def test_bundle_round_trips_through_the_json_column(engine: Engine, store: Store, name: str) -> None:
    original = bundle(name)
    published = engine.publish(original)
    with store.read() as tx:
        row = tx.version(original.name, published.version)
    assert row is not None and row.content_hash == original.content_hash
    stored = row.bundle["bundle"]
    assert isinstance(stored, dict)  # a document, not a string holding one
    again = Bundle.from_json(stored)
    assert again == original and again.content_hash == original.content_hash
    assert Bundle.from_json(again.to_json()) == original
    # The order of states is what people see: it survives both databases' JSON columns.
    assert list(again.workflow["states"]) == list(original.workflow["states"])
    assert engine.spec(original.name, published.version) == compile_bundle(original, published.version)


def test_publishing_the_same_content_again_keeps_its_version(engine: Engine) -> None:
    again = engine.publish(bundle("audited-order"))
    assert (again.version, again.created) == (1, False)


def test_a_version_stored_as_a_json_string_still_loads(engine: Engine, store: Store) -> None:
    """Versions published before the bundle was stored as a document held ``to_json()``'s text."""
    legacy = bundle("versions/retail-order-gift")
    with store.transaction() as tx:
        tx.insert_version(
            workflow=legacy.name,
            version=2,
            content_hash=legacy.content_hash,
            department=legacy.department,
            bundle={"schema_version": 1, "bundle": legacy.to_json()},
            at=engine.clock.now(),
            published_by=None,
        )
    order = engine.create_order(CLERK, "retail", "retail-order", "web", {"customer": "王五", "total": 0})
    assert (order.version, order.state) == (2, "paid")
    assert "gift_wrap" in engine.spec("retail-order", 2).state_names


def test_an_older_versions_content_is_published_again_as_the_next_version(
    engine: Engine, store: Store
) -> None:
    """A rollback: what v1 held, published after v2, becomes v3 (new orders start on it), with its
    note; the newest content published again still keeps its number."""
    first = bundle("retail-order")
    second = bundle("versions/retail-order-gift")
    assert engine.publish(first).version == 1
    assert engine.publish(second).version == 2
    again = engine.publish(first, meta=VersionMeta(note="back to v1", drafted_by="ma.li", sources={"a": "b"}))
    assert (again.version, again.created) == (3, True)
    assert (engine.publish(first).version, engine.publish(first).created) == (3, False)
    with store.read() as tx:
        row = tx.version("retail-order", 3)
        assert row is not None
        assert (row.note, row.drafted_by, row.approved_by) == ("back to v1", "ma.li", None)
        assert tx.version_sources("retail-order", 3) == {"a": "b"}
        assert tx.version_sources("retail-order", 1) is None  # published without its texts
