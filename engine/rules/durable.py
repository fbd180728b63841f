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
  order.tags``) is an operand whose truth durable-rules compares with ``true``. Nested ``and``/``or``
  reach durable-rules flat; a condition durable-rules still refuses (it has limits of its own) is
  decided by its closure, whose truth enters the fact.

Per evaluation the fact is asserted (every condition that holds fires its action: the fact matched,
not consumed as an event would be), the fired actions are collected and the fact is retracted by its
id. Operands that only read a field (``order.customer.level``) are read a record at a time; when
every value is one the fact takes as it is (the usual case), the fact is also what the trace shows.

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
import orjson

from engine.common.text import Text
from engine.rules.expr import (
    CompiledExpression,
    ExpressionEvaluationError,
    _field,
    compile_expression,
    parse,
)
from engine.rules.matching import Condition, Match, Matcher

__all__ = ["DurableMatcher", "build_matcher", "durable_matcher"]

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
    shown: bool = True  # False: a whole condition's truth (see DurableMatcher), not a value it read


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
            return _joined("$and" if conjunction else "$or", [self.translate(v, negate) for v in node.values])
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
        if right_literal is not _NOT_LITERAL and not _durable_literal(right_literal):
            return None  # a number durable-rules would not read as written: a truth operand computes it
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
        if not values or any(value is _NOT_LITERAL or not _durable_literal(value) for value in values):
            return None
        kinds = {_literal_kind(value) for value in values if value is not None}
        if len(kinds) > 1 or BOOL in kinds or _literal(item) is not _NOT_LITERAL:
            return None  # mixed kinds: a truth operand computes it
        operand = self.operand(item)
        parts = [self.equals_literal(operand, value, inside) for value in values]
        if len(parts) == 1:
            return parts[0]
        return _joined("$or" if inside else "$and", parts)

    def whole(self, node: ast.AST) -> dict[str, Any]:
        """A condition durable-rules cannot take as translated: its truth, computed in Python."""
        source = ast.unparse(node)
        label = f"{source} (condition)"
        found = self.operands.get(label)
        if found is None:
            found = _Operand(f"a{len(self.operands)}", source, compile_expression(source), True, shown=False)
            found.allowed = {BOOL}
            self.operands[label] = found
        found.conditions.add(self.condition)
        return {found.key: True}


