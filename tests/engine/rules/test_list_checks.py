"""A rule file's in_list(...) names checked against the lists it declares (engine/rules/list_checks.py),
in_list's first argument a list's name written as text (engine/rules/expr.py), and the lists and facts
a case gives (engine/rules/testing.py): a list or fact not given is an error, never False or 0."""

from __future__ import annotations

from typing import Any

import pytest

from engine.common.list_keys import LOOKUPS
from engine.rules.expr import ExpressionEvaluationError, check, compile_expression
from engine.rules.kinds import check_ruleset, compile_ruleset
from engine.rules.list_checks import named_lists_in
from engine.rules.testing import Case, GivenLookups, run_case


def audit(when: str, lists: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": 1,
        "ruleset": "watch",
        "kind": "audit",
        "title": {"zh": "关注", "en": "Watch"},
        "outcomes": ["approve", "hold"],
        "default": "approve",
        "rules": [
            {"name": "listed", "when": when, "outcome": "hold", "reason": {"zh": "名单", "en": "listed"}}
        ],
    }
    if lists is not None:
        doc["lists"] = lists
    return doc


MOBILES = {"blocked-mobiles": {"kind": "mobile", "label": {"zh": "黑名单", "en": "Blocked"}}}


def test_a_list_named_but_not_declared_is_an_error_at_the_condition() -> None:
    assert check_ruleset(audit("in_list('blocked-mobiles', order.mobile)", MOBILES)) == []
    [problem] = check_ruleset(audit("in_list('blocked-mobile', order.mobile)", MOBILES))
    assert problem.code == "undeclared-list" and problem.json_path == "$.rules[0].when"
    assert problem.suggestion == "blocked-mobiles"
    assert "names the list 'blocked-mobile', which this file's lists: does not declare" in problem.message
    assert "未在本文件的 lists: 中声明" in problem.message_in("zh")
    [none] = check_ruleset(audit("order.total > 1 and in_list('vip', order.mobile)"))
    assert none.code == "undeclared-list" and none.suggestion is None


def test_a_declared_list_has_a_kind_a_list_holds_and_a_name_a_rule_can_write() -> None:
    bad = {"Blocked Mobiles": {"kind": "phone", "label": {"zh": "x", "en": "x"}}}
    problems = check_ruleset(audit("order.total > 1", bad))
    assert problems and all(
        p.code in ("schema", "bad-value", "schema-name") or p.json_path.startswith("$.lists")
        for p in problems
    )


def test_in_lists_first_argument_is_a_lists_name_written_as_text() -> None:
    assert check("in_list('blocked-mobiles', order.customer.mobile)") == []
    for text in ("in_list(order.list, order.mobile)", "in_list('Blocked Mobiles', order.mobile)"):
        [error] = check(text)
        assert "first argument must be a list's name written as text" in error.message
    [arity] = check("in_list('vip')")
    assert "takes 2 argument(s), 1 given" in arity.message
    assert named_lists_in("in_list('a', order.x) or in_list('b-2', order.y)") == ["a", "b-2"]
    assert named_lists_in("in_list(") == []


def test_a_fact_takes_days_from_one_to_3650() -> None:
    env = {LOOKUPS: GivenLookups({}, {"orders_in_days": 3, "owed": 10})}
    assert compile_expression("orders_in_days(7) >= 3 and owed() == 10")(env) is True
    with pytest.raises(ExpressionEvaluationError, match="a number of days from 1 to 3650"):
        compile_expression("orders_in_days(0) > 1")(env)
    with pytest.raises(ExpressionEvaluationError, match="reads the database"):
        compile_expression("owed() > 1")({})


def test_a_case_that_does_not_give_a_list_or_a_fact_its_rules_read_fails_saying_which() -> None:
    ruleset = compile_ruleset(audit("in_list('blocked-mobiles', order.mobile) or owed() > 100", MOBILES))
    given = Case(
        "given",
        {
            "order": {"mobile": "+86 138 0000 0000"},
            LOOKUPS: GivenLookups(
                {"blocked-mobiles": {"kind": "mobile", "values": ["13800000000"]}}, {"owed": 0}
            ),
        },
        {"outcome": "hold"},
    )
    assert run_case(ruleset, given).passed
    no_fact = Case(
        "no-fact",
        {"order": {"mobile": "139"}, LOOKUPS: GivenLookups({"blocked-mobiles": []}, {})},
        {"outcome": "approve"},
    )
    result = run_case(ruleset, no_fact)
    assert not result.passed
    assert result.error is not None and "the case gives no number for the fact owed()" in result.error
