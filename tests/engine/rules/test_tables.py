"""Decision tables: cells, every hit policy, tables that cannot decide, static checks, shipped tables."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import DefinitionError, TransitionRejected
from engine.rules import tables
from engine.rules.kinds import check_ruleset, compile_ruleset
from engine.rules.tables import CellError, covers, overlaps, parse_cell

REPO = Path(__file__).resolve().parents[3]

TABLE: dict[str, Any] = {
    "schema_version": 1,
    "ruleset": "test-discount",
    "kind": "decision_table",
    "title": {"zh": "折扣", "en": "Discount"},
    "hit_policy": "first",
    "inputs": [
        {"name": "tier", "expr": "customer.tier"},
        {"name": "amount", "expr": "order.total"},
    ],
    "outputs": ["outcome", "rate"],
    "default": "none",
    "default_outputs": {"rate": 0},
    "rules": [
        {
            "name": "vip-large",
            "cells": {"tier": '"vip", "gold"', "amount": "> 5000"},
            "then": {"outcome": "discount", "rate": 0.1},
            "reason": {"zh": "大额贵宾", "en": "Large VIP order"},
        },
        {
            "name": "mid",
            "cells": {"tier": "-", "amount": "[1000..5000]"},
            "then": {"outcome": "discount", "rate": 0.05},
        },
        {"name": "vip", "cells": {"tier": '"vip"'}, "then": {"outcome": "small", "rate": 0.02}},
    ],
}


def table(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(TABLE)
    doc.update(changes)
    return doc


def env(tier: Any = None, total: Any = 0) -> dict[str, Any]:
    return {"customer": {"tier": tier}, "order": {"total": total}}


# --- cells -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "condition"),
    [
        ("-", None),
        ("", None),
        (None, None),
        ("> 5000", "order.total > 5000"),
        ("<= 2.5", "order.total <= 2.5"),
        ('= "vip"', "order.total == 'vip'"),
        ("!= 3", "order.total != 3"),
        ("[100..500]", "100 <= order.total <= 500"),
        ("(100..500)", "100 < order.total < 500"),
        ("[100..500)", "100 <= order.total < 500"),
        ('"vip", "gold"', "order.total in ['vip', 'gold']"),
        ("'门店'", "order.total == '门店'"),
        ("true", "order.total == True"),
        (5000, "order.total == 5000"),
        (False, "order.total == False"),
        ('not("vip", "gold")', "not (order.total in ['vip', 'gold'])"),
        ("not(> 5)", "not (order.total > 5)"),
    ],
)
def test_cells_become_conditions(cell: Any, condition: str | None) -> None:
    assert parse_cell(cell).condition("order.total") == condition


BAD_CELLS = [
    (">", "expected one value after '>', e.g. '> 5000'"),
    ("> 1 2", "expected one value after '>', e.g. '> 5000'"),
    ("[1..]", "write a range as [low..high]; '(' or ')' leaves that end out"),
    ("[5..1]", "the range is empty: 5 is above 1"),
    ('[1.."b"]', "both ends of a range are numbers, or both are quoted text"),
    ('"a" "b"', "expected ',' between values, found '\"b\"'"),
    ('"a",', "a value is missing after the last ','"),
    ("vip", "expected a number, quoted text, true or false, found 'vip'"),
    ("> 5 ; drop", "unexpected '; drop' at column 5"),
    ("not(-)", "not(-) matches nothing; write the values to exclude inside not(...)"),
    ("not 5", 'write a negation as not(...), e.g. not("vip", "gold")'),
    (["a"], "a cell is text, a number or true/false, not list"),
    ("not()", "empty test; write '-' for any value"),
    ("-, 1", "'-' stands alone: it matches any value"),
]


@pytest.mark.parametrize(("cell", "message"), BAD_CELLS)
def test_bad_cells_say_what_was_expected(cell: Any, message: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_cell(cell)
    assert str(caught.value) == message


def test_cover_and_overlap_of_literal_cells() -> None:
    assert covers(parse_cell("-"), parse_cell("> 5"))
    assert covers(parse_cell(">= 5"), parse_cell("[5..10]"))
    assert not covers(parse_cell("> 5"), parse_cell("[5..10]"))
    assert covers(parse_cell('"a", "b"'), parse_cell('"a"'))
    assert covers(parse_cell("[1..10]"), parse_cell("2, 3"))
    assert not covers(parse_cell("> 5"), parse_cell("-"))
    assert overlaps(parse_cell("[0..10)"), parse_cell("[10..20]")) is False
    assert overlaps(parse_cell("[0..10]"), parse_cell("[10..20]")) is True
    assert overlaps(parse_cell("< 0"), parse_cell("> 0")) is False
    assert overlaps(parse_cell('"a"'), parse_cell('"b", "a"')) is True
    assert overlaps(parse_cell("1"), parse_cell("true")) is False  # 1 and true are different values
    assert overlaps(parse_cell("5"), parse_cell("(5..6]")) is False
    assert overlaps(parse_cell('not("a")'), parse_cell('"b"')) is None  # not decided from the text


# --- hit policies ------------------------------------------------------------------------------------


def test_first_takes_the_first_matching_row_with_its_reason_and_trace() -> None:
    decision = compile_ruleset(table()).evaluate(env("vip", 6000))
    assert (decision.outcome, decision.kind, decision.hit_policy) == ("discount", "decision_table", "first")
    assert dict(decision.outputs) == {"outcome": "discount", "rate": 0.1}
    assert decision.reasons == [
        {"rule": "vip-large", "outcome": "discount", "zh": "大额贵宾", "en": "Large VIP order"}
    ]
    assert [(t["rule"], t["matched"]) for t in decision.trace] == [
        ("vip-large", True),
        ("mid", False),
        ("vip", True),
    ]
    assert decision.trace[0]["decided"] is True
    assert decision.trace[0]["values"] == {"customer.tier": "vip", "order.total": 6000}
    assert decision.trace[2]["outputs"] == {"outcome": "small", "rate": 0.02}
    assert decision.to_dict()["hit_policy"] == "first"


def test_first_falls_through_to_later_rows_and_to_the_default() -> None:
    ruleset = compile_ruleset(table())
    later = ruleset.evaluate(env("vip", 100))
    assert (later.outcome, later.outputs["rate"]) == ("small", 0.02)
    assert later.reasons == [{"rule": "vip", "outcome": "small", "zh": "命中行 vip", "en": "row vip matched"}]
    nothing = ruleset.evaluate(env("plain", 100))
    assert (nothing.outcome, dict(nothing.outputs), nothing.reasons) == (
        "none",
        {"outcome": "none", "rate": 0},
        [],
    )


def unique_table() -> dict[str, Any]:
    return table(
        ruleset="test-approval",
        hit_policy="unique",
        outputs=["outcome"],
        default_outputs=None,
        outcomes=["approve", "manager", "hold"],
        default="approve",
        rules=[
            {"name": "low", "cells": {"amount": "[0..1000)"}, "then": {"outcome": "approve"}},
            {"name": "high", "cells": {"amount": ">= 1000"}, "then": {"outcome": "manager"}},
            {"name": "flagged", "when": "order.flagged", "then": {"outcome": "manager"}},
        ],
    )


def test_unique_decides_when_one_row_matches() -> None:
    doc = unique_table()
    del doc["default_outputs"]
    decision = compile_ruleset(doc).evaluate(env(total=5000))
    assert (decision.outcome, decision.hit_policy) == ("manager", "unique")


def test_unique_with_two_matching_rows_holds_when_the_table_can_hold() -> None:
    doc = unique_table()
    del doc["default_outputs"]
    decision = compile_ruleset(doc).evaluate({"order": {"total": 5000, "flagged": True}})
    assert decision.outcome == "hold"
    assert decision.reasons == [
        {
            "rule": "high, flagged",
            "outcome": "hold",
            "zh": "唯一命中表：行 high、flagged 同时命中",
            "en": "unique table: rows 'high' and 'flagged' both matched",
        }
    ]
    assert [t["matched"] for t in decision.trace] == [False, True, True]


def test_unique_with_two_matching_rows_and_no_hold_refuses_with_the_reason() -> None:
    doc = unique_table()
    del doc["default_outputs"]
    doc["outcomes"] = ["approve", "manager"]
    with pytest.raises(TransitionRejected) as caught:
        compile_ruleset(doc).evaluate({"order": {"total": 5000, "flagged": True}})
    refusal = caught.value.refusals[0]
    assert refusal.code == "rules"
    assert refusal.en == "Discount: unique table: rows 'high' and 'flagged' both matched"
    assert refusal.zh == "折扣：唯一命中表：行 high、flagged 同时命中"
    assert refusal.details["rows"] == ["high", "flagged"]


def test_a_row_that_cannot_be_evaluated_before_the_winner_holds_and_after_it_does_not_count() -> None:
    doc = table(outcomes=["none", "small", "discount", "hold"])
    ruleset = compile_ruleset(doc)
    held = ruleset.evaluate(env("vip", "a lot"))  # 'a lot' > 5000 cannot be evaluated
    assert held.outcome == "hold"
    assert (
        held.reasons[0]["en"] == "rows 'vip-large', 'mid' could not be evaluated, so the table cannot decide"
    )
    assert "error" in held.trace[0] and held.trace[0]["matched"] is False
    doc["rules"].insert(
        0, {"name": "vip-first", "cells": {"tier": '"vip"'}, "then": {"outcome": "small", "rate": 0}}
    )
    assert compile_ruleset(doc).evaluate(env("vip", "a lot")).outcome == "small"


def priority_table(**changes: Any) -> dict[str, Any]:
    return table(
        hit_policy="priority",
        outputs=["outcome"],
        default_outputs=None,
        priorities=["reject", "hold", "approve"],
        default="approve",
        rules=[
            {"name": "any", "then": {"outcome": "approve"}},
            {"name": "big", "cells": {"amount": "> 100"}, "then": {"outcome": "hold"}},
            {"name": "huge", "cells": {"amount": "> 1000"}, "then": {"outcome": "reject"}},
        ],
        **changes,
    )


def test_priority_by_outcome_order_and_by_numbers() -> None:
    doc = priority_table()
    del doc["default_outputs"]
    ruleset = compile_ruleset(doc)
    assert [ruleset.evaluate(env(total=t)).outcome for t in (5, 500, 5000)] == ["approve", "hold", "reject"]
    numbered = copy.deepcopy(doc)
    del numbered["priorities"]
    for row, number in zip(numbered["rules"], (1, 30, 20), strict=True):
        row["priority"] = number
    assert compile_ruleset(numbered).evaluate(env(total=5000)).outcome == "hold"  # 30 beats 20
    decision = compile_ruleset(numbered).evaluate(env(total=5000))
    assert [t.get("decided", False) for t in decision.trace] == [False, True, False]


def collect_table(aggregation: dict[str, str] | None = None) -> dict[str, Any]:
    doc = table(
        hit_policy="collect",
        outputs=["outcome", "points"],
        outcomes=["ok", "watch", "hold"],
        default="ok",
        default_outputs=None,
        rules=[
            {"name": "new", "when": "customer.new", "then": {"outcome": "watch", "points": 10}},
            {
                "name": "big",
                "cells": {"amount": "> 1000"},
                "then": {"outcome": "hold", "points": 30},
                "queue": "risk",
            },
            {"name": "night", "when": "order.night", "then": {"outcome": "watch", "points": 5}},
        ],
    )
    del doc["default_outputs"]
    if aggregation:
        doc["aggregation"] = aggregation
    return doc


def test_collect_lists_every_matching_row_and_the_most_severe_outcome() -> None:
    decision = compile_ruleset(collect_table()).evaluate(
        {"customer": {"new": True}, "order": {"total": 2000, "night": False}}
    )
    assert decision.outcome == "hold"
    assert decision.queue == "risk"
    assert dict(decision.outputs) == {"outcome": ["watch", "hold"], "points": [10, 30]}
    assert [r["rule"] for r in decision.reasons] == ["new", "big"]


@pytest.mark.parametrize(("how", "value"), [("sum", 45), ("count", 3), ("min", 5), ("max", 30)])
def test_collect_aggregates(how: str, value: int) -> None:
    decision = compile_ruleset(collect_table({"points": how})).evaluate(
        {"customer": {"new": True}, "order": {"total": 2000, "night": True}}
    )
    assert decision.outputs["points"] == value


def test_collect_with_no_match_gives_the_default_and_empty_aggregates() -> None:
    decision = compile_ruleset(collect_table({"points": "sum"})).evaluate({"order": {"total": 1}})
    assert (decision.outcome, dict(decision.outputs)) == ("ok", {"outcome": [], "points": 0})


# --- checks ------------------------------------------------------------------------------------------


def problems_of(doc: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    return [(p.json_path, p.message, p.hint, p.severity) for p in check_ruleset(doc, "t.yaml")]


def test_unknown_output_and_input_with_a_near_miss() -> None:
    doc = table()
    doc["rules"][1]["then"]["rat"] = 0.3
    doc["rules"][2]["cells"]["teir"] = '"vip"'
    assert problems_of(doc) == [
        (
            "$.rules[1].then.rat",
            "unknown output 'rat' in row 'mid'; did you mean 'rate'?",
            "outputs of this table: outcome, rate",
            "error",
        ),
        (
            "$.rules[2].cells.teir",
            "unknown input 'teir'; did you mean 'tier'?",
            "inputs of this table: tier, amount",
            "error",
        ),
    ]


def test_cell_that_does_not_parse_is_reported_at_its_cell() -> None:
    doc = table()
    doc["rules"][0]["cells"]["amount"] = "> = 5"
    [(path, message, hint, _severity)] = problems_of(doc)
    assert path == "$.rules[0].cells.amount"
    assert (
        message
        == "cell '> = 5' of row 'vip-large' does not parse: expected one value after '>', e.g. '> 5000'"
    )
    assert hint is not None and hint.startswith("cells are '-', '> 5000'")
    with pytest.raises(DefinitionError):
        compile_ruleset(doc)


def test_unreachable_rows_of_a_first_table_are_warned_about() -> None:
    doc = table()
    doc["rules"].append(
        {
            "name": "gold-large",
            "cells": {"tier": '"gold"', "amount": "> 9000"},
            "then": {"outcome": "x", "rate": 1},
        }
    )
    doc["rules"].insert(0, {"name": "all", "then": {"outcome": "none", "rate": 0}})
    found = problems_of(doc)
    assert found[0] == (
        "$.rules[1]",
        "row 'vip-large' can never be reached: row 'all' (row 1) matches everything it matches "
        "and comes first",
        "move row 'vip-large' above row 'all', narrow row 'all', or remove row 'vip-large'",
        "warning",
    )
    assert len(found) == 4  # every later row is hidden behind 'all'
    del doc["rules"][0]
    assert problems_of(doc) == [
        (
            "$.rules[3]",
            "row 'gold-large' can never be reached: row 'vip-large' (row 1) matches everything it matches "
            "and comes first",
            "move row 'gold-large' above row 'vip-large', narrow row 'vip-large', or remove row 'gold-large'",
            "warning",
        )
    ]
    compile_ruleset(doc)  # a warning does not stop the table


OVERLAP_HINT = (
    "make their cells exclusive (e.g. [0..1000) and [1000..5000)), or use hit_policy: first or priority"
)


def test_overlapping_rows_of_a_unique_table_are_errors() -> None:
    doc = unique_table()
    del doc["default_outputs"]
    assert problems_of(doc) == []  # 'flagged' has its own condition: not decidable, not reported
    doc["rules"][1]["cells"]["amount"] = "[999..2000]"
    doc["rules"].append(
        {"name": "vip", "cells": {"tier": '"vip"', "amount": "5"}, "then": {"outcome": "approve"}}
    )
    assert problems_of(doc) == [
        (
            "$.rules[1].cells",
            "rows 'low' and 'high' of a unique table can both match",
            OVERLAP_HINT,
            "error",
        ),
        (
            "$.rules[3].cells",
            "rows 'low' and 'vip' of a unique table can both match",
            OVERLAP_HINT,
            "error",
        ),
    ]


def test_shape_and_policy_problems() -> None:
    doc = table(outputs=["rate"], aggregation={"rate": "sum"}, priorities=["a"])
    doc["rules"][0]["priority"] = 3
    doc["rules"][1]["when"] = "order.total >"
    found = {(path, message) for path, message, _hint, _severity in problems_of(doc)}
    assert ("$.outputs", "the outputs of a decision table must include 'outcome'") in found
    assert ("$.aggregation", "aggregation applies only to hit_policy: collect") in found
    assert ("$.priorities", "priorities apply only to hit_policy: priority") in found
    assert (
        "$.rules[0].priority",
        "row 'vip-large' has a priority but the table's hit policy is 'first'",
    ) in found
    assert any(path == "$.rules[1].when" and message.startswith("in condition") for path, message in found)


def test_priority_and_collect_specific_problems() -> None:
    doc = priority_table()
    del doc["default_outputs"]
    doc["rules"][0]["priority"] = 1
    doc["rules"][1]["then"]["outcome"] = "review"
    found = {(path, message) for path, message, _hint, _severity in problems_of(doc)}
    assert found == {
        ("$.rules[0].priority", "row 'any' has a priority number but the table ranks rows by priorities"),
        ("$.rules[1].then.outcome", "the outcome 'review' of row 'big' is not ranked in priorities"),
    }
    del doc["priorities"]
    found = {(path, message) for path, message, _hint, _severity in problems_of(doc)}
    assert ("$.rules[1]", "row 'big' of a priority table has no priority") in found
    collect = collect_table({"points": "sum", "outcome": "count"})
    collect["rules"][0]["then"]["points"] = "ten"
    found = {(path, message) for path, message, _hint, _severity in problems_of(collect)}
    assert found == {
        ("$.aggregation.outcome", "the outcome cannot be aggregated"),
        (
            "$.rules[0].then.points",
            "output 'points' of row 'new' is aggregated with sum but is not a number: 'ten'",
        ),
    }


def test_missing_outputs_outcomes_and_foreign_keys() -> None:
    doc = table(outcomes=["none", "discount"], weights={"stock": 1})
    del doc["default_outputs"]
    del doc["rules"][1]["then"]["rate"]
    found = {(path, message) for path, message, _hint, _severity in problems_of(doc)}
    assert found == {
        ("$.weights", "key 'weights' belongs to routing rule sets, not decision tables"),
        ("$.rules[1].then", "row 'mid' gives no value for output 'rate'"),
        ("$.rules[2].then.outcome", "unknown outcome 'small'"),
    }


def test_schema_refuses_a_row_without_outcome_and_unknown_keys() -> None:
    doc = table()
    del doc["rules"][0]["then"]["outcome"]
    doc["rules"][1]["cell"] = {}
    found = problems_of(doc)
    assert ("$.rules[0].then", "'outcome' is a required property", None, "error") in found
    assert any(
        path == "$.rules[1].cell" and message.startswith("unknown key 'cell'")
        for path, message, _h, _s in found
    )


# --- properties --------------------------------------------------------------------------------------

bands = st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=6, unique=True)


@settings(max_examples=40, deadline=None)
@given(thresholds=bands, total=st.integers(min_value=-10, max_value=110))
def test_first_equals_priority_by_descending_file_order(thresholds: list[int], total: int) -> None:
    """A first-hit table decides as a priority table whose priorities fall in file order."""
    rows = [
        {"name": f"r{i}", "cells": {"amount": f">= {t}"}, "then": {"outcome": f"o{i}"}}
        for i, t in enumerate(thresholds)
    ]
    base = {
        "schema_version": 1,
        "ruleset": "prop",
        "kind": "decision_table",
        "title": {"zh": "性质", "en": "Property"},
        "inputs": [{"name": "amount", "expr": "order.total"}],
        "outputs": ["outcome"],
        "default": "none",
        "rules": rows,
    }
    first = compile_ruleset({**base, "hit_policy": "first"}).evaluate({"order": {"total": total}})
    ranked = [{**row, "priority": len(rows) - i} for i, row in enumerate(rows)]
    priority = compile_ruleset({**base, "hit_policy": "priority", "rules": ranked}).evaluate(
        {"order": {"total": total}}
    )
    assert first.outcome == priority.outcome
    expected = next((f"o{i}" for i, t in enumerate(thresholds) if total >= t), "none")
    assert first.outcome == expected
    collect = compile_ruleset({**base, "hit_policy": "collect"}).evaluate({"order": {"total": total}})
    assert collect.outputs["outcome"] == [f"o{i}" for i, t in enumerate(thresholds) if total >= t]


# --- shipped tables ----------------------------------------------------------------------------------


def load(path: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((REPO / path).read_text(encoding="utf-8"))
    return doc


def test_wholesale_discount() -> None:
    assert check_ruleset(load("rules/wholesale/discount.yaml")) == []
    ruleset = compile_ruleset(load("rules/wholesale/discount.yaml"), "rules/wholesale/discount.yaml")
    cases = [
        ("platinum", 150000, "discount", 0.12),
        ("platinum", 2000, "discount", 0.08),
        ("gold", 60000, "discount", 0.06),
        ("gold", 10000, "discount", 0.03),
        ("silver", 250000, "discount", 0.05),
        ("silver", 50000, "none", 0),
        ("standard", 500, "none", 0),
    ]
    for tier, total, outcome, rate in cases:
        decision = ruleset.evaluate({"order": {"total": total, "account": {"tier": tier}}})
        assert (decision.outcome, decision.outputs["discount_rate"]) == (outcome, rate), (tier, total)


def test_wholesale_approval() -> None:
    assert check_ruleset(load("rules/wholesale/approval.yaml")) == []
    ruleset = compile_ruleset(load("rules/wholesale/approval.yaml"))
    cases = [
        ("standard", 5000, "approve"),
        ("gold", 50000, "approve"),
        ("silver", 50000, "manager"),
        ("platinum", 200000, "manager"),
        ("gold", 200000, "director"),
        ("platinum", 800000, "director"),
        ("gold", -1, "hold"),  # no band fits a negative amount: the default holds it
    ]
    for tier, total, outcome in cases:
        order = {"total": total, "account": {"tier": tier}}  # the tier is the wholesale account's
        assert ruleset.evaluate({"order": order}).outcome == outcome, (tier, total)


# --- problems in Chinese and English -------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(zh: str | None, en: str | None) -> None:
    """``zh`` is written in Chinese, not the English passed through."""
    assert zh is not None and CJK.search(zh), (zh, en)
    assert zh != en


def zh_problems_of(doc: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(p.json_path, p.message_in("zh"), p.hint_in("zh")) for p in tables.check(doc, "t.yaml")]


@pytest.mark.parametrize(("cell", "message"), BAD_CELLS)
def test_bad_cells_say_what_was_expected_in_chinese_too(cell: Any, message: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_cell(cell)
    assert caught.value.words.en == message
    assert_chinese(caught.value.words.zh, message)


def test_table_problems_read_in_chinese() -> None:
    doc = table()
    doc["rules"][1]["then"]["rat"] = 0.3
    doc["rules"][0]["cells"]["amount"] = "> = 5"
    doc["rules"].append({"cells": {"amount": "> 9000"}, "then": {"rate": 1}})
    found = zh_problems_of(doc)
    assert found[0] == (
        "$.rules[0].cells.amount",
        "行 'vip-large' 的单元格 '> = 5' 无法解析：'>' 后面应有一个值，如 '> 5000'",
        "单元格可写作 '-'、'> 5000'、'[100..500]'、'\"vip\", \"gold\"' 或 not(...)；"
        "详见 docs/rules-language.md",
    )
    assert found[1] == (
        "$.rules[1].then.rat",
        "行 'mid' 中有未知的输出 'rat'；您是否想输入 'rate'？",
        "本表的输出：outcome、rate",
    )
    assert found[2] == (
        "$.rules[3].then",
        "第 4 行没有给出 outcome",
        "每一行都要设置 outcome：流转的 dest 映射按它选择去向",
    )
    doc = table()
    doc["rules"].insert(0, {"name": "all", "then": {"outcome": "none", "rate": 0}})
    assert zh_problems_of(doc)[0] == (
        "$.rules[1]",
        "行 'vip-large' 永远不会命中：行 'all'（第 1 行）能命中它所命中的一切，而且排在它前面",
        "请把行 'vip-large' 移到行 'all' 之前、缩小行 'all' 的范围，或删除行 'vip-large'",
    )
    doc = unique_table()
    doc["rules"][1]["cells"]["amount"] = "[999..2000]"
    assert zh_problems_of(doc) == [
        (
            "$.rules[1].cells",
            "唯一命中表的行 'low' 与行 'high' 可能同时命中",
            "请让它们的单元格互不重叠（如 [0..1000) 与 [1000..5000)），或改用 hit_policy: first 或 priority",
        )
    ]


def bad_tables() -> list[dict[str, Any]]:
    """Tables that between them make every check of a decision table find its problem."""
    shape = table(
        outputs=["rate"], aggregation={"rate": "sum", "outcome": "count"}, priorities=["a"], weights={}
    )
    shape["inputs"].append({"name": "tier", "expr": "customer.tier >"})
    shape["default_outputs"] = {"rat": 1, "outcome": "none"}
    shape["rules"][0]["priority"] = 3
    shape["rules"][0]["cells"]["teir"] = "1"
    shape["rules"][1]["cells"]["amount"] = "[5..1]"
    shape["rules"][1]["then"]["rate"] = "high"
    shape["rules"][2]["name"] = "vip-large"
    shape["rules"].append({"then": {"outcome": 5, "rat": 1}})
    shape["rules"].append({"name": "bare", "then": {"rate": 1}})
    outcomes = table(outcomes=["none", "discount"])
    del outcomes["default_outputs"]
    del outcomes["rules"][1]["then"]["rate"]
    ranked = priority_table()
    ranked["rules"][0]["priority"] = 1
    ranked["rules"][1]["then"]["outcome"] = "review"
    numbered = priority_table()
    del numbered["priorities"]
    collect = collect_table({"points": "sum"})
    collect["rules"][0]["then"]["points"] = "ten"
    unreachable = table()
    unreachable["rules"].insert(0, {"name": "all", "then": {"outcome": "none", "rate": 0}})
    unique = unique_table()
    unique["rules"][1]["cells"]["amount"] = "[999..2000]"
    return [shape, outcomes, ranked, numbered, collect, unreachable, unique]


def test_every_problem_of_a_table_is_worded_in_chinese_and_english() -> None:
    codes = set()
    for doc in bad_tables():
        for problem in tables.check(doc, "t.yaml"):
            codes.add(problem.code)
            assert_chinese(problem.words.zh, problem.words.en)
            assert_chinese(problem.message_in("zh"), problem.message)
            if problem.hint_words is not None:
                assert_chinese(problem.hint_words.zh, problem.hint_words.en)
    source = (REPO / "engine/rules/tables.py").read_text()
    every_code = set(re.findall(r'^\s+"([a-z]+-[a-z-]+)",$', source, re.M))
    assert len(every_code) >= 20
    assert every_code <= codes, every_code - codes
