"""Check definition files of every kind, and folders of them: every problem found in one run.

A small dispatcher over the checks that sit beside what they check: workflows and overlays
(``engine.dsl.checks``), forms and their UI files (``engine.forms.checks``), rule files
(``engine.rules.checks``) and their scenario cases (``engine.rules.testing``). ``validate_file`` and
``validate_paths`` return ``Problem`` lists (file, line, column, JSON path, message, hint).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from engine.common.text import Text
from engine.dsl.checks import YAML_SUFFIXES, check_workflow, discover_with_problems
from engine.dsl.loader import load_file, shown_path
from engine.dsl.scenario import check_scenario, is_scenario, load_scenario_file, scenario_root
from engine.errors import Problem, sorted_problems
from engine.forms.checks import check_form_file, check_ui_file, option_source_names
from engine.forms.ui import UI_SUFFIX
from engine.rules.checks import check_rules_file
from engine.rules.testing import CASES_SUFFIX, load_cases_file

__all__ = ["validate_file", "validate_paths"]


def validate_file(
    path: Path,
    root: Path,
    *,
    action_names: Collection[str] | None = None,
    workflows: Mapping[str, Path] | None = None,
    action_writes: Mapping[str, Collection[str]] | None = None,
    option_sources: Collection[str] | None = None,
) -> list[Problem]:
    """Every problem in one file: a workflow or overlay, a rule file (``ruleset:``), a form (``.json``), a
    form's UI file (``.ui.json``; ``option_sources`` are the registered names, by default those of the
    entry points), the cases of a rule file (``*.cases.yaml``), or a scenario file (``scenario:``, or a
    file under ``scenarios/``: docs/scenarios.md)."""
    shown = shown_path(path, root)
    if path.name.endswith(UI_SUFFIX):
        return check_ui_file(path, shown, option_sources)
    if path.suffix == ".json":
        return check_form_file(path, shown)[1]
    if path.name.endswith(CASES_SUFFIX):  # scenario cases of a rule file (``orderloom rules test``)
        return list(load_cases_file(path, shown).problems)
    tree, _, problems = load_file(path, shown, "yaml")
    # a rule file by its key, or by its folder when it has no ``workflow:`` (a misspelled ``ruleset:``
    # is then one problem of a rule file, not a workflow missing all its keys)
    ruled = "ruleset" in tree or _RULES_FOLDER.search(shown) is not None if isinstance(tree, dict) else False
    if isinstance(tree, dict) and ruled and "workflow" not in tree:
        return sorted_problems(check_rules_file(path, shown)[1])
    if problems:
        return problems
    if is_scenario(tree, shown):  # a scenario file (``orderloom scenario run``)
        return _scenario_problems(path, shown, root, action_names)
    checked = check_workflow(
        path, root, action_names=action_names, workflows=workflows, action_writes=action_writes
    )
    return sorted_problems([*checked.problems, *checked.warnings])


def _scenario_problems(
    path: Path, shown: str, root: Path, action_names: Collection[str] | None
) -> list[Problem]:
    """A scenario file's problems: its shape, then what it names that its definitions do not have."""
    read = load_scenario_file(path, shown)
    if read.scenario is None:
        return list(read.problems)
    names = None if action_names is None else sorted(action_names)
    scenario_problems, _ = check_scenario(
        read.scenario,
        scenario_root(read.scenario, path.resolve(), root),
        action_names=names,
        marks=read.marks,
    )
    return sorted_problems(scenario_problems)


_FORM_FOLDER = re.compile(r"(^|/)forms(/|$)")
_RULES_FOLDER = re.compile(r"(^|/)rules/")


def validate_paths(
    paths: Sequence[Path],
    root: Path,
    *,
    action_names: Collection[str] | None = None,
    action_writes: Mapping[str, Collection[str]] | None = None,
    option_sources: Collection[str] | None = None,
) -> list[Problem]:
    """Check files and folders (walked for *.yaml, *.yml, and *.json under forms/); all problems."""
    workflows, problems = discover_with_problems(root)
    if option_sources is None:
        option_sources = option_source_names()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                if not candidate.is_file():
                    continue
                if candidate.suffix in YAML_SUFFIXES or (
                    candidate.suffix == ".json" and _FORM_FOLDER.search(shown_path(candidate, root))
                ):
                    files.append(candidate)
        elif path.exists():
            files.append(path)
        else:
            missing = Text("没有这个文件或文件夹", "no such file or folder")
            problems.append(Problem(missing, str(path), 0, 0, "$", None, "io"))
    for file in dict.fromkeys(files):
        problems.extend(
            validate_file(
                file,
                root,
                action_names=action_names,
                workflows=workflows,
                action_writes=action_writes,
                option_sources=option_sources,
            )
        )
    return sorted_problems(problems)
