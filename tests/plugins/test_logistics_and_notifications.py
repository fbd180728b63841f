"""logistics.waybill numbers and records shipments; notifications.notify queues one message."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from engine.errors import PluginError
from plugins import logistics, notifications

from .conftest import NOW, ContextMaker

LINES = [{"sku": "XM-BAND8", "name": "小米手环8", "qty": 3, "unit_price": 239}]


def test_waybill_number_carries_prefix_order_sequence_and_a_check_digit() -> None:
    number = logistics.waybill_number("sf", 42, 1)
    assert number.startswith("SF000000004201")
    assert len(number) == len("SF") + 13
    assert logistics.is_valid_waybill(number)
    mistyped = number[:-2] + str((int(number[-2]) + 1) % 10) + number[-1]
    assert not logistics.is_valid_waybill(mistyped)
    assert logistics.luhn_digit("7992739871") == "3"  # the textbook Luhn example


def test_waybill_records_the_shipment(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        ctx = make_ctx(connection, {"lines": LINES, "carrier": "zto"}, trigger="ship", dest="shipped")
        changes = logistics.waybill(ctx)
    number = logistics.waybill_number("zto", 42, 1)
    shipment = {
        "carrier": "zto",
        "waybill": number,
        "shipped_at": NOW.isoformat(),
        "items": [{"sku": "XM-BAND8", "qty": 3}],
    }
    assert changes == {"carrier": "zto", "waybill": number, "shipments": [shipment]}
    assert ctx.outbox == [("logistics.waybill_created", {"order_id": 42, "department": "retail", **shipment})]


def test_each_partial_shipment_gets_its_own_number(db: Engine, make_ctx: ContextMaker) -> None:
    data: dict[str, object] = {"lines": LINES, "carrier": "deppon", "parcel": [{"sku": "XM-BAND8", "qty": 1}]}
    with db.connect() as connection:
        data |= logistics.waybill(make_ctx(connection, data))
        data |= logistics.waybill(make_ctx(connection, {**data, "parcel": [{"sku": "XM-BAND8", "qty": 2}]}))
    shipments = data["shipments"]
    assert isinstance(shipments, list)
    assert [s["waybill"] for s in shipments] == [
        logistics.waybill_number("deppon", 42, 1),
        logistics.waybill_number("deppon", 42, 2),
    ]
    assert [s["items"] for s in shipments] == [
        [{"sku": "XM-BAND8", "qty": 1}],
        [{"sku": "XM-BAND8", "qty": 2}],
    ]


def test_a_waybill_the_carrier_issued_is_kept(db: Engine, make_ctx: ContextMaker) -> None:
    with db.connect() as connection:
        changes = logistics.waybill(
            make_ctx(connection, {"lines": LINES, "carrier": "sf", "waybill": "SF1234"})
        )
    assert changes is not None
    assert changes["waybill"] == "SF1234"


def test_an_unknown_carrier_is_refused(db: Engine, make_ctx: ContextMaker) -> None:
    with (
        db.connect() as connection,
        pytest.raises(PluginError, match="unknown carrier 'ups'; expected one of"),
    ):
        logistics.waybill(make_ctx(connection, {"lines": LINES, "carrier": "ups"}))


def test_notify_queues_the_move_with_the_customers_mobile(db: Engine, make_ctx: ContextMaker) -> None:
    data = {"customer": {"name": "张伟", "mobile": "13812345678"}, "lines": LINES}
    with db.connect() as connection:
        ctx = make_ctx(connection, data, trigger="ship", source="pending_shipment", dest="shipped")
        assert notifications.notify(ctx) is None
    assert ctx.outbox == [
        (
            "notifications.order_status",
            {
                "order_id": 42,
                "department": "retail",
                "workflow": "retail-order",
                "trigger": "ship",
                "from": "pending_shipment",
                "to": "shipped",
                "template": "retail-order.shipped",
                "mobile": "13812345678",
                "at": NOW.isoformat(),
            },
        )
    ]
