"""Aggregates over lines by key: comprehensions with one ``for`` and ``distinct``."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.expr import MAX_SIZE, ExpressionEvaluationError, check, compile_expression

LINES = [
    {"sku": "SKU-1", "qty": 2, "gift": True},
    {"sku": "SKU-2", "qty": 5},
    {"sku": "SKU-1", "qty": 3, "gift": False},
]
ENV: dict[str, Any] = {"order": {"lines": LINES, "tags": ["a", "b", "a"], "name": "x"}}


def run(text: str, env: dict[str, Any] | None = None) -> Any:
    assert check(text) == [], text
    return compile_expression(text)(ENV if env is None else env)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sum(l.qty for l in order.lines if l.sku == 'SKU-1')", 5),
        ("sum(l.qty for l in order.lines if l.sku == 'SKU-1' if l.gift)", 2),
        ("any(l.qty > 4 for l in order.lines)", True),
        ("all(l.qty > 4 for l in order.lines)", False),
        ("count(l for l in order.lines if l.gift)", 1),
        ("count(l.gift for l in order.lines)", 1),
        ("max(l.qty for l in order.lines if l.sku == 'SKU-1')", 3),
        ("min(l.qty for l in order.lines if l.sku == 'nothing')", None),
        ("[l.sku for l in order.lines if l.qty >= 3]", ["SKU-2", "SKU-1"]),
        ("distinct(pluck(order.lines, 'sku'))", ["SKU-1", "SKU-2"]),
        ("len(distinct(pluck(order.lines, 'sku')))", 2),
        ("len(distinct(l.sku for l in order.lines))", 2),
        ("distinct([1, True, 1.0, 'a', None, None, [1], [1]])", [1, True, "a", None, [1]]),
        ("sum(l.qty for l in order.missing)", 0),
        ("[[t + s for t in order.tags] for s in ['!']]", [["a!", "b!", "a!"]]),
        ("sum(l.qty for l in order.lines) == sum(pluck(order.lines, 'qty'))", True),
    ],
)
def test_aggregates_over_lines(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_distinct_keeps_records_apart_by_their_content() -> None:
    env = {"order": {"lines": [{"a": 1}, {"a": 1}, {"a": 2}]}}
    assert run("distinct(order.lines)", env) == [{"a": 1}, {"a": 2}]
    with pytest.raises(ExpressionEvaluationError, match="distinct\\(\\) needs a list"):
        run("distinct(order.name)")


def test_the_bound_name_is_known_inside_only() -> None:
    errors = check("sum(l.qty for l in order.lines) + l.qty")
    assert [e.column for e in errors] == [35]
    assert "unknown name 'l'" in errors[0].message


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("[x for x in order.lines for y in x]", 25, "a comprehension takes one 'for'"),
        ("[order for order in order.lines]", 12, "'for' cannot bind 'order': it is a name already in use"),
        ("any(now for now in order.lines)", 13, "'for' cannot bind 'now'"),
        ("[1 for sum in order.lines]", 8, "'for' cannot bind 'sum': it is a function"),
        ("[1 for __x in order.lines]", 8, "name '__x' is not allowed"),
        ("[1 for a, b in order.lines]", 8, "'for' binds one plain name"),
        ("[1 for l in y]", 13, "unknown name 'y'"),
        ("[1 for l in order.lines if l.__class__]", 30, "field '__class__' is not allowed"),
        ("[[1 for l in order.x] for l in order.y]", 9, "'for' cannot bind 'l'"),
        (
            "[[[1 for a in order.x] for b in order.x] for c in order.x]",
            3,
            "nested too deeply; the limit is 2",
        ),
        ("{l for l in order.lines}", 1, "set and record comprehensions are not allowed"),
        ("{l.sku: 1 for l in order.lines}", 1, "set and record comprehensions are not allowed"),
    ],
)
def test_misuse_is_refused_with_its_column_and_a_hint(text: str, column: int, words: str) -> None:
    errors = check(text)
    assert [e.column for e in errors] == [column], errors
    assert words in errors[0].message
    assert errors[0].hint is not None and errors[0].hint_in("zh") != errors[0].hint
    assert errors[0].message_in("zh") != errors[0].message


def test_a_comprehension_over_what_is_not_a_list_names_it() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        run("sum(c for c in order.name)")
    assert caught.value.part == "order.name"
    assert "'for' needs a list, not text ('x')" in str(caught.value)
    assert "'for' 需要列表" in caught.value.message("zh")


def test_comprehensions_of_one_evaluation_share_a_bound() -> None:
    many = list(range(MAX_SIZE // 100 + 1))
    env = {"order": {"a": many, "b": list(range(100))}}
    with pytest.raises(ExpressionEvaluationError, match="more than 100,000 values"):
        run("sum(sum(x for x in order.b) for y in order.a)", env)
    assert run("sum(x for x in order.b)", env) == sum(range(100))


ELEMENT = st.fixed_dictionaries(
    {}, optional={"sku": st.sampled_from(["A", "B", "C"]), "qty": st.integers(-5, 5), "gift": st.booleans()}
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(ELEMENT, max_size=8), sku=st.sampled_from(["A", "B", "Z"]), limit=st.integers(-5, 5))
def test_comprehensions_agree_with_python(lines: list[dict[str, Any]], sku: str, limit: int) -> None:
    env = {"order": {"lines": lines}, "data": {"sku": sku, "limit": limit}}
    wanted = [line for line in lines if line.get("sku") == sku]
    assert run("sum(l.qty for l in order.lines if l.sku == data.sku)", env) == sum(
        line["qty"] for line in wanted if "qty" in line
    )
    assert run("any(l.qty > data.limit for l in order.lines)", env) == any(
        "qty" in line and line["qty"] > limit for line in lines
    )
    assert run("all(l.gift for l in order.lines)", env) == all(line.get("gift") for line in lines)
    assert run("count(l for l in order.lines if l.gift)", env) == sum(1 for line in lines if line.get("gift"))
    skus = [line.get("sku") for line in lines]
    assert run("distinct(pluck(order.lines, 'sku'))", env) == list(dict.fromkeys(skus))
    assert run("len(distinct(l.sku for l in order.lines))", env) == len(set(skus))
