"""Conditions compiled into durable-rules rulesets: the matcher behind every rule kind.

Each condition's syntax tree (``engine.rules.expr.parse``) is split in two:

* **operands** (``order.total``, ``len(order.lines)``, ``sum(pluck(order.lines, "amount"))``) are read
  or computed in Python by the expression language's own closures, once per evaluation, into one flat
  fact (``{"id": 7, "a0": 6200, "a1": 3, "a2": null}``; every operand is present: durable-rules finds
  no rule true of a missing key, while ``null`` compares as ``None`` does);
* the **logic** (comparisons with literals and with other operands, ``and``/``or``/``not``, ``in`` a
  literal list, ``== None``) becomes durable-rules JSON over that fact (``{"$gt": {"a0": 5000}}``), one
  durable-rules rule per condition, registered once per rule set version under
  ``<ruleset>#<version>#<conditions hash>`` (durable-rules cannot replace a ruleset; a new version is a
  new one beside it). Anything else in a boolean position (``any(...)``, a bare field, ``x in
  order.tags``) is an operand whose truth durable-rules compares with ``true``.

Per evaluation the fact is asserted (every condition that holds fires its action: the fact matched,
not consumed as an event would be), the fired actions are collected and the fact is retracted.

Python's semantics stay the reference (docs/expressions.md): where they and JSON comparison could
differ, the condition is evaluated by its closure instead, for that evaluation only. That happens when
an operand could not be computed (an error that ``and``/``or`` short-circuiting might never reach), or
holds a kind its comparisons do not expect (text where a number is compared, true/false as a number,
a list, a date beside a number). Dates and times are compared as instants (seconds since the epoch).
``tests/engine/rules/test_durable.py`` checks with Hypothesis that both give the same verdicts.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import durable_rules_engine

from engine.rules.expr import (
    CompiledExpression,
    ExpressionEvaluationError,
    compile_expression,
    parse,
)
from engine.rules.matching import Condition, Match

__all__ = ["DurableMatcher", "durable_matcher"]

# The kinds of operand values (what decides how durable-rules may compare them).
NUMBER, TEXT, BOOL, MOMENT, NONE, OTHER = "number", "text", "bool", "moment", "none", "other"
ANY = frozenset({NUMBER, TEXT, BOOL, MOMENT, NONE, OTHER})
_ORDERING = {ast.Lt: "$lt", ast.LtE: "$lte", ast.Gt: "$gt", ast.GtE: "$gte"}
_NEGATED = {"$lt": "$gte", "$lte": "$gt", "$gt": "$lte", "$gte": "$lt"}
_FLIPPED = {"$lt": "$gt", "$lte": "$gte", "$gt": "$lt", "$gte": "$lte"}


def _kind(value: Any) -> str:
    kind = type(value)
    if kind is int or kind is float or kind is Decimal:
        return NUMBER
    if kind is str:
        return TEXT
    if kind is bool:
        return BOOL
    if value is None:
        return NONE
    if isinstance(value, datetime | date):
        return MOMENT
    return OTHER


def _literal_kind(value: Any) -> str:
    return _kind(value)


def _instant(value: datetime | date) -> float:
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.timestamp()
    return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()


def _shown(value: Any) -> Any:
    """A value as a trace shows it (JSON-ready)."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _shown(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_shown(v) for v in value]
    return str(value)


@dataclass
class _Operand:
    """One value the conditions read: computed in Python, compared by durable-rules."""

    key: str  # its name in the fact: a0, a1, ...
    source: str  # the expression text, as the trace shows it
    compute: CompiledExpression
    truth: bool  # a condition in its own right: the fact holds bool(value)
    allowed: set[str] = field(default_factory=lambda: set(ANY))  # kinds its comparisons accept
    conditions: set[int] = field(default_factory=set)  # indexes of the conditions that read it


@dataclass(frozen=True)
class _Pair:
    """A comparison between two operands: both must hold values of one comparable kind."""

    left: str
    right: str
    ordering: bool
    condition: int


