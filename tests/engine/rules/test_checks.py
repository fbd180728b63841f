"""engine/rules/checks.py: a rule file on disk, read with its marks and checked by its kind."""

from __future__ import annotations

from pathlib import Path

from engine.rules.checks import check_rules_file


def test_a_rule_file_that_is_no_mapping_is_said_in_both_languages_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    tree, problems = check_rules_file(path, "rules/x.yaml")
    assert tree is None
    (problem,) = problems
    assert (problem.file, problem.line, problem.column, problem.code) == ("rules/x.yaml", 1, 1, "rules")
    assert problem.message_in("zh") == "规则文件必须是映射"
    assert problem.message == "a rule file must be a mapping"


def test_the_problems_of_a_rule_file_are_placed_at_their_lines_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "audit.yaml"
    path.write_text(
        "schema_version: 1\nruleset: a\nkind: audit\ntitle: {zh: 审核, en: Audit}\n"
        "outcomes: [approve, hold]\ndefault: aprove\n"
        "rules:\n  - {name: big, when: order.total > 1, outcome: hold}\n",
        encoding="utf-8",
    )
    tree, problems = check_rules_file(path, "rules/audit.yaml")
    assert tree is None
    (problem,) = problems
    assert (problem.line, problem.code) == (6, "unknown-outcome")
    assert problem.format("zh") == (
        f"rules/audit.yaml:6:{problem.column}: 错误: 未知的结果 'aprove'；您是否想输入 'approve'？ "
        "[位于 $.default]（提示：此文件的结果：approve、hold）"
    )
