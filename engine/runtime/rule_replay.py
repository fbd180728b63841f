"""The orders a draft rule set is replayed over: the newest orders whose published workflow uses a rule
set of the same name (``orderloom rules replay``), or the rule file of the same path (the studio's
replay before publishing), each with the names the runtime evaluates it over and the published rule set
of its own version. ``engine.rules.testing.replay`` compares the two.

A routing file scores the stock on hand, as the runtime gives it: an order is replayed over the stock
as it is now (read once, nothing locked or written), plus the units the order itself holds, which it
would give back to be routed afresh. Not the stock when the order was routed, which is not kept: both
versions see the same stock, so an order that goes another way does so because of the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from engine.common.list_keys import LOOKUPS
from engine.rules.kinds import EVALUATED_KINDS, compile_ruleset
from engine.rules.ruleset import Evaluable
from engine.rules.testing import ReplayOrder
from engine.runtime.actor import Actor
from engine.runtime.decisions import skus
from engine.runtime.engine import Engine
from engine.runtime.named_lists import ReadLookups
from engine.runtime.results import OrderView
from engine.store import Store

__all__ = ["ROUTING", "orders_for_replay", "orders_using_file", "stock_for", "stock_now"]

ROUTING = "routing"  # the kind of rule file that scores the stock on hand


def orders_for_replay(
    engine: Engine, name: str, actor: Actor, *, last: int, department: str | None = None
) -> list[ReplayOrder]:
    """The newest ``last`` orders the actor may see whose published version uses rule set ``name``.

    Each comes with the published rule set of its own version and the names the runtime evaluates an
    order over: its current data as ``order`` (with id, state, department, channel, workflow), the
    actor, and as ``now`` the time the rule set last decided the order (the engine's clock for an order
    it has not decided yet), so that a rule reading time is replayed on the day it decided.
    """
    with engine.store.read() as tx:
        names = tx.workflow_names()
    return _newest(
        engine, actor, names, last, department, lambda w, v: _published_ruleset(engine, w, v, name)
    )


def orders_using_file(
    engine: Engine,
    path: str,
    actor: Actor,
    *,
    last: int,
    department: str | None = None,
    workflow: str | None = None,
) -> list[ReplayOrder]:
    """The newest ``last`` orders the actor may see whose published version holds the rule file
    ``path`` (of ``workflow`` only, when given), each with that version's rule set of the file: what a
    draft of the file is compared with. Orders of a version whose file is not of a kind that decides
    over one order are left out."""
    if workflow is None:
        with engine.store.read() as tx:
            names = tx.workflow_names()
    else:
        names = [workflow] if engine.versions(workflow) else []
    return _newest(engine, actor, names, last, department, lambda w, v: _ruleset_at(engine, w, v, path))


def _newest(
    engine: Engine,
    actor: Actor,
    names: Sequence[str],
    last: int,
    department: str | None,
    find: Callable[[str, int], Evaluable | None],
) -> list[ReplayOrder]:
    """The newest ``last`` orders of ``names`` whose version ``find`` gives a rule set for."""
    now = engine.clock.now()
    published: dict[tuple[str, int], Evaluable | None] = {}

    def ruleset_of(workflow: str, version: int) -> Evaluable | None:
        key = (workflow, version)
        if key not in published:
            published[key] = find(workflow, version)
        return published[key]

    using = [
        workflow
        for workflow in names
        if any(ruleset_of(workflow, item.version) is not None for item in engine.versions(workflow))
    ]
    found: list[tuple[OrderView, Evaluable]] = []
    for workflow in using:
        taken = 0
        for view in _pages(engine, actor, workflow, department):
            ruleset = ruleset_of(view.workflow, view.version)
            if ruleset is None:
                continue
            found.append((view, ruleset))
            taken += 1
            if taken >= last:
                break
    found.sort(key=lambda item: item[0].id, reverse=True)
    found = found[:last]
    routed = [view.data for view, ruleset in found if ruleset.kind == ROUTING]
    on_hand = stock_now(engine, routed) if routed else {}
    decided = _decided_at(engine, found)
    return [
        ReplayOrder(
            view.id,
            view.department,
            view.workflow,
            view.version,
            _order_env(
                view,
                actor,
                decided.get((view.id, ruleset.name), now),
                on_hand if ruleset.kind == ROUTING else None,
                engine.store,
            ),
            ruleset,
        )
        for view, ruleset in found
    ]


def _decided_at(
    engine: Engine, found: Sequence[tuple[OrderView, Evaluable]]
) -> dict[tuple[int, str], datetime]:
    """(order id, rule set name) -> when that rule set last decided the order: the clock it is replayed
    at, so that a rule reading time (``days_since(...)``) sees the day it decided, not today."""
    by_ruleset: dict[str, list[int]] = {}
    for view, ruleset in found:
        by_ruleset.setdefault(ruleset.name, []).append(view.id)
    decided: dict[tuple[int, str], datetime] = {}
    with engine.store.read() as tx:
        for name, ids in by_ruleset.items():
            decided.update(((order_id, name), at) for order_id, at in tx.decided_at(ids, name).items())
    return decided


def stock_now(engine: Engine, orders: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """The units free to reserve now (on hand minus reserved) of every sku of ``orders``, per sku and
    warehouse: one read, which locks nothing and writes nothing."""
    wanted = sorted({sku for data in orders for sku in skus(data)})
    with engine.store.read() as tx:
        return tx.stock_available(wanted)


def stock_for(data: Mapping[str, Any], on_hand: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """What routing this order again would find free: the stock now of its skus, plus the units the
    order itself holds (``stock_reserved``), which it would give back to be routed afresh."""
    stock = {sku: dict(on_hand.get(sku, {})) for sku in skus(data)}
    held = data.get("stock_reserved")
    for item in held if isinstance(held, list) else []:
        if not isinstance(item, Mapping):
            continue
        sku, warehouse, qty = item.get("sku"), item.get("warehouse"), item.get("qty")
        if isinstance(sku, str) and isinstance(warehouse, str) and isinstance(qty, int) and sku in stock:
            stock[sku][warehouse] = stock[sku].get(warehouse, 0) + qty
    return stock


def _published_ruleset(engine: Engine, workflow: str, version: int, name: str) -> Evaluable | None:
    """The rule set called ``name`` in a published version's bundle (the first by path), compiled."""
    for path, doc in sorted(engine.spec(workflow, version).rulesets.items()):
        if doc.get("ruleset") == name and doc.get("kind") in EVALUATED_KINDS:
            compiled: Evaluable = compile_ruleset(doc, path)
            return compiled
    return None


