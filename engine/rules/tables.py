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
from engine.errors import Problem, Refusal, RefusalCode, Severity, TransitionRejected
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
    """A cell that does not parse; ``words`` says what was expected in Chinese and English, and
    ``str(error)`` is the English."""

    def __init__(self, words: Text) -> None:
        super().__init__(words.en)
        self.words = words


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
            found_text = text[start:][:10]
            raise CellError(
                Text(
                    f"第 {start + 1} 列出现了意外的 {found_text!r}",
                    f"unexpected {found_text!r} at column {start + 1}",
                )
            )
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
    raise CellError(
        Text(
            f"此处应为数字、带引号的文本、true 或 false，却是 {text!r}",
            f"expected a number, quoted text, true or false, found {text!r}",
        )
    )


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
        kind = type(raw).__name__
        raise CellError(
            Text(
                f"单元格应为文本、数字或 true/false，而不是 {kind}",
                f"a cell is text, a number or true/false, not {kind}",
            )
        )
    text = raw.strip()
    if text in ("", "-"):
        return _ANY
    tokens = _tokens(text)
    if tokens[0] == ("word", "not"):
        if len(tokens) < 3 or tokens[1] != ("op", "(") or tokens[-1] != ("op", ")"):
            raise CellError(
                Text(
                    '否定请写作 not(...)，如 not("vip", "gold")',
                    'write a negation as not(...), e.g. not("vip", "gold")',
                )
            )
        inner = _parse_tokens(tokens[2:-1], text)
        if inner.shape == "any":
            raise CellError(
                Text(
                    "not(-) 什么也匹配不到；请在 not(...) 中写出要排除的值",
                    "not(-) matches nothing; write the values to exclude inside not(...)",
                )
            )
        return Cell(text, "opaque", "not (" + inner.render + ")")
    return _parse_tokens(tokens, text)


def _parse_tokens(tokens: Sequence[tuple[str, str]], text: str) -> Cell:
    if not tokens:
        raise CellError(Text("条件为空；任意值请写 '-'", "empty test; write '-' for any value"))
    first = tokens[0]
    if first == ("op", "-"):
        if len(tokens) > 1:
            raise CellError(Text("'-' 须单独使用：它匹配任意值", "'-' stands alone: it matches any value"))
        return _ANY
    if first[0] == "op" and first[1] in ("<", "<=", ">", ">=", "=", "!="):
        if len(tokens) != 2:
            raise CellError(
                Text(
                    f"{first[1]!r} 后面应有一个值，如 '{first[1]} 5000'",
                    f"expected one value after {first[1]!r}, e.g. '{first[1]} 5000'",
                )
            )
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
            raise CellError(
                Text(
                    "范围请写作 [下限..上限]；用 '(' 或 ')' 表示不含该端点",
                    "write a range as [low..high]; '(' or ')' leaves that end out",
                )
            )
        low, high = _literal(tokens[1]), _literal(tokens[3])
        low_closed, high_closed = first[1] == "[", tokens[4][1] == "]"
        if _is_number(low) != _is_number(high) or isinstance(low, bool) or isinstance(high, bool):
            raise CellError(
                Text(
                    "范围的两端须同为数字，或同为带引号的文本",
                    "both ends of a range are numbers, or both are quoted text",
                )
            )
        if low > high:
            raise CellError(
                Text(
                    f"范围为空：{_show(low)} 大于 {_show(high)}",
                    f"the range is empty: {_show(low)} is above {_show(high)}",
                )
            )
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
            raise CellError(
                Text(
                    f"值与值之间应为 ','，却是 {token[1]!r}",
                    f"expected ',' between values, found {token[1]!r}",
                )
            )
        expect_value = not expect_value
    if expect_value:
        raise CellError(Text("最后一个 ',' 后面缺少值", "a value is missing after the last ','"))
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
            if row.condition is not None:  # the row's cells and ``when`` as one condition, as audits show it
                entry["when"] = row.condition
            if row.condition is None:
                entry["matched"] = True
                hits.append(row)
            elif row.name in errors:
                entry["error"] = errors[row.name].en
                entry["error_words"] = {"zh": errors[row.name].zh, "en": errors[row.name].en}
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


# A row as the checks of the whole table read it: its index, name, label, cells and ``when``.
_Row = tuple[int, str, Text, dict[str, Cell], str | None]


def _listed(zh: str, en: str, names: Sequence[str]) -> Text:
    """``outputs of this table: a, b`` in both languages."""
    return Text(f"{zh}：{'、'.join(names)}", f"{en}: {', '.join(names)}")


def _sp(zh: str) -> str:
    """``zh`` followed by the space Chinese text puts after a quoted name (行 'a' 没有), none after
    Chinese (第 2 行没有)."""
    return zh + " " if zh and zh[-1].isascii() else zh


