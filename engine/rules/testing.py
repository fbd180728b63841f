"""Testing rule sets before they are published: scenario cases, rule coverage, and replay over orders.

A cases file (``rules/retail/audit.cases.yaml`` beside ``rules/retail/audit.yaml``) lists scenarios, each
an input (the expression language's names: ``order``, ``data``, ``now``, …, plus ``stock`` for routing)
and what the rule set should decide (``outcome``, ``queue``, ``rules``, ``outputs``; only the keys
given are checked). :func:`load_cases` reads one into :class:`Case` objects and yields every problem
of its shape as data, with line and column; :func:`run_cases` evaluates them and :func:`coverage`
says which rules no case exercised, from the trace every :class:`~engine.rules.ruleset.Decision` keeps.

:func:`replay` evaluates a draft rule set over orders (:class:`ReplayOrder`: the names each evaluates
over, and the published rule set of its version) and reports what would change;
``engine.runtime.rule_replay.orders_for_replay`` gathers the last orders whose published workflow uses
a rule set of the same name.

Works for every kind whose compiled rule set decides over one order (``Evaluable``): audit, decision
tables and routing. The shape of cases files is documented in docs/rules-language.md.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from engine.common.json_path import child_path
from engine.common.list_keys import LOOKUPS, ListKind, value_keys
from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.dsl.loader import MarkedReader, Marks, load_json, load_yaml, read_or_problem, spaced
from engine.errors import EngineError, Problem
from engine.rules.expr import ALLOWED_ROOTS
from engine.rules.ruleset import Decision, Evaluable

__all__ = [
    "CASES_SUFFIX",
    "Case",
    "CaseResult",
    "CasesFile",
    "Coverage",
    "GivenLookups",
    "Mismatch",
    "Replay",
    "ReplayChange",
    "ReplayOrder",
    "cases_at",
    "check_cases",
    "coverage",
    "declared_rules",
    "is_cases_file",
    "load_cases",
    "load_cases_file",
    "parse_moment",
    "read_input",
    "replay",
    "rules_that_spoke",
    "run_case",
    "run_cases",
    "same_value",
    "show_number",
    "show_value",
]

CASES_SUFFIX = ".cases.yaml"
CASES_SCHEMA_VERSION = 1
TOP_KEYS = ("schema_version", "ruleset", "lists", "cases")
CASE_KEYS = ("name", "description", "input", "expect")
INPUT_KEYS = (*sorted(ALLOWED_ROOTS), "stock", "lists", "facts")
EXPECT_KEYS = ("outcome", "queue", "rules", "outputs")
INPUT_HINT = Text(
    "order: {total: 5000, lines: [...]}（订单的字段写在 'order' 下）",
    "order: {total: 5000, lines: [...]}  (the order's fields under 'order')",
)
# Where names are read from, as a problem says it.
_CASE_INPUT = Text("用例的 input", "a case's input")
_THE_DATA = Text("数据", "the data")
# `record` is one child record's fields, `records` an order's child records by kind ({payment: [...]})
_MAPPING_INPUTS = frozenset(
    {"order", "data", "stock", "actor", "customer", "event", "lists", "facts", "record", "records"}
)
_LIST_INPUTS = frozenset({"children"})
MAX_INPUT_BYTES = 64 * 1024  # data given to try a rule set on (the studio's console): a few orders' worth


class GivenLookups:
    """The managed lists and customer facts a case gives in its input, read as a step reads the
    database (``engine.common.list_keys.Lookups``): ``lists: {blocked-mobiles: {kind: mobile, values:
    [...]}}`` (or a bare list of values: kind ``text``), ``facts: {owed: 182000, orders_in_days: 3}``
    (a fact that takes days is one number, whatever the days). A list or a fact the case does not give
    is an error, as an unknown list refuses a step: never silently false or 0."""

    def __init__(self, lists: Mapping[str, Any], facts: Mapping[str, Any]) -> None:
        self.lists = lists
        self.facts = facts

    def in_list(self, name: str, value: Any) -> bool:
        given = self.lists.get(name)
        if given is None:
            raise EngineError(
                f"the case gives no list {name!r} (input lists: {', '.join(sorted(self.lists)) or 'none'})",
                zh=f"用例没有给出名单 {name!r}（input 的 lists：{'、'.join(sorted(self.lists)) or '无'}）",
            )
        kind, values = (
            ("text", given) if isinstance(given, list) else (given.get("kind"), given.get("values"))
        )
        if kind not in {k.value for k in ListKind} or not isinstance(values, list):
            raise EngineError(
                f"the case's list {name!r} must be a list of values or {{kind: ..., values: [...]}}",
                zh=f"用例的名单 {name!r} 须是值的列表，或 {{kind: ..., values: [...]}}",
            )
        held = {key for v in values for key in value_keys(kind, v)}
        return any(key in held for key in value_keys(kind, value))

    def customer_fact(self, fact: str, days: float | None) -> float:
        value = self.facts.get(fact)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EngineError(
                f"the case gives no number for the fact {fact}() (input facts: "
                f"{', '.join(sorted(self.facts)) or 'none'})",
                zh=f"用例没有给出 {fact}() 的数值（input 的 facts：{'、'.join(sorted(self.facts)) or '无'}）",
            )
        return value


def is_cases_file(path: Path) -> bool:
    """A cases file is named ``<rule file>.cases.yaml``; it is never a rule file or a workflow."""
    return path.name.endswith(CASES_SUFFIX)


# --- cases files -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One scenario: the names a rule set evaluates over, and what it should decide."""

    name: str
    env: Mapping[str, Any]  # order, data, now (a datetime), stock, …
    expect: Mapping[str, Any]  # only the keys given: outcome, queue, rules, outputs
    file: str = "<cases>"
    line: int = 0
    json_path: str = "$"


