"""An engine on a real database, running workflows published from the YAML files in ``fixtures/``.

``fixtures/`` is a small definitions root (``workflows/``, ``forms/``, ``rules/``); ``fixtures/versions/``
holds later versions of ``retail-order``, kept outside ``workflows/`` so the name stays unique there.
Every test goes the whole way: YAML -> ``load_bundle`` -> ``publish`` -> stored JSON -> compile -> fire.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from engine.clock import FrozenClock
from engine.dsl.compiler import Bundle, load_bundle
from engine.plugins import ActionContext, PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store
from engine.store.tables import stock

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def notify(ctx: ActionContext) -> Mapping[str, Any] | None:
    ctx.emit("mail", {"order": ctx.order_id, "to": ctx.dest})
    return {"paid_by": ctx.actor}


ACTIONS = {"notify": notify}


def bundle(name: str) -> Bundle:
    """``retail-order`` reads ``fixtures/workflows/retail-order.yaml``; ``versions/x`` a later version."""
    folder, _, stem = name.rpartition("/")
    path = FIXTURES / (folder or "workflows") / f"{stem}.yaml"
    return load_bundle(path, FIXTURES, action_names=ACTIONS, workflows={})


CLERK = Actor("ann", frozenset({"clerk"}), frozenset({"retail", "wholesale"}))
AUDITOR = Actor("aud", frozenset({"auditor"}), frozenset({"retail"}))
WAREHOUSE = Actor("wes", frozenset({"warehouse"}), frozenset({"retail"}))
SUPERVISOR = Actor("sue", frozenset({"supervisor"}), frozenset({"wholesale"}))
OUTSIDER = Actor("olga", frozenset({"clerk", "auditor", "warehouse"}), frozenset({"after_sales"}))
ADMIN = Actor("root", frozenset({"admin"}), frozenset({"*"}))


def make_engine(store: Store, clock: FrozenClock, **options: Any) -> Engine:
    return Engine(store, PluginRegistry(ACTIONS), clock, **options)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def engine(store: Store, clock: FrozenClock) -> Iterator[Engine]:
    engine = make_engine(store, clock)
    for name in ("retail-order", "wholesale-order", "audited-order"):
        engine.publish(bundle(name))
    yield engine


# ``fixtures/steps``: an order whose steps each send their own data (a payment, a parcel, a partial
# refund), run with the built-in plugins (stock, payments, waybills) on real stock rows.
STEPS = FIXTURES / "steps"
STOCKED = {"sku": "XM-BAND8", "warehouse": "SH-01", "on_hand": 10, "reserved": 0}
STEP_ORDER = {"customer": "王芳", "lines": [{"sku": "XM-BAND8", "qty": 3}], "total": 150}
STEP_WAREHOUSE = Actor("wes", frozenset({"warehouse"}), frozenset({"retail"}))


@pytest.fixture
def steps_engine(store: Store, clock: FrozenClock) -> Engine:
    """``step-order`` published with the registered plugins, ten units of XM-BAND8 in SH-01."""
    registry = PluginRegistry.from_entry_points()
    with store.transaction() as tx:
        tx.connection.execute(insert(stock), [STOCKED])
    engine = Engine(store, registry, clock)
    path = STEPS / "workflows" / "step-order.yaml"
    engine.publish(load_bundle(path, STEPS, action_names=registry.action_names, workflows={}))
    return engine
