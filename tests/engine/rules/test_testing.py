"""Scenario cases for rule sets: reading cases files, running them, coverage, and replaying a draft."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from engine.dsl.loader import DEFAULT_MAX_BYTES
from engine.dsl.validate import validate_file
from engine.errors import EngineError
from engine.rules.checks import check_rules_file
from engine.rules.kinds import compile_ruleset
from engine.rules.ruleset import Decision
from engine.rules.testing import (
    CasesFile,
    Mismatch,
    ReplayOrder,
    cases_at,
    check_cases,
    coverage,
    declared_rules,
    load_cases,
    load_cases_file,
    parse_moment,
    read_input,
    replay,
    run_cases,
    show_value,
)
from tests.problem_words import assert_bilingual

REPO = Path(__file__).resolve().parents[3]
SHIPPED = [
    "rules/retail/audit.yaml",
    "rules/retail/flash-sale-audit.yaml",
    "rules/retail/routing.yaml",
    "rules/wholesale/credit.yaml",
    "rules/after-sales/eligibility.yaml",
]

AUDIT: dict[str, Any] = {
    "schema_version": 1,
    "ruleset": "shop-audit",
    "kind": "audit",
    "title": {"zh": "门店订单审核", "en": "Shop order audit"},
    "outcomes": ["approve", "hold", "reject"],
    "default": "approve",
    "rules": [
        {"name": "large-amount", "when": "order.total > 5000", "outcome": "hold", "queue": "risk-review"},
        {"name": "blacklisted", "when": "order.mobile == '13800000000'", "outcome": "reject"},
        {"name": "underpaid", "when": "order.paid < order.total", "outcome": "hold", "queue": "risk-review"},
    ],
}


def audit(**changes: Any) -> Any:
    doc = copy.deepcopy(AUDIT)
    doc.update(changes)
    return compile_ruleset(doc, "rules/shop/audit.yaml")


def cases(text: str) -> CasesFile:
    read = load_cases(text, "rules/shop/audit.cases.yaml")
    assert read.problems == (), [p.format() for p in read.problems]
    return read


def problems_of(text: str) -> list[str]:
    return [p.format() for p in load_cases(text, "c.cases.yaml").problems]


# --- the shipped cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("rule_file", SHIPPED)
def test_shipped_cases_pass_and_exercise_every_rule(rule_file: str) -> None:
    doc, problems = check_rules_file(REPO / rule_file, rule_file)
    assert doc is not None and problems == []
    ruleset = compile_ruleset(doc, rule_file)
    cases_file = rule_file.replace(".yaml", ".cases.yaml")
    read = load_cases_file(REPO / cases_file, cases_file)
    assert read.problems == () and read.ruleset == ruleset.name
    assert check_cases(read, ruleset, declared_rules(doc)) == []
    results = run_cases(ruleset, read.cases)
    assert [r.describe() for r in results if not r.passed] == []
    covered = coverage(results, declared_rules(doc))
    assert covered.rules == tuple(declared_rules(doc))
    assert covered.complete, covered.describe()


@pytest.mark.parametrize("rule_file", SHIPPED)
def test_validate_checks_a_cases_file_as_cases_not_as_a_workflow(rule_file: str) -> None:
    path = REPO / rule_file.replace(".yaml", ".cases.yaml")
    assert validate_file(path, REPO) == []


def test_validate_reports_the_problems_of_a_cases_file(tmp_path: Path) -> None:
    path = tmp_path / "rules" / "a.cases.yaml"
    path.parent.mkdir()
    path.write_text("cases:\n  - name: x\n    input: {}\n    expect: {outcom: hold}\n", encoding="utf-8")
    assert [p.format() for p in validate_file(path, tmp_path)] == [
        "rules/a.cases.yaml:4:14: error: unknown key 'outcom' in a case's expect; did you mean 'outcome'?"
        " [at $.cases[0].expect.outcom] (hint: allowed keys: outcome, queue, rules, outputs)"
    ]


# --- running cases ---------------------------------------------------------------------------------

PASSING = """\
cases:
  - name: small
    input: {order: {total: 300, paid: 300, mobile: '13912345678'}}
    expect: {outcome: approve, queue: null, rules: []}
  - name: big
    input: {order: {total: 6200, paid: 6200}}
    expect: {outcome: hold, queue: risk-review, rules: [large-amount]}
