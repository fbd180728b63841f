from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import bindparam, func, insert, select, text, update

from engine.errors import ContentionError, StoredDocumentError
from engine.store import INTEGRITY_ERRORS, PreparedStatements, Store, lock_stock
from engine.store.checkpoint import WAL_AUTOCHECKPOINT_PAGES
from engine.store.connection import IDLE_CONNECTIONS
from engine.store.tables import audit_events, outbox, stock
from tests.engine.store.support import NOW, bare_order


def _order(store: Store) -> int:
    with store.transaction() as tx:
        return bare_order(
            tx, "pending_payment", workflow="retail-order", channel="web", data={"total": 12, "名字": "张三"}
        )


def test_order_round_trip_and_lock_version(store: Store) -> None:
    order_id = _order(store)
    with store.transaction() as tx:
        row = tx.load_order(order_id)
        assert row is not None
        assert (row.state, row.data, row.lock_version, row.created_at) == (
            "pending_payment",
            {"total": 12, "名字": "张三"},
            1,
            NOW,
        )
        common = {"state": "paid", "data": {"total": 12}, "version": 1, "final": False, "at": NOW}
        assert tx.update_order(order_id, expected_lock_version=1, **common)
        assert not tx.update_order(order_id, expected_lock_version=1, **common)
    with store.read() as tx:
        row = tx.load_order(order_id)
        assert row is not None and row.lock_version == 2 and row.state == "paid"
        assert tx.load_order(order_id + 100) is None


def test_an_id_or_version_no_row_can_hold_finds_nothing(store: Store) -> None:
    order_id = _order(store)
    with store.read() as tx:
        for wanted in (99999999999999999999999, 2**63, -(2**63) - 1, 0, -order_id):
            assert tx.load_order(wanted) is None, wanted
            assert tx.version("retail-order", wanted) is None, wanted
            assert tx.outbox_message(wanted) is None, wanted
        assert tx.load_order(order_id) is not None


