"""After-sales requests the tests build alike: an exchange made of a return request's data, one brought to
``replacement_backordered`` (the goods received and passed, no warehouse able to fill the replacement),
which the department's tests and the original-order tests refund instead, and a request's goods received
and passed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.runtime import Actor, Engine


def exchange_request(
    request: Mapping[str, Any], lines: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    """The return ``request`` as an exchange: the goods replaced, so no ``refund_amount``; ``lines`` (the
    request's when None) and ``changes`` over it."""
    exchange = {**request, "type": "exchange", **changes}
    exchange.pop("refund_amount", None)
    if lines is not None:
        exchange["lines"] = lines
    return exchange


def backordered_exchange(
    engine: Engine,
    exchange: Mapping[str, Any],
    at: datetime,
    *,
    service: Actor,
    warehouse: Actor,
    inspector: Actor,
    waybill: str = "SF1234567890",
    found_condition: str = "unopened",
) -> int:
    """The exchange taken by ``service``, its goods received by ``warehouse`` at ``at`` under ``waybill``
    and passed by ``inspector``: waiting for a replacement no warehouse can fill. Its order's id."""
    request = engine.create_order(service, "after_sales", "after-sales-request", "web", dict(exchange))
    state = received_and_passed(
        engine,
        request.id,
        at,
        warehouse=warehouse,
        inspector=inspector,
        waybill=waybill,
        found=found_condition,
    )
    assert state == "replacement_backordered"
    return request.id


def received_and_passed(
    engine: Engine,
    request_id: int,
    at: datetime,
    *,
    warehouse: Actor,
    inspector: Actor,
    waybill: str = "SF1234567890",
    found: str = "unopened",
) -> str:
    """The request's goods received by ``warehouse`` at ``at`` under ``waybill`` and passed by
    ``inspector`` (found ``found``): where the request is then (a return: refunding)."""
    engine.fire(
        request_id, "receive_goods", warehouse, {"return_waybill": waybill, "received_at": at.isoformat()}
    )
    inspection = {"inspection_result": "pass", "found_condition": found}
    return engine.fire(request_id, "inspect", inspector, inspection).to_state
