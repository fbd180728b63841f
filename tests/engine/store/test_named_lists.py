"""Managed lists' rows and the facts across a customer's orders, on SQLite and PostgreSQL: the values
each fact gives, and the plan each query runs — an index search, never a scan of the orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.common.list_keys import CUSTOMER_FACTS, ListKind
from engine.store import Store, Tx
from engine.store import named_lists as rows
from engine.store.accounts import CustomerAccount, write_account

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNT = {"account_no": "W100231"}


def place(tx: Tx, total: float, *, at: datetime = AT, final: bool = False, **data: Any) -> int:
    return tx.insert_order(
        department="wholesale",
        workflow="wholesale-order",
        version=1,
        channel="phone",
        state="received",
        data={"account": ACCOUNT, "total": total, **data},
        final=final,
        at=at,
    )


@pytest.fixture
def filled(store: Store) -> Iterator[tuple[Store, int]]:
    """Four orders of account W100231 (one final, one part paid, one a month old), one of another
    account, and one of the same account number in another department."""
    with store.transaction() as tx:
        me = place(tx, 1000)
        place(tx, 2000, paid_amount=500)
        place(tx, 4000, final=True)
        place(tx, 8000, at=AT - timedelta(days=30))
        place(tx, 16000, account={"account_no": "W999999"})
        tx.insert_order(
            department="retail",
            workflow="retail-order",
            version=1,
            channel="web",
            state="created",
            data={"account": ACCOUNT, "total": 32000},
            final=False,
            at=AT,
        )
    yield store, me


def fact(store: Store, name: str, order_id: int, days: float | None = None) -> float:
    since = None if days is None else AT - timedelta(days=days)
    with store.read() as tx:
        return rows.customer_fact(tx, name, "wholesale", "account:W100231", order_id, since)


def test_the_facts_count_the_customers_other_orders_in_the_department(filled: tuple[Store, int]) -> None:
    store, me = filled
    assert fact(store, "open_orders", me) == 2  # 2000 and 8000: not this one, not the final one
    assert fact(store, "open_amount", me) == 10000
    assert fact(store, "owed", me) == 1500 + 8000  # 2000 less the 500 paid
    assert fact(store, "orders_in_days", me, 7) == 2  # 2000 and the final 4000; the 8000 is a month old
    assert fact(store, "orders_in_days", me, 31) == 3
    assert fact(store, "returns_in_days", me, 7) == 0


def keep_account(store: Store, department: str, account_no: str, opening: float) -> None:
    """The record of account ``account_no`` in ``department`` with ``opening`` as its opening balance."""
    account = CustomerAccount(department, account_no, "上海鑫达商贸有限公司", 500000, opening)
    with store.transaction() as tx:
        write_account(tx.connection, account, AT)


def owed(store: Store, order_id: int, key: str = "account:W100231") -> rows.Owed:
    with store.read() as tx:
        return rows.customer_owed(tx, "wholesale", key, order_id)


def test_what_is_owed_counts_the_accounts_opening_balance_with_its_open_orders(
    filled: tuple[Store, int],
) -> None:
    store, me = filled
    assert owed(store, me) == rows.Owed(opening=0, on_orders=9500)  # no record yet: its orders alone
    keep_account(store, "wholesale", "W100231", 150000.5)
    keep_account(store, "retail", "W100231", 7)  # another department's record of the number
    keep_account(store, "wholesale", "W999999", 11)  # another account's
    assert owed(store, me) == rows.Owed(opening=150000.5, on_orders=9500)
    assert owed(store, me).total == 159500.5
    assert fact(store, "owed", me) == 159500.5  # what owed() reads in a condition
    assert owed(store, 0) == rows.Owed(opening=150000.5, on_orders=10500)  # no order left out
    keep_account(store, "wholesale", "W100231", 100000)  # finance lowered it
    assert fact(store, "owed", me) == 109500
    # a customer known by mobile has no record: what its orders owe alone
    assert owed(store, me, "mobile:13800000000") == rows.Owed(opening=0, on_orders=0)
    assert fact(store, "open_amount", me) == 10000  # the other facts read the orders alone


def test_a_return_asked_for_is_counted_from_the_step_that_asked_it(store: Store) -> None:
    with store.transaction() as tx:
        me = place(tx, 100)
        other = place(tx, 200, at=AT - timedelta(days=40))
        assert tx.update_order(
            other,
            expected_lock_version=1,
            state="return_requested",
            data={"account": ACCOUNT, "total": 200, "refund_amount": 200},
            final=False,
            at=AT - timedelta(days=2),
        )
        assert tx.update_order(  # a later step keeps the moment the return was first asked for
            other,
            expected_lock_version=2,
            state="returned",
            data={"account": ACCOUNT, "total": 200, "refund_amount": 200, "refunded_amount": 200},
            final=True,
            at=AT,
        )
    assert fact(store, "returns_in_days", me, 7) == 1
    assert fact(store, "returns_in_days", me, 1) == 0


def _plan(tx: Tx, statement: Any) -> str:
    """The database's own plan of ``statement``, as text."""
    connection = tx.connection
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    if connection.dialect.name == "sqlite":
        params = tuple(_plain(compiled.params[name]) for name in compiled.positiontup)
        found = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).fetchall()
        return "\n".join(str(row[-1]) for row in found)
    # the tables here are small: the planner would rather read them whole; with sequential scans made
    # dear it shows the index the query can use (and a scan still, when none fits)
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    found = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).fetchall()
    return "\n".join(str(row[0]) for row in found)


