"""Each migration upgrades and downgrades on both databases, keeping the rows it does not touch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from engine.store import Store
from engine.store.migrate import downgrade, upgrade
from engine.store.tables import (
    customer_accounts,
    order_search_terms,
    orders,
    outbox,
    stock,
    timers,
    workflow_versions,
)
from tests.engine.store.support import ACCOUNT_ROW, NOW, bare_order, table_columns


def timer_columns(store: Store) -> set[str]:
    return table_columns(store, "timers")


def test_0004_adds_the_timer_note_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0003")
    assert "note" not in timer_columns(store)
    with store.transaction() as tx:
        order_id = bare_order(tx, "delivered")
        tx.connection.execute(
            insert(timers).values(
                order_id=order_id, state="delivered", trigger="close", due_at=NOW, status="scheduled"
            )
        )
    upgrade(db_url)
    assert "note" in timer_columns(store)
    with store.read() as tx:
        [timer] = tx.order_timers(order_id)
    assert (timer.status, timer.note) == ("scheduled", None)
    with store.transaction() as tx:
        tx.finish_timer(timer.id, "cancelled", "condition could not be evaluated: x")
    with store.read() as tx:
        assert tx.order_timers(order_id)[0].note == "condition could not be evaluated: x"
    downgrade(db_url, "0003")
    assert "note" not in timer_columns(store)
    with store.read() as tx:
        assert tx.connection.execute(select(orders.c.id)).scalars().all() == [order_id]
    upgrade(db_url)
    store.dispose()


def test_0006_adds_the_safety_stock_and_takes_it_away_again(db_url: str) -> None:
    def columns() -> set[str]:
        with store.read() as tx:
            return {c["name"] for c in inspect(tx.connection).get_columns("stock")}

    store = Store(db_url)
    upgrade(db_url, "0005")
    assert "safety_stock" not in columns()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=10, reserved=2))
    upgrade(db_url)
    assert "safety_stock" in columns()
    with store.read() as tx:
        row = tx.connection.execute(select(stock.c.on_hand, stock.c.safety_stock)).one()
    assert tuple(row) == (10, None)  # the rows kept, with no safety stock
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.connection.execute(update(stock).values(safety_stock=-1))
    downgrade(db_url, "0005")
    assert "safety_stock" not in columns()
    with store.read() as tx:
        assert tx.connection.execute(select(stock.c.on_hand)).scalars().all() == [10]
    upgrade(db_url)
    store.dispose()


def order_indexes(store: Store) -> set[str]:
    with store.read() as tx:
        return {str(i["name"]) for i in inspect(tx.connection).get_indexes("orders")}


def test_0009_indexes_a_departments_orders_newest_first_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0008")
    assert "ix_orders_department_id" not in order_indexes(store)
    upgrade(db_url)
    assert "ix_orders_department_id" in order_indexes(store)
    if store.is_sqlite:  # the newest-first list reads the index, not every order of the department
        with store.read() as tx:
            newest = "SELECT id FROM orders WHERE department = 'retail' ORDER BY id DESC LIMIT 50"
            plan = tx.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {newest}").all()
        assert any("ix_orders_department_id" in str(row) for row in plan), plan
        assert not any("TEMP B-TREE" in str(row) for row in plan), plan
    downgrade(db_url, "0008")
    assert "ix_orders_department_id" not in order_indexes(store)
    upgrade(db_url)
    store.dispose()


def indexes(store: Store, table: str) -> set[str]:
    with store.read() as tx:
        return {str(i["name"]) for i in inspect(tx.connection).get_indexes(table)}


def test_0010_indexes_only_the_timers_and_messages_left_to_do_and_takes_it_away_again(db_url: str) -> None:
    store = Store(db_url)
    upgrade(db_url, "0009")
    old = ({"ix_timers_status_due_at", "ix_timers_order_id_status"}, {"ix_outbox_sent_at"})
    assert (indexes(store, "timers"), indexes(store, "outbox")) == old
    with store.transaction() as tx:
        order_id = bare_order(tx, "s")
        for status in ("scheduled", "cancelled"):
            tx.connection.execute(
                insert(timers).values(order_id=order_id, state="s", trigger="t", due_at=NOW, status=status)
            )
        tx.connection.execute(  # the outbox as it was then (0012 added its status)
            insert(outbox).values(
                topic="notifications.order_status", payload={"order_id": order_id}, created_at=NOW
            )
        )
    upgrade(db_url, "0010")
    new = ({"ix_timers_due", "ix_timers_order_id"}, {"ix_outbox_pending"})
    assert (indexes(store, "timers"), indexes(store, "outbox")) == new
    with store.read() as tx:
        scheduled, cancelled = tx.order_timers(order_id)
        assert (scheduled.status, cancelled.status) == ("scheduled", "cancelled")
        unsent = tx.connection.execute(select(outbox.c.id).where(outbox.c.sent_at.is_(None)))
        assert unsent.scalars().all() == [1]
    with store.transaction() as tx:
        assert tx.claim_due_timers("w", NOW, limit=10) == [scheduled.id]
    if store.is_sqlite:  # the worker's look-ups read the small indexes, not the tables
        with store.read() as tx:
            for sql, index in (
                (
                    "SELECT id FROM timers WHERE status = 'scheduled' AND due_at <= '2027-01-01' "
                    "ORDER BY due_at, id LIMIT 10",
                    "ix_timers_due",
                ),
                ("SELECT id FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 10", "ix_outbox_pending"),
                (
                    "SELECT id FROM timers WHERE order_id = 1 AND state = 's' AND status = 'scheduled'",
                    "ix_timers_order_id",
                ),
            ):
                plan = tx.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                assert any(index in str(row) for row in plan), (sql, plan)
                assert not any("TEMP B-TREE" in str(row) for row in plan), (sql, plan)
    downgrade(db_url, "0009")
    assert (indexes(store, "timers"), indexes(store, "outbox")) == old
    with store.read() as tx:
        assert len(tx.order_timers(order_id)) == 2
    upgrade(db_url)
    store.dispose()


def test_the_migrations_build_the_tables_the_code_declares(db_url: str) -> None:
    """Alembic finds nothing to add, drop or change between the newest revision and tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from engine.store.tables import metadata

    store = Store(db_url)
    store.upgrade()
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    store.dispose()