def test_an_outbox_message_whose_payload_this_code_cannot_read_is_listed_saying_why(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert_outbox("payments.captured", {"order_id": 1}, NOW, department="retail")
        tx.insert_outbox("payments.captured", {"order_id": 2}, NOW, department="retail")
        tx.connection.execute(update(outbox).where(outbox.c.id == 1).values(schema_version=2))
    with store.read() as tx:
        second, first = tx.outbox_list(departments=None)  # newest first
        shown = tx.outbox_message(1)
    with store.transaction() as tx:
        assert [m.id for m in tx.claim_outbox("w1", NOW, 10)] == [2]  # no worker gets it to deliver
    assert (second.id, second.payload, second.unreadable) == (2, {"order_id": 2}, None)
    assert (first.id, first.topic, first.status, first.payload) == (1, "payments.captured", "pending", None)
    assert shown == first and isinstance(first.unreadable, StoredDocumentError)
    assert str(first.unreadable).startswith("outbox message 1 has schema_version 2, newer than this")
    assert first.unreadable.message("zh").startswith("发件箱消息 1 的 schema_version 为 2")


def test_an_update_keeps_the_workflow_version_unless_given_one(store: Store) -> None:
    order_id = _order(store)
    common = {"state": "paid", "data": {"total": 12}, "final": False, "at": NOW}
    with store.transaction() as tx:
        assert tx.update_order(order_id, expected_lock_version=1, **common)
    with store.read() as tx:
        row = tx.load_order(order_id)
        assert row is not None and (row.version, row.lock_version, row.state) == (1, 2, "paid")
    with store.transaction() as tx:
        assert tx.update_order(order_id, expected_lock_version=2, version=3, **common)
        assert not tx.update_order(order_id, expected_lock_version=2, version=4, **common)
    with store.read() as tx:
        row = tx.load_order(order_id)
        assert row is not None and (row.version, row.lock_version) == (3, 3)


def test_audit_trail_refuses_update_and_delete(store: Store) -> None:
    order_id = _order(store)
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


def test_stock_cannot_go_negative(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(stock).values(sku="A", warehouse="main", on_hand=1, reserved=0))
    with store.transaction() as tx:
        take = (
            update(stock).where(stock.c.sku == "A", stock.c.on_hand >= 1).values(on_hand=stock.c.on_hand - 1)
        )
        assert tx.connection.execute(take).rowcount == 1
        assert tx.connection.execute(take).rowcount == 0
    with pytest.raises(Exception, match=r"(?i)check"), store.engine.begin() as conn:
        conn.execute(update(stock).values(reserved=-1))
    with store.engine.connect() as conn:
        assert conn.execute(select(stock.c.on_hand)).scalar_one() == 0


def test_prepared_statements_run_in_the_open_transaction(store: Store) -> None:
    qty = bindparam("qty")
    prepared = PreparedStatements(
        {
            "take": update(stock)
            .where(stock.c.sku == bindparam("sku"), stock.c.on_hand >= qty)
            .values(on_hand=stock.c.on_hand - qty),
            "on_hand": select(stock.c.on_hand).where(stock.c.sku == bindparam("sku")),
        }
    )
    with store.engine.begin() as conn:
        conn.execute(insert(stock).values(sku="A", warehouse="main", on_hand=3, reserved=0))
    with store.transaction() as tx:
        assert prepared.run(tx.connection, "take", {"sku": "A", "qty": 2}).rowcount == 1
        assert prepared.run(tx.connection, "take", {"sku": "A", "qty": 2}).rowcount == 0
        assert prepared.run(tx.connection, "on_hand", {"sku": "A"}).fetchone()[0] == 1
    with pytest.raises(RuntimeError), store.transaction() as tx:  # rolled back with its transaction
        prepared.run(tx.connection, "take", {"sku": "A", "qty": 1})
        raise RuntimeError("refused")
    with store.engine.connect() as conn:
        assert conn.execute(select(stock.c.on_hand)).scalar_one() == 1


def test_timer_claimed_once(store: Store) -> None:
    order_id = _order(store)
    with store.transaction() as tx:
        tx.schedule_timer(
            order_id=order_id, state="pending_payment", trigger="cancel", reason="r", due_at=NOW
        )
        tx.schedule_timer(
            order_id=order_id,
            state="pending_payment",
            trigger="remind",
            reason=None,
            due_at=NOW + timedelta(1),
        )
    with store.transaction() as tx:
        first = tx.claim_due_timers("w1", NOW, 10)
    with store.transaction() as tx:
        second = tx.claim_due_timers("w2", NOW + timedelta(days=2), 10, lease=timedelta(days=3))
    assert len(first) == 1 and len(second) == 1 and first != second
    with store.transaction() as tx:
        assert tx.cancel_timers(order_id, "pending_payment") == 2
        assert not tx.fire_timer(first[0], "w1")


def test_timer_claim_lapses_after_its_lease(store: Store) -> None:
    order_id = _order(store)
    with store.transaction() as tx:
        tx.schedule_timer(
            order_id=order_id, state="pending_payment", trigger="cancel", reason=None, due_at=NOW
        )
    lease = timedelta(minutes=5)
    with store.transaction() as tx:
        [timer_id] = tx.claim_due_timers("w1", NOW, 10, lease)
    with store.transaction() as tx:
        assert tx.claim_due_timers("w2", NOW + lease - timedelta(seconds=1), 10, lease) == []
    with store.transaction() as tx:
        assert tx.claim_due_timers("w2", NOW + lease, 10, lease) == [timer_id]
    with store.transaction() as tx:
        assert not tx.fire_timer(timer_id, "w1")  # its claim was taken over
        assert tx.fire_timer(timer_id, "w2")
        assert not tx.fire_timer(timer_id, "w2")  # fired once only
    with store.transaction() as tx:
        assert tx.claim_due_timers("w3", NOW + timedelta(days=1), 10, lease) == []
        timer = tx.timer(timer_id)
        assert timer is not None and (timer.status, timer.claimed_by) == ("fired", "w2")


def test_outbox_claimed_sent_and_failed(store: Store) -> None:
    lease = timedelta(minutes=5)
    with store.transaction() as tx:
        for n in range(3):
            tx.insert_outbox("mail", {"n": n}, NOW)
    with store.transaction() as tx:
        first = tx.claim_outbox("w1", NOW, 2, lease)
    assert [(m.payload, m.attempts, m.claimed_by, m.status) for m in first] == [
        ({"n": 0}, 0, "w1", "pending"),
        ({"n": 1}, 0, "w1", "pending"),
    ]
    with store.transaction() as tx:
        [rest] = tx.claim_outbox("w2", NOW, 10, lease)
        assert rest.payload == {"n": 2}
        assert tx.claim_outbox("w3", NOW, 10, lease) == []
        assert tx.outbox_sent(first[0].id, "w1", NOW)
        assert not tx.outbox_sent(first[0].id, "w1", NOW)  # already sent
        retry_at = NOW + timedelta(seconds=30)
        assert tx.outbox_failed(first[1].id, "w1", "ConnectionError: refused", NOW, retry_at)
        assert not tx.outbox_failed(rest.id, "w1", "not mine", NOW, retry_at)
    with store.transaction() as tx:
        # The failed one waits for its next attempt; w2's claim lapses only after the lease.
        assert tx.claim_outbox("w3", NOW + timedelta(seconds=29), 10, lease) == []
        [retry] = tx.claim_outbox("w3", retry_at, 10, lease)
        assert (retry.id, retry.attempts, retry.last_error) == (first[1].id, 1, "ConnectionError: refused")
        assert retry.next_attempt_at == retry_at and retry.last_attempt_at == NOW
        # By when each may be tried: w2's lapsed one (due at NOW) before w3's lapsed retry.
        assert [m.id for m in tx.claim_outbox("w4", retry_at + lease, 10, lease)] == [rest.id, retry.id]
        assert not tx.outbox_sent(rest.id, "w2", NOW + lease)  # taken over by w4
        sent = tx.outbox_message(first[0].id)
        assert sent is not None and sent.sent_at == NOW and sent.attempts == 1 and sent.status == "sent"
        assert tx.outbox_failed(rest.id, "w4", "SMTPDataError: 554", NOW + lease)  # no retry: dead
        dead = tx.outbox_message(rest.id)
        assert dead is not None and (dead.status, dead.dead_at, dead.attempts) == ("dead", NOW + lease, 1)
        assert dead.claimed_by is None and dead.last_error == "SMTPDataError: 554"
        later = tx.claim_outbox("w5", NOW + timedelta(days=1), 10, lease)
        assert [m.id for m in later] == [retry.id]  # w4's lapsed claim; the dead one is never claimed


def test_idempotency_outbox_and_versions(store: Store) -> None:
    order_id = _order(store)
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


def test_list_orders_scoped_by_department_and_state(store: Store) -> None:
    first = _order(store)
    with store.transaction() as tx:
        second = bare_order(tx, "fulfilling.pay.done|fulfilling.ship.wait", department="wholesale")
    with store.read() as tx:
        assert [o.id for o in tx.list_orders(departments=frozenset({"retail"}))] == [first]
        assert [o.id for o in tx.list_orders(departments=None)] == [second, first]
        assert [o.id for o in tx.list_orders(departments=None, state="fulfilling.ship")] == [second]
        assert [o.id for o in tx.list_orders(departments=None, state="fulfilling")] == [second]
        assert tx.list_orders(departments=frozenset()) == []


PARALLEL = "fulfilling.payment.awaiting|fulfilling.shipping.in_progress|fulfilling.stock.reserved"


def _orders_in(store: Store, *states: str) -> list[int]:
    with store.transaction() as tx:
        return [bare_order(tx, state, department="wholesale") for state in states]


def _listed(store: Store, state: str) -> list[int]:
    with store.read() as tx:
        return sorted(o.id for o in tx.list_orders(departments=None, state=state))


@pytest.mark.parametrize(
    "leaf",
    ["fulfilling.payment.awaiting", "fulfilling.shipping.in_progress", "fulfilling.stock.reserved"],
    ids=["first", "middle", "last"],
)
def test_list_orders_finds_a_parallel_order_by_any_of_its_leaves(store: Store, leaf: str) -> None:
    [parallel, plain] = _orders_in(store, PARALLEL, "pending_payment")
    assert _listed(store, leaf) == [parallel]
    region = leaf.rsplit(".", 1)[0]  # fulfilling.payment: a leaf's parent matches too
    assert _listed(store, region) == [parallel]
    assert plain not in _listed(store, "fulfilling")


@pytest.mark.parametrize(
    "prefix",
    [
        "fulfilling.shipping.in_",  # part of a leaf's last name
        "fulfilling.payment.await",
        "fulfilling.pay",  # part of a region's name
        "fulfill",
        "in_progress",  # a leaf's end, not a state
        "fulfilling.shipping.in_progress|fulfilling",  # the separator is no wildcard
    ],
)
def test_list_orders_never_matches_part_of_a_name(store: Store, prefix: str) -> None:
    _orders_in(store, PARALLEL, "fulfilling.payment.awaiting_bank|fulfilling.shipping.done")
    assert _listed(store, prefix) == []


def test_list_orders_with_a_whole_parallel_state_matches_exactly_it(store: Store) -> None:
    [parallel, _] = _orders_in(store, PARALLEL, "fulfilling.payment.awaiting|fulfilling.shipping.done")
    assert _listed(store, PARALLEL) == [parallel]
    assert _listed(store, "fulfilling.payment.awaiting|fulfilling.shipping.in_progress") == []


def test_list_orders_takes_like_wildcards_literally(store: Store) -> None:
    [underscored, lookalike, plain] = _orders_in(store, "on_hold", "onXhold", "pending_payment")
    assert _listed(store, "on_hold") == [underscored]
    assert _listed(store, "on%") == []
    assert _listed(store, "%") == []
    assert _listed(store, "_") == []
    assert _listed(store, "pending\\_payment") == []
    assert (lookalike, plain) == (underscored + 1, underscored + 2)
    assert _listed(store, "pending_payment") == [plain]


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


def test_sqlite_write_transactions_reuse_a_kept_connection_but_never_a_failed_one(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kept.db'}")
    with store.transaction() as tx:
        tx.connection.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
        first = tx.connection
    with store.transaction() as tx:
        assert tx.connection is first  # kept open between transactions, not checked in and out
        tx.connection.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(Exception, match="UNIQUE"), store.transaction() as tx:
        tx.connection.execute(text("INSERT INTO t VALUES (1)"))
    assert first.closed  # a rolled-back connection goes back to the pool, not to the next writer
    # writers racing each hold a connection of their own; at most IDLE_CONNECTIONS are kept after
    held: set[int] = set()
    clashes: list[int] = []

    def write(n: int) -> None:
        for _ in range(30):
            with store.transaction() as tx:
                mine = id(tx.connection)
                if mine in held:
                    clashes.append(n)
                held.add(mine)
                tx.connection.execute(text("SELECT :n"), {"n": n})
                held.discard(mine)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert clashes == []
    assert store._idle is not None and 1 <= len(store._idle) <= IDLE_CONNECTIONS
    kept = list(store._idle)
    store.dispose()
    assert all(connection.closed for connection in kept) and not store._idle


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


def test_orders_of_several_departments_come_newest_first_a_page_at_a_time(store: Store) -> None:
    """Read department by department and merged: the same pages as one query over all of them."""
    made: list[tuple[int, str, str]] = []
    with store.transaction() as tx:
        for n in range(30):
            department = ("retail", "wholesale", "after_sales")[n % 3 if n < 20 else 0]
            state = "paid" if n % 4 == 0 else "pending_payment"
            made.append((bare_order(tx, state, department=department), department, state))
    newest = sorted(made, reverse=True)
    with store.read() as tx:
        assert tx.order_departments() == ["after_sales", "retail", "wholesale"]
        for scope in (None, frozenset({"retail", "wholesale"}), frozenset({"after_sales", "wholesale"})):
            for state in (None, "paid"):
                want = [i for i, d, s in newest if (scope is None or d in scope) and state in (None, s)]
                for offset, limit in ((0, 5), (3, 4), (7, 50), (40, 5)):
                    got = tx.list_orders(departments=scope, state=state, limit=limit, offset=offset)
                    assert [row.id for row in got] == want[offset : offset + limit], (scope, state, offset)


# -- PostgreSQL: locks taken in one order, transactions rolled back for contention run again ------------


def _pg_store(pg_url: str, **options: Any) -> Store:
    store = Store(pg_url, **options)
    store.upgrade()
    with store.transaction() as tx:
        rows = [{"sku": s, "warehouse": w, "on_hand": 10, "reserved": 0} for s in "AB" for w in ("W1", "W2")]
        tx.connection.execute(insert(stock), rows)
    return store


def _taken(client: psycopg.Connection[Any], query: str) -> bool:
    """Whether another transaction holds a row ``query`` locks (asked without waiting)."""
    try:
        client.execute(query + " FOR UPDATE NOWAIT")
    except psycopg.errors.LockNotAvailable:
        return True
    finally:
        client.rollback()
    return False


@pytest.mark.postgres
def test_a_write_transaction_locks_the_order_it_loads_and_the_stock_routing_reads(pg_url: str) -> None:
    store = _pg_store(pg_url)
    order_id = _order(store)
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as other:
        with store.read() as tx:  # reading locks nothing
            tx.load_order(order_id)
            tx.stock_available(["A"])
            assert not _taken(other, f"SELECT 1 FROM orders WHERE id = {order_id}")
            assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")
        with store.transaction() as tx:
            tx.load_order(order_id)
            assert _taken(other, f"SELECT 1 FROM orders WHERE id = {order_id}")
            assert tx.stock_available(["A"]) == {"A": {"W1": 10, "W2": 10}}
            assert _taken(other, "SELECT 1 FROM stock WHERE sku = 'A' AND warehouse = 'W2'")
            assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'B'")
        assert not _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")  # until the transaction ends
    store.dispose()


@pytest.mark.postgres
def test_stock_rows_are_locked_by_sku_then_warehouse_whatever_order_they_are_named_in(pg_url: str) -> None:
    store = _pg_store(pg_url)
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as holder, psycopg.connect(plain) as other:
        holder.execute("SELECT 1 FROM stock WHERE sku = 'B' AND warehouse = 'W1' FOR UPDATE")
        done = threading.Event()

        def lock_b_then_a() -> None:
            with store.transaction() as tx:
                lock_stock(tx.connection, ["B", "A", "B"])
            done.set()

        thread = threading.Thread(target=lock_b_then_a)
        thread.start()
        # Named B first, the rows are still taken A first: A's rows are the thread's while it waits for B.
        for _ in range(10_000):  # a hang guard, not a time asserted
            if _taken(other, "SELECT 1 FROM stock WHERE sku = 'A' AND warehouse = 'W2'"):
                break
            time.sleep(0.01)
        assert not done.is_set()
        assert _taken(other, "SELECT 1 FROM stock WHERE sku = 'A'")
        holder.rollback()
        thread.join(30)
        assert done.is_set()
    store.dispose()


def _work_that_meets_a_concurrent_update(store: Store, pg_url: str, collide: int) -> Callable[[], int]:
    """A repeatable-read transaction that reads a stock row, then changes it; on its first ``collide``
    tries another client changes the row in between, so PostgreSQL rolls it back (SQLSTATE 40001)."""
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    tries: list[int] = []
    row = (stock.c.sku == "A", stock.c.warehouse == "W1")

    def work() -> int:
        tries.append(1)
        with store.transaction() as tx:
            tx.connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            tx.connection.execute(select(stock.c.on_hand).where(*row)).scalar_one()
            if len(tries) <= collide:
                with psycopg.connect(plain, autocommit=True) as other:
                    other.execute(
                        "UPDATE stock SET on_hand = on_hand + 1 WHERE sku = 'A' AND warehouse = 'W1'"
                    )
            tx.connection.execute(update(stock).where(*row).values(reserved=stock.c.reserved + 1))
        return len(tries)

    return work


@pytest.mark.postgres
def test_a_transaction_rolled_back_for_a_serialization_failure_runs_again_whole(pg_url: str) -> None:
    store = _pg_store(pg_url)
    assert store.retrying(_work_that_meets_a_concurrent_update(store, pg_url, collide=2)) == 3
    with store.read() as tx:
        row = tx.connection.execute(
            select(stock.c.on_hand, stock.c.reserved).where(stock.c.sku == "A", stock.c.warehouse == "W1")
        ).one()
    assert tuple(row) == (12, 1)  # the other client's two changes, and this one once
    store.dispose()


@pytest.mark.postgres
def test_retries_are_bounded_then_refused_in_both_languages(pg_url: str) -> None:
    store = _pg_store(pg_url, transaction_attempts=2)
    with pytest.raises(ContentionError) as caught:
        store.retrying(_work_that_meets_a_concurrent_update(store, pg_url, collide=99))
    refused = caught.value
    assert (refused.sqlstate, refused.attempts) == ("40001", 2)
    assert refused.message("en") == (
        "concurrent changes to the same rows kept colliding with this one (serialization failure; tried "
        "2 times); nothing was written, try again"
    )
    assert refused.message("zh") == (
        "与同时进行的其他修改反复冲突（串行化冲突；已尝试 2 次），本次操作未写入任何内容，请重试"
    )
    with store.read() as tx:
        reserved = tx.connection.execute(select(func.sum(stock.c.reserved))).scalar_one()
    assert reserved == 0  # neither try left anything
    store.dispose()


def test_other_errors_are_not_retried(store: Store) -> None:
    tries: list[int] = []

    def work() -> None:
        tries.append(1)
        with store.transaction() as tx:
            tx.connection.execute(insert(stock).values(sku="A", warehouse="W1", on_hand=-1, reserved=0))

    with pytest.raises(INTEGRITY_ERRORS):
        store.retrying(work)
    assert tries == [1]


def test_a_store_tries_a_transaction_at_least_once(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="transaction_attempts must be at least 1"):
        Store(sqlite_url, transaction_attempts=0)