def _joined(op: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"$and": parts}`` with nested ``$and`` parts spliced in (likewise ``$or``): durable-rules
    expands nesting into alternatives and refuses a rule past its limit (error 113), where the same
    condition written flat is taken."""
    flat: list[dict[str, Any]] = []
    for part in parts:
        if len(part) == 1 and op in part:
            flat.extend(part[op])
        else:
            flat.append(part)
    return {op: flat}


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
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:8]
        self.durable_name = f"{name}#{version}#{digest}"
        try:
            self._handle = _create_ruleset(self.durable_name, definition)
        except durable_rules_engine.error:
            # durable-rules has limits of its own (expressions per rule): a condition past them is
            # decided by its closure, its truth entering the fact (the values it reads still do)
            for index, condition in enumerate(self.conditions):
                if not _takes(f"{self.durable_name}#c{index}", {"c": definition[f"c{index}"]}):
                    translator.condition = index
                    definition[f"c{index}"] = {"all": [{"m": translator.whole(parse(condition.source))}]}
            self._handle = _create_ruleset(self.durable_name, definition)
        self.definition = definition
        self._operands = tuple(translator.operands.values())
        self._pairs = tuple(translator.pairs)
        self._closures: tuple[Callable[[Mapping[str, Any]], Any], ...] = tuple(
            compile_expression(condition.source) for condition in self.conditions
        )
        # The loops of every evaluation, flattened into tuples once.
        paired = {pair.left for pair in self._pairs} | {pair.right for pair in self._pairs}
        self._plan = tuple(
            (
                o.key,
                o.compute._evaluate,
                o.truth,
                frozenset(o.allowed),
                frozenset(o.conditions),
                o.key in paired,
            )
            for o in self._operands
        )
        # The short way (see _operands_of) reads fields (order.customer.level) a record at a time,
        # then computes the other operands; its values come in that order.
        self._names, self._paths, read, computed = _path_groups(self._operands)
        ordered = [*read, *computed]
        position = {o.key: index for index, o in enumerate(ordered)}
        self._computes = tuple(o.compute._evaluate for o in computed)
        self._truths = tuple(index for index, o in enumerate(ordered) if o.truth)
        # per value, the exact types that enter the fact as they are
        self._direct = tuple(
            frozenset(kind_of for kind_of, kind in _DIRECT_KINDS.items() if kind in o.allowed)
            for o in ordered
        )
        self._keys = tuple(o.key for o in ordered)
        self._pair_positions = tuple(
            (position[pair.left], position[pair.right], pair.condition) for pair in self._pairs
        )
        self._pair_keys = tuple((pair.left, pair.right, pair.condition) for pair in self._pairs)
        # per condition: the operands it reads, as (source, key) for the trace
        reads: list[list[_Operand]] = [[] for _ in self.conditions]
        for operand in self._operands:
            for index in operand.conditions if operand.shown else ():
                reads[index].append(operand)
        self._values_plan = tuple(
            _values_entry(condition.id, reads[index]) for index, condition in enumerate(self.conditions)
        )
        # a fired durable-rules rule ("c3") -> the id of its condition
        self._fired_ids = {f"c{index}": condition.id for index, condition in enumerate(self.conditions)}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _fact(self, env: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], set[int]]:
        """The fact to assert, the values read (by operand key, as shown), the conditions Python decides."""
        fact, shown, python, _flat, _text = self._operands_of(env)
        return fact, shown, python

    def _operands_of(self, env: Mapping[str, Any]) -> _Operands:
        """``_fact``, whether every value shown is a JSON scalar (no list or record), the fact's JSON.

        The usual evaluation takes the short way: fields read a record at a time, every operand
        computed without an error, each a value that enters the fact as it is (a finite number, text,
        true/false or None, of a kind its comparisons take); the fact is then also what the trace
        shows. Anything else is done again one operand at a time by :meth:`_careful`.
        """
        try:
            values: list[Any] = [env.get(name) for name in self._names]
            records: dict[tuple[str, ...], Any] = {(): env}
            for at, above, name, fields in self._paths:
                record = records[above]
                record = record.get(name) if type(record) is dict else _field(record, name)
                records[at] = record
                if fields:
                    if type(record) is dict:
                        values += map(record.get, fields)
                    else:
                        values += [_field(record, field) for field in fields]
            values += [compute(env) for compute in self._computes]
        except _EVALUATION_ERRORS:
            return self._careful(env)
        for index in self._truths:
            values[index] = bool(values[index])
        types = [*map(type, values)]
        if not all(map(frozenset.__contains__, self._direct, types)):
            return self._careful(env)
        fact = dict(zip(self._keys, values, strict=False))  # as many keys as values
        fact["id"] = next(self._ids)
        # Numbers durable-rules would not read as Python has them (see _EXACT) show in the JSON:
        # orjson refuses a whole number past 2**53 here, writes NaN and infinities as null (one
        # null more than there are None) and floats far from 1 with a signed exponent ("1e+16"; a
        # text holding "e+" or "e-" takes the careful way too).
        try:
            text = orjson.dumps(fact, option=orjson.OPT_STRICT_INTEGER)
        except orjson.JSONEncodeError:
            return self._careful(env)
        if text.count(b"null") != types.count(_NONE) or b"e+" in text or b"e-" in text:
            return self._careful(env)
        python: set[int] = set()
        for left, right, condition in self._pair_positions:
            kind = _DIRECT_KINDS[types[left]]
            if kind is NONE or kind is not _DIRECT_KINDS[types[right]]:
                python.add(condition)
        return fact, fact, python, True, text.decode()

    def _careful(self, env: Mapping[str, Any]) -> _Operands:
        """``_operands_of`` one operand at a time: errors, kinds Python decides, values shown otherwise."""
        fact: dict[str, Any] = {}
        shown: dict[str, Any] = {}
        python: set[int] = set()
        kinds: dict[str, str] = {}
        flat = True
        for key, compute, truth, allowed, conditions, paired in self._plan:
            try:
                value = compute(env)
            except _EVALUATION_ERRORS:
                python.update(conditions)
                shown[key] = "<could not be evaluated>"
                continue
            if truth:
                value = bool(value)
            kind = _kind(value)
            if paired:
                kinds[key] = kind
            if kind not in allowed:
                python.update(conditions)
                shown[key] = _shown(value)
            elif kind is MOMENT or kind is NUMBER:
                if kind is MOMENT:
                    shown[key] = value.isoformat()
                    number = _instant(value)
                elif type(value) is Decimal or (type(value) is float and not math.isfinite(value)):
                    shown[key] = str(value)  # JSON has no NaN or infinity
                    number = float(value)
                else:
                    shown[key] = number = value
                if _durable_number(number, orjson.dumps(number).decode() if type(number) is float else ""):
                    fact[key] = number
                else:
                    python.update(conditions)
            elif kind is OTHER:  # a list or record, only ever compared with None: present is enough
                fact[key] = True
                shown[key] = _shown(value)
            else:
                fact[key] = shown[key] = value
            if type(shown[key]) is list or type(shown[key]) is dict:
                flat = False
        for left, right, condition in self._pair_keys:
            left_kind = kinds.get(left)
            if left_kind is None or left_kind is NONE or left_kind != kinds.get(right):
                python.add(condition)
        fact["id"] = next(self._ids)
        return fact, shown, python, flat, _fact_text(fact)

    def _durable(self, ident: int, text: str) -> set[str]:
        """Assert the fact (its id, its JSON), collect the rules that fired, retract it."""
        handle = self._handle
        engine = durable_rules_engine
        fired: set[str] = set()
        with self._lock:
            code, state = engine.assert_fact(handle, text)
            try:
                if code == 0:  # 1: no rule holds
                    result = engine.start_action_for_state(handle, state)
                    message = result[1] if result else None
                    while message:  # '{"c3":{"m":{...the fact...}}}': one fired rule per action
                        fired.add(message[2 : message.index('"', 2)])
                        message = engine.complete_and_start_action(handle, state)
            finally:
                # durable-rules finds a fact by its id: the rest of it is not read again (no rule
                # holds a fact once its action completed), and parsing it again cost a fifth
                engine.retract_fact(handle, f'{{"id":{ident}}}')
        return fired

    def match(self, env: Mapping[str, Any]) -> Match:
        fact, shown, python, flat, text = self._operands_of(env)
        fired = self._durable(fact["id"], text)
        # most conditions read one to three values: no comprehension of their own for those
        values = {
            condition_id: {s1: shown[k1]}
            if count == 1
            else {s1: shown[k1], s2: shown[k2]}
            if count == 2
            else {s1: shown[k1], s2: shown[k2], s3: shown[k3]}
            if count == 3
            else {source: shown[key] for source, key in reads}
            for condition_id, count, s1, k1, s2, k2, s3, k3, reads in self._values_plan
        }
        fired_ids = self._fired_ids
        if not python:
            return Match(frozenset([fired_ids[name] for name in fired]), {}, values, flat)
        # conditions whose operands durable-rules cannot compare as Python does: their closures decide
        matched = [fired_ids[name] for name in fired if int(name[1:]) not in python]
        errors: dict[str, Text] = {}
        for index in sorted(python):
            condition_id = self.conditions[index].id
            try:
                held = bool(self._closures[index](env))
            except ExpressionEvaluationError as error:
                errors[condition_id] = Text(error.message("zh"), str(error))
                continue
            if held:
                matched.append(condition_id)
        return Match(frozenset(matched), errors, values, flat)


# The exact types of values that enter the fact as they are when their kind is allowed (a number
# when durable-rules reads it as Python has it), and their kinds.
_DIRECT_KINDS: Mapping[type, str] = {int: NUMBER, float: NUMBER, str: TEXT, bool: BOOL, type(None): NONE}

# durable-rules compares numbers as doubles, so whole numbers past 2**53 lose their last digits, and
# its JSON reader takes an exponent only after a decimal point ("1.5e+16", not "1e+16" or "1e-7": a
# fact holding one was refused, error 204). Such numbers, and NaN and the infinities, go to Python.
_EXACT = 2**53
_NONE = type(None)


def _durable_number(value: float, written: str) -> bool:
    """Whether durable-rules reads ``value``, ``written`` in JSON, as Python has it."""
    if type(value) is int:
        return -_EXACT <= value <= _EXACT
    return math.isfinite(value) and "e" not in written


def _durable_literal(value: Any) -> bool:
    """A literal of the rules, as json.dumps writes it in their definition."""
    return _literal_kind(value) != NUMBER or _durable_number(value, json.dumps(value))


_Record = tuple[tuple[str, ...], tuple[str, ...], str, tuple[str, ...]]
# fact (with its id), values shown by operand key, conditions Python decides, shown as scalars, JSON
_Operands = tuple[dict[str, Any], dict[str, Any], set[int], bool, str]


def _path_groups(
    operands: Sequence[_Operand],
) -> tuple[tuple[str, ...], tuple[_Record, ...], list[_Operand], list[_Operand]]:
    """Operands that only read a name or a field (``now``, ``order.total``), by what they read.

    Gives the names read from the environment itself; parents first, every record to reach (its
    path, its parent's path, its name, the fields read from it); the operands those names and fields
    are, in that order; and every other operand.
    """
    fields: dict[tuple[str, ...], list[str]] = {}
    operand_of: dict[tuple[str, ...], list[_Operand]] = {}
    computed: list[_Operand] = []
    for operand in operands:
        node: ast.AST = parse(operand.source).body
        path: list[str] = []
        while isinstance(node, ast.Attribute):
            path.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            computed.append(operand)
            continue
        path.append(node.id)
        path.reverse()
        record = tuple(path[:-1])
        for depth in range(1, len(record) + 1):
            fields.setdefault(record[:depth], [])
        fields.setdefault(record, []).append(path[-1])
        operand_of.setdefault(record, []).append(operand)
    names = tuple(fields.pop((), []))
    read = operand_of.pop((), [])
    groups: list[_Record] = []
    for record in sorted(fields, key=len):
        groups.append((record, record[:-1], record[-1], tuple(fields[record])))
        read += operand_of.get(record, [])
    return names, tuple(groups), read, computed


def _values_entry(
    condition_id: str, reads: Sequence[_Operand]
) -> tuple[str, int, str, str, str, str, str, str, tuple[tuple[str, str], ...]]:
    """What ``match`` reads to show a condition's values: its id, how many it reads, the first three
    as source and key (blank past the last), and all of them."""
    pairs = tuple((o.source, o.key) for o in reads)
    (s1, k1), (s2, k2), (s3, k3) = (*pairs[:3], *[("", "")] * (3 - min(3, len(pairs))))
    return condition_id, len(pairs), s1, k1, s2, k2, s3, k3, pairs


def _create_ruleset(name: str, definition: Mapping[str, Any]) -> int:
    # durable-rules reads "\\u" escapes literally: both sides carry the text itself, as UTF-8
    handle: int = durable_rules_engine.create_ruleset(name, json.dumps(definition, ensure_ascii=False))
    return handle


def _takes(name: str, definition: Mapping[str, Any]) -> bool:
    """Whether durable-rules accepts ``definition`` (tried in a ruleset of its own, deleted after)."""
    try:
        handle = _create_ruleset(name, definition)
    except durable_rules_engine.error:
        return False
    durable_rules_engine.delete_ruleset(handle)
    return True


def _fact_text(fact: dict[str, Any]) -> str:
    """The fact as durable-rules reads it: JSON, text as UTF-8 (no "\\u" escapes but those JSON needs)."""
    try:
        return orjson.dumps(fact).decode()
    except orjson.JSONEncodeError:  # what orjson refuses (an integer beyond 64 bits), json writes
        return json.dumps(fact, ensure_ascii=False)


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


def build_matcher(name: str, version: str, conditions: Sequence[Condition]) -> Matcher:
    """The matcher of one rule set version (built once; later calls with the same version reuse it)."""
    return durable_matcher(name, version, conditions)
