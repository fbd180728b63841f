"""The search index built again (engine/runtime/search_index.py): missing and stale terms rebuilt from the
version each order is on, a chunk per transaction, a second pass writing nothing; filters and bad input
refused before any order is read. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select

from engine.errors import EngineError, NotFound
from engine.runtime import Engine, ListQuery, Reindexed
from engine.store import Store
from engine.store.tables import order_search_terms
from tests.engine.runtime.conftest import ADMIN, CLERK, bundle

ORDER = {"customer": {"name": "王芳", "mobile": "13812345678"}, "total": 10}


def _found(engine: Engine, q: str) -> list[int]:
    return [listed.order.id for listed in engine.order_list(ADMIN, ListQuery(q=q)).orders]


def _terms(store: Store) -> set[tuple[int, str, str]]:
    columns = order_search_terms.c
    with store.read() as tx:
        return set(tx.connection.execute(select(columns.order_id, columns.kind, columns.term)).all())


@pytest.fixture
def orders(engine: Engine, store: Store) -> tuple[int, int, int, int]:
    """An order of searched-order v1 (no ``search:``), two of v2 (searched), a retail order between
    them; then the index lost (every row deleted) and one stale term written."""
    engine.publish(bundle("versions/searched-order-unsearched"))
    old = engine.create_order(CLERK, "retail", "searched-order", "web", ORDER).id
    engine.publish(bundle("searched-order"))
    first = engine.create_order(CLERK, "retail", "searched-order", "web", ORDER).id
    retail = engine.create_order(CLERK, "retail", "retail-order", "web", {"customer": "李雷", "total": 5}).id
    second = engine.create_order(CLERK, "retail", "searched-order", "web", {**ORDER, "total": 20}).id
    assert _found(engine, "5678") == [second, first]
    with store.transaction() as tx:
        tx.connection.execute(delete(order_search_terms))
        stale = {"term": "0000", "department": "retail", "order_id": second, "kind": "mobile_tail"}
        tx.connection.execute(insert(order_search_terms).values(stale))
    assert _found(engine, "5678") == [] and _found(engine, "0000") == [second]
    return old, first, retail, second


def test_missing_and_stale_terms_are_rebuilt_from_each_orders_version(
    engine: Engine, store: Store, orders: tuple[int, int, int, int]
) -> None:
    _, first, retail, second = orders
    chunks = list(engine.reindex_search(chunk=3))
    assert [(c.orders, c.rewritten) for c in chunks] == [(3, 1), (1, 1)]
    assert chunks[0].last_id == retail and chunks[1].last_id == second
    assert _found(engine, "5678") == [second, first] and _found(engine, "王芳") == [second, first]
    assert _found(engine, "0000") == []  # the stale term is gone
    # the order on v1 keeps none: its version has no search:, whatever the newest one says
    assert {order_id for order_id, _, _ in _terms(store)} == {first, second}
    assert sum(c.terms for c in chunks) == len(_terms(store)) == 6  # mobile, its tail and name, twice


def test_a_second_pass_rewrites_nothing(
    engine: Engine, store: Store, orders: tuple[int, int, int, int]
) -> None:
    first_pass = list(engine.reindex_search(chunk=2))
    terms = _terms(store)
    again = list(engine.reindex_search(chunk=2))
    assert [c.rewritten for c in again] == [0, 0]
    assert [(c.orders, c.terms, c.last_id) for c in again] == [
        (c.orders, c.terms, c.last_id) for c in first_pass
    ]
    assert _terms(store) == terms


def test_a_pass_takes_the_orders_of_one_workflow_or_department(
    engine: Engine, store: Store, orders: tuple[int, int, int, int]
) -> None:
    _, first, retail, second = orders
    assert list(engine.reindex_search(workflow="retail-order")) == [Reindexed(1, 0, 0, retail)]
    assert _found(engine, "0000") == [second]  # not read: another workflow's order
    [done] = engine.reindex_search(department="retail", workflow="searched-order")
    assert (done.orders, done.rewritten, done.last_id) == (3, 2, second)
    assert _found(engine, "5678") == [second, first] and _found(engine, "0000") == []


@pytest.mark.parametrize(
    ("options", "error", "en", "zh"),
    [
        (
            {"workflow": "searched-ordr"},
            NotFound,
            "workflow searched-ordr is not published; did you mean 'searched-order'?",
            "流程 searched-ordr 尚未发布；您是否想输入 'searched-order'？",
        ),
        (
            {"department": "retial"},
            NotFound,
            "no order is in department 'retial'; did you mean 'retail'?",
            "部门 'retial' 没有订单；您是否想输入 'retail'？",
        ),
        (
            {"chunk": 0},
            EngineError,
            "a chunk holds 1 to 10000 orders, not 0",
            "每批包含 1 到 10000 个订单，而不是 0 个",
        ),
    ],
)
def test_a_bad_filter_or_chunk_is_refused_before_any_order_is_read(
    engine: Engine,
    store: Store,
    orders: tuple[int, int, int, int],
    options: dict[str, object],
    error: type[EngineError],
    en: str,
    zh: str,
) -> None:
    with pytest.raises(error) as caught:
        next(engine.reindex_search(**options))  # type: ignore[arg-type]
    assert (caught.value.message("en"), caught.value.message("zh")) == (en, zh)
    assert _found(engine, "0000") == [orders[3]]
