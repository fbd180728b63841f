"""What a rule set's answer is called for a person (规则结果的显示名称): its outcomes by the glossary's
names (``term.outcome.*`` in the catalogue: approve 自动审核通过, hold 挂起待审, …), a routing answer's
warehouses and carriers by the labels of its file, and that answer as rows to show: each candidate with
its score, the one chosen marked, and a split's lines per warehouse."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.common.text import Text
from engine.common.words import term
from engine.rules.routing import CompiledRouting

__all__ = ["Candidate", "RoutingAnswer", "RuleLabels", "SplitPart", "routing_answer", "rule_labels"]

WAREHOUSE, CARRIER = "warehouse", "carrier"


@dataclass(frozen=True)
class RuleLabels:
    """The names of what a rule set answers with: outcomes (by the glossary), and a routing file's
    warehouses and carriers (by their labels; a name the file does not label is shown as it is)."""

    warehouses: Mapping[str, Text] = field(default_factory=dict)
    carriers: Mapping[str, Text] = field(default_factory=dict)

    @staticmethod
    def outcome(code: Any, lang: str) -> str:
        return term("outcome", str(code), lang)

    def warehouse(self, name: Any, lang: str) -> str:
        label = self.warehouses.get(str(name))
        return label.get(lang) if label is not None else str(name)

    def carrier(self, name: Any, lang: str) -> str:
        label = self.carriers.get(str(name))
        return label.get(lang) if label is not None else str(name)


def rule_labels(ruleset: object) -> RuleLabels:
    """The labels of a compiled rule set (a routing file's warehouses and carriers; others name only
    their outcomes, by the glossary)."""
    if isinstance(ruleset, CompiledRouting):
        return RuleLabels(
            {w.name: w.label for w in ruleset.warehouses}, {c.name: c.label for c in ruleset.carriers}
        )
    return RuleLabels()


@dataclass(frozen=True)
class Candidate:
    """A warehouse or a carrier a routing answer scored: its side (``warehouse`` or ``carrier``), its
    name, its total score, and whether it was chosen."""

    side: str
    name: str
    score: float
    chosen: bool


@dataclass(frozen=True)
class SplitPart:
    """One warehouse's part of a split order: the lines (sku, quantity) it ships."""

    warehouse: str
    lines: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class RoutingAnswer:
    """A routing decision's outputs as rows: the candidates best first on each side, and the split."""

    candidates: tuple[Candidate, ...]
    split: tuple[SplitPart, ...]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def routing_answer(outputs: Mapping[str, Any] | None) -> RoutingAnswer | None:
    """The rows of a routing decision's ``outputs`` (``scores``, ``warehouse``, ``carrier``, ``split``);
    None for outputs of another kind of rule set."""
    if not isinstance(outputs, Mapping) or not isinstance(outputs.get("scores"), Mapping):
        return None
    scores = outputs["scores"]
    split_warehouses = {
        str(part.get("warehouse")) for part in outputs.get("split") or [] if isinstance(part, Mapping)
    }
    candidates: list[Candidate] = []
    for side, key, chosen in (
        (WAREHOUSE, "warehouses", outputs.get(WAREHOUSE)),
        (CARRIER, "carriers", outputs.get(CARRIER)),
    ):
        scored = scores.get(key)
        if not isinstance(scored, Mapping):
            continue
        rows = [(str(name), _number(total)) for name, total in scored.items()]
        for name, total in sorted(((n, t) for n, t in rows if t is not None), key=lambda row: -row[1]):
            picked = name == chosen or (side == WAREHOUSE and name in split_warehouses)
            candidates.append(Candidate(side, name, total, picked))
    split = tuple(
        SplitPart(
            str(part.get("warehouse")),
            tuple(
                (str(line.get("sku")), _number(line.get("qty")) or 0.0)
                for line in part.get("lines") or []
                if isinstance(line, Mapping)
            ),
        )
        for part in outputs.get("split") or []
        if isinstance(part, Mapping)
    )
    return RoutingAnswer(tuple(candidates), split)
