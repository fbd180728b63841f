"""Which of a rule set's conditions hold for one input: the matching step every rule kind shares.

A rule kind (audit, decision table, routing) turns its rules into :class:`Condition` objects, builds a
:class:`Matcher` once per rule set version with :func:`engine.rules.durable.build_matcher` (durable-rules
implements this interface for every kind), and calls :meth:`Matcher.match` per evaluation. The kind then
applies its own policy (most severe outcome, hit policy, scores) to the :class:`Match`.

A :class:`Match` says, for every condition, whether it held, and when it could not be evaluated, why
(the expression language's error, as ``CompiledExpression`` raises it, in Chinese and English).
``values`` holds, per condition, the values its comparisons read (``{"order.total": 6200}``): the
explanation a trace stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from engine.common.text import Text

__all__ = ["Condition", "Match", "Matcher"]


@dataclass(frozen=True, slots=True)
class Condition:
    """One rule's condition: ``id`` (unique in its rule set) and its text in the expression language."""

    id: str
    source: str


@dataclass(frozen=True, slots=True)
class Match:
    matched: frozenset[str]  # ids of the conditions that held
    errors: Mapping[str, Text]  # id -> why it could not be evaluated, zh and en (never also in ``matched``)
    values: Mapping[str, Mapping[str, Any]]  # id -> {operand text: the JSON-ready value it read}
    flat: bool = False  # every value in ``values`` is text, a number, true/false or None (no list or record)

    def held(self, condition_id: str) -> bool:
        return condition_id in self.matched


class Matcher(Protocol):
    name: str  # the rule set's name
    version: str  # the content hash of the rule set the matcher was built for

    def match(self, env: Mapping[str, Any]) -> Match:
        """Evaluate every condition over ``env`` (the expression language's names)."""
        ...
