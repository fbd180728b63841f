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

from engine.clock import FrozenClock
from engine.dsl.compiler import Bundle, load_bundle
from engine.plugins import ActionContext, PluginRegistry
from engine.runtime import Actor, Engine
from engine.store import Store

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