def _ruleset_at(engine: Engine, workflow: str, version: int, path: str) -> Evaluable | None:
    """The rule file ``path`` of a published version's bundle, compiled, when it decides over one
    order."""
    doc = engine.spec(workflow, version).rulesets.get(path)
    if doc is None or doc.get("kind") not in EVALUATED_KINDS:
        return None
    compiled: Evaluable = compile_ruleset(doc, path)
    return compiled


def _pages(engine: Engine, actor: Actor, workflow: str, department: str | None) -> Iterator[OrderView]:
    page, offset = 200, 0
    while True:
        views = engine.list_orders(actor, department=department, workflow=workflow, limit=page, offset=offset)
        yield from views
        if len(views) < page:
            return
        offset += page


def _order_env(
    view: OrderView,
    actor: Actor,
    now: datetime,
    on_hand: Mapping[str, Mapping[str, int]] | None,
    store: Store | None = None,
) -> dict[str, Any]:
    """As the runtime builds it for a transition fired with no form data (``Engine._env``): the order's
    own fields over its data; for a routing file, the stock as routing this order now would find it
    (``on_hand``: the stock now, read once for every order replayed)."""
    order: dict[str, Any] = dict(view.data)
    order["id"] = view.id
    order["state"] = view.state
    order["department"] = view.department
    order["channel"] = view.channel
    order["workflow"] = view.workflow
    env: dict[str, Any] = {"order": order, "data": {}, "actor": actor.as_env(), "now": now}
    if on_hand is not None:
        env["stock"] = stock_for(view.data, on_hand)
    if store is not None:  # in_list(...) and the customer facts, read as they are now
        env[LOOKUPS] = ReadLookups(store, view.department, view.id, order, now)
    return env