class _Translator:
    """Turns the conditions of one rule set into durable-rules JSON and the operands they read."""

    def __init__(self) -> None:
        self.operands: dict[str, _Operand] = {}  # by source text, shared between conditions
        self.pairs: list[_Pair] = []
        self.condition = 0

    def operand(self, node: ast.AST, truth: bool = False) -> _Operand:
        source = ast.unparse(node)
        label = f"{source} (truth)" if truth else source
        found = self.operands.get(label)
        if found is None:
            found = _Operand(f"a{len(self.operands)}", source, compile_expression(source), truth)
            if truth:
                found.allowed = {BOOL}
            self.operands[label] = found
        found.conditions.add(self.condition)
        return found

    def allow(self, operand: _Operand, kinds: set[str]) -> None:
        operand.allowed &= kinds

    def translate(self, node: ast.AST, negate: bool = False) -> dict[str, Any]:
        if isinstance(node, ast.Expression):
            return self.translate(node.body, negate)
        if isinstance(node, ast.BoolOp):
            conjunction = isinstance(node.op, ast.And) != negate
            parts = [self.translate(value, negate) for value in node.values]
            return {"$and" if conjunction else "$or": parts}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.translate(node.operand, not negate)
        if isinstance(node, ast.Compare):
            if len(node.ops) > 1:  # a < b < c: every link holds
                links: list[ast.expr] = []
                left = node.left
                for op, right in zip(node.ops, node.comparators, strict=True):
                    links.append(ast.Compare(left=left, ops=[op], comparators=[right]))
                    left = right
                return self.translate(ast.BoolOp(op=ast.And(), values=links), negate)
            translated = self.compare(node.left, node.ops[0], node.comparators[0], negate)
            if translated is not None:
                return translated
        return self.truth(node, negate)

    def truth(self, node: ast.AST, negate: bool) -> dict[str, Any]:
        operand = self.operand(node, truth=True)
        return {operand.key: not negate}

    def compare(self, left: ast.AST, op: ast.cmpop, right: ast.AST, negate: bool) -> dict[str, Any] | None:
        if isinstance(op, ast.Is | ast.IsNot):
            op = ast.Eq() if isinstance(op, ast.Is) else ast.NotEq()
        if isinstance(op, ast.In | ast.NotIn):
            return self.membership(left, right, isinstance(op, ast.In) != negate)
        left_literal, right_literal = _literal(left), _literal(right)
        if left_literal is not _NOT_LITERAL and right_literal is not _NOT_LITERAL:
            return None  # two literals: a truth operand computes it
        if left_literal is not _NOT_LITERAL:  # 5 < order.total  ->  order.total > 5
            left, right, left_literal, right_literal = right, left, right_literal, left_literal
            if type(op) in _ORDERING:
                op = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE}[type(op)]()
        if isinstance(op, ast.Eq | ast.NotEq):
            equal = isinstance(op, ast.Eq) != negate
            if right_literal is not _NOT_LITERAL:
                return self.equals_literal(self.operand(left), right_literal, equal)
            return self.between(left, right, "$eq" if equal else "$neq", negate=False, ordering=False)
        symbol = _ORDERING[type(op)]
        if right_literal is _NOT_LITERAL:
            return self.between(left, right, symbol, negate, ordering=True)
        kind = _literal_kind(right_literal)
        if kind not in (NUMBER, TEXT):
            return None  # None or true/false on one side of '<': a truth operand computes it
        operand = self.operand(left)
        self.allow(operand, {kind, NONE})
        literal = float(right_literal) if isinstance(right_literal, Decimal) else right_literal
        if not negate:
            return {symbol: {operand.key: literal}}  # null compared with '<' is false, as None is
        return {"$or": [{_NEGATED[symbol]: {operand.key: literal}}, {operand.key: None}]}

    def equals_literal(self, operand: _Operand, literal: Any, equal: bool) -> dict[str, Any]:
        if literal is None:
            return {operand.key: None} if equal else {"$neq": {operand.key: None}}
        kind = _literal_kind(literal)
        # Python's == says 1 == 1.0 and True == 1; JSON's says neither across kinds: keep to one kind.
        self.allow(operand, {kind, NONE} if kind != BOOL else {BOOL, NONE})
        if kind == NUMBER:
            self.allow(operand, {NUMBER, NONE})
        if equal:
            return {operand.key: literal}
        return {"$or": [{"$neq": {operand.key: literal}}, {operand.key: None}]}  # null != x is false

    def between(
        self, left: ast.AST, right: ast.AST, symbol: str, negate: bool, ordering: bool
    ) -> dict[str, Any]:
        first, second = self.operand(left), self.operand(right)
        kinds = {NUMBER, TEXT, MOMENT, NONE} if ordering else {NUMBER, TEXT, MOMENT, BOOL, NONE}
        self.allow(first, kinds)  # the pair is checked per evaluation: one kind on both sides, no None
        self.allow(second, kinds)
        self.pairs.append(_Pair(first.key, second.key, ordering, self.condition))
        if negate:
            symbol = _NEGATED[symbol]
        return {symbol: {first.key: {"$m": second.key}}}

    def membership(self, item: ast.AST, container: ast.AST, inside: bool) -> dict[str, Any] | None:
        if not isinstance(container, ast.List | ast.Tuple):
            return None
        values = [_literal(element) for element in container.elts]
        if not values or any(value is _NOT_LITERAL for value in values):
            return None
        kinds = {_literal_kind(value) for value in values if value is not None}
        if len(kinds) > 1 or BOOL in kinds or _literal(item) is not _NOT_LITERAL:
            return None  # mixed kinds: a truth operand computes it
        operand = self.operand(item)
        parts = [self.equals_literal(operand, value, inside) for value in values]
        if len(parts) == 1:
            return parts[0]
        return {"$or" if inside else "$and": parts}


