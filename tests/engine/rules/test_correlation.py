"""Correlation rule sets: checking, compiling, and the durable-rules correlator over events in time."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import durable_rules_engine
import pytest

from engine.clock import FrozenClock
from engine.dsl.loader import load_yaml
from engine.errors import DefinitionError, EngineError
from engine.rules.correlation import (
    CorrelationRuleset,
    Correlator,
    FireAction,
    _fnv1a,
    address_key,
    durable_states,
)
from engine.rules.kinds import check_ruleset, compile_ruleset
from engine.runtime.correlation_feed import load_correlation_rulesets
from tests.problem_words import assert_bilingual

REPO = Path(__file__).resolve().parents[3]
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
FAILURES = """
schema_version: 1
ruleset: test-fraud
kind: correlation
title: {zh: 测试, en: Test}
department: retail
patterns:
  - name: failures
    event: payment_failed
    when: event.amount > 0
    by: event.customer_mobile
    count: 3
    within: 10m
    then: {fire: {trigger: hold, on: customer_open_orders}}
    reason: {zh: 三次支付失败, en: Three failed payments}
"""


def parsed(text: str) -> Any:
    """YAML read as the engine reads it (``on`` is a key, not YAML 1.1's true)."""
    tree, _marks, problems = load_yaml(text, "fraud.yaml")
    assert not problems
    return tree


def ruleset(text: str = FAILURES) -> CorrelationRuleset:
    compiled = compile_ruleset(parsed(text), "fraud.yaml")
    assert isinstance(compiled, CorrelationRuleset)
    return compiled


def failure(mobile: str, at: datetime, amount: int = 10, order_id: int = 1) -> dict[str, Any]:
    return {
        "type": "payment_failed",
        "at": at,
        "customer_mobile": mobile,
        "amount": amount,
        "order_id": order_id,
    }


@pytest.fixture
def correlator() -> Any:
    found = Correlator([ruleset()])
    yield found
    found.close()


def test_three_failures_within_ten_minutes_match(correlator: Correlator) -> None:
    clock = FrozenClock(START)
    matches = []
    for minutes in (0, 4, 4):
        matches += correlator.feed(failure("13800000001", clock.advance(minutes=minutes)))
    [match] = matches
    assert (match.ruleset, match.pattern.name, match.key) == ("test-fraud", "failures", "13800000001")
    assert [e["at"] for e in match.events] == [
        START,
        START + timedelta(minutes=4),
        START + timedelta(minutes=8),
    ]
    assert match.version == ruleset().version
    assert correlator.live_facts == 0  # the events of a match are consumed


def test_exactly_the_window_still_matches(correlator: Correlator) -> None:
    ats = [START, START + timedelta(minutes=5), START + timedelta(minutes=10)]
    assert len([m for at in ats for m in correlator.feed(failure("m", at))]) == 1


def test_three_failures_spread_over_eleven_minutes_do_not_match(correlator: Correlator) -> None:
    ats = [START, START + timedelta(minutes=5, seconds=30), START + timedelta(minutes=11)]
    assert [m for at in ats for m in correlator.feed(failure("m", at))] == []
    # The first one fell out of the window; two more within it make a match with the other two.
    [match] = correlator.feed(failure("m", START + timedelta(minutes=12)))
    assert [e["at"] for e in match.events] == [*ats[1:], START + timedelta(minutes=12)]


def test_two_customers_interleaved_do_not_mix(correlator: Correlator) -> None:
    found = []
    for minute in range(4):
        found += correlator.feed(failure("A", START + timedelta(minutes=minute)))
        if minute < 2:
            found += correlator.feed(failure("B", START + timedelta(minutes=minute, seconds=30)))
    assert [(m.key, len(m.events)) for m in found] == [("A", 3)]
    assert {e["customer_mobile"] for e in found[0].events} == {"A"}


def test_when_filters_events_and_a_missing_key_is_ignored(correlator: Correlator) -> None:
    assert correlator.feed(failure("A", START, amount=0)) == []
    assert correlator.feed({"type": "payment_failed", "at": START, "amount": 5}) == []
    assert correlator.live_facts == 0
    assert (
        correlator.feed({"type": "payment_failed", "at": START, "amount": "x", "customer_mobile": "A"}) == []
    )
    assert correlator.unevaluated == {"failures": 1}


def test_two_correlators_over_one_version_keep_their_own_events() -> None:
    first, second = Correlator([ruleset()]), Correlator([ruleset()])
    try:
        first.feed(failure("A", START))
        first.feed(failure("A", START + timedelta(minutes=1)))
        assert second.feed(failure("A", START + timedelta(minutes=2))) == []
        assert len(first.feed(failure("A", START + timedelta(minutes=3)))) == 1
    finally:
        first.close()
        second.close()


def test_the_shipped_file_five_accounts_at_one_address_within_an_hour() -> None:
    [fraud] = [r for r in load_correlation_rulesets(REPO) if r.name == "retail-fraud"]
    correlator = Correlator([fraud])
    key = address_key({"province": "上海", "city": "上海", "district": "浦东", "detail": "世纪大道 1 号"})
    events = [
        {"type": "account_created", "at": START + timedelta(minutes=12 * k), "address_key": key}
        for k in range(5)
    ]
    found = [m for e in events for m in correlator.feed(e)]
    assert [(m.pattern.name, len(m.events)) for m in found] == [("accounts-at-one-address", 5)]
    assert isinstance(found[0].pattern.then, FireAction)
    assert found[0].pattern.then.on == "address_open_orders"
    # Five again, but over more than an hour: no match.
    later = [{**e, "at": e["at"] + timedelta(days=1, minutes=4 * k)} for k, e in enumerate(events)]
    assert [m for e in later for m in correlator.feed(e)] == []
    # A row below its safety stock is the engine's own alert to the purchasers (stock.low): the shipped
    # file suggests nothing on it, so the service desk is not mailed the same news as data.
    low = {"type": "stock_changed", "at": START, "sku": "A1", "available": 2, "safety_stock": 5}
    assert correlator.feed(low) == []
    correlator.close()


def test_check_finds_what_the_schema_cannot() -> None:
    doc = parsed(FAILURES)
    doc["patterns"].append({**doc["patterns"][0], "by": "order.customer", "when": "event.x >"})
    problems = check_ruleset(doc, "fraud.yaml")
    paths = {(p.json_path, p.code) for p in problems}
    assert ("$.patterns[1].name", "duplicate-pattern") in paths
    assert ("$.patterns[1].by", "expression") in paths
    assert ("$.patterns[1].when", "expression") in paths


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"within": "10 minutes"}, "$.patterns[0].within"),
        ({"count": 0}, "$.patterns[0].count"),
        ({"then": {"fire": {"trigger": "hold", "on": "customers"}}}, "$.patterns[0].then.fire.on"),
        ({"then": {}}, "$.patterns[0].then"),
        ({"colour": "red"}, "$.patterns[0].colour"),
    ],
)
def test_schema_refuses_bad_patterns(change: dict[str, Any], path: str) -> None:
    doc = parsed(FAILURES)
    doc["patterns"][0].update(change)
    problems = check_ruleset(doc, "fraud.yaml")
    assert path in {p.json_path for p in problems}, [p.format() for p in problems]
    with pytest.raises(DefinitionError):
        compile_ruleset(doc, "fraud.yaml")


