"""Hand-built workflow specs for the runtime tests, and an engine on a real database.

The specs are built as frozen ``WorkflowSpec`` objects; ``SpecBundle`` publishes one the way a compiled
bundle is published (content hash + JSON document), and ``load_spec`` turns the stored document back.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.dsl.spec import RegionSpec, StateSpec, Text, TimerSpec, TransitionSpec, WorkflowSpec
from engine.plugins import ActionContext, PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store

SPECS: dict[str, WorkflowSpec] = {}


class SpecBundle:
    def __init__(self, spec: WorkflowSpec) -> None:
        self.content_hash = hashlib.sha256(repr(spec).encode()).hexdigest()
        SPECS[self.content_hash] = spec

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.content_hash}


def load_spec(document: Mapping[str, Any], version: int | None) -> WorkflowSpec:
    return dataclasses.replace(SPECS[document["spec"]], version=version)


def _t(zh: str, en: str) -> Text:
    return Text(zh, en)


def _state(name: str, **kw: Any) -> StateSpec:
    return StateSpec(name=name, label=_t(name, name), **kw)


ORDER_FORM = {
    "type": "object",
    "required": ["customer", "total"],
    "properties": {
        "customer": {"type": "string", "minLength": 1},
        "total": {"type": "number", "minimum": 0},
        "email": {"type": "string", "format": "email"},
    },
}
PAYMENT_FORM = {
    "type": "object",
    "required": ["amount", "method"],
    "properties": {"amount": {"type": "number", "exclusiveMinimum": 0}, "method": {"enum": ["card", "cash"]}},
}


def retail_spec(*, extra_state: str | None = None, strict_form: bool = False) -> WorkflowSpec:
    states = [
        _state("pending_payment", timers=(TimerSpec(1800, "cancel", "unpaid_timeout", "order.total > 0"),)),
        _state("paid"),
        _state("pending_shipment"),
        _state("shipped"),
        _state("completed", final=True),
        _state("cancelled", final=True),
    ]
    if extra_state:
        states.append(_state(extra_state))
    form = dict(ORDER_FORM)
    if strict_form:
        form = {**ORDER_FORM, "required": [*ORDER_FORM["required"], "email"]}
    transitions = (
        TransitionSpec("pay", ("pending_payment",), "paid", form="forms/payment.json", actions=("notify",)),
        TransitionSpec("free", ("pending_payment",), "paid", auto=True, when="order.total == 0"),
        TransitionSpec("approve", ("paid",), "pending_shipment", roles=("auditor",)),
        TransitionSpec(
            "ship", ("pending_shipment",), "shipped", roles=("warehouse",), when="order.total < 1000"
        ),
        TransitionSpec("deliver", ("shipped",), "completed"),
        TransitionSpec("remark", ("paid", "pending_shipment"), "paid"),
        TransitionSpec("cancel", ("pending_payment", "paid"), "cancelled"),
    )
    return WorkflowSpec(
        name="retail-order",
        department="retail",
        title=_t("零售订单", "Retail order"),
        initial="pending_payment",
        states=tuple(states),
        transitions=transitions,
        data_form="forms/order.json",
        forms=MappingProxyType({"forms/order.json": form, "forms/payment.json": PAYMENT_FORM}),
    )


def parallel_spec() -> WorkflowSpec:
    pay = (_state("fulfilling.payment.waiting"), _state("fulfilling.payment.paid", final=True))
    ship = (_state("fulfilling.shipping.packing"), _state("fulfilling.shipping.shipped", final=True))
    fulfilling = _state(
        "fulfilling",
        regions=(
            RegionSpec("payment", "fulfilling.payment.waiting", pay),
            RegionSpec("shipping", "fulfilling.shipping.packing", ship),
        ),
    )
    return WorkflowSpec(
        name="wholesale-order",
        department="wholesale",
        title=_t("批发订单", "Wholesale order"),
        initial="new",
        states=(_state("new"), fulfilling, *pay, *ship, _state("fulfilled", final=True)),
        transitions=(
            TransitionSpec("start", ("new",), "fulfilling"),
            TransitionSpec("pay", ("fulfilling.payment.waiting",), "fulfilling.payment.paid"),
            TransitionSpec("ship", ("fulfilling.shipping.packing",), "fulfilling.shipping.shipped"),
            TransitionSpec("close", ("fulfilling",), "fulfilled", auto=True),
        ),
    )


def notify(ctx: ActionContext) -> Mapping[str, Any] | None:
    ctx.emit("mail", {"order": ctx.order_id, "to": ctx.dest})
    return {"paid_by": ctx.actor}


CLERK = Actor("ann", frozenset({"clerk"}), frozenset({"retail", "wholesale"}))
AUDITOR = Actor("aud", frozenset({"auditor"}), frozenset({"retail"}))
WAREHOUSE = Actor("wes", frozenset({"warehouse"}), frozenset({"retail"}))
OUTSIDER = Actor("olga", frozenset({"clerk", "auditor", "warehouse"}), frozenset({"after-sales"}))
ADMIN = Actor("root", frozenset({"admin"}), frozenset({"*"}))


def make_engine(store: Store, clock: FrozenClock) -> Engine:
    return Engine(store, PluginRegistry({"notify": notify}), clock, load_spec=load_spec)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Iterator[Engine]:
    engine = make_engine(store, clock)
    engine.publish(SpecBundle(retail_spec()))
    engine.publish(SpecBundle(parallel_spec()))
    yield engine