@dataclass(frozen=True)
class CasesFile:
    """A read cases file: its cases only when it has no problem (a half-read file tests nothing)."""

    file: str
    ruleset: str | None  # the ``ruleset:`` the cases are written for, when given
    cases: tuple[Case, ...]
    problems: tuple[Problem, ...]
    marks: Marks = field(default_factory=Marks, repr=False, compare=False)


def load_cases_file(path: Path, shown: str) -> CasesFile:
    """Read a cases file (or its draft); never raises."""
    data = read_or_problem(path, shown)
    if isinstance(data, Problem):
        return CasesFile(shown, None, (), (data,))
    return load_cases(data, shown)


def load_cases(text: str | bytes, file: str = "<cases>") -> CasesFile:
    """Parse and check the text of a cases file; every problem carries its line and column."""
    tree, marks, problems = load_yaml(text, file)
    if tree is None or problems:
        return CasesFile(file, None, (), tuple(problems), marks)
    reader = _CasesReader(file, marks)
    ruleset, cases = reader.read(tree)
    if reader.problems:
        return CasesFile(file, ruleset, (), tuple(reader.problems), marks)
    return CasesFile(file, ruleset, tuple(cases), (), marks)


def read_input(
    text: str, file: str = "<input>", *, max_bytes: int = MAX_INPUT_BYTES
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The names a rule set is evaluated over, written as a case's ``input`` is (``order``, ``data``,
    ``now``, ``stock``, …), in JSON (a text starting with ``{``) or YAML, read by the safe loaders with
    their marks: ``(names, [])``, or ``(None, problems)`` with every problem at its line and column."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        words = Text(
            f"数据有 {size} 字节，超过上限 {max_bytes} 字节",
            f"the data is {size} bytes; the limit is {max_bytes}",
        )
        return None, [Problem(words, file, 1, 1, "$", None, "too-large")]
    if not text.strip():
        return None, [Problem(Text("没有数据", "there is no data"), file, 1, 1, "$", INPUT_HINT, "empty")]
    load = load_json if text.lstrip().startswith("{") else load_yaml
    tree, marks, problems = load(text, file, max_bytes=max_bytes)
    if tree is None or problems:
        return None, problems
    reader = _CasesReader(file, marks)
    names = reader.input(tree, "$", where=_THE_DATA)
    return (None, reader.problems) if reader.problems else (names, [])


