"""The studio's rows (engine/store/studio.py): a department's record read a page at a time by keyset,
newest first, with the ids to read the older and the newer page; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from engine.store import Store
from engine.store.studio import (
    DraftRow,
    SaveConflict,
    draft_revision,
    draft_revisions_of,
    record_event,
    save_draft,
    studio_events_page,
)
from tests.engine.store.support import NOW


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    store = Store(url)
    store.upgrade()
    yield store
    store.dispose()


def record(store: Store, department: str, n: int) -> list[int]:
    """``n`` events of ``department``, interleaved with as many of another department; their ids."""
    ids = []
    with store.transaction() as tx:
        for i in range(n):
            at = NOW + timedelta(minutes=i)
            ids.append(
                record_event(tx, department=department, at=at, actor="ma.li", action="save", subject=f"f{i}")
            )
            record_event(tx, department="other", at=at, actor="xu.jie", action="save", subject=f"g{i}")
    return ids


def test_the_record_is_read_a_page_at_a_time_both_ways(store: Store) -> None:
    ids = record(store, "retail", 75)
    newest = studio_events_page(store, "retail", limit=30)
    assert [e.id for e in newest.events] == ids[::-1][:30]
    assert newest.newer is None and newest.older == ids[45]
    assert {e.department for e in newest.events} == {"retail"}

    second = studio_events_page(store, "retail", before=newest.older, limit=30)
    assert [e.id for e in second.events] == ids[::-1][30:60]
    assert (second.newer, second.older) == (ids[44], ids[15])
    last = studio_events_page(store, "retail", before=second.older, limit=30)
    assert [e.id for e in last.events] == ids[::-1][60:]
    assert last.older is None and last.newer == ids[14]

    back = studio_events_page(store, "retail", after=last.newer, limit=30)
    assert back == second
    # Fewer than a page newer than the id asked: the newest page, full.
    assert studio_events_page(store, "retail", after=ids[60], limit=30) == newest
    assert studio_events_page(store, "retail", after=ids[-1], limit=30) == newest


def test_a_department_without_a_record_has_an_empty_page(store: Store) -> None:
    record(store, "retail", 3)
    empty = studio_events_page(store, "wholesale")
    assert (list(empty.events), empty.older, empty.newer) == ([], None, None)
    whole = studio_events_page(store, "retail")
    assert len(whole.events) == 3 and whole.older is None and whole.newer is None


def test_each_revision_of_a_draft_is_read_by_its_id_its_own_draft_only(store: Store) -> None:
    """A refused conflicting save is kept under the revision it met: its id tells it apart and reads it
    back; an id of another draft's revision reads nothing."""
    common = {"department": "retail", "base_hash": "b", "at": NOW}
    first = save_draft(store, path="a.yaml", text="one\n", seen_revision=0, author="ma.li", **common)
    assert isinstance(first, DraftRow)
    refused = save_draft(store, path="a.yaml", text="theirs\n", seen_revision=0, author="he.tao", **common)
    assert isinstance(refused, SaveConflict)
    other = save_draft(store, path="b.yaml", text="other\n", seen_revision=0, author="ma.li", **common)
    assert isinstance(other, DraftRow)
    history = draft_revisions_of(store, first.id)
    assert [(r.revision, r.outcome) for r in history] == [(1, "conflict"), (1, "saved")]
    assert history[0].id != history[1].id
    for row in history:
        assert draft_revision(store, first.id, row.id) == row
    (others,) = draft_revisions_of(store, other.id)
    assert draft_revision(store, first.id, others.id) is None
    assert draft_revision(store, other.id, others.id) == others
