"""Decision tables (决策表): rows of unary tests on named inputs, outputs, and a hit policy, like DMN.

A table names its ``inputs`` (each an expression of the condition language, e.g. ``order.total``), its
``outputs`` (always including ``outcome``) and a ``hit_policy``. Every row (``rules``) has ``cells``: a
unary test per input, translated at compile time into the condition language, an optional ``when``
expression, and ``then``: its output values. docs/rules-language.md is the reference; in short:

=====================  ==============================================  =========================
cell                   means                                           becomes
=====================  ==============================================  =========================
``-`` (or no cell)     any value                                       (no test)
``> 5000``             compared with a number or quoted text           ``E > 5000``
``= "vip"``/``!= 3``   equal / not equal                               ``E == 'vip'``
``[100..500]``         range; ``(`` / ``)`` leave an end out            ``100 <= E <= 500``
``"vip", "gold"``      one of the values                               ``E in ['vip', 'gold']``
``not("vip")``         none of them (any cell but ``-`` inside)         ``not (E == 'vip')``
=====================  ==============================================  =========================

A row's cells and ``when`` together are one condition, matched by :func:`engine.rules.durable.build_matcher`
(one matcher per table version). Hit policies:

* ``first``: the first matching row in file order decides;
* ``unique``: at most one row may match;
* ``priority``: the matching row of highest priority decides: by the table's ``priorities`` (outcome
  values, highest first) or by each row's ``priority`` number (higher first); ties go to file order;
* ``collect``: every matching row; each output becomes the list of their values, or one number when
  ``aggregation`` names ``sum``, ``count``, ``min`` or ``max`` for it. ``outcome`` is the most severe
  matching outcome in the order of ``outcomes`` (least severe first) when the file lists ``outcomes``,
  else the first matching row's.

When no row matches, ``outcome`` is the table's ``default`` and the other outputs come from
``default_outputs`` (``None`` when not given there).

A table that cannot decide — two rows of a unique table match, or a row that could change the result
cannot be evaluated — holds the order (outcome ``hold``) when ``hold`` is one of the table's outcomes,
with the reason in both languages; otherwise :meth:`CompiledTable.evaluate` raises
:class:`engine.errors.TransitionRejected` with that reason (code ``rules``), so the order stays where
it is and the clerk reads why.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.errors import Problem, Refusal, RefusalCode, TransitionRejected
from engine.rules.durable import build_matcher
from engine.rules.expr import check as check_expression
from engine.rules.matching import Condition, Matcher
from engine.rules.ruleset import HOLD, Decision, FileProblems, RuleKind

__all__ = [
    "AGGREGATIONS",
    "HIT_POLICIES",
    "KIND",
    "Cell",
    "CellError",
    "CompiledTable",
    "check",
    "compile",
    "parse_cell",
]

HIT_POLICIES = ("first", "unique", "priority", "collect")
AGGREGATIONS = ("sum", "count", "min", "max")
OUTCOME = "outcome"
# Keys of the other kinds that mean nothing in a decision table.
_FOREIGN_KEYS = ("warehouses", "carriers", "weights", "default_weight_kg", "default_distance_km")

# ---------------------------------------------------------------------------------------------------
# Cells: the small unary-test language


class CellError(ValueError):
    """A cell that does not parse; ``str(error)`` says what was expected."""


@dataclass(frozen=True)
class _Bound:
    value: float | int | None  # None: unbounded
    closed: bool


@dataclass(frozen=True)
class Cell:
    """A parsed cell. ``shape`` is what the static checks reason about:

    * ``any``: ``-``;
    * ``interval``: a numeric range (``low``/``high``) from ``<``, ``<=``, ``>``, ``>=`` or ``[a..b]``;
    * ``values``: a set of literals (``"vip", "gold"``, ``= 3``, or a plain YAML number);
    * ``opaque``: anything else (``!=``, ``not(...)``, ranges over text): matched, never compared.
    """

    text: str
    shape: str
    render: str  # the condition with ``{}`` where the input's expression goes
    low: _Bound = _Bound(None, False)
    high: _Bound = _Bound(None, False)
    values: frozenset[tuple[str, Any]] = frozenset()

    def condition(self, operand: str) -> str | None:
        """The condition-language text of this cell on ``operand`` (``None`` for ``-``)."""
        return None if self.shape == "any" else self.render.replace("{}", operand)


_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"[^"]*"|'[^']*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+)"""
    r"""|(?P<op>\.\.|<=|>=|!=|[<>=\[\](),-]))"""
)
_ANY = Cell("-", "any", "")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            start = len(text) - len(text[position:].lstrip())
            raise CellError(f"unexpected {text[start:][:10]!r} at column {start + 1}")
        kind = found.lastgroup
        assert kind is not None
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


