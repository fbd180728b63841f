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

from engine.common.list_keys import OWED_OPENING
from engine.common.text import Text
from engine.common.words import term, words_of
from engine.rules.expr import ExpressionError, parse
from engine.rules.list_checks import declared_lists
from engine.rules.routing import CompiledRouting
from engine.rules.tables import CompiledTable

__all__ = [
    "Candidate",
    "Operand",
    "RoutingAnswer",
    "RuleLabels",
    "SplitPart",
    "compared",
    "number_text",
    "routing_answer",
    "rule_labels",
    "said",
]

WAREHOUSE, CARRIER = "warehouse", "carrier"


@dataclass(frozen=True)
class RuleLabels:
    """The names of what a rule set answers with: outcomes (by the glossary), and a routing file's
    warehouses and carriers (by their labels; a name the file does not label is shown as it is)."""

    warehouses: Mapping[str, Text] = field(default_factory=dict)
    carriers: Mapping[str, Text] = field(default_factory=dict)
    inputs: Mapping[str, Text] = field(default_factory=dict)  # a decision table's, by their expression
    lists: Mapping[str, Text] = field(default_factory=dict)  # the managed lists the file declares, by name

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
    glossary), and of the managed lists its file declares (``lists:``, read from ``tree``)."""
    lists = {name: label for name, (_kind, label) in declared_lists(tree).items()} if tree is not None else {}
    if isinstance(ruleset, CompiledRouting):
        return RuleLabels(
            {w.name: w.label for w in ruleset.warehouses},
            {c.name: c.label for c in ruleset.carriers},
            lists=lists,
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
        return RuleLabels(inputs=inputs, lists=lists)
    return RuleLabels(lists=lists)


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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


# ---------------------------------------------------------------------------------------------------
# A condition in words


@dataclass(frozen=True)
class Operand:
    """What a condition's operand is called for a person: the label of the field it reads (``order.
    account.tier`` is 客户等级), its choices by their labels (``silver`` is 银牌), and whether it holds
    money (written with two decimals)."""

    label: Text
    choices: Mapping[Any, Text] = field(default_factory=dict)
    money: bool = False


# Functions of the condition language that count time since a moment: the unit their number is in.
_TIME_UNITS = words_of("rules.time_unit")
_SYMBOLS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "=", ast.NotEq: "≠"}
# A comparison by its name in the catalogue (rules.compare.<name>): 少于, is at least…
_OP_NAMES = {
    ast.Lt: "lt",
    ast.LtE: "lte",
    ast.Gt: "gt",
    ast.GtE: "gte",
    ast.Eq: "eq",
    ast.NotEq: "not_eq",
    ast.In: "in",
    ast.NotIn: "not_in",
}
_OP_WORDS = {op: words_of("rules.compare")[name] for op, name in _OP_NAMES.items()}
_NOT_GIVEN = Text("未填", "not given")
_GIVEN, _NOT_GIVEN_NOW = Text("已填", "is given"), Text("未填", "is not given")
_YES, _NO = Text("是", "yes"), Text("否", "no")
_SEPARATOR = Text("；", "; ")
_OR = Text(" 或 ", " or ")
_NOT = Text("不是 {0}", "not {0}")
_LENGTH = Text("{0}的长度", "the length of {0}")
_SINCE = Text("距{0}的{1}数", "{1} since {0}")
_NOT_SO = Text("并非（{0}）", "not so: ({0})")
_OF_IT_OPENING = Text("（含期初欠款 {0}）", " (opening balance {0} included)")


# The customer facts (engine.common.list_keys.CUSTOMER_FACTS) by their words; the money they hold.
_FACT_WORDS: Mapping[str, tuple[Text, bool]] = {
    "open_orders": (Text("未完成订单数", "open orders"), False),
    "open_amount": (Text("未完成订单金额", "open orders' total"), True),
    "owed": (Text("欠款", "owed"), True),
    "orders_in_days": (Text("近 {0} 天订单数", "orders in the last {0} days"), False),
    "returns_in_days": (Text("近 {0} 天退货数", "returns in the last {0} days"), False),
}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-"}
_ON_LIST = Text("{0}在名单“{1}”中", "{0} is on the list “{1}”")
_NOT_ON_LIST = Text("{0}不在名单“{1}”中", "{0} is not on the list “{1}”")


def _is_in_list(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "in_list"
        and len(node.args) == 2
        and isinstance(node.args[0], ast.Constant)
    )


def _fact_operand(node: ast.expr) -> Operand | None:
    """A customer fact's call (``owed()``, ``orders_in_days(7)``) as an operand: its words, its money."""
    if (
        not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name))
        or node.func.id not in _FACT_WORDS
    ):
        return None
    words, money = _FACT_WORDS[node.func.id]
    days = ast.unparse(node.args[0]) if node.args else ""
    return Operand(Text(words.zh.format(days), words.en.format(days)), money=money)


