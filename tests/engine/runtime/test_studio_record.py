"""The studio's record has one writer (engine/runtime/studio_record.py): the studio, a department's users
and a migration's batches all write their lines through it, at the engine's clock, by the actor."""

from __future__ import annotations

import ast
from pathlib import Path

from engine.clock import FrozenClock
from engine.runtime import Actor
from engine.runtime.studio_record import StudioAction, record
from engine.store import Store
from engine.store.studio import studio_events_of

RUNTIME = Path(__file__).resolve().parents[3] / "engine" / "runtime"
MA = Actor("ma.li", frozenset({"admin"}), frozenset({"retail"}))


def test_a_line_is_written_at_the_clocks_now_by_the_actor(store: Store) -> None:
    clock = FrozenClock()
    clock.advance(hours=3)
    with store.transaction() as tx:
        line = record(tx, clock, "retail", MA, StudioAction.PUBLISH, "forms/retail/order.json", {"n": 1})
    (event,) = studio_events_of(store, "retail")
    written = event.id, event.at.replace(tzinfo=None), event.actor, event.action, event.subject, event.detail
    assert written == (
        line,
        clock.now().replace(tzinfo=None),
        "ma.li",
        "publish",
        "forms/retail/order.json",
        {"n": 1},
    )


def test_no_other_module_of_the_runtime_writes_the_record_itself() -> None:
    writers = sorted(
        path.name
        for path in RUNTIME.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name | ast.Attribute)
        and (node.id if isinstance(node, ast.Name) else node.attr) == "record_event"
    )
    assert writers == ["studio_record.py"]
