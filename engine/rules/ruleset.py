"""Rule files (规则集): compiled once per content, evaluated over one order with a trace of every rule.

A rule file is YAML already parsed into plain data (``engine.dsl.loader``); its shape is published as
``engine/schema/rules.schema.json`` and documented in docs/rules-language.md. Four kinds:

* ``audit`` (here): the most severe outcome among the matching rules wins, severity being the order of
  ``outcomes`` (least severe first); when no rule matches, ``default`` decides. A rule whose condition
  cannot be evaluated holds the order (outcome ``hold``, reason "rule could not be evaluated"); it
  never makes evaluation fail.
* ``decision_table`` (``engine.rules.tables``), ``routing`` (``engine.rules.routing``) and
  ``correlation`` (``engine.rules.correlation``).

Each kind is a :class:`RuleKind` (``KIND`` in its module: ``check(doc, file)``, the problems the schema
cannot see, and ``compile(doc, file, version)``); ``engine.rules.kinds`` holds them in a registry and
checks and compiles a rule file of any kind. This module holds what the kinds share: the schema,
:class:`Decision`, :class:`Evaluable` and :func:`content_hash`.

Conditions are matched by durable-rules (``engine.rules.durable``, behind ``engine.rules.matching``); a
rule set is registered there once per content hash (:func:`content_hash`), so a newly published version
runs beside the old one, and every :class:`Decision` records the version that made it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import orjson
from jsonschema import Draft202012Validator

from engine.common.suggest import near_miss
from engine.common.text import Text
from engine.errors import Problem, Severity, schema_message
from engine.rules.durable import build_matcher
from engine.rules.expr import check as check_expression
from engine.rules.matching import Condition, Matcher

__all__ = [
    "HOLD",
    "KIND",
    "SCHEMA_PATH",
    "CompiledRuleset",
    "Decision",
    "Evaluable",
    "FileProblems",
    "Rule",
    "RuleKind",
    "check",
    "compile",
    "content_hash",
    "said_once",
    "schema_problems",
]

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "rules.schema.json"
HOLD = "hold"  # the outcome of an audit rule that could not be evaluated
UNEVALUATED_REASON = Text(zh="规则无法求值", en="rule could not be evaluated")


def content_hash(doc: Mapping[str, Any]) -> str:
    """The version of a rule set: a hash of its content (key order and layout do not count)."""
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rule:
    name: str
    when: str
    outcome: str
    queue: str | None = None
    reason: Text | None = None


@dataclass(frozen=True)
class Decision:
    """The verdict of a rule set over one order, with the reasons and a trace of every rule."""

    ruleset: str
    outcome: str
    queue: str | None
    reasons: list[dict[str, Any]]  # {"rule", "outcome", "zh", "en"} of the rules that decided
    trace: list[dict[str, Any]]  # one entry per rule (row, candidate), in file order
    version: str = ""  # content hash of the rule set that decided
    kind: str = "audit"
    hit_policy: str | None = None  # decision tables: the policy applied
    outputs: Mapping[str, Any] = field(default_factory=dict)  # table outputs; routing: warehouse, carrier
    # Built JSON-ready (audit rule sets): reasons and trace entries hold text, numbers, true/false and
    # None only, a trace entry's "values" a record of those; to_dict copies them instead of converting.
    _plain: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def _audit(
        cls,
        ruleset: str,
        outcome: str,
        queue: str | None,
        reasons: list[dict[str, Any]],
        trace: list[dict[str, Any]],
        version: str,
        plain: bool,
    ) -> Decision:
        """``Decision(ruleset, outcome, queue, reasons, trace, version, _plain=plain)``, made once per
        audit evaluation: a frozen dataclass's ``__init__`` sets its ten fields one
        ``object.__setattr__`` at a time (18,000 instructions, a twentieth of an evaluation); this sets
        the same fields at once (7,000)."""
        decision = object.__new__(cls)
        object.__setattr__(
            decision,
            "__dict__",
            {
                "ruleset": ruleset,
                "outcome": outcome,
                "queue": queue,
                "reasons": reasons,
                "trace": trace,
                "version": version,
                "kind": "audit",
                "hit_policy": None,
                "outputs": {},
                "_plain": plain,
            },
        )
        return decision

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (dates as ISO-8601 text), as stored with the audit event."""
        if self._plain:
            reasons: Any = [dict(reason) for reason in self.reasons]
            trace: Any = [
                {**entry, "values": dict(entry["values"])} if "values" in entry else dict(entry)
                for entry in self.trace
            ]
        else:
            reasons, trace = _json_copy(self.reasons), _json_copy(self.trace)
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "ruleset": self.ruleset,
            "version": self.version,
            "kind": self.kind,
            "outcome": self.outcome,
            "queue": self.queue,
            "reasons": reasons,
            "trace": trace,
        }
        if self.hit_policy is not None:
            doc["hit_policy"] = self.hit_policy
        if self.outputs:
            doc["outputs"] = _json_copy(dict(self.outputs))
        return doc


