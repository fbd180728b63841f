"""The worked chapter docs/new-department.md stays true: the files it shows are the files of
docs/examples/samples/, every `orderloom` command it gives runs there as it says (validate, the rule
cases, the scenarios, then publishing, people, an order and the worker on a real database), and its
definitions have no problem. Its scenarios run with the shipped ones (tests/test_scenarios.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.api.definitions import validate_paths

REPO = Path(__file__).resolve().parent.parent
CHAPTER = REPO / "docs" / "new-department.md"
EXAMPLE = REPO / "docs" / "examples" / "samples"
BLOCK = re.compile(r"```(\w+)\n(.*?)```\n", re.DOTALL)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(CHAPTER.read_text(encoding="utf-8")) if lang == kind]


def test_the_files_the_chapter_shows_are_the_examples_files() -> None:
    shown = 0
    for body in blocks("yaml"):
        first, _, rest = body.partition("\n")
        assert first.startswith("# file: "), first
        assert rest == (EXAMPLE / first.removeprefix("# file: ")).read_text(encoding="utf-8"), first
        shown += 1
    assert shown == 4
    (decline,) = blocks("json")
    assert decline == (EXAMPLE / "forms" / "samples" / "decline.json").read_text(encoding="utf-8")


def commands() -> list[list[str]]:
    found: list[list[str]] = []
    for body in blocks("sh"):
        for line in body.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "orderloom":
                found.append(words[1:])
    return found


def test_every_command_of_the_chapter_runs_as_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(EXAMPLE)
    env = {
        "ORDERLOOM_DEFINITIONS": str(EXAMPLE),
        "ORDERLOOM_DATABASE_URL": f"sqlite:///{tmp_path / 'orderloom.db'}",
    }
    ran = []
    for args in commands():
        password = "samples-password-1\n" if "--password-stdin" in args else None
        result = CliRunner().invoke(main, args, env=env, input=password, catch_exceptions=False)
        assert result.exit_code == 0, f"orderloom {shlex.join(args)}\n{result.output}"
        ran.append(args[0])
    assert ran == [
        *("rules", "validate", "scenario", "db", "publish", "users", "users", "users"),
        *("orders", "orders", "orders", "worker"),
    ]
    shown = CliRunner().invoke(main, ["orders", "show", "1"], env=env).output
    assert '"state": "declined"' in shown and "本季度已寄过同款样品" in shown


def test_the_example_department_has_no_problem() -> None:
    problems = validate_paths(
        [EXAMPLE / "workflows", EXAMPLE / "forms", EXAMPLE / "rules", EXAMPLE / "scenarios"], EXAMPLE
    )
    assert [problem.format() for problem in problems] == []
