"""An order's child records as one transaction holds them: read once, changed in memory by the steps it
takes, written with the order (``engine.runtime.commands``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LiveRecord:
    """One child record of the order being moved; ``id`` None until it is first written."""

    id: int | None
    kind: str
    number: int
    state: str
    data: dict[str, Any]
    lock_version: int
    changed: bool = False

    @property
    def name(self) -> str:
        """How the audit trail names it: ``payment#2``."""
        return f"{self.kind}#{self.number}"

    def view(self) -> dict[str, Any]:
        """What conditions and actions read: its fields, with ``number`` and ``state`` over them."""
        return {**self.data, "number": self.number, "state": self.state}


@dataclass
class RecordEvent:
    """A record added or moved, for the order's audit trail: ``trigger`` is ``<kind>.<trigger>`` (or
    ``<kind>.add``); ``changes`` names the record's fields ``<kind>#<number>.<field>`` and the order's
    own fields an action wrote."""

    trigger: str
    actor: str
    changes: dict[str, Any]
    guards: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


__all__ = ["LiveRecord", "RecordEvent"]