class _CasesReader(MarkedReader):
    code = "cases"

    def read(self, tree: Any) -> tuple[str | None, list[Case]]:
        if not isinstance(tree, dict):
            self.problem(
                Text(
                    "用例文件必须是含有 'cases' 列表的映射",
                    "a cases file must be a mapping with a 'cases' list",
                ),
                "$",
                code="schema",
            )
            return None, []
        self.unknown_keys(tree, "$", TOP_KEYS, Text("用例文件", "a cases file"))
        version = tree.get("schema_version", CASES_SCHEMA_VERSION)
        if version != CASES_SCHEMA_VERSION:
            self.problem(
                Text(
                    f"此版本不能读取 schema_version {version!r}；请写 {CASES_SCHEMA_VERSION}",
                    f"schema_version {version!r} is not read by this version; write {CASES_SCHEMA_VERSION}",
                ),
                "$.schema_version",
                code="schema",
            )
        ruleset = tree.get("ruleset")
        if ruleset is not None and not isinstance(ruleset, str):
            self.problem(
                Text(
                    "'ruleset' 必须是规则集的名称（文本）", "'ruleset' must be the name of a rule set (text)"
                ),
                "$.ruleset",
                code="schema",
            )
            ruleset = None
        raw_cases = tree.get("cases")
        if raw_cases is None:
            self.problem(
                Text("用例文件需要 'cases' 列表", "a cases file needs a 'cases' list"),
                "$",
                Text(
                    "例如：cases: [{name: ..., input: {order: {...}}, expect: {outcome: ...}}]",
                    "cases: [{name: ..., input: {order: {...}}, expect: {outcome: ...}}]",
                ),
                "schema",
            )
            return ruleset, []
        if not isinstance(raw_cases, list) or not raw_cases:
            self.problem(
                Text("'cases' 必须是非空的用例列表", "'cases' must be a non-empty list of cases"),
                "$.cases",
                code="schema",
            )
            return ruleset, []
        shared = tree.get("lists")  # the managed lists every case reads (a case's own lists: win)
        if shared is not None and not isinstance(shared, dict):
            self.problem(Text("'lists' 必须是映射", "'lists' must be a mapping"), "$.lists", code="schema")
            shared = None
        cases: list[Case] = []
        seen: dict[str, int] = {}
        for index, raw in enumerate(raw_cases):
            case = self.case(raw, f"$.cases[{index}]")
            if case is None:
                continue
            if shared:
                given = case.env.get(LOOKUPS)
                lists = {**shared, **given.lists} if isinstance(given, GivenLookups) else dict(shared)
                facts = given.facts if isinstance(given, GivenLookups) else {}
                case = replace(case, env={**case.env, LOOKUPS: GivenLookups(lists, facts)})
            if case.name in seen:
                self.problem(
                    Text(
                        f"用例 {case.name!r} 定义了两次（第一次是第 {seen[case.name] + 1} 个用例）",
                        f"case {case.name!r} is defined twice (first as case {seen[case.name] + 1})",
                    ),
                    f"$.cases[{index}].name",
                    Text(
                        "每个用例都要有自己的名称：运行结果按名称指明用例",
                        "give every case its own name; results name cases",
                    ),
                    "duplicate-case",
                )
                continue
            seen[case.name] = index
            cases.append(case)
        return ruleset, cases

    def case(self, raw: Any, path: str) -> Case | None:
        if not isinstance(raw, dict):
            self.problem(
                Text(
                    "用例必须是含有 name、input 和 expect 的映射",
                    "a case must be a mapping with name, input and expect",
                ),
                path,
                code="schema",
            )
            return None
        before = len(self.problems)
        self.unknown_keys(raw, path, CASE_KEYS, Text("用例", "a case"))
        for key in ("name", "input", "expect"):
            if key not in raw:
                self.problem(Text(f"用例缺少 {key!r}", f"a case needs {key!r}"), path, code="schema")
        name = raw.get("name")
        if "name" in raw and (not isinstance(name, str) or not name.strip()):
            self.problem(
                Text("用例的 name 必须是非空文本", "a case's name must be non-empty text"),
                f"{path}.name",
                code="schema",
            )
        if "description" in raw and not isinstance(raw["description"], str):
            self.problem(
                Text("用例的 description 必须是文本", "a case's description must be text"),
                f"{path}.description",
                code="schema",
            )
        env = self.input(raw.get("input"), f"{path}.input") if "input" in raw else {}
        expect = self.expect(raw.get("expect"), f"{path}.expect") if "expect" in raw else {}
        if len(self.problems) > before or not isinstance(name, str):
            return None
        return Case(name, env, expect, self.file, self.marks.at(path)[0], path)

    def input(self, raw: Any, path: str, where: Text = _CASE_INPUT) -> dict[str, Any]:
        if not isinstance(raw, dict):
            what = Text("'input'", "'input'") if where == _CASE_INPUT else where
            self.problem(
                Text(
                    f"{spaced(what.zh, '必须是名称的映射')}（order、data、now……）",
                    f"{what.en} must be a mapping of names (order, data, now, …)",
                ),
                path,
                INPUT_HINT,
                "schema",
            )
            return {}
        self.unknown_keys(raw, path, INPUT_KEYS, where)
        env: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in INPUT_KEYS:
                continue
            at = child_path(path, key)
            if key in _MAPPING_INPUTS and not isinstance(value, dict):
                self.problem(
                    Text(f"输入 {key!r} 必须是映射", f"input {key!r} must be a mapping"), at, code="schema"
                )
            elif key in _LIST_INPUTS and not isinstance(value, list):
                self.problem(
                    Text(f"输入 {key!r} 必须是列表", f"input {key!r} must be a list"), at, code="schema"
                )
            elif key == "now":
                moment = _moment(value)
                if moment is None:
                    self.problem(
                        Text(
                            f"输入 'now' 必须是带时区偏移的 ISO-8601 时间，而不是 {value!r}",
                            f"input 'now' must be an ISO-8601 time with an offset, not {value!r}",
                        ),
                        at,
                        Text("例如：now: '2026-11-30T10:00:00+08:00'", "now: '2026-11-30T10:00:00+08:00'"),
                        "schema",
                    )
                env[key] = moment
            else:
                env[key] = value
        if "lists" in env or "facts" in env:
            env[LOOKUPS] = GivenLookups(env.pop("lists", None) or {}, env.pop("facts", None) or {})
        return env

    def expect(self, raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, dict) or not raw:
            self.problem(
                Text(
                    "'expect' 必须是要检查的内容的映射：outcome、queue、rules、outputs",
                    "'expect' must be a mapping of what to check: outcome, queue, rules, outputs",
                ),
                path,
                code="schema",
            )
            return {}
        self.unknown_keys(raw, path, EXPECT_KEYS, Text("用例的 expect", "a case's expect"))
        expect: dict[str, Any] = {}
        for key, value in raw.items():
            where = child_path(path, key)
            if key == "outcome":
                if isinstance(value, str):
                    expect[key] = value
                else:
                    self.problem(Text("'outcome' 必须是文本", "'outcome' must be text"), where, code="schema")
            elif key == "queue":
                if value is None or isinstance(value, str):
                    expect[key] = value
                else:
                    self.problem(
                        Text(
                            "'queue' 必须是文本；不进队列时写 null",
                            "'queue' must be text, or null for no queue",
                        ),
                        where,
                        code="schema",
                    )
            elif key == "rules":
                if isinstance(value, list) and all(isinstance(item, str) for item in value):
                    expect[key] = tuple(value)
                else:
                    self.problem(
                        Text("'rules' 必须是规则名称的列表", "'rules' must be a list of rule names"),
                        where,
                        code="schema",
                    )
            elif key == "outputs":
                if isinstance(value, dict):
                    expect[key] = dict(value)
                else:
                    self.problem(
                        Text(
                            "'outputs' 必须是输出名称到值的映射",
                            "'outputs' must be a mapping of output names to values",
                        ),
                        where,
                        code="schema",
                    )
        return expect


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().upper())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def check_cases(cases: CasesFile, ruleset: Evaluable, rule_names: Sequence[str]) -> list[Problem]:
    """What a cases file says that the rule set cannot give: unknown rules and outcomes, another name.

    ``rule_names`` are the rules of the rule set (:func:`declared_rules`).
    """
    problems: list[Problem] = []

    def problem(
        message: Text, path: str, hint: Text | None, code: str, suggestion: str | None = None
    ) -> None:
        line, column = cases.marks.at(path)
        problems.append(Problem(message, cases.file, line, column, path, hint, code, suggestion=suggestion))

    if cases.ruleset is not None and cases.ruleset != ruleset.name:
        problem(
            Text(
                f"这些用例是为规则集 {cases.ruleset!r} 写的，不是 {ruleset.name!r}",
                f"these cases are for rule set {cases.ruleset!r}, not {ruleset.name!r}",
            ),
            "$.ruleset",
            Text(
                "请用这些用例测试它们所针对的规则文件，或改正 'ruleset:'",
                "test the rule file the cases were written for, or correct 'ruleset:'",
            ),
            "wrong-ruleset",
        )
    outcomes = getattr(ruleset, "outcomes", None)
    for case in cases.cases:
        for index, rule in enumerate(case.expect.get("rules", ())):
            if rule not in rule_names:
                problem(
                    Text(
                        f"规则集 {ruleset.name!r} 中没有规则 {rule!r}",
                        f"unknown rule {rule!r} in rule set {ruleset.name!r}",
                    ),
                    f"{case.json_path}.expect.rules[{index}]",
                    Text(
                        "此规则集的规则：" + "、".join(rule_names),
                        "rules of this rule set: " + ", ".join(rule_names),
                    ),
                    "unknown-rule",
                    suggestion=near_miss(rule, rule_names),
                )
        outcome = case.expect.get("outcome")
        if isinstance(outcomes, tuple) and outcome is not None and outcome not in outcomes:
            problem(
                Text(f"未知的结果 {outcome!r}", f"unknown outcome {outcome!r}"),
                f"{case.json_path}.expect.outcome",
                Text(
                    "此规则集的结果：" + "、".join(outcomes),
                    "outcomes of this rule set: " + ", ".join(outcomes),
                ),
                "unknown-outcome",
                suggestion=near_miss(outcome, outcomes),
            )
    return problems