def test_0011_starts_the_kept_order_counts_from_the_orders_as_they_are(db_url: str) -> None:
    from engine.store.reports import state_counts

    store = Store(db_url)
    upgrade(db_url, "0010")
    placed = [("retail", "retail-order", "paid"), ("retail", "retail-order", "paid"), ("b2b", "bulk", "new")]
    with store.transaction() as tx:
        for department, workflow, state in placed:
            order_id = bare_order(tx, state, department=department, workflow=workflow)
            tx.insert_audit(
                order_id=order_id,
                seq=1,
                at=NOW,
                actor="a",
                trigger="create",
                from_state=None,
                to_state=state,
                data_changes={},
                guards=[],
                rules=None,
                reason=None,
            )
    upgrade(db_url)
    with store.read() as tx:
        kept = tx.connection.exec_driver_sql(
            "SELECT department, workflow, state, orders FROM order_state_counts"
        )
        assert sorted(tuple(row) for row in kept) == [
            ("b2b", "bulk", "new", 1),
            ("retail", "retail-order", "paid", 2),
        ]
        folded = tx.connection.exec_driver_sql("SELECT last_audit_id FROM order_counts_folded").scalar_one()
    assert folded == 3  # the events before it are in the counts already: not added twice
    assert state_counts(store) == {("b2b", "bulk", "new"): 1, ("retail", "retail-order", "paid"): 2}
    downgrade(db_url, "0010")
    with store.read() as tx:
        assert not {"order_state_counts", "order_counts_folded"} & set(
            inspect(tx.connection).get_table_names()
        )
    upgrade(db_url)
    store.dispose()


def outbox_columns(store: Store) -> set[str]:
    with store.read() as tx:
        return {c["name"] for c in inspect(tx.connection).get_columns("outbox")}