def _row_label(name: str, index: int, named: bool) -> Text:
    """How a problem names a row: by its name, or (in Chinese) by its place when it has none."""
    return Text(f"行 {name!r}" if named else f"第 {index + 1} 行", f"row {name!r}")


def check(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """The problems of a decision table beyond its JSON Schema. Never raises."""
    problem = FileProblems(file)

    for key in _FOREIGN_KEYS:
        if key in doc:
            problem(
                Text(
                    f"键 {key!r} 属于路由规则集，不属于决策表",
                    f"key {key!r} belongs to routing rule sets, not decision tables",
                ),
                f"$.{key}",
                Text("请删除它，或设置 kind: routing", "remove it, or set kind: routing"),
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
                    Text(f"输入 {name!r} 定义了两次", f"input {name!r} is defined twice"),
                    f"$.inputs[{index}].name",
                    Text(
                        "请给每个输入取不同的名称：单元格按名称指明输入",
                        "give every input its own name; cells name inputs",
                    ),
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
    outputs_hint = _listed("本表的输出", "outputs of this table", outputs)
    if isinstance(raw_outputs, list) and OUTCOME not in outputs:
        problem(
            Text("决策表的输出必须包含 'outcome'", "the outputs of a decision table must include 'outcome'"),
            "$.outputs",
            Text(
                "请加上 outcome：流转的 dest 映射按作出决定的那一行的 outcome 选择去向",
                "add outcome: a transition's dest map follows the outcome of the deciding row",
            ),
            "missing-outcome-output",
        )
    raw_outcomes = doc.get("outcomes")
    outcomes = [o for o in raw_outcomes if isinstance(o, str)] if isinstance(raw_outcomes, list) else []

    def check_outcome(value: Any, json_path: str) -> None:
        if outcomes and isinstance(value, str) and value not in outcomes:
            problem(
                Text(f"未知的结果 {value!r}", f"unknown outcome {value!r}"),
                json_path,
                _listed("本文件的结果", "outcomes of this file", outcomes),
                "unknown-outcome",
                suggestion=near_miss(value, outcomes),
            )

    check_outcome(doc.get("default"), "$.default")
    default_outputs = doc.get("default_outputs")
    if isinstance(default_outputs, Mapping):
        for name in default_outputs:
            if outputs and name not in outputs:
                problem(
                    Text(f"未知的输出 {name!r}", f"unknown output {name!r}"),
                    f"$.default_outputs.{name}",
                    outputs_hint,
                    "unknown-output",
                    suggestion=near_miss(str(name), outputs),
                )
        if OUTCOME in default_outputs:
            problem(
                Text(
                    "没有行命中时的结果由 'default' 设置，不在 default_outputs 中设置",
                    "the outcome when no row matches is set by 'default', not in default_outputs",
                ),
                f"$.default_outputs.{OUTCOME}",
                Text("请把这个值移到 default:", "move the value to default:"),
                "outcome-in-default-outputs",
            )
    else:
        default_outputs = {}
    policy = doc.get("hit_policy")
    aggregation = doc.get("aggregation")
    if aggregation is not None and policy != "collect":
        problem(
            Text(
                "aggregation 只适用于 hit_policy: collect",
                "aggregation applies only to hit_policy: collect",
            ),
            "$.aggregation",
            Text(
                "请删除 aggregation，或设置 hit_policy: collect",
                "remove aggregation, or set hit_policy: collect",
            ),
            "aggregation-without-collect",
        )
    if not isinstance(aggregation, Mapping):
        aggregation = {}
    for name in aggregation:
        if outputs and name not in outputs:
            problem(
                Text(f"未知的输出 {name!r}", f"unknown output {name!r}"),
                f"$.aggregation.{name}",
                outputs_hint,
                "unknown-output",
                suggestion=near_miss(str(name), outputs),
            )
        if name == OUTCOME:
            problem(
                Text("outcome 不能汇总", "the outcome cannot be aggregated"),
                f"$.aggregation.{name}",
                Text(
                    "请汇总数值型的输出，如分数或比率",
                    "aggregate a numeric output such as a score or a rate",
                ),
                "aggregated-outcome",
            )
    priorities = doc.get("priorities")
    if priorities is not None and policy != "priority":
        problem(
            Text(
                "priorities 只适用于 hit_policy: priority",
                "priorities apply only to hit_policy: priority",
            ),
            "$.priorities",
            Text(
                "请删除 priorities，或设置 hit_policy: priority",
                "remove priorities, or set hit_policy: priority",
            ),
            "priorities-without-priority",
        )
    priority_list = [p for p in priorities if isinstance(p, str)] if isinstance(priorities, list) else []
    for index, value in enumerate(priority_list):
        check_outcome(value, f"$.priorities[{index}]")
    rules = doc.get("rules")
    if not isinstance(rules, list):
        return problem.found
    parsed: list[_Row | None] = []
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        path = f"$.rules[{index}]"
        if not isinstance(rule, Mapping):
            parsed.append(None)
            continue
        name = rule.get("name")
        if isinstance(name, str):
            row = _row_label(name, index, named=True)
            if name in seen:
                first = seen[name] + 1
                problem(
                    Text(
                        f"{_sp(row.zh)}定义了两次（第一次在第 {first} 行）",
                        f"{row.en} is defined twice (first as row {first})",
                    ),
                    f"{path}.name",
                    Text(
                        "请给每一行取不同的名称：跟踪记录和原因按名称指明行",
                        "give every row its own name; traces and reasons name rows",
                    ),
                    "duplicate-rule",
                )
            else:
                seen[name] = index
        else:
            name = f"row {index + 1}"
            row = _row_label(name, index, named=False)
        cells: dict[str, Cell] = {}
        good = True
        raw_cells = rule.get("cells")
        if isinstance(raw_cells, Mapping):
            for input_name, raw in raw_cells.items():
                if inputs and input_name not in inputs:
                    problem(
                        Text(f"未知的输入 {input_name!r}", f"unknown input {input_name!r}"),
                        f"{path}.cells.{input_name}",
                        _listed("本表的输入", "inputs of this table", list(inputs)),
                        "unknown-input",
                        suggestion=near_miss(str(input_name), inputs),
                    )
                    good = False
                    continue
                try:
                    cells[input_name] = parse_cell(raw)
                except CellError as error:
                    problem(
                        Text(
                            f"{_sp(row.zh)}的单元格 {raw!r} 无法解析：{error.words.zh}",
                            f"cell {raw!r} of {row.en} does not parse: {error.words.en}",
                        ),
                        f"{path}.cells.{input_name}",
                        Text(
                            "单元格可写作 '-'、'> 5000'、'[100..500]'、'\"vip\", \"gold\"' 或 not(...)；"
                            "详见 docs/rules-language.md",
                            "cells are '-', '> 5000', '[100..500]', '\"vip\", \"gold\"' or not(...); "
                            "see docs/rules-language.md",
                        ),
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
                        Text(
                            f"{_sp(row.zh)}中有未知的输出 {output!r}",
                            f"unknown output {output!r} in {row.en}",
                        ),
                        f"{path}.then.{output}",
                        outputs_hint,
                        "unknown-output",
                        suggestion=near_miss(str(output), outputs),
                    )
            if OUTCOME not in then:
                problem(
                    Text(f"{_sp(row.zh)}没有给出 outcome", f"{row.en} gives no outcome"),
                    f"{path}.then",
                    Text(
                        "每一行都要设置 outcome：流转的 dest 映射按它选择去向",
                        "every row sets outcome: the transition's dest map follows it",
                    ),
                    "missing-outcome",
                )
            elif not isinstance(then[OUTCOME], str):
                given = then[OUTCOME]
                problem(
                    Text(
                        f"{_sp(row.zh)}的 outcome 必须是名称，而不是 {given!r}",
                        f"the outcome of {row.en} must be a name, not {given!r}",
                    ),
                    f"{path}.then.{OUTCOME}",
                    Text(
                        "outcome 是名称，如 approve 或 manager",
                        "outcomes are names such as approve or manager",
                    ),
                    "bad-outcome",
                )
            else:
                check_outcome(then[OUTCOME], f"{path}.then.{OUTCOME}")
            if policy != "collect":
                for output in outputs:
                    if output != OUTCOME and output not in then and output not in default_outputs:
                        problem(
                            Text(
                                f"{_sp(row.zh)}没有给出输出 {output!r} 的值",
                                f"{row.en} gives no value for output {output!r}",
                            ),
                            f"{path}.then",
                            Text(
                                f"请在这一行设置 {output}，或在 default_outputs 中给它一个值",
                                f"set {output} in the row, or give it a value in default_outputs",
                            ),
                            "missing-output",
                        )
            for output, how in aggregation.items():
                given = then.get(output)
                if how in ("sum", "min", "max") and output in then and not _is_number(given):
                    problem(
                        Text(
                            f"{_sp(row.zh)}的输出 {output!r} 以 {how} 汇总，但它不是数字：{given!r}",
                            f"output {output!r} of {row.en} is aggregated with {how} "
                            f"but is not a number: {given!r}",
                        ),
                        f"{path}.then.{output}",
                        Text("请给出数字，或改用 count 汇总", "give a number, or aggregate with count"),
                        "not-a-number",
                    )
        if policy == "priority":
            if priorities is not None and "priority" in rule:
                problem(
                    Text(
                        f"{_sp(row.zh)}写了 priority 数值，但本表按 priorities 排列各行",
                        f"{row.en} has a priority number but the table ranks rows by priorities",
                    ),
                    f"{path}.priority",
                    Text(
                        "请只用一种方式排列各行：本表的 priorities（outcome 的值），或每一行的 priority",
                        "rank rows either by the table's priorities (outcome values) "
                        "or by each row's priority",
                    ),
                    "mixed-priorities",
                )
            elif priorities is None and "priority" not in rule:
                problem(
                    Text(
                        f"优先级表中的{_sp(row.zh)}没有 priority",
                        f"{row.en} of a priority table has no priority",
                    ),
                    path,
                    Text(
                        "请给每一行写 priority: <数字>（数字大者优先），或在 priorities 中列出各个 outcome",
                        "give every row priority: <number> (higher wins), or list the outcomes in priorities",
                    ),
                    "missing-priority",
                )
            elif (
                priorities is not None
                and isinstance(then, Mapping)
                and isinstance(then.get(OUTCOME), str)
                and then[OUTCOME] not in priority_list
            ):
                outcome = then[OUTCOME]
                problem(
                    Text(
                        f"{_sp(row.zh)}的 outcome {outcome!r} 没有列在 priorities 中",
                        f"the outcome {outcome!r} of {row.en} is not ranked in priorities",
                    ),
                    f"{path}.then.{OUTCOME}",
                    Text(
                        "请在 priorities 中列出各行给出的每个 outcome，最优先的在前",
                        "list every outcome the rows give in priorities, highest first",
                    ),
                    "unranked-outcome",
                )
        elif "priority" in rule:
            problem(
                Text(
                    f"{_sp(row.zh)}写了 priority，但本表的命中策略是 {policy!r}",
                    f"{row.en} has a priority but the table's hit policy is {policy!r}",
                ),
                f"{path}.priority",
                Text(
                    "priority 数值只在 hit_policy: priority 时有效",
                    "priority numbers count only with hit_policy: priority",
                ),
                "priority-without-priority",
            )
        parsed.append((index, name, row, cells, when) if good else None)
    usable = [entry for entry in parsed if entry is not None]
    if policy == "first":
        _unreachable(usable, problem)
    elif policy == "unique":
        _overlapping(usable, problem)
    return problem.found


def _unreachable(rows: list[_Row], problem: FileProblems) -> None:
    for later, (index, _name, row, cells, when) in enumerate(rows):
        for earlier_index, _earlier_name, earlier, earlier_cells, earlier_when in rows[:later]:
            if earlier_when is not None and earlier_when != when:
                continue
            if all(covers(cell, cells.get(input_name, _ANY)) for input_name, cell in earlier_cells.items()):
                place = "" if earlier.zh.startswith("第") else f"（第 {earlier_index + 1} 行）"
                problem(
                    Text(
                        f"{_sp(row.zh)}永远不会命中：{earlier.zh}{place}能命中它所命中的一切，而且排在它前面",
                        f"{row.en} can never be reached: {earlier.en} "
                        f"(row {earlier_index + 1}) matches everything it matches and comes first",
                    ),
                    f"$.rules[{index}]",
                    Text(
                        f"请把{_sp(row.zh)}移到{_sp(earlier.zh)}之前、缩小{_sp(earlier.zh)}的范围，或删除{row.zh}",
                        f"move {row.en} above {earlier.en}, narrow {earlier.en}, or remove {row.en}",
                    ),
                    "unreachable-row",
                    Severity.WARNING,
                )
                break


def _overlapping(rows: list[_Row], problem: FileProblems) -> None:
    for later, (index, name, row, cells, when) in enumerate(rows):
        for _earlier_index, earlier_name, earlier, earlier_cells, earlier_when in rows[:later]:
            if earlier_when != when:
                continue  # a different condition may or may not separate them: not decidable here
            names = set(cells) | set(earlier_cells)
            if all(overlaps(cells.get(n, _ANY), earlier_cells.get(n, _ANY)) for n in names):
                problem(
                    Text(
                        f"唯一命中表的{_sp(earlier.zh)}与{_sp(row.zh)}可能同时命中",
                        f"rows {earlier_name!r} and {name!r} of a unique table can both match",
                    ),
                    f"$.rules[{index}].cells",
                    Text(
                        "请让它们的单元格互不重叠（如 [0..1000) 与 [1000..5000)），"
                        "或改用 hit_policy: first 或 priority",
                        "make their cells exclusive (e.g. [0..1000) and [1000..5000)), "
                        "or use hit_policy: first or priority",
                    ),
                    "overlapping-rows",
                )


KIND = RuleKind("decision_table", check, compile, evaluated=True, named=("inputs", "rules"))
