"""engine/dsl/schema_words.py: a JSON Schema error in the words people read, in Chinese and English, at
the line and column of what it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.dsl.loader import load_yaml
from engine.dsl.overlay import Located
from engine.dsl.schema_words import schema_problems
from engine.errors import Problem

CJK = re.compile("[\u4e00-\u9fff]")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

WORKFLOW = """\
schema_version: 1
workflow: retail
department: retail
title: {zh: 零售, en: Retail}
initial: new
channels: [web, fax]
states:
  new: {label: 新订单}
  Shipped: {}
  done: {final: yes please}
transitions:
  - {trigger: pay, source: 7, dest: done, dset: done}
  - {trigger: ship, source: new, dest: done, roles: [clerk, clerk], after: 30 minutes}
"""


def _problems(text: str, file: str = "retail.yaml") -> list[Problem]:
    tree, marks, problems = load_yaml(text, file)
    assert problems == []
    return schema_problems(tree, Located.single(tree, file, marks))


def _words(problems: list[Problem]) -> dict[str, tuple[str, str]]:
    return {p.json_path: (p.message_in("zh"), p.message) for p in problems}


def test_schema_problems_read_in_chinese_and_in_english() -> None:
    words = _words(_problems(WORKFLOW))
    assert words["$.channels[1]"] == (
        "'channels' 的每一项应为以下之一：web, app, phone, email，实际为 'fax'",
        "each entry of 'channels' must be one of web, app, phone, email (got 'fax')",
    )
    assert words["$.states.Shipped"] == (
        "'Shipped' 不是此处可用的名称：请使用由小写字母、数字和 '_' 组成并以字母开头的名称",
        "'Shipped' is not a valid name here: use a name of lower-case letters, digits and '_', starting "
        "with a letter",
    )
    assert words["$.states.new.label"] == (
        "'label' 应为映射（键: 值），实际为 '新订单'",
        "'label' must be a mapping (key: value) (got '新订单')",
    )
    assert words["$.states.done.final"] == (
        "'final' 应为 true 或 false，实际为 'yes please'",
        "'final' must be true or false (got 'yes please')",
    )
    assert words["$.transitions[0].source"] == (
        "'source' 应为一个状态、状态列表或 '*'，实际为 7",
        "'source' must be a state, a list of states, or '*' (got 7)",
    )
    assert words["$.transitions[0].dset"] == (  # 'dest' is there: 'set' is the nearer key it lacks
        "流转中有未知的键 'dset'；您是否想输入 'set'？",
        "unknown key 'dset' in transition; did you mean 'set'?",
    )
    assert words["$.transitions[1].roles"] == ("'roles' 中有重复的项", "'roles' lists the same item twice")


def test_a_hint_and_missing_keys_read_in_chinese() -> None:
    problems = _problems(WORKFLOW)
    [unknown] = [p for p in problems if p.json_path == "$.transitions[0].dset"]
    keys = "trigger, source, dest, roles, form, when, rules, actions, set, auto, interrupts, when_label, "
    keys += "refusal, shows, "
    keys += "label, description"
    assert (unknown.hint_in("zh"), unknown.hint) == (f"可用的键：{keys}", f"allowed keys: {keys}")
    [missing] = set(_problems("schema_version: 1\nworkflow: retail\n"))  # one per key jsonschema misses
    assert (missing.message_in("zh"), missing.message) == (
        "工作流缺少键 'department'、'title'、'initial'、'states'、'transitions'",
        "missing keys 'department', 'title', 'initial', 'states', 'transitions' in workflow",
    )
    text = "schema_version: 1\nworkflow: r\ndepartment: r\ntitle: {zh: 甲}\ninitial: a\nstates: {a: {}}\n"
    [one] = _problems(text + "transitions: []\n")
    assert (one.message_in("zh"), one.message) == (
        "文本（zh/en）缺少键 'en'",
        "missing key 'en' in text (zh/en)",
    )


def _schema_problems(fixture: Path) -> list[Problem]:
    tree, marks, _ = load_yaml(fixture.read_bytes(), fixture.name)
    return [] if tree is None else schema_problems(tree, Located.single(tree, fixture.name, marks))


# the invalid fixtures whose shape the workflow schema refuses (the others are refused by other checks)
SHAPES = [f for f in sorted((FIXTURES / "invalid").glob("*.yaml")) if _schema_problems(f)]


def test_the_invalid_fixtures_refused_for_their_shape_are_many() -> None:
    assert len(SHAPES) >= 5


@pytest.mark.parametrize("fixture", SHAPES, ids=lambda p: p.name)
def test_every_schema_problem_of_every_invalid_fixture_has_its_chinese(fixture: Path) -> None:
    for problem in _schema_problems(fixture):
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en, problem.words
        if problem.hint_words is not None:
            assert CJK.search(problem.hint_words.zh) and problem.hint_words.zh != problem.hint_words.en