def test_0012_gives_messages_a_status_a_next_attempt_and_a_department_and_takes_them_away(
    db_url: str,
) -> None:
    store = Store(db_url)
    upgrade(db_url, "0011")
    added = {"status", "next_attempt_at", "dead_at", "department", "replayed_by", "replayed_at"}
    assert not added & outbox_columns(store)
    old = [  # topic, payload, sent: as the outbox held them before
        ("notifications.order_status", {"order_id": 1, "department": "retail"}, True),
        ("notifications.order_status", {"order_id": 2, "department": "wholesale"}, False),
        ("account_created", {"customer_id": 1, "department": "retail"}, False),
        ("payments.captured", {"order_id": 3, "department": 7}, False),  # not a department's name
        ("inventory.replenishment_suggested", {"sku": "XM-BAND8"}, False),
    ]
    with store.transaction() as tx:
        for n, (topic, payload, sent) in enumerate(old):
            tx.connection.execute(
                insert(outbox).values(
                    topic=topic,
                    payload=payload,
                    created_at=NOW + timedelta(minutes=n),
                    sent_at=NOW if sent else None,
                    attempts=3 if topic == "payments.captured" else 0,
                )
            )
    upgrade(db_url)
    assert added <= outbox_columns(store)
    with store.read() as tx:
        rows = [tx.outbox_message(i) for i in range(1, 6)]
    assert [(r.status, r.department) for r in rows if r is not None] == [
        ("sent", "retail"),
        ("pending", "wholesale"),
        ("internal", "retail"),
        ("pending", None),
        ("pending", None),
    ]
    assert [r.next_attempt_at for r in rows if r is not None] == [
        None,
        NOW + timedelta(minutes=1),
        None,
        NOW + timedelta(minutes=3),
        NOW + timedelta(minutes=4),
    ]
    with store.transaction() as tx:  # the unsent ones of topics to deliver, due at once, oldest first
        assert [m.id for m in tx.claim_outbox("w", NOW + timedelta(hours=1), 10)] == [2, 4, 5]
        assert tx.outbox_message(4).attempts == 3  # type: ignore[union-attr]
        with pytest.raises(IntegrityError), tx.connection.begin_nested():
            tx.connection.execute(update(outbox).values(status="lost"))
    # 0012's two, and the operators' list's by department and by topic (0029)
    assert indexes(store, "outbox") == {
        "ix_outbox_pending",
        "ix_outbox_dead",
        "ix_outbox_department",
        "ix_outbox_topic",
    }
    if store.is_sqlite:  # the worker's claim and the dead letters' list read their small indexes
        with store.read() as tx:
            for sql, index in (
                (
                    "SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= '2027-01-01' "
                    "ORDER BY next_attempt_at, id LIMIT 10",
                    "ix_outbox_pending",
                ),
                ("SELECT id FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 50", "ix_outbox_dead"),
            ):
                plan = tx.connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
                assert any(index in str(row) for row in plan), (sql, plan)
                assert not any("TEMP B-TREE" in str(row) for row in plan), (sql, plan)
    downgrade(db_url, "0011")
    assert not added & outbox_columns(store)
    assert indexes(store, "outbox") == {"ix_outbox_pending"}
    with store.read() as tx:
        kept = tx.connection.execute(select(outbox.c.topic).order_by(outbox.c.id)).scalars().all()
    assert kept == [topic for topic, _, _ in old]
    upgrade(db_url)
    store.dispose()


def test_0014_adds_the_customer_accounts_and_takes_them_away_again(db_url: str) -> None:
    def tables() -> set[str]:
        with store.read() as tx:
            return set(inspect(tx.connection).get_table_names())

    store = Store(db_url)
    upgrade(db_url, "0013")
    assert "customer_accounts" not in tables()
    with store.transaction() as tx:
        order_id = bare_order(tx, "received")
    upgrade(db_url)
    assert "customer_accounts" in tables()
    account = ACCOUNT_ROW
    with store.transaction() as tx:
        tx.connection.execute(insert(customer_accounts).values(account))
        tx.connection.execute(insert(customer_accounts).values({**account, "department": "retail"}))
    with pytest.raises(IntegrityError), store.transaction() as tx:  # one number once per department
        tx.connection.execute(insert(customer_accounts).values(account))
    for negative in ("credit_limit", "outstanding", "overdue_days"):
        with pytest.raises(IntegrityError), store.transaction() as tx:
            tx.connection.execute(
                insert(customer_accounts).values({**account, "account_no": "W2", negative: -1})
            )
    with store.read() as tx:
        found = tx.connection.execute(select(customer_accounts.c.credit_limit)).scalars().all()
    assert found == [500000.5, 500000.5]
    downgrade(db_url, "0013")
    assert "customer_accounts" not in tables()
    with store.read() as tx:
        assert tx.connection.execute(select(orders.c.id)).scalars().all() == [order_id]
    upgrade(db_url)
    store.dispose()


def test_0016_backfills_the_total_and_the_search_terms_and_takes_them_away_again(db_url: str) -> None:
    def order_columns() -> set[str]:
        with store.read() as tx:
            return {c["name"] for c in inspect(tx.connection).get_columns("orders")}

    store = Store(db_url)
    upgrade(db_url, "0015")
    assert "total" not in order_columns()
    search = {"mobile": ["customer.mobile"], "waybill": ["shipments[].waybill"]}
    with store.transaction() as tx:
        tx.connection.execute(
            insert(workflow_versions).values(
                workflow="w",
                version=1,
                content_hash="h",
                department="retail",
                bundle={"workflow": {"workflow": "w", "search": search}},
                schema_version=1,
                published_at=NOW,
            )
        )
        data = {"total": 128.5, "customer": {"mobile": "13812345678"}, "shipments": [{"waybill": "SF1"}]}
        searched = bare_order(tx, data=data)
        unsearched = bare_order(
            tx, workflow="other", data={"total": 7, "customer": {"mobile": "13900001234"}}
        )
    upgrade(db_url)
    assert "total" in order_columns()
    with store.read() as tx:
        totals = dict(tx.connection.execute(select(orders.c.id, orders.c.total)).all())
        terms = tx.connection.execute(
            select(order_search_terms.c.order_id, order_search_terms.c.kind, order_search_terms.c.term)
        ).all()
    assert totals == {searched: 128.5, unsearched: 7}
    assert sorted(terms) == [
        (searched, "mobile", "13812345678"),
        (searched, "mobile_tail", "5678"),
        (searched, "waybill", "sf1"),
    ]
    downgrade(db_url, "0015")
    assert "total" not in order_columns()
    with store.read() as tx:
        assert "order_search_terms" not in inspect(tx.connection).get_table_names()
    upgrade(db_url)
    store.dispose()


