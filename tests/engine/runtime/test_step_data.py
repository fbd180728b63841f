"""What a step's actions see: the order's own data, what the engine and the actions wrote, and what this
step's form sent, never what an earlier step's form sent (docs/architecture.md, "What a step sees").

Both cases run the built-in plugins on real stock: a parcel one step shipped is not what a later step
ships, and a refund amount one step paid back is not what a later refund pays.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import outbox, stock
from tests.engine.runtime.conftest import CLERK, STEP_ORDER, STEP_WAREHOUSE

PAYMENT = {"method": "wechat_pay", "amount": 150, "transaction_ref": "4200001234567"}


def levels(store: Store) -> tuple[int, int]:
    """(on hand, reserved) of XM-BAND8 in SH-01."""
    with store.read() as tx:
        row = tx.connection.execute(select(stock.c.on_hand, stock.c.reserved)).one()
    return row.on_hand, row.reserved


def refunds(store: Store) -> list[str]:
    with store.read() as tx:
        payloads = tx.connection.execute(
            select(outbox.c.payload).where(outbox.c.topic == "payments.refunded").order_by(outbox.c.id)
        ).scalars()
        return [payload["amount"] for payload in payloads]


def paid_order(engine: Engine) -> int:
    order_id = engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER).id
    assert engine.fire(order_id, "pay", CLERK, PAYMENT).to_state == "paid"
    return order_id


def test_a_parcel_one_step_shipped_is_not_what_a_later_step_ships(steps_engine: Engine, store: Store) -> None:
    """Three units reserved, one shipped in a parcel: ``ship_rest`` (no form) ships what is still
    reserved, the two others, not the parcel again (which left one unit reserved for good)."""
    order_id = paid_order(steps_engine)
    assert levels(store) == (10, 3)
    parcel: dict[str, Any] = {"carrier": "sf", "parcel": [{"sku": "XM-BAND8", "qty": 1}]}
    steps_engine.fire(order_id, "ship_part", STEP_WAREHOUSE, parcel)
    assert levels(store) == (9, 2)
    assert steps_engine.fire(order_id, "ship_rest", STEP_WAREHOUSE).to_state == "shipped"
    assert levels(store) == (7, 0)
    data = steps_engine.get_order(order_id, CLERK).data
    assert (data["stock_reserved"], data["shipped_qty"]) == ([], 3)
    assert data["parcel"] == parcel["parcel"]  # what the step sent stays on the order, as its record


def test_a_refund_amount_one_step_paid_back_is_not_what_a_later_refund_pays(
    steps_engine: Engine, store: Store
) -> None:
    """150 paid, 50 refunded by ``refund_part``: cancelling refunds the 100 left, not 50 again."""
    order_id = paid_order(steps_engine)
    steps_engine.fire(order_id, "refund_part", CLERK, {"refund_amount": 50})
    assert steps_engine.get_order(order_id, CLERK).data["refunded_amount"] == 50
    assert steps_engine.fire(order_id, "cancel", CLERK).to_state == "cancelled"
    data = steps_engine.get_order(order_id, CLERK).data
    assert (data["paid_amount"], data["refunded_amount"]) == (150, 150)
    assert refunds(store) == ["50.00", "100.00"]
    assert levels(store) == (10, 0)  # and the reservation is given back