"""


def test_passing_cases_say_pass() -> None:
    results = run_cases(audit(), cases(PASSING).cases)
    assert [r.describe() for r in results] == ["PASS small", "PASS big"]
    assert all(r.passed for r in results)


def test_a_failing_case_names_what_differs_and_the_rules_that_spoke() -> None:
    text = """\
cases:
  - name: blacklisted-and-big
    input: {order: {total: 6200, paid: 6200, mobile: '13800000000'}}
    expect: {outcome: hold, queue: risk-review}
  - name: nothing-speaks
    input: {order: {total: 300, paid: 300}}
    expect: {outcome: hold}
"""
    first, second = run_cases(audit(), cases(text).cases)
    assert not first.passed
    assert first.describe() == (
        "FAIL blacklisted-and-big: expected outcome hold, got reject; expected queue risk-review, got none"
        " (rules that spoke: large-amount, blacklisted)"
    )
    assert (
        second.describe()
        == "FAIL nothing-speaks: expected outcome hold, got approve (rules that spoke: none)"
    )


def test_only_the_expected_keys_are_checked() -> None:
    text = """\
cases:
  - name: outcome-only
    input: {order: {total: 6200, paid: 0}}
    expect: {outcome: hold}
  - name: rules-only-any-order
    input: {order: {total: 6200, paid: 0}}
    expect: {rules: [underpaid, large-amount]}
"""
    assert all(r.passed for r in run_cases(audit(), cases(text).cases))


def test_a_rule_speaking_that_was_not_expected_fails_the_rules_key() -> None:
    text = """\
cases:
  - name: big
    input: {order: {total: 6200, paid: 100}}
    expect: {rules: [large-amount]}
"""
    (result,) = run_cases(audit(), cases(text).cases)
    assert result.describe() == (
        "FAIL big: expected rules [large-amount], got [large-amount, underpaid]"
        " (rules that spoke: large-amount, underpaid)"
    )


def test_a_rule_that_cannot_be_evaluated_spoke_and_says_why() -> None:
    text = """\
cases:
  - name: text-total
    input: {order: {total: 'lots', paid: 1}}
    expect: {outcome: approve}
"""
    (result,) = run_cases(audit(), cases(text).cases)
    assert result.spoke == ("large-amount", "underpaid")
    assert result.describe().startswith(
        "FAIL text-total: expected outcome approve, got hold (rules that spoke: large-amount (cannot"
        " evaluate "
    )
    zh = result.describe("zh")
    assert (
        "large-amount（无法求值 'order.total > 5000'：" in zh and "cannot" not in zh
    )  # the reason in Chinese


def test_now_is_read_as_a_moment() -> None:
    doc = copy.deepcopy(AUDIT)
    doc["rules"] = [{"name": "stale", "when": "days_since(order.paid_at) > 7", "outcome": "hold"}]
    text = """\
cases:
  - name: fresh
    input: {now: '2026-11-30T10:00:00+08:00', order: {paid_at: '2026-11-28T10:00:00+08:00'}}
    expect: {outcome: approve}
  - name: stale
    input: {now: '2026-11-30T10:00:00+08:00', order: {paid_at: '2026-11-20T09:59:59+08:00'}}
    expect: {outcome: hold, rules: [stale]}
"""
    results = run_cases(compile_ruleset(doc), cases(text).cases)
    assert [r.describe() for r in results] == ["PASS fresh", "PASS stale"]


@dataclass
class _Routed:
    """A rule set with outputs, as routing and decision tables give: tests the runner's comparison only."""

    name: str = "routing"
    kind: str = "routing"
    version: str = "v"
    file: str = "<routing>"
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        trace = [{"rule": "hangzhou", "matched": True}, {"rule": "chengdu", "matched": False}]
        return Decision(self.name, "routed", None, [], trace, self.version, "routing", outputs=self.outputs)


def test_outputs_compare_only_the_keys_given_and_numbers_by_value() -> None:
    ruleset = _Routed(outputs={"warehouse": "hangzhou", "carrier": "sf", "fee": 12.0})
    text = """\
cases:
  - name: warehouse-only
    input: {order: {}, stock: {HZ-TEA: 5}}
    expect: {outputs: {warehouse: hangzhou, fee: 12}}
  - name: wrong-carrier
    input: {order: {}}
    expect: {outcome: routed, outputs: {carrier: zto}}
"""
    results = run_cases(ruleset, cases(text).cases)
    assert [r.describe() for r in results] == [
        "PASS warehouse-only",
        "FAIL wrong-carrier: expected outputs.carrier zto, got sf (rules that spoke: hangzhou)",
    ]