class Evaluable(Protocol):
    """A compiled rule set that decides over one order (audit, decision table, routing)."""

    name: str
    kind: str
    version: str
    file: str

    def evaluate(self, env: Mapping[str, Any]) -> Decision: ...


@dataclass(frozen=True)
class CompiledRuleset:
    """An audit rule set."""

    name: str
    kind: str
    title: Text
    outcomes: tuple[str, ...]  # least severe first
    default: str
    rules: tuple[Rule, ...]
    file: str = "<rules>"
    version: str = ""
    _severity: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)
    _matcher: Matcher | None = field(default=None, repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        """Match every rule over ``env`` (the names of the expression language) and decide."""
        assert self._matcher is not None
        match = self._matcher.match(env)
        errors, matched, values = match.errors, match.matched, match.values
        trace: list[dict[str, Any]] = []
        spoken: list[tuple[Rule, str, Text]] = []
        for rule in self.rules:
            name = rule.name
            error = errors.get(name)
            if error is not None:
                trace.append(
                    {
                        "rule": name,
                        "when": rule.when,
                        "matched": False,
                        "outcome": HOLD,
                        "error": error.en,
                        "error_words": {"zh": error.zh, "en": error.en},
                    }
                )
                spoken.append((rule, HOLD, UNEVALUATED_REASON))
                continue
            held = name in matched
            trace.append(
                {
                    "rule": name,
                    "when": rule.when,
                    "matched": held,
                    "outcome": rule.outcome,
                    "values": values.get(name, {}),
                }
            )
            if held:
                spoken.append((rule, rule.outcome, rule.reason or _fallback_reason(rule)))
        # the trace holds the matcher's values as they are: JSON-ready when it says they are flat
        plain = match.flat
        if not spoken:
            return Decision._audit(self.name, self.default, None, [], trace, self.version, plain)
        severity = self._severity
        outcome = max((said for _rule, said, _reason in spoken), key=lambda said: severity[said])
        deciding = [(rule, reason) for rule, said, reason in spoken if said == outcome]
        queue = next((rule.queue for rule, _reason in deciding if rule.queue), None)
        reasons = [
            {"rule": rule.name, "outcome": outcome, "zh": reason.zh, "en": reason.en}
            for rule, reason in deciding
        ]
        return Decision._audit(self.name, outcome, queue, reasons, trace, self.version, plain)


def _fallback_reason(rule: Rule) -> Text:
    return Text(zh=f"规则 {rule.name}", en=f"rule {rule.name}")


def compile(doc: Mapping[str, Any], file: str, version: str) -> CompiledRuleset:
    """Compile a checked audit rule set (``engine.rules.kinds.compile_ruleset`` checks first)."""
    outcomes = tuple(doc["outcomes"])
    rules = tuple(
        Rule(
            name=raw["name"],
            when=raw["when"],
            outcome=raw["outcome"],
            queue=raw.get("queue"),
            reason=_text(raw.get("reason")),
        )
        for raw in doc["rules"]
    )
    title = _text(doc["title"])
    assert title is not None  # the schema requires it
    matcher = build_matcher(doc["ruleset"], version, [Condition(rule.name, rule.when) for rule in rules])
    return CompiledRuleset(
        name=doc["ruleset"],
        kind=doc["kind"],
        title=title,
        outcomes=outcomes,
        default=doc["default"],
        rules=rules,
        file=file,
        version=version,
        _severity={outcome: index for index, outcome in enumerate(outcomes)},
        _matcher=matcher,
    )


def check(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """What the schema cannot see in an audit rule file: its outcomes, queues and conditions."""
    return _meaning_problems(doc, file)


def schema_problems(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """The problems of a parsed rule file's shape (``rules.schema.json``, every kind); with a JSON path
    but no line."""
    return _schema_problems(doc, file)


def said_once(problems: list[Problem]) -> list[Problem]:
    """The problems without the schema's word on a condition the expression check also refused (an
    over-long or empty condition): that one names the column and gives a hint."""
    conditions = {p.json_path for p in problems if p.code == "expression"}
    return [p for p in problems if not (p.code == "schema" and p.json_path in conditions)]


@dataclass
class FileProblems:
    """The problems a rule kind's check finds in one file, gathered as it goes."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def __call__(
        self,
        message: Text,
        json_path: str,
        hint: Text | None,
        code: str,
        severity: Severity = Severity.ERROR,
        suggestion: str | None = None,
    ) -> None:
        self.found.append(
            Problem(
                message,
                self.file,
                json_path=json_path,
                hint_words=hint,
                code=code,
                severity=severity,
                suggestion=suggestion,
            )
        )


@dataclass(frozen=True)
class RuleKind:
    """One kind of rule file, as the registry (``engine.rules.kinds``) holds it: what its ``check``
    finds beyond the schema (problems with a JSON path, never raising), how it compiles a checked
    document (``compile(doc, file, version)``), whether it decides over one order (``evaluated``:
    a transition's ``rules:`` may name it), and the keys of its lists of entries each known by its
    ``name`` (``named``: an audit's rules; what the changes between two versions compare by name)."""

    name: str
    check: Callable[[Mapping[str, Any], str], list[Problem]]
    compile: Callable[[Mapping[str, Any], str, str], Any]
    evaluated: bool
    named: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def _schema_problems(doc: Mapping[str, Any], file: str) -> list[Problem]:
    problems: list[Problem] = []
    for error in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            known = error.schema.get("properties", {})
            for key in error.instance:
                if key not in known:
                    problems.append(
                        Problem(
                            Text(f"未知的键 {key!r}", f"unknown key {key!r}"),
                            file,
                            json_path=f"{error.json_path}.{key}",
                            hint_words=Text(
                                "可用的键：" + "、".join(known), "allowed keys: " + ", ".join(known)
                            ),
                            code="unknown-key",
                            suggestion=near_miss(str(key), known),
                        )
                    )
            continue
        hint = None
        if error.validator == "pattern":
            hint = Text(
                "名称只能由字母、数字、'-'、'_' 和 '.' 组成", "names use letters, digits, '-', '_' and '.'"
            )
        problems.append(
            Problem(schema_message(error), file, json_path=error.json_path, hint_words=hint, code="schema")
        )
    return problems


def _meaning_problems(doc: Mapping[str, Any], file: str) -> list[Problem]:
    """What the schema cannot say: conditions, outcomes named but not declared, duplicate rule names."""
    problems: list[Problem] = []
    raw_outcomes = doc.get("outcomes")
    outcomes = [o for o in raw_outcomes if isinstance(o, str)] if isinstance(raw_outcomes, list) else []

    def unknown_outcome(value: Any, json_path: str) -> None:
        if outcomes and isinstance(value, str) and value not in outcomes:
            problems.append(
                Problem(
                    Text(f"未知的结果 {value!r}", f"unknown outcome {value!r}"),
                    file,
                    json_path=json_path,
                    hint_words=Text(
                        "此文件的结果：" + "、".join(outcomes),
                        "outcomes of this file: " + ", ".join(outcomes),
                    ),
                    code="unknown-outcome",
                    suggestion=near_miss(value, outcomes),
                )
            )

    unknown_outcome(doc.get("default"), "$.default")
    if doc.get("kind") == "audit" and outcomes and HOLD not in outcomes:
        problems.append(
            Problem(
                Text(
                    f"审核规则集的结果中必须有 {HOLD!r}",
                    f"an audit rule set needs {HOLD!r} among its outcomes",
                ),
                file,
                json_path="$.outcomes",
                hint_words=Text(
                    "无法求值的规则会把订单挂起待审",
                    "a rule that cannot be evaluated holds the order for review",
                ),
                code="missing-hold",
            )
        )
    rules = doc.get("rules")
    if not isinstance(rules, list):
        return problems
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            continue
        path = f"$.rules[{index}]"
        name = rule.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(
                    Problem(
                        Text(
                            f"规则 {name!r} 定义了两次（第一次是第 {seen[name] + 1} 条规则）",
                            f"rule {name!r} is defined twice (first as rule {seen[name] + 1})",
                        ),
                        file,
                        json_path=f"{path}.name",
                        hint_words=Text(
                            "每条规则都要有自己的名称：求值记录和理由都按名称指明规则",
                            "give every rule its own name; traces and reasons name rules",
                        ),
                        code="duplicate-rule",
                    )
                )
            else:
                seen[name] = index
        when = rule.get("when")
        if isinstance(when, str):
            problems.extend(error.to_problem(file, f"{path}.when") for error in check_expression(when))
        unknown_outcome(rule.get("outcome"), f"{path}.outcome")
    return problems


def _text(raw: Any) -> Text | None:
    if isinstance(raw, Mapping):
        return Text(zh=str(raw["zh"]), en=str(raw["en"]))
    return None


# What orjson writes itself and _jsonable would write otherwise is handed back to _refuse, which
# sends the value the slow way: dates (isoformat there), subclasses of str, int and dict, dataclasses.
_ORJSON_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def _json_copy(value: Any) -> Any:
    """``_jsonable(value)``, through orjson when the value is JSON data already (a routing trace).

    orjson writes and reads the copy in C, a tenth of the walk in Python; it writes NaN and the
    infinities as null, so any null sends the value the slow way too (a None costs the walk, nothing
    else), as does anything orjson refuses (a number past 64 bits, a key that is not text, a Decimal,
    a set) or would write differently (passed through to ``_refuse``). Enums are the exception:
    orjson writes their value where the walk writes their name.
    """
    try:
        text = orjson.dumps(value, default=_refuse, option=_ORJSON_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _jsonable(value)
    if b"null" in text:
        return _jsonable(value)
    return orjson.loads(text)


def _jsonable(value: Any) -> Any:
    # The common shapes first, by exact type: a trace holds many small values and this runs per step.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is dict:
        return {key if type(key) is str else str(key): _jsonable(item) for key, item in value.items()}
    if kind is list:
        return [_jsonable(item) for item in value]
    return _jsonable_other(value)


def _jsonable_other(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(item) for item in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


KIND = RuleKind("audit", check, compile, evaluated=True, named=("rules",))
