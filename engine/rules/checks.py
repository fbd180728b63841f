"""The check of a rule file on disk: read with its marks, checked by its kind (``engine.rules.kinds``),
every problem placed at its line and column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.common.text import Text
from engine.dsl.loader import Marks, definition_exists, load_file
from engine.errors import DefinitionError, Problem, Severity
from engine.rules.kinds import EVALUATED_KINDS, check_ruleset, compile_ruleset
from engine.rules.testing import CASES_SUFFIX, check_cases, declared_rules, load_cases_file

__all__ = ["check_cases_file", "check_rules_file", "read_rules_file", "rules_path_for"]


def check_rules_file(path: Path, shown: str) -> tuple[Mapping[str, Any] | None, list[Problem]]:
    """A rule file, checked by its kind (``engine.rules.kinds``); positions filled from its marks."""
    tree, problems, _ = read_rules_file(path, shown)
    return tree, problems


def read_rules_file(path: Path, shown: str) -> tuple[Mapping[str, Any] | None, list[Problem], Marks]:
    """:func:`check_rules_file` with the file's marks, to place what later checks find in it."""
    tree, marks, problems = load_file(path, shown, "yaml")
    if tree is None:
        return None, problems, marks
    if not isinstance(tree, dict):
        problem = Problem(
            Text("规则文件必须是映射", "a rule file must be a mapping"), shown, 1, 1, "$", None, "rules"
        )
        return None, [*problems, problem], marks
    for problem in check_ruleset(tree, shown):
        if problem.line == 0:
            line, column = marks.at(problem.json_path)
            problem = replace(problem, file=shown, line=line, column=column)
        problems.append(problem)
    errors = any(problem.severity == "error" for problem in problems)
    return (None if errors else tree), problems, marks  # warnings alone leave the file usable


def rules_path_for(cases: str) -> str:
    """``rules/retail/audit.cases.yaml`` -> ``rules/retail/audit.yaml``: the rule file a cases file tests."""
    return cases.removesuffix(CASES_SUFFIX) + ".yaml"


def check_cases_file(path: Path, shown: str, rules: Path, rules_shown: str) -> list[Problem]:
    """The checks ``orderloom rules test`` makes of a cases file before running it: its shape, then what
    it says that its rule file ``rules`` cannot give (an unknown rule or outcome, another rule set's
    name). A rule file missing, with errors, or of a kind that decides nothing over one order is a
    warning on the cases' first line: the cases are kept, and checked against the rule file once it
    can run them."""
    cases = load_cases_file(path, shown)
    if cases.problems:
        return list(cases.problems)

    def warning(words: Text) -> list[Problem]:
        return [Problem(words, shown, 1, 1, "$", None, "cases", Severity.WARNING)]

    if not definition_exists(rules):
        return warning(
            Text(
                f"没有与这些用例对应的规则文件 {rules_shown}：用例无法运行",
                f"there is no rule file {rules_shown} for these cases: they cannot run",
            )
        )
    tree, problems = check_rules_file(rules, rules_shown)
    if tree is None or any(p.severity == Severity.ERROR for p in problems):
        return warning(
            Text(
                f"规则文件 {rules_shown} 有错误：修正后才能用它检查并运行这些用例",
                f"the rule file {rules_shown} has errors: the cases are checked and run against it once "
                "it has none",
            )
        )
    if tree.get("kind") not in EVALUATED_KINDS:
        return warning(
            Text(
                f"{tree.get('kind')} 类规则集不对单个订单作出决定，其用例无法运行",
                f"a rule set of kind {tree.get('kind')!r} does not decide over one order: its cases "
                "cannot run",
            )
        )
    try:
        ruleset = compile_ruleset(tree, rules_shown)
    except DefinitionError:  # the checks and the compiler agree; kept to be sure
        return []
    return check_cases(cases, ruleset, declared_rules(tree))
