"""Rule files: checks as data, audit verdicts by severity, traces, and a rule that cannot be evaluated."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.errors import DefinitionError
from engine.rules.kinds import check_ruleset, compile_ruleset
from engine.rules.ruleset import SCHEMA_PATH, Decision, _json_copy, _jsonable, content_hash
from tests.problem_words import assert_bilingual

RETAIL_AUDIT: dict[str, Any] = {
    "schema_version": 1,
    "ruleset": "retail-audit",
    "kind": "audit",
    "title": {"zh": "零售订单审核", "en": "Retail order audit"},
    "outcomes": ["approve", "hold", "reject"],
    "default": "approve",
    "rules": [
        {
            "name": "large-amount",
            "when": "order.total > 5000",
            "outcome": "hold",
            "queue": "risk-review",
            "reason": {"zh": "金额超过5000元", "en": "Amount over 5000 CNY"},
        },
        {
            "name": "blocked-customer",
            "when": "customer.blocked",
            "outcome": "reject",
            "reason": {"zh": "客户已被封禁", "en": "Customer is blocked"},
        },
        {
            "name": "new-address",
            "when": "order.address.new and order.total > 1000",
            "outcome": "hold",
            "queue": "address-check",
        },
    ],
}


def retail() -> dict[str, Any]:
    return copy.deepcopy(RETAIL_AUDIT)


def test_schema_is_valid_2020_12_and_accepts_the_example() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(RETAIL_AUDIT)) == []
    assert check_ruleset(RETAIL_AUDIT, "rules/retail-audit.yaml") == []


def test_no_rule_speaks_gives_the_default() -> None:
    decision = compile_ruleset(RETAIL_AUDIT).evaluate({"order": {"total": 100}, "customer": {}})
    assert (decision.outcome, decision.queue, decision.reasons) == ("approve", None, [])
    assert [entry["matched"] for entry in decision.trace] == [False, False, False]
    assert decision.ruleset == "retail-audit"


def test_matching_rule_decides_with_its_reason_queue_and_compared_values() -> None:
    decision = compile_ruleset(RETAIL_AUDIT).evaluate({"order": {"total": 6200}, "customer": {}})
    assert decision.outcome == "hold"
    assert decision.queue == "risk-review"
    assert decision.reasons == [
        {"rule": "large-amount", "outcome": "hold", "zh": "金额超过5000元", "en": "Amount over 5000 CNY"}
    ]
    first = decision.trace[0]
    assert first["rule"] == "large-amount"
    assert first["matched"] is True
    assert first["values"] == {"order.total": 6200}
    assert decision.version == content_hash(RETAIL_AUDIT) and len(decision.version) == 16


def test_most_severe_outcome_wins_and_only_its_rules_are_reasons() -> None:
    env = {"order": {"total": 6200, "address": {"new": True}}, "customer": {"blocked": True}}
    decision = compile_ruleset(RETAIL_AUDIT).evaluate(env)
    assert decision.outcome == "reject"
    assert decision.queue is None
    assert [reason["rule"] for reason in decision.reasons] == ["blocked-customer"]
    assert [entry["matched"] for entry in decision.trace] == [True, True, True]


def test_several_rules_of_the_winning_outcome_all_give_reasons_first_queue_wins() -> None:
    env = {"order": {"total": 6200, "address": {"new": True}}, "customer": {}}
    decision = compile_ruleset(RETAIL_AUDIT).evaluate(env)
    assert decision.outcome == "hold"
    assert [reason["rule"] for reason in decision.reasons] == ["large-amount", "new-address"]
    assert decision.reasons[1] == {
        "rule": "new-address",
        "outcome": "hold",
        "zh": "规则 new-address",
        "en": "rule new-address",
    }
    assert decision.queue == "risk-review"


def test_severity_follows_the_order_of_outcomes() -> None:
    doc = retail()
    doc["outcomes"] = ["reject", "hold", "approve"]  # here approve is the most severe
    doc["rules"].append({"name": "trusted", "when": "customer.trusted", "outcome": "approve"})
    env = {"order": {"total": 6200}, "customer": {"trusted": True, "blocked": True}}
    assert compile_ruleset(doc).evaluate(env).outcome == "approve"


def test_a_matching_rule_less_severe_than_the_default_still_decides() -> None:
    doc = retail()
    doc["default"] = "hold"
    doc["rules"] = [{"name": "small", "when": "order.total < 100", "outcome": "approve"}]
    ruleset = compile_ruleset(doc)
    assert ruleset.evaluate({"order": {"total": 50}}).outcome == "approve"
    assert ruleset.evaluate({"order": {"total": 500}}).outcome == "hold"


def test_a_rule_that_cannot_be_evaluated_holds_the_order_and_never_crashes() -> None:
    doc = retail()
    doc["rules"].insert(0, {"name": "ratio", "when": "order.paid / order.total > 0.5", "outcome": "approve"})
    decision = compile_ruleset(doc).evaluate({"order": {"paid": 10, "total": 0}, "customer": {}})
    assert decision.outcome == "hold"
    assert decision.reasons == [
        {"rule": "ratio", "outcome": "hold", "zh": "规则无法求值", "en": "rule could not be evaluated"}
    ]
    entry = decision.trace[0]
    assert entry["matched"] is False
    assert entry["outcome"] == "hold"
    assert "division by zero" in entry["error"]
    assert "order.paid / order.total > 0.5" in entry["error"]


def test_an_unevaluable_rule_does_not_soften_a_reject() -> None:
    doc = retail()
    doc["rules"].append({"name": "broken", "when": "order.channel > 1", "outcome": "approve"})
    env = {"order": {"total": 1, "channel": "web"}, "customer": {"blocked": True}}
    decision = compile_ruleset(doc).evaluate(env)
    assert decision.outcome == "reject"
    assert "error" in decision.trace[-1]


def test_decision_to_dict_is_json_ready() -> None:
    doc = retail()
    doc["rules"].append({"name": "old", "when": "date(order.placed) < now", "outcome": "hold"})
    env = {"order": {"total": 6200, "placed": "2024-01-01"}, "now": datetime(2024, 5, 1, tzinfo=UTC)}
    decision = compile_ruleset(doc).evaluate(env)
    data = decision.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["schema_version"] == 1
    assert data["outcome"] == "hold"
    assert data["trace"][-1]["values"] == {
        "date(order.placed)": "2024-01-01T00:00:00+00:00",
        "now": "2024-05-01T00:00:00+00:00",
    }
    assert data["version"] == decision.version and data["kind"] == "audit"
    assert isinstance(decision, Decision)


def test_a_kind_whose_shape_is_missing_is_refused_with_its_place() -> None:
    doc = retail()
    doc["kind"] = "decision_table"
    assert ("$", "schema") in [(p.json_path, p.code) for p in check_ruleset(doc)]


def test_equal_content_is_one_version_and_a_change_is_another() -> None:
    reordered = dict(reversed(list(RETAIL_AUDIT.items())))
    assert content_hash(reordered) == content_hash(RETAIL_AUDIT)
    changed = retail()
    changed["rules"][0]["when"] = "order.total > 6000"
    assert content_hash(changed) != content_hash(RETAIL_AUDIT)
    assert compile_ruleset(changed).version == content_hash(changed)
    assert compile_ruleset(retail()) is compile_ruleset(retail())  # compiled (and registered) once


# ---------------------------------------------------------------------------------------------------
# Problems as data
# ---------------------------------------------------------------------------------------------------


def paths_and_kinds(doc: Any) -> list[tuple[str, str]]:
    return [(problem.json_path, problem.code) for problem in check_ruleset(doc, "rules/x.yaml")]


def test_bad_expression_is_a_problem_at_its_json_path() -> None:
    doc = retail()
    doc["rules"][1]["when"] = "customer.blocked and __import__('os')"
    problems = check_ruleset(doc, "rules/x.yaml")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.json_path == "$.rules[1].when"
    assert problem.code == "expression"
    assert problem.file == "rules/x.yaml"
    assert "column 22" in problem.message
    assert "'__import__' is not allowed" in problem.message
    with pytest.raises(DefinitionError) as caught:
        compile_ruleset(doc, "rules/x.yaml")
    assert caught.value.problems == (problem,)


def test_every_problem_is_reported_at_once() -> None:
    doc = retail()
    doc["default"] = "aprove"
    doc["rules"][0]["outcome"] = "hodl"
    doc["rules"][1]["when"] = "lenn(order.lines) > 0"
    doc["rules"][2]["name"] = "large-amount"
    problems = check_ruleset(doc, "rules/x.yaml")
    assert [(p.json_path, p.code) for p in problems] == [
        ("$.default", "unknown-outcome"),
        ("$.rules[0].outcome", "unknown-outcome"),
        ("$.rules[1].when", "expression"),
        ("$.rules[2].name", "duplicate-rule"),
    ]
    assert "did you mean 'approve'?" in problems[0].message
    assert "did you mean 'hold'?" in problems[1].message
    assert "did you mean 'len'?" in problems[2].message
    assert "first as rule 1" in problems[3].message


def test_misspelled_keys_are_caught_with_a_suggestion() -> None:
    doc = retail()
    doc["rules"][0]["wehn"] = doc["rules"][0].pop("when")
    doc["titel"] = doc.pop("title")
    problems = check_ruleset(doc, "rules/x.yaml")
    by_path = {p.json_path: p for p in problems}
    assert "did you mean 'when'?" in by_path["$.rules[0].wehn"].message
    assert by_path["$.rules[0].wehn"].code == "unknown-key"
    assert "did you mean 'title'?" in by_path["$.titel"].message
    assert any("'when' is a required property" in p.message for p in problems)
    assert any("'title' is a required property" in p.message for p in problems)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(schema_version=2), "$.schema_version"),
        (lambda d: d.update(kind="scoring"), "$.kind"),
        (lambda d: d.update(outcomes=[]), "$.outcomes"),
        (lambda d: d.update(outcomes=["hold", "hold"]), "$.outcomes"),
        (lambda d: d.update(ruleset="Retail Audit"), "$.ruleset"),
        (lambda d: d["title"].pop("zh"), "$.title"),
        (lambda d: d["rules"][0].update(when=""), "$.rules[0].when"),
        (lambda d: d["rules"][0].update(when=5), "$.rules[0].when"),
        (lambda d: d["rules"][0].update(reason="too big"), "$.rules[0].reason"),
        (lambda d: d.update(rules={"a": 1}), "$.rules"),
        (lambda d: d["rules"].append("rule"), "$.rules[3]"),
    ],
)
def test_shape_problems(change: Any, path: str) -> None:
    doc = retail()
    change(doc)
    problems = check_ruleset(doc, "rules/x.yaml")
    assert path in [p.json_path for p in problems], [p.format() for p in problems]
    with pytest.raises(DefinitionError):
        compile_ruleset(doc)


def test_audit_needs_hold_among_its_outcomes() -> None:
    doc = retail()
    doc["outcomes"] = ["approve", "reject"]
    doc["rules"] = [r for r in doc["rules"] if r["outcome"] != "hold"]
    assert paths_and_kinds(doc) == [("$.outcomes", "missing-hold")]


@pytest.mark.parametrize("doc", [None, [], "text", 5, {}, {"rules": [None, 5, {"when": None}]}])
def test_check_never_raises_on_any_shape(doc: Any) -> None:
    problems = check_ruleset(doc, "rules/x.yaml")
    assert problems
    assert all(p.file == "rules/x.yaml" for p in problems)


def test_problems_format_for_editors() -> None:
    doc = retail()
    doc["default"] = "aprove"
    (problem,) = check_ruleset(doc, "rules/x.yaml")
    assert problem.format().startswith("rules/x.yaml:0:0: error: unknown outcome 'aprove'")


def slow_copy(decision: Decision) -> dict[str, Any]:
    """to_dict as it is for decisions not built JSON-ready: every value converted."""
    fields = {f: getattr(decision, f) for f in ("ruleset", "outcome", "queue", "reasons", "trace", "version")}
    return Decision(**fields, kind=decision.kind).to_dict()


@pytest.mark.parametrize(
    "order",
    [
        {"total": 6200, "address": {"new": True}},  # every value a scalar
        {"total": 100, "address": {"new": ["a", {"b": 1}]}},  # a list and a record shown as they are
        {"total": float("nan"), "address": None},  # shown as text
        {"total": "6200"},  # a rule that cannot be evaluated
    ],
)
def test_an_audit_decision_copies_its_trace_into_to_dict(order: dict[str, Any]) -> None:
    doc = retail()
    doc["rules"].append({"name": "listed", "when": "order.address.new != None", "outcome": "hold"})
    decision = compile_ruleset(doc).evaluate({"order": order, "customer": {"blocked": False}})
    data = decision.to_dict()
    assert data == slow_copy(decision)
    assert json.loads(json.dumps(data)) == data
    before = copy.deepcopy(decision.trace)
    for entry in data["trace"]:  # the copy shares nothing the decision holds
        entry["rule"] = "changed"
        for key, value in entry.get("values", {}).items():
            if isinstance(value, list):
                value.append("changed")
            entry["values"][key] = "changed"
    assert decision.trace == before


def test_the_audit_constructor_fills_every_field_as_the_dataclass_does() -> None:
    quick = Decision._audit("retail", "hold", "risk", [{"rule": "r"}], [{"rule": "r"}], "v1", True)
    assert quick == Decision("retail", "hold", "risk", [{"rule": "r"}], [{"rule": "r"}], "v1", _plain=True)
    assert vars(quick) == vars(
        Decision("retail", "hold", "risk", [{"rule": "r"}], [{"rule": "r"}], "v1", _plain=True)
    )


# Values a trace may hold: JSON data, and what the walk converts (dates, Decimal, sets, tuples, NaN,
# numbers past 64 bits, keys that are not text, subclasses of str and int).
class Code(str):
    pass


class Count(int):
    pass


TRACE_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["null", "上海", 'a"b', "\\u0000"]),
    st.datetimes(timezones=st.sampled_from([None, UTC])),
    st.dates(),
    st.decimals(allow_nan=False, places=2, min_value=-1000, max_value=1000),
    st.builds(Code, st.text(max_size=3)),
    st.builds(Count, st.integers(-5, 5)),
)
TRACE_VALUES = st.recursive(
    TRACE_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.frozensets(st.integers(0, 9), max_size=3),
        st.dictionaries(st.text(max_size=4), inner, max_size=4),
        st.dictionaries(st.integers(0, 3), inner, max_size=2),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(TRACE_VALUES)
def test_the_json_copy_equals_the_walk_and_shares_nothing(value: Any) -> None:
    copied = _json_copy(value)
    assert json.dumps(copied) == json.dumps(_jsonable(value))  # 1, 1.0 and True told apart, key order kept
    assert json.loads(json.dumps(copied)) == copied
    if isinstance(value, dict | list) and value:
        assert copied is not value


# ---------------------------------------------------------------------------------------------------
# Problems in Chinese and English
# ---------------------------------------------------------------------------------------------------

# The codes this module words itself (an expression's problem is the expression language's, the shape's
# the schema message's).
AUDIT_CODES = {"unknown-key", "unknown-outcome", "missing-hold", "duplicate-rule"}


def test_the_problems_of_an_audit_file_are_said_in_chinese_with_the_english_unchanged() -> None:
    doc = retail()
    doc["default"] = "aprove"
    doc["rules"][2]["name"] = "large-amount"
    doc["rules"][0]["wehn"] = doc["rules"][0]["when"]
    by_code = {p.code: p for p in check_ruleset(doc, "rules/x.yaml")}
    unknown = by_code["unknown-outcome"]
    assert unknown.message_in("zh") == "未知的结果 'aprove'；您是否想输入 'approve'？"
    assert unknown.hint_in("zh") == "此文件的结果：approve、hold、reject"
    assert unknown.message == "unknown outcome 'aprove'; did you mean 'approve'?"
    assert unknown.hint == "outcomes of this file: approve, hold, reject"
    twice = by_code["duplicate-rule"]
    assert twice.message_in("zh") == "规则 'large-amount' 定义了两次（第一次是第 1 条规则）"
    assert twice.message == "rule 'large-amount' is defined twice (first as rule 1)"
    key = by_code["unknown-key"]
    assert key.message_in("zh") == "未知的键 'wehn'；您是否想输入 'when'？"
    assert key.hint_in("zh") == "可用的键：name、when、outcome、queue、reason"
    assert key.format("zh") == (
        "rules/x.yaml:0:0: 错误: 未知的键 'wehn'；您是否想输入 'when'？ [位于 $.rules[0].wehn]"
        "（提示：可用的键：name、when、outcome、queue、reason）"
    )

    doc = retail()
    doc["outcomes"] = ["approve", "reject"]
    doc["rules"] = [r for r in doc["rules"] if r["outcome"] != "hold"]
    (hold,) = check_ruleset(doc, "rules/x.yaml")
    assert hold.message_in("zh") == "审核规则集的结果中必须有 'hold'"
    assert hold.hint_in("zh") == "无法求值的规则会把订单挂起待审"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(default="aprove"),
        lambda d: d["rules"][0].update(outcome="hodl"),
        lambda d: d["rules"][2].update(name="large-amount"),
        lambda d: d.update(titel=d.pop("title")),
        lambda d: d["rules"][0].update(wehn=d["rules"][0].pop("when")),
        lambda d: d.update(outcomes=["approve", "reject"], default="approve", rules=[]),
        lambda d: d.update(ruleset="Retail Audit"),
    ],
)
def test_every_problem_an_audit_check_words_is_said_in_both_languages(change: Any) -> None:
    doc = retail()
    change(doc)
    problems = check_ruleset(doc, "rules/x.yaml")
    ours = [p for p in problems if p.code in AUDIT_CODES]
    hinted = [p for p in problems if p.code == "schema" and p.hint_words is not None]  # a name's pattern
    assert ours or hinted, [p.format() for p in problems]
    for problem in ours:
        assert_bilingual(problem)
    for problem in hinted:
        assert problem.hint_in("zh") == "名称只能由字母、数字、'-'、'_' 和 '.' 组成"
        assert problem.hint == "names use letters, digits, '-', '_' and '.'"


def test_an_audit_rule_set_decides_with_aggregates_over_lines_and_dates() -> None:
    doc = {
        "schema_version": 1,
        "ruleset": "lines-audit",
        "kind": "audit",
        "title": {"zh": "明细审核", "en": "Lines audit"},
        "outcomes": ["approve", "hold", "reject"],
        "default": "approve",
        "rules": [
            {
                "name": "bulk-of-one-sku",
                "when": "sum(l.qty for l in order.lines if l.sku == 'SKU-1') > 10",
                "outcome": "hold",
                "reason": {"zh": "单个商品数量过多", "en": "Too many of one item"},
            },
            {
                "name": "many-skus",
                "when": "len(distinct(pluck(order.lines, 'sku'))) >= 3",
                "outcome": "hold",
                "reason": {"zh": "商品种类过多", "en": "Too many kinds of items"},
            },
            {
                "name": "stale",
                "when": "now() - date(order.placed_at) > days(30)",
                "outcome": "reject",
                "reason": {"zh": "订单过旧", "en": "Order too old"},
            },
        ],
    }
    assert check_ruleset(doc, "rules/lines.yaml") == []
    compiled = compile_ruleset(doc, "rules/lines.yaml")
    now = datetime(2026, 12, 7, tzinfo=UTC)

    def decided(lines: list[dict[str, Any]], placed: str = "2026-12-01T00:00:00Z") -> str:
        return compiled.evaluate({"order": {"lines": lines, "placed_at": placed}, "now": now}).outcome

    assert decided([{"sku": "SKU-1", "qty": 6}, {"sku": "SKU-2", "qty": 9}]) == "approve"
    assert decided([{"sku": "SKU-1", "qty": 6}, {"sku": "SKU-1", "qty": 5}]) == "hold"
    assert decided([{"sku": s, "qty": 1} for s in ("A", "B", "C", "A")]) == "hold"
    assert decided([], "2026-10-01T00:00:00Z") == "reject"
    decision = compiled.evaluate({"order": {"lines": [], "placed_at": "2026-10-01T00:00:00Z"}, "now": now})
    stored = json.loads(json.dumps(decision.to_dict()))  # what the audit event keeps, durations included
    assert stored["outcome"] == "reject"
