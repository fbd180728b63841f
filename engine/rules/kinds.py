"""The registry of rule kinds: a rule file of any kind checked and compiled through its kind.

Each kind is a :class:`~engine.rules.ruleset.RuleKind` its own module defines (``KIND``): ``audit``
(``engine.rules.ruleset``), ``decision_table`` (``engine.rules.tables``), ``routing``
(``engine.rules.routing``) and ``correlation`` (``engine.rules.correlation``). A kind is added by
writing its module and naming it in :data:`KINDS` here, and in ``engine/schema/rules.schema.json``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.common.text import Text
from engine.errors import DefinitionError, Problem
from engine.rules import correlation, routing, ruleset, tables
from engine.rules.list_checks import list_problems
from engine.rules.ruleset import RuleKind, content_hash, said_once, schema_problems

__all__ = ["EVALUATED_KINDS", "KINDS", "check_ruleset", "compile_ruleset", "rule_kind"]

KINDS: Mapping[str, RuleKind] = MappingProxyType(
    {kind.name: kind for kind in (ruleset.KIND, tables.KIND, routing.KIND, correlation.KIND)}
)
# Kinds a transition's ``rules:`` may name: they decide an outcome for one order.
EVALUATED_KINDS = frozenset(name for name, kind in KINDS.items() if kind.evaluated)
# Keys only a correlation file reads: which department owns it, whose orders a match acts on.
CORRELATION_ONLY = ("department", "acts_on")


def rule_kind(name: Any) -> RuleKind | None:
    """The registered kind called ``name``, or None."""
    return KINDS.get(name) if isinstance(name, str) else None


def check_ruleset(doc: Any, file: str = "<rules>") -> list[Problem]:
    """Every problem of a parsed rule file: its shape, its conditions, its outcomes. Never raises.

    Problems carry ``json_path`` (``$.rules[0].when``) but no line: the caller maps paths to lines.
    """
    if not isinstance(doc, Mapping):
        return [
            Problem(
                Text("规则文件必须是键到值的映射", "a rule file must be a mapping of keys to values"),
                file,
                code="schema",
            )
        ]
    problems = schema_problems(doc, file)
    kind = rule_kind(doc.get("kind"))
    if kind is None:
        if isinstance(doc.get("kind"), str) and not problems:
            problems.append(
                Problem(
                    Text(
                        f"此版本不支持 {doc['kind']!r} 类规则集",
                        f"rule sets of kind {doc['kind']!r} are not supported by this version",
                    ),
                    file,
                    json_path="$.kind",
                    code="unsupported-kind",
                )
            )
        return said_once(problems)
    if kind.evaluated:
        for key in CORRELATION_ONLY:
            if key in doc:
                problems.append(
                    Problem(
                        Text(
                            f"{key!r} 只用于事件关联规则集；{kind.name!r} 类规则文件"
                            "作用于引用它的工作流的订单",
                            f"{key!r} belongs to correlation rule sets; a rule file of kind {kind.name!r} "
                            "runs for the orders of the workflows that name it",
                        ),
                        file,
                        json_path=f"$.{key}",
                        hint_words=Text(f"删除 {key!r}", f"remove {key!r}"),
                        code="foreign-key",
                    )
                )
    problems.extend(kind.check(doc, file))
    problems.extend(list_problems(doc, file))  # in_list('name', …): the name declared under lists:
    return said_once(problems)


def compile_ruleset(doc: Mapping[str, Any], file: str = "<rules>") -> Any:
    """Check and compile a parsed rule file; raises :class:`DefinitionError` with every problem.

    Audit, decision table and routing files give an :class:`~engine.rules.ruleset.Evaluable`;
    correlation files give the pattern set of ``engine.rules.correlation``. Compiling the same content
    twice gives the same object.
    """
    problems = [p for p in check_ruleset(doc, file) if p.severity == "error"]
    if problems:
        raise DefinitionError(problems)
    return _compile_checked(json.dumps(doc, sort_keys=True, default=str), file)


@functools.lru_cache(maxsize=256)
def _compile_checked(canonical: str, file: str) -> Any:
    doc = json.loads(canonical)
    kind = KINDS[doc["kind"]]
    return kind.compile(doc, file, content_hash(doc))