def declared_rules(doc: Mapping[str, Any]) -> list[str]:
    """The rule names a rule file declares (``rules[].name``), in file order; for a routing file, the
    candidates (warehouses, then carriers) that have a ``when``: the only conditions it has."""
    if doc.get("kind") == "routing":
        candidates = [*(doc.get("warehouses") or []), *(doc.get("carriers") or [])]
        return [
            str(raw["name"])
            for raw in candidates
            if isinstance(raw, Mapping) and "name" in raw and raw.get("when") is not None
        ]
    raw = doc.get("rules")
    if not isinstance(raw, list):
        return []
    return [str(rule["name"]) for rule in raw if isinstance(rule, Mapping) and "name" in rule]


# --- running cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One expected key that the decision did not give."""

    key: str  # outcome, queue, rules, outputs.<name>
    expected: Any
    got: Any

    def shown(self, lang: str = "en") -> tuple[str, str]:
        """The expected and the actual value as :func:`show_value` shows them; exactly (``repr``) when
        they would look alike (``191.2`` expected, ``191.20000000000002`` given)."""
        expected, got = show_value(self.expected, lang), show_value(self.got, lang)
        if expected == got:
            return repr(self.expected), repr(self.got)
        return expected, got

    def describe(self, lang: str = "en") -> str:
        """``expected outcome hold, got approve``, in ``lang`` (``zh…`` for Chinese, else English)."""
        expected, got = self.shown(lang)
        if lang.startswith("zh"):
            return f"期望 {self.key} 为 {expected}，实际为 {got}"
        return f"expected {self.key} {expected}, got {got}"


