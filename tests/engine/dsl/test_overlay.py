"""engine/dsl/overlay.py: an overlay's problems (a state or transition it names that the base lacks or
already has, a state still in use) are placed in the overlay and worded in Chinese and English."""

from __future__ import annotations

import re

from engine.dsl.loader import load_yaml
from engine.dsl.overlay import Located, apply_overlay
from engine.errors import Problem

CJK = re.compile("[\u4e00-\u9fff]")

BASE = """\
workflow: base
initial: new
states:
  new: {}
  paid: {}
  done: {final: true}
transitions:
  - {trigger: pay, source: new, dest: paid}
  - {trigger: finish, source: paid, dest: done}
"""

OVERLAY = """\
extends: base
workflow: tailored
replace:
  states:
    payd: {}
  transitions:
    - {trigger: ship, source: paid, dest: done}
add:
  states:
    paid: {}
remove:
  states: [new, paid, packing]
  transitions:
    - {trigger: finsh, source: paid}
"""


def _problems() -> list[Problem]:
    base_tree, base_marks, _ = load_yaml(BASE, "base.yaml")
    tree, marks, _ = load_yaml(OVERLAY, "tailored.yaml")
    _, problems = apply_overlay(
        Located.single(base_tree, "base.yaml", base_marks), Located.single(tree, "tailored.yaml", marks)
    )
    return problems


def test_each_problem_of_an_overlay_reads_in_chinese_and_in_english() -> None:
    problems = _problems()
    assert [(p.line, p.code, p.message_in("zh"), p.message) for p in problems] == [
        (
            5,
            "overlay-unknown-state",
            "无法替换状态 'payd'：基础工作流中没有这个状态；您是否想输入 'paid'？",
            "cannot replace state 'payd': the base workflow has no such state; did you mean 'paid'?",
        ),
        (
            10,
            "overlay-duplicate-state",
            "无法新增状态 'paid'：基础工作流中已有这个状态",
            "cannot add state 'paid': the base workflow already has it",
        ),
        (
            7,
            "overlay-unknown-transition",
            "无法替换触发为 'ship'、来源为 paid 的流转：基础工作流中没有这个流转",
            "cannot replace the transition on trigger 'ship' from paid: the base workflow has none",
        ),
        (
            14,
            "overlay-unknown-transition",
            "无法移除触发为 'finsh'、来源为 paid 的流转：基础工作流中没有这个流转；您是否想输入 'finish'？",
            "cannot remove the transition on trigger 'finsh' from paid: the base workflow has none; "
            "did you mean 'finish'?",
        ),
        (
            12,
            "overlay-state-in-use",
            "无法移除状态 'new'：它是初始状态",
            "cannot remove state 'new': it is the initial state",
        ),
        (
            12,
            "overlay-state-in-use",
            "无法移除状态 'paid'：触发为 'pay'、来源为 new 的流转仍在使用它",
            "cannot remove state 'paid': the transition on trigger 'pay' from new still uses it",
        ),
        (
            12,
            "overlay-unknown-state",
            "无法移除状态 'packing'：基础工作流中没有这个状态",
            "cannot remove state 'packing': the base workflow has no such state",
        ),
    ]
    hints = {p.code: (p.hint_in("zh"), p.hint) for p in problems if p.hint_words is not None}
    assert hints["overlay-state-in-use"] == (
        "请同时移除或替换使用它的流转",
        "remove or replace the transitions that use it too",
    )
    assert hints["overlay-unknown-transition"] == (
        "流转由它的触发和来源状态确定，须与基础工作流中的写法完全一致",
        "a transition is named by its trigger and its source exactly as written in the base",
    )


def test_every_problem_and_hint_of_an_overlay_has_its_chinese() -> None:
    for problem in _problems():
        assert problem.file == "tailored.yaml"
        assert CJK.search(problem.words.zh) and problem.words.zh != problem.words.en
        if problem.hint_words is not None:
            assert CJK.search(problem.hint_words.zh) and problem.hint_words.zh != problem.hint_words.en
