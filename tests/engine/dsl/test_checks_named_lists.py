"""A workflow's condition may name a managed list only when one of the rule files it names declares it
(engine/dsl/checks.py, ``check_named_lists``): checked as the studio checks a drafted text."""

from __future__ import annotations

from pathlib import Path

from engine.dsl.texts import check_text

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = "workflows/retail/order.yaml"


def _with_guard(when: str) -> str:
    text = (ROOT / WORKFLOW).read_text(encoding="utf-8")
    guard = "    when: data.amount <= order.total\n"
    assert guard in text
    return text.replace(guard, f'    when: "data.amount <= order.total and {when}"\n', 1)


def test_a_guard_may_name_a_list_its_audit_declares() -> None:
    assert (
        check_text(ROOT, WORKFLOW, _with_guard("not in_list('blocked-mobiles', order.customer.mobile)")) == []
    )


def test_a_guard_naming_a_list_no_rule_file_declares_is_an_error_at_its_line() -> None:
    text = _with_guard("not in_list('blocked-mobile', order.customer.mobile)")
    [found] = check_text(ROOT, WORKFLOW, text)
    assert found.problem.code == "undeclared-list" and found.fix == "blocked-mobiles"
    assert "no rule file of this workflow declares under lists:" in found.problem.message
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "blocked-mobile'" in row)
    assert found.problem.line == line