_NOT_LITERAL = object()


def _literal(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant) and (node.value is None or type(node.value) in (str, int, float, bool)):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub | ast.UAdd)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        value: Any = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    return _NOT_LITERAL


class DurableMatcher:
    """The conditions of one rule set version, registered as one durable-rules ruleset."""

    def __init__(self, name: str, version: str, conditions: Sequence[Condition]) -> None:
        self.name = name
        self.version = version
        self.conditions = tuple(conditions)
        ids = [condition.id for condition in self.conditions]
        if len(set(ids)) != len(ids):
            raise ValueError(f"condition ids of {name} must be unique")
        translator = _Translator()
        definition: dict[str, Any] = {}
        for index, condition in enumerate(self.conditions):
            translator.condition = index
            definition[f"c{index}"] = {"all": [{"m": translator.translate(parse(condition.source))}]}
        self._operands = tuple(translator.operands.values())
        self._pairs = tuple(translator.pairs)
        self._closures: tuple[Callable[[Mapping[str, Any]], Any], ...] = tuple(
            compile_expression(condition.source) for condition in self.conditions
        )
        # per condition: the operands it reads, as (key, source) for the trace
        reads: list[list[_Operand]] = [[] for _ in self.conditions]
        for operand in self._operands:
            for index in operand.conditions:
                reads[index].append(operand)
        # The loops of every evaluation, flattened into tuples once.
        self._plan = tuple(
            (o.key, o.compute._evaluate, o.truth, frozenset(o.allowed), frozenset(o.conditions))
            for o in self._operands
        )
        self._conditions_plan = tuple(
            (index, condition.id, f"c{index}", tuple((o.source, o.key) for o in reads[index]))
            for index, condition in enumerate(self.conditions)
        )
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:8]
        self.durable_name = f"{name}#{version}#{digest}"
        self.definition = definition
        # durable-rules reads "\\u" escapes literally: both sides carry the text itself, as UTF-8
        text = json.dumps(definition, ensure_ascii=False)
        self._handle = durable_rules_engine.create_ruleset(self.durable_name, text)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _fact(self, env: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[int]]:
        """The fact to assert, the values read (by operand key, as shown), the conditions Python decides."""
        fact: dict[str, Any] = {}
        shown: dict[str, Any] = {}
        python: set[int] = set()
        kinds: dict[str, str] = {}
        for key, compute, truth, allowed, conditions in self._plan:
            try:
                value = compute(env)
            except _EVALUATION_ERRORS:
                python.update(conditions)
                shown[key] = "<could not be evaluated>"
                continue
            if truth:
                value = bool(value)
            kind = _kind(value)
            kinds[key] = kind
            if kind not in allowed:
                python.update(conditions)
                shown[key] = _shown(value)
                continue
            if kind is MOMENT:
                fact[key] = _instant(value)
                shown[key] = value.isoformat()
            elif kind is NUMBER and type(value) is not int:
                if type(value) is Decimal:
                    shown[key] = str(value)
                    value = float(value)
                elif not math.isfinite(value):
                    python.update(conditions)
                    shown[key] = str(value)
                    continue
                else:
                    shown[key] = value
                fact[key] = value
            elif kind is OTHER:  # a list or record, only ever compared with None: present is enough
                fact[key] = True
                shown[key] = _shown(value)
            else:
                fact[key] = shown[key] = value
        for pair in self._pairs:
            left, right = kinds.get(pair.left), kinds.get(pair.right)
            if left != right or left is NONE or left is None:
                python.add(pair.condition)
        return fact, shown, python

    def _durable(self, fact: dict[str, Any]) -> set[str]:
        """Assert the fact, collect the rules that fired, retract it."""
        handle = self._handle
        engine = durable_rules_engine
        fired: set[str] = set()
        with self._lock:
            fact["id"] = next(self._ids)
            text = json.dumps(fact, ensure_ascii=False)
            code, state = engine.assert_fact(handle, text)
            try:
                if code == 0:  # 1: no rule holds
                    result = engine.start_action_for_state(handle, state)
                    message = result[1] if result else None
                    while message:  # '{"c3":{"m":{...the fact...}}}': one fired rule per action
                        fired.add(message[2 : message.index('"', 2)])
                        message = engine.complete_and_start_action(handle, state)
            finally:
                engine.retract_fact(handle, text)
        return fired

    def match(self, env: Mapping[str, Any]) -> Match:
        fact, shown, python = self._fact(env)
        fired = self._durable(fact)
        matched: set[str] = set()
        errors: dict[str, str] = {}
        values: dict[str, dict[str, Any]] = {}
        for index, condition_id, rule_name, reads in self._conditions_plan:
            values[condition_id] = {source: shown.get(key) for source, key in reads}
            if index in python:
                try:
                    held = bool(self._closures[index](env))
                except ExpressionEvaluationError as error:
                    errors[condition_id] = str(error)
                    continue
            else:
                held = rule_name in fired
            if held:
                matched.add(condition_id)
        return Match(frozenset(matched), errors, values)


# What an operand's closure raises on data it cannot work with (CompiledExpression wraps the same).
_EVALUATION_ERRORS = (
    ExpressionEvaluationError,
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    LookupError,
)


_MATCHERS: dict[tuple[str, str, tuple[Condition, ...]], DurableMatcher] = {}
_MATCHERS_LOCK = threading.Lock()


def durable_matcher(name: str, version: str, conditions: Sequence[Condition]) -> DurableMatcher:
    """The matcher of ``conditions`` for rule set ``name`` at ``version``, registered once per process."""
    key = (name, version, tuple(conditions))
    with _MATCHERS_LOCK:
        found = _MATCHERS.get(key)
        if found is None:
            found = DurableMatcher(name, version, conditions)
            _MATCHERS[key] = found
        return found