@dataclass(frozen=True)
class CaseResult:
    name: str
    mismatches: tuple[Mismatch, ...]
    spoke: tuple[str, ...]  # rules whose condition held or could not be evaluated, in trace order
    decision: Decision | None
    error_words: Text | None = None  # why the rule set refused to decide (an EngineError), in zh and en
    errors: Mapping[str, Text] = field(default_factory=dict)  # rule -> why it could not be evaluated

    @property
    def error(self) -> str | None:
        """Why the rule set refused to decide, in English; ``None`` when it decided."""
        return None if self.error_words is None else self.error_words.en

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error_words is None

    def describe(self, lang: str = "en") -> str:
        """``PASS name`` or ``FAIL name: expected outcome hold, got approve (rules that spoke: …)``, in
        ``lang`` (``zh…`` for Chinese: ``通过 name``, ``失败 name：…``)."""
        zh = lang.startswith("zh")
        if self.passed:
            return f"通过 {self.name}" if zh else f"PASS {self.name}"
        if self.error_words is not None:
            if zh:
                return f"失败 {self.name}：规则集未能作出决定：{self.error_words.zh}"
            return f"FAIL {self.name}: the rule set could not decide: {self.error_words.en}"
        said = ("；" if zh else "; ").join(m.describe(lang) for m in self.mismatches)
        if zh:
            spoken = "、".join(
                f"{rule}（{self.errors[rule].zh}）" if rule in self.errors else rule for rule in self.spoke
            )
            return f"失败 {self.name}：{said}（命中的规则：{spoken or '无'}）"
        spoken = ", ".join(
            f"{rule} ({self.errors[rule].en})" if rule in self.errors else rule for rule in self.spoke
        )
        return f"FAIL {self.name}: {said} (rules that spoke: {spoken or 'none'})"


