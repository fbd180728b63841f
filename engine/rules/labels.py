"""What a rule set's answer is called for a person (规则结果的显示名称): its outcomes by the glossary's
names (``term.outcome.*`` in the catalogue: approve 自动审核通过, hold 挂起待审, …), a routing answer's
warehouses and carriers by the labels of its file, a decision table's inputs by theirs, that answer as
rows to show: each candidate with its score, the one chosen marked, and a split's lines per warehouse;
and a rule's condition with the values it compared written in (:func:`compared`: ``order.total > 5000``
over ``{"order.total": 5128}`` reads ``5,128.00 > 5,000``). The studio's console and the order page
both explain decisions with these."""

from __future__ import annotations

import ast
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.common.text import Text
from engine.common.words import term
from engine.rules.expr import ExpressionError, parse
from engine.rules.routing import CompiledRouting
from engine.rules.tables import CompiledTable

__all__ = [
    "Candidate",
    "RoutingAnswer",
    "RuleLabels",
    "SplitPart",
    "compared",
    "number_text",
    "routing_answer",
    "rule_labels",
]

WAREHOUSE, CARRIER = "warehouse", "carrier"


@dataclass(frozen=True)
class RuleLabels:
    """The names of what a rule set answers with: outcomes (by the glossary), and a routing file's
    warehouses and carriers (by their labels; a name the file does not label is shown as it is)."""

    warehouses: Mapping[str, Text] = field(default_factory=dict)
    carriers: Mapping[str, Text] = field(default_factory=dict)
    inputs: Mapping[str, Text] = field(default_factory=dict)  # a decision table's, by their expression

    @staticmethod
    def outcome(code: Any, lang: str) -> str:
        return term("outcome", str(code), lang)

    def warehouse(self, name: Any, lang: str) -> str:
        label = self.warehouses.get(str(name))
        return label.get(lang) if label is not None else str(name)

    def carrier(self, name: Any, lang: str) -> str:
        label = self.carriers.get(str(name))
        return label.get(lang) if label is not None else str(name)


def rule_labels(ruleset: object, tree: Mapping[str, Any] | None = None) -> RuleLabels:
    """The labels of a compiled rule set (a routing file's warehouses and carriers; a decision table's
    inputs, read from its file's ``tree`` when given; others name only their outcomes, by the
    glossary)."""
    if isinstance(ruleset, CompiledRouting):
        return RuleLabels(
            {w.name: w.label for w in ruleset.warehouses}, {c.name: c.label for c in ruleset.carriers}
        )
    if isinstance(ruleset, CompiledTable) and tree is not None:
        labelled = {name for name, _expr in ruleset.inputs}
        inputs: dict[str, Text] = {}
        for raw in tree.get("inputs") or ():
            label = raw.get("label") if isinstance(raw, Mapping) else None
            if (
                isinstance(label, Mapping)
                and raw.get("name") in labelled
                and isinstance(raw.get("expr"), str)
            ):
                inputs[raw["expr"]] = Text(
                    str(label.get("zh", raw["name"])), str(label.get("en", raw["name"]))
                )
        return RuleLabels(inputs=inputs)
    return RuleLabels()


def number_text(value: float, money: bool = False) -> str:
    """A number as a page shows it: thousands separated, money with two decimals (``5,128.00``), other
    numbers with the digits they have and no binary artefacts (``4,102.4``, not ``4102.400000000001``)."""
    if not math.isfinite(value):
        return str(value)
    if money:
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:.15g}"
    if "e" in text:
        return text
    whole, _, decimals = text.partition(".")
    grouped = f"{int(whole):,}" if whole not in ("-0", "") else whole
    if whole.startswith("-") and not grouped.startswith("-"):
        grouped = "-" + grouped
    return f"{grouped}.{decimals}" if decimals else grouped


def _shown(value: Any, money: bool, lang: str) -> ast.expr:
    """``value`` as a node that unparses as a page shows it."""
    if value is None:
        return ast.Name(id="无" if lang.startswith("zh") else "none")
    if isinstance(value, bool):
        return ast.Name(id=str(value).lower())
    if isinstance(value, int | float):
        return ast.Name(id=number_text(value, money))
    if isinstance(value, list | tuple):
        return ast.List(elts=[_shown(item, False, lang) for item in value], ctx=ast.Load())
    return ast.Constant(value=str(value))


class _WrittenIn(ast.NodeTransformer):
    """Each part of a condition whose value was recorded, replaced by that value; number literals
    written as a page writes numbers."""

    def __init__(self, values: Mapping[str, Any], money: Collection[str], lang: str) -> None:
        self.values, self.money, self.lang = values, money, lang

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr) and not isinstance(node, ast.Constant):
            key = ast.unparse(node)
            if key in self.values:
                return _shown(self.values[key], key in self.money, self.lang)
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ast.Name(id=number_text(value))
        visited: ast.AST = super().visit(node)
        return visited


def compared(
    when: str | None, values: Mapping[str, Any] | None, money: Collection[str] = (), lang: str = "en"
) -> str | None:
    """The condition ``when`` with the values it compared written in place of what they were read
    from (a rule's trace entry: ``order.total > 5000`` over ``{"order.total": 5128.0}`` is ``5,128.00 >
    5,000`` when ``order.total`` is in ``money``); None when there is no condition or no value to write
    in, or the text is no condition (it is only parsed, never evaluated)."""
    if not when or not values:
        return None
    try:
        tree = parse(when)
    except ExpressionError:
        return None
    written = _WrittenIn(values, money, lang).visit(tree)
    assert isinstance(written, ast.Expression)
    return ast.unparse(written)


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