def _plain(value: Any) -> Any:
    return value.replace(tzinfo=None).isoformat(" ") if isinstance(value, datetime) else value


@pytest.mark.parametrize("name", sorted(CUSTOMER_FACTS))
def test_each_fact_reads_the_customer_index_not_the_orders_whole(
    filled: tuple[Store, int], name: str
) -> None:
    store, me = filled
    statement = rows.customer_fact_query(name, "wholesale", "account:W100231", me, AT - timedelta(days=7))
    with store.transaction() as tx:
        plan = _plan(tx, statement)
    assert "ix_orders_department_customer_key_created_at" in plan, plan
    if store.is_sqlite:
        assert "SEARCH orders USING" in plan and "SCAN orders" not in plan, plan
    else:
        assert "Seq Scan on orders" not in plan, plan
    if name == "owed":  # and the account's record by its unique key, not the records whole
        if store.is_sqlite:
            assert "SEARCH customer_accounts USING INDEX" in plan, plan
            assert "SCAN customer_accounts" not in plan, plan
        else:
            assert "customer_accounts_department_account_no" in plan, plan
            assert "Seq Scan on customer_accounts" not in plan, plan


def test_a_list_lookup_reads_the_entries_primary_key(store: Store) -> None:
    with store.transaction() as tx:
        named = rows.create_list(
            tx.connection, "retail", "blocked-mobiles", ListKind.MOBILE, ("黑名单", "Blocked"), "admin", AT
        )
        rows.create_list(tx.connection, "retail", "vip", ListKind.CUSTOMER, ("贵宾", "VIP"), "admin", AT)
        rows.add_entry(tx.connection, named, "+86 138 0000 0000", "13800000000", None, "admin", AT)
        assert rows.has_any(tx, named.id, ["13900000000", "13800000000"])
        assert not rows.has_any(tx, named.id, ["13900000000"])
        assert not rows.has_any(tx, named.id, [])
        # more keys than one statement names: looked up in turns, the last turn finding it
        many = [f"1390000{n:04d}" for n in range(70)]
        assert not rows.has_any(tx, named.id, many)
        assert rows.has_any(tx, named.id, [*many, "13800000000"])
        assert rows.department_lists(tx, "retail") == {
            "blocked-mobiles": rows.ListHeld(named.id, ListKind.MOBILE, True),
            "vip": rows.ListHeld(named.id + 1, ListKind.CUSTOMER, False),
        }
        assert rows.department_lists(tx, "wholesale") == {}
        plan = _plan(tx, rows.has_any_query(named.id, ["13800000000", "13900000000"]))
        found = _plan(tx, rows._DEPARTMENT_LISTS.statement.params(department="retail"))
    assert "pk_named_list_entries" in plan or "sqlite_autoindex_named_list_entries" in plan, plan
    assert "SCAN named_list_entries" not in plan and "Seq Scan" not in plan, plan
    assert "uq_named_lists_department_name" in found or "sqlite_autoindex_named_lists" in found, found
    assert "SCAN named_lists" not in found and "Seq Scan" not in found, found
    assert "SCAN named_list_entries" not in found and "Seq Scan on named_list_entries" not in found, found


def test_changes_are_recorded_newest_first_and_a_removed_entry_is_gone(store: Store) -> None:
    with store.transaction() as tx:
        named = rows.create_list(
            tx.connection, "retail", "vip", ListKind.CUSTOMER, ("贵宾", "VIP"), "admin", AT
        )
        rows.add_entry(tx.connection, named, "w100231", "W100231", "大客户", "li.na", AT)
        assert rows.remove_entry(tx.connection, named, "W100231", "wang.qiang", AT + timedelta(hours=1))
        assert rows.remove_entry(tx.connection, named, "W100231", "wang.qiang", AT) is None
        changes = rows.list_changes(tx.connection, named)
        assert rows.entries_of(tx.connection, named) == []
        again = rows.find_list(tx.connection, "retail", "vip")
    assert [(c.action, c.value, c.actor) for c in changes] == [
        ("remove", "w100231", "wang.qiang"),
        ("add", "w100231", "li.na"),
        ("create", None, "admin"),
    ]
    assert again is not None and again.entries == 0 and again.kind is ListKind.CUSTOMER
