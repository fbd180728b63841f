"""Moments, durations and issued codes in the condition language: now(), days(n), code(n)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.randomness import SeededRandomness, SystemRandomness
from engine.rules.expr import (
    CODE_ALPHABET,
    RANDOMNESS,
    ExpressionEvaluationError,
    check,
    compile_expression,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
ENV: dict[str, Any] = {
    "now": NOW,
    "order": {"delivered_at": "2026-11-01T08:00:00+08:00", "name": "Alice", "days": 3, "missing": None},
}


def run(text: str, env: dict[str, Any] | None = None) -> Any:
    assert check(text) == [], text
    return compile_expression(text)(ENV if env is None else env)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now()", NOW),
        ("now() == now", True),
        ("now() + days(7)", NOW + timedelta(days=7)),
        ("now() - hours(2)", NOW - timedelta(hours=2)),
        ("minutes(90) == hours(1.5)", True),
        ("days(order.days)", timedelta(days=3)),
        ("days(order.missing)", None),
        ("order.delivered_at + days(7)", datetime(2026, 11, 8, 0, 0, tzinfo=UTC)),
        ("days(7) + order.delivered_at", datetime(2026, 11, 8, 0, 0, tzinfo=UTC)),
        ("now() - date(order.delivered_at)", timedelta(days=29, hours=9)),
        ("now() - order.delivered_at", timedelta(days=29, hours=9)),
        ("(now() - date('2026-11-28T09:00:00Z')) / days(1)", 2.0),
        ("now() - date('2026-11-29T09:00:00Z') > hours(23)", True),
        ("days(1) * 3 == days(3)", True),
        ("2 * hours(1) == hours(2)", True),
        ("days(1) / 4 == hours(6)", True),
        ("days(2) - days(3) < days(0)", True),
        ("-days(1) + now() < now()", True),
        ("max(days(1), hours(30)) == hours(30)", True),
        ("now() > date('2026-01-01') + days(300)", True),
    ],
)
def test_moments_and_durations(text: str, expected: Any) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "words", "zh"),
    [
        ("days(1) + 2", "write a duration as days(n)", "时长请用 days(n)"),
        ("now() < 3", "cannot compare a date-time", "无法比较 日期时间"),
        ("hours(1) > 1", "write a duration as days(n)", "时长请用"),
        ("now() > order.delivered_at", "read text as a date with date(x)", "用 date(x) 把文本读作日期"),
        ("order.name + days(1)", "must be an ISO-8601 date", "须是 ISO-8601 日期"),
        ("now() + now()", "cannot compute a date-time", "无法计算 日期时间"),
        ("days('3')", "days() needs a number", "days() 需要数字"),
        ("days(True)", "days() needs a number", "days() 需要数字"),
        ("days(1e300)", "beyond the range of a duration", "超出时长的范围"),
        ("now() + days(999999999)", "", ""),
        ("days(1) / days(0)", "division by zero", "除数为零"),
        ("order.missing + days(1)", "missing (None)", "缺失"),
    ],
)
def test_mixing_kinds_is_an_evaluation_error_in_both_languages(text: str, words: str, zh: str) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run(text)
    assert words in str(caught.value)
    assert zh in caught.value.message("zh")


def test_now_needs_the_engines_clock() -> None:
    with pytest.raises(ExpressionEvaluationError, match="now\\(\\) needs 'now'"):
        run("now() + days(1)", {"order": {}})
    assert run("now()", {"now": "2026-11-30T17:00:00+08:00"}) == NOW  # text from a stored value is read


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("now(1)", 1, "now() takes 0 argument(s), 1 given"),
        ("order.x > days()", 11, "days() takes 1 argument(s), 0 given"),
        ("code()", 1, "code() takes 1 to 2 argument(s), 0 given"),
        ("code(2)", 6, "code() draws from 4 to 64 characters, not 2"),
        ("code(99, 'A')", 6, "not 99"),
        ("code('8')", 6, "code() needs a whole number of characters"),
        ("days", 1, "'days' is a function; call it"),
    ],
)
def test_misuse_is_refused_with_its_column(text: str, column: int, words: str) -> None:
    errors = check(text)
    assert [e.column for e in errors] == [column], errors
    assert words in errors[0].message
    assert errors[0].message_in("zh") != errors[0].message


def test_code_draws_from_the_unambiguous_alphabet() -> None:
    issued = run("code(12, 'RMA-')")
    assert issued.startswith("RMA-") and len(issued) == 16
    assert set(issued[4:]) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    with pytest.raises(ExpressionEvaluationError, match="a text prefix"):
        run("code(8, 5)")
    with pytest.raises(ExpressionEvaluationError, match="not 3"):
        run("code(order.days)")


def test_code_repeats_with_a_seeded_source_and_differs_without() -> None:
    code = compile_expression("code(10)")
    first = [code({RANDOMNESS: SeededRandomness(7)}) for _ in range(3)]
    assert len(set(first)) == 1  # the same seed, the same code
    seeded = SeededRandomness(7)
    assert code({RANDOMNESS: seeded}) == first[0]
    assert code({RANDOMNESS: seeded}) != first[0]  # the next draw of one source is another code
    drawn = {code({RANDOMNESS: SystemRandomness()}) for _ in range(20)} | {code({}) for _ in range(20)}
    assert len(drawn) == 40  # 31**10 codes: twenty draws never repeat


def test_the_source_of_randomness_cannot_be_read_by_a_condition() -> None:
    errors = check(RANDOMNESS)
    assert errors and "never resolve" in (errors[0].hint or "")


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    amount=st.integers(-10_000, 10_000),
    unit=st.sampled_from(["days", "hours", "minutes"]),
)
def test_adding_then_subtracting_a_duration_gives_the_moment_back(
    start: datetime, amount: int, unit: str
) -> None:
    env = {"order": {"at": start.isoformat(), "n": amount}, "now": start}
    assert run(f"order.at + {unit}(order.n) - {unit}(order.n) == now", env) is True
    assert run(f"(order.at + {unit}(order.n)) - now == {unit}(order.n)", env) is True
    later = run(f"now + {unit}(order.n) > now", env)
    assert later is (amount > 0)
