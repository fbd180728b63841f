"""Logistics action: waybill (运单).

``waybill`` records a shipment with its carrier and waybill number. The number is the carrier's prefix,
the order id (10 digits), the shipment's sequence on the order (2 digits) and a Luhn check digit, so a
mistyped number is caught by anyone who checks it. A waybill number the carrier already issued (the form's
``waybill`` field) is kept as written. Each shipment is appended to ``shipments`` with the carrier, the
number, the time and the items (the ``parcel`` of a partial shipment, else the order lines); no tracking
address is stored, carriers are asked by number.

On a shipment record's step (a workflow that declares ``records: shipment``; inventory.reserve adds one
per warehouse) the record gets its ``carrier`` and ``waybill``, and the order's ``shipments`` list, its
``carrier`` and ``waybill`` are kept as on an order's step (``set_order``), each entry naming the
record's ``warehouse`` and ``shipment`` number and holding the record's lines: the order's searches and
pages read them where they always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.plugins import ActionContext, emits, writes
from plugins._common import ActionRefused

CARRIERS = {
    "sf": "SF",  # 顺丰速运
    "jd": "JD",  # 京东物流
    "ems": "EMS",  # 中国邮政 EMS
    "zto": "ZTO",  # 中通快递
    "yto": "YT",  # 圆通速递
    "sto": "STO",  # 申通快递
    "yunda": "YD",  # 韵达速递
    "deppon": "DPK",  # 德邦快递 (freight for wholesale)
}


@writes("carrier", "waybill", "shipments")
@emits("logistics.waybill_created")
def waybill(ctx: ActionContext) -> Mapping[str, Any] | None:
    carrier = ctx.data.get("carrier")
    if carrier not in CARRIERS:
        raise ActionRefused(
            "carrier",
            f"未知的承运商：{carrier!r}",
            f"unknown carrier {carrier!r}; expected one of {', '.join(CARRIERS)}",
        )
    record = ctx.record
    order = ctx.order if record is not None and ctx.order is not None else ctx.data
    previous = order.get("shipments")
    shipments = [dict(s) for s in previous] if isinstance(previous, list) else []
    given = ctx.data.get("waybill")
    known = {s.get("waybill") for s in shipments}
    if isinstance(given, str) and given.strip() and given.strip() not in known:
        number = given.strip()
    else:
        number = waybill_number(carrier, ctx.order_id, len(shipments) + 1)
    parcel = ctx.data.get("parcel")
    items = parcel if isinstance(parcel, list) and parcel else ctx.data.get("lines") or []
    shipment = {
        "carrier": carrier,
        "waybill": number,
        "shipped_at": ctx.now.isoformat(),
        "items": [{"sku": i.get("sku"), "qty": i.get("qty")} for i in items if isinstance(i, Mapping)],
    }
    if record is not None:  # which warehouse's shipment this is
        shipment = {**shipment, "shipment": record.get("number"), "warehouse": record.get("warehouse")}
    ctx.emit(
        "logistics.waybill_created",
        {"order_id": ctx.order_id, "department": ctx.department, **shipment},
    )
    on_order = {"carrier": carrier, "waybill": number, "shipments": [*shipments, shipment]}
    if record is None:
        return on_order
    ctx.set_order(on_order)
    return {"carrier": carrier, "waybill": number}


def waybill_number(carrier: str, order_id: int, sequence: int) -> str:
    """``SF`` + ``0000000042`` + ``01`` + Luhn digit, e.g. ``SF0000000042015``."""
    body = f"{order_id:010d}{sequence:02d}"
    return f"{CARRIERS[carrier]}{body}{luhn_digit(body)}"


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # doubled positions, counted from the right, before the check digit
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return str((10 - total % 10) % 10)


def is_valid_waybill(number: str) -> bool:
    """True when a generated number's check digit matches (numbers carriers issue are not checked)."""
    for prefix in CARRIERS.values():
        rest = number[len(prefix) :]
        if number.startswith(prefix) and rest.isdigit() and len(rest) == 13:
            return luhn_digit(rest[:-1]) == rest[-1]
    return False