def rules_that_spoke(decision: Decision) -> tuple[str, ...]:
    """The rules of a trace that held, or could not be evaluated (an audit holds the order for them)."""
    return tuple(
        str(entry["rule"])
        for entry in decision.trace
        if "rule" in entry and (entry.get("matched") is True or "error" in entry)
    )


def error_words(entry: Mapping[str, Any]) -> Text:
    """Why a trace entry's condition could not be evaluated, in zh and en: its ``error_words`` (a trace
    stored before they were kept has only the English ``error``, then given for both)."""
    words = entry.get("error_words")
    if isinstance(words, Mapping) and isinstance(words.get("zh"), str) and isinstance(words.get("en"), str):
        return Text(words["zh"], words["en"])
    return Text(str(entry["error"]), str(entry["error"]))


def run_case(ruleset: Evaluable, case: Case) -> CaseResult:
    try:
        decision = ruleset.evaluate(case.env)
    except EngineError as error:
        return CaseResult(case.name, (), (), None, error_words=Text(error.message("zh"), str(error)))
    spoke = rules_that_spoke(decision)
    errors = {str(e["rule"]): error_words(e) for e in decision.trace if "rule" in e and "error" in e}
    mismatches: list[Mismatch] = []
    expect = case.expect
    if "outcome" in expect and expect["outcome"] != decision.outcome:
        mismatches.append(Mismatch("outcome", expect["outcome"], decision.outcome))
    if "queue" in expect and expect["queue"] != decision.queue:
        mismatches.append(Mismatch("queue", expect["queue"], decision.queue))
    if "rules" in expect and sorted(set(expect["rules"])) != sorted(set(spoke)):
        mismatches.append(Mismatch("rules", list(expect["rules"]), list(spoke)))
    for key, wanted in expect.get("outputs", {}).items():
        got = decision.outputs.get(key)
        if not same_value(wanted, got):
            mismatches.append(Mismatch(f"outputs.{key}", wanted, got))
    return CaseResult(case.name, tuple(mismatches), spoke, decision, errors=errors)