def test_a_correlation_file_under_rules_with_problems_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad.yaml").write_text(
        FAILURES.replace("count: 3", "count: three"), encoding="utf-8"
    )
    with pytest.raises(DefinitionError) as caught:
        load_correlation_rulesets(tmp_path)
    [problem] = caught.value.problems
    assert (problem.file, problem.line) == ("rules/bad.yaml", 12)


def test_a_correlation_file_names_its_department_and_acts_on_it_unless_it_names_others() -> None:
    assert (ruleset().department, ruleset().acts_on) == ("retail", frozenset({"retail"}))
    with_others = FAILURES.replace("department: retail\n", "department: risk\nacts_on: [retail, wholesale]\n")
    assert ruleset(with_others).acts_on == frozenset({"retail", "wholesale"})
    every = ruleset(FAILURES.replace("department: retail\n", "department: risk\nacts_on: '*'\n"))
    assert every.acts_on == frozenset({"*"})
    problems = check_ruleset(parsed(FAILURES.replace("department: retail\n", "")), "fraud.yaml")
    assert [(p.json_path, p.message) for p in problems] == [("$", "'department' is a required property")]
    wrong = FAILURES.replace("department: retail\n", "department: Retail\nacts_on: []\n")
    assert sorted(p.json_path for p in check_ruleset(parsed(wrong), "fraud.yaml")) == [
        "$.acts_on",
        "$.department",
    ]


def test_only_a_correlation_file_says_whose_orders_it_acts_on() -> None:
    """An audit, routing or decision-table file runs for the orders of the workflows that name it."""
    audit = {
        "schema_version": 1,
        "ruleset": "shop-audit",
        "kind": "audit",
        "title": {"zh": "审核", "en": "Audit"},
        "department": "retail",
        "acts_on": "*",
        "outcomes": ["approve", "hold"],
        "default": "approve",
        "rules": [{"name": "big", "when": "order.total > 5000", "outcome": "hold"}],
    }
    problems = check_ruleset(audit, "audit.yaml")
    assert [(p.json_path, p.code) for p in problems] == [
        ("$.department", "foreign-key"),
        ("$.acts_on", "foreign-key"),
    ]
    assert problems[0].message == (
        "'department' belongs to correlation rule sets; a rule file of kind 'audit' runs for the orders of "
        "the workflows that name it"
    )


