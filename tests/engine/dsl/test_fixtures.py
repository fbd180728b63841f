"""Every fixture under tests/fixtures: valid ones have no problem, invalid ones exactly the expected ones.

An invalid fixture starts with its expectations, one per line, in the order they are reported::

    # expect: 16:41: unknown state 'shiped' in dest; did you mean 'shipped'?
    # expect: rules/retail/broken.yaml:6:10: ...      (a problem reported in another file)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.dsl.validate import validate_file
from engine.errors import Problem

from .support import ACTION_NAMES, ACTION_WRITES, FIXTURES, INVALID, VALID, fixture_workflows

EXPECT = b"# expect: "


def expectations(path: Path) -> list[str]:
    found = []
    for line in path.read_bytes().splitlines():
        if not line.startswith(EXPECT):
            break
        found.append(line[len(EXPECT) :].decode("utf-8"))
    return found


def shown(problem: Problem, fixture: str) -> str:
    where = f"{problem.line}:{problem.column}"
    return (
        f"{where}: {problem.message}"
        if problem.file == fixture
        else f"{problem.file}:{where}: {problem.message}"
    )


def problems_of(path: Path) -> list[Problem]:
    return validate_file(
        path,
        FIXTURES,
        action_names=ACTION_NAMES,
        workflows=fixture_workflows(),
        action_writes=ACTION_WRITES,
    )


@pytest.mark.parametrize("path", sorted(VALID.glob("*.yaml")), ids=lambda p: p.name)
def test_valid_fixture_has_no_problem(path: Path) -> None:
    assert [p.format() for p in problems_of(path)] == []


@pytest.mark.parametrize("path", sorted(INVALID.glob("*.yaml")), ids=lambda p: p.name)
def test_invalid_fixture_reports_exactly_its_expected_problems(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect:' line"
    problems = problems_of(path)
    assert [shown(p, f"invalid/{path.name}") for p in problems] == expected
    for problem in problems:
        assert problem.severity == "error"
        assert problem.code
        assert problem.json_path.startswith("$")


# The codes of the problems the workflow checks (engine/dsl/checks.py) word themselves, in the workflow
# file they check: the schema's, the loader's, the overlays' and the conditions' have their own tests.
WORKFLOW_CHECK_CODES = frozenset(
    {
        *("unknown-state", "final-parallel", "final-timers", "region-no-final", "unknown-role"),
        *("missing-file", "bad-form", "bad-rules", "unsupported-rules-kind", "bad-condition"),
        *("reserved-trigger", "refusal-without-when", "from-final", "unknown-action", "region-scope"),
        *("dest-without-rules", "unmapped-outcome", "unknown-outcome", "ambiguous-trigger"),
        *("interrupts-nothing", "join-never", "after-join", "trigger-forms", "owned-field"),
        *("unreachable", "dead-end", "timer-trigger", "timer-join", "duplicate-workflow", "empty-file"),
        *("unknown-workflow", "extends-cycle", "bad-base", "unknown-record-kind"),
    }
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_problem_the_workflow_checks_find_in_a_fixture_is_worded_in_chinese() -> None:
    seen = set()
    for path in sorted(INVALID.glob("*.yaml")):
        for problem in problems_of(path):
            if problem.code not in WORKFLOW_CHECK_CODES or problem.file != f"invalid/{path.name}":
                continue
            seen.add(problem.code)
            where = f"{path.name}: {problem.message}"
            assert CJK.search(problem.words.zh), where
            assert problem.words.zh != problem.words.en, where
            assert CJK.search(problem.message_in("zh")), where
            # a condition's hint is the expression checks' own (engine.rules.expr)
            if problem.hint_words is not None and problem.code != "bad-condition":
                assert CJK.search(problem.hint_words.zh), where
                assert problem.hint_words.zh != problem.hint_words.en, where
                assert problem.hint_in("zh") == problem.hint_words.zh
    assert len(seen) >= 25, sorted(seen)


def test_every_problem_code_of_the_language_has_a_fixture() -> None:
    codes = {p.code for path in INVALID.glob("*.yaml") for p in problems_of(path)}
    assert {
        "unknown-state",
        "unreachable",
        "dead-end",
        "ambiguous-trigger",
        "unknown-role",
        "missing-file",
        "bad-form",
        "bad-rules",
        "unknown-action",
        "timer-trigger",
        "bad-condition",
        "dest-without-rules",
        "unmapped-outcome",
        "unknown-outcome",
        "unknown-workflow",
        "overlay-state-in-use",
        "yaml-syntax",
        "yaml-alias",
        "wrong-type",
        "duplicate-key",
        "encoding",
        "unknown-key",
        "missing-key",
        "empty-file",
        "refusal-without-when",
        "bad-value",
        "region-scope",
        "region-no-final",
        "from-final",
        "join-never",
        "unknown-field",
        "type-mismatch",
        "reserved-trigger",
        "trigger-forms",
        "owned-field",
    } <= codes


def test_an_oversize_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"schema_version: 1\n" + b"# padding\n" * 110_000)
    problems = validate_file(path, tmp_path)
    assert [(p.code, p.line, p.column) for p in problems] == [("too-large", 1, 1)]
    assert "the limit is 1000000" in problems[0].message
