"""The order's own fields (``id``, ``state``, ``department``, ``channel``, ``workflow``): a condition
reads them as the order's, whatever its data holds, and no data may carry one."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.errors import TransitionRejected
from engine.runtime import Engine
from engine.store import Store
from engine.store.tables import orders
from tests.engine.runtime.conftest import CLERK, STEP_ORDER


def test_a_data_field_named_state_does_not_open_a_guard_on_the_orders_state(
    steps_engine: Engine, store: Store
) -> None:
    """``archive`` holds only for a paid order (``order.state == 'paid'``): an order still ``open``
    whose data holds ``state: paid`` (stored through an open data form before such data was
    refused) is not archived, and the page does not offer it."""
    order = steps_engine.create_order(CLERK, "retail", "step-order", "web", STEP_ORDER)
    assert order.state == "open"
    with store.transaction() as tx:
        stored = {**order.data, "state": "paid", "channel": "phone", "id": 0}
        tx.connection.execute(update(orders).where(orders.c.id == order.id).values(data=stored))
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.fire(order.id, "archive", CLERK)
    [refusal] = refused.value.refusals
    assert refusal.code == "guard"
    assert [(c["left"], c["right"]) for c in refusal.details["comparisons"]] == [("open", "paid")]
    [archive] = [t for t in steps_engine.available_triggers(order.id, CLERK) if t.trigger == "archive"]
    assert not archive.allowed
    assert steps_engine.get_order(order.id, CLERK).state == "open"


def test_a_new_order_cannot_carry_one_of_the_orders_own_fields(steps_engine: Engine) -> None:
    """Without a channel only the open data form is checked, which would take any key: the order's
    own fields are refused by name, each at its place, and no order is written."""
    sent = {**STEP_ORDER, "state": "paid", "workflow": "other"}
    with pytest.raises(TransitionRejected) as refused:
        steps_engine.create_order(CLERK, "retail", "step-order", None, sent)
    assert [(r.code, r.details["path"]) for r in refused.value.refusals] == [
        ("form", "$.state"),
        ("form", "$.workflow"),
    ]
    first = refused.value.refusals[0]
    assert first.en == (
        "$.state: 'state' is the order's own field (the order's state); it cannot be sent as data"
    )
    assert first.zh == "$.state：state 是订单自身的字段（订单状态），不能作为数据提交"
    assert steps_engine.list_orders(CLERK) == []
