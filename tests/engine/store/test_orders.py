"""Orders in the store: written and read back, updated under their lock version, listed by department
and state."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.store import Store
from engine.store.orders import Keyset, ListFilter, orders_newest_first
from tests.engine.store.support import NOW, bare_order, retail_order


def test_order_round_trip_and_lock_version(store: Store) -> None:
    order_id = retail_order(store)
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
    order_id = retail_order(store)
    with store.read() as tx:
        for wanted in (99999999999999999999999, 2**63, -(2**63) - 1, 0, -order_id):
            assert tx.load_order(wanted) is None, wanted
            assert tx.version("retail-order", wanted) is None, wanted
            assert tx.outbox_message(wanted) is None, wanted
        assert tx.load_order(order_id) is not None


def test_an_update_keeps_the_workflow_version_unless_given_one(store: Store) -> None:
    order_id = retail_order(store)
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


def test_list_orders_scoped_by_department_and_state(store: Store) -> None:
    first = retail_order(store)
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


def test_each_shape_of_the_order_list_is_a_named_statement_compiled_once(store: Store) -> None:
    first, second = retail_order(store), retail_order(store)
    with store.read() as tx:
        assert [o.id for o in tx.list_orders(departments=None, state="pending_payment")] == [second, first]
        compiled = len(store.compiled)
        for state in ("paid", "pending_payment", "pending"):
            tx.list_orders(departments=frozenset({"retail", "wholesale"}), state=state, limit=1)
        assert len(store.compiled) == compiled  # the same shape: nothing compiled again
        assert [o.id for o in tx.list_orders(departments=None, workflow="retail-order")] == [second, first]
        assert len(store.compiled) == compiled + 1  # a new shape, compiled once
    leaf = orders_newest_first(True, False, "leaf")
    assert leaf is orders_newest_first(True, False, "leaf") and leaf in store.compiled
    assert leaf.name == "orders_newest_first(department, leaf_state)"


def _placed(store: Store, rows: list[tuple[str, str, float, int]]) -> list[int]:
    """Orders (department, state, total, minutes after NOW created) in one transaction; their ids."""
    ids = []
    with store.transaction() as tx:
        for department, state, total, minutes in rows:
            ids.append(
                tx.insert_order(
                    department=department,
                    workflow="w",
                    version=1,
                    channel="web" if total < 100 else "app",
                    state=state,
                    data={"total": total},
                    final=False,
                    at=NOW + timedelta(minutes=minutes),
                )
            )
    return ids


def _page(
    store: Store, departments: list[str], sort: str, keyset: Keyset | None = None, **kw: Any
) -> list[int]:
    with store.read() as tx:
        rows = tx.orders_by_keyset(
            departments=departments, filters=ListFilter(**kw), sort=sort, keyset=keyset, limit=2
        )
    return [row.id for row in rows]


def test_the_total_is_written_beside_the_data_on_every_write(store: Store) -> None:
    [order] = _placed(store, [("retail", "created", 12.5, 0)])
    with store.transaction() as tx:
        tx.update_order(
            order, expected_lock_version=1, state="paid", data={"total": 99.9}, final=False, at=NOW
        )
    with store.read() as tx:
        row = tx.load_order(order)
    assert row is not None and row.total == 99.9
    with store.transaction() as tx:  # no total, or one that is no number: 0
        tx.update_order(
            order, expected_lock_version=2, state="paid", data={"total": "x"}, final=False, at=NOW
        )
        assert tx.load_order(order).total == 0  # type: ignore[union-attr]


def test_keyset_pages_of_several_departments_in_each_sort(store: Store) -> None:
    a, b, c, d = _placed(
        store,
        [
            ("retail", "created", 50, 0),
            ("wholesale", "paid", 500, 1),
            ("retail", "paid", 150, 2),
            ("wholesale", "created", 5, 3),
        ],
    )
    both = ["retail", "wholesale"]
    with store.read() as tx:
        first = tx.orders_by_keyset(
            departments=both, filters=ListFilter(), sort="newest", keyset=None, limit=2
        )
    assert [r.id for r in first] == [d, c]
    after = Keyset(first[-1].created_at, first[-1].id)
    assert _page(store, both, "newest", after) == [b, a]
    assert _page(store, both, "newest", Keyset(NOW + timedelta(minutes=1), b, before=True)) == [d, c]
    assert _page(store, both, "oldest") == [a, b]
    assert _page(store, both, "amount_high") == [b, c]
    assert _page(store, both, "amount_high", Keyset(150.0, c)) == [a, d]
    assert _page(store, both, "amount_low", Keyset(50.0, a)) == [c, b]
    assert _page(store, both, "newest", amount_from=50.0, amount_to=150.0) == [c, a]
    assert _page(store, both, "newest", state="paid") == [c, b]
    assert _page(store, both, "newest", channel="app") == [c, b]
    since = NOW + timedelta(minutes=1)
    assert _page(store, both, "oldest", created_from=since, created_before=NOW + timedelta(minutes=3)) == [
        b,
        c,
    ]
    assert _page(store, ["retail"], "newest") == [c, a]


def test_a_keyset_page_of_a_whole_parallel_state(store: Store) -> None:
    """The home page links a parallel state as a whole (its regions joined by |): the list's keyset page
    reads it as one state, alone or beside other filters."""
    whole = "fulfilling.payment.awaiting|fulfilling.shipping.in_progress"
    parallel, _, other = _placed(
        store,
        [("wholesale", whole, 500, 0), ("wholesale", "created", 50, 1), ("wholesale", whole, 5, 2)],
    )
    assert _page(store, ["wholesale"], "oldest", state=whole) == [parallel, other]
    assert _page(store, ["wholesale"], "newest", state=whole, amount_from=100.0) == [parallel]