def run_cases(ruleset: Evaluable, cases: Iterable[Case]) -> list[CaseResult]:
    return [run_case(ruleset, case) for case in cases]


def cases_at(cases: Iterable[Case], moment: datetime) -> tuple[Case, ...]:
    """The cases evaluated at ``moment`` (``orderloom rules test --at``): a case that gives no ``now`` in
    its input is given this one; one that gives its own keeps it (it was written for that moment)."""
    if moment.tzinfo is None:
        raise ValueError("a moment to test at needs its offset")
    return tuple(
        case if "now" in case.env else replace(case, env={**case.env, "now": moment}) for case in cases
    )


def parse_moment(text: str) -> datetime | None:
    """An ISO-8601 time with its offset (``2026-05-01T10:00+08:00``), or None (a time without one too)."""
    try:
        moment = datetime.fromisoformat(text.strip().upper())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def same_value(wanted: Any, got: Any) -> bool:
    """Equal as a reader means it: numbers by value (5000 == 5000.0 == Decimal('5000')), else ==."""
    if _is_number(wanted) and _is_number(got):
        try:
            return Decimal(str(wanted)) == Decimal(str(got))
        except InvalidOperation:
            return False
    if isinstance(wanted, Mapping) and isinstance(got, Mapping):
        return wanted.keys() == got.keys() and all(same_value(wanted[k], got[k]) for k in wanted)
    if isinstance(wanted, list) and isinstance(got, list | tuple):
        return len(wanted) == len(got) and all(same_value(a, b) for a, b in zip(wanted, got, strict=True))
    return bool(wanted == got)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def show_value(value: Any, lang: str = "en") -> str:
    """A value as a case's result shows it: ``none`` (``无`` in Chinese), a list in brackets, a number
    as :func:`show_number` writes it, anything else as text."""
    if value is None:
        return "无" if lang.startswith("zh") else "none"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show_value(item, lang) for item in value) + "]"
    if isinstance(value, float):
        return show_number(value)
    return str(value)


def show_number(value: float) -> str:
    """A float as people write it: at most 15 significant digits, so the artefacts of binary arithmetic
    go (``0.8 * 239`` is ``191.2``, not ``191.20000000000002``) and a whole number has no ``.0``; very
    large or small ones in exponent form (``1e+20``)."""
    if not math.isfinite(value):
        return str(value)
    text = f"{value:.15g}"
    return "0" if text == "-0" else text


# --- coverage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Which rules the cases exercised both ways: seen matching in some case and not in another."""

    rules: tuple[str, ...]  # every rule, in file order
    never_matched: tuple[str, ...]
    never_unmatched: tuple[str, ...]  # always matched (or could not be evaluated) in every case

    @property
    def unexercised(self) -> tuple[str, ...]:
        """Rules missing either way, in file order."""
        missing = set(self.never_matched) | set(self.never_unmatched)
        return tuple(rule for rule in self.rules if rule in missing)

    @property
    def complete(self) -> bool:
        return not self.unexercised

    def describe(self, lang: str = "en") -> str:
        """``not exercised: underpaid (never matched), negative-price (never seen not matching)``, in
        ``lang`` (``zh…`` for Chinese)."""
        zh = lang.startswith("zh")
        if self.complete:
            if zh:
                return f"覆盖情况：全部 {len(self.rules)} 条规则都已见到成立和不成立"
            return f"coverage: all {len(self.rules)} rules seen matching and not matching"
        parts = []
        for rule in self.unexercised:
            if rule in self.never_matched and rule in self.never_unmatched:
                why = _NEVER_EVALUATED
            elif rule in self.never_matched:
                why = _NEVER_MATCHED
            else:
                why = _NEVER_UNMATCHED
            parts.append(f"{rule}（{why.zh}）" if zh else f"{rule} ({why.en})")
        return "未覆盖：" + "、".join(parts) if zh else "not exercised: " + ", ".join(parts)