class _Words:
    """A condition told in words in one language: each part by the label of what it reads and the value
    it read (when ``values`` has it), enum values by their labels, numbers as a page writes them (money
    with two decimals, time rounded to a tenth with its unit), parts joined by ``；``/``;``."""

    def __init__(
        self,
        values: Mapping[str, Any],
        operands: Mapping[str, Operand],
        lang: str,
        masked: Collection[str],
        lists: Mapping[str, Text],
    ) -> None:
        self.values, self.operands, self.masked, self.lists = values, operands, masked, lists
        self.lang = "zh" if lang.startswith("zh") else "en"

    def t(self, text: Text, *args: str) -> str:
        return text.get(self.lang).format(*args)

    def condition(self, node: ast.expr) -> str:
        if isinstance(node, ast.BoolOp):
            joiner = _SEPARATOR if isinstance(node.op, ast.And) else _OR
            values = node.values
            if isinstance(node.op, ast.And):  # ``x != None and x >= 3``: the value said once
                values = [v for v in values if not self._given_and_told(v, node)] or values
            return self.t(joiner).join(self.inner(value, node) for value in values)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            operand = node.operand
            if self._told_as_value(operand) or self._read(operand) is not None:
                return self.condition(operand)  # the value read (and what it is not) says it
            return self.t(_NOT_SO, self.condition(operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call) and _is_in_list(node):
            return self.in_list(node)
        name, shown = self.name(node), self.side(node, None)
        return f"{name} {shown}" if name and self._read(node) is not None else shown

    def inner(self, node: ast.expr, outer: ast.BoolOp) -> str:
        said = self.condition(node)
        if isinstance(node, ast.BoolOp) and type(node.op) is not type(outer.op):
            return f"（{said}）" if self.lang == "zh" else f"({said})"
        return said

    def _given_and_told(self, node: ast.expr, outer: ast.BoolOp) -> bool:
        """``x != None`` that held, where another part of ``outer`` reads ``x`` (and says its value)."""
        if not (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.NotEq)
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value is None
        ):
            return False
        read = self._read(node.left)
        name = ast.unparse(node.left)
        return (
            read is not None
            and read[0] is not None
            and any(other is not node and name in ast.unparse(other) for other in outer.values)
        )

    def _told_as_value(self, node: ast.expr) -> bool:
        """An equality or a membership on a value that was read: said as the value and what it is not,
        which reads the same whether or not it is negated."""
        return (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq | ast.NotEq | ast.In | ast.NotIn)
            and self._read(node.left) is not None
        )

    def _read(self, node: ast.expr) -> tuple[Any] | None:
        key = ast.unparse(node)
        return (self.values[key],) if key in self.values else None

    def compare(self, node: ast.Compare) -> str:
        if self._told_as_value(node):
            return self.value_and_what_it_is_not(node)
        sides = [node.left, *node.comparators]
        if any(self._parts_read(side) for side in sides if isinstance(side, ast.BinOp)) and all(
            type(op) in _SYMBOLS for op in node.ops
        ):  # a sum of values read (owed() + order.total): each part by its label and value
            shown = [self.labelled(side) for side in sides]
            out = shown[0]
            for op, written in zip(node.ops, shown[1:], strict=True):
                out += f" {_SYMBOLS[type(op)]} {written}"
            return out
        unit = self._unit(node)
        sides = [node.left, *node.comparators]
        # a constant compared with a field is written as that field's values are (a choice by its label)
        peer = next((o for side in sides if (o := self.operands.get(ast.unparse(side))) is not None), None)
        if all(self._read(side) is not None or isinstance(side, ast.Constant) for side in sides) and all(
            type(op) in _SYMBOLS for op in node.ops
        ):
            shown = [self.number_or_value(side, unit, peer) for side in sides]
            out = shown[0]
            for op, written in zip(node.ops, shown[1:], strict=True):
                out += f" {_SYMBOLS[type(op)]} {written}"
            return out
        right = node.comparators[0]
        if len(node.ops) == 1 and isinstance(right, ast.Constant) and right.value is None:
            given = isinstance(node.ops[0], ast.NotEq | ast.IsNot)  # ``x != None``: x is given
            return f"{self.side(node.left, unit, peer)} {self.t(_GIVEN if given else _NOT_GIVEN_NOW)}"
        out = self.side(node.left, unit, peer)
        for op, right in zip(node.ops, node.comparators, strict=True):
            words = _OP_WORDS.get(type(op))
            if words is None:
                return ast.unparse(node)
            out += f" {self.t(words)} {self.side(right, unit, peer)}"
        return out

    def in_list(self, node: ast.Call) -> str:
        """``in_list('blocked-mobiles', order.customer.mobile)``: what it matched, on the list or not."""
        assert isinstance(node.args[0], ast.Constant)
        listed, what = str(node.args[0].value), node.args[1]
        shown = self.name(what) or ast.unparse(what)
        read = self._read(node)
        words = _NOT_ON_LIST if read is not None and not read[0] else _ON_LIST
        label = self.lists.get(listed)  # the list by its label in the reader's language (its name without)
        return self.t(words, shown, label.get(self.lang) if label is not None else listed)

    def _parts_read(self, node: ast.expr) -> bool:
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            return self._parts_read(node.left) and self._parts_read(node.right)
        return self._read(node) is not None or isinstance(node, ast.Constant)

    def labelled(self, node: ast.expr) -> str:
        """A side written part by part, each value read beside its label (``欠款 182,000.00``)."""
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC and self._parts_read(node):
            return f"{self.labelled(node.left)} {_ARITHMETIC[type(node.op)]} {self.labelled(node.right)}"
        shown = self.number_or_value(node, None)
        name = self.name(node) if self._read(node) is not None else ""
        opening = self.values.get(OWED_OPENING) if ast.unparse(node) == "owed()" else None
        if name and _is_number(opening) and opening:  # what is owed counts the opening balance: said so
            shown += self.t(_OF_IT_OPENING, number_text(opening, money=True))
        return f"{name} {shown}" if name else shown

    def value_and_what_it_is_not(self, node: ast.Compare) -> str:
        read = self._read(node.left)
        assert read is not None
        value, operand = read[0], self.operands.get(ast.unparse(node.left))
        label = self.name(node.left)
        shown = self.value(value, operand)
        right = node.comparators[0]
        wanted = _constants(right)
        said = f"{label} {shown}" if label else shown
        if wanted is None or value in wanted or ast.unparse(node.left) in self.masked:
            return said  # a masked value is not compared with what it is not (that would tell it)
        if isinstance(node.ops[0], ast.Eq | ast.NotEq) and wanted == [None]:
            return said  # a value given, compared with none: the value says it was given
        others = "、" if self.lang == "zh" else " or "
        listed = others.join(self.value(item, operand) for item in wanted)
        return (
            f"{said}（{self.t(_NOT, listed)}）" if self.lang == "zh" else f"{said} ({self.t(_NOT, listed)})"
        )

    def _unit(self, node: ast.Compare) -> Text | None:
        for side in (node.left, *node.comparators):
            if isinstance(side, ast.Call) and isinstance(side.func, ast.Name):
                unit = _TIME_UNITS.get(side.func.id)
                if unit is not None:
                    return unit
        return None

    def number_or_value(self, node: ast.expr, unit: Text | None, peer: Operand | None = None) -> str:
        read = self._read(node)
        value: Any = read[0] if read is not None else (node.value if isinstance(node, ast.Constant) else None)
        operand = self.operands.get(ast.unparse(node)) or _fact_operand(node)
        if operand is None and isinstance(node, ast.Constant) and peer is not None:
            operand = Operand(peer.label, peer.choices)  # its choices' labels, written as a number is
        if unit is not None and _is_number(value):
            return f"{number_text(round(float(value), 1))} {self.t(unit)}"
        return self.value(value, operand)

    def value(self, value: Any, operand: Operand | None) -> str:
        if operand is not None and isinstance(value, str | int | float | bool):
            label = operand.choices.get(value)
            if label is not None:
                return label.get(self.lang)
        if value is None:
            return self.t(_NOT_GIVEN)
        if isinstance(value, bool):
            return self.t(_YES if value else _NO)
        if _is_number(value):
            return number_text(value, operand is not None and operand.money)
        if isinstance(value, list | tuple):
            return ("、" if self.lang == "zh" else ", ").join(self.value(item, operand) for item in value)
        return str(value)

    def name(self, node: ast.expr) -> str:
        """What a part of the condition reads, by its label: a field, the time since one, a length."""
        operand = self.operands.get(ast.unparse(node)) or _fact_operand(node)
        if operand is not None:
            return operand.label.get(self.lang)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
            inner = self.operands.get(ast.unparse(node.args[0]))
            unit = _TIME_UNITS.get(node.func.id)
            if inner is not None and unit is not None:
                return self.t(_SINCE, inner.label.get(self.lang), self.t(unit))
            if inner is not None and node.func.id == "len":
                return self.t(_LENGTH, inner.label.get(self.lang))
        return ""

    def side(self, node: ast.expr, unit: Text | None, peer: Operand | None = None) -> str:
        """A side of a comparison: the value it read, else its name, else a constant as a page writes
        it; an expression with none of these as it is written (never evaluated)."""
        if self._read(node) is not None or isinstance(node, ast.Constant):
            return self.number_or_value(node, unit, peer)
        if isinstance(node, ast.List | ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
            return self.value([e.value for e in node.elts if isinstance(e, ast.Constant)], peer)
        return self.name(node) or ast.unparse(node)


def _constants(node: ast.expr) -> list[Any] | None:
    if isinstance(node, ast.Constant):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple | ast.Set) and all(
        isinstance(e, ast.Constant) for e in node.elts
    ):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return None


