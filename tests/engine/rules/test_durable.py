"""durable-rules decides the same as the expression language's closures, for any condition and input."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.rules.durable import DurableMatcher, durable_matcher
from engine.rules.expr import ExpressionEvaluationError, compile_expression
from engine.rules.matching import Condition

FIELDS = ["order.total", "order.qty", "order.name", "order.vip", "order.missing", "order.when", "order.tags"]
NUMBERS = st.one_of(st.integers(-5, 5), st.sampled_from([0.5, -1.5, 2.0, 1e9]))
TEXTS = st.sampled_from(["a", "b", "上海", ""])
VALUES = st.one_of(NUMBERS, TEXTS, st.booleans(), st.none())


def literal(value: Any) -> str:
    return repr(value) if not isinstance(value, str) else f'"{value}"'


@st.composite
def operands(draw: st.DrawFn) -> str:
    choice = draw(st.integers(0, 6))
    if choice <= 2:
        return draw(st.sampled_from(FIELDS))
    if choice == 3:
        return literal(draw(VALUES))
    if choice == 4:
        return f"len({draw(st.sampled_from(['order.name', 'order.tags']))})"
    if choice == 5:
        return f"{draw(st.sampled_from(FIELDS))} + {literal(draw(NUMBERS))}"
    return "now"


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> str:
    choice = draw(st.integers(0, 9 if depth < 2 else 5))
    if choice <= 3:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"{draw(operands())} {op} {draw(operands())}"
    if choice == 4:
        items = draw(st.lists(VALUES, max_size=4))
        negate = draw(st.sampled_from(["in", "not in"]))
        return f"{draw(operands())} {negate} [{', '.join(literal(v) for v in items)}]"
    if choice == 5:
        return draw(
            st.sampled_from([*FIELDS, "order.name is None", "order.total is not None", "any(order.tags)"])
        )
    if choice == 6:
        return f"not ({draw(conditions(depth + 1))})"
    if choice == 7:
        return f"{draw(operands())} < {draw(operands())} <= {draw(operands())}"
    joiner = draw(st.sampled_from([" and ", " or "]))
    parts = draw(st.lists(conditions(depth + 1), min_size=2, max_size=3))
    return joiner.join(f"({part})" for part in parts)


orders = st.fixed_dictionaries(
    {},
    optional={
        "total": VALUES,
        "qty": NUMBERS,
        "name": st.one_of(TEXTS, st.none(), NUMBERS),
        "vip": st.one_of(st.booleans(), st.none(), NUMBERS),
        "when": st.sampled_from([datetime(2026, 11, 1, tzinfo=UTC), "2026-11-01", None, 3]),
        "tags": st.one_of(st.lists(TEXTS, max_size=3), st.none(), TEXTS),
    },
)


def reference(source: str, env: dict[str, Any]) -> tuple[bool | None, bool]:
    try:
        return bool(compile_expression(source)(env)), False
    except ExpressionEvaluationError:
        return None, True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(conditions(), min_size=1, max_size=4), st.lists(orders, min_size=1, max_size=4))
def test_durable_rules_and_closures_give_the_same_verdicts(
    sources: list[str], inputs: list[dict[str, Any]]
) -> None:
    matcher = DurableMatcher("property", "v", [Condition(f"r{i}", s) for i, s in enumerate(sources)])
    now = datetime(2026, 11, 30, tzinfo=UTC)
    for order in inputs:
        env = {"order": order, "now": now}
        match = matcher.match(env)
        for index, source in enumerate(sources):
            held, failed = reference(source, env)
            rule = f"r{index}"
            assert (rule in match.errors) == failed, (source, order, match.errors.get(rule))
            if not failed:
                assert (rule in match.matched) == held, (source, order, matcher.definition[f"c{index}"])


def test_every_holding_rule_fires_not_only_the_first() -> None:
    matcher = durable_matcher(
        "fires-all",
        "1",
        [
            Condition("big", "order.total > 100"),
            Condition("bigger", "order.total > 1000"),
            Condition("vip", "order.vip"),
        ],
    )
    match = matcher.match({"order": {"total": 5000, "vip": True}})
    assert match.matched == {"big", "bigger", "vip"}
    assert match.values["bigger"] == {"order.total": 5000}
    assert matcher.match({"order": {"total": 500}}).matched == {"big"}


def test_one_registration_per_version_and_versions_side_by_side() -> None:
    old = durable_matcher("versions", "v1", [Condition("big", "order.total > 100")])
    assert durable_matcher("versions", "v1", [Condition("big", "order.total > 100")]) is old
    new = durable_matcher("versions", "v2", [Condition("big", "order.total > 1000")])
    assert new.durable_name != old.durable_name
    env = {"order": {"total": 500}}
    assert (old.match(env).matched, new.match(env).matched) == ({"big"}, frozenset())


def test_a_rule_that_cannot_be_evaluated_reports_why_and_others_still_decide() -> None:
    matcher = durable_matcher(
        "errors",
        "1",
        [Condition("ratio", "order.paid / order.total > 0.5"), Condition("big", "order.total >= 0")],
    )
    match = matcher.match({"order": {"paid": 1, "total": 0}})
    assert "division by zero" in match.errors["ratio"]
    assert match.matched == {"big"}


def test_short_circuit_keeps_an_error_from_mattering() -> None:
    matcher = durable_matcher(
        "short", "1", [Condition("safe", "order.total > 0 and order.paid / order.total > 0.5")]
    )
    match = matcher.match({"order": {"paid": 1, "total": 0}})
    assert match.errors == {} and match.matched == frozenset()


def test_text_compared_with_a_number_is_an_error_as_in_guards() -> None:
    matcher = durable_matcher("kinds", "1", [Condition("big", "order.total > 5000")])
    assert "cannot compare" in matcher.match({"order": {"total": "6000"}}).errors["big"]
    assert matcher.match({"order": {"total": 6000}}).matched == {"big"}
    assert matcher.match({"order": {}}).matched == frozenset()  # a missing total is None: not > 5000


@st.composite
def typed_conditions(draw: st.DrawFn, depth: int = 0) -> str:
    """Conditions durable-rules decides itself for numbers and None: no kind ever needs Python."""
    choice = draw(st.integers(0, 6 if depth < 2 else 3))
    field = draw(st.sampled_from(["order.total", "order.qty"]))
    if choice <= 1:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return f"{field} {op} {draw(st.integers(-3, 3))}"
    if choice == 2:
        items = ", ".join(str(v) for v in draw(st.lists(st.integers(-3, 3), min_size=1, max_size=3)))
        return f"{field} {draw(st.sampled_from(['in', 'not in']))} [{items}]"
    if choice == 3:
        return draw(st.sampled_from([f"{field} == None", f"{field} != None", "order.total < order.qty"]))
    if choice == 4:
        return f"not ({draw(typed_conditions(depth + 1))})"
    joiner = draw(st.sampled_from([" and ", " or "]))
    return joiner.join(
        f"({part})" for part in draw(st.lists(typed_conditions(depth + 1), min_size=2, max_size=3))
    )


typed_orders = st.fixed_dictionaries(
    {"total": st.one_of(st.integers(-3, 3), st.none()), "qty": st.one_of(st.integers(-3, 3), st.none())}
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(typed_conditions(), min_size=1, max_size=4), st.lists(typed_orders, min_size=1, max_size=4))
def test_durable_rules_alone_decides_well_typed_conditions_as_the_closures_do(
    sources: list[str], inputs: list[dict[str, Any]]
) -> None:
    matcher = DurableMatcher("typed", "v", [Condition(f"r{i}", s) for i, s in enumerate(sources)])
    for order in inputs:
        env = {"order": order}
        _fact, _shown, by_python = matcher._fact(env)
        pairs = {pair.condition for pair in matcher._pairs}
        assert not by_python - pairs  # only comparisons of two fields with a None fall back
        match = matcher.match(env)
        for index, source in enumerate(sources):
            held, failed = reference(source, env)
            assert not failed
            assert (f"r{index}" in match.matched) == held, (source, order, matcher.definition[f"c{index}"])


def test_chinese_text_matches_in_conditions_and_facts() -> None:
    matcher = durable_matcher(
        "unicode",
        "1",
        [
            Condition("shanghai", 'order.city == "上海"'),
            Condition("listed", "order.name in ['黑名单', '张三']"),
        ],
    )
    assert matcher.match({"order": {"city": "上海", "name": "张三"}}).matched == {"shanghai", "listed"}
    assert matcher.match({"order": {"city": "北京", "name": "李四"}}).matched == frozenset()