def _literal(token: tuple[str, str]) -> Any:
    kind, text = token
    if kind == "string":
        return text[1:-1]
    if kind == "number":
        return float(text) if "." in text else int(text)
    if kind == "word" and text in ("true", "false"):
        return text == "true"
    raise CellError(f"expected a number, quoted text, true or false, found {text!r}")


def _tag(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)
    return ("text", value)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return repr(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_cell(raw: Any) -> Cell:
    """Parse one cell: a YAML number or true/false (equality), ``None`` or ``-`` (any), or cell text."""
    if raw is None:
        return _ANY
    if isinstance(raw, bool | int | float):
        return Cell(str(raw), "values", "{} == " + _show(raw), values=frozenset({_tag(raw)}))
    if not isinstance(raw, str):
        raise CellError(f"a cell is text, a number or true/false, not {type(raw).__name__}")
    text = raw.strip()
    if text in ("", "-"):
        return _ANY
    tokens = _tokens(text)
    if tokens[0] == ("word", "not"):
        if len(tokens) < 3 or tokens[1] != ("op", "(") or tokens[-1] != ("op", ")"):
            raise CellError('write a negation as not(...), e.g. not("vip", "gold")')
        inner = _parse_tokens(tokens[2:-1], text)
        if inner.shape == "any":
            raise CellError("not(-) matches nothing; write the values to exclude inside not(...)")
        return Cell(text, "opaque", "not (" + inner.render + ")")
    return _parse_tokens(tokens, text)


def _parse_tokens(tokens: Sequence[tuple[str, str]], text: str) -> Cell:
    if not tokens:
        raise CellError("empty test; write '-' for any value")
    first = tokens[0]
    if first == ("op", "-"):
        if len(tokens) > 1:
            raise CellError("'-' stands alone: it matches any value")
        return _ANY
    if first[0] == "op" and first[1] in ("<", "<=", ">", ">=", "=", "!="):
        if len(tokens) != 2:
            raise CellError(f"expected one value after {first[1]!r}, e.g. '{first[1]} 5000'")
        value = _literal(tokens[1])
        symbol = {"=": "=="}.get(first[1], first[1])
        render = "{} " + symbol + " " + _show(value)
        if symbol == "==":
            return Cell(text, "values", render, values=frozenset({_tag(value)}))
        if symbol == "!=" or not _is_number(value):
            return Cell(text, "opaque", render)
        bound_low = {">": _Bound(value, False), ">=": _Bound(value, True)}.get(symbol, _Bound(None, False))
        bound_high = {"<": _Bound(value, False), "<=": _Bound(value, True)}.get(symbol, _Bound(None, False))
        return Cell(text, "interval", render, low=bound_low, high=bound_high)
    if first in (("op", "["), ("op", "(")):
        if len(tokens) != 5 or tokens[2] != ("op", "..") or tokens[4] not in (("op", "]"), ("op", ")")):
            raise CellError("write a range as [low..high]; '(' or ')' leaves that end out")
        low, high = _literal(tokens[1]), _literal(tokens[3])
        low_closed, high_closed = first[1] == "[", tokens[4][1] == "]"
        if _is_number(low) != _is_number(high) or isinstance(low, bool) or isinstance(high, bool):
            raise CellError("both ends of a range are numbers, or both are quoted text")
        if low > high:
            raise CellError(f"the range is empty: {_show(low)} is above {_show(high)}")
        render = (
            _show(low)
            + (" <= " if low_closed else " < ")
            + "{}"
            + (" <= " if high_closed else " < ")
            + _show(high)
        )
        if not _is_number(low):
            return Cell(text, "opaque", render)
        return Cell(text, "interval", render, low=_Bound(low, low_closed), high=_Bound(high, high_closed))
    values: list[Any] = []
    expect_value = True
    for token in tokens:
        if expect_value:
            values.append(_literal(token))
        elif token != ("op", ","):
            raise CellError(f"expected ',' between values, found {token[1]!r}")
        expect_value = not expect_value
    if expect_value:
        raise CellError("a value is missing after the last ','")
    if len(values) == 1:
        return Cell(text, "values", "{} == " + _show(values[0]), values=frozenset({_tag(values[0])}))
    render = "{} in [" + ", ".join(_show(value) for value in values) + "]"
    return Cell(text, "values", render, values=frozenset(_tag(value) for value in values))


def _low_le(a: _Bound, b: _Bound) -> bool:
    """Whether lower bound ``a`` admits everything lower bound ``b`` admits."""
    if a.value is None:
        return True
    if b.value is None:
        return False
    return a.value < b.value or (a.value == b.value and (a.closed or not b.closed))


def _high_ge(a: _Bound, b: _Bound) -> bool:
    if a.value is None:
        return True
    if b.value is None:
        return False
    return a.value > b.value or (a.value == b.value and (a.closed or not b.closed))


def _inside(value: tuple[str, Any], cell: Cell) -> bool:
    kind, number = value
    if kind != "number":
        return False
    low, high = cell.low, cell.high
    above = low.value is None or number > low.value or (number == low.value and low.closed)
    below = high.value is None or number < high.value or (number == high.value and high.closed)
    return above and below


def covers(wider: Cell, narrower: Cell) -> bool:
    """Whether every value ``narrower`` accepts is accepted by ``wider`` (decidable cases only)."""
    if wider.shape == "any" or wider.render == narrower.render:
        return True
    if narrower.shape == "any":
        return False
    if wider.shape == "interval" and narrower.shape == "interval":
        return _low_le(wider.low, narrower.low) and _high_ge(wider.high, narrower.high)
    if wider.shape == "interval" and narrower.shape == "values":
        return all(_inside(value, wider) for value in narrower.values)
    if wider.shape == "values" and narrower.shape == "values":
        return narrower.values <= wider.values
    return False


def overlaps(a: Cell, b: Cell) -> bool | None:
    """Whether some value passes both cells; ``None`` when that cannot be decided from the text."""
    if a.shape == "any" or b.shape == "any" or a.render == b.render:
        return True
    if a.shape == "interval" and b.shape == "interval":
        low = a.low if not _low_le(a.low, b.low) else b.low  # the tighter lower bound
        high = a.high if not _high_ge(a.high, b.high) else b.high
        if low.value is None or high.value is None:
            return True
        return low.value < high.value or (low.value == high.value and low.closed and high.closed)
    if a.shape == "values" and b.shape == "values":
        return bool(a.values & b.values)
    if a.shape == "values" and b.shape == "interval":
        return any(_inside(value, b) for value in a.values)
    if a.shape == "interval" and b.shape == "values":
        return any(_inside(value, a) for value in b.values)
    return None


# ---------------------------------------------------------------------------------------------------
# The compiled table


@dataclass(frozen=True)
class Row:
    name: str
    condition: str | None  # the row's cells and ``when`` in the condition language; None: always
    cells: Mapping[str, Cell]
    when: str | None
    outputs: Mapping[str, Any]
    priority: float
    queue: str | None = None
    reason: Text | None = None


@dataclass(frozen=True)
class CompiledTable:
    """A decision table, compiled once per version; :meth:`evaluate` decides for one order."""

    name: str
    kind: str
    version: str
    file: str
    title: Text
    hit_policy: str
    inputs: tuple[tuple[str, str], ...]  # (name, expression)
    outputs: tuple[str, ...]
    rows: tuple[Row, ...]
    default: str
    default_outputs: Mapping[str, Any]
    outcomes: tuple[str, ...]  # least severe first; may be empty
    aggregation: Mapping[str, str]
    _matcher: Matcher | None = field(default=None, repr=False, compare=False)

    @property
    def can_hold(self) -> bool:
        return (
            HOLD in self.outcomes
            or self.default == HOLD
            or any(r.outputs.get(OUTCOME) == HOLD for r in self.rows)
        )

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        """Match every row over ``env`` (the names of the condition language) and apply the hit policy."""
        if self._matcher is not None:
            match = self._matcher.match(env)
            matched, errors, values = match.matched, match.errors, match.values
        else:
            matched, errors, values = frozenset(), {}, {}
        hits: list[Row] = []
        failed: list[Row] = []
        trace: list[dict[str, Any]] = []
        for row in self.rows:
            entry: dict[str, Any] = {
                "rule": row.name,
                "matched": False,
                "values": {},
                "outputs": dict(row.outputs),
            }
            if row.condition is None:
                entry["matched"] = True
                hits.append(row)
            elif row.name in errors:
                entry["error"] = errors[row.name]
                failed.append(row)
            else:
                entry["matched"] = row.name in matched
                entry["values"] = dict(values.get(row.name, {}))
                if entry["matched"]:
                    hits.append(row)
            trace.append(entry)
        if self.hit_policy == "collect":
            return self._collect(hits, failed, trace)
        winner: Row | None = None
        if self.hit_policy == "unique":
            if len(hits) > 1:
                names = " and ".join(repr(row.name) for row in hits)
                return self._undecided(
                    trace,
                    [row.name for row in hits],
                    zh=f"唯一命中表：行 {'、'.join(row.name for row in hits)} 同时命中",
                    en=f"unique table: rows {names} all matched"
                    if len(hits) > 2
                    else f"unique table: rows {names} both matched",
                )
            winner = hits[0] if hits else None
            blocking = failed
        elif self.hit_policy == "first":
            winner = hits[0] if hits else None
            position = {row.name: index for index, row in enumerate(self.rows)}
            limit = position[winner.name] if winner is not None else len(self.rows)
            blocking = [row for row in failed if position[row.name] < limit]
        else:  # priority
            ranked = sorted(hits, key=lambda row: -row.priority)  # stable: ties keep file order
            winner = ranked[0] if ranked else None
            position = {row.name: index for index, row in enumerate(self.rows)}
            # A row that failed counts when it would have outranked the winner had it matched.
            blocking = [
                row
                for row in failed
                if winner is None
                or row.priority > winner.priority
                or (row.priority == winner.priority and position[row.name] < position[winner.name])
            ]
        if blocking:
            return self._unevaluated(trace, blocking)
        if winner is None:
            return self._decision(self.default, None, [], trace, self._defaults())
        outputs = self._defaults()
        outputs.update(winner.outputs)
        outcome = str(outputs[OUTCOME])
        for entry in trace:
            if entry["rule"] == winner.name:
                entry["decided"] = True
        return self._decision(outcome, winner.queue, [_reason(winner, outcome)], trace, outputs)

    def _defaults(self) -> dict[str, Any]:
        outputs = {name: self.default_outputs.get(name) for name in self.outputs}
        outputs[OUTCOME] = self.default
        return outputs

    def _collect(self, hits: list[Row], failed: list[Row], trace: list[dict[str, Any]]) -> Decision:
        if failed:
            return self._unevaluated(trace, failed)
        outputs: dict[str, Any] = {}
        for name in self.outputs:
            column = [row.outputs.get(name, self.default_outputs.get(name)) for row in hits]
            how = self.aggregation.get(name)
            outputs[name] = column if how is None else _aggregate(how, column)
        if not hits:
            return self._decision(self.default, None, [], trace, outputs)
        said = [str(row.outputs[OUTCOME]) for row in hits]
        if self.outcomes:
            severity = {name: index for index, name in enumerate(self.outcomes)}
            outcome = max(said, key=lambda name: severity.get(name, -1))
        else:
            outcome = said[0]
        queue = next((row.queue for row in hits if row.queue and row.outputs[OUTCOME] == outcome), None)
        for entry in trace:
            if entry["matched"]:
                entry["decided"] = True
        reasons = [_reason(row, str(row.outputs[OUTCOME])) for row in hits]
        return self._decision(outcome, queue, reasons, trace, outputs)

    def _unevaluated(self, trace: list[dict[str, Any]], rows: list[Row]) -> Decision:
        shown = ", ".join(repr(row.name) for row in rows)
        return self._undecided(
            trace,
            [row.name for row in rows],
            zh=f"决策表的行 {'、'.join(row.name for row in rows)} 无法求值，不能确定结果",
            en=f"row{'s' if len(rows) > 1 else ''} {shown} could not be evaluated, "
            "so the table cannot decide",
        )

    def _undecided(self, trace: list[dict[str, Any]], rows: list[str], *, zh: str, en: str) -> Decision:
        if not self.can_hold:
            raise TransitionRejected(
                [
                    Refusal(
                        RefusalCode.RULES,
                        f"{self.title.zh}：{zh}",
                        f"{self.title.en}: {en}",
                        {"ruleset": self.name, "version": self.version, "rows": rows, "trace": trace},
                    )
                ]
            )
        reasons = [{"rule": ", ".join(rows), "outcome": HOLD, "zh": zh, "en": en}]
        outputs = self._defaults()
        outputs[OUTCOME] = HOLD
        return self._decision(HOLD, None, reasons, trace, outputs)

    def _decision(
        self,
        outcome: str,
        queue: str | None,
        reasons: list[dict[str, Any]],
        trace: list[dict[str, Any]],
        outputs: dict[str, Any],
    ) -> Decision:
        return Decision(
            self.name,
            outcome,
            queue,
            reasons,
            trace,
            self.version,
            kind="decision_table",
            hit_policy=self.hit_policy,
            outputs=outputs,
        )


def _reason(row: Row, outcome: str) -> dict[str, Any]:
    text = row.reason or Text(zh=f"命中行 {row.name}", en=f"row {row.name} matched")
    return {"rule": row.name, "outcome": outcome, "zh": text.zh, "en": text.en}


def _aggregate(how: str, column: list[Any]) -> Any:
    if how == "count":
        return sum(1 for value in column if value is not None)
    numbers = [value for value in column if _is_number(value)]
    if how == "sum":
        return sum(numbers)
    if not numbers:
        return None
    return min(numbers) if how == "min" else max(numbers)


def _operand(expression: str) -> str:
    """The input's expression as an operand: bare when it is a path, a call or a literal."""
    try:
        body = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return f"({expression})"
    if isinstance(body, ast.Name | ast.Attribute | ast.Subscript | ast.Call | ast.Constant):
        return expression.strip()
    return f"({expression})"


def _row_condition(cells: Mapping[str, Cell], inputs: Mapping[str, str], when: str | None) -> str | None:
    parts = [
        text
        for name, expression in inputs.items()
        if name in cells and (text := cells[name].condition(_operand(expression))) is not None
    ]
    if when:
        parts.append(f"({when})" if parts else when)
    if not parts:
        return None
    return " and ".join(parts)


def _text(raw: Any) -> Text | None:
    if isinstance(raw, Mapping) and isinstance(raw.get("zh"), str) and isinstance(raw.get("en"), str):
        return Text(zh=raw["zh"], en=raw["en"])
    return None


def compile(doc: Mapping[str, Any], file: str, version: str) -> CompiledTable:
    """Compile a checked decision table (``engine.rules.kinds.compile_ruleset`` checks first)."""
    inputs = {str(raw["name"]): str(raw["expr"]) for raw in doc["inputs"]}
    outputs = tuple(doc["outputs"])
    priorities = list(doc.get("priorities") or [])
    rows: list[Row] = []
    for raw in doc["rules"]:
        cells = {name: parse_cell(text) for name, text in (raw.get("cells") or {}).items()}
        then = dict(raw["then"])
        if "priority" in raw:
            priority = float(raw["priority"])
        elif then.get(OUTCOME) in priorities:
            priority = float(len(priorities) - priorities.index(then[OUTCOME]))
        else:
            priority = 0.0
        rows.append(
            Row(
                name=raw["name"],
                condition=_row_condition(cells, inputs, raw.get("when")),
                cells=cells,
                when=raw.get("when"),
                outputs=then,
                priority=priority,
                queue=raw.get("queue"),
                reason=_text(raw.get("reason")),
            )
        )
    conditions = [Condition(row.name, row.condition) for row in rows if row.condition is not None]
    matcher = build_matcher(f"{doc['ruleset']}:rows", version, conditions) if conditions else None
    title = _text(doc["title"])
    assert title is not None  # the schema requires it
    return CompiledTable(
        name=doc["ruleset"],
        kind="decision_table",
        version=version,
        file=file,
        title=title,
        hit_policy=doc["hit_policy"],
        inputs=tuple(inputs.items()),
        outputs=outputs,
        rows=tuple(rows),
        default=doc["default"],
        default_outputs=dict(doc.get("default_outputs") or {}),
        outcomes=tuple(doc.get("outcomes") or ()),
        aggregation=dict(doc.get("aggregation") or {}),
        _matcher=matcher,
    )


# ---------------------------------------------------------------------------------------------------
# Checks the schema cannot make


def check(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """The problems of a decision table beyond its JSON Schema. Never raises."""
    problem = FileProblems(file)

    for key in _FOREIGN_KEYS:
        if key in doc:
            problem(
                f"key {key!r} belongs to routing rule sets, not decision tables",
                f"$.{key}",
                "remove it, or set kind: routing",
                "foreign-key",
            )
    raw_inputs = doc.get("inputs")
    inputs: dict[str, str] = {}
    if isinstance(raw_inputs, list):
        for index, raw in enumerate(raw_inputs):
            if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
                continue
            name = raw["name"]
            if name in inputs:
                problem(
                    f"input {name!r} is defined twice",
                    f"$.inputs[{index}].name",
                    "give every input its own name; cells name inputs",
                    "duplicate-input",
                )
            expression = raw.get("expr")
            if isinstance(expression, str):
                inputs[name] = expression
                problem.found.extend(
                    e.to_problem(file, f"$.inputs[{index}].expr") for e in check_expression(expression)
                )
    raw_outputs = doc.get("outputs")
    outputs = [o for o in raw_outputs if isinstance(o, str)] if isinstance(raw_outputs, list) else []
    if isinstance(raw_outputs, list) and OUTCOME not in outputs:
        problem(
            "the outputs of a decision table must include 'outcome'",
            "$.outputs",
            "add outcome: a transition's dest map follows the outcome of the deciding row",
            "missing-outcome-output",
        )
    raw_outcomes = doc.get("outcomes")
    outcomes = [o for o in raw_outcomes if isinstance(o, str)] if isinstance(raw_outcomes, list) else []

    def check_outcome(value: Any, json_path: str) -> None:
        if outcomes and isinstance(value, str) and value not in outcomes:
            problem(
                f"unknown outcome {value!r}",
                json_path,
                "outcomes of this file: " + ", ".join(outcomes),
                "unknown-outcome",
                suggestion=near_miss(value, outcomes),
            )

    check_outcome(doc.get("default"), "$.default")
    default_outputs = doc.get("default_outputs")
    if isinstance(default_outputs, Mapping):
        for name in default_outputs:
            if outputs and name not in outputs:
                problem(
                    f"unknown output {name!r}",
                    f"$.default_outputs.{name}",
                    "outputs of this table: " + ", ".join(outputs),
                    "unknown-output",
                    suggestion=near_miss(str(name), outputs),
                )
        if OUTCOME in default_outputs:
            problem(
                "the outcome when no row matches is set by 'default', not in default_outputs",
                f"$.default_outputs.{OUTCOME}",
                "move the value to default:",
                "outcome-in-default-outputs",
            )
    else:
        default_outputs = {}
    policy = doc.get("hit_policy")
    aggregation = doc.get("aggregation")
    if aggregation is not None and policy != "collect":
        problem(
            "aggregation applies only to hit_policy: collect",
            "$.aggregation",
            "remove aggregation, or set hit_policy: collect",
            "aggregation-without-collect",
        )
    if not isinstance(aggregation, Mapping):
        aggregation = {}
    for name in aggregation:
        if outputs and name not in outputs:
            problem(
                f"unknown output {name!r}",
                f"$.aggregation.{name}",
                "outputs of this table: " + ", ".join(outputs),
                "unknown-output",
                suggestion=near_miss(str(name), outputs),
            )
        if name == OUTCOME:
            problem(
                "the outcome cannot be aggregated",
                f"$.aggregation.{name}",
                "aggregate a numeric output such as a score or a rate",
                "aggregated-outcome",
            )
    priorities = doc.get("priorities")
    if priorities is not None and policy != "priority":
        problem(
            "priorities apply only to hit_policy: priority",
            "$.priorities",
            "remove priorities, or set hit_policy: priority",
            "priorities-without-priority",
        )
    priority_list = [p for p in priorities if isinstance(p, str)] if isinstance(priorities, list) else []
    for index, value in enumerate(priority_list):
        check_outcome(value, f"$.priorities[{index}]")
    rules = doc.get("rules")
    if not isinstance(rules, list):
        return problem.found
    parsed: list[tuple[int, str, dict[str, Cell], str | None] | None] = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        path = f"$.rules[{index}]"
        if not isinstance(rule, Mapping):
            parsed.append(None)
            continue
        name = rule.get("name")
        if isinstance(name, str):
            if name in seen:
                problem(
                    f"row {name!r} is defined twice (first as row {seen[name] + 1})",
                    f"{path}.name",
                    "give every row its own name; traces and reasons name rows",
                    "duplicate-rule",
                )
            else:
                seen[name] = index
        else:
            name = f"row {index + 1}"
        cells: dict[str, Cell] = {}
        good = True
        raw_cells = rule.get("cells")
        if isinstance(raw_cells, Mapping):
            for input_name, raw in raw_cells.items():
                if inputs and input_name not in inputs:
                    problem(
                        f"unknown input {input_name!r}",
                        f"{path}.cells.{input_name}",
                        "inputs of this table: " + ", ".join(inputs),
                        "unknown-input",
                        suggestion=near_miss(str(input_name), inputs),
                    )
                    good = False
                    continue
                try:
                    cells[input_name] = parse_cell(raw)
                except CellError as error:
                    problem(
                        f"cell {raw!r} of row {name!r} does not parse: {error}",
                        f"{path}.cells.{input_name}",
                        "cells are '-', '> 5000', '[100..500]', '\"vip\", \"gold\"' or not(...); "
                        "see docs/rules-language.md",
                        "bad-cell",
                    )
                    good = False
        when = rule.get("when")
        if isinstance(when, str):
            errors = check_expression(when)
            problem.found.extend(e.to_problem(file, f"{path}.when") for e in errors)
            good = good and not errors
        else:
            when = None
        then = rule.get("then")
        if isinstance(then, Mapping):
            for output in then:
                if outputs and output not in outputs:
                    problem(
                        f"unknown output {output!r} in row {name!r}",
                        f"{path}.then.{output}",
                        "outputs of this table: " + ", ".join(outputs),
                        "unknown-output",
                        suggestion=near_miss(str(output), outputs),
                    )
            if OUTCOME not in then:
                problem(
                    f"row {name!r} gives no outcome",
                    f"{path}.then",
                    "every row sets outcome: the transition's dest map follows it",
                    "missing-outcome",
                )
            elif not isinstance(then[OUTCOME], str):
                problem(
                    f"the outcome of row {name!r} must be a name, not {then[OUTCOME]!r}",
                    f"{path}.then.{OUTCOME}",
                    "outcomes are names such as approve or manager",
                    "bad-outcome",
                )
            else:
                check_outcome(then[OUTCOME], f"{path}.then.{OUTCOME}")
            if policy != "collect":
                for output in outputs:
                    if output != OUTCOME and output not in then and output not in default_outputs:
                        problem(
                            f"row {name!r} gives no value for output {output!r}",
                            f"{path}.then",
                            f"set {output} in the row, or give it a value in default_outputs",
                            "missing-output",
                        )
            for output, how in aggregation.items():
                given = then.get(output)
                if how in ("sum", "min", "max") and output in then and not _is_number(given):
                    problem(
                        f"output {output!r} of row {name!r} is aggregated with {how} "
                        f"but is not a number: {given!r}",
                        f"{path}.then.{output}",
                        "give a number, or aggregate with count",
                        "not-a-number",
                    )
        if policy == "priority":
            if priorities is not None and "priority" in rule:
                problem(
                    f"row {name!r} has a priority number but the table ranks rows by priorities",
                    f"{path}.priority",
                    "rank rows either by the table's priorities (outcome values) or by each row's priority",
                    "mixed-priorities",
                )
            elif priorities is None and "priority" not in rule:
                problem(
                    f"row {name!r} of a priority table has no priority",
                    path,
                    "give every row priority: <number> (higher wins), or list the outcomes in priorities",
                    "missing-priority",
                )
            elif (
                priorities is not None
                and isinstance(then, Mapping)
                and isinstance(then.get(OUTCOME), str)
                and then[OUTCOME] not in priority_list
            ):
                problem(
                    f"the outcome {then[OUTCOME]!r} of row {name!r} is not ranked in priorities",
                    f"{path}.then.{OUTCOME}",
                    "list every outcome the rows give in priorities, highest first",
                    "unranked-outcome",
                )
        elif "priority" in rule:
            problem(
                f"row {name!r} has a priority but the table's hit policy is {policy!r}",
                f"{path}.priority",
                "priority numbers count only with hit_policy: priority",
                "priority-without-priority",
            )
        parsed.append((index, name, cells, when) if good else None)
    usable = [entry for entry in parsed if entry is not None]
    if policy == "first":
        _unreachable(usable, problem)
    elif policy == "unique":
        _overlapping(usable, problem)
    return problem.found


def _unreachable(rows: list[tuple[int, str, dict[str, Cell], str | None]], problem: Any) -> None:
    for later, (index, name, cells, when) in enumerate(rows):
        for earlier_index, earlier_name, earlier_cells, earlier_when in rows[:later]:
            if earlier_when is not None and earlier_when != when:
                continue
            if all(covers(cell, cells.get(input_name, _ANY)) for input_name, cell in earlier_cells.items()):
                problem(
                    f"row {name!r} can never be reached: row {earlier_name!r} "
                    f"(row {earlier_index + 1}) matches everything it matches and comes first",
                    f"$.rules[{index}]",
                    f"move row {name!r} above row {earlier_name!r}, narrow row {earlier_name!r}, "
                    f"or remove row {name!r}",
                    "unreachable-row",
                    "warning",
                )
                break


def _overlapping(rows: list[tuple[int, str, dict[str, Cell], str | None]], problem: Any) -> None:
    for later, (index, name, cells, when) in enumerate(rows):
        for _earlier_index, earlier_name, earlier_cells, earlier_when in rows[:later]:
            if earlier_when != when:
                continue  # a different condition may or may not separate them: not decidable here
            names = set(cells) | set(earlier_cells)
            if all(overlaps(cells.get(n, _ANY), earlier_cells.get(n, _ANY)) for n in names):
                problem(
                    f"rows {earlier_name!r} and {name!r} of a unique table can both match",
                    f"$.rules[{index}].cells",
                    "make their cells exclusive (e.g. [0..1000) and [1000..5000)), "
                    "or use hit_policy: first or priority",
                    "overlapping-rows",
                )


KIND = RuleKind("decision_table", check, compile, evaluated=True, named=("inputs", "rules"))
