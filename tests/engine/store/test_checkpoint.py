"""WAL checkpoints run off the committing request, on file-backed SQLite only."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from engine.store import Store
from engine.store.checkpoint import WAL_AUTOCHECKPOINT_PAGES


def test_sqlite_checkpoints_the_wal_off_the_committing_request(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'wal.db'}")
    with store.transaction() as tx:
        tx.connection.execute(text("CREATE TABLE t (x TEXT)"))
    for _ in range(50):
        with store.transaction() as tx:
            tx.connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": "x" * 2000})
    with store.read() as tx:
        # SQLite's own checkpoint on commit stays on underneath, so the WAL stays bounded
        assert tx.connection.execute(text("PRAGMA wal_autocheckpoint")).scalar() == WAL_AUTOCHECKPOINT_PAGES
        assert tx.connection.execute(text("SELECT count(*) FROM t")).scalar() == 50
    # this store's thread (other tests' stores may still have theirs until they are collected)
    assert store._checkpointer is not None
    thread = store._checkpointer._thread
    assert thread is not None and thread.name == "orderloom-wal-checkpoint" and thread.is_alive()
    store.dispose()
    assert not thread.is_alive()


def test_in_memory_sqlite_has_no_checkpointer() -> None:
    store = Store("sqlite://")
    with store.transaction() as tx:
        tx.connection.execute(text("SELECT 1"))
    assert store._checkpointer is None
    store.dispose()