def said(
    when: str | None,
    values: Mapping[str, Any] | None,
    operands: Mapping[str, Operand] | None = None,
    lang: str = "en",
    masked: Collection[str] = (),
    lists: Mapping[str, Text] | None = None,
) -> str | None:
    """The condition ``when`` told in words in ``lang``, with the values it compared (a rule's trace
    entry) where it read them: ``order.total > 5000`` over ``{"order.total": 5128.0}`` is ``5,128.00 >
    5,000`` (``order.total`` money), ``not order.account.tier in ['gold', 'platinum']`` over ``silver``
    is ``客户等级 银牌（不是 金牌、铂金）``, ``days_since(order.delivered_at) > 7`` over 7.9476 is ``7.9 天
    > 7 天``; without values (a timer's condition), each part by its label (``距签收时间的天数 不少于
    7``); ``masked``: the names whose values were masked for the reader (said as they are, never
    with what they are not); ``lists``: the labels of the managed lists ``in_list`` names (a list
    without one is said by its name). None when there is no condition or the text is none (it is only
    parsed, never evaluated)."""
    if not when:
        return None
    try:
        tree = parse(when)
    except ExpressionError:
        return None
    body = _NegativeNumbers().visit(tree.body)
    return _Words(values or {}, operands or {}, lang, masked, lists or {}).condition(body)


class _NegativeNumbers(ast.NodeTransformer):
    """``-5`` (a minus before a number) read as the number -5, as a constant is."""

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        operand = node.operand
        number = operand.value if isinstance(operand, ast.Constant) else None
        if isinstance(node.op, ast.USub) and isinstance(number, int | float) and _is_number(number):
            return ast.Constant(value=-number)
        self.generic_visit(node)
        return node


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
