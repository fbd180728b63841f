"""engine/rules/kinds.py: the registry of rule kinds, each checked and compiled by its own module."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from engine.dsl.loader import load_yaml
from engine.errors import DefinitionError
from engine.rules import correlation, routing, ruleset, tables
from engine.rules.kinds import EVALUATED_KINDS, KINDS, check_ruleset, compile_ruleset, rule_kind
from engine.rules.ruleset import SCHEMA_PATH
from tests.problem_words import assert_bilingual

ROOT = Path(__file__).resolve().parents[3]


def test_the_registry_holds_every_kind_the_schema_allows_each_from_its_module() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert set(KINDS) == set(schema["properties"]["kind"]["enum"])
    assert KINDS["audit"] is ruleset.KIND
    assert KINDS["decision_table"] is tables.KIND
    assert KINDS["routing"] is routing.KIND
    assert KINDS["correlation"] is correlation.KIND
    assert {"audit", "decision_table", "routing"} == EVALUATED_KINDS
    assert rule_kind("nonsense") is None and rule_kind(7) is None


AUDIT: dict[str, Any] = {
    "schema_version": 1,
    "ruleset": "kinds-audit",
    "kind": "audit",
    "title": {"zh": "审核", "en": "Audit"},
    "outcomes": ["approve", "hold"],
    "default": "approve",
    "rules": [{"name": "big", "when": "order.total > 100", "outcome": "hold"}],
}


def test_a_rule_file_is_compiled_by_its_kind() -> None:
    compiled = compile_ruleset(AUDIT, "rules/audit.yaml")
    assert isinstance(compiled, ruleset.CompiledRuleset)
    assert compiled.evaluate({"order": {"total": 500}}).outcome == "hold"


def test_the_kind_checks_its_meaning_and_keys_of_another_kind_are_refused() -> None:
    wrong = {
        **AUDIT,
        "department": "retail",
        "rules": [{"name": "big", "when": "order.total >", "outcome": "x"}],
    }
    found = {(p.json_path, p.code) for p in check_ruleset(wrong, "rules/audit.yaml")}
    assert ("$.department", "foreign-key") in found  # the registry's word: correlation files only
    assert any(path == "$.rules[0].when" for path, _ in found)  # the audit kind's own check
    with pytest.raises(DefinitionError):
        compile_ruleset(wrong, "rules/audit.yaml")


def _shipped_rule_files() -> list[Path]:
    return sorted(p for p in (ROOT / "rules").rglob("*.yaml") if not p.name.endswith(".cases.yaml"))


@pytest.mark.parametrize("path", _shipped_rule_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_kind_names_its_lists_of_named_entries_and_refuses_a_name_twice(path: Path) -> None:
    doc, _, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    assert problems == []
    kind = KINDS[doc["kind"]]
    named = [
        key
        for key, value in doc.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value)
    ]
    assert sorted(kind.named) == sorted(named)  # what the changes between versions compare by name
    for key in kind.named:
        twice = copy.deepcopy(doc)
        twice[key].append(copy.deepcopy(twice[key][0]))
        found = {p.json_path for p in check_ruleset(twice, str(path)) if p.code.startswith("duplicate-")}
        assert found == {f"$.{key}[{len(doc[key])}].name"}


def test_the_registrys_problems_are_said_in_chinese_with_the_english_unchanged() -> None:
    (mapping,) = check_ruleset(["not", "a", "mapping"], "rules/x.yaml")
    assert mapping.message_in("zh") == "规则文件必须是键到值的映射"
    assert mapping.message == "a rule file must be a mapping of keys to values"
    foreign = next(p for p in check_ruleset({**AUDIT, "acts_on": ["retail"]}) if p.code == "foreign-key")
    assert foreign.message_in("zh") == (
        "'acts_on' 只用于事件关联规则集；'audit' 类规则文件作用于引用它的工作流的订单"
    )
    assert foreign.message == (
        "'acts_on' belongs to correlation rule sets; a rule file of kind 'audit' runs for the orders of "
        "the workflows that name it"
    )
    assert foreign.hint_in("zh") == "删除 'acts_on'"
    assert foreign.hint == "remove 'acts_on'"
    foreign_keys = [
        p for p in check_ruleset({**AUDIT, "department": "retail", "acts_on": "*"}) if p.code == "foreign-key"
    ]
    assert [p.json_path for p in foreign_keys] == ["$.department", "$.acts_on"]
    for problem in foreign_keys:
        assert_bilingual(problem)


def _shipped_files_named_here() -> list[Path]:
    """The shipped rule files of the kinds whose duplicate names this package words (a decision table's
    are engine/rules/tables.py's)."""
    return [p for p in _shipped_rule_files() if "kind: decision_table" not in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", _shipped_files_named_here(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_name_given_twice_is_said_in_both_languages(path: Path) -> None:
    doc, _, _ = load_yaml(path.read_text(encoding="utf-8"), str(path))
    for key in KINDS[doc["kind"]].named:
        twice = copy.deepcopy(doc)
        twice[key].append(copy.deepcopy(twice[key][0]))
        (problem,) = [p for p in check_ruleset(twice, str(path)) if p.code.startswith("duplicate-")]
        assert_bilingual(problem)
        assert "定义了两次" in problem.message_in("zh") or "列出了两次" in problem.message_in("zh")