# --- coverage --------------------------------------------------------------------------------------


def test_coverage_names_rules_never_matched_and_never_seen_not_matching() -> None:
    text = """\
cases:
  - name: big-unpaid
    input: {order: {total: 6200, paid: 0}}
    expect: {outcome: hold}
  - name: big-paid
    input: {order: {total: 7000, paid: 7000}}
    expect: {outcome: hold}
"""
    results = run_cases(audit(), cases(text).cases)
    covered = coverage(results, declared_rules(AUDIT))
    assert covered.rules == ("large-amount", "blacklisted", "underpaid")
    assert covered.never_matched == ("blacklisted",)
    assert covered.never_unmatched == ("large-amount",)
    assert covered.unexercised == ("large-amount", "blacklisted")
    assert covered.describe() == (
        "not exercised: large-amount (never seen not matching), blacklisted (never matched)"
    )


def test_an_unevaluated_rule_counts_neither_way() -> None:
    text = """\
cases:
  - name: broken
    input: {order: {total: 'lots', paid: 1}}
    expect: {outcome: hold}
"""
    covered = coverage(run_cases(audit(), cases(text).cases), declared_rules(AUDIT))
    assert covered.describe() == (
        "not exercised: large-amount (never evaluated), blacklisted (never matched),"
        " underpaid (never evaluated)"
    )


BLACKLISTED_UNPAID = """\
  - name: blacklisted-unpaid
    input: {order: {total: 10, paid: 0, mobile: '13800000000'}}
    expect: {outcome: reject, rules: [blacklisted, underpaid]}
"""


def test_full_coverage_says_so() -> None:
    text = PASSING + BLACKLISTED_UNPAID
    covered = coverage(run_cases(audit(), cases(text).cases), declared_rules(AUDIT))
    assert covered.complete
    assert covered.describe() == "coverage: all 3 rules seen matching and not matching"


# --- bad cases files -------------------------------------------------------------------------------