_NEVER_MATCHED = Text("从未成立", "never matched")
_NEVER_UNMATCHED = Text("从未见到不成立", "never seen not matching")
_NEVER_EVALUATED = Text("从未求值", "never evaluated")


def coverage(results: Iterable[CaseResult], rule_names: Sequence[str] = ()) -> Coverage:
    """Coverage from the traces of ``results``; ``rule_names`` adds rules no trace mentions."""
    order: dict[str, None] = dict.fromkeys(rule_names)
    matched: set[str] = set()
    unmatched: set[str] = set()
    for result in results:
        if result.decision is None:
            continue
        for entry in result.decision.trace:
            if "rule" not in entry or ("candidate" in entry and "when" not in entry):
                continue  # a routing candidate without a condition has nothing to exercise
            rule = str(entry["rule"])
            order.setdefault(rule, None)
            if entry.get("matched") is True:
                matched.add(rule)
            elif "error" not in entry:
                unmatched.add(rule)
    rules = tuple(order)
    return Coverage(
        rules,
        tuple(rule for rule in rules if rule not in matched),
        tuple(rule for rule in rules if rule not in unmatched),
    )


# --- replay ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplayOrder:
    """An order to replay: where it is, the names it evaluates over, and its published rule set."""

    id: int
    department: str
    workflow: str
    version: int
    env: Mapping[str, Any]
    published: Evaluable


@dataclass(frozen=True)
class ReplayChange:
    order_id: int
    department: str
    workflow: str
    version: int
    old: Decision
    new: Decision

    def to_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "department": self.department,
            "workflow": f"{self.workflow} v{self.version}",
            "old": _summary(self.old),
            "new": _summary(self.new),
        }


@dataclass(frozen=True)
class Replay:
    ruleset: str
    draft_version: str
    orders: int  # how many orders were replayed
    counts: Mapping[tuple[str, str], int]  # (published outcome, draft outcome) -> orders
    changes: tuple[ReplayChange, ...]  # orders whose outcome, queue or outputs would change

    def to_dict(self) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "draft_version": self.draft_version,
            "orders": self.orders,
            "counts": [
                {"published": old, "draft": new, "orders": count}
                for (old, new), count in sorted(self.counts.items())
            ],
            "changed": [change.to_dict() for change in self.changes],
        }


def _summary(decision: Decision) -> dict[str, Any]:
    doc = decision.to_dict()
    summary = {key: doc.get(key) for key in ("version", "outcome", "queue")}
    summary["rules"] = list(rules_that_spoke(decision))
    if "outputs" in doc:
        summary["outputs"] = doc["outputs"]
    return summary


def decisions_differ(old: Decision, new: Decision) -> bool:
    """Whether two decisions send an order another way: another outcome, queue or outputs (numbers
    compared by value)."""
    return (old.outcome, old.queue) != (new.outcome, new.queue) or not same_value(
        dict(old.outputs), dict(new.outputs)
    )


def replay(draft: Evaluable, orders: Iterable[ReplayOrder]) -> Replay:
    """Evaluate the draft and each order's published rule set over the same names; what differs."""
    counts: Counter[tuple[str, str]] = Counter()
    changes: list[ReplayChange] = []
    total = 0
    for order in orders:
        total += 1
        old = order.published.evaluate(order.env)
        new = draft.evaluate(order.env)
        counts[(old.outcome, new.outcome)] += 1
        if decisions_differ(old, new):
            changes.append(ReplayChange(order.id, order.department, order.workflow, order.version, old, new))
    return Replay(draft.name, draft.version, total, dict(counts), tuple(changes))
