"""A transition's form with a UI file: each submission is prepared over what the order already holds of
the form's fields, as the form's page shows them, and a group the form now hides leaves the order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.clock import FrozenClock
from engine.dsl.compiler import load_bundle
from engine.plugins import PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store

ROOT = Path(__file__).resolve().parent / "fixtures" / "layouts"
CLERK = Actor("li.na", frozenset({"clerk"}), frozenset({"retail"}))


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    store = Store(sqlite_url)
    store.upgrade()
    engine = Engine(store, PluginRegistry(), FrozenClock(datetime(2026, 11, 30, 2, 0, tzinfo=UTC)))
    engine.publish(load_bundle(ROOT / "workflows" / "quote.yaml", ROOT, action_names=()))
    yield engine
    store.dispose()


def test_a_computed_field_reads_what_the_order_holds_of_the_form(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "quote", None, {"customer": "王芳"}).id
    engine.fire(order_id, "edit", CLERK, {"qty": 2, "unit_price": 19.9})
    assert engine.get_order(order_id, CLERK).data["amount"] == 39.8
    engine.fire(order_id, "edit", CLERK, {"qty": 3})  # the price stays what the order holds
    data = engine.get_order(order_id, CLERK).data
    assert (data["qty"], data["unit_price"], data["amount"]) == (3, 19.9, 59.7)
    engine.fire(order_id, "edit", CLERK, {"amount": 1})  # never what a client sends
    assert engine.get_order(order_id, CLERK).data["amount"] == 59.7


def test_a_group_the_form_now_hides_leaves_the_order(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "quote", None, {"customer": "王芳"}).id
    engine.fire(order_id, "edit", CLERK, {"needs_invoice": True, "invoice_title": "某某科技有限公司"})
    assert engine.get_order(order_id, CLERK).data["invoice_title"] == "某某科技有限公司"
    engine.fire(order_id, "edit", CLERK, {"needs_invoice": False})
    data = engine.get_order(order_id, CLERK).data
    assert "invoice_title" not in data and data["needs_invoice"] is False
    last = engine.history(order_id, CLERK)[-1]
    assert last.data_changes["invoice_title"] == ["某某科技有限公司", None]
    # sent while hidden, it is not stored either
    engine.fire(order_id, "edit", CLERK, {"invoice_title": "别的公司"})
    assert "invoice_title" not in engine.get_order(order_id, CLERK).data


def test_discount_and_freight_are_computed_and_so_is_the_total_they_make(engine: Engine) -> None:
    order_id = engine.create_order(CLERK, "retail", "quote", None, {"customer": "王芳"}).id
    sent = {"qty": 10, "unit_price": 99.9, "discount_rate": 5, "weight_kg": 3.2, "total": 1}
    engine.fire(order_id, "edit", CLERK, sent)
    data = engine.get_order(order_id, CLERK).data
    # 999.00 of goods, 5% off (49.95), freight 8 + 2.5 x 3.2 kg (16.00): never the total that was sent
    assert (data["amount"], data["discount"], data["freight"], data["total"]) == (999.0, 49.95, 16.0, 965.05)