def test_0020_opens_the_ledger_with_what_each_stock_row_holds_and_keeps_it_append_only(db_url: str) -> None:
    from sqlalchemy import delete, func, text

    from engine.store.tables import stock_ledger

    store = Store(db_url)
    upgrade(db_url, "0019")
    with store.transaction() as tx:
        tx.connection.execute(
            insert(stock),
            [
                {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 10, "reserved": 2},
                {"sku": "XM-BAND8", "warehouse": "GZ-01", "on_hand": 0, "reserved": 0},
                {"sku": "AT-C202", "warehouse": "SH-01", "on_hand": 7, "reserved": 0},
            ],
        )
    upgrade(db_url)
    with store.read() as tx:
        sums = dict(
            tx.connection.execute(
                select(stock_ledger.c.sku + "@" + stock_ledger.c.warehouse, func.sum(stock_ledger.c.change))
                .where(stock_ledger.c.kind == "opening")
                .group_by(stock_ledger.c.sku, stock_ledger.c.warehouse)
            ).all()
        )
    assert sums == {"XM-BAND8@SH-01": 10, "AT-C202@SH-01": 7}  # an empty row needs no entry
    refused: list[Any] = [update(stock_ledger).values(change=99), delete(stock_ledger)]
    if store.engine.dialect.name == "postgresql":
        refused.append(text("TRUNCATE stock_ledger"))
    for statement in refused:
        with pytest.raises(Exception, match="append-only"), store.transaction() as tx:
            tx.connection.execute(statement)
    with store.read() as tx:
        assert tx.connection.execute(select(func.count()).select_from(stock_ledger)).scalar() == 2
    downgrade(db_url, "0019")
    assert "stock_ledger" not in set(inspect(store.engine).get_table_names())
    with store.read() as tx:
        assert tx.connection.execute(select(func.sum(stock.c.on_hand))).scalar() == 17
    upgrade(db_url)
    store.dispose()


def test_0025_remembers_a_row_told_low_and_takes_it_away_again(db_url: str) -> None:
    def columns() -> set[str]:
        with store.read() as tx:
            return {c["name"] for c in inspect(tx.connection).get_columns("stock")}

    store = Store(db_url)
    upgrade(db_url, "0024")
    assert "low_alerted" not in columns()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock).values(sku="XM-BAND8", warehouse="SH-01", on_hand=3, reserved=0))
    upgrade(db_url)
    with store.read() as tx:
        row = tx.connection.execute(select(stock.c.on_hand, stock.c.low_alerted)).one()
    assert tuple(row) == (3, False)  # the rows kept, none told yet
    downgrade(db_url, "0024")
    assert "low_alerted" not in columns()
    with store.read() as tx:
        assert tx.connection.execute(select(stock.c.on_hand)).scalars().all() == [3]
    upgrade(db_url)
    store.dispose()


def test_0026_keeps_an_accounts_contact_and_address_and_takes_them_away_again(db_url: str) -> None:
    held = ("contact_name", "contact_mobile", "address_province", "address_detail", "address_postcode")

    def columns() -> set[str]:
        return table_columns(store, "customer_accounts")

    store = Store(db_url)
    upgrade(db_url, "0025")
    assert not columns() & set(held)
    with store.transaction() as tx:
        tx.connection.execute(insert(customer_accounts).values(**ACCOUNT_ROW))
    upgrade(db_url)
    assert columns() >= set(held)
    with store.read() as tx:
        held_now = select(customer_accounts.c.company, customer_accounts.c.contact_name)
        row = tx.connection.execute(held_now).one()
    assert tuple(row) == ("上海鑫达商贸有限公司", None)  # the records kept, holding no contact yet
    downgrade(db_url, "0025")
    assert not columns() & set(held)
    with store.read() as tx:
        assert tx.connection.execute(select(customer_accounts.c.account_no)).scalars().all() == ["W100231"]
    upgrade(db_url)
    store.dispose()