BAD = [
    pytest.param(
        "cases:\n  - name: a\n    input: {order: {total: 1}\n",
        [
            "c.cases.yaml:4:1: error: YAML syntax error: expected ',' or '}', but found the end of the file"
            " (while reading the keys in braces {...})"
        ],
        id="yaml-syntax",
    ),
    pytest.param(
        "- name: a\n",
        ["c.cases.yaml:1:1: error: a cases file must be a mapping with a 'cases' list"],
        id="not-a-mapping",
    ),
    pytest.param(
        "case:\n  - name: a\n",
        [
            "c.cases.yaml:1:1: error: unknown key 'case' in a cases file; did you mean 'cases'? [at $.case]"
            " (hint: allowed keys: schema_version, ruleset, lists, cases)",
            "c.cases.yaml:1:1: error: a cases file needs a 'cases' list"
            " (hint: cases: [{name: ..., input: {order: {...}}, expect: {outcome: ...}}])",
        ],
        id="misspelled-cases",
    ),
    pytest.param(
        "cases: []\n",
        ["c.cases.yaml:1:8: error: 'cases' must be a non-empty list of cases [at $.cases]"],
        id="empty",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input: {order: {total: 1}}\n    expected: {outcome: hold}\n",
        [
            "c.cases.yaml:4:5: error: unknown key 'expected' in a case; did you mean 'expect'?"
            " [at $.cases[0].expected] (hint: allowed keys: name, description, input, expect)",
            "c.cases.yaml:2:5: error: a case needs 'expect' [at $.cases[0]]",
        ],
        id="misspelled-expect",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input: {ordr: {total: 1}}\n    expect: {outcome: hold}\n",
        [
            "c.cases.yaml:3:13: error: unknown key 'ordr' in a case's input; did you mean 'order'?"
            " [at $.cases[0].input.ordr] (hint: allowed keys: actor, children, customer, data, event, item,"
            " now, order, record, records, stock, lists, facts)"
        ],
        id="unknown-input",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input:\n      order: 5\n      now: yesterday\n"
        "    expect: {outcome: hold}\n",
        [
            "c.cases.yaml:4:14: error: input 'order' must be a mapping [at $.cases[0].input.order]",
            "c.cases.yaml:5:12: error: input 'now' must be an ISO-8601 time with an offset, not 'yesterday'"
            " [at $.cases[0].input.now] (hint: now: '2026-11-30T10:00:00+08:00')",
        ],
        id="input-types",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input: {}\n    expect: {outcome: [hold], rules: large-amount}\n",
        [
            "c.cases.yaml:4:23: error: 'outcome' must be text [at $.cases[0].expect.outcome]",
            "c.cases.yaml:4:38: error: 'rules' must be a list of rule names [at $.cases[0].expect.rules]",
        ],
        id="expect-types",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input: {}\n    expect: {}\n",
        [
            "c.cases.yaml:4:13: error: 'expect' must be a mapping of what to check: outcome, queue, rules,"
            " outputs [at $.cases[0].expect]"
        ],
        id="expect-empty",
    ),
    pytest.param(
        "cases:\n  - name: a\n    input: {}\n    expect: {outcome: hold}\n"
        "  - name: a\n    input: {}\n    expect: {outcome: reject}\n",
        [
            "c.cases.yaml:5:11: error: case 'a' is defined twice (first as case 1) [at $.cases[1].name]"
            " (hint: give every case its own name; results name cases)"
        ],
        id="duplicate-name",
    ),
    pytest.param(
        "cases:\n  - name: a\n    name: b\n    input: {}\n    expect: {outcome: hold}\n",
        [
            "c.cases.yaml:3:5: error: duplicate key 'name' (first at line 2) [at $.cases[0].name]"
            " (hint: each key may appear once in a mapping; remove or rename one of them)"
        ],
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_bad_cases_files_say_what_and_where(text: str, expected: list[str]) -> None:
    assert problems_of(text) == expected


def test_a_bad_file_gives_no_cases_at_all() -> None:
    read = load_cases("cases:\n  - name: ok\n    input: {}\n    expect: {outcome: hold}\n  - 5\n", "c")
    assert read.cases == () and len(read.problems) == 1


def test_cases_naming_rules_outcomes_or_a_rule_set_that_are_not_there() -> None:
    text = """\
ruleset: retail-audit
cases:
  - name: a
    input: {order: {total: 6200}}
    expect: {outcome: held, rules: [large-amount, under-paid]}
"""
    read = cases(text)
    found = [p.format() for p in check_cases(read, audit(), declared_rules(AUDIT))]
    assert found == [
        "rules/shop/audit.cases.yaml:1:10: error: these cases are for rule set 'retail-audit', not"
        " 'shop-audit' [at $.ruleset] (hint: test the rule file the cases were written for, or correct"
        " 'ruleset:')",
        "rules/shop/audit.cases.yaml:5:51: error: unknown rule 'under-paid' in rule set 'shop-audit'; did"
        " you mean 'underpaid'? [at $.cases[0].expect.rules[1]] (hint: rules of this rule set:"
        " large-amount, blacklisted, underpaid)",
        "rules/shop/audit.cases.yaml:5:23: error: unknown outcome 'held'; did you mean 'hold'?"
        " [at $.cases[0].expect.outcome] (hint: outcomes of this rule set: approve, hold, reject)",
    ]


def test_an_unreadable_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    read = load_cases_file(tmp_path / "missing.cases.yaml", "missing.cases.yaml")
    assert [p.format() for p in read.problems] == [
        "missing.cases.yaml:0:0: error: cannot read the file: No such file or directory"
    ]


# --- replay ----------------------------------------------------------------------------------------


def test_replay_counts_outcome_pairs_and_lists_the_orders_that_change() -> None:
    published = audit()
    rules = copy.deepcopy(AUDIT["rules"])
    rules[0]["when"] = "order.total > 10000"
    draft = audit(rules=rules)
    totals = {1: 300, 2: 6200, 3: 12000, 4: 8000}
    orders = [
        ReplayOrder(oid, "retail", "retail-order", 1, {"order": {"total": t, "paid": t}}, published)
        for oid, t in sorted(totals.items(), reverse=True)
    ]
    report = replay(draft, orders)
    assert report.orders == 4
    assert dict(report.counts) == {("hold", "approve"): 2, ("hold", "hold"): 1, ("approve", "approve"): 1}
    assert [c.order_id for c in report.changes] == [4, 2]
    doc = report.to_dict()
    assert doc["changed"][0] == {
        "order_id": 4,
        "department": "retail",
        "workflow": "retail-order v1",
        "old": {
            "version": published.version,
            "outcome": "hold",
            "queue": "risk-review",
            "rules": ["large-amount"],
        },
        "new": {"version": draft.version, "outcome": "approve", "queue": None, "rules": []},
    }
    assert doc["counts"][0] == {"published": "approve", "draft": "approve", "orders": 1}


# --- data written as a case's input (the studio's rule console) ------------------------------------


def test_data_written_as_a_cases_input_reads_from_json_or_yaml() -> None:
    from_yaml, problems = read_input("order: {total: 6000}\nnow: '2026-11-30T10:00:00+08:00'\n")
    assert problems == [] and from_yaml is not None
    assert from_yaml["order"] == {"total": 6000}
    assert from_yaml["now"].isoformat() == "2026-11-30T10:00:00+08:00"
    from_json, problems = read_input('{"order": {"total": 6000}, "stock": {"A": {"SH-01": 2}}}')
    assert problems == [] and from_json == {"order": {"total": 6000}, "stock": {"A": {"SH-01": 2}}}


def test_data_that_is_no_cases_input_is_refused_with_every_problem_at_its_line() -> None:
    names, problems = read_input("ordr: {total: 1}\ndata: []\nnow: soon\n", "pasted")
    assert names is None
    assert [(p.file, p.line, p.column, p.code) for p in problems] == [
        ("pasted", 1, 1, "unknown-key"),
        ("pasted", 2, 7, "schema"),
        ("pasted", 3, 6, "schema"),
    ]
    assert problems[0].suggestion == "order"
    # YAML's surprises are refused as in every definition: no aliases, no tags
    names, problems = read_input("order: &a {total: 1}\ndata: *a\n")
    assert names is None and [p.code for p in problems] == ["yaml-alias"]


# --- in Chinese and English ------------------------------------------------------------------------

# What the YAML loader finds is worded by the loader; the rest by the cases reader.
LOADER_CODES = ("yaml-syntax", "duplicate-key")


@pytest.mark.parametrize(("text", "expected"), BAD)
def test_every_problem_of_a_bad_cases_file_is_said_in_both_languages(text: str, expected: list[str]) -> None:
    problems = load_cases(text, "c.cases.yaml").problems
    assert [p.format() for p in problems] == expected  # the English as it was
    ours = [p for p in problems if p.code not in LOADER_CODES]
    assert ours or {p.code for p in problems} <= set(LOADER_CODES)
    for problem in ours:
        assert_bilingual(problem)


def zh_problems_of(text: str) -> list[str]:
    return [p.format("zh") for p in load_cases(text, "c.cases.yaml").problems]


def test_the_problems_of_a_cases_file_read_in_chinese() -> None:
    assert zh_problems_of("- name: a\n") == ["c.cases.yaml:1:1: 错误: 用例文件必须是含有 'cases' 列表的映射"]
    assert zh_problems_of("case:\n  - name: a\n") == [
        "c.cases.yaml:1:1: 错误: 用例文件中有未知的键 'case'；您是否想输入 'cases'？ [位于 $.case]"
        "（提示：可用的键：schema_version、ruleset、lists、cases）",
        "c.cases.yaml:1:1: 错误: 用例文件需要 'cases' 列表"
        "（提示：例如：cases: [{name: ..., input: {order: {...}}, expect: {outcome: ...}}]）",
    ]
    assert zh_problems_of(
        "cases:\n  - name: a\n    input: {ordr: {total: 1}}\n    expect: {outcome: hold}\n"
    ) == [
        "c.cases.yaml:3:13: 错误: 用例的 input 中有未知的键 'ordr'；您是否想输入 'order'？"
        " [位于 $.cases[0].input.ordr]"
        "（提示：可用的键：actor、children、customer、data、event、item、now、order、record、records、stock、lists、facts）"
    ]
    assert zh_problems_of(
        "cases:\n  - name: a\n    input:\n      order: 5\n      now: yesterday\n    expect: {outcome: hold}\n"
    ) == [
        "c.cases.yaml:4:14: 错误: 输入 'order' 必须是映射 [位于 $.cases[0].input.order]",
        "c.cases.yaml:5:12: 错误: 输入 'now' 必须是带时区偏移的 ISO-8601 时间，而不是 'yesterday'"
        " [位于 $.cases[0].input.now]（提示：例如：now: '2026-11-30T10:00:00+08:00'）",
    ]
    assert zh_problems_of("cases:\n  - name: a\n    input: 5\n    expect: {outcome: hold}\n") == [
        "c.cases.yaml:3:12: 错误: 'input' 必须是名称的映射（order、data、now……） [位于 $.cases[0].input]"
        "（提示：order: {total: 5000, lines: [...]}（订单的字段写在 'order' 下））"
    ]
    assert zh_problems_of(
        "cases:\n  - name: a\n    input: {}\n    expect: {outcome: hold}\n"
        "  - name: a\n    input: {}\n    expect: {outcome: reject}\n"
    ) == [
        "c.cases.yaml:5:11: 错误: 用例 'a' 定义了两次（第一次是第 1 个用例） [位于 $.cases[1].name]"
        "（提示：每个用例都要有自己的名称：运行结果按名称指明用例）"
    ]


def test_cases_naming_what_the_rule_set_lacks_read_in_chinese() -> None:
    text = """\
ruleset: retail-audit
cases:
  - name: a
    input: {order: {total: 6200}}
    expect: {outcome: held, rules: [large-amount, under-paid]}
"""
    found = check_cases(cases(text), audit(), declared_rules(AUDIT))
    assert [p.message_in("zh") for p in found] == [
        "这些用例是为规则集 'retail-audit' 写的，不是 'shop-audit'",
        "规则集 'shop-audit' 中没有规则 'under-paid'；您是否想输入 'underpaid'？",
        "未知的结果 'held'；您是否想输入 'hold'？",
    ]
    assert [p.hint_in("zh") for p in found] == [
        "请用这些用例测试它们所针对的规则文件，或改正 'ruleset:'",
        "此规则集的规则：large-amount、blacklisted、underpaid",
        "此规则集的结果：approve、hold、reject",
    ]


def test_a_file_that_cannot_be_read_or_is_too_large_is_said_in_both_languages(tmp_path: Path) -> None:
    (missing,) = load_cases_file(tmp_path / "missing.cases.yaml", "missing.cases.yaml").problems
    assert missing.message_in("zh") == "无法读取文件：文件不存在"
    large = tmp_path / "large.cases.yaml"
    large.write_bytes(b"#" * (DEFAULT_MAX_BYTES + 1))
    (too_large,) = load_cases_file(large, "large.cases.yaml").problems
    assert too_large.code == "too-large"
    assert too_large.message == f"the file is {DEFAULT_MAX_BYTES + 1} bytes; the limit is {DEFAULT_MAX_BYTES}"
    assert (
        too_large.message_in("zh")
        == f"文件大小为 {DEFAULT_MAX_BYTES + 1} 字节，超出上限 {DEFAULT_MAX_BYTES} 字节"
    )


def test_data_that_is_no_cases_input_is_refused_in_both_languages() -> None:
    _, problems = read_input("ordr: {total: 1}\ndata: []\nnow: soon\n", "pasted")
    assert [p.message_in("zh") for p in problems] == [
        "数据中有未知的键 'ordr'；您是否想输入 'order'？",
        "输入 'data' 必须是映射",
        "输入 'now' 必须是带时区偏移的 ISO-8601 时间，而不是 'soon'",
    ]
    assert problems[0].message == "unknown key 'ordr' in the data; did you mean 'order'?"
    (listed,) = read_input("- 1\n", "pasted")[1]
    assert listed.message_in("zh") == "数据必须是名称的映射（order、data、now……）"
    assert listed.message == "the data must be a mapping of names (order, data, now, …)"
    (empty,) = read_input("  \n", "pasted")[1]
    assert (empty.message_in("zh"), empty.message) == ("没有数据", "there is no data")
    (large,) = read_input("x" * 20, "pasted", max_bytes=10)[1]
    assert large.message_in("zh") == "数据有 20 字节，超过上限 10 字节"
    assert large.message == "the data is 20 bytes; the limit is 10"
    for problem in [*problems, listed, empty, large]:
        assert_bilingual(problem)


def test_what_a_case_run_reports_reads_in_chinese() -> None:
    text = """\
cases:
  - name: small
    input: {order: {total: 300, paid: 300}}
    expect: {outcome: approve}
  - name: blacklisted-and-big
    input: {order: {total: 6200, paid: 6200, mobile: '13800000000'}}
    expect: {outcome: hold, queue: risk-review}
  - name: nothing-speaks
    input: {order: {total: 300, paid: 300}}
    expect: {outcome: hold, rules: [large-amount]}
"""
    results = run_cases(audit(), cases(text).cases)
    assert [r.describe("zh") for r in results] == [
        "通过 small",
        "失败 blacklisted-and-big：期望 outcome 为 hold，实际为 reject；期望 queue 为 risk-review，实际为 无"
        "（命中的规则：large-amount、blacklisted）",
        "失败 nothing-speaks：期望 outcome 为 hold，实际为 approve；期望 rules 为 [large-amount]，实际为 []"
        "（命中的规则：无）",
    ]
    assert results[1].describe() == (
        "FAIL blacklisted-and-big: expected outcome hold, got reject; expected queue risk-review, got none"
        " (rules that spoke: large-amount, blacklisted)"
    )
    covered = coverage(results, declared_rules(AUDIT))
    assert covered.describe("zh") == "未覆盖：underpaid（从未成立）"
    assert coverage(results[1:2], declared_rules(AUDIT)).describe("zh") == (
        "未覆盖：large-amount（从未见到不成立）、blacklisted（从未见到不成立）、underpaid（从未成立）"
    )
    broken = run_cases(
        audit(),
        cases("cases:\n  - {name: b, input: {order: {total: x, paid: 1}}, expect: {outcome: hold}}\n").cases,
    )
    assert coverage(broken, declared_rules(AUDIT)).describe("zh") == (
        "未覆盖：large-amount（从未求值）、blacklisted（从未成立）、underpaid（从未求值）"
    )
    everything = coverage(
        run_cases(audit(), cases(PASSING + BLACKLISTED_UNPAID).cases), declared_rules(AUDIT)
    )
    assert everything.describe("zh") == "覆盖情况：全部 3 条规则都已见到成立和不成立"


@dataclass
class _Refusing:
    """A rule set that refuses to decide, as a kind does on data it cannot take."""

    name: str = "refusing"
    kind: str = "audit"
    version: str = "v"
    file: str = "<refusing>"

    def evaluate(self, env: Mapping[str, Any]) -> Decision:
        raise EngineError("the order has no lines", zh="订单没有明细")


def test_a_rule_set_that_cannot_decide_is_reported_in_both_languages() -> None:
    (result,) = run_cases(_Refusing(), cases(PASSING).cases[:1])
    assert not result.passed
    assert result.error == "the order has no lines"
    assert result.describe() == "FAIL small: the rule set could not decide: the order has no lines"
    assert result.describe("zh") == "失败 small：规则集未能作出决定：订单没有明细"


def test_a_number_is_shown_as_people_write_it() -> None:
    computed = 0.8 * 239  # 191.20000000000002 in binary floating point
    assert show_value(computed) == "191.2"
    assert show_value(0.1 + 0.2) == "0.3"
    assert show_value(239.0) == "239" and show_value(239) == "239" and show_value(-0.0) == "0"
    assert show_value([computed, None, "a"]) == "[191.2, none, a]"
    assert show_value(1e20) == "1e+20" and show_value(float("inf")) == "inf"
    assert show_value(12345678.91) == "12345678.91"


def test_a_mismatch_of_values_that_look_alike_is_shown_exactly() -> None:
    assert Mismatch("outputs.limit", 191.2, 0.8 * 239).describe() == (
        "expected outputs.limit 191.2, got 191.20000000000002"
    )
    assert Mismatch("outputs.limit", 190, 0.8 * 239).describe() == "expected outputs.limit 190, got 191.2"


# --- a moment to test at (`orderloom rules test --at`) -----------------------------------------------


def test_cases_at_gives_now_to_the_cases_without_one_and_keeps_the_others() -> None:
    read = load_cases(
        "cases:\n"
        "  - {name: a, input: {order: {}}, expect: {outcome: approve}}\n"
        "  - {name: b, input: {order: {}, now: '2026-01-01T00:00:00Z'}, expect: {outcome: approve}}\n"
    )
    moment = datetime(2026, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    first, second = cases_at(read.cases, moment)
    assert first.env["now"] == moment
    assert second.env["now"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert "now" not in read.cases[0].env  # the cases read stay as they were
    with pytest.raises(ValueError, match="offset"):
        cases_at(read.cases, datetime(2026, 5, 1, 10, 0))  # without its offset
    assert parse_moment("2026-05-01T10:00+08:00") == moment
    assert parse_moment("2026-05-01t02:00z") == datetime(2026, 5, 1, 2, 0, tzinfo=UTC)
    for text in ("2026-05-01T10:00", "tomorrow", "2026-02-30T10:00+08:00", ""):
        assert parse_moment(text) is None, text
