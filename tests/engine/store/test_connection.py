"""SQLite write transactions begun on the driver keep Core's savepoints and roll back whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from engine.store import Store


def test_sqlite_writes_on_the_driver_keep_core_savepoints_and_roll_back_whole(tmp_path: Path) -> None:
    """Write transactions begin and commit on the SQLite driver; Core used inside joins them."""
    store = Store(f"sqlite:///{tmp_path / 'driver.db'}")
    with store.transaction() as tx:
        tx.connection.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
    # statements on the driver and on Core in one transaction, a savepoint rolled back in between
    with store.transaction() as tx:
        tx.run_statement(text("INSERT INTO t VALUES (1)"))
        tx.connection.execute(text("INSERT INTO t VALUES (2)"))
        with pytest.raises(Exception, match="UNIQUE"), tx.connection.begin_nested():
            tx.connection.execute(text("INSERT INTO t VALUES (3)"))
            tx.connection.execute(text("INSERT INTO t VALUES (1)"))
        tx.run_statement(text("INSERT INTO t VALUES (4)"))
    # a failure after both kinds of statement leaves nothing of either
    with pytest.raises(RuntimeError, match="refused"), store.transaction() as tx:
        tx.run_statement(text("INSERT INTO t VALUES (5)"))
        tx.connection.execute(text("INSERT INTO t VALUES (6)"))
        raise RuntimeError("refused")
    with pytest.raises(RuntimeError, match="refused"), store.transaction() as tx:
        tx.run_statement(text("INSERT INTO t VALUES (7)"))  # the driver's transaction alone
        raise RuntimeError("refused")
    with store.transaction() as tx:
        assert not tx.connection.in_transaction()  # SQLAlchemy's state agrees with the driver's
        rows = tx.run_statement(text("SELECT x FROM t ORDER BY x")).fetchall()
    assert [r[0] for r in rows] == [1, 2, 4]
    with store.engine.connect() as other:  # another connection sees exactly what was committed
        assert other.execute(text("SELECT count(*) FROM t")).scalar() == 3
    store.dispose()
