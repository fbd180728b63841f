"""The search box's index: terms as an order's data and a typed query make them, written and found on
SQLite and PostgreSQL by one index look-up per department."""

from __future__ import annotations

from engine.store import Store
from engine.store.search import normalized, search_roots, terms_of, values_at
from tests.engine.store.support import bare_order

CONFIG = {
    "mobile": ["customer.mobile"],
    "name": ["customer.name"],
    "waybill": ["waybill", "shipments[].waybill"],
    "payment_ref": ["transaction_ref"],
}
DATA = {
    "customer": {"name": "王 芳", "mobile": "138-1234-5678"},
    "waybill": "SF100",
    "shipments": [{"waybill": "SF100"}, {"waybill": "JD200"}, {"carrier": "ems"}],
    "transaction_ref": None,
}


def test_a_term_and_a_query_are_normalized_alike() -> None:
    assert normalized("ＳＦ１２３　４５") == "sf12345"  # full-width letters, digits and space
    assert normalized(" 138 1234-5678 ") == "13812345678"
    assert normalized("王 芳") == normalized("王芳") == "王芳"


def test_the_terms_of_an_order_follow_its_paths_into_lists() -> None:
    assert list(values_at(DATA, "shipments[].waybill")) == ["SF100", "JD200"]
    assert list(values_at(DATA, "customer.nothing")) == [] and list(values_at(DATA, "waybill.x")) == []
    assert terms_of(DATA, CONFIG) == {
        ("mobile", "13812345678"),
        ("mobile_tail", "5678"),
        ("name", "王芳"),
        ("waybill", "sf100"),
        ("waybill", "jd200"),
    }
    assert search_roots(CONFIG) == {"customer", "waybill", "shipments", "transaction_ref"}
    assert terms_of({"customer": {"mobile": "12"}}, CONFIG) == set()  # too short to have a tail


def test_terms_are_found_per_department_newest_first_and_rewritten(store: Store) -> None:
    with store.transaction() as tx:
        first = bare_order(tx)
        second = bare_order(tx)
        elsewhere = bare_order(tx, department="wholesale")
        for order_id, department in ((first, "retail"), (second, "retail"), (elsewhere, "wholesale")):
            tx.put_search_terms(order_id, department, terms_of(DATA, CONFIG), replace=False)
    with store.read() as tx:
        found = tx.find_term("5678", "retail", 2**63 - 1, 10)
        assert [(m.order_id, m.kind) for m in found] == [(second, "mobile_tail"), (first, "mobile_tail")]
        assert [m.order_id for m in tx.find_term("sf100", "retail", second, 10)] == [first]  # below a cursor
        assert [m.order_id for m in tx.find_term("5678", "wholesale", 2**63 - 1, 10)] == [elsewhere]
        assert tx.find_term("5678", "after_sales", 2**63 - 1, 10) == []
    with store.transaction() as tx:
        changed = {**DATA, "customer": {"name": "李雷", "mobile": "13900001234"}}
        tx.put_search_terms(second, "retail", terms_of(changed, CONFIG), replace=True)
    with store.read() as tx:
        assert [m.order_id for m in tx.find_term("5678", "retail", 2**63 - 1, 10)] == [first]
        assert [m.order_id for m in tx.find_term("李雷", "retail", 2**63 - 1, 10)] == [second]


def test_rewritten_terms_are_the_new_data_s_whatever_the_order_held(store: Store) -> None:
    """A rewrite deletes only the terms the order no longer has and inserts only the new ones; what it
    held under another department (or from an older search config) goes too."""
    with store.transaction() as tx:
        order_id = bare_order(tx)
        tx.put_search_terms(order_id, "retail", terms_of(DATA, CONFIG), replace=False)
        tx.put_search_terms(order_id, "wholesale", {("name", "旧名")}, replace=False)
    changed = {**DATA, "shipments": [{"waybill": "JD200"}], "waybill": None, "transaction_ref": "PAY-9"}
    with store.transaction() as tx:
        tx.put_search_terms(order_id, "retail", terms_of(changed, CONFIG), replace=True)
    with store.read() as tx:
        held = tx.search_terms_between(order_id - 1, order_id)[order_id]
    assert held == {("retail", kind, term) for kind, term in terms_of(changed, CONFIG)}
    assert ("retail", "payment_ref", "pay9") in held and ("retail", "waybill", "sf100") not in held
