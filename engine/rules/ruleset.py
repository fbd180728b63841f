"""Rule files (规则集): compiled once, evaluated over one order with a trace of every rule.

A rule file is YAML already parsed into plain data (``engine.dsl.loader``); its shape is published as
``engine/schema/rules.schema.json``. Only ``kind: audit`` is evaluated so far: the most severe outcome
among the matching rules wins, severity being the order of ``outcomes`` (least severe first); when no
rule matches, ``default`` decides. A rule whose condition cannot be evaluated holds the order (it counts
as outcome ``hold`` with the reason "rule could not be evaluated"); it never makes evaluation fail.

The public surface (``compile_ruleset``, ``check_ruleset``, ``CompiledRuleset.evaluate``, ``Decision``)
is kept small on purpose so that the evaluation can move onto another rule engine behind it.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.dsl.spec import Text
from engine.errors import DefinitionError, EngineError, Problem
from engine.plugins import did_you_mean
from engine.rules.expr import (
    CompiledExpression,
    ExpressionEvaluationError,
    check,
    compile_expression,
)

__all__ = [
    "EVALUATED_KINDS",
    "HOLD",
    "KINDS",
    "SCHEMA_PATH",
    "CompiledRuleset",
    "Decision",
    "Rule",
    "check_ruleset",
    "compile_ruleset",
]

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "rules.schema.json"
KINDS = ("audit", "routing", "decision_table", "correlation")
EVALUATED_KINDS = frozenset({"audit"})
HOLD = "hold"  # the outcome of an audit rule that could not be evaluated
UNEVALUATED_REASON = Text(zh="规则无法求值", en="rule could not be evaluated")


@dataclass(frozen=True)
class Rule:
    name: str
    condition: CompiledExpression
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
    trace: list[dict[str, Any]]  # one entry per rule, in file order

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (dates as ISO-8601 text), as stored with the audit event."""
        return {
            "schema_version": SCHEMA_VERSION,
            "ruleset": self.ruleset,
            "outcome": self.outcome,
            "queue": self.queue,
            "reasons": _jsonable(self.reasons),
            "trace": _jsonable(self.trace),
        }


@dataclass(frozen=True)
class CompiledRuleset:
    name: str
    kind: str
    title: Text
    outcomes: tuple[str, ...]  # least severe first
    default: str
    rules: tuple[Rule, ...]
    file: str = "<rules>"
    _severity: Mapping[str, int] = field(default_factory=dict, repr=False, compare=False)

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        """Run every rule over ``env`` (the names of the expression language) and decide."""
        if self.kind not in EVALUATED_KINDS:
            raise EngineError(
                f"rule set {self.name!r} ({self.file}) is of kind {self.kind!r}, which is not supported "
                "yet; only 'audit' rule sets can be evaluated",
                zh=f"规则集 {self.name!r}（{self.file}）的类型 {self.kind!r} 尚不支持；"
                "目前只能执行 'audit' 类型的规则集",
            )
        trace: list[dict[str, Any]] = []
        spoken: list[tuple[Rule, str, Text]] = []
        for rule in self.rules:
            entry: dict[str, Any] = {"rule": rule.name, "when": rule.condition.source}
            try:
                value, comparisons = rule.condition.explain(env)
            except ExpressionEvaluationError as error:
                entry.update(matched=False, outcome=HOLD, error=str(error))
                trace.append(entry)
                spoken.append((rule, HOLD, UNEVALUATED_REASON))
                continue
            matched = bool(value)
            entry.update(matched=matched, outcome=rule.outcome, comparisons=comparisons)
            trace.append(entry)
            if matched:
                spoken.append((rule, rule.outcome, rule.reason or _fallback_reason(rule)))
        if not spoken:
            return Decision(self.name, self.default, None, [], trace)
        severity = self._severity
        outcome = max((said for _rule, said, _reason in spoken), key=lambda said: severity[said])
        deciding = [(rule, reason) for rule, said, reason in spoken if said == outcome]
        queue = next((rule.queue for rule, _reason in deciding if rule.queue), None)
        reasons = [
            {"rule": rule.name, "outcome": outcome, "zh": reason.zh, "en": reason.en}
            for rule, reason in deciding
        ]
        return Decision(self.name, outcome, queue, reasons, trace)


def _fallback_reason(rule: Rule) -> Text:
    return Text(zh=f"规则 {rule.name}", en=f"rule {rule.name}")


def compile_ruleset(doc: Mapping[str, Any], file: str = "<rules>") -> CompiledRuleset:
    """Check and compile a parsed rule file; raises :class:`DefinitionError` with every problem."""
    problems = [p for p in check_ruleset(doc, file) if p.severity == "error"]
    if problems:
        raise DefinitionError(problems)
    outcomes = tuple(doc["outcomes"])
    rules = tuple(
        Rule(
            name=raw["name"],
            condition=compile_expression(raw["when"]),
            outcome=raw["outcome"],
            queue=raw.get("queue"),
            reason=_text(raw.get("reason")),
        )
        for raw in doc["rules"]
    )
    title = _text(doc["title"])
    assert title is not None  # the schema requires it
    return CompiledRuleset(
        name=doc["ruleset"],
        kind=doc["kind"],
        title=title,
        outcomes=outcomes,
        default=doc["default"],
        rules=rules,
        file=file,
        _severity={outcome: index for index, outcome in enumerate(outcomes)},
    )


def check_ruleset(doc: Any, file: str = "<rules>") -> list[Problem]:
    """Every problem of a parsed rule file: its shape, its conditions, its outcomes. Never raises.

    Problems carry ``json_path`` (``$.rules[0].when``) but no line: the caller maps paths to lines.
    """
    if not isinstance(doc, Mapping):
        return [Problem("a rule file must be a mapping of keys to values", file, kind="schema")]
    problems = _schema_problems(doc, file)
    problems.extend(_meaning_problems(doc, file))
    return problems


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
                            f"unknown key {key!r}{did_you_mean(str(key), known)}",
                            file,
                            json_path=f"{error.json_path}.{key}",
                            hint="allowed keys: " + ", ".join(known),
                            kind="unknown-key",
                        )
                    )
            continue
        hint = None
        if error.validator == "pattern":
            hint = "names use letters, digits, '-', '_' and '.'"
        problems.append(Problem(error.message, file, json_path=error.json_path, hint=hint, kind="schema"))
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
                    f"unknown outcome {value!r}{did_you_mean(value, outcomes)}",
                    file,
                    json_path=json_path,
                    hint="outcomes of this file: " + ", ".join(outcomes),
                    kind="unknown-outcome",
                )
            )

    unknown_outcome(doc.get("default"), "$.default")
    if doc.get("kind") == "audit" and outcomes and HOLD not in outcomes:
        problems.append(
            Problem(
                f"an audit rule set needs {HOLD!r} among its outcomes",
                file,
                json_path="$.outcomes",
                hint="a rule that cannot be evaluated holds the order for review",
                kind="missing-hold",
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
                        f"rule {name!r} is defined twice (first as rule {seen[name] + 1})",
                        file,
                        json_path=f"{path}.name",
                        hint="give every rule its own name; traces and reasons name rules",
                        kind="duplicate-rule",
                    )
                )
            else:
                seen[name] = index
        when = rule.get("when")
        if isinstance(when, str):
            problems.extend(error.to_problem(file, f"{path}.when") for error in check(when))
        unknown_outcome(rule.get("outcome"), f"{path}.outcome")
    return problems


def _text(raw: Any) -> Text | None:
    if isinstance(raw, Mapping):
        return Text(zh=str(raw["zh"]), en=str(raw["en"]))
    return None


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
