"""The check of a rule file on disk: read with its marks, checked by its kind (``engine.rules.kinds``),
every problem placed at its line and column."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.common.text import Text
from engine.dsl.loader import Marks, load_file
from engine.errors import Problem
from engine.rules.kinds import check_ruleset

__all__ = ["check_rules_file", "read_rules_file"]


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