def test_same_content_compiles_to_one_version() -> None:
    assert ruleset().version == ruleset(FAILURES.replace("title:", "title: ")).version
    assert ruleset().durable_name == f"test-fraud#{ruleset().version}"


def test_a_closed_correlators_state_serves_the_next_one_empty() -> None:
    fraud = ruleset()
    first = Correlator([fraud])
    first.feed(failure("A", START))
    first.feed(failure("A", START + timedelta(minutes=1)))
    made = durable_states(fraud)
    first.close()
    first.close()  # twice is once
    for _ in range(50):
        Correlator([fraud]).close()
    second = Correlator([fraud])
    try:
        assert durable_states(fraud) == made  # the same state again, not a new one
        assert second.feed(failure("A", START + timedelta(minutes=2))) == []  # A's two are gone
        with pytest.raises(EngineError, match="closed"):
            first.feed(failure("A", START))
        third = Correlator([fraud])  # open beside the second: a state of its own
        assert durable_states(fraud) == max(made, 2)
        third.close()
    finally:
        second.close()


# Two fact ids with one FNV-1a hash: durable-rules tells facts apart by that hash alone.
SAME_HASH = (40189, 797186)


def test_durable_rules_takes_two_ids_with_one_hash_for_one_fact() -> None:
    """The trap the correlator steps around (this test fails if durable-rules ever stops having it)."""
    assert _fnv1a(str(SAME_HASH[0])) == _fnv1a(str(SAME_HASH[1]))
    rules = {"r": {"all": [{"a": {"p": 0}}, {"b": {"q": 1}}]}}  # p facts wait for a q fact
    handle = durable_rules_engine.create_ruleset("test-fnv", json.dumps(rules))
    first, second = (
        durable_rules_engine.assert_fact(handle, json.dumps({"sid": "x", "id": str(fact_id), "p": 0}))
        for fact_id in SAME_HASH
    )
    assert (first[0], second[0]) == (0, 2)  # the second is "observed": dropped


def test_a_fact_id_whose_hash_is_live_is_not_used(correlator: Correlator) -> None:
    correlator._numbers = itertools.count(SAME_HASH[0])
    correlator.feed(failure("A", START))
    correlator._numbers = itertools.count(SAME_HASH[1])
    correlator.feed(failure("A", START + timedelta(minutes=1)))
    assert correlator.live_facts == 2
    [match] = correlator.feed(failure("A", START + timedelta(minutes=2)))
    assert len(match.events) == 3


def test_the_problems_of_a_correlation_file_are_said_in_chinese_with_the_english_unchanged() -> None:
    doc = parsed(FAILURES)
    doc["rules"] = doc["patterns"]
    doc["patterns"] = [*doc["patterns"], {**doc["patterns"][0], "within": "10 minutes"}]
    by_code = {p.code: p for p in check_ruleset(doc, "fraud.yaml") if p.code != "schema"}
    assert sorted(by_code) == ["correlation", "duplicate-pattern"]
    stray = next(
        p for p in check_ruleset(doc, "fraud.yaml") if p.json_path == "$.rules" and p.code == "correlation"
    )
    assert stray.message_in("zh") == "事件关联规则集列出的是 'patterns'，不是 'rules'"
    assert stray.message == "a correlation rule set lists 'patterns', not 'rules'"
    assert stray.hint_in("zh") == "把 'rules:' 改名为 'patterns:'"
    twice = by_code["duplicate-pattern"]
    assert twice.message_in("zh") == "关联模式 'failures' 定义了两次（第一次是第 1 个关联模式）"
    assert twice.message == "pattern 'failures' is defined twice (first as pattern 1)"
    (within,) = [
        p
        for p in check_ruleset(doc, "fraud.yaml")
        if p.json_path == "$.patterns[1].within" and p.code == "correlation"
    ]
    assert within.message_in("zh") == "'10 minutes' 不是时长"
    assert within.hint_in("zh") == "一个整数后跟 s、m、h 或 d，如 10m 或 1h"
    assert within.message == "'10 minutes' is not a duration"


@pytest.mark.parametrize("within", ["10 minutes", "0m", "1w", "10", "m", "1000000s"])
def test_every_problem_a_correlation_check_words_is_said_in_both_languages(within: str) -> None:
    doc = parsed(FAILURES)
    doc["rules"] = []
    doc["patterns"] = [*doc["patterns"], {**doc["patterns"][0], "within": within}]
    ours = [p for p in check_ruleset(doc, "fraud.yaml") if p.code in ("correlation", "duplicate-pattern")]
    assert [p.json_path for p in ours] == ["$.rules", "$.patterns[1].name", "$.patterns[1].within"]
    for problem in ours:
        assert_bilingual(problem)
